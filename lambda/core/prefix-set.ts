/**
 * Sets of addresses, per family, stored as sorted, disjoint, non-adjacent ranges [start, end]. A set has exactly one
 * representation, so equality, containment and the minimal CIDR list are all well defined.
 *
 * Aggregation (entries → minimal CIDR list) is the hot path and builds no object per entry: entries are radix-sorted
 * in typed arrays, merged in one pass, and split into aligned blocks with O(1) bit arithmetic. IPv4 addresses are
 * numbers; IPv6 addresses are four 32-bit words, never BigInts, on that path. The set algebra (union, intersection,
 * difference) works on BigInt ranges: it runs on lists of the size a filter holds, not on raw feeds.
 *
 * Pure: no I/O.
 */
import { EntryBuffer } from './entries';
import { type Cidr, type Family, longestZeroRun, parseCidr, parsePrefixBytes, scratch } from './prefix';

const POW2 = Array.from({ length: 33 }, (_, k) => 2 ** k);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An immutable set of IPv4 and IPv6 addresses. */
export class PrefixSet {
  /** The empty set. */
  static readonly EMPTY = new PrefixSet(new Float64Array(0), new Uint32Array(0));

  private constructor(
    /** IPv4 ranges as [start, end] pairs, inclusive, sorted, disjoint and non-adjacent. */
    private readonly v4: Float64Array,
    /** IPv6 ranges as 8 words each (start, end), inclusive, sorted, disjoint and non-adjacent. */
    private readonly v6: Uint32Array,
  ) {}

  /** Aggregates parsed entries (any number of buffers, any order, overlaps and duplicates allowed). */
  static fromEntries(buffers: readonly EntryBuffer[]): PrefixSet {
    return new PrefixSet(mergeV4(buffers), mergeV6(buffers));
  }

  /** Builds a set from canonical prefixes. */
  static fromCidrs(cidrs: Iterable<Cidr>): PrefixSet {
    const entries = new EntryBuffer(64);
    for (const cidr of cidrs) {
      const bytes = encoder.encode(cidr);
      const family = parsePrefixBytes(bytes, 0, bytes.length);
      if (family < 0) throw new TypeError(`not a canonical prefix: ${JSON.stringify(cidr)}`);
      entries.pushScratch(family as Family, 0);
    }
    return PrefixSet.fromEntries([entries]);
  }

  /** Parses and builds a set from prefix texts (strict: host bits refused). For tests and small inputs. */
  static parse(texts: Iterable<string>): PrefixSet {
    return PrefixSet.fromCidrs(Array.from(texts, (t) => parseCidr(t)));
  }

  /** Builds a set from BigInt [start, end] ranges (any order, overlaps allowed). */
  static fromRanges(v4: Iterable<readonly [bigint, bigint]>, v6: Iterable<readonly [bigint, bigint]>): PrefixSet {
    return new PrefixSet(
      Float64Array.from(normalise([...v4]).flat(), Number),
      Uint32Array.from(normalise([...v6]).flatMap(([s, e]) => [...bigToWords(s), ...bigToWords(e)])),
    );
  }

  /** True when the set holds no address. */
  get isEmpty(): boolean {
    return this.v4.length === 0 && this.v6.length === 0;
  }

  /** Number of prefixes in the minimal CIDR list of one family, or of both. */
  prefixCount(family?: Family): number {
    const text = this.familyText(family);
    let n = 0;
    for (let i = 0; i < text.length; i++) if (text[i] === 10) n++;
    return n;
  }

  /** Number of addresses covered, per family. */
  addressCount(family: Family): bigint {
    let n = 0n;
    for (const [s, e] of this.ranges(family)) n += e - s + 1n;
    return n;
  }

  /** The minimal list of canonical CIDRs covering exactly this set: IPv4 ascending, then IPv6 ascending. */
  toCidrs(family?: Family): Cidr[] {
    const text = decoder.decode(this.familyText(family));
    return text === '' ? [] : (text.slice(0, -1).split('\n') as Cidr[]);
  }

  /**
   * The minimal CIDR list as text, one a line, IPv4 then IPv6, written straight into bytes (no string a line). The
   * one place that splits ranges into CIDRs: {@link toCidrs} and {@link prefixCount} read its lines.
   */
  toText(): Uint8Array {
    const writer = new LineWriter(this.v4.length * 20 + this.v6.length * 12 + 64);
    writer.v4Ranges(this.v4);
    writer.v6Ranges(this.v6);
    return writer.bytes();
  }

  private familyText(family: Family | undefined): Uint8Array {
    return family === undefined ? this.toText() : this.only(family).toText();
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

  /** True when every address of `other` is in this set. */
  contains(other: PrefixSet): boolean {
    return other.difference(this).isEmpty;
  }

  /** True when both sets hold exactly the same addresses. */
  equals(other: PrefixSet): boolean {
    return sameArray(this.v4, other.v4) && sameArray(this.v6, other.v6);
  }

  /** Only the addresses of one family. */
  only(family: Family): PrefixSet {
    return family === 4 ? new PrefixSet(this.v4, new Uint32Array(0)) : new PrefixSet(new Float64Array(0), this.v6);
  }

  /** The ranges of one family as BigInt [start, end] pairs, ascending. */
  ranges(family: Family): Array<[bigint, bigint]> {
    const out: Array<[bigint, bigint]> = [];
    if (family === 4) {
      for (let i = 0; i < this.v4.length; i += 2) out.push([BigInt(this.v4[i]!), BigInt(this.v4[i + 1]!)]);
    } else {
      for (let r = 0; r < this.v6.length; r += 8) out.push([wordsToBig(this.v6, r), wordsToBig(this.v6, r + 4)]);
    }
    return out;
  }

  /** Sweeps both sets' boundaries and keeps the ranges where `keep(inThis, inOther)` holds. */
  private combine(other: PrefixSet, keep: (inA: boolean, inB: boolean) => boolean): PrefixSet {
    return PrefixSet.fromRanges(
      sweep(this.ranges(4), other.ranges(4), keep),
      sweep(this.ranges(6), other.ranges(6), keep),
    );
  }
}

/** The inclusive address range of a canonical prefix, and its family. */
export function cidrRange(cidr: Cidr): [bigint, bigint, Family] {
  const bytes = encoder.encode(cidr);
  const family = parsePrefixBytes(bytes, 0, bytes.length);
  if (family < 0) throw new TypeError(`not a canonical prefix: ${JSON.stringify(cidr)}`);
  if (family === 4) {
    const start = scratch.v4;
    return [BigInt(start), BigInt(start + POW2[32 - scratch.length]! - 1), 4];
  }
  const start = wordsToBig(scratch.v6, 0);
  return [start, start + (1n << BigInt(128 - scratch.length)) - 1n, 6];
}

// ---- IPv4: radix sort, merge, split ----

/**
 * Below this many entries the native sort of packed keys is faster than the radix sort, whose two 65,536-slot count
 * tables cost as much as the entries themselves (measured in a fresh process: equal at ~50k entries; at 10k the radix
 * sort's table work is most of its time, at 300k it is 2.4× faster).
 */
export const RADIX_THRESHOLD = 65536;

/**
 * LSD radix sort of IPv4 entries on the address, carrying the length along: two passes of 16 bits, both count
 * tables filled in one read of the input, a pass skipped when every entry has the same digit. Each pass is its own
 * straight loop (no loop over the passes) because it runs once per process, mostly before the JIT has optimized it,
 * and this shape reaches optimized code sooner. Measured on 1M entries in a fresh process: 2 × 16 bits ~30 ms, 3 × 11
 * bits in one function with a shared count pass ~35 ms, 3 × 11 bits with a count pass each ~57 ms.
 */
function radixSortV4(
  address: Uint32Array<ArrayBuffer>,
  length: Uint8Array<ArrayBuffer>,
): [Uint32Array<ArrayBuffer>, Uint8Array<ArrayBuffer>] {
  const total = address.length;
  const low = new Int32Array(65536);
  const high = new Int32Array(65536);
  for (let i = 0; i < total; i++) {
    const a = address[i]!;
    low[a & 0xffff]!++;
    high[a >>> 16]!++;
  }
  // One bucket holding every entry: that pass would not move anything.
  const sortLow = low[address[0]! & 0xffff] !== total;
  const sortHigh = high[address[0]! >>> 16] !== total;
  let sumLow = 0;
  let sumHigh = 0;
  for (let d = 0; d < 65536; d++) {
    const l = low[d]!;
    low[d] = sumLow;
    sumLow += l;
    const h = high[d]!;
    high[d] = sumHigh;
    sumHigh += h;
  }
  // Never writes its input (it may be a parser's buffer): the first pass moves entries to a new pair of columns, the
  // second to another.
  let fromAddress = address;
  let fromLength = length;
  let toAddress = new Uint32Array(total);
  let toLength = new Uint8Array(total);
  if (sortLow) {
    for (let i = 0; i < total; i++) {
      const a = fromAddress[i]!;
      const slot = low[a & 0xffff]!++;
      toAddress[slot] = a;
      toLength[slot] = fromLength[i]!;
    }
    fromAddress = toAddress;
    fromLength = toLength;
    toAddress = sortHigh ? new Uint32Array(total) : toAddress;
    toLength = sortHigh ? new Uint8Array(total) : toLength;
  }
  if (sortHigh) {
    for (let i = 0; i < total; i++) {
      const a = fromAddress[i]!;
      const slot = high[a >>> 16]!++;
      toAddress[slot] = a;
      toLength[slot] = fromLength[i]!;
    }
    fromAddress = toAddress;
    fromLength = toLength;
  }
  return [fromAddress, fromLength];
}

function mergeV4(buffers: readonly EntryBuffer[]): Float64Array {
  let total = 0;
  for (const b of buffers) total += b.v4Count;
  // The sorts below leave their input as it is, so one buffer's columns are used without a copy.
  let address: Uint32Array<ArrayBuffer>;
  let length: Uint8Array<ArrayBuffer>;
  if (buffers.length === 1) {
    address = buffers[0]!.v4Address.subarray(0, total) as Uint32Array<ArrayBuffer>;
    length = buffers[0]!.v4Length.subarray(0, total) as Uint8Array<ArrayBuffer>;
  } else {
    address = new Uint32Array(total);
    length = new Uint8Array(total);
    let k = 0;
    for (const b of buffers) {
      address.set(b.v4Address.subarray(0, b.v4Count), k);
      length.set(b.v4Length.subarray(0, b.v4Count), k);
      k += b.v4Count;
    }
  }
  if (total < RADIX_THRESHOLD) {
    // Small inputs (a planner's sets, one prefix): a native sort beats the counting passes.
    const keys = new Float64Array(total);
    for (let i = 0; i < total; i++) keys[i] = address[i]! * 64 + length[i]!;
    keys.sort();
    address = new Uint32Array(total);
    length = new Uint8Array(total);
    for (let i = 0; i < total; i++) {
      const key = keys[i]!;
      length[i] = key % 64;
      address[i] = (key - length[i]!) / 64;
    }
  } else {
    [address, length] = radixSortV4(address, length);
  }
  const out = new Float64Array(total * 2);
  let n = 0;
  let curStart = -1;
  let curEnd = -2;
  for (let i = 0; i < total; i++) {
    const start = address[i]!;
    const end = start + POW2[32 - length[i]!]! - 1;
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

// ---- IPv6: 128-bit values as four big-endian 32-bit words ----

function mergeV6(buffers: readonly EntryBuffer[]): Uint32Array {
  let total = 0;
  for (const b of buffers) total += b.v6Count;
  if (total === 0) return new Uint32Array(0);
  // The sort below only reads the columns, so one buffer's columns are used as they are, without a copy.
  const only = buffers.length === 1 ? buffers[0]! : undefined;
  const words = only ? only.v6Words.subarray(0, total * 4) : new Uint32Array(total * 4);
  const length = only ? only.v6Length.subarray(0, total) : new Uint8Array(total);
  if (!only) {
    let k = 0;
    for (const b of buffers) {
      words.set(b.v6Words.subarray(0, b.v6Count * 4), k * 4);
      length.set(b.v6Length.subarray(0, b.v6Count), k);
      k += b.v6Count;
    }
  }
  const order = sortV6(words, total);
  const out = new Uint32Array(total * 8);
  let n = 0; // ranges written
  // The current range's last address, word by word. Straight-line code on locals: this loop runs once over every
  // entry, much of it before the JIT has optimized it, where calls and typed-array temporaries cost the most.
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  for (let i = 0; i < total; i++) {
    const entry = order[i]!;
    const at = 4 * entry;
    const s0 = words[at]!;
    const s1 = words[at + 1]!;
    const s2 = words[at + 2]!;
    const s3 = words[at + 3]!;
    const m = 4 * length[entry]!;
    const e0 = (s0 | HOST_MASK[m]!) >>> 0;
    const e1 = (s1 | HOST_MASK[m + 1]!) >>> 0;
    const e2 = (s2 | HOST_MASK[m + 2]!) >>> 0;
    const e3 = (s3 | HOST_MASK[m + 3]!) >>> 0;
    if (n > 0) {
      // Joins the current range when start ≤ end + 1: start ≤ end, or start = end + 1 (end's trailing all-ones words
      // carry into the first word that is not all ones).
      const within = s0 !== d0 ? s0 < d0 : s1 !== d1 ? s1 < d1 : s2 !== d2 ? s2 < d2 : s3 <= d3;
      const adjacent =
        !within &&
        (d3 !== 0xffffffff
          ? s3 === d3 + 1 && s2 === d2 && s1 === d1 && s0 === d0
          : s3 === 0 &&
            (d2 !== 0xffffffff
              ? s2 === d2 + 1 && s1 === d1 && s0 === d0
              : s2 === 0 &&
                (d1 !== 0xffffffff ? s1 === d1 + 1 && s0 === d0 : s1 === 0 && d0 !== 0xffffffff && s0 === d0 + 1)));
      if (within || adjacent) {
        if (e0 !== d0 ? e0 > d0 : e1 !== d1 ? e1 > d1 : e2 !== d2 ? e2 > d2 : e3 > d3) {
          d0 = e0;
          d1 = e1;
          d2 = e2;
          d3 = e3;
          const o = 8 * (n - 1) + 4;
          out[o] = e0;
          out[o + 1] = e1;
          out[o + 2] = e2;
          out[o + 3] = e3;
        }
        continue;
      }
    }
    const o = 8 * n++;
    out[o] = s0;
    out[o + 1] = s1;
    out[o + 2] = s2;
    out[o + 3] = s3;
    out[o + 4] = e0;
    out[o + 5] = e1;
    out[o + 6] = e2;
    out[o + 7] = e3;
    d0 = e0;
    d1 = e1;
    d2 = e2;
    d3 = e3;
  }
  return out.slice(0, 8 * n);
}

/** Little-endian: element i of a BigUint64Array is words 2i (low) and 2i+1 (high) of a Uint32Array view. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * The order of IPv6 entries by address, as entry indices. Each entry becomes one 64-bit key, written through a
 * 32-bit view (no BigInt is made): its top 64 − b address bits above its index in the low b bits. The engine's
 * native BigUint64Array sort orders those keys (about four times faster than an index sort with a four-word
 * comparator, measured on 200k entries); runs of keys with the same address bits are then ordered by full address.
 */
function sortV6(words: Uint32Array, total: number): Uint32Array {
  const bits = Math.max(1, 32 - Math.clz32(total - 1)); // index bits; total ≤ 2^32
  const mask = bits === 32 ? 0xffffffff : 2 ** bits - 1;
  const keys = new BigUint64Array(total);
  const view = new Uint32Array(keys.buffer);
  const lo = LITTLE_ENDIAN ? 0 : 1;
  for (let i = 0; i < total; i++) {
    view[2 * i + lo] = ((words[4 * i + 1]! & ~mask) | i) >>> 0;
    view[2 * i + 1 - lo] = words[4 * i]!;
  }
  keys.sort();
  const order = new Uint32Array(total);
  // Entries whose keys share the address bits are in index order: sort each such run by full address. Runs are
  // short in real lists (duplicates, hosts of one network), so an insertion sort on words 1–3 does it in place; a
  // long run (thousands of hosts of one /64) takes the comparison sort.
  let runStart = 0;
  let runHigh = view[1 - lo]!;
  let runLow = view[lo]! & ~mask;
  for (let i = 0; i <= total; i++) {
    if (i < total) {
      const low = view[2 * i + lo]!;
      order[i] = low & mask;
      if (view[2 * i + 1 - lo] === runHigh && (low & ~mask) === runLow) continue;
    }
    if (i - runStart > 1) sortRun(words, order, runStart, i);
    if (i < total) {
      runStart = i;
      runHigh = view[2 * i + 1 - lo]!;
      runLow = view[2 * i + lo]! & ~mask;
    }
  }
  return order;
}

/** Sorts `order[from, to)` (entries whose word 0 is equal) by words 1–3 of their addresses. */
function sortRun(words: Uint32Array, order: Uint32Array, from: number, to: number): void {
  if (to - from > 32) {
    const run = Array.from(order.subarray(from, to));
    run.sort((x, y) => compare(words, 4 * x, words, 4 * y));
    order.set(run, from);
    return;
  }
  for (let i = from + 1; i < to; i++) {
    const entry = order[i]!;
    const a1 = words[4 * entry + 1]!;
    const a2 = words[4 * entry + 2]!;
    const a3 = words[4 * entry + 3]!;
    let j = i - 1;
    for (; j >= from; j--) {
      const other = 4 * order[j]!;
      const b1 = words[other + 1]!;
      const b2 = words[other + 2]!;
      if (b1 < a1 || (b1 === a1 && (b2 < a2 || (b2 === a2 && words[other + 3]! <= a3)))) break;
      order[j + 1] = order[j]!;
    }
    order[j + 1] = entry;
  }
}

/** For each prefix length 0–128, the host mask of each of the four words: `end = start | mask`. */
const HOST_MASK = (() => {
  const table = new Uint32Array(129 * 4);
  for (let length = 0; length <= 128; length++) {
    for (let k = 0; k < 4; k++) {
      const keep = length - 32 * k;
      table[4 * length + k] = keep >= 32 ? 0 : keep <= 0 ? 0xffffffff : 0xffffffff >>> keep;
    }
  }
  return table;
})();

/** Lexicographic comparison of two 128-bit values. */
function compare(a: Uint32Array, ai: number, b: Uint32Array, bi: number): number {
  for (let k = 0; k < 4; k++) {
    const d = a[ai + k]! - b[bi + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

// ---- Output ----

/** For each byte value: the length of its hex form without leading zeros (1 or 2), then its digits. */
const HEX_BYTE = (() => {
  const table = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) {
    const digits = v.toString(16);
    table[3 * v] = digits.length;
    for (let k = 0; k < digits.length; k++) table[3 * v + 1 + k] = digits.charCodeAt(k);
  }
  return table;
})();

/** For each byte value: 2, then its two hex digits (a leading zero kept). */
const HEX_PAIR = (() => {
  const table = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) {
    const digits = v.toString(16).padStart(2, '0');
    table[3 * v] = 2;
    table[3 * v + 1] = digits.charCodeAt(0);
    table[3 * v + 2] = digits.charCodeAt(1);
  }
  return table;
})();

/** For each byte value 0–255: its decimal digit count, then the digits as ASCII (unused slots zero). */
const OCTET = (() => {
  const table = new Uint8Array(256 * 4);
  for (let v = 0; v < 256; v++) {
    const digits = String(v);
    table[4 * v] = digits.length;
    for (let k = 0; k < digits.length; k++) table[4 * v + 1 + k] = digits.charCodeAt(k);
  }
  return table;
})();

/** Appends canonical prefix lines to a growing byte buffer. */
class LineWriter {
  private buf: Uint8Array;
  private pos = 0;
  private readonly groups = new Uint16Array(8);

  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /**
   * Writes the minimal CIDR lines of IPv4 ranges ([start, end] pairs): each range split into maximal aligned blocks
   * (the largest block aligned at the cursor that ends within the range: O(1) with clz32) and each block's dotted quad
   * written inline on locals from an octet table, because this loop runs once per process over up to millions of lines.
   */
  v4Ranges(ranges: Float64Array): void {
    let buf = this.buf;
    let pos = this.pos;
    for (let r = 0; r < ranges.length; r += 2) {
      let s = ranges[r]!;
      const e = ranges[r + 1]!;
      while (s <= e) {
        const align = s === 0 ? 32 : 31 - Math.clz32(s & -s);
        const span = e - s + 1;
        const fit = span >= 4294967296 ? 32 : 31 - Math.clz32(span);
        const bits = align < fit ? align : fit;
        if (pos + 19 > buf.length) {
          this.pos = pos;
          this.reserve(19);
          buf = this.buf;
        }
        // Each octet's digits from the table (three bytes copied, as many kept as it has), then '.' or '/'.
        for (let shift = 24; shift >= 0; shift -= 8) {
          const o = 4 * ((s >>> shift) & 255);
          buf[pos] = OCTET[o + 1]!;
          buf[pos + 1] = OCTET[o + 2]!;
          buf[pos + 2] = OCTET[o + 3]!;
          pos += OCTET[o]!;
          buf[pos++] = shift > 0 ? 46 : 47;
        }
        const o = 4 * (32 - bits);
        buf[pos] = OCTET[o + 1]!;
        buf[pos + 1] = OCTET[o + 2]!;
        pos += OCTET[o]!;
        buf[pos++] = 10;
        s += POW2[bits]!;
      }
    }
    this.pos = pos;
  }

  /**
   * Writes the minimal CIDR lines of IPv6 ranges (8 words each: start, end), in RFC 5952 form. Like
   * {@link v4Ranges}, the split (128-bit arithmetic on four words) and the formatting run inline on locals: the loop
   * runs once per process, mostly before the JIT has optimized it, where every call and temporary costs.
   */
  v6Ranges(ranges: Uint32Array): void {
    const g = this.groups;
    let buf = this.buf;
    let pos = this.pos;
    for (let r = 0; r < ranges.length; r += 8) {
      let c0 = ranges[r]!;
      let c1 = ranges[r + 1]!;
      let c2 = ranges[r + 2]!;
      let c3 = ranges[r + 3]!;
      const e0 = ranges[r + 4]!;
      const e1 = ranges[r + 5]!;
      const e2 = ranges[r + 6]!;
      const e3 = ranges[r + 7]!;
      for (;;) {
        // span - 1 = end - cursor, word by word with borrow.
        let d3 = e3 - c3;
        let borrow = d3 < 0 ? 1 : 0;
        if (borrow) d3 += 4294967296;
        let d2 = e2 - c2 - borrow;
        borrow = d2 < 0 ? 1 : 0;
        if (borrow) d2 += 4294967296;
        let d1 = e1 - c1 - borrow;
        borrow = d1 < 0 ? 1 : 0;
        if (borrow) d1 += 4294967296;
        const d0 = e0 - c0 - borrow;
        // fit = floor(log2(span)): the bit length of span - 1, plus one when span - 1 is all ones below its top bit.
        let top: number;
        let below: boolean; // the words under the top non-zero word are all ones
        if (d0 !== 0) {
          top = 96 + 32 - Math.clz32(d0);
          below = d1 === 0xffffffff && d2 === 0xffffffff && d3 === 0xffffffff;
        } else if (d1 !== 0) {
          top = 64 + 32 - Math.clz32(d1);
          below = d2 === 0xffffffff && d3 === 0xffffffff;
        } else if (d2 !== 0) {
          top = 32 + 32 - Math.clz32(d2);
          below = d3 === 0xffffffff;
        } else {
          top = 32 - Math.clz32(d3);
          below = true;
        }
        const x = d0 !== 0 ? d0 : d1 !== 0 ? d1 : d2 !== 0 ? d2 : d3;
        const allOnes = below && ((x & (x + 1)) | 0) === 0;
        const fit = allOnes ? top : top - 1;
        // align = trailing zero bits of the cursor.
        const align =
          c3 !== 0
            ? 31 - Math.clz32(c3 & -c3)
            : c2 !== 0
              ? 63 - Math.clz32(c2 & -c2)
              : c1 !== 0
                ? 95 - Math.clz32(c1 & -c1)
                : c0 !== 0
                  ? 127 - Math.clz32(c0 & -c0)
                  : 128;
        const bits = align < fit ? align : fit;
        if (pos + 45 > buf.length) {
          this.pos = pos;
          this.reserve(45);
          buf = this.buf;
        }
        g[0] = c0 >>> 16;
        g[1] = c0 & 0xffff;
        g[2] = c1 >>> 16;
        g[3] = c1 & 0xffff;
        g[4] = c2 >>> 16;
        g[5] = c2 & 0xffff;
        g[6] = c3 >>> 16;
        g[7] = c3 & 0xffff;
        const run = longestZeroRun(g);
        const skipFrom = run < 0 ? 8 : run >> 4;
        const skipTo = run < 0 ? 8 : skipFrom + (run & 15);
        for (let k = 0; k < 8; k++) {
          if (k === skipFrom) {
            buf[pos++] = 58;
            buf[pos++] = 58;
            k = skipTo - 1;
            continue;
          }
          if (k > 0 && k !== skipTo) buf[pos++] = 58;
          const v = g[k]!;
          const hi = v >>> 8;
          if (hi !== 0) {
            const h = 3 * hi;
            buf[pos] = HEX_BYTE[h + 1]!;
            buf[pos + 1] = HEX_BYTE[h + 2]!;
            pos += HEX_BYTE[h]!;
            const l = 3 * (v & 255);
            buf[pos] = HEX_PAIR[l + 1]!;
            buf[pos + 1] = HEX_PAIR[l + 2]!;
            pos += 2;
          } else {
            const l = 3 * v;
            buf[pos] = HEX_BYTE[l + 1]!;
            buf[pos + 1] = HEX_BYTE[l + 2]!;
            pos += HEX_BYTE[l]!;
          }
        }
        buf[pos++] = 47;
        const o = 4 * (128 - bits);
        const k = OCTET[o]!;
        buf[pos] = OCTET[o + 1]!;
        buf[pos + 1] = OCTET[o + 2]!;
        buf[pos + 2] = OCTET[o + 3]!;
        pos += k;
        buf[pos++] = 10;
        // This block ends the range when its size is the whole span.
        if (allOnes && bits === fit) break;
        // cursor += 2^bits (stays ≤ end: the block did not reach it).
        const word = 3 - (bits >>> 5);
        let carry = POW2[bits & 31]!;
        if (word === 3) {
          const sum = c3 + carry;
          c3 = sum >>> 0;
          carry = sum >= 4294967296 ? 1 : 0;
        }
        if (word >= 2 && carry !== 0) {
          const sum = c2 + carry;
          c2 = sum >>> 0;
          carry = sum >= 4294967296 ? 1 : 0;
        }
        if (word >= 1 && carry !== 0) {
          const sum = c1 + carry;
          c1 = sum >>> 0;
          carry = sum >= 4294967296 ? 1 : 0;
        }
        if (carry !== 0) c0 = (c0 + carry) >>> 0;
      }
    }
    this.pos = pos;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

// ---- BigInt ranges, for the set algebra ----

function wordsToBig(w: Uint32Array, at: number): bigint {
  return (BigInt(w[at]!) << 96n) | (BigInt(w[at + 1]!) << 64n) | (BigInt(w[at + 2]!) << 32n) | BigInt(w[at + 3]!);
}

function bigToWords(x: bigint): number[] {
  return [
    Number((x >> 96n) & 0xffffffffn),
    Number((x >> 64n) & 0xffffffffn),
    Number((x >> 32n) & 0xffffffffn),
    Number(x & 0xffffffffn),
  ];
}

/** Sorts and merges [start, end] ranges that may overlap or touch. */
function normalise(ranges: Array<readonly [bigint, bigint]>): Array<[bigint, bigint]> {
  const sorted = [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Array<[bigint, bigint]> = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1] + 1n) {
      if (e > last[1]) last[1] = e;
    } else out.push([s, e]);
  }
  return out;
}

/** Boundaries of both range lists; between consecutive boundaries membership is constant. */
function sweep(
  a: Array<[bigint, bigint]>,
  b: Array<[bigint, bigint]>,
  keep: (inA: boolean, inB: boolean) => boolean,
): Array<[bigint, bigint]> {
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

function sameArray(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
