/**
 * The order of a security-group plan's write calls: the part that keeps partners connected while the rules change.
 *
 * With O what we own now, N the new list and U what we do not own, every state after every call must keep
 * P3 (admit nothing outside O ∪ N ∪ U), P4 (admit all of (O ∩ N) ∪ U) and, where the quota allows, P5 (admit all of
 * O ∪ U or all of N ∪ U), by address and per port range (docs/design.md §6).
 *
 * - Normal order, when every group can hold its old and new rules at once: one authorize per group (every group),
 *   then one revoke per group. During the authorizes the pool admits O ∪ U; during the revokes it admits N ∪ U.
 *   Revoking first would keep P3 and P4 and still cut off a range being re-aggregated (`/24` → two `/25`s).
 * - Degraded order, when a group's quota cannot hold old and new at once: in rounds, first revoke in that group only
 *   rules whose loss keeps P4 (rules that admit no wanted address first, then rules whose wanted addresses other
 *   rules of the pool still admit), only as many as the adds need; then authorize what fits; repeat; revoke the rest
 *   at the end. P3 and P4 hold at every call; P5 cannot, and the plan says `degraded`.
 * - Stuck: when no round can make progress, the only way on would revoke a wanted address before its replacement
 *   exists (P4). The planner refuses instead (`capacity.fits = false`): fail static keeps the last state, and the
 *   operator adds a group to the pool or raises the quota.
 *
 * Pure: no SDK, no I/O.
 */
import type { Cidr, Family } from './prefix';
import type { PrefixSet } from './prefix-set';
import {
  type AuthorizeWrite,
  compareCidrs,
  coversPorts,
  type IngressPermission,
  type ObservedRule,
  type PortRange,
  type Ports,
  prefixRange,
  type RevokeWrite,
  type SecurityGroupWrite,
} from './sg-rules';

/** A rule present in the pool during the simulated apply, with its quota cost. */
export interface PresentRule extends Ports {
  readonly id: string;
  readonly groupId: string;
  readonly cidr?: Cidr;
  readonly cost: { readonly 4: number; readonly 6: number };
}

/** A rule the plan adds. */
export interface PlannedAdd {
  readonly groupId: string;
  readonly port: PortRange;
  readonly cidr: Cidr;
  readonly family: Family;
  readonly description: string;
}

/** What the ordering needs: the pool now, the rule changes, the quota and the wanted set N. */
export interface OrderInput {
  readonly groupIds: readonly string[];
  readonly caps: { readonly 4: number; readonly 6: number };
  readonly ports: readonly PortRange[];
  readonly present: readonly PresentRule[];
  readonly adds: readonly PlannedAdd[];
  /** Owned rules to revoke (each with a CIDR). */
  readonly removes: readonly ObservedRule[];
  /** N: every address the allowlist admits, on every configured port range. */
  readonly wanted: PrefixSet;
}

/** Where a change cannot proceed without revoking a wanted address first. */
export interface Stuck {
  readonly groupId: string;
  readonly family: Family;
  /** Rules the group would hold with its pending adds. */
  readonly needed: number;
  readonly cap: number;
}

/** The ordered write calls, or where the change is stuck. */
export interface OrderResult {
  readonly writes: readonly SecurityGroupWrite[];
  readonly degraded: boolean;
  readonly stuck?: Stuck;
}

/** Orders the writes of a security-group plan (see the module comment for the guarantees). */
export function orderSecurityGroupWrites(input: OrderInput): OrderResult {
  const counts = countRules(input);
  const addsByGroup = byGroup(input.groupIds, input.adds);
  const removesByGroup = byGroup(input.groupIds, input.removes);
  const fitsAtOnce = input.groupIds.every((g) =>
    ([4, 6] as const).every((f) => {
      const adds = addsByGroup.get(g)!.filter((a) => a.family === f).length;
      return adds === 0 || counts.get(g)![f] + adds <= input.caps[f];
    }),
  );
  if (fitsAtOnce) {
    const writes: SecurityGroupWrite[] = [];
    for (const g of input.groupIds) pushAuthorize(writes, g, addsByGroup.get(g)!, input.ports);
    for (const g of input.groupIds) pushRevoke(writes, g, 'remove', removesByGroup.get(g)!);
    return { writes, degraded: false };
  }
  return simulate(input, counts, addsByGroup, removesByGroup);
}

function simulate(
  input: OrderInput,
  counts: Map<string, { 4: number; 6: number }>,
  addsByGroup: Map<string, PlannedAdd[]>,
  removesByGroup: Map<string, ObservedRule[]>,
): OrderResult {
  const writes: SecurityGroupWrite[] = [];
  const present = new Map<string, PresentRule>(input.present.map((r) => [r.id, r]));
  let degraded = false;
  let pending = input.adds.length;
  while (pending > 0) {
    let progress = false;
    for (const g of input.groupIds) {
      const adds = addsByGroup.get(g)!;
      const count = counts.get(g)!;
      const revoked: ObservedRule[] = [];
      for (const f of [4, 6] as const) {
        const over = count[f] + adds.filter((a) => a.family === f).length - input.caps[f];
        if (over <= 0) continue;
        const candidates = removesByGroup.get(g)!.filter((r) => familyOf(r.cidr!) === f);
        for (const rule of orderCandidates(candidates, input.wanted)) {
          if (revoked.filter((r) => familyOf(r.cidr!) === f).length >= over) break;
          if (!isSafeToRevoke(rule, present, input)) continue;
          present.delete(rule.ruleId);
          revoked.push(rule);
          count[f] -= 1;
        }
      }
      if (revoked.length > 0) {
        removesByGroup.set(
          g,
          removesByGroup.get(g)!.filter((r) => !revoked.includes(r)),
        );
        pushRevoke(writes, g, 'make-room', revoked);
        degraded = true;
        progress = true;
      }
    }
    for (const g of input.groupIds) {
      const count = counts.get(g)!;
      const taken: PlannedAdd[] = [];
      const left: PlannedAdd[] = [];
      for (const add of addsByGroup.get(g)!) {
        if (count[add.family] + 1 <= input.caps[add.family]) {
          count[add.family] += 1;
          taken.push(add);
        } else left.push(add);
      }
      if (taken.length === 0) continue;
      for (const add of taken) {
        const id = `new:${g}:${add.port.key}:${add.cidr}`;
        present.set(id, {
          id,
          groupId: g,
          protocol: add.port.protocol,
          fromPort: add.port.from,
          toPort: add.port.to,
          cidr: add.cidr,
          cost: add.family === 4 ? { 4: 1, 6: 0 } : { 4: 0, 6: 1 },
        });
      }
      addsByGroup.set(g, left);
      pushAuthorize(writes, g, taken, input.ports);
      pending -= taken.length;
      progress = true;
    }
    if (!progress) return { writes: [], degraded, stuck: firstStuck(input, counts, addsByGroup) };
  }
  for (const g of input.groupIds) pushRevoke(writes, g, 'remove', removesByGroup.get(g)!);
  return { writes, degraded };
}

/** Rules that admit no wanted address go first; then the rest, in address order. */
function orderCandidates(rules: readonly ObservedRule[], wanted: PrefixSet): ObservedRule[] {
  const dead = new Map(rules.map((r) => [r, wantedPart(r.cidr!, wanted).length === 0]));
  return [...rules].sort(
    (a, b) =>
      Number(dead.get(b)) - Number(dead.get(a)) || compareCidrs(a.cidr!, b.cidr!) || (a.ruleId < b.ruleId ? -1 : 1),
  );
}

/**
 * P4 check: revoking `rule` keeps every wanted address it admits, on every configured port range it covers, admitted
 * by another present rule of the pool.
 */
function isSafeToRevoke(rule: ObservedRule, present: Map<string, PresentRule>, input: OrderInput): boolean {
  const need = wantedPart(rule.cidr!, input.wanted);
  if (need.length === 0) return true;
  const [start, end] = prefixRange(rule.cidr!);
  return input.ports
    .filter((port) => coversPorts(rule, port))
    .every((port) => {
      const others: Array<[bigint, bigint]> = [];
      for (const other of present.values()) {
        if (other.id === rule.ruleId || other.cidr === undefined || !coversPorts(other, port)) continue;
        const [s, e, f] = prefixRange(other.cidr);
        if (f === familyOf(rule.cidr!) && s <= end && e >= start) others.push([s, e]);
      }
      return need.every(([s, e]) => isCovered(s, e, others));
    });
}

const wantedRanges = new WeakMap<PrefixSet, Record<Family, Array<[bigint, bigint]>>>();

/** The wanted addresses inside one prefix, as ranges. */
function wantedPart(cidr: Cidr, wanted: PrefixSet): Array<[bigint, bigint]> {
  const [start, end, family] = prefixRange(cidr);
  const out: Array<[bigint, bigint]> = [];
  let ranges = wantedRanges.get(wanted);
  if (ranges === undefined) {
    ranges = { 4: wanted.ranges(4), 6: wanted.ranges(6) };
    wantedRanges.set(wanted, ranges);
  }
  for (const [s, e] of ranges[family]) {
    if (e < start || s > end) continue;
    out.push([maxBig(s, start), minBig(e, end)]);
  }
  return out;
}

// Math.max and Math.min take no BigInt.
function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** True when the union of `ranges` holds every address of [start, end]. */
function isCovered(start: bigint, end: bigint, ranges: Array<[bigint, bigint]>): boolean {
  let next = start;
  for (const [s, e] of [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (s > next) return false;
    if (e >= next) next = e + 1n;
    if (next > end) return true;
  }
  return next > end;
}

function firstStuck(
  input: OrderInput,
  counts: Map<string, { 4: number; 6: number }>,
  addsByGroup: Map<string, PlannedAdd[]>,
): Stuck {
  for (const g of input.groupIds) {
    for (const f of [4, 6] as const) {
      const adds = addsByGroup.get(g)!.filter((a) => a.family === f).length;
      if (adds > 0) return { groupId: g, family: f, needed: counts.get(g)![f] + adds, cap: input.caps[f] };
    }
  }
  throw new Error('orderSecurityGroupWrites: stuck with no pending add');
}

function countRules(input: OrderInput): Map<string, { 4: number; 6: number }> {
  const counts = new Map(input.groupIds.map((g) => [g, { 4: 0, 6: 0 }]));
  for (const rule of input.present) {
    const c = counts.get(rule.groupId);
    if (c === undefined) continue;
    c[4] += rule.cost[4];
    c[6] += rule.cost[6];
  }
  return counts;
}

function byGroup<T extends { readonly groupId: string }>(groupIds: readonly string[], items: readonly T[]) {
  const out = new Map<string, T[]>(groupIds.map((g) => [g, []]));
  for (const item of items) out.get(item.groupId)?.push(item);
  return out;
}

function familyOf(cidr: Cidr): Family {
  return cidr.includes(':') ? 6 : 4;
}

/** One authorize call for a group: one IpPermission per configured port range, CIDRs ascending. */
function pushAuthorize(
  writes: SecurityGroupWrite[],
  groupId: string,
  adds: readonly PlannedAdd[],
  ports: readonly PortRange[],
) {
  if (adds.length === 0) return;
  const permissions: IngressPermission[] = [];
  for (const port of ports) {
    const mine = adds.filter((a) => a.port.key === port.key).sort((a, b) => compareCidrs(a.cidr, b.cidr));
    if (mine.length === 0) continue;
    const spec = (a: PlannedAdd) => ({ cidr: a.cidr, description: a.description });
    permissions.push({
      protocol: port.protocol,
      fromPort: port.from,
      toPort: port.to,
      ipv4: mine.filter((a) => a.family === 4).map(spec),
      ipv6: mine.filter((a) => a.family === 6).map(spec),
    });
  }
  const write: AuthorizeWrite = { action: 'authorize', groupId, permissions };
  writes.push(write);
}

/** One revoke call for a group, by rule ids, in rule-id order. */
function pushRevoke(
  writes: SecurityGroupWrite[],
  groupId: string,
  phase: RevokeWrite['phase'],
  rules: readonly ObservedRule[],
) {
  if (rules.length === 0) return;
  const sorted = [...rules].sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
  const write: RevokeWrite = {
    action: 'revoke',
    groupId,
    phase,
    ruleIds: sorted.map((r) => r.ruleId),
    rules: sorted.map((r) => ({
      ruleId: r.ruleId,
      protocol: r.protocol,
      fromPort: r.fromPort,
      toPort: r.toPort,
      cidr: r.cidr!,
    })),
  };
  writes.push(write);
}
