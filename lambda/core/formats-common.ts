/**
 * What every source format parser shares: its result type, its options, and the capped problem list that makes a
 * malformed source fail as a whole with every bad entry named at once.
 *
 * Pure: no I/O, no clock (the caller passes `now`).
 */

import type { EntryBuffer } from './entries';
import { type Origin, ParseError, type Problem } from './errors';
import type { DatedEntry } from './expiry';
import type { EntryNote } from './model';
import {
  type Cidr,
  describeHostBits,
  describeParseFailure,
  type Family,
  parseCodeName,
  parsePrefixBytes,
  scratch,
} from './prefix';

/** At most this many problems are collected from one source; the error then says it was truncated. */
export const MAX_PROBLEMS = 100;

/** Options every parser takes. */
export interface ParseOptions {
  /** Clear host bits instead of refusing the entry (the policy's `maskHostBits`). @default false */
  readonly maskHostBits?: boolean;
  /** The time expiry is judged against (structured format). */
  readonly now: Date;
}

/** An entry of the structured format left out because it expired. */
export interface ExpiredEntry {
  /** The prefix as canonical text. */
  readonly prefix: string;
  /** Where it is: `SOURCE:entries[3]`. */
  readonly where: string;
  /** Its expiry, as written (RFC 3339). */
  readonly expires: string;
}

/** The result of parsing one source: its entries and what the format knew about them. */
export interface ParsedSource {
  /** The source's label (file name, URL, `inline`). */
  readonly label: string;
  /** The entries, each with an integer origin that {@link ParsedSource.describe} turns into an {@link Origin}. */
  readonly entries: EntryBuffer;
  /** Where the entry with this origin integer came from. */
  describe(origin: number): Origin;
  /** Notes and owners by canonical prefix (structured format only; empty otherwise). */
  readonly notes: ReadonlyMap<Cidr, EntryNote>;
  /** Entries left out because they expired (structured format only). */
  readonly expired: readonly ExpiredEntry[];
  /** Entries kept that carry an expiry (structured format only), for expiry warnings. */
  readonly dated?: readonly DatedEntry[];
  /** The document's serial number (structured format). */
  readonly serial?: number;
  /** When the document says it was generated (structured format, RFC 3339). */
  readonly generatedAt?: string;
}

/** Collects the problems of one source up to {@link MAX_PROBLEMS}, then throws them all as one {@link ParseError}. */
export class ProblemList {
  readonly problems: Problem[] = [];
  truncated = false;

  constructor(readonly source: string) {}

  /** Records a problem; returns false once the cap is reached, so a scanning loop may stop. */
  add(problem: Problem): boolean {
    if (this.problems.length >= MAX_PROBLEMS) {
      this.truncated = true;
      return false;
    }
    this.problems.push(problem);
    return true;
  }

  /** True when the cap has been reached and scanning can stop. */
  get full(): boolean {
    return this.truncated;
  }

  /** Throws a {@link ParseError} if any problem was recorded. */
  throwIfAny(): void {
    if (this.problems.length > 0) throw new ParseError(this.source, this.problems, this.truncated);
  }
}

/** Shortens a value for a message. */
export function shown(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const textBytes = { bytes: new Uint8Array(256) };
const encoder = new TextEncoder();

/**
 * Parses a prefix given as a JS string (JSON formats) with the same strict parser as the text format, and appends it
 * to `entries`. On failure records a problem at `describe(origin)` (the JSON path is built only then) and returns 0;
 * returns the family on success. Non-ASCII text is refused without being parsed: no prefix contains it.
 */
export function pushPrefixText(
  entries: EntryBuffer,
  text: string,
  origin: number,
  describe: (origin: number) => Origin,
  options: ParseOptions,
  problems: ProblemList,
): Family | 0 {
  // Up to 3 UTF-8 bytes a UTF-16 unit: the buffer always holds the whole text, so `written` says if it was ASCII.
  if (text.length * 3 > textBytes.bytes.length) textBytes.bytes = new Uint8Array(text.length * 3);
  const bytes = textBytes.bytes;
  const { written } = encoder.encodeInto(text, bytes);
  const code = written === text.length ? parsePrefixBytes(bytes, 0, written) : -2;
  if (code < 0) {
    problems.add({
      origin: describe(origin),
      value: shown(text),
      message: describeParseFailure(code, text),
      code: parseCodeName(code),
    });
    return 0;
  }
  if (scratch.hostBits && !options.maskHostBits) {
    problems.add({ origin: describe(origin), value: shown(text), message: describeHostBits(text), code: 'host-bits' });
    return 0;
  }
  entries.pushScratch(code as Family, origin);
  return code as Family;
}
