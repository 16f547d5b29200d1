/**
 * The entry policy: what an allowlist may contain, checked over every entry of every source before anything is
 * aggregated or applied. It refuses `/0` always, entries broader than the per-family floor, entries overlapping a
 * special-purpose range (private ranges only unless `allowPrivate`), a list longer than `maxEntries`, and an empty
 * list or source unless `allowEmpty`. Every violation is listed at once (capped), each with where it came from.
 *
 * The check runs over the columnar entries, so it costs a few comparisons per entry and builds a string only for a
 * violation. Pure: no I/O.
 */
import * as z from 'zod';
import type { EntryBuffer } from './entries';
import { type Origin, PolicyError, type Problem } from './errors';
import { type Family, formatV4, formatV6 } from './prefix';
import {
  findSpecialV4,
  findSpecialV6,
  SPECIAL_RANGES_V4,
  SPECIAL_RANGES_V6,
  type SpecialRange,
} from './special-ranges';

/** At most this many violations are listed; the error then says it was truncated. */
export const MAX_VIOLATIONS = 100;

/** One source's entries as the policy sees them. */
export interface PolicyInput {
  readonly label: string;
  readonly entries: EntryBuffer;
  /** Where the entry with this origin integer came from. */
  describe(origin: number): Origin;
  /** How many entries were left out because they expired (for the empty-list message). */
  readonly expiredCount?: number;
}

/**
 * Relaxations the CLI may ask for explicitly; a sync never does. `allowSpecialPurpose` lets `aggregate`/`validate`
 * look at a blocklist full of bogons; `/0` stays refused.
 */
export interface PolicyRelaxations {
  readonly allowSpecialPurpose?: boolean;
}

/** The violations found, capped at {@link MAX_VIOLATIONS}. */
export interface PolicyResult {
  readonly violations: Problem[];
  readonly truncated: boolean;
}

/** Digit grouping for messages. Built on first use: ICU's set-up costs ~20 ms, which a list without violations never needs. */
let grouping: Intl.NumberFormat | undefined;
const group = {
  format: (n: number): string => {
    grouping ??= new Intl.NumberFormat('en-US');
    return grouping.format(n);
  },
};
const POW2 = Array.from({ length: 33 }, (_, k) => 2 ** k);

/**
 * The policy's defaults, here rather than only in the zod schema so that the CLI's hot path can build a policy
 * without loading zod. lambda/config/index.ts takes its defaults from this object.
 */
export const DEFAULT_POLICY = Object.freeze({
  minPrefixLength: Object.freeze({ ipv4: 16, ipv6: 32 }),
  allowPrivate: false,
  maskHostBits: false,
  allowEmpty: false,
  maxEntries: 1_000_000,
});

/** The entry policy: what a list may contain. The defaults suit a partner or office list. */
export const PolicySchema = z.strictObject({
  /**
   * Breadth floors: the shortest prefix length accepted per family. The defaults (/16 and /32) let any partner,
   * office or CI list through and stop a typo like `/3`. Lower them for CDN feeds (Cloudflare publishes /13 and /29).
   */
  minPrefixLength: z
    .strictObject({
      ipv4: z.int().min(1).max(32).default(DEFAULT_POLICY.minPrefixLength.ipv4),
      ipv6: z.int().min(1).max(128).default(DEFAULT_POLICY.minPrefixLength.ipv6),
    })
    .default({ ...DEFAULT_POLICY.minPrefixLength }),
  /** Accept RFC 1918 private IPv4 and IPv6 unique-local (fc00::/7) ranges. @default false */
  allowPrivate: z.boolean().default(DEFAULT_POLICY.allowPrivate),
  /** Clear host bits (`11.0.0.5/24` → `11.0.0.0/24`) instead of refusing the entry. @default false */
  maskHostBits: z.boolean().default(DEFAULT_POLICY.maskHostBits),
  /** Accept an empty list (it would remove every entry from every target). @default false */
  allowEmpty: z.boolean().default(DEFAULT_POLICY.allowEmpty),
  /** Refuse a list with more entries than this (before aggregation). @default 1,000,000 */
  maxEntries: z.int().positive().default(DEFAULT_POLICY.maxEntries),
});
/** The entry policy. */
export type Policy = z.infer<typeof PolicySchema>;

/** First octets that some special-purpose IPv4 range touches: an entry inside any other /8 needs no table scan. */
const SPECIAL_OCTETS = (() => {
  const octets = new Uint8Array(256);
  for (const range of SPECIAL_RANGES_V4) octets.fill(1, range.start[0]! >>> 24, (range.end[0]! >>> 24) + 1);
  return octets;
})();

/** First 16-bit groups that some special-purpose IPv6 range touches: the same shortcut for IPv6 /16s. */
const SPECIAL_GROUPS = (() => {
  const groups = new Uint8Array(65536);
  for (const range of SPECIAL_RANGES_V6) groups.fill(1, range.start[0]! >>> 16, (range.end[0]! >>> 16) + 1);
  return groups;
})();

/** Finds every violation of `policy` in `inputs` (all sources of one allowlist together). */
export function findPolicyViolations(
  inputs: readonly PolicyInput[],
  policy: Policy,
  relax: PolicyRelaxations = {},
): PolicyResult {
  const violations: Problem[] = [];
  let truncated = false;
  const add = (problem: Problem): boolean => {
    if (violations.length >= MAX_VIOLATIONS) {
      truncated = true;
      return false;
    }
    violations.push(problem);
    return true;
  };
  const checkSpecial = relax.allowSpecialPurpose !== true;
  const floor4 = policy.minPrefixLength.ipv4;
  const floor6 = policy.minPrefixLength.ipv6;
  const end6 = new Uint32Array(4);
  let total = 0;
  let expired = 0;
  scan: for (const input of inputs) {
    const { entries } = input;
    total += entries.count;
    expired += input.expiredCount ?? 0;
    for (let i = 0; i < entries.v4Count; i++) {
      const length = entries.v4Length[i]!;
      const start = entries.v4Address[i]!;
      if (length >= floor4 && (!checkSpecial || (length >= 8 && SPECIAL_OCTETS[start >>> 24] === 0))) continue;
      const end = start + POW2[32 - length]! - 1;
      const special = checkSpecial ? findSpecialV4(start, end, policy.allowPrivate) : undefined;
      if (length >= floor4 && special === undefined) continue;
      const at = () => input.describe(entries.v4Origin[i]!);
      const text = `${formatV4(start)}/${length}`;
      if (!reportEntry(add, at, text, 4, length, floor4, special)) break scan;
    }
    const words = entries.v6Words;
    for (let i = 0; i < entries.v6Count; i++) {
      const length = entries.v6Length[i]!;
      if (length >= floor6 && (!checkSpecial || (length >= 16 && SPECIAL_GROUPS[words[4 * i]! >>> 16] === 0))) continue;
      let special: SpecialRange | undefined;
      if (checkSpecial) {
        lastAddress(words, 4 * i, length, end6);
        special = findSpecialV6(words, 4 * i, end6, policy.allowPrivate);
      }
      if (length >= floor6 && special === undefined) continue;
      const at = () => input.describe(entries.v6Origin[i]!);
      const text = `${formatV6(words.subarray(4 * i, 4 * i + 4))}/${length}`;
      const advice = special && isMapped(special) ? mappedAdvice(words, 4 * i, length) : undefined;
      if (!reportEntry(add, at, text, 6, length, floor6, special, advice)) break scan;
    }
  }
  const labels = inputs.map((input) => input.label).join(', ') || '(no sources)';
  if (total > policy.maxEntries) {
    add({
      origin: { source: labels },
      value: String(total),
      message: `the allowlist has ${group.format(total)} entries, more than the policy's maxEntries (${group.format(policy.maxEntries)}): refusing; raise maxEntries if the list really is this long`,
      code: 'too-many',
    });
  }
  if (!policy.allowEmpty) checkEmpty(inputs, total, expired, labels, add);
  return { violations, truncated };
}

/** Throws a {@link PolicyError} listing every violation, or returns when there is none. */
export function enforcePolicy(inputs: readonly PolicyInput[], policy: Policy, relax: PolicyRelaxations = {}): void {
  const { violations, truncated } = findPolicyViolations(inputs, policy, relax);
  if (violations.length > 0) throw new PolicyError(violations, truncated);
}

function checkEmpty(
  inputs: readonly PolicyInput[],
  total: number,
  expired: number,
  labels: string,
  add: (p: Problem) => boolean,
): void {
  if (total === 0) {
    const why = expired > 0 ? ` (${expired} expired entr${expired === 1 ? 'y was' : 'ies were'} left out)` : '';
    add({
      origin: { source: labels },
      value: '',
      message: `the allowlist is empty${why}: refusing, because applying it would remove every entry; set allowEmpty if you mean it`,
      code: 'empty',
    });
    return;
  }
  // One empty source among several is refused too: a feed that broke into an empty body would silently remove
  // everything it contributed.
  if (inputs.length < 2) return;
  for (const input of inputs) {
    if (input.entries.count > 0) continue;
    add({
      origin: { source: input.label },
      value: '',
      message: `this source is empty: refusing, because applying it would remove every entry it contributed; set allowEmpty if you mean it`,
      code: 'empty',
    });
  }
}

function reportEntry(
  add: (p: Problem) => boolean,
  at: () => Origin,
  text: string,
  family: Family,
  length: number,
  floor: number,
  special: SpecialRange | undefined,
  /** Advice worked out from the entry itself, in place of the range's general advice. */
  entryAdvice?: string,
): boolean {
  const origin = at();
  if (length === 0) {
    return add({
      origin,
      value: text,
      message: `"${text}" admits every IPv${family} address: a /0 is never accepted, whatever the policy`,
      code: 'slash-zero',
    });
  }
  if (length < floor) {
    const size = family === 4 ? group.format(2 ** (32 - length)) : `2^${128 - length}`;
    const ok = add({
      origin,
      value: text,
      message: `"${text}" is broader than the IPv${family} floor /${floor} (policy minPrefixLength.ipv${family}): it admits ${size} addresses; if that is meant (a CDN feed), lower the floor`,
      code: 'too-broad',
    });
    if (!ok) return false;
  }
  if (special === undefined) return true;
  const rangeLength = Number(special.cidr.slice(special.cidr.indexOf('/') + 1));
  const relation = text === special.cidr ? 'is' : length > rangeLength ? 'is inside' : 'overlaps';
  const what = `${special.cidr}, ${special.name} (${special.rfc})`;
  const why =
    special.kind === 'private'
      ? "private ranges are refused unless the policy's allowPrivate is set"
      : 'special-purpose ranges are never admitted';
  const advice = entryAdvice ? `; ${entryAdvice}` : special.advice ? `; ${special.advice}` : '';
  return add({
    origin,
    value: text,
    message: `"${text}" ${relation} ${what}, an IANA special-purpose range: ${why}${advice}`,
    code: special.kind === 'private' ? 'private' : 'special-purpose',
  });
}

function isMapped(special: SpecialRange): boolean {
  return special.cidr === '::ffff:0:0/96';
}

/**
 * For an IPv4-mapped entry (`::ffff:a.b.c.d/len`, len ≥ 96), the IPv4 prefix it stands for, so the advice names a
 * value the writer can paste (never a documentation range the tool itself refuses). A shorter entry only overlaps
 * the mapped range: it gets the general advice.
 */
function mappedAdvice(words: Uint32Array, at: number, length: number): string | undefined {
  if (length < 96) return undefined;
  const v4 = `${formatV4(words[at + 3]!)}/${length - 96}`;
  return `an IPv4-mapped address in an IPv6 rule never matches IPv4 traffic: write ${v4} in the list instead (an IPv4 entry)`;
}

/** Writes the last address of the block at words[at..at+4) with this length into `out`. */
function lastAddress(words: Uint32Array, at: number, length: number, out: Uint32Array): void {
  for (let k = 0; k < 4; k++) {
    const keep = length - 32 * k;
    const hostMask = keep >= 32 ? 0 : keep <= 0 ? 0xffffffff : 0xffffffff >>> keep;
    out[k] = (words[at + k]! | hostMask) >>> 0;
  }
}
