/**
 * `families` on RuntimeConfig targets and `policy.leaveOutFamilies` (docs/design.md P14): every bad value is an error
 * that names its full path and the fix; the pure helpers give a target its family's part and count what it leaves out.
 */
import { describe, expect, it } from 'vitest';
import { parseRuntimeConfig } from '../../lambda/config';
import { ConfigError } from '../../lambda/core/errors';
import { checkFamilies, familyPart, leftOutOf, takenFamilies } from '../../lambda/core/families';
import type { Desired } from '../../lambda/core/model';
import type { Cidr } from '../../lambda/core/prefix';
import { PrefixSet } from '../../lambda/core/prefix-set';
import { formatPlanText } from '../../lambda/core/report';

const PL4 = 'pl-00000000000000a1';
const PL6 = 'pl-00000000000000a2';
const SG = 'sg-00000000000000a1';
const set = { name: 'p', id: 'x' };

function parse(targets: unknown[], policy: Record<string, unknown> = {}) {
  return parseRuntimeConfig({
    version: 1,
    allowlists: [{ name: 'partners', sources: [{ kind: 'inline', entries: ['11.0.0.0/24'] }], policy, targets }],
  });
}

function problems(targets: unknown[], policy: Record<string, unknown> = {}): string[] {
  try {
    parse(targets, policy);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).message
      .split('\n')
      .slice(1)
      .map((l) => l.replace(/^\s*✖ /, ''));
  }
  return [];
}

describe('RuntimeConfig targets[].families', () => {
  it.each([
    [
      'an empty list',
      [{ kind: 'security-groups', groupIds: [SG], ports: [{ protocol: 'tcp', from: 1, to: 1 }], families: [] }],
      'allowlists[0].targets[0].families: a target takes at least one family: ["ipv4"], ["ipv6"] or ["ipv4","ipv6"] (leave families out for both)',
    ],
    [
      'a duplicate',
      [{ kind: 'prefix-lists', ipv4: PL4, families: ['ipv4', 'ipv4'] }],
      'allowlists[0].targets[0].families[1]: "ipv4" is listed twice: list each family once',
    ],
    [
      'an unknown family',
      [{ kind: 'prefix-lists', ipv4: PL4, families: ['ip4'] }],
      'allowlists[0].targets[0].families[0]: Invalid option: expected one of "ipv4"|"ipv6"',
    ],
    [
      'a prefix-list target that claims a family it has no list for',
      [{ kind: 'prefix-lists', ipv4: PL4, families: ['ipv4', 'ipv6'] }],
      'allowlists[0].targets[0].families: families ["ipv4","ipv6"] takes ipv6 but the target has no IPv6 prefix list: add an IPv6 prefix list ("ipv6") to the target, or remove "ipv6" from families',
    ],
    [
      'a prefix-list target with a list of a family it leaves out',
      [{ kind: 'prefix-lists', ipv4: PL4, ipv6: PL6, families: ['ipv4'] }],
      'allowlists[0].targets[0].ipv6: families ["ipv4"] leaves ipv6 out, so this IPv6 prefix list would never be written: remove "ipv6" from the target, or add "ipv6" to families',
    ],
    [
      'a WAF target that claims a family it has no set for',
      [{ kind: 'waf-ip-sets', scope: 'REGIONAL', ipv6: [set], families: ['ipv4', 'ipv6'] }],
      'allowlists[0].targets[0].families: families ["ipv4","ipv6"] takes ipv4 but the target has no IPv4 IP set: add an IPv4 IP set ("ipv4") to the target, or remove "ipv4" from families',
    ],
    [
      'a WAF target with sets of a family it leaves out',
      [{ kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [set], ipv6: [set], families: ['ipv6'] }],
      'allowlists[0].targets[0].ipv4: families ["ipv6"] leaves ipv4 out, so this IPv4 IP set would never be written: remove "ipv4" from the target, or add "ipv4" to families',
    ],
  ])('refuses %s, naming the full path and the fix', (_, targets, message) => {
    expect(problems(targets)).toEqual([message]);
  });

  it('leaves a prefix-list target without families as before: both, whatever lists it has', () => {
    const target = parse([{ kind: 'prefix-lists', ipv4: PL4 }]).allowlists[0]!.targets[0]!;
    expect(target.families).toBeUndefined();
    expect(takenFamilies(target)).toEqual([4, 6]);
  });

  it.each([
    [['ipv4'], [4]],
    [['ipv6'], [6]],
    [
      ['ipv6', 'ipv4'],
      [4, 6],
    ],
  ] as const)('reads families %j as %j', (families, taken) => {
    expect(takenFamilies({ families: [...families] })).toEqual(taken);
  });
});

describe('policy.leaveOutFamilies', () => {
  it('refuses a target that takes the family the policy leaves out, naming each one', () => {
    const targets = [
      { kind: 'prefix-lists', ipv4: PL4, families: ['ipv4'] },
      { kind: 'security-groups', groupIds: [SG], ports: [{ protocol: 'tcp', from: 1, to: 1 }] },
      { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv6: [set], families: ['ipv6'] },
    ];
    expect(problems(targets, { leaveOutFamilies: ['ipv6'] })).toEqual([
      'allowlists[0].targets[1].families: policy.leaveOutFamilies leaves ipv6 out of every target, but this target takes ipv6 (families unset means both): set families without "ipv6", or remove "ipv6" from policy.leaveOutFamilies',
      'allowlists[0].targets[2].families: policy.leaveOutFamilies leaves ipv6 out of every target, but this target takes ipv6: set families without "ipv6", or remove "ipv6" from policy.leaveOutFamilies',
    ]);
  });

  it('accepts it when every target leaves the family out', () => {
    const parsed = parse([{ kind: 'prefix-lists', ipv4: PL4, families: ['ipv4'] }], { leaveOutFamilies: ['ipv6'] });
    expect(parsed.allowlists[0]?.policy.leaveOutFamilies).toEqual(['ipv6']);
  });
});

function desired(cidrs: string[]): Desired {
  const set = PrefixSet.fromCidrs(cidrs as Cidr[]);
  return { allowlist: 'partners', set, cidrs: { 4: set.toCidrs(4), 6: set.toCidrs(6) }, notes: new Map() };
}

describe("a target's part of the list", () => {
  const both = desired(['11.0.0.0/24', '52.94.5.0/24', '2600:1f14:1::/48']);

  it.each([
    [[4, 6], ['11.0.0.0/24', '52.94.5.0/24'], ['2600:1f14:1::/48'], undefined],
    [[4], ['11.0.0.0/24', '52.94.5.0/24'], [], { family: 6, prefixes: 1 }],
    [[6], [], ['2600:1f14:1::/48'], { family: 4, prefixes: 2 }],
  ] as const)('families %j: IPv4 %j, IPv6 %j, left out %j', (families, v4, v6, leftOut) => {
    const part = familyPart(both, families);
    expect(part.cidrs).toEqual({ 4: v4, 6: v6 });
    expect(part.set.toCidrs()).toEqual([...v4, ...v6]);
    expect(leftOutOf(both, families)).toEqual(leftOut);
  });
});

describe('checkFamilies', () => {
  const policy = { allowEmpty: false };
  const v4pl = { index: 0, kind: 'prefix-lists', families: ['ipv4'] as const };

  it('passes when some target takes each family with prefixes, or the family has none', () => {
    const sg = { index: 1, kind: 'security-groups' };
    expect(
      checkFamilies({
        allowlist: 'a',
        policy,
        desired: desired(['11.0.0.0/24', '2600:1f14:1::/48']),
        targets: [v4pl, sg],
      }),
    ).toEqual([]);
    expect(checkFamilies({ allowlist: 'a', policy, desired: desired(['11.0.0.0/24']), targets: [v4pl] })).toEqual([]);
  });

  it('refuses a family no target takes unless the policy leaves it out', () => {
    const d = desired(['11.0.0.0/24', '2600:1f14:1::/48', '2600:1f14:3::/48']);
    const [refusal] = checkFamilies({ allowlist: 'a', policy, desired: d, targets: [v4pl] });
    expect(refusal).toMatchObject({ guardrail: 'families', targetId: undefined, numbers: { family: 6, prefixes: 2 } });
    const leave = { ...policy, leaveOutFamilies: ['ipv6'] as const };
    expect(checkFamilies({ allowlist: 'a', policy: leave, desired: d, targets: [v4pl] })).toEqual([]);
  });

  it('refuses a one-family target that its part would empty, only when it would remove entries', () => {
    const d = desired(['2600:1f14:1::/48']);
    const leave = { allowEmpty: false, leaveOutFamilies: ['ipv4'] as const };
    const v6pl = { index: 1, kind: 'prefix-lists', families: ['ipv6'] as const };
    const plan = (remove: string[]) => ({ ...v4pl, plan: { targetId: 'prefix-lists:pl-1', remove } });
    const refusals = checkFamilies({
      allowlist: 'a',
      policy: leave,
      desired: d,
      targets: [plan(['11.0.0.0/24']), v6pl],
    });
    expect(refusals.map((r) => [r.guardrail, r.targetId])).toEqual([['empty', 'prefix-lists:pl-1']]);
    expect(checkFamilies({ allowlist: 'a', policy: leave, desired: d, targets: [plan([]), v6pl] })).toEqual([]);
    const allow = { ...leave, allowEmpty: true };
    expect(
      checkFamilies({ allowlist: 'a', policy: allow, desired: d, targets: [plan(['11.0.0.0/24']), v6pl] }),
    ).toEqual([]);
  });
});

describe('the text report', () => {
  it('prints what a one-family target leaves out under it, and nothing when it leaves out no prefix', () => {
    const target = (targetId: string, leftOut: { family: 4 | 6; prefixes: number }) => ({
      kind: 'prefix-lists' as const,
      targetId,
      status: 'planned' as const,
      added: { count: 1, prefixes: ['11.0.0.0/24'] },
      removed: { count: 0, prefixes: [] },
      unchanged: 0,
      leftOut,
      drift: [],
      capacity: { fits: true, needed: 1, available: 10, unit: 'entries' },
      writeCalls: 0,
      durationMs: 0,
    });
    const text = formatPlanText(
      {
        runId: 'r',
        dryRun: true,
        trigger: 'cli',
        startedAt: '2026-01-01T00:00:00.000Z',
        durationMs: 0,
        status: 'ok',
        summary: { add: 2, remove: 0, unchanged: 0 },
        allowlists: [
          {
            name: 'partners',
            status: 'planned',
            sources: 1,
            provenance: [],
            entries: { read: { 4: 1, 6: 12 }, prefixes: { 4: 1, 6: 12 }, expired: 0 },
            targets: [
              target('prefix-lists:pl-1', { family: 6, prefixes: 12 }),
              target('prefix-lists:pl-2', { family: 4, prefixes: 1 }),
              target('prefix-lists:pl-3', { family: 6, prefixes: 0 }),
            ],
          },
        ],
      },
      { color: false },
    );
    expect(text).toBe(
      [
        'allowlist partners (13 prefixes, 1 source) [planned]',
        '  prefix-lists:pl-1 [planned]',
        '    + 11.0.0.0/24',
        '    IPv4 only; 12 IPv6 prefixes left out',
        '  prefix-lists:pl-2 [planned]',
        '    + 11.0.0.0/24',
        '    IPv6 only; 1 IPv4 prefix left out',
        '  prefix-lists:pl-3 [planned]',
        '    + 11.0.0.0/24',
        'Plan: 2 to add, 0 to remove, 0 unchanged.',
        '',
      ].join('\n'),
    );
  });
});
