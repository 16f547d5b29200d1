/**
 * The handler end to end: the real engine, sources loader and drivers over the stateful fakes (FakeEc2 for prefix
 * lists, FakeWafv2 for IP sets), one test per event kind, the dry run, each refusal, a bad payload, a bad config.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Allowlist, parseRuntimeConfig, type RuntimeConfigInput } from '../../lambda/config';
import type { ConfigError } from '../../lambda/core/errors';
import { type EngineDeps, runEngine } from '../../lambda/engine';
import { createHandler } from '../../lambda/function/invocation';
import { createLogger, createMetrics } from '../../lambda/function/observability';
import { RunFailedError } from '../../lambda/function/response';
import { loadAllowlist } from '../../lambda/sources';
import { createDriver } from '../../lambda/targets';
import { FakeEc2, FakeWafv2 } from '../fakes';
import { captureStdout } from './helpers';

const OLD = ['11.22.33.0/24', '45.60.1.0/24', '52.94.5.0/24', '34.1.0.0/16'];

let ec2: FakeEc2;
let waf: FakeWafv2;
let listId: string;
let setId: string;
let out: ReturnType<typeof captureStdout>;
/** What the S3 object of the `s3-list` allowlist holds (the S3 source is served from here). */
let s3Entries: string[];

beforeEach(() => {
  out = captureStdout();
  ec2 = new FakeEc2();
  waf = new FakeWafv2({ enforceWriteRate: false });
  listId = ec2.createPrefixList({ family: 4, maxEntries: 20, entries: OLD });
  setId = waf.createIpSet({ scope: 'REGIONAL', name: 'partners-v4', family: 'IPV4', addresses: OLD }).Id;
  s3Entries = ['11.22.33.0/24'];
});
afterEach(() => out.restore());

function configOf(partners: string[], overrides: Partial<RuntimeConfigInput['allowlists'][number]> = {}) {
  return parseRuntimeConfig({
    version: 1,
    allowlists: [
      {
        name: 'partners',
        sources: [{ kind: 'inline', entries: partners }],
        targets: [
          { kind: 'prefix-lists', ipv4: listId },
          { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [{ name: 'partners-v4', id: setId }] },
        ],
        ...overrides,
      },
      {
        name: 's3-list',
        sources: [{ kind: 's3', bucket: 'lists-bucket', key: 'partners.txt' }],
        targets: [{ kind: 'prefix-lists', ipv4: ec2.createPrefixList({ family: 4, maxEntries: 5 }) }],
      },
    ],
  });
}

function handlerFor(partners: string[], overrides: Partial<RuntimeConfigInput['allowlists'][number]> = {}) {
  const config = configOf(partners, overrides);
  const deps: EngineDeps = {
    ec2: ec2.client,
    wafv2: () => waf.client,
    now: Date.now,
    sleep: async () => {},
    // The S3 source is read from `s3Entries`, through the real loader (parse, policy, aggregation).
    load: (allowlist: Allowlist) =>
      loadAllowlist(
        {
          ...allowlist,
          sources: allowlist.sources.map((s) =>
            s.kind === 's3' ? { kind: 'inline' as const, entries: s3Entries } : s,
          ),
        },
        { now: Date.now },
      ),
    drivers: (target, allowlist) => createDriver(target, allowlist, { ec2: ec2.client, wafv2: () => waf.client }),
  };
  return createHandler({
    config,
    engine: runEngine,
    engineDeps: deps,
    logger: createLogger(),
    metrics: createMetrics(),
  });
}

const writes = () => ec2.writes().length + waf.calls.filter((c) => c.write).length;
const logLines = () => out.json().filter((l) => !('_aws' in l));
const NEW = ['11.22.33.0/24', '45.60.1.0/24', '52.94.5.0/24', '34.1.0.0/16', '99.1.2.0/24'];

describe('the handler over the fakes', () => {
  it.each([
    ['the schedule payload', { trigger: 'schedule' }],
    ['a classic scheduled event', { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }],
    ['the deploy payload', { trigger: 'deploy' }],
    ['a manual payload with dryRun false', { dryRun: false }],
  ])('applies on %s, then converges (a second run writes nothing)', async (_, event) => {
    const handler = handlerFor(NEW);
    const response = await handler(event);
    expect(response.summary).toMatch(/^Applied: /);
    expect(ec2.entries(listId)).toContain('99.1.2.0/24');
    expect(waf.addresses(setId)).toContain('99.1.2.0/24');
    const after = writes();
    expect(after).toBeGreaterThan(0);
    await handler(event);
    expect(writes()).toBe(after);
    expect(logLines()).toHaveLength(2);
  });

  it('runs only the allowlist whose S3 object was created, and applies', async () => {
    const handler = handlerFor(NEW);
    const response = await handler({
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: { bucket: { name: 'lists-bucket' }, object: { key: 'partners.txt' } },
    });
    expect('report' in response && response.report.allowlists.map((a) => a.name)).toEqual(['s3-list']);
    expect(response.summary).toBe('Applied: 1 added, 0 removed, 0 unchanged.');
    expect(ec2.entries(listId)).not.toContain('99.1.2.0/24');
  });

  it('plans only for a manual payload without dryRun: zero writes', async () => {
    const handler = handlerFor(NEW);
    const response = await handler({ allowlists: ['partners'] });
    expect(response.summary).toBe('Plan: 2 to add, 0 to remove, 8 unchanged.');
    expect(writes()).toBe(0);
  });

  it('refuses a large removal (throws, logs the report, writes nothing), and force with a reason lifts it', async () => {
    const handler = handlerFor(['11.22.33.0/24'], { guardrails: { maxRemovedShare: 0.3, removalsAlwaysAllowed: 0 } });
    const error = await handler({ trigger: 'schedule' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailedError);
    expect((error as Error).message).toMatch(/^Refused: partners .*Override: .*force/);
    expect(writes()).toBe(0);
    expect(logLines()[0]).toMatchObject({ level: 'ERROR', run: { status: 'refused' } });

    const forced = await handler({ dryRun: false, allowlists: ['partners'], force: { reason: 'partners offboarded' } });
    expect(forced.summary).toBe('Applied: 0 added, 6 removed, 2 unchanged. Forced: partners offboarded.');
    expect(ec2.entries(listId)).toEqual(['11.22.33.0/24']);
  });

  it('refuses an entry the policy forbids even when forced: zero writes', async () => {
    const handler = handlerFor([...OLD, '10.0.0.0/8']);
    await expect(handler({ dryRun: false, force: { reason: 'try it' } })).rejects.toThrow(/^Refused: partners: /);
    expect(writes()).toBe(0);
  });

  it('refuses a list the target cannot hold (capacity): zero writes', async () => {
    const many = Array.from({ length: 30 }, (_, i) => `60.${2 * i}.0.0/16`);
    const handler = handlerFor(many, {
      guardrails: { maxRemovedShare: 1, removalsAlwaysAllowed: 10 },
    });
    await expect(handler({ trigger: 'schedule' })).rejects.toThrow(RunFailedError);
    expect(writes()).toBe(0);
  });

  it('rejects a bad payload naming the field: no AWS call at all', async () => {
    const handler = handlerFor(NEW);
    await expect(handler({ dryRun: false, forced: true })).rejects.toThrow(/unknown field "forced"/);
    expect(ec2.calls.length + waf.calls.length).toBe(0);
  });
});

describe('the cold start', () => {
  const saved = process.env.ALLOWLIST_SYNC_CONFIG;
  afterEach(() => {
    if (saved === undefined) delete process.env.ALLOWLIST_SYNC_CONFIG;
    else process.env.ALLOWLIST_SYNC_CONFIG = saved;
  });

  it('fails loudly when the config is bad, naming the field', async () => {
    vi.resetModules();
    process.env.ALLOWLIST_SYNC_CONFIG = JSON.stringify({
      version: 1,
      allowlists: [
        {
          name: 'p',
          sources: [{ kind: 'inline', entries: ['11.0.0.0/24'] }],
          targets: [{ kind: 'prefix-lists', ipv4: 'pl-nope' }],
        },
      ],
    });
    const error = await import('../../lambda/function/handler.js').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as ConfigError).name).toBe('ConfigError');
    expect((error as Error).message).toContain('RuntimeConfig from ALLOWLIST_SYNC_CONFIG is invalid');
    expect((error as Error).message).toContain('allowlists[0].targets[0].ipv4');
  });

  it('fails loudly when the config is missing', async () => {
    vi.resetModules();
    delete process.env.ALLOWLIST_SYNC_CONFIG;
    await expect(import('../../lambda/function/handler.js')).rejects.toThrow(/ALLOWLIST_SYNC_CONFIG: not set/);
  });

  it('loads with a valid config and exports the handler', async () => {
    vi.resetModules();
    process.env.ALLOWLIST_SYNC_CONFIG = JSON.stringify({
      version: 1,
      allowlists: [
        {
          name: 'p',
          sources: [{ kind: 'inline', entries: ['11.0.0.0/24'] }],
          targets: [{ kind: 'prefix-lists', ipv4: 'pl-0123456789abcdef0' }],
        },
      ],
    });
    const module = await import('../../lambda/function/handler.js');
    expect(typeof module.handler).toBe('function');
  });
});
