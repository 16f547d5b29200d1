/** Times the WAF IP set and prefix list planners on large inputs: `npx tsx test/targets/measure-planners.ts`. */

import { planPrefixLists } from '../../lambda/core/plan-prefix-list';
import { planWafIpSets } from '../../lambda/core/plan-waf-ip-set';
import { parseCidr } from '../../lambda/core/prefix';
import { PrefixSet } from '../../lambda/core/prefix-set';

const hosts = (n: number, from = 0) =>
  Array.from({ length: n }, (_, k) => {
    const i = k + from;
    return `11.${(i >> 7) & 255}.${(i >> 15) & 255}.${(i & 127) * 2}`;
  });
const desiredOf = (t: string[]) => {
  const set = PrefixSet.parse(t);
  return { allowlist: 'x', set, cidrs: { 4: set.toCidrs(4), 6: set.toCidrs(6) }, notes: new Map() };
};
const time = (label: string, f: () => unknown) => {
  f();
  const t = performance.now();
  const r = f();
  console.log(label, (performance.now() - t).toFixed(0), 'ms');
  return r;
};
// 19,000 desired over 2 sets; old: 18,000 of which 3,000 change.
const desired = desiredOf(hosts(19000));
const old = hosts(18000, 3000).map((t) => parseCidr(t));
const observed = {
  scope: 'REGIONAL' as const,
  4: [
    { name: 'a', id: 'a', family: 4 as const, addresses: old.slice(0, 9000), lockToken: 't' },
    { name: 'b', id: 'b', family: 4 as const, addresses: old.slice(9000), lockToken: 't' },
  ],
  6: [],
};
const p = time('waf plan 19,000 prefixes over 2 sets (3,000 added, 2,000 removed)', () =>
  planWafIpSets(desired, observed),
) as { writes: unknown[]; add: unknown[]; remove: unknown[]; degraded: boolean };
console.log(' writes', p.writes.length, 'add', p.add.length, 'remove', p.remove.length);
const d2 = desiredOf(hosts(1000));
const pl = {
  4: {
    id: 'pl-1',
    family: 4 as const,
    state: 'create-complete',
    version: 1,
    maxEntries: 1000,
    entries: hosts(1000, 500).map((t) => ({ cidr: parseCidr(t) })),
  },
};
const q = time('prefix-list plan 1,000 entries (500 added, 500 removed)', () => planPrefixLists(d2, pl)) as {
  writes: unknown[];
  add: unknown[];
  remove: unknown[];
  degraded: boolean;
};
console.log(' calls', q.writes.length, 'degraded', q.degraded);
