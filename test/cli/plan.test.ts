import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createPlanCommand } from '../../bin/commands/plan';
import type { RuntimeConfig } from '../../lambda/config';
import type { RunOptions } from '../../lambda/invocation';
import type { RunReport } from '../../lambda/targets/types';
import { allowlistReport, runReport, targetReport } from '../handler/helpers';
import { memoryIo } from './local-aws';

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
    nextReport = () =>
      runReport({
        status: 'refused',
        allowlists: [
          allowlistReport({
            status: 'refused',
            targets: [
              targetReport({
                status: 'refused',
                error: { name: 'GuardrailError', message: 'would remove 80%', override: '--force REASON' },
              }),
            ],
          }),
        ],
      });
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
    ['no --config', [], /--config FILE is required/],
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
