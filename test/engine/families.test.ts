/**
 * Targets that take one address family (docs/design.md P14), end to end: the engine with the real drivers against the
 * stateful fakes of EC2 and WAFv2. One list with both families feeds an IPv4-only prefix list and a dual-stack WAF pool
 * (each gets what it takes, the report says what is left out); the default (families unset) still refuses a family a
 * target cannot hold; a family no target takes refuses the run unless policy.leaveOutFamilies says so; the guardrails
 * count only what a target takes.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { parseRuntimeConfig, type RuntimeConfigInput } from '../../lambda/config';
import { formatPlanText } from '../../lambda/core/report';
import { type EngineDeps, runEngine } from '../../lambda/engine';
import { publishRunMetrics, runLogEntry } from '../../lambda/function/observability';
import { FakeEc2, FakeEventBridge, FakeWafv2 } from '../fakes';
import { fakeEngineDeps } from './fake-deps';

const V4 = ['11.0.0.0/24', '11.0.2.0/24', '52.94.5.0/24'];
const V6 = ['2600:1f14:1::/48', '2a05:d018:2::/48'];
const PORTS = [{ protocol: 'tcp' as const, from: 443, to: 443 }];

let ec2: FakeEc2;
let waf: FakeWafv2;
let events: FakeEventBridge;
let pl4: string;
let pl6: string;
let set4: string;
let set6: string;
let group: string;

beforeEach(() => {
  ec2 = new FakeEc2();
  waf = new FakeWafv2({ enforceWriteRate: false });
  events = new FakeEventBridge();
  pl4 = ec2.createPrefixList({ family: 4, maxEntries: 20 });
  pl6 = ec2.createPrefixList({ family: 6, maxEntries: 20 });
  set4 = waf.createIpSet({ scope: 'REGIONAL', name: 'p-v4', family: 'IPV4', addresses: [] }).Id;
  set6 = waf.createIpSet({ scope: 'REGIONAL', name: 'p-v6', family: 'IPV6', addresses: [] }).Id;
  group = ec2.createSecurityGroup();
});

function deps(extra: Partial<EngineDeps> = {}): EngineDeps {
  return { ...fakeEngineDeps(ec2, waf), ...extra };
}

type TargetInput = RuntimeConfigInput['allowlists'][number]['targets'][number];

function config(entries: string[], targets: TargetInput[], policy: Record<string, unknown> = {}) {
  return parseRuntimeConfig({
    version: 1,
    allowlists: [{ name: 'partners', sources: [{ kind: 'inline', entries }], policy, targets }],
  });
}

const wafBoth = (): TargetInput => ({
  kind: 'waf-ip-sets',
  scope: 'REGIONAL',
  ipv4: [{ name: 'p-v4', id: set4 }],
  ipv6: [{ name: 'p-v6', id: set6 }],
});
const writes = () => ec2.writes().length + waf.calls.filter((c) => c.write).length;
const sorted = (xs: string[]) => [...xs].sort();

describe('an IPv4-only prefix list and a dual-stack WAF pool fed one list with both families', () => {
  const targets = (): TargetInput[] => [{ kind: 'prefix-lists', ipv4: pl4, families: ['ipv4'] }, wafBoth()];

  it('applies to each what it takes, reports what the prefix list leaves out, then converges (P1, P2)', async () => {
    const cfg = config([...V4, ...V6], targets());
    const report = await runEngine(cfg, { dryRun: false, trigger: 'manual' }, deps({ eventBridge: events.client }));
    expect(report.status).toBe('ok');
    expect(sorted(ec2.entries(pl4))).toEqual(sorted(V4));
    expect(sorted(waf.addresses(set4))).toEqual(sorted(V4));
    expect(sorted(waf.addresses(set6))).toEqual(sorted(V6));
    const [pl, pool] = report.allowlists[0]!.targets;
    expect(pl).toMatchObject({ status: 'changed', added: { count: 3 }, leftOut: { family: 6, prefixes: 2 } });
    expect(pool).toMatchObject({ status: 'changed', added: { count: 5 } });
    expect(pool?.leftOut).toBeUndefined();
    // The totals add up what each target took: 3 + 5, never the IPv6 half the prefix list does not take.
    expect(report.summary).toEqual({ add: 8, remove: 0, unchanged: 0 });
    const event = events.events[0]?.detail as { added: { count: number }; targets: unknown[] };
    expect(event.added.count).toBe(5);
    expect(event.targets[0]).toMatchObject({ added: 3, leftOut: { family: 6, prefixes: 2 } });

    // Metrics and the log line: Added is what the targets wrote (3 + 5), EntriesDesired the whole list, and the prefix
    // list's headroom counts only the IPv4 entries it holds (20 - 3).
    const recorded: Record<string, number[]> = {};
    const metrics = {
      addDimension: () => undefined,
      addMetric: (name: string, _unit: unknown, value: number) => {
        recorded[name] = [...(recorded[name] ?? []), value];
      },
      publishStoredMetrics: () => undefined,
    };
    publishRunMetrics(metrics as unknown as Parameters<typeof publishRunMetrics>[0], report, Date.now());
    expect(recorded).toMatchObject({ EntriesDesired: [5], Added: [8], Removed: [0], QuotaHeadroom: [17, 19995] });
    const logged = runLogEntry(report) as { allowlists: { targets: { leftOut?: unknown }[] }[] };
    expect(logged.allowlists[0]?.targets.map((t) => t.leftOut)).toEqual([{ family: 6, prefixes: 2 }, undefined]);

    const again = await runEngine(cfg, { dryRun: false, trigger: 'manual' }, deps());
    const before = writes();
    expect(again.allowlists[0]?.targets.map((t) => t.status)).toEqual(['unchanged', 'unchanged']);
    expect(writes()).toBe(before);
  });

  it('says in the text report what the one-family target leaves out', async () => {
    const report = await runEngine(config([...V4, ...V6], targets()), { dryRun: true, trigger: 'cli' }, deps());
    const text = formatPlanText(report, { color: false });
    expect(text).toContain(`  prefix-lists:${pl4} [planned]\n`);
    expect(text).toContain('    IPv4 only; 2 IPv6 prefixes left out\n');
    expect(text.match(/left out/g)).toHaveLength(1);
    expect(writes()).toBe(0);
  });
});

describe('families unset (the default): both, and refuse what a target cannot hold', () => {
  it('refuses an IPv4-only prefix list given IPv6 prefixes, as before, and writes nothing', async () => {
    const cfg = config([...V4, ...V6], [{ kind: 'prefix-lists', ipv4: pl4 }, wafBoth()]);
    const report = await runEngine(cfg, { dryRun: false, trigger: 'manual' }, deps());
    expect(report.status).toBe('refused');
    const pl = report.allowlists[0]!.targets[0]!;
    expect(pl.error?.name).toBe('GuardrailError');
    expect(pl.error?.message).toContain('needs 2 IPv6 entries and the target holds 0');
    expect(pl.error?.override).toContain('the target has no IPv6 prefix list: add one (ipv6) to the target');
    expect(pl.leftOut).toBeUndefined();
    expect(writes()).toBe(0);
  });
});

describe('a family that no target takes', () => {
  const v4only = (): TargetInput[] => [
    { kind: 'prefix-lists', ipv4: pl4, families: ['ipv4'] },
    { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [{ name: 'p-v4', id: set4 }], families: ['ipv4'] },
  ];

  it('refuses the allowlist naming the family, the count and the fix, and writes nothing', async () => {
    const report = await runEngine(config([...V4, ...V6], v4only()), { dryRun: false, trigger: 'manual' }, deps());
    expect(report.status).toBe('refused');
    const a = report.allowlists[0]!;
    expect(a.error?.name).toBe('GuardrailError');
    expect(a.error?.message).toBe(
      'partners: the list has 2 IPv6 prefix(es) and no target takes IPv6 (targets[0] (prefix-lists) takes ipv4; targets[1] (waf-ip-sets) takes ipv4); nothing was written',
    );
    expect(a.error?.override).toBe(
      'add a target that takes IPv6 (families including "ipv6"), or set policy.leaveOutFamilies: ["ipv6"] to leave the IPv6 prefixes out on purpose',
    );
    expect(writes()).toBe(0);
  });

  it('is not lifted by force', async () => {
    const report = await runEngine(
      config([...V4, ...V6], v4only()),
      { dryRun: false, trigger: 'manual', force: { reason: 'try' } },
      deps(),
    );
    expect(report.status).toBe('refused');
    expect(writes()).toBe(0);
  });

  it('applies the IPv4 part when policy.leaveOutFamilies names IPv6, each target reporting it', async () => {
    const cfg = config([...V4, ...V6], v4only(), { leaveOutFamilies: ['ipv6'] });
    const report = await runEngine(cfg, { dryRun: false, trigger: 'manual' }, deps());
    expect(report.status).toBe('ok');
    expect(report.allowlists[0]?.targets.map((t) => t.leftOut)).toEqual([
      { family: 6, prefixes: 2 },
      { family: 6, prefixes: 2 },
    ]);
    expect(sorted(waf.addresses(set4))).toEqual(sorted(V4));
    expect(sorted(ec2.entries(pl4))).toEqual(sorted(V4));
  });

  it('passes a list with no prefix of the family nobody takes', async () => {
    const report = await runEngine(config(V4, v4only()), { dryRun: true, trigger: 'cli' }, deps());
    expect(report.status).toBe('ok');
    expect(report.allowlists[0]?.targets[0]?.leftOut).toEqual({ family: 6, prefixes: 0 });
    expect(formatPlanText(report, { color: false })).not.toContain('left out');
  });
});

describe('guardrails count only what a target takes', () => {
  it('refuses only the target whose own family lost more than the removal share', async () => {
    const oldV6 = Array.from({ length: 12 }, (_, i) => `2600:1f14:${(2 * i + 16).toString(16)}::/48`);
    const newV6 = Array.from({ length: 12 }, (_, i) => `2600:1f14:${(2 * i + 64).toString(16)}::/48`);
    const targets: TargetInput[] = [
      { kind: 'prefix-lists', ipv4: pl4, families: ['ipv4'] },
      { kind: 'prefix-lists', ipv6: pl6, families: ['ipv6'] },
    ];
    await runEngine(config([...V4, ...oldV6], targets), { dryRun: false, trigger: 'manual' }, deps());
    expect(ec2.entries(pl6)).toHaveLength(12);
    const report = await runEngine(config([...V4, ...newV6], targets), { dryRun: true, trigger: 'cli' }, deps());
    const [p4, p6] = report.allowlists[0]!.targets;
    // The IPv4 list never held the IPv6 half: replacing it removes nothing there.
    expect(p4).toMatchObject({ status: 'unchanged', removed: { count: 0 }, leftOut: { family: 6, prefixes: 12 } });
    expect(p6).toMatchObject({ status: 'refused', removed: { count: 12 } });
    expect(p6?.error?.message).toContain('removes 12 of 12 entries');
  });

  it('refuses a one-family target that the list would empty, unless policy.allowEmpty', async () => {
    const targets: TargetInput[] = [
      { kind: 'prefix-lists', ipv4: pl4, families: ['ipv4'] },
      { kind: 'prefix-lists', ipv6: pl6, families: ['ipv6'] },
    ];
    await runEngine(config([...V4, ...V6], targets), { dryRun: false, trigger: 'manual' }, deps());
    const before = writes();
    const report = await runEngine(config(V6, targets), { dryRun: false, trigger: 'manual' }, deps());
    expect(report.status).toBe('refused');
    const p4 = report.allowlists[0]!.targets[0]!;
    expect(p4.error?.message).toBe(
      `partners → prefix-lists:${pl4}: the list has no IPv4 prefix and this target takes only IPv4; applying would remove its 3 entries, so nothing was written`,
    );
    expect(p4.error?.override).toContain('policy.allowEmpty: true');
    expect(writes()).toBe(before);
    const allowed = await runEngine(
      config(V6, targets, { allowEmpty: true }),
      { dryRun: false, trigger: 'manual' },
      deps(),
    );
    expect(allowed.status).toBe('ok');
    expect(ec2.entries(pl4)).toEqual([]);
  });
});

describe('a security-group pool in an IPv4-only VPC (families ["ipv4"])', () => {
  const pool = (): TargetInput[] => [{ kind: 'security-groups', groupIds: [group], ports: PORTS, families: ['ipv4'] }];

  it('as the only target, refuses a list with IPv6 prefixes unless the policy leaves IPv6 out', async () => {
    const report = await runEngine(config([...V4, ...V6], pool()), { dryRun: false, trigger: 'manual' }, deps());
    expect(report.status).toBe('refused');
    expect(report.allowlists[0]?.error?.message).toContain('no target takes IPv6');
    expect(ec2.ingressCount(group, 4)).toBe(0);
  });

  it('gets only IPv4 rules and reports the IPv6 prefixes it leaves out', async () => {
    const cfg = config([...V4, ...V6], pool(), { leaveOutFamilies: ['ipv6'] });
    const report = await runEngine(cfg, { dryRun: false, trigger: 'manual' }, deps());
    expect(report.status).toBe('ok');
    expect(ec2.ingressCount(group, 4)).toBe(3);
    expect(ec2.ingressCount(group, 6)).toBe(0);
    expect(report.allowlists[0]?.targets[0]).toMatchObject({
      added: { count: 3 },
      leftOut: { family: 6, prefixes: 2 },
    });
  });
});
