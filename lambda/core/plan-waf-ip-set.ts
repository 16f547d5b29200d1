/**
 * The WAF IP set planner: desired prefixes + the observed pool of IP sets → the UpdateIPSet calls, in a safe order.
 *
 * Contract: a pure function over plain data; no SDK, no clock. Same input → same plan, whatever order the addresses
 * were listed in.
 *
 * What AWS imposes (docs/aws-behaviour.md §20–23): an UpdateIPSet replaces the whole address list *and* the
 * description, so every write carries the complete list, the description read, and the lock token from that read; a set
 * holds at most 10,000 addresses of one family and never `/0`. An update is atomic (the cloud's own "ipset swap"),
 * which the planner uses: a re-aggregation inside one set (`10.0.0.0/24` → two `/25`s) is one call and never admits
 * less in between.
 *
 * Placement: per family, a prefix already in a set stays there (minimal churn); a new prefix goes to the set that held
 * the old entries it overlaps (so a re-aggregation stays inside one atomic call), else to the first set with room that
 * removes nothing unwanted, else to the first set with room.
 *
 * Order (P5, make-before-break, over the whole target by address): first every write that loses no address of the old
 * state; then writes after which the target admits the whole new list; when neither exists (two sets that both add and
 * remove), the first such set is written in two steps: old ∪ new first, then new. A set that cannot hold old ∪ new
 * makes the plan `degraded` and the write that keeps (old ∩ new) is chosen.
 *
 * IP sets belong wholly to allowlist-sync (the CDK creates them empty), so nothing in them is unowned (U = ∅) and
 * there is never drift to report.
 */

import { OverlapIndex, sortCidrs } from './cidr-order';
import type { Capacity, Desired, TargetPlan } from './model';
import { type Cidr, cidrLength, type Family } from './prefix';
import { PrefixSet } from './prefix-set';

/** At most this many addresses (CIDRs) per IP set (docs/aws-behaviour.md §22). */
export const WAF_MAX_ADDRESSES_PER_SET = 10_000;

/** A WAF scope. */
export type WafScope = 'REGIONAL' | 'CLOUDFRONT';

/** One IP set as read by GetIPSet, canonicalised. */
export interface ObservedIpSet {
  readonly name: string;
  readonly id: string;
  readonly family: Family;
  /** Canonical, distinct, in any order. */
  readonly addresses: readonly Cidr[];
  /** The description read; sent back unchanged because UpdateIPSet replaces it (docs/aws-behaviour.md §20). */
  readonly description?: string;
  /** The lock token of the read. */
  readonly lockToken: string;
}

/** The observed pool: the configured sets of each family, in config order. */
export interface WafIpSetsObserved {
  readonly scope: WafScope;
  readonly 4: readonly ObservedIpSet[];
  readonly 6: readonly ObservedIpSet[];
}

/** One UpdateIPSet call. */
export interface WafIpSetWrite {
  readonly scope: WafScope;
  readonly name: string;
  readonly id: string;
  readonly family: Family;
  /** The complete list the set holds after this call, ascending. */
  readonly addresses: readonly Cidr[];
  /** The description read, sent back unchanged. */
  readonly description?: string;
  /**
   * The lock token of the read. When a set is written twice in one plan (`step: 'add-first'` then `'final'`), the
   * driver sends the second call the `NextLockToken` of the first.
   */
  readonly lockToken: string;
  /** `'add-first'`: old ∪ new, the first of two writes to this set; `'final'`: the set's final content. */
  readonly step: 'add-first' | 'final';
}

/** Plans the writes that make the pool of IP sets hold exactly `desired`. */
export function planWafIpSets(desired: Desired, observed: WafIpSetsObserved): TargetPlan<WafIpSetWrite> {
  const sets: SetPlan[] = [];
  const refusals: Capacity[] = [];
  for (const family of [4, 6] as const) {
    const wanted = sortCidrs(desired.cidrs[family]);
    const pool = observed[family];
    const broadest = wanted.find((c) => cidrLength(c) === 0);
    if (broadest !== undefined) {
      refusals.push({
        fits: false,
        needed: wanted.length,
        available: 0,
        unit: `IPv${family} addresses`,
        advice: `WAF IP sets cannot hold ${broadest} (docs/aws-behaviour.md §22); the entry policy should have refused it`,
      });
      continue;
    }
    const room = pool.length * WAF_MAX_ADDRESSES_PER_SET;
    if (wanted.length > room) {
      const setsNeeded = Math.ceil(wanted.length / WAF_MAX_ADDRESSES_PER_SET);
      refusals.push({
        fits: false,
        needed: wanted.length,
        available: room,
        unit: `IPv${family} addresses`,
        advice:
          `add ${setsNeeded - pool.length} IPv${family} IP set(s) to the pool (${setsNeeded} needed for ` +
          `${wanted.length} prefixes at ${WAF_MAX_ADDRESSES_PER_SET} per set, ${pool.length} configured)`,
      });
      continue;
    }
    sets.push(...placeFamily(wanted, pool));
  }

  const names = [...observed[4], ...observed[6]].map((s) => s.name).join(',');
  const targetId = `waf-ip-sets:${observed.scope}:${names}`;
  const held = new Set<Cidr>();
  for (const family of [4, 6] as const) for (const s of observed[family]) for (const c of s.addresses) held.add(c);
  const wantedAll = new Set<Cidr>([...desired.cidrs[4], ...desired.cidrs[6]]);
  const add = sortCidrs([...wantedAll].filter((c) => !held.has(c)));
  const remove = sortCidrs([...held].filter((c) => !wantedAll.has(c)));
  const totalRoom = (observed[4].length + observed[6].length) * WAF_MAX_ADDRESSES_PER_SET;
  const capacity: Capacity = refusals[0] ?? {
    fits: true,
    needed: wantedAll.size,
    available: totalRoom,
    unit: 'addresses',
  };
  const base = {
    kind: 'waf-ip-sets' as const,
    targetId,
    add,
    remove,
    unchanged: wantedAll.size - add.length,
    current: held.size,
    drift: [],
    capacity,
  };
  if (!capacity.fits) return { ...base, degraded: false, writes: [] };
  const { writes, degraded } = orderWrites(sets, observed.scope);
  return { ...base, degraded, writes };
}

/** One set's old and new content. */
interface SetPlan {
  readonly ref: ObservedIpSet;
  readonly old: readonly Cidr[];
  readonly next: readonly Cidr[];
}

/** A changed set with its contents as address sets, built once. */
interface Pending extends SetPlan {
  readonly nextSet: PrefixSet;
  readonly both: readonly Cidr[];
  readonly bothSet: PrefixSet;
}

/** Places one family's wanted prefixes over its pool (the caller has checked that they fit). */
function placeFamily(wanted: readonly Cidr[], pool: readonly ObservedIpSet[]): SetPlan[] {
  const wantedSet = new Set(wanted);
  const placed = new Set<Cidr>();
  const kept: Cidr[][] = [];
  const removed = new OverlapIndex<number>();
  const removesUnwanted: boolean[] = [];
  const wantedAddresses = PrefixSet.fromCidrs(wanted);
  pool.forEach((set, i) => {
    const keep: Cidr[] = [];
    const gone: Cidr[] = [];
    for (const c of sortCidrs(set.addresses)) {
      // A prefix listed in two sets stays in the first; the other copy is removed (its addresses stay admitted).
      if (wantedSet.has(c) && !placed.has(c)) {
        keep.push(c);
        placed.add(c);
      } else {
        gone.push(c);
        removed.add(c, i);
      }
    }
    kept.push(keep);
    removesUnwanted.push(!wantedAddresses.contains(PrefixSet.fromCidrs(gone)));
  });
  const room = kept.map((k) => WAF_MAX_ADDRESSES_PER_SET - k.length);
  const added: Cidr[][] = pool.map(() => []);
  for (const c of wanted) {
    if (placed.has(c)) continue;
    const overlapping = [...new Set(removed.overlapping(c))].sort((a, b) => a - b);
    let target = overlapping.find((i) => room[i]! > 0);
    target ??= room.findIndex((r, i) => r > 0 && !removesUnwanted[i]);
    if (target === -1) target = room.findIndex((r) => r > 0);
    room[target] = room[target]! - 1;
    added[target]!.push(c);
  }
  return pool.map((ref, i) => ({
    ref,
    old: sortCidrs(ref.addresses),
    next: sortCidrs([...kept[i]!, ...added[i]!]),
  }));
}

/** Orders the changed sets' writes so that the target keeps admitting all of the old or all of the new list. */
function orderWrites(sets: readonly SetPlan[], scope: WafScope): { writes: WafIpSetWrite[]; degraded: boolean } {
  const changed = sets.filter((s) => !sameList(s.old, s.next));
  if (changed.length === 0) return { writes: [], degraded: false };
  const current = new Map<ObservedIpSet, PrefixSet>(sets.map((s) => [s.ref, PrefixSet.fromCidrs(s.old)]));
  const oldAll = union([...current.values()]);
  const newAll = union(sets.map((s) => PrefixSet.fromCidrs(s.next)));
  const keepAll = oldAll.intersection(newAll);
  const pending = new Map<ObservedIpSet, Pending>(
    changed.map((s) => {
      const both = sortCidrs([...s.old, ...s.next]);
      return [s.ref, { ...s, nextSet: PrefixSet.fromCidrs(s.next), both, bothSet: PrefixSet.fromCidrs(both) }];
    }),
  );
  const writes: WafIpSetWrite[] = [];
  let degraded = false;
  /** What the whole target admits once `ref` holds `content`. */
  const after = (ref: ObservedIpSet, content: PrefixSet): PrefixSet =>
    union([...current].map(([r, c]) => (r === ref ? content : c)));
  const write = (s: Pending, step: WafIpSetWrite['step']): void => {
    const { name, id, family, description, lockToken } = s.ref;
    const addresses = step === 'final' ? s.next : s.both;
    writes.push({
      scope,
      name,
      id,
      family,
      addresses,
      ...(description === undefined ? {} : { description }),
      lockToken,
      step,
    });
    current.set(s.ref, step === 'final' ? s.nextSet : s.bothSet);
    if (step === 'final') pending.delete(s.ref);
  };
  while (pending.size > 0) {
    const candidates = [...pending.values()];
    const finals = candidates.map((s) => ({ s, admits: after(s.ref, s.nextSet) }));
    // First what loses nothing of the old list, then what completes the new one.
    const safe = finals.find((f) => f.admits.contains(oldAll)) ?? finals.find((f) => f.admits.contains(newAll));
    if (safe) {
      write(safe.s, 'final');
      continue;
    }
    // No single final write keeps P5: widen one set that still has to gain addresses to old ∪ new first.
    const gaining = candidates.find(
      (s) => s.both.length <= WAF_MAX_ADDRESSES_PER_SET && !current.get(s.ref)!.contains(s.nextSet),
    );
    if (gaining) {
      write(gaining, 'add-first');
      continue;
    }
    // The quota cannot hold old ∪ new: keep at least what both lists admit (P4), and say so.
    degraded = true;
    write((finals.find((f) => f.admits.contains(keepAll)) ?? finals[0]!).s, 'final');
  }
  return { writes, degraded };
}

function union(sets: readonly PrefixSet[]): PrefixSet {
  return sets.reduce((a, b) => a.union(b), PrefixSet.EMPTY);
}

function sameList(a: readonly Cidr[], b: readonly Cidr[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}
