import { describe, expect, it } from 'vitest';
import { parseRuntimeConfig, type RuntimeConfig } from '../../lambda/config';
import { ConfigError } from '../../lambda/core/errors';
import { type EngineDeps, type EngineOptions, runEngine } from '../../lambda/engine';
import { CONFLICT_BACKOFF_MS, MAX_APPLY_ATTEMPTS } from '../../lambda/engine/apply';
import { driverTable, SetDriver, tableLoader } from './set-driver';

const PL_A = 'pl-00000000000000a1';
const PL_B = 'pl-00000000000000b1';
const PL_C = 'pl-00000000000000c1';

/** Two allowlists: `partners` on two prefix lists, `office` on one. */
function config(overrides: { allowEmpty?: boolean } = {}): RuntimeConfig {
  return parseRuntimeConfig({
    version: 1,
    allowlists: [
      {
        name: 'partners',
        sources: [{ kind: 'inline', entries: ['192.0.2.0/24'] }],
        policy: { allowEmpty: overrides.allowEmpty ?? false },
        targets: [
          { kind: 'prefix-lists', ipv4: PL_A },
          { kind: 'prefix-lists', ipv4: PL_B },
        ],
      },
      {
        name: 'office',
        sources: [{ kind: 'inline', entries: ['198.51.100.0/24'] }],
        targets: [{ kind: 'prefix-lists', ipv4: PL_C }],
      },
    ],
  });
}

function range(n: number, third = 0): string[] {
  return Array.from({ length: n }, (_, i) => `11.${third}.${2 * i}.0/24`);
}

function setup(lists: Record<string, string[]>, drivers: Record<string, SetDriver>, extra: Partial<EngineDeps> = {}) {
  let clock = 1_700_000_000_000;
  const sleeps: number[] = [];
  const deps: EngineDeps = {
    now: () => clock++,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    load: tableLoader(lists),
    drivers: driverTable(drivers),
    ...extra,
  };
  const run = (options: Partial<EngineOptions> = {}, cfg = config()) =>
    runEngine(cfg, { dryRun: false, trigger: 'manual', ...options }, deps);
  return { run, sleeps };
}

function drivers(a: string[] = [], b: string[] = [], c: string[] = []) {
  return { [PL_A]: new SetDriver(PL_A, a), [PL_B]: new SetDriver(PL_B, b), [PL_C]: new SetDriver(PL_C, c) };
}

const totalWrites = (d: Record<string, SetDriver>) => Object.values(d).reduce((n, x) => n + x.writes, 0);

describe('runEngine', () => {
  it('applies every target, verifies, and reports what changed', async () => {
    const d = drivers(['11.0.0.0/24'], [], ['198.51.100.0/24']);
    const { run } = setup({ partners: ['11.0.0.0/24', '11.0.2.0/24'], office: ['198.51.100.0/24'] }, d);
    const report = await run();
    expect(report.status).toBe('ok');
    expect(report.allowlists.map((a) => a.targets.map((t) => [t.targetId, t.status, t.added.count]))).toEqual([
      [
        [PL_A, 'changed', 1],
        [PL_B, 'changed', 2],
      ],
      [[PL_C, 'unchanged', 0]],
    ]);
    expect(report.summary).toEqual({ add: 3, remove: 0, unchanged: 2 });
    expect([...d[PL_A].state.entries].sort()).toEqual(['11.0.0.0/24', '11.0.2.0/24']);
    expect(d[PL_C].writes).toBe(0);
  });

  it('makes zero writes on a converged state (P2)', async () => {
    const d = drivers(['11.0.0.0/24'], ['11.0.0.0/24'], ['198.51.100.0/24']);
    const { run } = setup({ partners: ['11.0.0.0/24'], office: ['198.51.100.0/24'] }, d);
    const report = await run();
    expect(totalWrites(d)).toBe(0);
    expect(Object.values(d).every((x) => x.applies.length === 0)).toBe(true);
    expect(report.allowlists.flatMap((a) => a.targets.map((t) => t.status))).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
  });

  it('makes no write call on a dry run and returns the plan as `planned`', async () => {
    const d = drivers();
    const { run } = setup({ partners: ['11.0.0.0/24'], office: ['198.51.100.0/24'] }, d);
    const report = await run({ dryRun: true });
    expect(Object.values(d).every((x) => x.applies.length === 0)).toBe(true);
    expect(report.status).toBe('ok');
    expect(report.dryRun).toBe(true);
    expect(report.allowlists[0]?.targets[0]).toMatchObject({ status: 'planned', added: { prefixes: ['11.0.0.0/24'] } });
  });

  it('runs only the selected allowlists', async () => {
    const d = drivers();
    const { run } = setup({ partners: ['11.0.0.0/24'], office: ['198.51.100.0/24'] }, d);
    const report = await run({ allowlists: ['office'] });
    expect(report.allowlists.map((a) => a.name)).toEqual(['office']);
    expect(d[PL_A].observes).toBe(0);
    expect(d[PL_C].writes).toBe(1);
  });

  it.each([
    ['an unknown allowlist name', { allowlists: ['nope'] }, /no allowlist named "nope"/],
    ['a force without a reason', { force: { reason: '  ' } }, /non-empty reason/],
  ])('throws a ConfigError for %s', async (_, options, message) => {
    const { run } = setup({}, drivers());
    const error = await run(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });

  describe('fail static: a failure before apply writes nothing anywhere', () => {
    it.each([
      ['a source that fails to load', { partners: undefined }, 'partners', 'refused'],
      ['an empty list', { partners: [] }, 'partners', 'refused'],
      ['a target over capacity', { partners: range(5) }, 'partners', 'refused'],
      ['a removal of 100% of 20 entries', { office: range(20, 9) }, 'office', 'refused'],
    ])('%s', async (_, change, culprit, status) => {
      const d = drivers([], [], range(20, 7));
      Object.assign(d, { [PL_B]: new SetDriver(PL_B, [], 3) });
      const lists: Record<string, string[]> = { partners: ['11.0.0.0/24'], office: range(20, 7) };
      for (const [k, v] of Object.entries(change)) {
        if (v === undefined) delete lists[k];
        else lists[k] = v;
      }
      const report = await run(lists, d);
      expect(totalWrites(d)).toBe(0);
      expect(Object.values(d).every((x) => x.applies.length === 0)).toBe(true);
      expect(report.status).toBe(status);
      expect(report.allowlists.find((a) => a.name === culprit)?.status).toBe(status);
    });

    async function run(lists: Record<string, string[]>, d: Record<string, SetDriver>) {
      return setup(lists, d).run();
    }
  });

  it('fails a target whose observe throws, and writes nothing anywhere', async () => {
    const d = drivers();
    d[PL_B].observe = async () => {
      throw Object.assign(new Error('access denied'), { name: 'UnauthorizedOperation' });
    };
    const report = await setup({ partners: ['11.0.0.0/24'], office: ['198.51.100.0/24'] }, d).run();
    expect(totalWrites(d)).toBe(0);
    expect(report.status).toBe('failed');
    expect(report.allowlists[0]?.targets[1]).toMatchObject({
      status: 'failed',
      error: { name: 'UnauthorizedOperation' },
    });
    expect(report.allowlists[1]?.targets[0]).toMatchObject({ status: 'refused', error: { name: 'NotApplied' } });
  });

  describe('the removal-share guardrail', () => {
    const lists = { partners: ['11.0.0.0/24'], office: range(5, 7) };

    it('refuses removing more than 30% of more than 10 entries, naming the numbers and the override', async () => {
      const d = drivers([], [], range(20, 7));
      const report = await setup(lists, d).run();
      expect(totalWrites(d)).toBe(0);
      const t = report.allowlists[1]?.targets[0];
      expect(t?.status).toBe('refused');
      expect(t?.error?.name).toBe('GuardrailError');
      expect(t?.error?.message).toMatch(/removes 15 of 20 entries \(75%\)/);
      expect(t?.error?.override).toMatch(/--force REASON/);
    });

    it('lets a forced run with a reason through, and records the reason', async () => {
      const d = drivers([], [], range(20, 7));
      const report = await setup(lists, d).run({ force: { reason: 'partner offboarded, CHG-42' } });
      expect(report.status).toBe('ok');
      expect(report.forced).toEqual({ reason: 'partner offboarded, CHG-42' });
      expect([...d[PL_C].state.entries].sort()).toEqual(range(5, 7).sort());
    });

    it('never lets force lift the empty or the capacity guardrail', async () => {
      const d = drivers();
      Object.assign(d, { [PL_C]: new SetDriver(PL_C, [], 2) });
      const report = await setup({ partners: [], office: range(3) }, d).run({ force: { reason: 'try anyway' } });
      expect(totalWrites(d)).toBe(0);
      expect(
        report.allowlists.map(
          (a) => a.error?.name ?? a.targets.find((t) => t.error?.name === 'GuardrailError')?.error?.name,
        ),
      ).toEqual(['GuardrailError', 'GuardrailError']);
      expect(report.allowlists[1]?.targets[0]?.error?.override).toBe('raise MaxEntries to 3');
    });

    it('accepts an empty list when the policy allows it', async () => {
      const d = drivers(['11.0.0.0/24'], ['11.0.0.0/24'], []);
      const report = await setup({ partners: [], office: ['198.51.100.0/24'] }, d).run(
        {},
        config({ allowEmpty: true }),
      );
      expect(report.status).toBe('ok');
      expect(d[PL_A].state.entries.size).toBe(0);
    });
  });

  describe('state conflicts', () => {
    it('re-observes, re-plans and applies again after a conflict, with backoff', async () => {
      const d = drivers();
      d[PL_A].script.push('conflict');
      const { run, sleeps } = setup({ partners: ['11.0.0.0/24'], office: ['198.51.100.0/24'] }, d);
      const report = await run();
      expect(report.allowlists[0]?.targets[0]?.status).toBe('changed');
      expect(d[PL_A].applies).toHaveLength(2);
      expect(sleeps).toEqual([CONFLICT_BACKOFF_MS[0]]);
    });

    it(`fails the target after ${MAX_APPLY_ATTEMPTS} conflicts and still applies the others`, async () => {
      const d = drivers();
      d[PL_A].script.push('conflict', 'conflict', 'conflict', 'conflict');
      const report = await setup({ partners: ['11.0.0.0/24'], office: ['198.51.100.0/24'] }, d).run();
      expect(d[PL_A].applies).toHaveLength(MAX_APPLY_ATTEMPTS);
      expect(report.allowlists[0]?.targets[0]?.error?.message).toMatch(/gave up after 3 attempts/);
      expect(report.allowlists[0]?.targets[1]?.status).toBe('changed');
      expect(report.allowlists[1]?.targets[0]?.status).toBe('changed');
      expect(report.status).toBe('failed');
    });

    it('does not retry a throttle: the target fails and the next run converges', async () => {
      const d = drivers();
      d[PL_A].script.push('throttle');
      const { run } = setup({ partners: ['11.0.0.0/24'], office: ['198.51.100.0/24'] }, d);
      const first = await run();
      expect(first.allowlists[0]?.targets[0]).toMatchObject({
        status: 'failed',
        error: { name: 'ThrottlingException' },
      });
      expect(d[PL_A].applies).toHaveLength(1);
      const second = await run();
      expect(second.status).toBe('ok');
      expect(d[PL_A].state.entries.has('11.0.0.0/24')).toBe(true);
    });
  });

  it('reports a verify that still sees changes with a note, without looping', async () => {
    const d = drivers();
    d[PL_A].script.push('stale-verify');
    const report = await setup({ partners: ['11.0.0.0/24'], office: ['198.51.100.0/24'] }, d).run();
    const t = report.allowlists[0]?.targets[0];
    expect(t?.status).toBe('changed');
    expect(t?.note).toMatch(/eventually consistent/);
    expect(d[PL_A].applies).toHaveLength(1);
  });

  it('records a signed serial only after every target of its allowlist applied', async () => {
    const puts: Array<[string, number]> = [];
    const serialStore = {
      get: async () => undefined,
      put: async (name: string, serial: number) => void puts.push([name, serial]),
    };
    const d = drivers();
    d[PL_A].script.push('throttle');
    const lists = { partners: ['11.0.0.0/24'], office: ['198.51.100.0/24'] };
    await setup(lists, d, { load: tableLoader(lists, 7), sources: { now: () => 0, serialStore } }).run();
    expect(puts).toEqual([['office', 7]]);
  });

  it('fails a target whose writes would start after the run budget', async () => {
    const d = drivers();
    const report = await setup({ partners: ['11.0.0.0/24'], office: ['198.51.100.0/24'] }, d, { runBudgetMs: 1 }).run();
    expect(totalWrites(d)).toBe(0);
    expect(report.allowlists[0]?.targets[0]?.error?.name).toBe('RunBudgetError');
  });
});
