/**
 * Planning time of the security-group planner on pools of realistic size.
 * Run: `npx vitest bench --run test/core/plan-security-group.bench.ts`
 */
import { bench, describe } from 'vitest';
import { planSecurityGroups, type SecurityGroupWrite } from '../../lambda/core/plan-security-group';
import { desired, type ModelRule, pool, rule } from './security-group-model';

const groups = Array.from({ length: 20 }, (_, i) => `sg-${i.toString(16).padStart(8, '0')}`);
const cidrs = (n: number, offset = 0) =>
  Array.from({ length: n }, (_, i) => `10.${(i + offset) >> 8}.${(i + offset) & 255}.0/24`);
const target = pool(groups);
const full = desired(cidrs(1100));
const shifted = desired(cidrs(1100, 100));
const rulesOf = (writes: readonly SecurityGroupWrite[]): ModelRule[] =>
  writes.flatMap((w) =>
    w.action === 'authorize' ? w.permissions.flatMap((p) => p.ipv4.map((r) => rule(w.groupId, r.cidr))) : [],
  );
const converged = rulesOf(planSecurityGroups(target, full, { rules: [] }).writes);

describe('planSecurityGroups, 1,100 IPv4 prefixes × 1 port range over 20 groups of 60 rules', () => {
  bench('from an empty pool', () => {
    planSecurityGroups(target, full, { rules: [] });
  });
  bench('converged (zero writes)', () => {
    planSecurityGroups(target, full, { rules: converged });
  });
  bench('100 prefixes replaced', () => {
    planSecurityGroups(target, shifted, { rules: converged });
  });
});
