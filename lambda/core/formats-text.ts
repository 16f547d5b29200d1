/**
 * The plain-text format: one address or prefix a line; `#` starts a comment (whole line or trailing); blank lines,
 * CRLF line ends, a UTF-8 byte-order mark and surrounding spaces and tabs are accepted. Nothing else is: a control
 * character (NUL, a stray CR, …) is an error naming the line, because it means the file is not the text list it
 * claims to be (compressed, UTF-16, truncated by a binary write).
 *
 * This is the hot path: the bytes are scanned once, each trimmed range is handed to `parsePrefixBytes`, and no
 * string or object is built for a line that parses. Text is decoded only to describe a bad line.
 *
 * Pure: no I/O.
 */

import { EntryBuffer } from './entries';
import { type Origin, ParseError } from './errors';
import { type ParsedSource, type ParseOptions, ProblemList, shown } from './formats-common';
import type { EntryNote } from './model';
import {
  type Cidr,
  describeHostBits,
  describeParseFailure,
  type Family,
  parseCodeName,
  parsePrefixBytes,
  parseV4Line,
  parseV6Line,
  scratch,
} from './prefix';

const LF = 10;
const CR = 13;
const TAB = 9;
const SPACE = 32;
const HASH = 35;
const DEL = 127;

const decoder = new TextDecoder('utf-8');
const NO_NOTES: ReadonlyMap<Cidr, EntryNote> = new Map<Cidr, EntryNote>();

/** Parses a plain-text list. Throws a {@link ParseError} listing every bad line (up to the cap). */
export function parseText(label: string, bytes: Uint8Array, options: ParseOptions): ParsedSource {
  const n = bytes.length;
  if (n >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    throw new ParseError(label, [
      {
        origin: { source: label, line: 1 },
        value: '',
        message: 'the file is UTF-16 (it starts with a UTF-16 byte-order mark): save it as UTF-8 or ASCII',
        code: 'encoding',
      },
    ]);
  }
  const entries = new EntryBuffer(Math.max(1024, Math.ceil(n / 12)));
  const problems = new ProblemList(label);
  const mask = options.maskHostBits === true;
  let pos = n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let line = 0;
  while (pos < n) {
    line++;
    // The common lines (a bare IPv4 or IPv6 prefix) in one pass; everything else takes the full path below.
    const stop = parseV4Line(bytes, pos, n);
    if (stop >= 0 && (!scratch.hostBits || mask)) {
      entries.pushV4(scratch.v4, scratch.length, line);
      pos = stop + 1;
      continue;
    }
    const stop6 = stop < 0 ? parseV6Line(bytes, pos, n) : -1;
    if (stop6 >= 0 && (!scratch.hostBits || mask)) {
      entries.pushV6(scratch.v6, scratch.length, line);
      pos = stop6 + 1;
      continue;
    }
    // One pass over the line: find its end, the start of a comment, and the first control character.
    let end = pos;
    let content = -1;
    let control = -1;
    let c = 0;
    for (; end < n; end++) {
      c = bytes[end]!;
      if (c === LF) break;
      if (c === HASH && content < 0) content = end;
      if ((c < SPACE && c !== TAB) || c === DEL) {
        if (control < 0 && content < 0) control = end;
      }
    }
    const next = end + 1;
    if (content >= 0) end = content;
    // Trim spaces and tabs (and the CR of a CRLF line end).
    const lineStart = pos;
    let start = pos;
    while (start < end && isBlank(bytes[start]!)) start++;
    while (end > start && (isBlank(bytes[end - 1]!) || bytes[end - 1] === CR)) end--;
    pos = next;
    if (start === end) continue;
    if (control >= 0 && control < end) {
      if (!problems.add(controlProblem(label, line, bytes, lineStart, end, control))) break;
      continue;
    }
    const code = parsePrefixBytes(bytes, start, end);
    if (code > 0 && (!scratch.hostBits || mask)) {
      entries.pushScratch(code as Family, line);
      continue;
    }
    const text = decoder.decode(bytes.subarray(start, end));
    const origin: Origin = { source: label, line };
    const problem =
      code < 0
        ? { origin, value: shown(text), message: describeParseFailure(code, text), code: parseCodeName(code) }
        : { origin, value: shown(text), message: describeHostBits(text), code: 'host-bits' };
    if (!problems.add(problem)) break;
  }
  problems.throwIfAny();
  return {
    label,
    entries,
    describe: (origin) => ({ source: label, line: origin }),
    notes: NO_NOTES,
    expired: [],
  };
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

function controlProblem(label: string, line: number, bytes: Uint8Array, start: number, end: number, at: number) {
  const c = bytes[at]!;
  const name = c === 0 ? 'NUL' : c === CR ? 'CR' : c === DEL ? 'DEL' : `0x${c.toString(16).padStart(2, '0')}`;
  const text = decoder.decode(bytes.subarray(start, end));
  return {
    origin: { source: label, line },
    value: shown(JSON.stringify(text)),
    message: `control character ${name} at column ${at - start + 1}: this is not a text list of addresses (is the file compressed, UTF-16 or binary?)`,
    code: 'control-character',
  };
}
