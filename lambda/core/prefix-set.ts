/**
 * Sets of addresses, per family, stored as sorted, disjoint, non-adjacent ranges [start, end]. A set has exactly one
 * representation, so equality, containment and the minimal CIDR list are all well defined.
 *
 * Aggregation (entries → minimal CIDR list) is the hot path and builds no object per entry: entries are radix-sorted
 * in typed arrays, merged in one pass, and split into aligned blocks with O(1) bit arithmetic. IPv4 addresses are
 * numbers; IPv6 addresses are four 32-bit words, never BigInts, on that path. The set algebra (union, intersection,
 * difference) is one linear merging pass over both operands' ranges in the same arrays: the planners call it per set
 * of a pool on lists of 100,000 prefixes. BigInts appear only at the edges (`ranges`, `fromRanges`, `cidrRange`).
 *
 * The kernels live apart by family: prefix-set-v4.ts (numbers), prefix-set-v6.ts (four-word arithmetic) and
 * prefix-set-text.ts (ranges → CIDR lines); this file is the public class over them.
 *
 * Pure: no I/O.
 */
import { EntryBuffer } from './entries';
import { type Cidr, type Family, parseCidr, parsePrefixBytes, scratch } from './prefix';
import { LineWriter } from './prefix-set-text';
import { combineV4, mergeV4 } from './prefix-set-v4';
import { combineV6, mergeV6 } from './prefix-set-v6';

export { RADIX_THRESHOLD } from './prefix-set-v4';

const POW2 = Array.from({ length: 33 }, (_, k) => 2 ** k);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Truth tables of the set operations: bit 2·inA + inB is set when an address with that membership is kept. */
const UNION = 0b1110;
const INTERSECTION = 0b1000;
const DIFFERENCE = 0b0100;

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
    return this.combine(other, UNION);
  }

  /** Addresses in both sets. */
  intersection(other: PrefixSet): PrefixSet {
    return this.combine(other, INTERSECTION);
  }

  /** Addresses in this set and not in `other`. */
  difference(other: PrefixSet): PrefixSet {
    return this.combine(other, DIFFERENCE);
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

  /** The set of the addresses `keep` selects (a truth table: see `combineV4`), family by family, in linear time. */
  private combine(other: PrefixSet, keep: number): PrefixSet {
    return new PrefixSet(combineV4(this.v4, other.v4, keep), combineV6(this.v6, other.v6, keep));
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

// ---- BigInt ranges, for the public range API ----

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

function sameArray(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
