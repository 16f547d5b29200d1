/** bench/waf-plan-scaling.ts (docs/performance-large-run.md) measures real plans: small sizes, checked by their writes. */
import { describe, expect, it } from 'vitest';
import { measureWafPlanScaling } from '../../bench/waf-plan-scaling';

describe('bench/waf-plan-scaling.ts', () => {
  it('plans from empty, then moves 1 % of the entries, then writes nothing when converged', () => {
    // 2 % and 5 % of a waf-large: 442 and 1,105 prefixes, so the 1 % change moves every hundredth of them.
    const rows = measureWafPlanScaling([0.02, 0.05]);
    expect(rows.map((r) => r.prefixes)).toEqual([442, 1105]);
    for (const r of rows) {
      const moved = Math.ceil((r.prefixes - Math.round(4_000 * r.scale)) / 100) + Math.ceil((4_000 * r.scale) / 100);
      expect(r.fromEmpty.writes).toBeGreaterThanOrEqual(2); // at least one IPv4 and the IPv6 set
      expect(r.changed).toMatchObject({ add: moved, remove: moved });
      expect(r.changed.writes).toBeGreaterThanOrEqual(2);
      expect(r.converged.writes).toBe(0);
    }
  });
});
