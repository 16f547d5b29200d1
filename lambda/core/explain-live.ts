/**
 * `explain --live`: what one target admits of an address right now, read from the same observed state a plan is made
 * from, and what the next apply would do to it (the plan's added and removed prefixes that overlap it).
 *
 * Ownership follows the planners: a security-group rule is ours when it carries our owner tag with this allowlist's
 * name, and anything else that admits the address is drift, never changed by a sync (docs/design.md P12). WAF IP sets
 * and managed prefix lists belong wholly to allowlist-sync (the stack creates them empty), so every address in them
 * is ours (docs/aws-behaviour.md §1, §2).
 *
 * Pure: no SDK, no I/O.
 */
import type { TargetPlan } from './model';
import type { PrefixListsObserved } from './plan-prefix-list';
import type { WafIpSetsObserved } from './plan-waf-ip-set';
import type { Cidr, Family } from './prefix';
import { cidrRange, PrefixSet } from './prefix-set';
import { portsText, type SecurityGroupObserved } from './sg-rules';

/** One target's observed state, tagged with its kind (what the driver's `observe` returned). */
export type ObservedTarget =
  | { readonly kind: 'security-groups'; readonly observed: SecurityGroupObserved }
  | { readonly kind: 'waf-ip-sets'; readonly observed: WafIpSetsObserved }
  | { readonly kind: 'prefix-lists'; readonly observed: PrefixListsObserved };

/** A rule, IP set address or prefix-list entry that admits some of the query now. */
export interface LiveMatch {
  /** The group, IP set (`name (id)`) or prefix list that holds it. */
  readonly resource: string;
  readonly cidr: Cidr;
  /** Security groups: `tcp 443-443`. */
  readonly ports?: string;
  /** Security groups: the rule id. */
  readonly ruleId?: string;
  /** True when allowlist-sync wrote it for this allowlist; false for drift (someone else's rule). */
  readonly ours: boolean;
  readonly description?: string;
}

/** What one target admits of the query now and what the next apply changes about it. */
export interface LiveFinding {
  readonly targetId: string;
  /** `yes` when the target admits every address of the query now, `partly`, or `no`. */
  readonly admits: 'yes' | 'partly' | 'no';
  readonly matches: readonly LiveMatch[];
  /** The plan's prefixes overlapping the query that the next apply would add and remove. */
  readonly nextApply: { readonly add: readonly Cidr[]; readonly remove: readonly Cidr[] };
}

/** Finds what admits `query` in one observed target, and what `plan` would change about it. */
export function explainLive(
  query: Cidr,
  allowlist: string,
  target: ObservedTarget,
  plan: Pick<TargetPlan, 'targetId' | 'add' | 'remove'>,
): LiveFinding {
  const [start, end, family] = cidrRange(query);
  const overlaps = (cidr: Cidr) => {
    const [s, e, f] = cidrRange(cidr);
    return f === family && e >= start && s <= end;
  };
  const matches = candidates(target, allowlist, family).filter((m) => overlaps(m.cidr));
  const own = PrefixSet.fromCidrs([query]);
  const admitted = PrefixSet.fromCidrs(matches.map((m) => m.cidr)).intersection(own);
  return {
    targetId: plan.targetId,
    admits: admitted.isEmpty ? 'no' : admitted.equals(own) ? 'yes' : 'partly',
    matches,
    nextApply: { add: plan.add.filter(overlaps), remove: plan.remove.filter(overlaps) },
  };
}

function candidates(target: ObservedTarget, allowlist: string, family: Family): LiveMatch[] {
  switch (target.kind) {
    case 'security-groups':
      return target.observed.rules.flatMap((r) =>
        r.cidr === undefined
          ? []
          : [
              {
                resource: r.groupId,
                cidr: r.cidr,
                ports: portsText(r),
                ruleId: r.ruleId,
                ours: r.owner === allowlist,
                ...(r.description !== undefined ? { description: r.description } : {}),
              },
            ],
      );
    case 'waf-ip-sets':
      return target.observed[family].flatMap((set) =>
        set.addresses.map((cidr) => ({ resource: `${set.name} (${set.id})`, cidr, ours: true })),
      );
    case 'prefix-lists': {
      const list = target.observed[family];
      if (!list) return [];
      return list.entries.map((e) => ({
        resource: list.id,
        cidr: e.cidr,
        ours: true,
        ...(e.description !== undefined ? { description: e.description } : {}),
      }));
    }
  }
}
