/**
 * Small, strict CIDR helpers for the fakes, over BigInt. Deliberately independent of `lambda/core`: the fakes must not
 * share code (or bugs) with the code under test.
 */

/** An IP family: 4 or 6. */
export type Family = 4 | 6;

/** A parsed CIDR: its family, first address (host bits cleared), prefix length and whether host bits were set. */
export interface ParsedCidr {
  readonly family: Family;
  /** The network address: host bits cleared. */
  readonly network: bigint;
  readonly length: number;
  /** True when the text had bits set below the prefix length (`10.0.0.5/24`). */
  readonly hostBitsSet: boolean;
}

/** An inclusive address interval `[start, end]`. */
export type Range = readonly [bigint, bigint];

const V4_OCTET = /^(?:0|[1-9]\d{0,2})$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

function bitsOf(family: Family): number {
  return family === 4 ? 32 : 128;
}

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!V4_OCTET.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  if (text.includes('%')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): bigint[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    const out: bigint[] = [];
    for (let i = 0; i < groups.length; i += 1) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = parseV4(g);
        if (v4 === undefined) return undefined;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else if (HEXTET.test(g)) {
        out.push(BigInt(Number.parseInt(g, 16)));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<bigint>(halves.length === 2 ? missing : 0).fill(0n), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parses an address (no prefix length) strictly: four-part decimal IPv4 or RFC 4291 IPv6 text. */
export function parseAddress(text: string): { family: Family; value: bigint } | undefined {
  if (text.includes(':')) {
    const value = parseV6(text);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseV4(text);
  return value === undefined ? undefined : { family: 4, value };
}

/** Parses `address/length` strictly; a bare address without `/length` is not a CIDR. */
export function parseCidr(text: string): ParsedCidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) return undefined;
  const address = parseAddress(text.slice(0, slash));
  const lengthText = text.slice(slash + 1);
  if (address === undefined || !/^(?:0|[1-9]\d{0,2})$/.test(lengthText)) return undefined;
  const length = Number(lengthText);
  const bits = bitsOf(address.family);
  if (length > bits) return undefined;
  const hostMask = (1n << BigInt(bits - length)) - 1n;
  return {
    family: address.family,
    network: address.value & ~hostMask,
    length,
    hostBitsSet: (address.value & hostMask) !== 0n,
  };
}

/** Formats an address: dotted decimal, or RFC 5952 compressed lower-case IPv6. */
export function formatAddress(family: Family, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => ((value >> shift) & 0xffn).toString()).join('.');
  }
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => (value >> shift) & 0xffffn);
  // RFC 5952: compress the longest run (length >= 2) of zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0n) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0n) j += 1;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** The canonical text of a parsed CIDR (host bits cleared), the form EC2 stores. */
export function formatCidr(cidr: ParsedCidr): string {
  return `${formatAddress(cidr.family, cidr.network)}/${cidr.length}`;
}

/** Canonicalises CIDR text, or returns undefined when it is not a CIDR. */
export function canonicalCidr(text: string): string | undefined {
  const parsed = parseCidr(text);
  return parsed === undefined ? undefined : formatCidr(parsed);
}

/** The inclusive address interval a parsed CIDR covers. */
export function rangeOf(cidr: ParsedCidr): Range {
  const size = 1n << BigInt(bitsOf(cidr.family) - cidr.length);
  return [cidr.network, cidr.network + size - 1n];
}

/** Sorts and merges intervals, joining overlapping and adjacent ones. */
export function mergeRanges(ranges: Iterable<Range>): Range[] {
  const sorted = [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const [start, end] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && start <= last[1] + 1n) {
      if (end > last[1]) last[1] = end;
    } else {
      out.push([start, end]);
    }
  }
  return out;
}

/** Merged address intervals of CIDR texts of one family; texts of the other family or not CIDRs are skipped. */
export function rangesOfCidrs(cidrs: Iterable<string>, family: Family): Range[] {
  const ranges: Range[] = [];
  for (const text of cidrs) {
    const parsed = parseCidr(text);
    if (parsed !== undefined && parsed.family === family) ranges.push(rangeOf(parsed));
  }
  return mergeRanges(ranges);
}
