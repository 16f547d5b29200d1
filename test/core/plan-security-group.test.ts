import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planSecurityGroups, ruleDescription, type SecurityGroupWrite } from '../../lambda/core/plan-security-group';
import { ALLOWLIST, applyWrite, desired, type ModelRule, pool, rule, violation } from './security-group-model';

const A = 'sg-0000000a';
const B = 'sg-0000000b';
const C = 'sg-0000000c';

/** A write as a short line: `authorize sg-a tcp 443-443 10.0.0.0/24,…` / `revoke sg-a 10.0.0.0/24,…`. */
function show(write: SecurityGroupWrite): string {
  if (write.action === 'authorize') {
    const perms = write.permissions.map(
      (p) => `${p.protocol} ${p.fromPort}-${p.toPort} ${[...p.ipv4, ...p.ipv6].map((r) => r.cidr).join(',')}`,
    );
    return `authorize ${write.groupId} ${perms.join(' | ')}`;
  }
  const rules = write.rules.map((r) =>
    r.protocol === 'tcp' && r.fromPort === 443 ? r.cidr : `${r.cidr}@${r.protocol}:${r.fromPort}`,
  );
  return `${write.phase === 'make-room' ? 'make-room ' : ''}revoke ${write.groupId} ${rules.join(',')}`;
}

describe('planSecurityGroups', () => {
  it.each([
    {
      name: 'adds every prefix to an empty group in one authorize',
      target: pool([A]),
      want: ['10.0.0.0/24', '2001:db8::/32'],
      rules: [],
      writes: [`authorize ${A} tcp 443-443 10.0.0.0/24,2001:db8::/32`],
    },
    {
      name: 'makes zero writes when the pool is converged',
      target: pool([A]),
      want: ['10.0.0.0/24', '10.0.1.0/24'],
      rules: [rule(A, '10.0.0.0/24'), rule(A, '10.0.1.0/24')],
      writes: [],
    },
    {
      name: 'adds the /25 and /26 before it revokes the /24 they replace',
      target: pool([A]),
      want: ['10.0.0.0/25', '10.0.0.128/26'],
      rules: [rule(A, '10.0.0.0/24')],
      writes: [`authorize ${A} tcp 443-443 10.0.0.0/25,10.0.0.128/26`, `revoke ${A} 10.0.0.0/24`],
    },
    {
      name: 'adds both /25s before it revokes the /24 when a list is re-aggregated',
      target: pool([A]),
      want: ['10.0.0.0/25', '10.0.0.128/25'],
      rules: [rule(A, '10.0.0.0/24')],
      writes: [`authorize ${A} tcp 443-443 10.0.0.0/25,10.0.0.128/25`, `revoke ${A} 10.0.0.0/24`],
    },
    {
      name: 'fills groups in pool order, each prefix with all its port ranges in one group',
      target: pool([A, B, C], {
        ipv4: 4,
        ports: [
          { protocol: 'tcp', from: 443, to: 443 },
          { protocol: 'udp', from: 53, to: 53 },
        ],
      }),
      want: ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24', '10.0.4.0/24'],
      rules: [],
      writes: [
        `authorize ${A} tcp 443-443 10.0.0.0/24,10.0.1.0/24 | udp 53-53 10.0.0.0/24,10.0.1.0/24`,
        `authorize ${B} tcp 443-443 10.0.2.0/24,10.0.3.0/24 | udp 53-53 10.0.2.0/24,10.0.3.0/24`,
        `authorize ${C} tcp 443-443 10.0.4.0/24 | udp 53-53 10.0.4.0/24`,
      ],
    },
    {
      name: 'keeps placed prefixes where they are and puts a new one where it fits before any revoke',
      target: pool([A, B, C], { ipv4: 2 }),
      want: ['10.0.0.0/24', '10.0.2.0/24', '10.0.3.0/24', '10.0.4.0/24', '10.0.5.0/24'],
      rules: [
        rule(A, '10.0.0.0/24'),
        rule(A, '10.0.1.0/24'),
        rule(B, '10.0.2.0/24'),
        rule(B, '10.0.3.0/24'),
        rule(C, '10.0.4.0/24'),
      ],
      writes: [`authorize ${C} tcp 443-443 10.0.5.0/24`, `revoke ${A} 10.0.1.0/24`],
    },
    {
      name: 'counts IPv4 and IPv6 rules separately',
      target: pool([A, B], { ipv4: 2, ipv6: 2 }),
      want: ['10.0.0.0/24', '10.0.1.0/24', '2001:db8::/32', '2001:db9::/32'],
      rules: [],
      writes: [`authorize ${A} tcp 443-443 10.0.0.0/24,10.0.1.0/24,2001:db8::/32,2001:db9::/32`],
    },
    {
      name: 'counts unowned rules against the quota and never revokes them',
      target: pool([A, B], { ipv4: 3 }),
      want: ['10.0.0.0/24', '10.0.1.0/24'],
      rules: [
        rule(A, '192.0.2.0/24', { owner: null }),
        rule(A, '198.51.100.0/24', { owner: 'other-list' }),
        rule(A, '203.0.113.0/24', { owner: null, protocol: '-1', from: -1, to: -1 }),
      ],
      writes: [`authorize ${B} tcp 443-443 10.0.0.0/24,10.0.1.0/24`],
    },
    {
      name: 'does not re-add a rule that an identical unowned rule already holds',
      target: pool([A]),
      want: ['10.0.0.0/24', '10.0.1.0/24'],
      rules: [rule(A, '10.0.0.0/24', { owner: null })],
      writes: [`authorize ${A} tcp 443-443 10.0.1.0/24`],
    },
    {
      name: 'moves rules to a new port range: authorize the new range, then revoke the old one',
      target: pool([A], { ports: [{ protocol: 'tcp', from: 8443, to: 8443 }] }),
      want: ['10.0.0.0/24'],
      rules: [rule(A, '10.0.0.0/24')],
      writes: [`authorize ${A} tcp 8443-8443 10.0.0.0/24`, `revoke ${A} 10.0.0.0/24`],
    },
    {
      name: 'revokes only what admits no wanted address first when the quota cannot hold old and new (degraded)',
      target: pool([A], { ipv4: 3 }),
      want: ['10.0.0.0/24', '10.0.1.0/24', '10.0.3.0/24'],
      rules: [rule(A, '10.0.0.0/24'), rule(A, '10.0.1.0/24'), rule(A, '10.0.2.0/24')],
      writes: [`make-room revoke ${A} 10.0.2.0/24`, `authorize ${A} tcp 443-443 10.0.3.0/24`],
    },
  ])('$name', ({ target, want, rules, writes }) => {
    const plan = planSecurityGroups(target, desired(want), { rules });
    expect(plan.writes.map(show)).toEqual(writes);
    expect(plan.capacity.fits).toBe(true);
    expect(plan.degraded).toBe(writes.some((w) => w.startsWith('make-room')));
  });

  it.each([
    {
      groups: 1,
      cap: 2,
      ports: 1,
      prefixes: 5,
      advice: 'add 2 security group(s) to the pool (3 needed, 1 configured)',
    },
    {
      groups: 2,
      cap: 4,
      ports: 2,
      prefixes: 9,
      advice: 'add 3 security group(s) to the pool (5 needed, 2 configured)',
    },
    {
      groups: 1,
      cap: 60,
      ports: 1,
      prefixes: 61,
      advice: 'add 1 security group(s) to the pool (2 needed, 1 configured)',
    },
    { groups: 1, cap: 1, ports: 2, prefixes: 1, advice: 'one prefix needs 2 rules (one per port range)' },
  ])('refuses $prefixes prefixes × $ports port ranges in $groups group(s) of $cap rules: "$advice"', (c) => {
    const groupIds = [A, B, C].slice(0, c.groups);
    const ports = [
      { protocol: 'tcp' as const, from: 443, to: 443 },
      { protocol: 'tcp' as const, from: 80, to: 80 },
    ].slice(0, c.ports);
    const want = Array.from({ length: c.prefixes }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    const plan = planSecurityGroups(pool(groupIds, { ipv4: c.cap, ports }), desired(want), { rules: [] });
    expect(plan.capacity.fits).toBe(false);
    expect(plan.capacity.advice).toContain(c.advice);
    expect(plan.writes).toEqual([]);
  });

  it('refuses rather than revoke a wanted address when no order can keep it admitted', () => {
    const rules = [rule(A, '10.0.0.0/24'), rule(A, '11.0.0.0/24'), rule(A, '12.0.0.0/24')];
    const plan = planSecurityGroups(pool([A], { ipv4: 3 }), desired(['10.0.0.0/25', '10.0.0.128/26', '12.0.0.0/24']), {
      rules,
    });
    expect(plan.capacity.fits).toBe(false);
    expect(plan.capacity.advice).toContain(`group ${A} would need 4 IPv4 rules during the change (quota 3)`);
    expect(plan.writes).toEqual([]);
  });

  it('uses a second group instead of a degraded order when the first is full', () => {
    const rules = [rule(A, '10.0.0.0/24'), rule(A, '12.0.0.0/24')];
    const plan = planSecurityGroups(
      pool([A, B], { ipv4: 2 }),
      desired(['10.0.0.0/25', '10.0.0.128/25', '12.0.0.0/24']),
      {
        rules,
      },
    );
    expect(plan.writes.map(show)).toEqual([
      `authorize ${B} tcp 443-443 10.0.0.0/25,10.0.0.128/25`,
      `revoke ${A} 10.0.0.0/24`,
    ]);
    expect(plan.degraded).toBe(false);
  });

  it('reports rules it does not own as drift, with their ports, and the shadowed desired rule', () => {
    const mine = rule(A, '10.0.0.0/24', { owner: null, id: 'sgr-unowned' });
    const plan = planSecurityGroups(pool([A]), desired(['10.0.0.0/24']), {
      rules: [mine, rule(A, '192.0.2.0/24', { owner: 'other', protocol: 'udp', from: 53 })],
    });
    expect(plan.drift).toEqual([
      { resource: A, cidr: '10.0.0.0/24', ports: 'tcp 443-443' },
      { resource: A, cidr: '192.0.2.0/24', ports: 'udp 53-53' },
    ]);
    expect(plan.shadowed).toEqual([{ groupId: A, cidr: '10.0.0.0/24', ports: 'tcp 443-443', ruleId: 'sgr-unowned' }]);
    expect(plan.writes).toEqual([]);
  });

  it('counts added, removed, unchanged and current prefixes for the report and the guardrails', () => {
    const plan = planSecurityGroups(pool([A]), desired(['10.0.0.0/24', '10.0.2.0/24']), {
      rules: [rule(A, '10.0.0.0/24'), rule(A, '10.0.1.0/24')],
    });
    expect(plan).toMatchObject({ add: ['10.0.2.0/24'], remove: ['10.0.1.0/24'], unchanged: 1, current: 2 });
    expect(plan.targetId).toBe(`security-groups:${A}`);
  });

  it('writes the marker, owner and note into the description, in the characters EC2 accepts', () => {
    const plan = planSecurityGroups(
      pool([A]),
      desired(['10.0.0.0/24'], { '10.0.0.0/24': { owner: 'acme', note: "Zürich's VPN <primary>" } }),
      { rules: [] },
    );
    const write = plan.writes[0];
    expect(write?.action === 'authorize' && write.permissions[0]?.ipv4[0]?.description).toBe(
      'allowlist-sync:partners - acme - Z_rich_s VPN _primary_',
    );
  });

  it.each([
    ['a plain marker', {}, 'allowlist-sync:partners'],
    ['an owner only', { owner: 'ops@example.com' }, 'allowlist-sync:partners - ops@example.com'],
    ['a 300-character note, cut at 255', { note: 'x'.repeat(300) }, `allowlist-sync:partners - ${'x'.repeat(229)}`],
    ['whitespace runs collapsed', { note: 'a\t\n b' }, 'allowlist-sync:partners - a b'],
  ])('ruleDescription: %s', (_, note, expected) => {
    expect(ruleDescription(ALLOWLIST, note)).toBe(expected);
    expect(ruleDescription(ALLOWLIST, note).length).toBeLessThanOrEqual(255);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties over random pools: determinism, convergence, ownership, and P3/P4/P5 after every single call.

const GROUPS = [A, B, C];
const PORTS = [
  { protocol: 'tcp' as const, from: 443, to: 443 },
  { protocol: 'tcp' as const, from: 80, to: 81 },
  { protocol: 'udp' as const, from: 53, to: 53 },
];
const STALE = { protocol: 'tcp', from: 22, to: 22 };
const UNIVERSE = [
  '10.0.0.0/24',
  '10.0.0.0/25',
  '10.0.0.128/25',
  '10.0.0.0/26',
  '10.0.1.0/24',
  '10.0.2.0/24',
  '10.0.3.7/32',
  '192.0.2.0/24',
  '2001:db8::/32',
  '2001:db8::/33',
  '2001:db8:8000::/33',
  '2001:db9::/48',
];

const scenario = fc
  .record({
    groups: fc.integer({ min: 1, max: 3 }),
    ports: fc.subarray(PORTS, { minLength: 1 }),
    ipv4: fc.integer({ min: 1, max: 12 }),
    ipv6: fc.integer({ min: 1, max: 8 }),
    want: fc.subarray(UNIVERSE),
    seed: fc.array(
      fc.record({
        group: fc.nat(2),
        port: fc.nat(3),
        cidr: fc.constantFrom(...UNIVERSE),
        owner: fc.constantFrom(ALLOWLIST, ALLOWLIST, null, 'other'),
      }),
      { maxLength: 14 },
    ),
  })
  .map((s) => {
    const target = pool(GROUPS.slice(0, s.groups), { ports: s.ports, ipv4: s.ipv4, ipv6: s.ipv6 });
    const rules: ModelRule[] = [];
    for (const r of s.seed) {
      const groupId = GROUPS[r.group % s.groups]!;
      const port = r.port < s.ports.length ? s.ports[r.port]! : STALE;
      const candidate = rule(groupId, r.cidr, {
        owner: r.owner,
        protocol: port.protocol,
        from: port.from,
        to: port.to,
      });
      const six = r.cidr.includes(':');
      const sameFamily = rules.filter((x) => x.groupId === groupId && x.cidr!.includes(':') === six).length;
      const duplicate = rules.some(
        (x) =>
          x.groupId === groupId &&
          x.protocol === port.protocol &&
          x.fromPort === port.from &&
          x.cidr === candidate.cidr,
      );
      if (!duplicate && sameFamily < (six ? s.ipv6 : s.ipv4)) rules.push(candidate);
    }
    return { target, want: desired(s.want), rules };
  });

describe('planSecurityGroups properties', () => {
  it('plans the same writes whatever the order of the observed rules and of the desired list', () => {
    fc.assert(
      fc.property(scenario, fc.infiniteStream(fc.nat()), ({ target, want, rules }, noise) => {
        const shuffle = <T>(xs: readonly T[]) => {
          const keys = xs.map(() => noise.next().value as number);
          return xs
            .map((x, i) => [keys[i]!, x] as const)
            .sort((a, b) => a[0] - b[0])
            .map(([, x]) => x);
        };
        const reordered = { ...want, cidrs: { 4: shuffle(want.cidrs[4]), 6: shuffle(want.cidrs[6]) } };
        expect(planSecurityGroups(target, reordered, { rules: shuffle(rules) })).toEqual(
          planSecurityGroups(target, want, { rules }),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('never puts a rule it does not own in a revoke', () => {
    fc.assert(
      fc.property(scenario, ({ target, want, rules }) => {
        const plan = planSecurityGroups(target, want, { rules });
        const owned = new Set(rules.filter((r) => r.owner === ALLOWLIST).map((r) => r.ruleId));
        for (const w of plan.writes) if (w.action === 'revoke') for (const id of w.ruleIds) expect(owned).toContain(id);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps P3, P4 and P5 after every call, converges to desired ∪ unowned, and then plans nothing', () => {
    let applied = 0;
    let degraded = 0;
    let refused = 0;
    fc.assert(
      fc.property(scenario, ({ target, want, rules }) => {
        const plan = planSecurityGroups(target, want, { rules });
        if (!plan.capacity.fits) {
          refused++;
          expect(plan.writes).toEqual([]);
          return;
        }
        if (plan.degraded) degraded++;
        let state: ModelRule[] = rules;
        for (const write of plan.writes) {
          state = applyWrite(state, write, target);
          expect(violation(rules, state, want, target, plan.degraded)).toBeUndefined();
        }
        applied++;
        const unowned = rules.filter((r) => r.owner !== ALLOWLIST);
        expect(state.filter((r) => r.owner !== ALLOWLIST)).toEqual(unowned);
        for (const port of target.ports) {
          const key = (r: ModelRule) =>
            r.protocol === port.protocol && r.fromPort === port.from && r.toPort === port.to;
          const ours = state.filter((r) => r.owner === ALLOWLIST && key(r));
          const shadow = unowned.filter(key);
          // Every wanted prefix is held by exactly one rule (ours, or an identical unowned one), and nothing else of ours.
          for (const cidr of [...want.cidrs[4], ...want.cidrs[6]]) {
            expect(
              ours.filter((r) => r.cidr === cidr).length + (shadow.some((r) => r.cidr === cidr) ? 1 : 0),
            ).toBeGreaterThanOrEqual(1);
            expect(ours.filter((r) => r.cidr === cidr).length).toBeLessThanOrEqual(1);
          }
          expect(ours.every((r) => want.cidrs[4].includes(r.cidr!) || want.cidrs[6].includes(r.cidr!))).toBe(true);
        }
        expect(
          state
            .filter((r) => r.owner === ALLOWLIST)
            .every((r) => target.ports.some((p) => p.protocol === r.protocol && p.from === r.fromPort)),
        ).toBe(true);
        expect(planSecurityGroups(target, want, { rules: state }).writes).toEqual([]);
      }),
      { numRuns: 1200 },
    );
    // The generator must reach every path, or the property proves less than it says.
    expect(applied).toBeGreaterThan(300);
    expect(degraded).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(10);
  });
});
