/**
 * A pool the planner refused forever although it holds the list: found by battery B's generator at twice its fault
 * rate (seed 52139, 30 % of calls faulted). A stale read made one run plan from an older state; its writes left the
 * same wanted prefix in two groups and the second group full of rules that no longer need to be there. Every later
 * run then placed the new prefix in the first group (full of wanted rules), found no safe order and refused with
 * `capacity.fits = false`, which force does not lift: the pool never converged without an operator. The second group
 * could take the prefix once its dead rule (admits no wanted address) and its redundant copy were revoked, and doing
 * so keeps every wanted address admitted.
 */
import { describe, expect, it } from 'vitest';
import { planSecurityGroups } from '../../lambda/core/plan-security-group';
import { ALLOWLIST, applyWrite, desired, type ModelRule, pool, rule, violation } from './security-group-model';

const A = 'sg-0000000a';
const B = 'sg-0000000b';

/** Group A full of wanted rules; group B full of one unowned rule, one dead rule and one redundant copy. */
function stuckPool() {
  const target = pool([A, B], { ipv4: 3, ipv6: 3 });
  const rules = [
    rule(A, '10.0.0.0/24'),
    rule(A, '10.2.0.0/24'), // wanted, replaced by 10.2.0.0/23: revocable only once the /23 is in place
    rule(A, '10.4.0.0/24'),
    rule(B, '10.9.0.0/24', { owner: null, protocol: 'udp', from: 53 }), // not ours: takes quota
    rule(B, '10.6.0.0/23'), // dead: admits no wanted address
    rule(B, '10.4.0.0/24'), // redundant: A holds the same rule
  ];
  const want = desired(['10.0.0.0/24', '10.2.0.0/23', '10.4.0.0/24', '10.8.0.0/24']);
  return { target, rules, want };
}

describe('a pool whose only free room is behind dead or redundant rules', () => {
  it('is planned, not refused: the new prefixes go where revoking dead and redundant rules makes room', () => {
    const { target, rules, want } = stuckPool();
    const plan = planSecurityGroups(target, want, { rules });
    expect(plan.capacity).toMatchObject({ fits: true });
    expect(plan.writes.length).toBeGreaterThan(0);
  });

  it('keeps P3 and P4 at every call, converges to the list plus what is not ours, then plans nothing', () => {
    const { target, rules, want } = stuckPool();
    const plan = planSecurityGroups(target, want, { rules });
    let state: ModelRule[] = rules;
    for (const write of plan.writes) {
      state = applyWrite(state, write, target);
      expect(violation(rules, state, want, target, plan.degraded)).toBeUndefined();
    }
    const ours = state.filter((r) => r.owner === ALLOWLIST).map((r) => r.cidr);
    expect(new Set(ours)).toEqual(new Set(['10.0.0.0/24', '10.2.0.0/23', '10.4.0.0/24', '10.8.0.0/24']));
    expect(ours).toHaveLength(4);
    expect(planSecurityGroups(target, want, { rules: state }).writes).toEqual([]);
  });
});
