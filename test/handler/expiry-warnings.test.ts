/**
 * Expiry warnings in a run: the handler over the fakes with a structured list whose entries expire. The run report
 * lists the entries within the allowlist's window (prefix, owner, expiry, where), the one log line names them by
 * place and owner (never by prefix, P13) and its message names the owners, and the ExpiringEntries metric counts
 * them, on dry and applying runs alike.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRuntimeConfig } from '../../lambda/config';
import { formatPlanText } from '../../lambda/core/report';
import { type EngineDeps, runEngine } from '../../lambda/engine';
import { createHandler } from '../../lambda/function/invocation';
import { createLogger, createMetrics } from '../../lambda/function/observability';
import { createDriver } from '../../lambda/targets';
import { FakeEc2 } from '../fakes';
import { captureStdout } from './helpers';

const NOW = Date.parse('2026-12-03T08:00:00Z');
let ec2: FakeEc2;
let out: ReturnType<typeof captureStdout>;
let file = '';

beforeEach(() => {
  out = captureStdout();
  ec2 = new FakeEc2();
  file = path.join(mkdtempSync(path.join(tmpdir(), 'expiry-')), 'partners.json');
  writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      entries: [
        { prefix: '11.22.33.0/24', owner: 'alice@example.com', expires: '2026-12-10T00:00:00Z' },
        { prefix: '45.60.1.0/24', owner: 'bob@example.com', expires: '2026-12-04T00:00:00Z' },
        { prefix: '52.94.5.0/24', owner: 'carol@example.com', expires: '2027-03-01T00:00:00Z' },
        { prefix: '34.1.0.0/16', owner: 'dave@example.com', expires: '2026-12-01T00:00:00Z' },
        { prefix: '99.1.2.0/24' },
      ],
    }),
  );
});
afterEach(() => out.restore());

function handlerFor(expiryWarningDays?: number) {
  const listId = ec2.createPrefixList({ family: 4, maxEntries: 10 });
  const config = parseRuntimeConfig({
    version: 1,
    allowlists: [
      {
        name: 'partners',
        sources: [{ kind: 'file', path: file, format: { type: 'allowlist' } }],
        targets: [{ kind: 'prefix-lists', ipv4: listId }],
        ...(expiryWarningDays !== undefined ? { expiryWarningDays } : {}),
      },
    ],
  });
  const deps: EngineDeps = {
    now: () => NOW,
    sleep: async () => {},
    sources: { now: () => NOW },
    drivers: (target, allowlist) => createDriver(target, allowlist, { ec2: ec2.client }),
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

const logLine = () =>
  out.json().find((l) => !('_aws' in l)) as { message: string; run: { allowlists: Array<{ expiring: unknown }> } };
const expiringMetric = () =>
  out
    .json()
    .filter((l) => '_aws' in l)
    .map((l) => l.ExpiringEntries);

describe('expiry warnings in a run', () => {
  it('lists the entries expiring within 14 days in the report, soonest first; the expired one stays out', async () => {
    const response = await handlerFor()({ trigger: 'schedule' });
    if (!('report' in response)) throw new Error('expected a report');
    const partners = response.report.allowlists[0];
    expect(partners?.entries.expired).toBe(1);
    expect(partners?.expiring).toEqual({
      windowDays: 14,
      count: 2,
      entries: [
        {
          prefix: '45.60.1.0/24',
          owner: 'bob@example.com',
          expires: '2026-12-04T00:00:00Z',
          where: `${file}:entries[1]`,
        },
        {
          prefix: '11.22.33.0/24',
          owner: 'alice@example.com',
          expires: '2026-12-10T00:00:00Z',
          where: `${file}:entries[0]`,
        },
      ],
    });
    expect(response.summary).toBe(
      'Applied: 4 added, 0 removed, 0 unchanged. Expiring within 14 days: partners 2 (bob@example.com, alice@example.com).',
    );
    expect(formatPlanText(response.report, { color: false })).toContain(
      [
        '  expiring within 14 days: 2',
        `    ! 45.60.1.0/24 owner bob@example.com expires 2026-12-04T00:00:00Z at ${file}:entries[1]`,
        `    ! 11.22.33.0/24 owner alice@example.com expires 2026-12-10T00:00:00Z at ${file}:entries[0]`,
      ].join('\n'),
    );
  });

  it('names them in the log line by place, owner and expiry, never by prefix, and counts them in the metric', async () => {
    await handlerFor()({ dryRun: true });
    const line = logLine();
    expect(line.message).toContain('Expiring within 14 days: partners 2 (bob@example.com, alice@example.com).');
    expect(line.run.allowlists[0]?.expiring).toEqual({
      windowDays: 14,
      count: 2,
      entries: [
        { where: `${file}:entries[1]`, owner: 'bob@example.com', expires: '2026-12-04T00:00:00Z' },
        { where: `${file}:entries[0]`, owner: 'alice@example.com', expires: '2026-12-10T00:00:00Z' },
      ],
    });
    expect(JSON.stringify(line)).not.toContain('45.60.1.0');
    expect(expiringMetric()).toEqual([2]);
  });

  it('follows the allowlist expiryWarningDays: 120 days takes in a later entry, 0 turns the warning off', async () => {
    const wide = await handlerFor(120)({ dryRun: true });
    expect('report' in wide && wide.report.allowlists[0]?.expiring?.count).toBe(3);
    const off = await handlerFor(0)({ dryRun: true });
    expect('report' in off && off.report.allowlists[0]).not.toHaveProperty('expiring');
    expect(off.summary).not.toContain('Expiring');
    expect(expiringMetric()).toEqual([3, 0]);
  });
});
