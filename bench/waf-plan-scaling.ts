/**
 * How the WAF pool planner's time grows with the list: `node dist/bench/waf-plan-scaling.js [scales]` (after
 * `npm run build`; scales default 0.25,0.5,1,1.5). One allowlist shaped like the large run's waf-large (18,100 IPv4
 * /32s and 4,000 IPv6 /48s at scale 1, over three IPv4 sets and one IPv6 set), planned from empty, then with 1 % of
 * its entries moved to new addresses, then converged, each plan's writes applied to the observed sets in between.
 * Prints the CPU of each `planWafIpSets` call. See docs/performance-large-run.md.
 */
import { planWafIpSets, type WafIpSetsObserved } from '../lambda/core/plan-waf-ip-set';
import { PrefixSet } from '../lambda/core/prefix-set';

type Desired = Parameters<typeof planWafIpSets>[0];

const v4 = (i: number) => `${10 + (i >>> 23)}.${(i >>> 15) & 255}.${(i >>> 7) & 255}.${(i & 127) * 2}/32`;
const v6 = (i: number) => `2001:${(i >>> 15).toString(16)}:${((i & 0x7fff) * 2).toString(16)}::/48`;

/** The allowlist: every hundredth entry moved by `shift` (far outside the list, so it is a new address). */
function desiredOf(n4: number, n6: number, shift: number): Desired {
  const texts: string[] = [];
  for (let i = 0; i < n4; i++) texts.push(v4(i % 100 === 0 ? i + shift : i));
  for (let i = 0; i < n6; i++) texts.push(v6(i % 100 === 0 ? i + shift : i));
  const set = PrefixSet.parse(texts);
  return { allowlist: 'waf-large', set, cidrs: { 4: set.toCidrs(4), 6: set.toCidrs(6) }, notes: new Map() };
}

function cpuMs<T>(f: () => T): [T, number] {
  const start = process.cpuUsage();
  const result = f();
  const used = process.cpuUsage(start);
  return [result, (used.user + used.system) / 1000];
}

/** The observed pool after the plan's writes (each write's list replaces the set's, as UpdateIPSet does). */
function applied(observed: WafIpSetsObserved, writes: ReturnType<typeof planWafIpSets>['writes']): WafIpSetsObserved {
  const next = (family: 4 | 6) =>
    observed[family].map((s) => {
      const last = writes.filter((w) => w.name === s.name).pop();
      return last ? { ...s, addresses: last.addresses } : s;
    });
  return { scope: observed.scope, 4: next(4), 6: next(6) };
}

/** One size's figures: the CPU of each plan and what it wrote. */
export interface ScalingRow {
  readonly scale: number;
  readonly prefixes: number;
  readonly fromEmpty: { readonly ms: number; readonly writes: number };
  readonly changed: { readonly ms: number; readonly writes: number; readonly add: number; readonly remove: number };
  readonly converged: { readonly ms: number; readonly writes: number };
}

const set = (name: string, family: 4 | 6) => ({ name, id: name, family, addresses: [], lockToken: 't' });

/** Plans the allowlist at each scale (1 = the large run's waf-large): from empty, 1 % changed, converged. */
export function measureWafPlanScaling(scales: readonly number[]): ScalingRow[] {
  const empty: WafIpSetsObserved = { scope: 'REGIONAL', 4: [set('a', 4), set('b', 4), set('c', 4)], 6: [set('d', 6)] };
  return scales.map((scale) => {
    const n4 = Math.round(18_100 * scale);
    const n6 = Math.round(4_000 * scale);
    const initial = desiredOf(n4, n6, 0);
    const changed = desiredOf(n4, n6, 3_000_000);
    const [first, fromEmpty] = cpuMs(() => planWafIpSets(initial, empty));
    const before = applied(empty, first.writes);
    const [second, onePercent] = cpuMs(() => planWafIpSets(changed, before));
    const [third, converged] = cpuMs(() => planWafIpSets(changed, applied(before, second.writes)));
    return {
      scale,
      prefixes: n4 + n6,
      fromEmpty: { ms: fromEmpty, writes: first.writes.length },
      changed: { ms: onePercent, writes: second.writes.length, add: second.add.length, remove: second.remove.length },
      converged: { ms: converged, writes: third.writes.length },
    };
  });
}

if (require.main === module) {
  const scales = (process.argv[2] ?? '0.25,0.5,1,1.5').split(',').map(Number);
  for (const r of measureWafPlanScaling(scales)) {
    process.stdout.write(
      `scale ${r.scale} (${r.prefixes} prefixes): from empty ${r.fromEmpty.ms.toFixed(0)} ms (${r.fromEmpty.writes} ` +
        `writes), 1 % changed ${r.changed.ms.toFixed(0)} ms (${r.changed.writes} writes, +${r.changed.add} ` +
        `−${r.changed.remove}), converged ${r.converged.ms.toFixed(0)} ms (${r.converged.writes} writes)\n`,
    );
  }
}
