/**
 * Change events and expiry warnings end to end: the handler, the real engine, loader and drivers over the stateful
 * fakes (FakeEc2 prefix lists, FakeWafv2 IP sets, FakeEventBridge), the events asserted by content. Applied, refused,
 * failed, a forced run's reason, converged and dry runs emitting nothing, prefixes capped to fit, an undelivered
 * event reported, logged and counted without failing the run; expiring entries in the report, log line and metric.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRuntimeConfig, type RuntimeConfigInput } from '../../lambda/config';
import type { ChangeEventDetail } from '../../lambda/core/change-event';
import { type EngineDeps, runEngine } from '../../lambda/engine';
import { createHandler } from '../../lambda/function/invocation';
import { createLogger, createMetrics } from '../../lambda/function/observability';
import { RunFailedError } from '../../lambda/function/response';
import { createDriver } from '../../lambda/targets';
import { FakeEc2, FakeEventBridge, FakeWafv2 } from '../fakes';
import { captureStdout } from './helpers';

const NOW = Date.parse('2026-12-03T08:00:00Z');
const OLD = ['11.22.33.0/24', '45.60.1.0/24', '52.94.5.0/24', '34.1.0.0/16'];
const NEW = [...OLD, '99.1.2.0/24'];

let ec2: FakeEc2;
let waf: FakeWafv2;
let events: FakeEventBridge;
let listId: string;
let setId: string;
let out: ReturnType<typeof captureStdout>;

beforeEach(() => {
  out = captureStdout();
  ec2 = new FakeEc2();
  waf = new FakeWafv2({ enforceWriteRate: false });
  events = new FakeEventBridge({ grantedBuses: ['default'] });
  listId = ec2.createPrefixList({ family: 4, maxEntries: 20, entries: OLD });
  setId = waf.createIpSet({ scope: 'REGIONAL', name: 'partners-v4', family: 'IPV4', addresses: OLD }).Id;
});
afterEach(() => out.restore());

type AllowlistInput = RuntimeConfigInput['allowlists'][number];

function handlerFor(allowlists: AllowlistInput[]) {
  const config = parseRuntimeConfig({ version: 1, allowlists });
  const deps: EngineDeps = {
    ec2: ec2.client,
    wafv2: () => waf.client,
    eventBridge: events.client,
    now: () => NOW,
    sleep: async () => {},
    sources: { now: () => NOW },
    drivers: (target, allowlist) => createDriver(target, allowlist, { ec2: ec2.client, wafv2: () => waf.client }),
  };
  return createHandler({
    config,
    engine: runEngine,
    engineDeps: deps,
    logger: createLogger(),
    metrics: createMetrics(),
    now: () => NOW,
  });
}

function partners(entries: string[], overrides: Partial<AllowlistInput> = {}): AllowlistInput {
  return {
    name: 'partners',
    sources: [{ kind: 'inline', entries }],
    targets: [
      { kind: 'prefix-lists', ipv4: listId },
      { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [{ name: 'partners-v4', id: setId }] },
    ],
    ...overrides,
  };
}

const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 300_000 };
const logLine = () => out.json().find((l) => !('_aws' in l));
const detailOf = (i: number) => events.events[i]?.detail as unknown as ChangeEventDetail;
const metric = (name: string) =>
  out
    .json()
    .filter((l) => '_aws' in l && name in l)
    .map((l) => l[name]);

describe('change events', () => {
  it('puts one "Allowlist Applied" event for a changing run, with run, counts, prefixes, targets and provenance', async () => {
    const response = await handlerFor([partners(NEW)])({ trigger: 'schedule' }, context);
    expect(response.summary).toBe('Applied: 2 added, 0 removed, 8 unchanged.');
    expect(events.calls).toHaveLength(1);
    expect(events.events).toHaveLength(1);
    const [event] = events.events;
    expect(event).toMatchObject({
      bus: 'default',
      source: 'allowlist-sync',
      detailType: 'Allowlist Applied',
      time: new Date(NOW),
    });
    expect(event?.detail).toEqual({
      version: 1,
      allowlist: 'partners',
      runId: 'req-1',
      trigger: 'schedule',
      startedAt: '2026-12-03T08:00:00.000Z',
      status: 'changed',
      added: { count: 1, prefixes: ['99.1.2.0/24'], omitted: 0 },
      removed: { count: 0, prefixes: [], omitted: 0 },
      targets: [
        {
          targetId: `prefix-lists:${listId}`,
          kind: 'prefix-lists',
          status: 'changed',
          added: 1,
          removed: 0,
          writeCalls: 1,
        },
        {
          targetId: 'waf-ip-sets:REGIONAL:partners-v4',
          kind: 'waf-ip-sets',
          status: 'changed',
          added: 1,
          removed: 0,
          writeCalls: 1,
        },
      ],
      provenance: [{ kind: 'inline', location: 'inline', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }],
    });
    expect('report' in response && response.report.allowlists[0]?.event).toEqual({
      detailType: 'Allowlist Applied',
      delivered: true,
    });
    expect(metric('ChangeEventFailed')).toEqual([0]);
  });

  it('emits nothing for a converged run and nothing for a dry run', async () => {
    const handler = handlerFor([partners(NEW)]);
    await handler({ trigger: 'schedule' });
    expect(events.events).toHaveLength(1);
    await handler({ trigger: 'schedule' });
    await handler({ dryRun: true });
    const plan = await handlerFor([partners([...NEW, '99.9.9.0/24'])])({ dryRun: true });
    expect(plan.summary).toMatch(/^Plan: 2 to add/);
    expect(events.calls).toHaveLength(1);
    expect(metric('ChangeEventFailed')).toEqual([0]);
  });

  it('puts "Allowlist Refused" for a guardrail refusal (nothing written), then "Applied" with the forced reason', async () => {
    const handler = handlerFor([
      partners(['11.22.33.0/24'], { guardrails: { maxRemovedShare: 0.3, removalsAlwaysAllowed: 0 } }),
    ]);
    await expect(handler({ trigger: 'schedule' }, context)).rejects.toThrow(RunFailedError);
    expect([...ec2.entries(listId)].sort()).toEqual([...OLD].sort());
    const [refused] = events.eventsOf('Allowlist Refused');
    expect(refused?.detail).toMatchObject({
      allowlist: 'partners',
      status: 'refused',
      trigger: 'schedule',
      added: { count: 0, prefixes: [] },
      removed: { count: 3, prefixes: ['34.1.0.0/16', '45.60.1.0/24', '52.94.5.0/24'], omitted: 0 },
    });
    const targets = detailOf(0).targets;
    expect(targets.map((t) => [t.status, t.writeCalls, t.error?.name])).toEqual([
      ['refused', 0, 'GuardrailError'],
      ['refused', 0, 'GuardrailError'],
    ]);
    expect(targets[0]?.error?.override).toMatch(/force/);
    expect(refused?.detail).not.toHaveProperty('forced');

    await handler({ dryRun: false, force: { reason: 'partners offboarded, ticket OPS-42' } }, context);
    const [applied] = events.eventsOf('Allowlist Applied');
    expect(applied?.detail).toMatchObject({
      trigger: 'manual',
      status: 'changed',
      forced: { reason: 'partners offboarded, ticket OPS-42' },
      removed: { count: 3 },
    });
  });

  it('puts "Allowlist Refused" with the allowlist error for a source the policy refuses', async () => {
    const handler = handlerFor([partners([...OLD, '10.0.0.0/8'])]);
    await expect(handler({ trigger: 'schedule' })).rejects.toThrow(/^Refused: partners/);
    const [refused] = events.eventsOf('Allowlist Refused');
    expect(refused?.detail).toMatchObject({ status: 'refused', error: { name: 'PolicyError' }, targets: [] });
    expect(detailOf(0).error?.message).toContain('10.0.0.0/8');
  });

  it('puts "Allowlist Failed" when a target fails, with each target status and the error', async () => {
    ec2.inject({ command: 'ModifyManagedPrefixList', fault: 'server', times: Number.POSITIVE_INFINITY });
    const handler = handlerFor([partners(NEW)]);
    await expect(handler({ trigger: 'deploy' }, context)).rejects.toThrow(/^Failed: /);
    expect(events.events.map((e) => e.detailType)).toEqual(['Allowlist Failed']);
    const detail = detailOf(0);
    expect(detail).toMatchObject({ trigger: 'deploy', status: 'failed', added: { count: 1 } });
    expect(detail.targets.map((t) => [t.kind, t.status])).toEqual([
      ['prefix-lists', 'failed'],
      ['waf-ip-sets', 'changed'],
    ]);
    expect(detail.targets[0]?.error?.name).toMatch(/Internal|Server|Error/);
  });

  it('emits only for the allowlists that changed: one call with one entry per allowlist', async () => {
    const other = ec2.createPrefixList({ family: 4, maxEntries: 5, entries: ['8.8.8.0/24'] });
    const quiet = ec2.createPrefixList({ family: 4, maxEntries: 5, entries: ['9.9.9.0/24'] });
    await handlerFor([
      partners(NEW),
      {
        name: 'dns',
        sources: [{ kind: 'inline', entries: ['8.8.4.0/24'] }],
        targets: [{ kind: 'prefix-lists', ipv4: other }],
      },
      {
        name: 'quiet',
        sources: [{ kind: 'inline', entries: ['9.9.9.0/24'] }],
        targets: [{ kind: 'prefix-lists', ipv4: quiet }],
      },
    ])({ trigger: 'schedule' });
    expect(events.calls).toHaveLength(1);
    expect(events.events.map((e) => [e.detailType, e.detail.allowlist])).toEqual([
      ['Allowlist Applied', 'partners'],
      ['Allowlist Applied', 'dns'],
    ]);
    expect(events.events[1]?.detail).toMatchObject({
      added: { prefixes: ['8.8.4.0/24'] },
      removed: { prefixes: ['8.8.8.0/24'] },
    });
  });

  it('caps the listed prefixes at 200 a direction, keeping the exact count and saying how many were left out', async () => {
    // 300 /24s that do not touch, so aggregation keeps them apart.
    const wide = Array.from({ length: 300 }, (_, i) => `61.${i % 256}.${Math.floor(i / 256) * 2}.0/24`);
    await handlerFor([
      {
        name: 'big',
        sources: [{ kind: 'inline', entries: wide }],
        targets: [{ kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [{ name: 'partners-v4', id: setId }] }],
        guardrails: { maxRemovedShare: 1, removalsAlwaysAllowed: 10 },
      },
    ])({ trigger: 'schedule' });
    expect(waf.addresses(setId)).toHaveLength(300);
    const detail = detailOf(0);
    expect(detail.added.count).toBe(300);
    expect(detail.added.prefixes).toHaveLength(200);
    expect(detail.added.omitted).toBe(100);
    expect(detail.removed).toEqual({ count: 4, prefixes: expect.any(Array), omitted: 0 });
  });

  it('does not fail a good run when PutEvents fails: the report, the log line (WARN) and the metric say so', async () => {
    events.failNextCall('AccessDeniedException');
    const response = await handlerFor([partners(NEW)])({ trigger: 'schedule' });
    expect(response.summary).toBe(
      'Applied: 2 added, 0 removed, 8 unchanged. Change event not delivered: partners (AccessDeniedException).',
    );
    expect(ec2.entries(listId)).toContain('99.1.2.0/24');
    expect(events.events).toHaveLength(0);
    expect('report' in response && response.report.allowlists[0]?.event).toEqual({
      detailType: 'Allowlist Applied',
      delivered: false,
      error: { name: 'AccessDeniedException', message: 'injected AccessDeniedException' },
    });
    expect(logLine()).toMatchObject({
      level: 'WARN',
      run: { status: 'ok', allowlists: [{ event: { delivered: false, error: { name: 'AccessDeniedException' } } }] },
    });
    expect(metric('ChangeEventFailed')).toEqual([1]);
  });

  it('sends an entry that PutEvents throttled once more, and reports one it refused for good', async () => {
    events.failNextEntries('ThrottlingException', 1);
    await handlerFor([partners(NEW)])({ trigger: 'schedule' });
    expect(events.calls).toHaveLength(2);
    expect(events.events).toHaveLength(1);
    expect(metric('ChangeEventFailed')).toEqual([0]);

    events.failNextEntries('ThrottlingException', 2);
    const response = await handlerFor([partners([...NEW, '99.1.3.0/24'])])({ trigger: 'schedule' });
    expect(events.calls).toHaveLength(4);
    expect(events.events).toHaveLength(1);
    expect(response.summary).toMatch(/Change event not delivered: partners \(ThrottlingException\)\.$/);
    expect(metric('ChangeEventFailed')).toEqual([0, 1]);
  });
});
