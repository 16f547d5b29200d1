import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  entryDescription,
  type ObservedPrefixList,
  PREFIX_LIST_BATCH,
  type PrefixListsObserved,
  type PrefixListWrite,
  planPrefixLists,
} from '../../lambda/core/plan-prefix-list';
import type { Cidr, Family } from '../../lambda/core/prefix';
import { PrefixSet } from '../../lambda/core/prefix-set';
import { cidrs, desiredOf, violation } from './target-plan-helpers';

function list(family: Family, entries: string[], maxEntries = 100, version = 7): ObservedPrefixList {
  return {
    id: family === 4 ? 'pl-0000000000000004a' : 'pl-0000000000000006a',
    family,
    state: 'create-complete',
    version,
    maxEntries,
    entries: cidrs(entries).map((cidr) => ({ cidr })),
  };
}

/** Distinct, non-adjacent IPv4 /32s (aggregation keeps every one), from a start offset. */
function hosts(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, k) => {
    const i = k + from;
    return `11.${(i >> 7) & 255}.0.${(i & 127) * 2}`;
  });
}

interface Replay {
  states: PrefixSet[];
  final: PrefixListsObserved;
  problems: string[];
}

/** Applies the calls as AWS would, checking versions, batch limits and MaxEntries; returns each state. */
function replay(observed: PrefixListsObserved, writes: readonly PrefixListWrite[]): Replay {
  const lists = new Map<string, { list: ObservedPrefixList; entries: Set<Cidr> }>();
  for (const l of [observed[4], observed[6]]) {
    if (l) lists.set(l.id, { list: { ...l }, entries: new Set(l.entries.map((e) => e.cidr)) });
  }
  const states: PrefixSet[] = [];
  const problems: string[] = [];
  for (const w of writes) {
    const l = lists.get(w.prefixListId)!;
    if (w.kind === 'resize') {
      l.list = { ...l.list, maxEntries: w.maxEntries };
    } else {
      if (w.currentVersion !== l.list.version) problems.push(`version ${w.currentVersion} != ${l.list.version}`);
      if (w.add.length > PREFIX_LIST_BATCH || w.remove.length > PREFIX_LIST_BATCH) problems.push('batch over 100');
      for (const c of w.remove) if (!l.entries.delete(c)) problems.push(`remove of missing ${c}`);
      for (const a of w.add) {
        if (l.entries.has(a.cidr)) problems.push(`add of existing ${a.cidr}`);
        l.entries.add(a.cidr);
      }
      if (l.entries.size > l.list.maxEntries) problems.push(`${l.entries.size} entries over ${l.list.maxEntries}`);
      l.list = { ...l.list, version: l.list.version + 1 };
    }
    states.push(PrefixSet.fromCidrs([...lists.values()].flatMap((x) => [...x.entries])));
  }
  const finalOf = (l?: ObservedPrefixList): ObservedPrefixList | undefined => {
    if (!l) return undefined;
    const x = lists.get(l.id)!;
    return { ...x.list, entries: [...x.entries].map((cidr) => ({ cidr })) };
  };
  const v4 = finalOf(observed[4]);
  const v6 = finalOf(observed[6]);
  return { states, problems, final: { ...(v4 ? { 4: v4 } : {}), ...(v6 ? { 6: v6 } : {}) } };
}

const modifies = (writes: readonly PrefixListWrite[]) => writes.filter((w) => w.kind === 'modify');

describe('planPrefixLists', () => {
  it('makes no call when the list already holds exactly the allowlist', () => {
    const plan = planPrefixLists(desiredOf(['11.0.0.0/24', '12.0.0.0/16']), {
      4: list(4, ['12.0.0.0/16', '11.0.0.0/24']),
    });
    expect(plan.writes).toEqual([]);
    expect(plan).toMatchObject({ targetId: 'prefix-lists:pl-0000000000000004a', unchanged: 2, current: 2, drift: [] });
  });

  it('adds before it removes, in one call when both fit, naming the version read', () => {
    const plan = planPrefixLists(desiredOf(['12.0.0.0/16']), { 4: list(4, ['11.0.0.0/24']) });
    expect(plan.writes).toEqual([
      {
        kind: 'modify',
        prefixListId: 'pl-0000000000000004a',
        family: 4,
        currentVersion: 7,
        add: [{ cidr: '12.0.0.0/16' }],
        remove: ['11.0.0.0/24'],
      },
    ]);
  });

  it('describes each added entry with its note and owner, within 255 characters', () => {
    const desired = desiredOf(['12.0.0.0/16', '13.0.0.0/16'], {
      '12.0.0.0/16': { note: 'Acme office', owner: 'it@acme.example' },
      '13.0.0.0/16': { note: 'x'.repeat(300) },
    });
    const plan = planPrefixLists(desired, { 4: list(4, []) });
    const [call] = modifies(plan.writes);
    expect(call?.kind === 'modify' && call.add).toEqual([
      { cidr: '12.0.0.0/16', description: 'Acme office; owner: it@acme.example' },
      { cidr: '13.0.0.0/16', description: 'x'.repeat(255) },
    ]);
    expect(entryDescription(undefined)).toBeUndefined();
  });

  it.each([
    // adds, removes, calls
    [0, 0, 0],
    [1, 0, 1],
    [0, 1, 1],
    [100, 100, 1],
    [101, 0, 2],
    [150, 150, 3],
    [250, 30, 3],
    [1, 201, 3],
    [300, 300, 5],
  ])('%i adds and %i removes take %i call(s), at most ⌈(adds+removes)/100⌉', (adds, removes, calls) => {
    const observed = { 4: list(4, hosts(removes, 10_000), 1000) };
    const desired = desiredOf(hosts(adds));
    const plan = planPrefixLists(desired, observed);
    expect(modifies(plan.writes)).toHaveLength(calls);
    expect(calls).toBeLessThanOrEqual(Math.ceil((adds + removes) / 100));
    const { problems, states, final } = replay(observed, plan.writes);
    expect(problems).toEqual([]);
    expect(final[4]!.entries).toHaveLength(adds);
    const old = PrefixSet.parse(hosts(removes, 10_000));
    for (const s of states) expect(violation(old, desired.set, s)).toBeUndefined();
  });

  it('numbers the versions of consecutive calls from the version read', () => {
    const plan = planPrefixLists(desiredOf(hosts(250)), { 4: list(4, [], 1000, 41) });
    expect(modifies(plan.writes).map((w) => w.kind === 'modify' && w.currentVersion)).toEqual([41, 42, 43]);
  });

  it('refuses a list that cannot hold the new entries, before any call, and names the fix', () => {
    const plan = planPrefixLists(desiredOf(hosts(11)), { 4: list(4, [], 10) });
    expect(plan.writes).toEqual([]);
    expect(plan.capacity).toMatchObject({ fits: false, needed: 11, available: 10, unit: 'IPv4 entries' });
    expect(plan.capacity.advice).toContain('set growUpTo: 11');
  });

  it('grows MaxEntries in a call of its own, before the entry changes, when growUpTo allows', () => {
    const plan = planPrefixLists(desiredOf(hosts(11)), { 4: list(4, [], 10) }, { growUpTo: 20 });
    expect(plan.writes[0]).toEqual({ kind: 'resize', prefixListId: 'pl-0000000000000004a', family: 4, maxEntries: 11 });
    expect(modifies(plan.writes)).toHaveLength(1);
    expect(plan.capacity).toMatchObject({ fits: true, available: 11 });
  });

  it('grows only as far as growUpTo and refuses beyond it', () => {
    const plan = planPrefixLists(desiredOf(hosts(30)), { 4: list(4, [], 10) }, { growUpTo: 20 });
    expect(plan.capacity).toMatchObject({ fits: false, needed: 30, available: 20 });
    expect(plan.writes).toEqual([]);
  });

  it('grows for the transient union so that make-before-break still holds', () => {
    // 100 old entries, 150 new ones: after the first batch of adds the list holds 200.
    const observed = { 4: list(4, hosts(100, 500), 150) };
    const plan = planPrefixLists(desiredOf(hosts(150)), observed, { growUpTo: 300 });
    expect(plan.writes[0]).toMatchObject({ kind: 'resize', maxEntries: 200 });
    expect(plan.degraded).toBe(false);
    expect(replay(observed, plan.writes).problems).toEqual([]);
  });

  it('when only the transient union does not fit, removes what admits no wanted address first and says degraded', () => {
    const observed = { 4: list(4, [...hosts(100, 500), '10.0.0.0/24'], 150) };
    const desired = desiredOf([...hosts(140), '10.0.0.0/25', '10.0.0.128/26']);
    const plan = planPrefixLists(desired, observed);
    expect(plan.degraded).toBe(true);
    const calls = modifies(plan.writes);
    expect(calls.map((w) => w.kind === 'modify' && [w.add.length, w.remove.length])).toEqual([
      [0, 100],
      [100, 0],
      [42, 1],
    ]);
    expect(calls[0]).toMatchObject({ remove: cidrs(hosts(100, 500)) });
    expect(calls[2]).toMatchObject({ remove: ['10.0.0.0/24'] });
    const { problems, states } = replay(observed, plan.writes);
    expect(problems).toEqual([]);
    // P5 is given up, P3 and P4 are kept: the /24's wanted part stays admitted throughout.
    const old = PrefixSet.parse([...hosts(100, 500), '10.0.0.0/24']);
    for (const s of states) expect(violation(old, desired.set, s) ?? 'P5').toBe('P5');
  });

  it('refuses a family that has prefixes but no prefix list in the target', () => {
    const plan = planPrefixLists(desiredOf(['11.0.0.0/24', '2001:db8::/32']), { 4: list(4, []) });
    expect(plan.capacity).toMatchObject({ fits: false, unit: 'IPv6 entries' });
    expect(plan.capacity.advice).toContain('no IPv6 prefix list');
  });

  it('with both families changing, lets only one list finish its adds in the call that removes', () => {
    const observed = { 4: list(4, ['11.0.0.0/24']), 6: list(6, ['2001:db8::/32']) };
    const desired = desiredOf(['12.0.0.0/24', '2001:db9::/32']);
    const plan = planPrefixLists(desired, observed);
    expect(plan.writes.map((w) => w.kind === 'modify' && [w.family, w.add.length, w.remove.length])).toEqual([
      [4, 1, 0],
      [6, 1, 1],
      [4, 0, 1],
    ]);
    const old = PrefixSet.parse(['11.0.0.0/24', '2001:db8::/32']);
    for (const s of replay(observed, plan.writes).states) expect(violation(old, desired.set, s)).toBeUndefined();
  });
});

const v4Prefix = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 20, max: 32 })).map(([n, len]) => {
  const value = (10 << 24) + n * 1024;
  const masked = value - (value % 2 ** (32 - len));
  return `${(masked >>> 24) & 255}.${(masked >>> 16) & 255}.${(masked >>> 8) & 255}.${masked & 255}/${len}`;
});
const v6Prefix = fc.integer({ min: 0, max: 255 }).map((n) => `2001:db8:${(n * 256).toString(16)}::/40`);

const scenario = fc.record({
  old4: fc.uniqueArray(v4Prefix, { maxLength: 40 }),
  old6: fc.uniqueArray(v6Prefix, { maxLength: 20 }),
  next: fc.array(fc.oneof(v4Prefix, v6Prefix), { maxLength: 60 }),
  maxEntries: fc.integer({ min: 20, max: 120 }),
  growUpTo: fc.option(fc.integer({ min: 20, max: 200 }), { nil: undefined }),
  rotate: fc.nat(),
});

function observedOf(old4: string[], old6: string[], maxEntries: number, rotate = 0): PrefixListsObserved {
  const rot = (xs: string[]) => xs.map((_, k) => xs[(k + rotate) % xs.length]!);
  return {
    4: list(4, rot(old4), Math.max(maxEntries, old4.length)),
    6: list(6, rot(old6), Math.max(maxEntries, old6.length)),
  };
}

describe('planPrefixLists properties', () => {
  it('is deterministic and independent of the order AWS lists the entries in', () => {
    fc.assert(
      fc.property(scenario, ({ old4, old6, next, maxEntries, growUpTo, rotate }) => {
        const desired = desiredOf(next);
        const a = planPrefixLists(desired, observedOf(old4, old6, maxEntries), { growUpTo });
        const b = planPrefixLists(desired, observedOf(old4, old6, maxEntries, rotate), { growUpTo });
        expect(b).toEqual(a);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps P3 and P4 after every call, P5 unless degraded, converges, respects AWS limits, and is then idle', () => {
    fc.assert(
      fc.property(scenario, ({ old4, old6, next, maxEntries, growUpTo }) => {
        const desired = desiredOf(next);
        const observed = observedOf(old4, old6, maxEntries);
        const plan = planPrefixLists(desired, observed, { growUpTo });
        if (!plan.capacity.fits) {
          expect(plan.writes).toEqual([]);
          return;
        }
        const old = PrefixSet.parse([...old4, ...old6]);
        const { states, final, problems } = replay(observed, plan.writes);
        expect(problems).toEqual([]);
        for (const s of states) {
          const broken = violation(old, desired.set, s);
          if (plan.degraded) expect(broken ?? 'P5').toBe('P5');
          else expect(broken).toBeUndefined();
        }
        const held = [...final[4]!.entries, ...final[6]!.entries].map((e) => e.cidr);
        expect(held.sort()).toEqual([...desired.cidrs[4], ...desired.cidrs[6]].sort());
        expect(planPrefixLists(desired, final, { growUpTo }).writes).toEqual([]);
        for (const family of [4, 6] as const) {
          const calls = modifies(plan.writes).filter((w) => w.family === family).length;
          const changes = plan.add.concat(plan.remove).filter((c) => c.includes(':') === (family === 6)).length;
          // One extra call at most, for the list that cannot finish its adds in the call that removes.
          expect(calls).toBeLessThanOrEqual(Math.ceil(changes / 100) + 1);
        }
      }),
      { numRuns: 300 },
    );
  });
});
