/**
 * Strict parsing and canonical printing of IPv4 and IPv6 prefixes.
 *
 * Contract: pure functions over bytes and strings; no I/O. Parsing is strict and never guesses:
 * - IPv4 is exactly four decimal parts 0–255 with no leading zeros (`10.1`, `010.0.0.1`, `0x0a.0.0.1` are errors,
 *   unlike `ipaddr.js` and `inet_aton`, which read them as other addresses; docs/aws-behaviour.md §32).
 * - IPv6 is any RFC 4291 text form: 1–4 hex digits a group, one `::` at most, an embedded dotted-quad IPv4 in the
 *   last 32 bits. Zone ids (`%eth0`) are errors: they mean nothing to a packet filter.
 * - A prefix length is decimal without leading zeros, 0–32 or 0–128. A bare address is a /32 or /128.
 * - Host bits set (`11.0.0.5/24`) are reported, not silently dropped: the caller decides (the policy may mask them).
 *
 * The hot path is {@link parsePrefixBytes}: it reads a byte range and writes its result into {@link scratch}, so that
 * parsing a million lines builds no object and no string per line. {@link parseCidr} is the convenient form for
 * everything else, and returns the canonical type {@link Cidr}.
 */
import { AllowlistSyncError } from './errors';

/** An address family. */
export type Family = 4 | 6;

declare const cidrBrand: unique symbol;
/**
 * A prefix in canonical text: the network address (host bits zero), an explicit length, IPv6 in RFC 5952 form
 * (lower case, no leading zeros, the longest run of two or more zero groups as `::`). Two equal prefixes always have
 * equal text, so a `Cidr` can be compared, hashed and diffed as a string. Only this module and prefix-set.ts make one.
 */
export type Cidr = string & { readonly [cidrBrand]: true };

/** The result of the last {@link parsePrefixBytes} call. Read it before the next call. */
export const scratch = {
  /** IPv4 network address as an unsigned 32-bit number (host bits already cleared). */
  v4: 0,
  /** IPv6 network address as four big-endian 32-bit words (host bits already cleared). */
  v6: new Uint32Array(4),
  /** Prefix length. */
  length: 0,
  /** True when the text had host bits set; the address fields hold the masked network address. */
  hostBits: false,
  /** True when the text had no `/length` (a bare address). */
  bare: false,
};

/** Success and failure codes of {@link parsePrefixBytes}. Positive: the family parsed. Negative: why not. */
export const ParseCode = {
  V4: 4,
  V6: 6,
  EMPTY: -1,
  NOT_AN_ADDRESS: -2,
  V4_PARTS: -3,
  V4_OCTET: -4,
  V4_LEADING_ZERO: -5,
  LENGTH_SYNTAX: -6,
  LENGTH_RANGE: -7,
  V6_SYNTAX: -8,
  ZONE: -9,
} as const;

const C_0 = 48;
const C_9 = 57;
const C_DOT = 46;
const C_COLON = 58;
const C_SLASH = 47;
const C_PERCENT = 37;
const C_LF = 10;
const C_CR = 13;

/** Hex digit values by byte, -1 for anything else: one load instead of three range checks per character. */
const HEX = (() => {
  const table = new Int8Array(256).fill(-1);
  for (let d = 0; d < 10; d++) table[48 + d] = d;
  for (let d = 0; d < 6; d++) {
    table[97 + d] = 10 + d;
    table[65 + d] = 10 + d;
  }
  return table;
})();

function hexValue(c: number): number {
  return HEX[c]!;
}

/**
 * Parses the prefix in `bytes[start, end)` (already trimmed) into {@link scratch}. Returns 4 or 6 on success, or a
 * negative {@link ParseCode}. Allocates nothing.
 */
export function parsePrefixBytes(bytes: Uint8Array, start: number, end: number): number {
  if (start >= end) return ParseCode.EMPTY;
  // The common case, a strict dotted quad with an optional /length, in one pass (parseV4Line stops at a line end,
  // which a trimmed range never holds, so anything it stops short of — or a final CR — is left to the general path).
  if (parseV4Line(bytes, start, end) === end && bytes[end - 1] !== C_CR) return ParseCode.V4;
  // Everything else, and every error, goes the general way: it decides the family and names what is wrong.
  return parseGeneral(bytes, start, end);
}

/**
 * The common line of a text list, in one pass: `bytes[pos…]` is a strict dotted quad with an optional `/length`,
 * ended by LF, CRLF or the end of the bytes. Returns the index of that end (the LF, or `n`) with the prefix in
 * {@link scratch}, or -1 when the line is anything else (a comment, blanks, IPv6, an error), which the caller's full
 * path then handles and, where it is wrong, describes. It accepts exactly a subset of what
 * {@link parsePrefixBytes} accepts, so it changes speed, never results.
 */
export function parseV4Line(bytes: Uint8Array, pos: number, n: number): number {
  let i = pos;
  let addr = 0;
  // Four octets, each one to three digits read without a loop (a leading zero or a value over 255 is refused).
  for (let k = 0; k < 4; k++) {
    let v = i < n ? bytes[i]! - C_0 : -1;
    if (v < 0 || v > 9) return -1;
    i++;
    let c = i < n ? bytes[i]! : 0;
    if (c >= C_0 && c <= C_9) {
      if (v === 0) return -1;
      v = v * 10 + (c - C_0);
      i++;
      c = i < n ? bytes[i]! : 0;
      if (c >= C_0 && c <= C_9) {
        v = v * 10 + (c - C_0);
        if (v > 255) return -1;
        i++;
        c = i < n ? bytes[i]! : 0;
      }
    }
    addr = addr * 256 + v;
    if (k < 3) {
      if (c !== C_DOT) return -1;
      i++;
    }
  }
  let length = 32;
  scratch.bare = true;
  if (i < n && bytes[i] === C_SLASH) {
    scratch.bare = false;
    if (++i >= n) return -1;
    const d0 = bytes[i]! - C_0;
    if (d0 < 0 || d0 > 9) return -1;
    length = d0;
    if (++i < n) {
      const d1 = bytes[i]! - C_0;
      if (d1 >= 0 && d1 <= 9) {
        if (d0 === 0) return -1;
        length = length * 10 + d1;
        i++;
      }
    }
    if (length > 32) return -1;
  }
  if (i < n) {
    const c = bytes[i];
    if (c === C_CR) {
      if (++i < n && bytes[i] !== C_LF) return -1;
    } else if (c !== C_LF) {
      return -1;
    }
  }
  scratch.length = length;
  const net = length === 0 ? 0 : (addr & ((0xffffffff << (32 - length)) >>> 0)) >>> 0;
  scratch.hostBits = net !== addr;
  scratch.v4 = net;
  return i;
}

/**
 * The general path: finds the slash, picks the family from the first separator, parses either, and names every
 * error. {@link parsePrefixBytes} tries the one-pass IPv4 line first; exported as the independent reference that the
 * fast paths are tested against.
 */
export function parseGeneral(bytes: Uint8Array, start: number, end: number): number {
  let slash = -1;
  let family = 0;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c === C_SLASH) {
      slash = i;
      break;
    }
    if (family === 0) {
      if (c === C_COLON) family = 6;
      else if (c === C_DOT) family = 4;
    }
  }
  const addrEnd = slash < 0 ? end : slash;
  if (family === 0) return ParseCode.NOT_AN_ADDRESS;
  const max = family === 4 ? 32 : 128;
  let length = max;
  if (slash >= 0) {
    const first = slash + 1;
    if (first >= end || end - first > 3) return ParseCode.LENGTH_SYNTAX;
    length = 0;
    for (let i = first; i < end; i++) {
      const c = bytes[i]!;
      if (c < C_0 || c > C_9) return ParseCode.LENGTH_SYNTAX;
      length = length * 10 + (c - C_0);
    }
    if (bytes[first] === C_0 && end - first > 1) return ParseCode.LENGTH_SYNTAX;
    if (length > max) return ParseCode.LENGTH_RANGE;
  }
  scratch.length = length;
  scratch.bare = slash < 0;
  if (family === 4) {
    const addr = parseV4(bytes, start, addrEnd);
    if (addr < 0) return addr;
    const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
    const net = (addr & mask) >>> 0;
    scratch.hostBits = net !== addr;
    scratch.v4 = net;
    return ParseCode.V4;
  }
  const code = parseV6(bytes, start, addrEnd, scratch.v6);
  if (code < 0) return code;
  scratch.hostBits = maskV6(scratch.v6, length);
  return ParseCode.V6;
}

/** Parses a strict dotted quad in `bytes[start, end)`; returns the address (≥ 0) or a negative ParseCode. */
function parseV4(bytes: Uint8Array, start: number, end: number): number {
  let addr = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  let leadingZero = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c >= C_0 && c <= C_9) {
      if (digits === 0) leadingZero = c === C_0;
      else if (leadingZero) return ParseCode.V4_LEADING_ZERO;
      part = part * 10 + (c - C_0);
      if (++digits > 3) return ParseCode.V4_OCTET;
    } else if (c === C_DOT) {
      if (digits === 0) return ParseCode.V4_PARTS;
      if (part > 255) return ParseCode.V4_OCTET;
      addr = addr * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else if (c === C_PERCENT) {
      return ParseCode.ZONE;
    } else {
      return ParseCode.NOT_AN_ADDRESS;
    }
  }
  if (digits === 0) return ParseCode.V4_PARTS;
  if (part > 255) return ParseCode.V4_OCTET;
  if (parts !== 3) return ParseCode.V4_PARTS;
  return addr * 256 + part;
}

const groups = new Uint16Array(8);

/** Parses an RFC 4291 IPv6 address in `bytes[start, end)` into four words; returns 6 or a negative ParseCode. */
function parseV6(bytes: Uint8Array, start: number, end: number, out: Uint32Array): number {
  let count = 0; // groups written
  let gap = -1; // index in `groups` where `::` stands
  let i = start;
  if (end - start < 2) return ParseCode.V6_SYNTAX;
  if (bytes[i] === C_COLON) {
    if (bytes[i + 1] !== C_COLON) return ParseCode.V6_SYNTAX;
    gap = 0;
    i += 2;
    if (i === end) {
      out.fill(0);
      return ParseCode.V6;
    }
  }
  while (i < end) {
    // One group: hex digits, or a dotted quad when it is the last thing in the address.
    const groupStart = i;
    let value = 0;
    let digits = 0;
    while (i < end) {
      const h = hexValue(bytes[i]!);
      if (h < 0) break;
      value = (value << 4) | h;
      digits++;
      i++;
    }
    if (i < end && bytes[i] === C_DOT) {
      // Embedded IPv4: must take the last two groups.
      if (count > 6) return ParseCode.V6_SYNTAX;
      const v4 = parseV4(bytes, groupStart, end);
      if (v4 < 0) return v4 === ParseCode.ZONE ? v4 : ParseCode.V6_SYNTAX;
      groups[count++] = Math.floor(v4 / 65536);
      groups[count++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (digits === 0 || digits > 4) return ParseCode.V6_SYNTAX;
    if (count === 8) return ParseCode.V6_SYNTAX;
    groups[count++] = value;
    if (i === end) break;
    const c = bytes[i];
    if (c === C_PERCENT) return ParseCode.ZONE;
    if (c !== C_COLON) return ParseCode.V6_SYNTAX;
    i++;
    if (i < end && bytes[i] === C_COLON) {
      if (gap >= 0) return ParseCode.V6_SYNTAX; // a second `::`
      gap = count;
      i++;
      if (i === end) break;
    } else if (i === end) {
      return ParseCode.V6_SYNTAX; // a trailing single colon
    }
  }
  return expandGroups(count, gap, out) ? ParseCode.V6 : ParseCode.V6_SYNTAX;
}

/**
 * Expands `count` parsed groups with a `::` at `gap` (-1: none) into four words. False when the count is wrong:
 * eight groups without `::`, at most seven with it (`::` stands for at least one group).
 */
function expandGroups(count: number, gap: number, out: Uint32Array): boolean {
  if (gap < 0) {
    if (count !== 8) return false;
  } else {
    if (count > 7) return false;
    const tail = count - gap;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[count - 1 - k]!;
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  }
  out[0] = ((groups[0]! << 16) | groups[1]!) >>> 0;
  out[1] = ((groups[2]! << 16) | groups[3]!) >>> 0;
  out[2] = ((groups[4]! << 16) | groups[5]!) >>> 0;
  out[3] = ((groups[6]! << 16) | groups[7]!) >>> 0;
  return true;
}

/**
 * The IPv6 counterpart of {@link parseV4Line}: `bytes[pos…]` is an IPv6 address in hex groups (no embedded IPv4, no
 * zone) with an optional `/length`, ended by LF, CRLF or the end of the bytes. Returns the index of that end with the
 * prefix in {@link scratch}, or -1 for anything else, which the caller's full path handles and describes. It accepts
 * a subset of what {@link parsePrefixBytes} accepts.
 */
export function parseV6Line(bytes: Uint8Array, pos: number, n: number): number {
  let count = 0;
  let gap = -1;
  let i = pos;
  if (i + 1 < n && bytes[i] === C_COLON) {
    if (bytes[i + 1] !== C_COLON) return -1;
    gap = 0;
    i += 2;
  }
  while (i < n) {
    const c = bytes[i]!;
    if (c === C_SLASH || c === C_LF || c === C_CR) break;
    let value = 0;
    let digits = 0;
    for (; i < n; i++) {
      const h = hexValue(bytes[i]!);
      if (h < 0) break;
      value = (value << 4) | h;
      digits++;
    }
    if (digits === 0 || digits > 4 || count === 8) return -1;
    groups[count++] = value;
    if (i >= n) break;
    const d = bytes[i]!;
    if (d === C_COLON) {
      if (++i < n && bytes[i] === C_COLON) {
        if (gap >= 0) return -1;
        gap = count;
        i++;
      } else if (i >= n || hexValue(bytes[i]!) < 0) {
        return -1; // a single colon must lead to another group
      }
      continue;
    }
    if (d !== C_SLASH && d !== C_LF && d !== C_CR) return -1; // '.', '%', a blank, a comment: the full path
    break;
  }
  if (!expandGroups(count, gap, scratch.v6)) return -1;
  let length = 128;
  scratch.bare = true;
  if (i < n && bytes[i] === C_SLASH) {
    scratch.bare = false;
    const first = ++i;
    length = 0;
    for (; i < n && i - first < 3; i++) {
      const d = bytes[i]! - C_0;
      if (d < 0 || d > 9) break;
      length = length * 10 + d;
    }
    if (i === first || length > 128 || (bytes[first] === C_0 && i - first > 1)) return -1;
  }
  if (i < n) {
    const c = bytes[i];
    if (c === C_CR) {
      if (++i < n && bytes[i] !== C_LF) return -1;
    } else if (c !== C_LF) {
      return -1;
    }
  }
  scratch.length = length;
  scratch.hostBits = maskV6(scratch.v6, length);
  return i;
}

/** Clears the host bits of a 128-bit address in place; returns true if any were set. */
export function maskV6(words: Uint32Array, length: number): boolean {
  let changed = false;
  for (let k = 0; k < 4; k++) {
    const keep = length - 32 * k;
    const mask = keep >= 32 ? 0xffffffff : keep <= 0 ? 0 : (0xffffffff << (32 - keep)) >>> 0;
    const w = words[k]!;
    const masked = (w & mask) >>> 0;
    if (masked !== w) changed = true;
    words[k] = masked;
  }
  return changed;
}

/** Formats an IPv4 address (unsigned 32-bit) as a dotted quad. */
export function formatV4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`;
}

/** Splits an IPv6 address given as four big-endian words into its eight 16-bit groups. */
export function toGroups(words: ArrayLike<number>, out: { [k: number]: number }): void {
  for (let k = 0; k < 4; k++) {
    out[2 * k] = words[k]! >>> 16;
    out[2 * k + 1] = words[k]! & 0xffff;
  }
}

/**
 * Where RFC 5952 puts the `::`: the longest run of two or more zero groups, the first one winning a tie (section
 * 4.2). Returns `start * 16 + length`, or -1 when no run qualifies.
 */
export function longestZeroRun(g: ArrayLike<number>): number {
  let bestStart = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let j = k;
    while (j < 8 && g[j] === 0) j++;
    if (j - k > bestLen) {
      bestStart = k;
      bestLen = j - k;
    }
    k = j;
  }
  return bestStart < 0 ? -1 : bestStart * 16 + bestLen;
}

/** Formats an IPv6 address given as four big-endian words in RFC 5952 form. */
export function formatV6(words: ArrayLike<number>): string {
  const g = [0, 0, 0, 0, 0, 0, 0, 0];
  toGroups(words, g);
  const run = longestZeroRun(g);
  const bestStart = run < 0 ? -1 : run >> 4;
  const bestLen = run & 15;
  if (bestStart < 0) return g.map((x) => x.toString(16)).join(':');
  const head = g
    .slice(0, bestStart)
    .map((x) => x.toString(16))
    .join(':');
  const tail = g
    .slice(bestStart + bestLen)
    .map((x) => x.toString(16))
    .join(':');
  return `${head}::${tail}`;
}

/** Options of {@link parseCidr}. */
export interface ParseCidrOptions {
  /** Clear host bits instead of refusing them (`11.0.0.5/24` becomes `11.0.0.0/24`). @default false */
  readonly maskHostBits?: boolean;
}

/** The parse failed: `code` says why, `text` is the value seen. */
export class PrefixSyntaxError extends AllowlistSyncError {
  override name = 'PrefixSyntaxError';
  constructor(
    readonly text: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const encoder = new TextEncoder();

/**
 * Parses one prefix or bare address strictly and returns its canonical text. Throws {@link PrefixSyntaxError} with a
 * message that shows the value and the fix. Surrounding whitespace is not accepted: trim at the format layer.
 */
export function parseCidr(text: string, options: ParseCidrOptions = {}): Cidr {
  const bytes = encoder.encode(text);
  const code = parsePrefixBytes(bytes, 0, bytes.length);
  if (code < 0) throw new PrefixSyntaxError(text, parseCodeName(code), describeParseFailure(code, text));
  if (scratch.hostBits && !options.maskHostBits) {
    throw new PrefixSyntaxError(text, 'host-bits', describeHostBits(text));
  }
  return formatScratch(code as Family);
}

/** Formats the prefix currently in {@link scratch} canonically. */
export function formatScratch(family: Family): Cidr {
  const address = family === 4 ? formatV4(scratch.v4) : formatV6(scratch.v6);
  return `${address}/${scratch.length}` as Cidr;
}

/** The family of a canonical prefix. */
export function cidrFamily(cidr: Cidr): Family {
  return cidr.includes(':') ? 6 : 4;
}

/** The prefix length of a canonical prefix. */
export function cidrLength(cidr: Cidr): number {
  return Number(cidr.slice(cidr.lastIndexOf('/') + 1));
}

/** A stable, readable name for a negative ParseCode: used as `Problem.code`. */
export function parseCodeName(code: number): string {
  switch (code) {
    case ParseCode.EMPTY:
      return 'empty';
    case ParseCode.V4_PARTS:
      return 'ipv4-parts';
    case ParseCode.V4_OCTET:
      return 'ipv4-octet';
    case ParseCode.V4_LEADING_ZERO:
      return 'ipv4-leading-zero';
    case ParseCode.LENGTH_SYNTAX:
      return 'length-syntax';
    case ParseCode.LENGTH_RANGE:
      return 'length-range';
    case ParseCode.V6_SYNTAX:
      return 'ipv6-syntax';
    case ParseCode.ZONE:
      return 'zone-id';
    default:
      return 'syntax';
  }
}

/** The message for a failed parse of `text`: what is wrong, what was expected, and the fix where there is one. */
export function describeParseFailure(code: number, text: string): string {
  const shown = JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
  const isV6 = text.includes(':');
  switch (code) {
    case ParseCode.EMPTY:
      return 'empty entry: expected an IPv4 or IPv6 address or prefix';
    case ParseCode.V4_PARTS:
      return `${shown} is not an IPv4 address: it needs exactly four decimal parts (a.b.c.d); short forms like "10.1" are not accepted`;
    case ParseCode.V4_OCTET:
      return `${shown} is not an IPv4 address: each part is a decimal number 0–255`;
    case ParseCode.V4_LEADING_ZERO:
      return `${shown} is not an IPv4 address: a part has a leading zero, which some tools read as octal; write it without`;
    case ParseCode.LENGTH_SYNTAX:
      return `${shown} is not a prefix: the length after "/" must be a decimal number without leading zeros`;
    case ParseCode.LENGTH_RANGE:
      return isV6
        ? `${shown} is not a prefix: IPv6 prefix length is 0–128`
        : `${shown} is not a prefix: IPv4 prefix length is 0–32`;
    case ParseCode.V6_SYNTAX:
      return `${shown} is not an IPv6 address: expected eight groups of 1–4 hex digits, at most one "::" (RFC 4291)`;
    case ParseCode.ZONE:
      return `${shown} has a zone id ("%..."), which means nothing to a packet filter: remove it`;
    default:
      return `${shown} is not an IPv4 or IPv6 address or prefix`;
  }
}

/** The message for a prefix whose host bits are set, with both likely fixes. */
export function describeHostBits(text: string): string {
  const slash = text.lastIndexOf('/');
  const address = text.slice(0, slash);
  const family: Family = text.includes(':') ? 6 : 4;
  const network = formatScratch(family);
  return `"${text}" has host bits set: did you mean ${network} (the whole network) or ${address}/${family === 4 ? 32 : 128} (the one address)? Or set the policy's maskHostBits`;
}
