/**
 * Ordering and overlap helpers over canonical prefixes, shared by the WAF IP set and prefix list planners.
 *
 * Planners must be deterministic whatever order AWS or the source listed things in, so every list they emit is sorted
 * by address value (then by length), never by text: `10.0.0.0/8` < `9.0.0.0/8` as text but not as an address.
 *
 * Pure: no I/O.
 */
import { type Cidr, type Family, parsePrefixBytes, scratch } from './prefix';

/** Compares two canonical prefixes by family, then start address, then prefix length (shorter first). */
export function compareCidrs(a: Cidr, b: Cidr): number {
  return compareRanges(cidrBounds(a), cidrBounds(b));
}

/** The distinct prefixes of `cidrs`, sorted by {@link compareCidrs}. */
export function sortCidrs(cidrs: Iterable<Cidr>): Cidr[] {
  // Decorate once: parsing a prefix per comparison costs more than the sort itself on lists of thousands. The keys are
  // numbers (an IPv4 start, an IPv6 start's four words), not BigInts: the planners sort every set of a pool this way
  // on each plan, and a BigInt per prefix was most of a WAF plan's time once the set algebra was linear.
  const keyed = Array.from(new Set(cidrs), sortKey);
  keyed.sort(compareKeys);
  return keyed.map((k) => k.cidr);
}

/** A prefix with its order: family, start address (IPv4 in w0; IPv6 in w0–w3, most significant first), length. */
interface SortKey {
  readonly cidr: Cidr;
  readonly family: number;
  readonly w0: number;
  readonly w1: number;
  readonly w2: number;
  readonly w3: number;
  readonly length: number;
}

const keyBytes = new Uint8Array(64);
const keyEncoder = new TextEncoder();

function sortKey(cidr: Cidr): SortKey {
  // The project's one prefix parser (prefix.ts), on the text's bytes; a canonical prefix is at most 43 characters.
  const { written } = keyEncoder.encodeInto(cidr, keyBytes);
  const family = parsePrefixBytes(keyBytes, 0, written);
  if (family < 0 || written >= keyBytes.length) throw new TypeError(`not a canonical prefix: ${JSON.stringify(cidr)}`);
  const { length } = scratch;
  if (family === 4) return { cidr, family, w0: scratch.v4, w1: 0, w2: 0, w3: 0, length };
  const [w0 = 0, w1 = 0, w2 = 0, w3 = 0] = scratch.v6;
  return { cidr, family, w0, w1, w2, w3, length };
}

/** The order of {@link compareCidrs}: at the same start the shorter prefix (the wider block) comes first. */
function compareKeys(a: SortKey, b: SortKey): number {
  return a.family - b.family || a.w0 - b.w0 || a.w1 - b.w1 || a.w2 - b.w2 || a.w3 - b.w3 || a.length - b.length;
}

function compareRanges([sa, ea, fa]: [bigint, bigint, Family], [sb, eb, fb]: [bigint, bigint, Family]): number {
  if (fa !== fb) return fa - fb;
  if (sa !== sb) return sa < sb ? -1 : 1;
  // Same start: the wider block (larger end) first.
  return ea === eb ? 0 : ea > eb ? -1 : 1;
}

/**
 * An index of prefixes for "which of these overlap that prefix?" queries. Two prefixes overlap exactly when one
 * contains the other, so a query looks up every shorter supernet of the prefix (by the lengths present) and scans the
 * sorted starts inside the prefix for the nested ones.
 */
export class OverlapIndex<T> {
  private readonly bySupernet = new Map<string, T[]>();
  private readonly lengths: Set<number>[] = [
    new Set(),
    new Set(),
    new Set(),
    new Set(),
    new Set(),
    new Set(),
    new Set(),
  ];
  private readonly starts: { readonly family: Family; readonly start: bigint; readonly value: T }[] = [];
  private sorted = true;

  /** Adds a prefix with the value a query returns for it. */
  add(cidr: Cidr, value: T): void {
    const [start, end, family] = cidrBounds(cidr);
    const length = lengthOf(start, end, family);
    const key = `${family}:${start}:${length}`;
    const list = this.bySupernet.get(key);
    if (list) list.push(value);
    else this.bySupernet.set(key, [value]);
    this.lengths[family]!.add(length);
    this.starts.push({ family, start, value });
    this.sorted = false;
  }

  /** The values of every indexed prefix that shares at least one address with `cidr` (duplicates possible). */
  overlapping(cidr: Cidr): T[] {
    if (!this.sorted) {
      this.starts.sort((a, b) => a.family - b.family || (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
      this.sorted = true;
    }
    const [start, end, family] = cidrBounds(cidr);
    const bits = family === 4 ? 32 : 128;
    const length = lengthOf(start, end, family);
    const out: T[] = [];
    // Indexed prefixes that contain `cidr` (strictly shorter): mask `start` to each length present.
    for (const l of this.lengths[family]!) {
      if (l >= length) continue;
      const size = 1n << BigInt(bits - l);
      const masked = start - (start % size);
      const hit = this.bySupernet.get(`${family}:${masked}:${l}`);
      if (hit) out.push(...hit);
    }
    // Indexed prefixes inside `cidr` (including equal): their starts fall within [start, end].
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const s = this.starts[mid]!;
      if (s.family < family || (s.family === family && s.start < start)) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.starts.length; i++) {
      const s = this.starts[i]!;
      if (s.family !== family || s.start > end) break;
      out.push(s.value);
    }
    return out;
  }
}

function lengthOf(start: bigint, end: bigint, family: Family): number {
  const size = end - start + 1n;
  return (family === 4 ? 32 : 128) - (size.toString(2).length - 1);
}

const POW2 = Array.from({ length: 33 }, (_, k) => 2 ** k);

/**
 * The inclusive address range of a canonical prefix, and its family, read straight from the canonical text (the
 * planners call this per entry, so it must not build a set).
 */
export function cidrBounds(cidr: Cidr): [bigint, bigint, Family] {
  const slash = cidr.lastIndexOf('/');
  const length = Number(cidr.slice(slash + 1));
  const address = cidr.slice(0, slash);
  if (!address.includes(':')) {
    const p = address.split('.');
    const start = ((Number(p[0]) * 256 + Number(p[1])) * 256 + Number(p[2])) * 256 + Number(p[3]);
    return [BigInt(start), BigInt(start + POW2[32 - length]! - 1), 4];
  }
  const [head = '', tail] = address.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  let start = 0n;
  for (const g of groups) start = (start << 16n) | BigInt(Number.parseInt(g, 16));
  return [start, start + (1n << BigInt(128 - length)) - 1n, 6];
}
