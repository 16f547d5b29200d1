/**
 * The security-group planner: desired list + observed pool → the rules to add and revoke, and the order of the calls.
 *
 * Contract: a pure function over plain data. Same input → same plan, whatever the order of the observed rules.
 * - Ownership: a rule is ours when it carries the owner tag naming this allowlist. Every other rule (no tag, another
 *   allowlist's tag, a group or prefix-list reference) is never revoked; it is reported as drift and takes quota.
 * - Desired rules: each desired prefix × each configured port range, all port ranges of a prefix in one group.
 * - Quota: `rulesPerGroup.ipv4` / `.ipv6` rules per group, counted per family, unowned rules included
 *   (docs/aws-behaviour.md §12).
 * - Placement, deterministic with minimal churn, per family, prefixes in address order:
 *   1. a prefix already in place in a group for every port range (our rules, or identical unowned ones) stays there
 *      (the first such group in pool order, while it has room);
 *   2. every other prefix goes to the group holding most of its port ranges already, then to the first group in pool
 *      order, preferring a group that can take its new rules before anything is revoked (so the change needs no
 *      degraded order), then one that can once our dead or redundant rules there are revoked, else any group with
 *      room once the change is done.
 *   A prefix that fits nowhere makes the plan refuse (`capacity.fits = false`) with the number of groups to add.
 * - A desired rule identical to an unowned rule in its group is already admitted: it is not added (AWS would answer
 *   `InvalidPermission.Duplicate` and fail the whole call, docs/aws-behaviour.md §13); the plan lists it in `shadowed`.
 * - Write order: see order-security-group-writes.ts.
 *
 * Descriptions are set when a rule is authorized and never rewritten: convergence is by address, and a converged
 * pool gets zero writes.
 */
import type { Desired, Drift, TargetPlan } from './model';
import {
  type OrderResult,
  orderSecurityGroupWrites,
  type PlannedAdd,
  type PresentRule,
} from './order-security-group-writes';
import type { Cidr, Family } from './prefix';
import {
  compareCidrs,
  type ObservedRule,
  type PortRange,
  portRanges,
  portsText,
  prefixRange,
  protocolName,
  quotaCost,
  ruleDescription,
  ruleKey,
  type SecurityGroupObserved,
  type SecurityGroupTarget,
  type SecurityGroupWrite,
} from './sg-rules';

export * from './sg-rules';

/** A rule we want that an identical unowned rule already admits: kept out of the authorize, noted in the plan. */
export interface ShadowedRule {
  readonly groupId: string;
  readonly cidr: Cidr;
  readonly ports: string;
  /** The unowned rule's id. */
  readonly ruleId: string;
}

/** A security-group plan: the common plan plus what the pool's unowned rules already admit for us. */
export interface SecurityGroupPlan extends TargetPlan<SecurityGroupWrite> {
  readonly kind: 'security-groups';
  readonly shadowed: readonly ShadowedRule[];
}

/** The report id of a pool: `security-groups:sg-1,sg-2`. */
export function securityGroupTargetId(target: SecurityGroupTarget): string {
  return `security-groups:${target.groupIds.join(',')}`;
}

interface Index {
  readonly groups: readonly string[];
  readonly ports: readonly PortRange[];
  readonly caps: { readonly 4: number; readonly 6: number };
  /** Our rules by identity. */
  readonly owned: Map<string, ObservedRule>;
  /** Unowned CIDR rules by identity. */
  readonly unowned: Map<string, ObservedRule>;
  /** Every unowned rule, references included. */
  readonly foreign: readonly ObservedRule[];
  /** Rules in place per prefix: group index → count of port ranges in place, and of those, unowned. */
  readonly inPlace: Map<Cidr, Map<number, { all: number; unowned: number }>>;
  /** Quota used per group and family by every rule now, and by unowned rules only. */
  readonly usedNow: { 4: number; 6: number }[];
  readonly usedUnowned: { 4: number; 6: number }[];
}

/** Plans a security-group pool: what to add and revoke, in which order, and whether the pool can hold the list. */
export function planSecurityGroups(
  target: SecurityGroupTarget,
  desired: Desired,
  observed: SecurityGroupObserved,
): SecurityGroupPlan {
  const index = indexPool(target, desired.allowlist, observed);
  const wanted = {
    4: [...desired.cidrs[4]].sort(compareCidrs),
    6: [...desired.cidrs[6]].sort(compareCidrs),
  };
  const placement = new Map<Cidr, number>();
  const unplaced: Record<Family, Cidr[]> = { 4: [], 6: [] };
  for (const f of [4, 6] as const) {
    const result = place(wanted[f], f, index, desired.set.ranges(f));
    for (const [cidr, g] of result.placed) placement.set(cidr, g);
    unplaced[f] = result.unplaced;
  }

  const adds: PlannedAdd[] = [];
  const shadowed: ShadowedRule[] = [];
  const kept = new Set<string>();
  for (const [cidr, g] of placement) {
    const groupId = index.groups[g]!;
    for (const port of index.ports) {
      const key = ruleKey(groupId, port.key, cidr);
      const unowned = index.unowned.get(key);
      if (index.owned.has(key)) kept.add(key);
      else if (unowned !== undefined) shadowed.push({ groupId, cidr, ports: port.key, ruleId: unowned.ruleId });
      else {
        const family: Family = cidr.includes(':') ? 6 : 4;
        adds.push({
          groupId,
          port,
          cidr,
          family,
          description: ruleDescription(desired.allowlist, desired.notes.get(cidr)),
        });
      }
    }
  }
  const removes = [...index.owned].filter(([key]) => !kept.has(key)).map(([, rule]) => rule);

  const ownedCidrs = new Set([...index.owned.values()].map((r) => r.cidr!));
  const addedCidrs = new Set(adds.map((a) => a.cidr));
  const desiredAll = [...wanted[4], ...wanted[6]];
  const add = desiredAll.filter((c) => !ownedCidrs.has(c) && addedCidrs.has(c));
  const wantedSet = new Set(desiredAll);
  const remove = [...ownedCidrs].filter((c) => !wantedSet.has(c)).sort(compareCidrs);

  const fits = unplaced[4].length === 0 && unplaced[6].length === 0;
  let order: OrderResult = { writes: [], degraded: false };
  if (fits) {
    order = orderSecurityGroupWrites({
      groupIds: index.groups,
      caps: index.caps,
      ports: index.ports,
      present: presentRules(target, observed),
      adds,
      removes,
      wanted: desired.set,
    });
  }
  const capacity = capacityOf(index, desiredAll.length, shadowed.length, unplaced, order);
  return {
    kind: 'security-groups',
    targetId: securityGroupTargetId(target),
    add,
    remove,
    unchanged: desiredAll.length - add.length,
    current: ownedCidrs.size,
    drift: driftOf(index),
    capacity,
    degraded: capacity.fits && order.degraded,
    writes: capacity.fits ? order.writes : [],
    shadowed: shadowed.sort(
      (a, b) => compareCidrs(a.cidr, b.cidr) || a.groupId.localeCompare(b.groupId) || a.ports.localeCompare(b.ports),
    ),
  };
}

function indexPool(target: SecurityGroupTarget, allowlist: string, observed: SecurityGroupObserved): Index {
  const groups = [...new Set(target.groupIds)];
  const position = new Map(groups.map((g, i) => [g, i]));
  const ports = portRanges(target);
  const owned = new Map<string, ObservedRule>();
  const unowned = new Map<string, ObservedRule>();
  const usedNow = groups.map(() => ({ 4: 0, 6: 0 }));
  const usedUnowned = groups.map(() => ({ 4: 0, 6: 0 }));
  const foreign: ObservedRule[] = [];
  // Sorted by rule id so that duplicates (never in AWS, possible in hand-made input) resolve the same way every time.
  const rules = observed.rules
    .filter((r) => position.has(r.groupId))
    .sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
  for (const rule of rules) {
    const g = position.get(rule.groupId)!;
    const cost = quotaCost(rule, observed);
    usedNow[g]![4] += cost[4];
    usedNow[g]![6] += cost[6];
    const key = rule.cidr === undefined ? undefined : ruleKey(rule.groupId, portsText(rule), rule.cidr);
    if (rule.owner === allowlist && key !== undefined) {
      owned.set(key, rule);
      continue;
    }
    foreign.push(rule);
    usedUnowned[g]![4] += cost[4];
    usedUnowned[g]![6] += cost[6];
    if (key !== undefined) unowned.set(key, rule);
  }
  const inPlace = new Map<Cidr, Map<number, { all: number; unowned: number }>>();
  const portKeys = new Set(ports.map((p) => p.key));
  for (const [map, isUnowned] of [
    [owned, false],
    [unowned, true],
  ] as const) {
    for (const rule of map.values()) {
      if (!portKeys.has(portsText(rule)) || protocolName(rule.protocol) === '-1') continue;
      const byGroup = inPlace.get(rule.cidr!) ?? new Map<number, { all: number; unowned: number }>();
      inPlace.set(rule.cidr!, byGroup);
      const g = position.get(rule.groupId)!;
      const counts = byGroup.get(g) ?? { all: 0, unowned: 0 };
      byGroup.set(g, counts);
      counts.all += 1;
      if (isUnowned) counts.unowned += 1;
    }
  }
  const caps = { 4: target.rulesPerGroup.ipv4, 6: target.rulesPerGroup.ipv6 };
  return { groups, ports, caps, owned, unowned, foreign, inPlace, usedNow, usedUnowned };
}

/**
 * Places one family's prefixes into groups (see the module comment).
 *
 * "Room during the change" counts, besides free quota, our rules that can be revoked first without losing a wanted
 * address: rules that admit none (`dead`) and copies of a rule another group keeps (`redundant`, possible after a
 * plan made from a stale read, or by hand). Without them a pool whose free room sits behind such rules was refused
 * forever although it can hold the list (battery B at twice its fault rate, seed 52139): the new prefix went to a
 * group full of wanted rules, and no safe order existed there. The write order revokes them first (make-room).
 */
function place(
  prefixes: readonly Cidr[],
  f: Family,
  index: Index,
  wantedRanges: ReadonlyArray<readonly [bigint, bigint]>,
) {
  const cap = index.caps[f];
  const perPrefix = index.ports.length;
  // Quota after the change (unowned + placed) and during it (everything now + adds so far).
  const after = index.usedUnowned.map((u) => u[f]);
  const during = index.usedNow.map((u) => u[f]);
  const placed = new Map<Cidr, number>();
  const take = (cidr: Cidr, g: number, counts: { all: number; unowned: number } | undefined) => {
    placed.set(cidr, g);
    after[g]! += perPrefix - (counts?.unowned ?? 0);
    during[g]! += perPrefix - (counts?.all ?? 0);
  };
  for (const cidr of prefixes) {
    const here = index.inPlace.get(cidr);
    if (here === undefined) continue;
    for (const g of [...here.keys()].sort((a, b) => a - b)) {
      const counts = here.get(g)!;
      if (counts.all === perPrefix && after[g]! + perPrefix - counts.unowned <= cap) {
        take(cidr, g, counts);
        break;
      }
    }
  }
  const freeable = freeableRules(index, f, placed, wantedRanges);
  const unplaced: Cidr[] = [];
  for (const cidr of prefixes) {
    if (placed.has(cidr)) continue;
    const here = index.inPlace.get(cidr);
    const rank = index.groups
      .map((_, g) => g)
      .sort((a, b) => (here?.get(b)?.all ?? 0) - (here?.get(a)?.all ?? 0) || a - b);
    const fitsAfter = (g: number) => after[g]! + perPrefix - (here?.get(g)?.unowned ?? 0) <= cap;
    const fitsDuring = (g: number) => during[g]! + perPrefix - (here?.get(g)?.all ?? 0) <= cap;
    const fitsOnceFreed = (g: number) => during[g]! - freeable[g]! + perPrefix - (here?.get(g)?.all ?? 0) <= cap;
    // Free room first (no revoke before the add), then room behind dead or redundant rules, then any room after.
    const g =
      rank.find((g) => fitsAfter(g) && fitsDuring(g)) ??
      rank.find((g) => fitsAfter(g) && fitsOnceFreed(g)) ??
      rank.find(fitsAfter);
    if (g === undefined) unplaced.push(cidr);
    else take(cidr, g, here?.get(g));
  }
  return { placed, unplaced };
}

/**
 * Per group, our rules of family `f` that can be revoked before any add without losing a wanted address on a
 * configured port range: those that admit no wanted address, or on a port range no longer configured, and copies of
 * a rule (same CIDR and ports) that another group keeps in place.
 */
function freeableRules(
  index: Index,
  f: Family,
  placed: ReadonlyMap<Cidr, number>,
  wantedRanges: ReadonlyArray<readonly [bigint, bigint]>,
): number[] {
  const out = index.groups.map(() => 0);
  const configured = new Set(index.ports.map((p) => p.key));
  const position = new Map(index.groups.map((g, i) => [g, i]));
  for (const rule of index.owned.values()) {
    const cidr = rule.cidr!;
    if (!cidr.includes(':') !== (f === 4)) continue;
    const g = position.get(rule.groupId)!;
    const keeper = placed.get(cidr);
    const redundant = keeper !== undefined && keeper !== g && configured.has(portsText(rule));
    if (keeper === g) continue;
    const [start, end] = prefixRange(cidr);
    const dead = !configured.has(portsText(rule)) || !overlaps(wantedRanges, start, end);
    if (dead || redundant) out[g]! += 1;
  }
  return out;
}

/** True when some of the sorted, disjoint `ranges` meets [start, end] (binary search). */
function overlaps(ranges: ReadonlyArray<readonly [bigint, bigint]>, start: bigint, end: bigint): boolean {
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid]![1] < start) lo = mid + 1;
    else hi = mid;
  }
  const r = ranges[lo];
  return r !== undefined && r[0] <= end;
}

/** Every ingress rule of the pool now, with its quota cost: the start of the simulated apply. */
function presentRules(target: SecurityGroupTarget, observed: SecurityGroupObserved): PresentRule[] {
  const pool = new Set(target.groupIds);
  return observed.rules
    .filter((r) => pool.has(r.groupId))
    .map((r) => ({
      id: r.ruleId,
      groupId: r.groupId,
      protocol: protocolName(r.protocol),
      fromPort: r.fromPort,
      toPort: r.toPort,
      ...(r.cidr === undefined ? {} : { cidr: r.cidr }),
      cost: quotaCost(r, observed),
    }));
}

function driftOf(index: Index): Drift[] {
  return index.foreign
    .map((r) => ({
      resource: r.groupId,
      cidr: r.cidr ?? r.peer ?? '?',
      ports: portsText(r),
      ...(r.description === undefined ? {} : { description: r.description }),
    }))
    .sort(
      (a, b) =>
        index.groups.indexOf(a.resource) - index.groups.indexOf(b.resource) ||
        compareDriftCidrs(a.cidr, b.cidr) ||
        a.ports.localeCompare(b.ports),
    );
}

/** Prefixes in address order; references (`sg-…`, `pl-…`) after them, by id. */
function compareDriftCidrs(a: string, b: string): number {
  const aRef = !a.includes('/');
  const bRef = !b.includes('/');
  if (aRef || bRef) return aRef && bRef ? a.localeCompare(b) : aRef ? 1 : -1;
  return compareCidrs(a as Cidr, b as Cidr);
}

function capacityOf(
  index: Index,
  prefixes: number,
  shadowed: number,
  unplaced: Record<Family, Cidr[]>,
  order: OrderResult,
) {
  const unowned = index.usedUnowned.reduce((n, u) => n + u[4] + u[6], 0);
  const needed = prefixes * index.ports.length - shadowed + unowned;
  const available = index.groups.length * (index.caps[4] + index.caps[6]);
  const base = { needed, available, unit: 'rules' };
  const m = index.groups.length;
  const perPrefix = index.ports.length;
  const short = ([4, 6] as const).filter((f) => unplaced[f].length > 0);
  if (short.length > 0) {
    const extra = short.map((f) => {
      const perGroup = Math.floor(index.caps[f] / perPrefix);
      return perGroup === 0 ? Number.POSITIVE_INFINITY : Math.ceil(unplaced[f].length / perGroup);
    });
    const k = Math.max(...extra);
    const quota = short.map((f) => `rulesPerGroup.ipv${f}`).join(' and ');
    const counts = short.map((f) => `${unplaced[f].length} IPv${f} prefix(es) × ${perPrefix} port range(s)`).join(', ');
    const advice = Number.isFinite(k)
      ? `the pool cannot hold ${counts}: add ${k} security group(s) to the pool (${m + k} needed, ${m} configured), or raise ${quota} (a quota increase)`
      : `one prefix needs ${perPrefix} rules (one per port range) but ${quota} is lower: raise ${quota} (a quota increase) or configure fewer port ranges`;
    return { ...base, fits: false, advice };
  }
  if (order.stuck !== undefined) {
    const s = order.stuck;
    const advice =
      `group ${s.groupId} would need ${s.needed} IPv${s.family} rules during the change (quota ${s.cap}), and no order ` +
      `keeps every wanted address admitted: add a security group to the pool (${m + 1} needed, ${m} configured), ` +
      `or raise rulesPerGroup.ipv${s.family} (a quota increase)`;
    return { ...base, fits: false, advice };
  }
  return { ...base, fits: true };
}
