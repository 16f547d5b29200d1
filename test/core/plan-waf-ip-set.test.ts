import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ObservedIpSet,
  planWafIpSets,
  WAF_MAX_ADDRESSES_PER_SET,
  type WafIpSetsObserved,
  type WafIpSetWrite,
} from '../../lambda/core/plan-waf-ip-set';
import type { Cidr, Family } from '../../lambda/core/prefix';
import { PrefixSet } from '../../lambda/core/prefix-set';
import { cidrs, desiredOf, violation } from './target-plan-helpers';

function ipSet(name: string, family: Family, addresses: string[], description?: string): ObservedIpSet {
  return {
    name,
    id: `id-${name}`,
    family,
    addresses: cidrs(addresses),
    lockToken: `token-${name}`,
    ...(description === undefined ? {} : { description }),
  };
}

function pool(v4: ObservedIpSet[], v6: ObservedIpSet[] = []): WafIpSetsObserved {
  return { scope: 'REGIONAL', 4: v4, 6: v6 };
}

/** Applies the writes in order; returns every set's content after each write, and the final observed pool. */
function replay(observed: WafIpSetsObserved, writes: readonly WafIpSetWrite[]) {
  const content = new Map<string, readonly Cidr[]>();
  for (const s of [...observed[4], ...observed[6]]) content.set(s.id, s.addresses);
  const states: PrefixSet[] = [];
  for (const w of writes) {
    content.set(w.id, w.addresses);
    states.push(PrefixSet.fromCidrs([...content.values()].flat()));
  }
  const after = (s: ObservedIpSet): ObservedIpSet => ({ ...s, addresses: content.get(s.id)! });
  const final: WafIpSetsObserved = { ...observed, 4: observed[4].map(after), 6: observed[6].map(after) };
  return { states, final };
}

/** Distinct, non-adjacent IPv4 /32s, so aggregation keeps every one. */
function spacedHosts(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `11.${(i >> 7) & 255}.${(i >> 15) & 255}.${(i & 127) * 2}`);
}

describe('planWafIpSets', () => {
  it('makes no write when every set already holds its share of the list', () => {
    const observed = pool([ipSet('a', 4, ['11.0.0.0/24', '12.0.0.1/32'])], [ipSet('b', 6, ['2001:db8::/32'])]);
    const plan = planWafIpSets(desiredOf(['11.0.0.0/24', '12.0.0.1', '2001:db8::/32']), observed);
    expect(plan.writes).toEqual([]);
    expect(plan).toMatchObject({ add: [], remove: [], unchanged: 3, current: 3, drift: [], degraded: false });
    expect(plan.targetId).toBe('waf-ip-sets:REGIONAL:a,b');
  });

  it('sends the complete list, the description read and the lock token of the read in one call per changed set', () => {
    const observed = pool(
      [ipSet('a', 4, ['11.0.0.0/24'], 'partners v4')],
      [ipSet('b', 6, ['2001:db8::/32'], 'partners v6')],
    );
    const plan = planWafIpSets(desiredOf(['11.0.0.0/24', '12.0.0.0/16', '2001:db8::/32']), observed);
    expect(plan.writes).toEqual([
      {
        scope: 'REGIONAL',
        name: 'a',
        id: 'id-a',
        family: 4,
        addresses: ['11.0.0.0/24', '12.0.0.0/16'],
        description: 'partners v4',
        lockToken: 'token-a',
        step: 'final',
      },
    ]);
    expect(plan.add).toEqual(['12.0.0.0/16']);
  });

  it('omits the description of a set that has none rather than inventing one', () => {
    const plan = planWafIpSets(desiredOf(['11.0.0.0/24']), pool([ipSet('a', 4, [])]));
    expect(plan.writes[0]).not.toHaveProperty('description');
  });

  it.each([
    [WAF_MAX_ADDRESSES_PER_SET, 1, true],
    [WAF_MAX_ADDRESSES_PER_SET + 1, 1, false],
    [WAF_MAX_ADDRESSES_PER_SET + 1, 2, true],
  ])('with %i prefixes and %i set(s), fits is %s', (count, sets, fits) => {
    const observed = pool(Array.from({ length: sets }, (_, i) => ipSet(`s${i}`, 4, [])));
    const plan = planWafIpSets(desiredOf(spacedHosts(count)), observed);
    expect(plan.capacity.fits).toBe(fits);
    if (!fits) {
      expect(plan.writes).toEqual([]);
      expect(plan.capacity.advice).toBe(
        'add 1 IPv4 IP set(s) to the pool (2 needed for 10001 prefixes at 10000 per set, 1 configured)',
      );
    } else {
      expect(plan.writes.map((w) => w.addresses.length)).toEqual(
        sets === 1 ? [count] : [WAF_MAX_ADDRESSES_PER_SET, count - WAF_MAX_ADDRESSES_PER_SET],
      );
    }
  });

  it('refuses a family that has prefixes but no IP set in the pool, and names the fix', () => {
    const plan = planWafIpSets(desiredOf(['11.0.0.0/24', '2001:db8::/32']), pool([ipSet('a', 4, [])]));
    expect(plan.capacity).toMatchObject({ fits: false, needed: 1, available: 0, unit: 'IPv6 addresses' });
    expect(plan.capacity.advice).toContain('add 1 IPv6 IP set(s)');
    expect(plan.writes).toEqual([]);
  });

  it('refuses /0 defensively even though the policy never lets it through', () => {
    const plan = planWafIpSets(desiredOf(['0.0.0.0/0']), pool([ipSet('a', 4, [])]));
    expect(plan.capacity.fits).toBe(false);
    expect(plan.capacity.advice).toContain('0.0.0.0/0');
    expect(plan.writes).toEqual([]);
  });

  it('keeps a prefix in the set that holds it and puts new ones in the first set with room', () => {
    const observed = pool([ipSet('a', 4, ['11.0.0.0/24']), ipSet('b', 4, ['12.0.0.0/24'])]);
    const plan = planWafIpSets(desiredOf(['11.0.0.0/24', '12.0.0.0/24', '13.0.0.0/24']), observed);
    expect(plan.writes.map((w) => [w.name, w.addresses])).toEqual([['a', ['11.0.0.0/24', '13.0.0.0/24']]]);
  });

  it('re-aggregates inside the set that held the old entries, in one atomic call', () => {
    const observed = pool([ipSet('a', 4, ['20.0.0.0/24']), ipSet('b', 4, ['10.0.0.0/24'])]);
    const plan = planWafIpSets(desiredOf(['20.0.0.0/24', '10.0.0.0/25', '10.0.0.128/26']), observed);
    expect(plan.writes.map((w) => [w.name, w.addresses])).toEqual([['b', ['10.0.0.0/25', '10.0.0.128/26']]]);
  });

  it('writes the set that gains a moved range before the set that loses it', () => {
    const observed = pool([ipSet('a', 4, ['10.0.0.128/25', '30.0.0.0/24']), ipSet('b', 4, ['10.0.0.0/25'])]);
    const desired = desiredOf(['10.0.0.0/24', '30.0.0.0/24']);
    const plan = planWafIpSets(desired, observed);
    expect(plan.writes.map((w) => [w.name, w.addresses])).toEqual([
      ['a', ['10.0.0.0/24', '30.0.0.0/24']],
      ['b', []],
    ]);
    const old = PrefixSet.parse(['10.0.0.0/24', '30.0.0.0/24']);
    for (const state of replay(observed, plan.writes).states)
      expect(violation(old, desired.set, state)).toBeUndefined();
  });

  it('widens one set first when two sets both add and remove, so the target never admits neither list', () => {
    const observed = pool([ipSet('a', 4, ['11.0.0.0/24'])], [ipSet('b', 6, ['2001:db8::/32'])]);
    const desired = desiredOf(['12.0.0.0/24', '2001:db9::/32']);
    const plan = planWafIpSets(desired, observed);
    expect(plan.writes.map((w) => [w.name, w.step, w.addresses])).toEqual([
      ['a', 'add-first', ['11.0.0.0/24', '12.0.0.0/24']],
      ['b', 'final', ['2001:db9::/32']],
      ['a', 'final', ['12.0.0.0/24']],
    ]);
    const old = PrefixSet.parse(['11.0.0.0/24', '2001:db8::/32']);
    for (const state of replay(observed, plan.writes).states)
      expect(violation(old, desired.set, state)).toBeUndefined();
  });

  it('removes a prefix listed in two sets from the second and keeps it in the first', () => {
    const observed = pool([ipSet('a', 4, ['11.0.0.0/24']), ipSet('b', 4, ['11.0.0.0/24'])]);
    const plan = planWafIpSets(desiredOf(['11.0.0.0/24']), observed);
    expect(plan.writes.map((w) => [w.name, w.addresses])).toEqual([['b', []]]);
  });
});

const v4Prefix = fc.tuple(fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 22, max: 32 })).map(([n, len]) => {
  const value = (10 << 24) + n * 256 * 4;
  const masked = value - (value % 2 ** (32 - len));
  return `${(masked >>> 24) & 255}.${(masked >>> 16) & 255}.${(masked >>> 8) & 255}.${masked & 255}/${len}`;
});
const v6Prefix = fc
  .tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 40, max: 48 }))
  .map(
    ([n, len]) => PrefixSet.parse([`2001:db8:${(n << 8).toString(16)}::/${len}`].map((t) => mask6(t))).toCidrs()[0]!,
  );

function mask6(text: string): string {
  const [addr, len] = text.split('/');
  const groups = addr!
    .replace('::', '')
    .split(':')
    .map((g) => Number.parseInt(g, 16));
  const bits = Number(len);
  // groups[2] is the only non-zero tail group; clear what lies beyond the prefix length.
  const keep = Math.max(0, Math.min(16, bits - 32));
  const g2 = groups[2]! & (0xffff << (16 - keep)) & 0xffff;
  return `2001:db8:${g2.toString(16)}::/${bits}`;
}

const scenario = fc.record({
  old4: fc.array(fc.array(v4Prefix, { maxLength: 6 }), { minLength: 1, maxLength: 3 }),
  old6: fc.array(fc.array(v6Prefix, { maxLength: 4 }), { minLength: 1, maxLength: 2 }),
  next: fc.array(fc.oneof(v4Prefix, v6Prefix), { maxLength: 12 }),
  seed: fc.integer(),
});

function observedOf(old4: string[][], old6: string[][], shuffle = 0): WafIpSetsObserved {
  const make = (family: Family, lists: string[][]) =>
    lists.map((list, i) => {
      const distinct = [...new Set(cidrs(list))];
      const rotated = distinct.map((_, k) => distinct[(k + shuffle) % distinct.length]!);
      return { ...ipSet(`v${family}-${i}`, family, []), addresses: rotated };
    });
  return pool(make(4, old4), make(6, old6));
}

describe('planWafIpSets properties', () => {
  it('is deterministic and independent of the order AWS lists the addresses in', () => {
    fc.assert(
      fc.property(scenario, ({ old4, old6, next, seed }) => {
        const desired = desiredOf(next);
        const a = planWafIpSets(desired, observedOf(old4, old6));
        const b = planWafIpSets(desired, observedOf(old4, old6, Math.abs(seed) % 7));
        expect(b).toEqual(a);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps P3, P4 and P5 after every write, converges in one run, and a second run writes nothing', () => {
    fc.assert(
      fc.property(scenario, ({ old4, old6, next }) => {
        const desired = desiredOf(next);
        const observed = observedOf(old4, old6);
        const old = PrefixSet.parse([...old4.flat(), ...old6.flat()]);
        const plan = planWafIpSets(desired, observed);
        expect(plan.degraded).toBe(false);
        const { states, final } = replay(observed, plan.writes);
        for (const state of states) expect(violation(old, desired.set, state)).toBeUndefined();
        const held = [...final[4], ...final[6]].flatMap((s) => s.addresses);
        expect([...held].sort()).toEqual([...desired.cidrs[4], ...desired.cidrs[6]].sort());
        expect(planWafIpSets(desired, final).writes).toEqual([]);
        const finals = plan.writes.filter((w) => w.step === 'final');
        expect(new Set(finals.map((w) => w.id)).size).toBe(finals.length);
      }),
      { numRuns: 150 },
    );
  });
});
