/**
 * `explain`'s search: for one address or prefix, which entries of an allowlist's parsed sources cover it (every one,
 * with where it was written), what the aggregated set admits of it and which of the set's minimal prefixes hold it,
 * and, when nothing admits it, the nearest entries by address distance, so a typo or a too-narrow range is visible.
 *
 * It searches the parsed entries (not the aggregated set) because an operator needs the line to edit, and a prefix
 * made by aggregation has no line. A linear scan of the typed columns per query: `explain` asks about a handful of
 * addresses, and building an index for a million-line feed would cost more than the scans.
 *
 * Pure: no I/O, no clock.
 */
import type { EntryBuffer } from './entries';
import { formatOrigin, type Origin } from './errors';
import type { ExpiredEntry } from './formats-common';
import { allowlistDocumentSchema } from './formats-json';
import { type Cidr, type Family, formatV4, formatV6 } from './prefix';
import { cidrRange, PrefixSet } from './prefix-set';

/** What a structured entry says about itself besides its prefix. */
export interface EntryMeta {
  readonly note?: string;
  readonly owner?: string;
  readonly expires?: string;
}

/** One parsed source to search: its entries, where each came from, and (structured format) what each says. */
export interface SearchSource {
  readonly entries: EntryBuffer;
  describe(origin: number): Origin;
  /** The note, owner and expiry of the entry with this origin, where the format carries them. */
  meta?(origin: number): EntryMeta | undefined;
  /** Entries left out because they expired: shown when they would have covered the query. */
  readonly expired?: readonly ExpiredEntry[];
}

/** One source entry that covers some or all of the query. */
export interface CoveringEntry extends EntryMeta {
  /** The entry, canonical. */
  readonly prefix: Cidr;
  /** Where it is written: `FILE:LINE`, `inline:N`, `SOURCE:entries[3].prefix`. */
  readonly where: string;
  /** `whole` when the entry alone admits every address of the query, `part` when it admits only some. */
  readonly covers: 'whole' | 'part';
  /** True for an entry left out because it expired: it admits nothing now. */
  readonly expired?: boolean;
}

/** An entry near a query that nothing admits. */
export interface NearEntry extends EntryMeta {
  readonly prefix: Cidr;
  readonly where: string;
  /** Addresses between the query and the entry (decimal: IPv6 needs BigInt). */
  readonly distance: string;
  /** The shortest prefix that would hold both the entry and the query: how much wider the entry would need to be. */
  readonly commonPrefix: Cidr;
}

/** What one allowlist says about one query. */
export interface Explanation {
  /** `yes` when the allowlist admits every address of the query, `partly` when some, `no` when none. */
  readonly admitted: 'yes' | 'partly' | 'no';
  /** Every entry that covers some of the query, in source order (expired ones last). */
  readonly entries: readonly CoveringEntry[];
  /** The aggregated prefixes (what the targets hold) that overlap the query. */
  readonly held: readonly Cidr[];
  /** When nothing admits the query: the nearest entries, closest first (at most `nearest`). */
  readonly nearest: readonly NearEntry[];
}

/** Explains one canonical query against an allowlist's aggregated set and its parsed sources. */
export function explainPrefix(
  query: Cidr,
  set: PrefixSet,
  sources: readonly SearchSource[],
  options: { readonly nearest?: number } = {},
): Explanation {
  const [start, end, family] = cidrRange(query);
  const own = PrefixSet.fromCidrs([query]);
  const admittedSet = set.intersection(own);
  const admitted = admittedSet.isEmpty ? 'no' : admittedSet.equals(own) ? 'yes' : 'partly';
  const entries: CoveringEntry[] = [];
  for (const source of sources) {
    scan(source.entries, family, (s, e, length, origin) => {
      if (e < start || s > end) return;
      entries.push({
        prefix: format(family, s, length),
        where: formatOrigin(source.describe(origin)),
        covers: s <= start && e >= end ? 'whole' : 'part',
        ...source.meta?.(origin),
      });
    });
  }
  for (const source of sources) {
    for (const x of source.expired ?? []) {
      const [s, e, f] = cidrRange(x.prefix as Cidr);
      if (f !== family || e < start || s > end) continue;
      entries.push({
        prefix: x.prefix as Cidr,
        where: x.where,
        covers: s <= start && e >= end ? 'whole' : 'part',
        expires: x.expires,
        expired: true,
      });
    }
  }
  return {
    admitted,
    entries,
    held: admitted === 'no' ? [] : heldPrefixes(set, family, start, end),
    nearest: admitted === 'no' ? nearestEntries(sources, family, start, end, options.nearest ?? 3) : [],
  };
}

/** The minimal prefixes of `set` that overlap [start, end]: split only the set's ranges that touch the query. */
function heldPrefixes(set: PrefixSet, family: Family, start: bigint, end: bigint): Cidr[] {
  const touching = set.ranges(family).filter(([s, e]) => e >= start && s <= end);
  const cidrs = PrefixSet.fromRanges(family === 4 ? touching : [], family === 6 ? touching : []).toCidrs(family);
  return cidrs.filter((c) => {
    const [s, e] = cidrRange(c);
    return e >= start && s <= end;
  });
}

function nearestEntries(
  sources: readonly SearchSource[],
  family: Family,
  start: bigint,
  end: bigint,
  k: number,
): NearEntry[] {
  const found: Array<{ distance: bigint; s: bigint; length: number; source: SearchSource; origin: number }> = [];
  for (const source of sources) {
    scan(source.entries, family, (s, e, length, origin) => {
      const distance = e < start ? start - e : s > end ? s - end : 0n;
      found.push({ distance, s, length, source, origin });
      // Keep the k best so far (ties: the narrower entry first, then address order): a feed can be long.
      found.sort((a, b) => cmp(a.distance, b.distance) || b.length - a.length || cmp(a.s, b.s));
      if (found.length > k) found.pop();
    });
  }
  return found.map((x) => ({
    prefix: format(family, x.s, x.length),
    where: formatOrigin(x.source.describe(x.origin)),
    distance: x.distance.toString(),
    commonPrefix: commonPrefix(family, x.s, start),
    ...x.source.meta?.(x.origin),
  }));
}

/** The shortest prefix holding both addresses' networks: the common leading bits of `a` and `b`. */
export function commonPrefix(family: Family, a: bigint, b: bigint): Cidr {
  const bits = family === 4 ? 32 : 128;
  let length = 0;
  while (length < bits && ((a ^ b) >> BigInt(bits - 1 - length)) % 2n === 0n) length++;
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - length)) - 1n);
  return format(family, a & mask, length);
}

/** Calls `visit(start, end, length, origin)` for every entry of one family. */
function scan(
  entries: EntryBuffer,
  family: Family,
  visit: (start: bigint, end: bigint, length: number, origin: number) => void,
): void {
  if (family === 4) {
    for (let i = 0; i < entries.v4Count; i++) {
      const s = entries.v4Address[i]!;
      const length = entries.v4Length[i]!;
      visit(BigInt(s), BigInt(s + 2 ** (32 - length) - 1), length, entries.v4Origin[i]!);
    }
    return;
  }
  const w = entries.v6Words;
  for (let i = 0; i < entries.v6Count; i++) {
    const s =
      (BigInt(w[4 * i]!) << 96n) |
      (BigInt(w[4 * i + 1]!) << 64n) |
      (BigInt(w[4 * i + 2]!) << 32n) |
      BigInt(w[4 * i + 3]!);
    const length = entries.v6Length[i]!;
    visit(s, s + (1n << BigInt(128 - length)) - 1n, length, entries.v6Origin[i]!);
  }
}

function format(family: Family, start: bigint, length: number): Cidr {
  if (family === 4) return `${formatV4(Number(start))}/${length}` as Cidr;
  const words = [0, 1, 2, 3].map((i) => Number((start >> BigInt(96 - 32 * i)) & 0xffffffffn));
  return `${formatV6(words)}/${length}` as Cidr;
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The note, owner and expiry of each entry of a structured allowlist document, by origin (the entry's index, which is
 * what the `allowlist` format records). Read again from the bytes rather than kept by the parser: the hot path keeps
 * no object per entry, and `explain` needs them only for the few entries it shows.
 */
export function documentEntryMeta(bytes: Uint8Array): (origin: number) => EntryMeta | undefined {
  const parsed = allowlistDocumentSchema().safeParse(JSON.parse(new TextDecoder().decode(bytes)));
  const entries = parsed.success ? parsed.data.entries : [];
  return (origin) => {
    const e = entries[origin];
    if (!e) return undefined;
    return {
      ...(e.note !== undefined ? { note: e.note } : {}),
      ...(e.owner !== undefined ? { owner: e.owner } : {}),
      ...(e.expires !== undefined ? { expires: e.expires } : {}),
    };
  };
}
