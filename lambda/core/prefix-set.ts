/**
 * Sets of addresses, per family, stored as sorted, disjoint, non-adjacent ranges [start, end]. A set has exactly one
 * representation, so equality, containment and the minimal CIDR list are all well defined.
 *
 * Aggregation (entries → minimal CIDR list) is the hot path: IPv4 ranges are plain numbers in a Float64Array, sorted
 * natively with no comparator and merged in one pass; IPv6 is sorted on 32-bit words and only the merged ranges
 * become BigInts. The set algebra (union, intersection, difference) works on BigInt ranges: it runs on lists of the
 * size a filter holds, not on raw feeds.
 *
 * Pure: no I/O.
 */
import type { EntryBuffer } from './entries';
import { type Cidr, type Family, formatV4, formatV6, parseCidr } from './prefix';

const TWO32 = 4294967296;
const POW2 = Array.from({ length: 33 }, (_, k) => 2 ** k);
const MAX_V6 = (1n << 128n) - 1n;

/** An immutable set of IPv4 and IPv6 addresses. */
export class PrefixSet {
  /** The empty set. */
  static readonly EMPTY = new PrefixSet(new Float64Array(0), []);

  private constructor(
    /** IPv4 ranges as [start, end] pairs, inclusive, sorted, disjoint and non-adjacent. */
    private readonly v4: Float64Array,
    /** IPv6 ranges as [start, end] pairs, inclusive, sorted, disjoint and non-adjacent. */
    private readonly v6: readonly bigint[],
  ) {}

  /** Aggregates parsed entries (any number of buffers, any order, overlaps and duplicates allowed). */
  static fromEntries(buffers: readonly EntryBuffer[]): PrefixSet {
    return new PrefixSet(mergeV4(buffers), mergeV6(buffers));
  }

  /** Builds a set from canonical prefixes. */
  static fromCidrs(cidrs: Iterable<Cidr>): PrefixSet {
    const v4: number[] = [];
    const v6: bigint[] = [];
    for (const cidr of cidrs) {
      const [start, end, family] = cidrRange(cidr);
      if (family === 4) v4.push(Number(start), Number(end));
      else v6.push(start, end);
    }
    return new PrefixSet(normaliseV4(v4), normaliseV6(v6));
  }

  /** Parses and builds a set from prefix texts (strict, host bits refused). For tests and small inputs. */
  static parse(texts: Iterable<string>): PrefixSet {
    return PrefixSet.fromCidrs(Array.from(texts, (t) => parseCidr(t)));
  }

  /** True when the set holds no address. */
  get isEmpty(): boolean {
    return this.v4.length === 0 && this.v6.length === 0;
  }

  /** Number of prefixes in the minimal CIDR list of one family, or of both. */
  prefixCount(family?: Family): number {
    let n = 0;
    if (family !== 6) for (let i = 0; i < this.v4.length; i += 2) n += countV4(this.v4[i]!, this.v4[i + 1]!);
    if (family !== 4) for (let i = 0; i < this.v6.length; i += 2) n += countV6(this.v6[i]!, this.v6[i + 1]!);
    return n;
  }

  /** Number of addresses covered, per family. */
  addressCount(family: Family): bigint {
    let n = 0n;
    if (family === 4) {
      let sum = 0;
      for (let i = 0; i < this.v4.length; i += 2) sum += this.v4[i + 1]! - this.v4[i]! + 1;
      return BigInt(sum);
    }
    for (let i = 0; i < this.v6.length; i += 2) n += this.v6[i + 1]! - this.v6[i]! + 1n;
    return n;
  }

  /** The minimal list of canonical CIDRs covering exactly this set: IPv4 ascending, then IPv6 ascending. */
  toCidrs(family?: Family): Cidr[] {
    const out: Cidr[] = [];
    if (family !== 6) {
      for (let i = 0; i < this.v4.length; i += 2) {
        splitV4(this.v4[i]!, this.v4[i + 1]!, (s, len) => out.push(`${formatV4(s)}/${len}` as Cidr));
      }
    }
    if (family !== 4) {
      for (let i = 0; i < this.v6.length; i += 2) {
        splitV6(this.v6[i]!, this.v6[i + 1]!, (s, len) => out.push(`${formatV6(bigToWords(s))}/${len}` as Cidr));
      }
    }
    return out;
  }

  /** The minimal CIDR list as text, one a line, IPv4 then IPv6; built straight into a buffer for large sets. */
  toText(): Buffer {
    const lines = this.prefixCount(4);
    const buf = Buffer.allocUnsafe(lines * 19 + 64);
    let pos = 0;
    let out = buf;
    for (let i = 0; i < this.v4.length; i += 2) {
      splitV4(this.v4[i]!, this.v4[i + 1]!, (s, len) => {
        pos = writeV4Line(out, pos, s, len);
      });
    }
    const v6 = this.toCidrs(6);
    if (v6.length > 0) {
      const tail = `${v6.join('\n')}\n`;
      out = Buffer.concat([out.subarray(0, pos), Buffer.from(tail, 'latin1')]);
      pos = out.length;
    }
    return out.subarray(0, pos);
  }

  /** Addresses in this set or in `other`. */
  union(other: PrefixSet): PrefixSet {
    return this.combine(other, (a, b) => a || b);
  }

  /** Addresses in both sets. */
  intersection(other: PrefixSet): PrefixSet {
    return this.combine(other, (a, b) => a && b);
  }

  /** Addresses in this set and not in `other`. */
  difference(other: PrefixSet): PrefixSet {
    return this.combine(other, (a, b) => a && !b);
  }

  /** Sweeps both sets' boundaries and keeps the ranges where `keep(inThis, inOther)` holds. */
  private combine(other: PrefixSet, keep: (inA: boolean, inB: boolean) => boolean): PrefixSet {
    const v4 = sweep(this.ranges(4), other.ranges(4), keep);
    const v6 = sweep(this.ranges(6), other.ranges(6), keep);
    return new PrefixSet(Float64Array.from(v4.flat(), Number), v6.flat());
  }

  /** True when every address of `other` is in this set. */
  contains(other: PrefixSet): boolean {
    return other.difference(this).isEmpty;
  }

  /** True when both sets hold exactly the same addresses. */
  equals(other: PrefixSet): boolean {
    if (this.v4.length !== other.v4.length || this.v6.length !== other.v6.length) return false;
    for (let i = 0; i < this.v4.length; i++) if (this.v4[i] !== other.v4[i]) return false;
    for (let i = 0; i < this.v6.length; i++) if (this.v6[i] !== other.v6[i]) return false;
    return true;
  }

  /** Only the addresses of one family. */
  only(family: Family): PrefixSet {
    return family === 4 ? new PrefixSet(this.v4, []) : new PrefixSet(new Float64Array(0), this.v6);
  }

  /** The ranges of one family as BigInt [start, end] pairs (for tests and reports). */
  ranges(family: Family): Array<[bigint, bigint]> {
    const out: Array<[bigint, bigint]> = [];
    if (family === 4)
      for (let i = 0; i < this.v4.length; i += 2) out.push([BigInt(this.v4[i]!), BigInt(this.v4[i + 1]!)]);
    else for (let i = 0; i < this.v6.length; i += 2) out.push([this.v6[i]!, this.v6[i + 1]!]);
    return out;
  }
}

/** The inclusive address range of a canonical prefix, and its family. */
export function cidrRange(cidr: Cidr): [bigint, bigint, Family] {
  const slash = cidr.lastIndexOf('/');
  const length = Number(cidr.slice(slash + 1));
  const address = cidr.slice(0, slash);
  if (!address.includes(':')) {
    const p = address.split('.');
    const start = ((Number(p[0]) * 256 + Number(p[1])) * 256 + Number(p[2])) * 256 + Number(p[3]);
    return [BigInt(start), BigInt(start + POW2[32 - length]! - 1), 4];
  }
  const start = v6TextToBigInt(address);
  return [start, start + (1n << BigInt(128 - length)) - 1n, 6];
}

function v6TextToBigInt(address: string): bigint {
  const [head = '', tail] = address.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(Number.parseInt(g, 16));
  return value;
}

function mergeV4(buffers: readonly EntryBuffer[]): Float64Array {
  let total = 0;
  for (const b of buffers) total += b.v4Count;
  // Key = start × 64 + length: exact in a double (< 2^39), and a native numeric sort orders by start.
  const keys = new Float64Array(total);
  let k = 0;
  for (const b of buffers) {
    const address = b.v4Address;
    const length = b.v4Length;
    for (let i = 0; i < b.v4Count; i++) keys[k++] = address[i]! * 64 + length[i]!;
  }
  keys.sort();
  const out = new Float64Array(total * 2);
  let n = 0;
  let curStart = -1;
  let curEnd = -2;
  for (let i = 0; i < total; i++) {
    const key = keys[i]!;
    const length = key % 64;
    const start = (key - length) / 64;
    const end = start + POW2[32 - length]! - 1;
    if (start <= curEnd + 1) {
      if (end > curEnd) curEnd = end;
    } else {
      if (curStart >= 0) {
        out[n++] = curStart;
        out[n++] = curEnd;
      }
      curStart = start;
      curEnd = end;
    }
  }
  if (curStart >= 0) {
    out[n++] = curStart;
    out[n++] = curEnd;
  }
  return out.slice(0, n);
}

function mergeV6(buffers: readonly EntryBuffer[]): bigint[] {
  let total = 0;
  for (const b of buffers) total += b.v6Count;
  if (total === 0) return [];
  const words = new Uint32Array(total * 4);
  const lengths = new Uint8Array(total);
  let k = 0;
  for (const b of buffers) {
    words.set(b.v6Words.subarray(0, b.v6Count * 4), k * 4);
    lengths.set(b.v6Length.subarray(0, b.v6Count), k);
    k += b.v6Count;
  }
  const order = Array.from({ length: total }, (_, i) => i);
  order.sort(
    (a, b) =>
      words[4 * a]! - words[4 * b]! ||
      words[4 * a + 1]! - words[4 * b + 1]! ||
      words[4 * a + 2]! - words[4 * b + 2]! ||
      words[4 * a + 3]! - words[4 * b + 3]!,
  );
  const out: bigint[] = [];
  let curStart = -1n;
  let curEnd = -2n;
  for (const i of order) {
    const start =
      (BigInt(words[4 * i]! * TWO32 + words[4 * i + 1]!) << 64n) |
      BigInt(words[4 * i + 2]! * TWO32 + words[4 * i + 3]!);
    const end = start + (1n << BigInt(128 - lengths[i]!)) - 1n;
    if (start <= curEnd + 1n) {
      if (end > curEnd) curEnd = end;
    } else {
      if (curStart >= 0n) out.push(curStart, curEnd);
      curStart = start;
      curEnd = end;
    }
  }
  out.push(curStart, curEnd);
  return out;
}

/** Sorts and merges unsorted, possibly overlapping [start, end] pairs. */
function normaliseV4(pairs: number[]): Float64Array {
  const idx = Array.from({ length: pairs.length / 2 }, (_, i) => i);
  idx.sort((a, b) => pairs[2 * a]! - pairs[2 * b]!);
  const out: number[] = [];
  for (const i of idx) {
    const s = pairs[2 * i]!;
    const e = pairs[2 * i + 1]!;
    const last = out.length - 1;
    if (last > 0 && s <= out[last]! + 1) out[last] = Math.max(out[last]!, e);
    else out.push(s, e);
  }
  return Float64Array.from(out);
}

function normaliseV6(pairs: bigint[]): bigint[] {
  const idx = Array.from({ length: pairs.length / 2 }, (_, i) => i);
  idx.sort((a, b) => (pairs[2 * a]! < pairs[2 * b]! ? -1 : pairs[2 * a]! > pairs[2 * b]! ? 1 : 0));
  const out: bigint[] = [];
  for (const i of idx) {
    const s = pairs[2 * i]!;
    const e = pairs[2 * i + 1]!;
    const last = out.length - 1;
    if (last > 0 && s <= out[last]! + 1n) {
      if (e > out[last]!) out[last] = e;
    } else out.push(s, e);
  }
  return out;
}

/** Splits [s, e] into maximal aligned blocks, calling `emit(start, length)` for each, ascending. */
function splitV4(s: number, e: number, emit: (start: number, length: number) => void): void {
  while (s <= e) {
    let length = 0;
    // The shortest length whose block is aligned at s and ends within e.
    while (s % POW2[32 - length]! !== 0 || s + POW2[32 - length]! - 1 > e) length++;
    emit(s, length);
    s += POW2[32 - length]!;
  }
}

function countV4(s: number, e: number): number {
  let n = 0;
  splitV4(s, e, () => n++);
  return n;
}

function splitV6(s: bigint, e: bigint, emit: (start: bigint, length: number) => void): void {
  while (s <= e) {
    const size = e - s + 1n;
    let bits = size === 1n << 128n ? 128 : size.toString(2).length - 1; // floor(log2(size))
    const align = s === 0n ? 128 : trailingZeros(s);
    if (align < bits) bits = align;
    emit(s, 128 - bits);
    s += 1n << BigInt(bits);
    if (s > MAX_V6) break;
  }
}

function countV6(s: bigint, e: bigint): number {
  let n = 0;
  splitV6(s, e, () => n++);
  return n;
}

function trailingZeros(x: bigint): number {
  return (x & -x).toString(2).length - 1;
}

function bigToWords(x: bigint): number[] {
  return [
    Number((x >> 96n) & 0xffffffffn),
    Number((x >> 64n) & 0xffffffffn),
    Number((x >> 32n) & 0xffffffffn),
    Number(x & 0xffffffffn),
  ];
}

function sweep(
  a: Array<[bigint, bigint]>,
  b: Array<[bigint, bigint]>,
  keep: (inA: boolean, inB: boolean) => boolean,
): Array<[bigint, bigint]> {
  // Boundaries: each range contributes start and end + 1; between consecutive boundaries membership is constant.
  const points = new Set<bigint>();
  for (const [s, e] of a) points.add(s).add(e + 1n);
  for (const [s, e] of b) points.add(s).add(e + 1n);
  const sorted = [...points].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const out: Array<[bigint, bigint]> = [];
  let ia = 0;
  let ib = 0;
  for (let k = 0; k + 1 < sorted.length; k++) {
    const lo = sorted[k]!;
    const hi = sorted[k + 1]! - 1n;
    while (ia < a.length && a[ia]![1] < lo) ia++;
    while (ib < b.length && b[ib]![1] < lo) ib++;
    const inA = ia < a.length && a[ia]![0] <= lo;
    const inB = ib < b.length && b[ib]![0] <= lo;
    if (!keep(inA, inB)) continue;
    const last = out[out.length - 1];
    if (last && last[1] + 1n === lo) last[1] = hi;
    else out.push([lo, hi]);
  }
  return out;
}

/** Writes `a.b.c.d/len\n` at `pos`; returns the new position. */
function writeV4Line(buf: Buffer, pos: number, addr: number, length: number): number {
  pos = writeOctet(buf, pos, Math.floor(addr / 16777216));
  buf[pos++] = 46;
  pos = writeOctet(buf, pos, (addr >>> 16) & 255);
  buf[pos++] = 46;
  pos = writeOctet(buf, pos, (addr >>> 8) & 255);
  buf[pos++] = 46;
  pos = writeOctet(buf, pos, addr & 255);
  buf[pos++] = 47;
  pos = writeOctet(buf, pos, length);
  buf[pos++] = 10;
  return pos;
}

function writeOctet(buf: Buffer, pos: number, v: number): number {
  if (v >= 100) {
    buf[pos++] = 48 + Math.floor(v / 100);
    buf[pos++] = 48 + (Math.floor(v / 10) % 10);
  } else if (v >= 10) {
    buf[pos++] = 48 + Math.floor(v / 10);
  }
  buf[pos++] = 48 + (v % 10);
  return pos;
}
