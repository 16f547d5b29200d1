import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPlanCommand } from '../../bin/commands/plan';
import type { RuntimeConfig } from '../../lambda/config';
import type { RunReport } from '../../lambda/core/model';
import type { RunOptions } from '../../lambda/function/invocation';
import { FakeEventBridge, FakeWafv2 } from '../fakes';
import { FakeSsm } from '../fakes/fake-ssm';
import { refusedRunReport, runReport } from '../handler/helpers';
import { CLI, ensureBuilt } from './built-cli';
import { type LocalEndpoint, memoryIo, startWafEndpoint } from './local-aws';

const dir = mkdtempSync(path.join(tmpdir(), 'allowlist-sync-plan-'));
function writeConfig(name: string, value: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

const minimalConfig = {
  version: 1,
  allowlists: [
    {
      name: 'partners',
      sources: [{ kind: 'inline', entries: ['198.51.100.0/24'] }],
      targets: [{ kind: 'prefix-lists', ipv4: 'pl-0123456789abcdef0' }],
    },
  ],
};

describe('plan and apply with a stub engine (arguments, output, exit codes)', () => {
  let nextReport: (options: RunOptions) => RunReport;
  const engine = vi.fn(async (_c: RuntimeConfig, o: RunOptions, _d: string) => nextReport(o));
  const deps = async () => ({ engine, engineDeps: () => 'deps' });
  const plan = createPlanCommand('plan', deps);
  const apply = createPlanCommand('apply', deps);
  const file = writeConfig('config.json', minimalConfig);
  beforeEach(() => {
    engine.mockClear();
    nextReport = (o) => runReport({ dryRun: o.dryRun, trigger: o.trigger, ...(o.force ? { forced: o.force } : {}) });
  });

  it.each([
    ['plan with changes', 'plan', { add: 2, remove: 1, unchanged: 5 }, 'ok', 2],
    ['plan without changes', 'plan', { add: 0, remove: 0, unchanged: 7 }, 'ok', 0],
    ['a refused plan', 'plan', { add: 2, remove: 1, unchanged: 5 }, 'refused', 1],
    ['apply with changes', 'apply', { add: 2, remove: 1, unchanged: 5 }, 'ok', 0],
    ['apply without changes', 'apply', { add: 0, remove: 0, unchanged: 7 }, 'ok', 0],
    ['a degraded apply', 'apply', { add: 2, remove: 1, unchanged: 5 }, 'degraded', 0],
    ['a refused apply', 'apply', { add: 2, remove: 1, unchanged: 5 }, 'refused', 1],
    ['a failed apply', 'apply', { add: 2, remove: 1, unchanged: 5 }, 'failed', 1],
  ] as const)('exits as documented for %s', async (_, mode, summary, status, code) => {
    nextReport = (o) => runReport({ dryRun: o.dryRun, summary, status });
    const io = memoryIo();
    expect(await (mode === 'plan' ? plan : apply).run(['--config', file], io)).toBe(code);
    expect(engine.mock.calls[0]?.[1]).toEqual({ dryRun: mode === 'plan', trigger: 'cli' });
  });

  it('passes --allowlist (repeatable) and --force to the engine', async () => {
    await apply.run(
      ['--config', file, '--allowlist', 'a', '--allowlist', 'b', '--force', 'planned migration'],
      memoryIo(),
    );
    expect(engine.mock.calls[0]?.[1]).toEqual({
      dryRun: false,
      trigger: 'cli',
      allowlists: ['a', 'b'],
      force: { reason: 'planned migration' },
    });
    expect(engine.mock.calls[0]?.[2]).toBe('deps');
  });

  it('prints terraform-like text with + and - lines and a summary line', async () => {
    const io = memoryIo();
    await plan.run(['--config', file], io);
    expect(io.out()).toContain(
      '  prefix-lists:pl-0123456789abcdef0 [changed]\n    + 198.51.100.0/24\n    + 203.0.113.0/24\n    - 192.0.2.0/24\n',
    );
    expect(io.out()).toMatch(/Plan: 2 to add, 1 to remove, 5 unchanged\.\n$/);
  });

  it.each([
    ['on a terminal', true, {}, true],
    ['on a terminal with --no-color', true, { noColor: true }, false],
    ['on a terminal with NO_COLOR set', true, { env: { NO_COLOR: '1' } }, false],
    ['into a pipe', false, {}, false],
  ] as const)('colours only on a terminal: %s', async (_, tty, opts, coloured) => {
    const io = memoryIo('env' in opts ? opts.env : {}, tty);
    await plan.run(['--config', file, ...('noColor' in opts ? ['--no-color'] : [])], io);
    expect(io.out().includes('\x1b[')).toBe(coloured);
  });

  it('prints the RunReport as JSON with --json', async () => {
    const io = memoryIo();
    await plan.run(['--config', file, '--json'], io);
    expect(JSON.parse(io.out())).toEqual(runReport({ dryRun: true, trigger: 'cli' }));
  });

  it('prints a refusal with its override and exits 1', async () => {
    nextReport = () => refusedRunReport('would remove 80%');
    const io = memoryIo();
    expect(await apply.run(['--config', file], io)).toBe(1);
    expect(io.out()).toContain('! GuardrailError: would remove 80%');
    expect(io.out()).toContain('override: --force REASON');
  });

  it('reads a YAML config by its extension', async () => {
    const yaml = writeConfig(
      'config.yaml',
      'version: 1\nallowlists:\n  - name: partners\n    sources: [{ kind: inline, entries: ["198.51.100.0/24"] }]\n    targets: [{ kind: prefix-lists, ipv4: pl-0123456789abcdef0 }]\n',
    );
    expect(await plan.run(['--config', yaml], memoryIo())).toBe(2);
    expect(engine.mock.calls[0]?.[0].allowlists[0]?.name).toBe('partners');
  });

  it.each([
    ['no --config', [], /give either --config FILE or --stack NAME/],
    ['an unknown option', ['--config', 'x', '--colour'], /Unknown option '--colour'/],
    ['--force on plan', ['--config', 'x', '--force', 'r'], /Unknown option '--force'/],
    ['a missing file', ['--config', path.join(dir, 'nope.json')], /cannot read the file/],
    [
      'a config naming a bad field',
      ['--config', 'BAD'],
      /allowlists\[0\]\.targets\[0\]\.ipv4: a prefix list id looks like/,
    ],
  ])('refuses %s with exit 1, naming the problem, without running', async (_, argv, message) => {
    const bad = writeConfig('bad.json', {
      ...minimalConfig,
      allowlists: [{ ...minimalConfig.allowlists[0], targets: [{ kind: 'prefix-lists', ipv4: 'pl-x' }] }],
    });
    const io = memoryIo();
    expect(
      await plan.run(
        argv.map((a) => (a === 'BAD' ? bad : a)),
        io,
      ),
    ).toBe(1);
    expect(io.err()).toMatch(message);
    expect(engine).not.toHaveBeenCalled();
  });
});

describe('the built CLI as a process, against a local WAFv2 endpoint backed by FakeWafv2', () => {
  let cli: string;
  let waf: FakeWafv2;
  let ssm: FakeSsm;
  let events: FakeEventBridge;
  let endpoint: LocalEndpoint & { operations: string[] };
  let setId: string;

  beforeAll(async () => {
    ensureBuilt();
    cli = CLI;
    // One attempt per request: the CLI's own SDK does the retrying, as against AWS.
    waf = new FakeWafv2({ maxAttempts: 1, enforceWriteRate: true });
    setId = waf.createIpSet({ scope: 'REGIONAL', name: 'partners-v4', family: 'IPV4', addresses: ['45.60.1.0/24'] }).Id;
    ssm = new FakeSsm();
    events = new FakeEventBridge({ grantedBuses: ['default'] });
    endpoint = await startWafEndpoint(waf, ssm, events);
  });
  afterAll(() => endpoint.close());

  const configFor = (entries: string[], extra: Record<string, unknown> = {}) =>
    writeConfig(`waf-${entries.length}-${Object.keys(extra).length}.json`, {
      version: 1,
      allowlists: [
        {
          name: 'partners',
          sources: [{ kind: 'inline', entries }],
          targets: [{ kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [{ name: 'partners-v4', id: setId }] }],
          ...extra,
        },
      ],
    });

  async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return promisify(execFile)(process.execPath, [cli, ...args], {
      env: {
        PATH: process.env.PATH,
        AWS_ENDPOINT_URL: endpoint.url,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKIDTEST',
        AWS_SECRET_ACCESS_KEY: 'secret',
        NODE_NO_WARNINGS: '1',
      },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  }

  it('plans (exit 2), applies (exit 0), then plans no changes (exit 0)', async () => {
    const file = configFor(['11.22.33.0/24', '52.94.5.0/24', '45.60.1.0/24']);
    const writes = () => waf.calls.filter((c) => c.write).length;

    const planned = await run(['plan', '--config', file]);
    expect(planned.stderr).toBe('');
    expect(planned.code).toBe(2);
    expect(planned.stdout).toContain('+ 11.22.33.0/24');
    expect(planned.stdout).toContain('Plan: 2 to add, 0 to remove, 1 unchanged.');
    expect(planned.stdout).not.toContain('\x1b[');
    expect(writes()).toBe(0);

    const applied = await run(['apply', '--config', file]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('Applied: 2 added, 0 removed, 1 unchanged.');
    expect(writes()).toBe(1);
    expect(waf.addresses(setId).sort()).toEqual(['11.22.33.0/24', '45.60.1.0/24', '52.94.5.0/24']);
    // The apply took the allowlist's run lock, recorded its generation, and released the lock (P10).
    expect(ssm.calls.map((c) => `${c.command} ${String(c.input.Name)}`)).toEqual([
      'PutParameter /allowlist-sync/partners/lock',
      'GetParameter /allowlist-sync/partners/generation',
      'PutParameter /allowlist-sync/partners/generation',
      'GetParameter /allowlist-sync/partners/lock',
      'DeleteParameter /allowlist-sync/partners/lock',
    ]);
    expect(ssm.parameters.has('/allowlist-sync/partners/lock')).toBe(false);
    // The apply put one change event on the default bus; the plans put none.
    expect(applied.stdout).toContain('event "Allowlist Applied" sent to the default event bus');
    expect(events.events.map((e) => [e.bus, e.detailType, e.detail.trigger, e.detail.added])).toEqual([
      ['default', 'Allowlist Applied', 'cli', { count: 2, prefixes: ['11.22.33.0/24', '52.94.5.0/24'], omitted: 0 }],
    ]);

    const again = await run(['plan', '--config', file]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Plan: 0 to add, 0 to remove, 3 unchanged.');
    expect(writes()).toBe(1);
    expect(events.events).toHaveLength(1);
  });

  it('prints the RunReport as JSON with --json', async () => {
    const result = await run(['plan', '--config', configFor(['11.22.33.0/24']), '--json']);
    const report = JSON.parse(result.stdout) as RunReport;
    expect(report).toMatchObject({ dryRun: true, trigger: 'cli', summary: { add: 0, remove: 2, unchanged: 1 } });
    expect(report.allowlists[0]?.targets[0]?.removed.prefixes).toEqual(['45.60.1.0/24', '52.94.5.0/24']);
  });

  it('refuses a change over the removal guardrail: exit 1 and zero writes', async () => {
    const before = waf.calls.filter((c) => c.write).length;
    const file = configFor(['11.22.33.0/24'], { guardrails: { maxRemovedShare: 0.3, removalsAlwaysAllowed: 0 } });
    const refused = await run(['apply', '--config', file]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('override');
    expect(refused.stdout).toContain('Run refused: nothing was written.');
    expect(waf.calls.filter((c) => c.write).length).toBe(before);
    expect(waf.addresses(setId)).toHaveLength(3);
    expect(events.events.at(-1)).toMatchObject({
      detailType: 'Allowlist Refused',
      detail: { status: 'refused', removed: { count: 2 } },
    });
  });

  it('a bad config fails with exit 1 naming the field, before any AWS call', async () => {
    const calls = waf.calls.length;
    const bad = writeConfig('bad-process.json', { version: 1, allowlists: [{ name: 'x', sources: [], targets: [] }] });
    const result = await run(['apply', '--config', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/allowlists\[0\]\.sources/);
    expect(waf.calls.length).toBe(calls);
  });
});
