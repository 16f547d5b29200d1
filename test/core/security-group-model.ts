/**
 * Test support for the security-group planner: builders of Desired and observed rules, and a small in-memory model of
 * a pool that applies a plan's writes the way EC2 does (all-or-nothing, Duplicate, NotFound, per-family quota) and
 * checks P3, P4 and P5 by address, per configured port range, after every call.
 */

import type { Desired, EntryNote } from '../../lambda/core/model';
import type { Cidr, Family } from '../../lambda/core/prefix';
import { parseCidr } from '../../lambda/core/prefix';
import { PrefixSet } from '../../lambda/core/prefix-set';
import {
  coversPorts,
  type ObservedRule,
  type PortRange,
  portRanges,
  prefixRange,
  type SecurityGroupTarget,
  type SecurityGroupWrite,
} from '../../lambda/core/sg-rules';

/** The allowlist name the tests plan for. */
export const ALLOWLIST = 'partners';

/** A pool target with defaults: tcp 443, 60 rules per family. */
export function pool(
  groupIds: string[],
  options: { ports?: SecurityGroupTarget['ports']; ipv4?: number; ipv6?: number } = {},
): SecurityGroupTarget {
  return {
    kind: 'security-groups',
    groupIds,
    ports: options.ports ?? [{ protocol: 'tcp', from: 443, to: 443 }],
    rulesPerGroup: { ipv4: options.ipv4 ?? 60, ipv6: options.ipv6 ?? 60 },
  };
}

/** Desired state with exactly these prefixes as its CIDR list (not re-aggregated, so tests control it). */
export function desired(cidrs: string[], notes: Record<string, EntryNote> = {}, allowlist = ALLOWLIST): Desired {
  const parsed = [...new Set(cidrs.map((c) => parseCidr(c)))];
  return {
    allowlist,
    set: PrefixSet.fromCidrs(parsed),
    cidrs: { 4: parsed.filter((c) => !c.includes(':')), 6: parsed.filter((c) => c.includes(':')) },
    notes: new Map(Object.entries(notes).map(([k, v]) => [parseCidr(k), v])),
  };
}

let ids = 0;
/** An observed ingress rule; ours unless `owner` says otherwise (`null`: no tag). */
export function rule(
  groupId: string,
  cidr: string,
  options: { owner?: string | null; protocol?: string; from?: number; to?: number; id?: string } = {},
): ObservedRule {
  const owner = options.owner === undefined ? ALLOWLIST : options.owner;
  return {
    ruleId: options.id ?? `sgr-${(++ids).toString(16).padStart(8, '0')}`,
    groupId,
    protocol: options.protocol ?? 'tcp',
    fromPort: options.from ?? 443,
    toPort: options.to ?? options.from ?? 443,
    cidr: parseCidr(cidr, { maskHostBits: true }),
    ...(owner === null ? {} : { owner }),
  };
}

/** The model's rule: an observed rule. */
export type ModelRule = ObservedRule;

/** What a failed model call says, like EC2. */
export class ModelError extends Error {}

/** Applies one write to the model state, all-or-nothing, as EC2 would. Returns the new state. */
export function applyWrite(
  state: readonly ModelRule[],
  write: SecurityGroupWrite,
  target: SecurityGroupTarget,
  allowlist = ALLOWLIST,
): ModelRule[] {
  if (write.action === 'revoke') {
    for (const id of write.ruleIds) {
      const found = state.find((r) => r.ruleId === id);
      if (found === undefined || found.groupId !== write.groupId) throw new ModelError(`NotFound ${id}`);
    }
    return state.filter((r) => !write.ruleIds.includes(r.ruleId));
  }
  const next = [...state];
  for (const p of write.permissions) {
    for (const range of [...p.ipv4, ...p.ipv6]) {
      const same = next.find(
        (r) =>
          r.groupId === write.groupId &&
          r.protocol === p.protocol &&
          r.fromPort === p.fromPort &&
          r.toPort === p.toPort &&
          r.cidr === range.cidr,
      );
      if (same !== undefined) throw new ModelError(`Duplicate ${range.cidr}`);
      if (range.description.length > 255 || /[^a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]/.test(range.description)) {
        throw new ModelError(`bad description ${range.description}`);
      }
      next.push({
        ruleId: `sgr-new-${++ids}`,
        groupId: write.groupId,
        protocol: p.protocol,
        fromPort: p.fromPort,
        toPort: p.toPort,
        cidr: range.cidr,
        owner: allowlist,
      });
    }
  }
  for (const f of [4, 6] as const) {
    const cap = f === 4 ? target.rulesPerGroup.ipv4 : target.rulesPerGroup.ipv6;
    const count = next.filter((r) => r.groupId === write.groupId && family(r.cidr!) === f).length;
    const before = state.filter((r) => r.groupId === write.groupId && family(r.cidr!) === f).length;
    if (count > cap && count > before) throw new ModelError(`RulesPerSecurityGroupLimitExceeded ${write.groupId}`);
  }
  return next;
}

function family(cidr: Cidr): Family {
  return cidr.includes(':') ? 6 : 4;
}

/** Address ranges, inclusive, sorted, merged: one family. */
type Ranges = Array<[bigint, bigint]>;

function normalise(ranges: Ranges): Ranges {
  const sorted = [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Ranges = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && s <= last[1] + 1n) {
      if (e > last[1]) last[1] = e;
    } else out.push([s, e]);
  }
  return out;
}

function intersect(a: Ranges, b: Ranges): Ranges {
  const out: Ranges = [];
  for (const [as, ae] of a) {
    for (const [bs, be] of b) {
      const s = [as, bs].sort((x, y) => (x < y ? 1 : -1))[0]!;
      const e = [ae, be].sort((x, y) => (x < y ? -1 : 1))[0]!;
      if (s <= e) out.push([s, e]);
    }
  }
  return normalise(out);
}

/** True when every address of `small` is in `big` (both normalised). */
function containsAll(big: Ranges, small: Ranges): boolean {
  return small.every(([s, e]) => big.some(([bs, be]) => bs <= s && e <= be));
}

/** What the pool admits on one configured port range, by address, per family (plain ranges: fast enough to check
 * after every call of thousands of plans). */
export function admitted(
  state: readonly ModelRule[],
  port: PortRange,
  filter: (r: ModelRule) => boolean = () => true,
): Record<Family, Ranges> {
  const out: Record<Family, Ranges> = { 4: [], 6: [] };
  for (const r of state) {
    if (r.cidr === undefined || !coversPorts(r, port) || !filter(r)) continue;
    const [s, e, f] = prefixRange(r.cidr);
    out[f].push([s, e]);
  }
  return { 4: normalise(out[4]), 6: normalise(out[6]) };
}

/** A violated invariant, or undefined. Checks P3, P4 and (unless degraded) P5 for every configured port range. */
export function violation(
  initial: readonly ModelRule[],
  now: readonly ModelRule[],
  want: Desired,
  target: SecurityGroupTarget,
  degraded: boolean,
): string | undefined {
  const ours = (r: ModelRule) => r.owner === want.allowlist;
  for (const port of portRanges(target)) {
    const o = admitted(initial, port, ours);
    const u = admitted(initial, port, (r) => !ours(r));
    const s = admitted(now, port);
    for (const f of [4, 6] as const) {
      const n = want.set.ranges(f);
      const where = `on ${port.key} IPv${f}`;
      if (!containsAll(normalise([...o[f], ...n, ...u[f]]), s[f])) return `P3 ${where}`;
      if (!containsAll(s[f], normalise([...intersect(o[f], n), ...u[f]]))) return `P4 ${where}`;
      const old = normalise([...o[f], ...u[f]]);
      const next = normalise([...n, ...u[f]]);
      if (!degraded && !containsAll(s[f], old) && !containsAll(s[f], next)) return `P5 ${where}`;
    }
  }
  return undefined;
}
