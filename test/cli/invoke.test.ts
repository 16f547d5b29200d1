import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createInvokeCommand } from '../../bin/commands/invoke';
import { parseRuntimeConfig } from '../../lambda/config';
import type { RunReport } from '../../lambda/core/model';
import { createHandler, type RunOptions } from '../../lambda/function/invocation';
import { createLogger, createMetrics } from '../../lambda/function/observability';
import { refusedRunReport, runReport } from '../handler/helpers';
import { CLI, ensureBuilt } from './built-cli';
import { type LocalEndpoint, memoryIo, type ReceivedInvoke, startLambdaEndpoint } from './local-aws';

const config = parseRuntimeConfig({
  version: 1,
  allowlists: [
    {
      name: 'partners',
      sources: [{ kind: 'inline', entries: ['198.51.100.0/24'] }],
      targets: [{ kind: 'prefix-lists', ipv4: 'pl-0123456789abcdef0' }],
    },
  ],
});

const refused = refusedRunReport('would remove 8 of 10 entries (80%)');

// The deployed function, stood in for by the real handler over a stub engine that answers from the options.
let nextReport: (options: RunOptions) => RunReport;
const engine = vi.fn(async (_c: unknown, options: RunOptions, _d: unknown) => nextReport(options));
const handler = createHandler({ config, engine, engineDeps: {}, logger: createLogger(), metrics: createMetrics() });

let endpoint: LocalEndpoint & { received: ReceivedInvoke[] };
const client = () =>
  new LambdaClient({
    endpoint: endpoint.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
const invoke = createInvokeCommand(client);

beforeAll(async () => {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true); // the handler's own log lines
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  endpoint = await startLambdaEndpoint((event) => handler(event, { awsRequestId: 'req-1' }));
});
afterAll(async () => {
  await endpoint.close();
  vi.restoreAllMocks();
});
beforeEach(() => {
  endpoint.received.length = 0;
  engine.mockClear();
  nextReport = (o) => runReport({ dryRun: o.dryRun, trigger: o.trigger, ...(o.force ? { forced: o.force } : {}) });
});

describe('allowlist-sync invoke', () => {
  it('plans by default: sends {"dryRun": true} synchronously and exits 2 when changes are planned', async () => {
    const io = memoryIo();
    const code = await invoke.run(['--function', 'allowlist-sync-prod'], io);
    expect(endpoint.received).toEqual([
      { functionName: 'allowlist-sync-prod', invocationType: 'RequestResponse', payload: { dryRun: true } },
    ]);
    expect(code).toBe(2);
    expect(io.out()).toContain('    + 198.51.100.0/24');
    expect(io.out()).toContain('Plan: 2 to add, 1 to remove, 5 unchanged.');
  });

  it('applies with --apply, passing allowlists and the force reason, and exits 0', async () => {
    const io = memoryIo();
    const code = await invoke.run(
      ['--function', 'fn', '--apply', '--allowlist', 'partners', '--force', 'partner re-numbered'],
      io,
    );
    expect(endpoint.received[0]?.payload).toEqual({
      dryRun: false,
      allowlists: ['partners'],
      force: { reason: 'partner re-numbered' },
    });
    expect(engine.mock.calls[0]?.[1]).toMatchObject({ dryRun: false, force: { reason: 'partner re-numbered' } });
    expect(code).toBe(0);
    expect(io.out()).toContain('Applied: 2 added, 1 removed, 5 unchanged.');
    expect(io.out()).toContain('Forced: partner re-numbered');
  });

  it('exits 0 for a plan with no changes', async () => {
    nextReport = (o) => runReport({ dryRun: o.dryRun, summary: { add: 0, remove: 0, unchanged: 7 } });
    expect(await invoke.run(['--function', 'fn'], memoryIo())).toBe(0);
  });

  it('prints the RunReport as JSON with --json', async () => {
    const io = memoryIo();
    await invoke.run(['--function', 'fn', '--json'], io);
    const printed = JSON.parse(io.out()) as RunReport;
    expect(printed).toEqual(runReport({ dryRun: true, trigger: 'manual' }));
  });

  it('prints a function error (a refused run throws) and exits 1', async () => {
    nextReport = () => refused;
    const io = memoryIo();
    const code = await invoke.run(['--function', 'fn', '--apply'], io);
    expect(code).toBe(1);
    expect(io.err()).toContain(
      'the function failed (Unhandled): RunFailedError: Refused: partners prefix-lists:pl-0123456789abcdef0: would remove 8 of 10 entries (80%). Override: --force REASON.',
    );
    expect(io.out()).toBe('');
  });

  it.each([
    [['--apply'], /--function NAME is required/],
    [['--function', 'fn', '--bogus'], /Unknown option '--bogus'/],
    [['--function', 'fn', '--force', ' '], /--force needs a reason/],
  ])('refuses bad arguments %j with exit 1 and no invoke', async (argv, message) => {
    const io = memoryIo();
    expect(await invoke.run(argv, io)).toBe(1);
    expect(io.err()).toMatch(message);
    expect(endpoint.received).toHaveLength(0);
  });

  it('runs as a built process against AWS_ENDPOINT_URL', async () => {
    ensureBuilt();
    const run = await promisify(execFile)(process.execPath, [CLI, 'invoke', '--function', 'fn', '--no-color'], {
      env: {
        PATH: process.env.PATH,
        AWS_ENDPOINT_URL: endpoint.url,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKIDTEST',
        AWS_SECRET_ACCESS_KEY: 'secret',
      },
    }).then(
      () => ({ code: 0, stdout: '' }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('Plan: 2 to add, 1 to remove, 5 unchanged.');
    expect(endpoint.received[0]?.payload).toEqual({ dryRun: true });
  });
});
