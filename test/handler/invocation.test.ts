import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseRuntimeConfig } from '../../lambda/config';
import { ConfigError } from '../../lambda/core/errors';
import type { RunReport } from '../../lambda/core/model';
import { createHandler, REPORT_MARGIN_MS, type RunOptions } from '../../lambda/function/invocation';
import { createLogger, createMetrics } from '../../lambda/function/observability';
import { RunFailedError } from '../../lambda/function/response';
import { allowlistReport, captureStdout, refusedRunReport, runReport, targetReport } from './helpers';

const PUBLIC_KEY = 'MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=';

const config = parseRuntimeConfig({
  version: 1,
  allowlists: [
    {
      name: 'partners',
      sources: [
        {
          kind: 'https',
          url: 'https://lists.example.com/partners.txt?X-Amz-Signature=deadbeef&token=s3cr3t',
          integrity: { ed25519PublicKey: PUBLIC_KEY },
        },
      ],
      targets: [{ kind: 'prefix-lists', ipv4: 'pl-0123456789abcdef0' }],
    },
    {
      name: 'office',
      sources: [{ kind: 's3', bucket: 'lists-bucket', key: 'office.txt' }],
      targets: [{ kind: 'prefix-lists', ipv4: 'pl-0123456789abcdef1' }],
    },
  ],
});

let out: ReturnType<typeof captureStdout>;
beforeEach(() => {
  out = captureStdout();
});
afterEach(() => out.restore());

function setup(report: RunReport | ((options: RunOptions) => RunReport) | Error) {
  const engine = vi.fn(async (_config: unknown, options: RunOptions, _deps: unknown) => {
    if (report instanceof Error) throw report;
    return typeof report === 'function' ? report(options) : report;
  });
  const handler = createHandler({
    config,
    engine,
    engineDeps: { marker: 'deps' },
    logger: createLogger(),
    metrics: createMetrics(),
    now: () => Date.parse('2026-01-01T02:00:00.000Z'),
  });
  return { engine, handler };
}

const logLines = () => out.json().filter((l) => !('_aws' in l));
const emfBlobs = () => out.json().filter((l) => '_aws' in l);

describe('the handler', () => {
  it.each([
    ['the schedule payload', { trigger: 'schedule' }, { dryRun: false, trigger: 'schedule' }],
    ['the deploy payload', { trigger: 'deploy' }, { dryRun: false, trigger: 'deploy' }],
    ['a manual payload without dryRun (plans only)', {}, { dryRun: true, trigger: 'manual' }],
    ['a manual payload with dryRun false', { dryRun: false }, { dryRun: false, trigger: 'manual' }],
    [
      'an S3 Object Created event',
      {
        source: 'aws.s3',
        'detail-type': 'Object Created',
        detail: { bucket: { name: 'lists-bucket' }, object: { key: 'office.txt' } },
      },
      { dryRun: false, trigger: 's3', allowlists: ['office'] },
    ],
  ])('passes %s to the engine with the request id as run id', async (_, event, expected) => {
    const { engine, handler } = setup((o) => runReport({ dryRun: o.dryRun, trigger: o.trigger }));
    await handler(event, { awsRequestId: 'req-42' });
    expect(engine).toHaveBeenCalledTimes(1);
    expect(engine.mock.calls[0]?.[1]).toEqual({ ...expected, runId: 'req-42' });
    expect(engine.mock.calls[0]?.[2]).toEqual({ marker: 'deps' });
  });

  it('gives the engine a run budget of the remaining time less the reporting margin', async () => {
    const engine = vi.fn(async (_config: unknown, _options: RunOptions, _deps: { runBudgetMs?: number }) =>
      runReport({ dryRun: true }),
    );
    const handler = createHandler({
      config,
      engine,
      engineDeps: { runBudgetMs: 600_000 } as { runBudgetMs?: number },
      logger: createLogger(),
      metrics: createMetrics(),
      withBudget: (deps, runBudgetMs) => ({ ...deps, runBudgetMs }),
    });
    await handler({ dryRun: true }, { awsRequestId: 'r-1', getRemainingTimeInMillis: () => 300_000 });
    expect(engine.mock.calls[0]?.[2]).toEqual({ runBudgetMs: 300_000 - REPORT_MARGIN_MS });
    await handler({ dryRun: true }, { awsRequestId: 'r-2' });
    expect(engine.mock.calls[1]?.[2]).toEqual({ runBudgetMs: 600_000 });
  });

  it('returns the report behind a terraform-like summary line', async () => {
    const { handler } = setup(runReport({ dryRun: true, trigger: 'manual' }));
    const response = await handler({});
    expect(response).toEqual({
      summary: 'Plan: 2 to add, 1 to remove, 5 unchanged.',
      report: runReport({ dryRun: true, trigger: 'manual' }),
    });
  });

  it('passes force with its reason and logs the reason in the run summary', async () => {
    const { engine, handler } = setup((o) => runReport({ ...(o.force ? { forced: o.force } : {}) }));
    const response = await handler({ dryRun: false, force: { reason: 'partner re-numbered' } });
    expect(engine.mock.calls[0]?.[1].force).toEqual({ reason: 'partner re-numbered' });
    expect(response.summary).toBe('Applied: 2 added, 1 removed, 5 unchanged. Forced: partner re-numbered.');
    expect(logLines()[0]).toMatchObject({ run: { forced: { reason: 'partner re-numbered' } } });
  });

  it('writes exactly one structured log line per run', async () => {
    const { handler } = setup(runReport());
    await handler({ trigger: 'schedule' });
    const lines = logLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      service: 'allowlist-sync',
      message: 'Applied: 2 added, 1 removed, 5 unchanged.',
      run: { status: 'ok', trigger: 'schedule', add: 2, remove: 1, unchanged: 5 },
    });
  });

  it.each([
    [
      'a refused run',
      refusedRunReport('would remove 80% of 10 entries'),
      'Refused: partners prefix-lists:pl-0123456789abcdef0: would remove 80% of 10 entries. Override: --force REASON.',
    ],
    [
      'a failed run',
      runReport({
        status: 'failed',
        allowlists: [allowlistReport({ status: 'failed', error: { name: 'SourceError', message: 'HTTP 503\nretry' } })],
      }),
      'Failed: partners: HTTP 503.',
    ],
  ])('logs %s at ERROR and then throws its summary', async (_, report, summary) => {
    const { handler } = setup(report);
    const error = await handler({ trigger: 'schedule' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailedError);
    expect((error as RunFailedError).message).toBe(summary);
    expect((error as RunFailedError).report).toBe(report);
    const lines = logLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'ERROR', message: summary, run: { status: report.status } });
  });

  it('rejects a bad payload naming the field, without calling the engine', async () => {
    const { engine, handler } = setup(runReport());
    await expect(handler({ dryRun: false, alowlists: ['x'] })).rejects.toThrow(/unknown field "alowlists"/);
    await expect(handler({ dryRun: false, alowlists: ['x'] })).rejects.toBeInstanceOf(ConfigError);
    expect(engine).not.toHaveBeenCalled();
    expect(logLines()[0]).toMatchObject({ level: 'ERROR', run: { status: 'rejected' } });
  });

  it('ignores an S3 object that no allowlist reads, without calling the engine', async () => {
    const { engine, handler } = setup(runReport());
    const response = await handler({
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: { bucket: { name: 'lists-bucket' }, object: { key: 'unrelated.csv' } },
    });
    expect(response).toEqual({
      summary: 'Ignored: no allowlist reads s3://lists-bucket/unrelated.csv; nothing to do.',
      ignored: 'no allowlist reads s3://lists-bucket/unrelated.csv; nothing to do',
    });
    expect(engine).not.toHaveBeenCalled();
  });

  it('logs an engine exception as the run line and rethrows it', async () => {
    const { handler } = setup(new Error('boom at https://lists.example.com/p.txt?token=s3cr3t'));
    await expect(handler({ trigger: 'schedule' })).rejects.toThrow('boom');
    const lines = logLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'ERROR', run: { status: 'failed', trigger: 'schedule' } });
    expect(out.text()).not.toContain('s3cr3t');
  });

  it('never logs a query string, a signature, a token or the configured public key (P13)', async () => {
    const leaky = runReport({
      status: 'failed',
      allowlists: [
        allowlistReport({
          status: 'failed',
          provenance: [
            {
              kind: 'https',
              location: 'https://lists.example.com/partners.txt?X-Amz-Signature=deadbeef&token=s3cr3t',
              sha256: 'b'.repeat(64),
              bytes: 1,
              fetchedAt: '2026-01-01T01:00:00.000Z',
            },
          ],
          error: {
            name: 'SourceError',
            message:
              'GET https://user:hunter2@lists.example.com/partners.txt?X-Amz-Signature=deadbeef&token=s3cr3t: 403 (key AKIAABCDEFGHIJKLMNOP)',
          },
        }),
      ],
    });
    const { handler } = setup(leaky);
    await expect(handler({ trigger: 'schedule' })).rejects.toThrow(RunFailedError);
    const text = out.text();
    for (const secret of ['deadbeef', 's3cr3t', 'hunter2', 'AKIAABCDEFGHIJKLMNOP', PUBLIC_KEY, '?X-Amz']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('https://lists.example.com/partners.txt?[redacted]');
  });
});

describe('the metrics', () => {
  it('emits every metric in namespace AllowlistSync with the allowlist name as the only dimension', async () => {
    const { handler } = setup(runReport({ allowlists: [allowlistReport(), allowlistReport({ name: 'office' })] }));
    await handler({ trigger: 'schedule' });
    const blobs = emfBlobs();
    expect(blobs).toHaveLength(2);
    expect(blobs.map((b) => b.Allowlist)).toEqual(['partners', 'office']);
    for (const blob of blobs) {
      const aws = blob._aws as {
        CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
      };
      const [directive] = aws.CloudWatchMetrics;
      expect(directive?.Namespace).toBe('AllowlistSync');
      expect(directive?.Dimensions).toEqual([['Allowlist']]);
      expect(directive?.Metrics.map((m) => m.Name).sort()).toEqual(
        [
          'Added',
          'DriftFound',
          'DurationMs',
          'EntriesDesired',
          'ExpiringEntries',
          'Failed',
          'QuotaHeadroom',
          'Refused',
          'Removed',
          'RunSucceeded',
          'SourceAgeSeconds',
        ].sort(),
      );
      expect(blob).toMatchObject({
        EntriesDesired: 7,
        Added: 2,
        Removed: 1,
        DriftFound: 0,
        Refused: 0,
        Failed: 0,
        RunSucceeded: 1,
        SourceAgeSeconds: 7200,
        DurationMs: 40,
        QuotaHeadroom: 13,
      });
      expect(Object.keys(blob)).not.toContain('service');
    }
  });

  it('emits neither Added, Removed nor RunSucceeded for a dry run', async () => {
    const { handler } = setup(runReport({ dryRun: true, trigger: 'manual' }));
    await handler({});
    const [blob] = emfBlobs();
    expect(blob).toBeDefined();
    expect(Object.keys(blob ?? {})).not.toEqual(expect.arrayContaining(['Added']));
    expect(blob).not.toHaveProperty('Removed');
    expect(blob).not.toHaveProperty('RunSucceeded');
    expect(blob).toMatchObject({ EntriesDesired: 7, Refused: 0 });
  });

  it('counts a refusal and one QuotaHeadroom value per target', async () => {
    const report = runReport({
      status: 'refused',
      allowlists: [
        allowlistReport({
          status: 'refused',
          targets: [
            targetReport({ status: 'refused', capacity: { fits: false, needed: 30, available: 20, unit: 'entries' } }),
            targetReport({ targetId: 'waf-ip-sets:REGIONAL:a', status: 'refused' }),
          ],
        }),
      ],
    });
    const { handler } = setup(report);
    await expect(handler({ trigger: 'schedule' })).rejects.toThrow(RunFailedError);
    const [blob] = emfBlobs();
    expect(blob).toMatchObject({ Refused: 1, Failed: 0, Added: 0, Removed: 0, QuotaHeadroom: [-10, 13] });
    expect(blob).not.toHaveProperty('RunSucceeded');
  });
});
