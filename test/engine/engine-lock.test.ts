import { describe, expect, it } from 'vitest';
import { parseRuntimeConfig } from '../../lambda/config';
import { type EngineDeps, type EngineOptions, runEngine } from '../../lambda/engine';
import { DEFAULT_LOCK_WAIT_MS, LOCK_TTL_MARGIN_MS } from '../../lambda/engine/lock';
import { type GenerationStore, MemoryRunLock } from '../../lambda/engine/run-lock';
import { driverTable, SetDriver, tableLoader } from './set-driver';

const PL_A = 'pl-00000000000000a1';
const PL_C = 'pl-00000000000000c1';
const T0 = 1_700_000_000_000;

const config = parseRuntimeConfig({
  version: 1,
  allowlists: [
    {
      name: 'partners',
      sources: [{ kind: 'inline', entries: ['192.0.2.0/24'] }],
      targets: [{ kind: 'prefix-lists', ipv4: PL_A }],
    },
    {
      name: 'office',
      sources: [{ kind: 'inline', entries: ['198.51.100.0/24'] }],
      targets: [{ kind: 'prefix-lists', ipv4: PL_C }],
    },
  ],
});

const LISTS = { partners: ['11.0.0.0/24'], office: ['198.51.100.0/24'] };

/** The engine over two set drivers with a shared in-memory lock and generation store, on a virtual clock. */
function setup(extra: Partial<EngineDeps> = {}) {
  const world = { clock: T0 };
  const d = { [PL_A]: new SetDriver(PL_A), [PL_C]: new SetDriver(PL_C) };
  const lock = new MemoryRunLock(() => world.clock);
  const sleeps: number[] = [];
  const deps: EngineDeps = {
    now: () => world.clock++,
    sleep: async (ms) => {
      sleeps.push(ms);
      world.clock += ms;
    },
    load: tableLoader(LISTS),
    drivers: driverTable(d),
    lock,
    generations: lock,
    ...extra,
  };
  const run = (options: Partial<EngineOptions> = {}) =>
    runEngine(config, { dryRun: false, trigger: 'manual', ...options }, deps);
  const writes = () => d[PL_A].writes + d[PL_C].writes;
  return { run, d, lock, sleeps, world, writes };
}

/** A lock held by another live run. */
function holdFor(lock: MemoryRunLock, allowlist: string, owner: string, at: number, ttlMs: number) {
  lock.locks.set(allowlist, { owner, generation: at, acquiredAt: at, expiresAt: at + ttlMs });
}

describe('runEngine under the run lock (P10)', () => {
  it('takes each allowlist lock, records its generation before writing, and releases every lock', async () => {
    const { run, lock, d, writes } = setup();
    let generationAtFirstWrite: number | undefined;
    d[PL_A].beforeWrite = () => {
      generationAtFirstWrite = lock.generations.get('partners');
    };
    const report = await run();
    expect(report.status).toBe('ok');
    expect(writes()).toBe(2);
    expect(generationAtFirstWrite).toBe(Date.parse(report.startedAt));
    expect(Object.fromEntries(lock.generations)).toEqual({
      partners: Date.parse(report.startedAt),
      office: Date.parse(report.startedAt),
    });
    expect(lock.locks.size).toBe(0);
  });

  it('refuses with RunInProgressError and zero writes when another run holds the lock for the whole wait', async () => {
    const { run, lock, sleeps, writes } = setup();
    holdFor(lock, 'office', 'run-other', T0 - 5000, 10 * 60_000);
    const report = await run();
    expect(writes()).toBe(0);
    expect(report.status).toBe('refused');
    const office = report.allowlists[1];
    expect(office?.error?.name).toBe('RunInProgressError');
    expect(office?.error?.message).toMatch(
      /another run \(run-other, generation \d+\) holds its lock memory:office since/,
    );
    expect(office?.error?.override).toMatch(/to clear it now: restart the process/);
    // Bounded backoff through the injected sleep, never past the default wait.
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(DEFAULT_LOCK_WAIT_MS);
    expect(sleeps.length).toBeGreaterThan(3);
    // Its own lock on `partners` was released; the other run's lock was left alone.
    expect([...lock.locks.keys()]).toEqual(['office']);
    expect(lock.generations.size).toBe(0);
  });

  it('waits for a lock that is released during the wait, then applies', async () => {
    const { run, lock, sleeps, world } = setup({
      sleep: async (ms) => {
        sleeps.push(ms);
        world.clock += ms;
        if (sleeps.length === 3) lock.locks.delete('partners');
      },
    });
    holdFor(lock, 'partners', 'run-other', T0 - 5000, 10 * 60_000);
    const report = await run();
    expect(report.status).toBe('ok');
    expect(sleeps).toEqual([250, 500, 1000]);
  });

  it('takes over a stale lock left by a crashed run and applies', async () => {
    const { run, lock, writes } = setup();
    holdFor(lock, 'partners', 'run-crashed', T0 - 20 * 60_000, 15 * 60_000);
    const report = await run();
    expect(report.status).toBe('ok');
    expect(writes()).toBe(2);
    expect(lock.locks.size).toBe(0);
  });

  it('refuses with SupersededError and zero writes when a newer run already recorded its generation', async () => {
    const { run, lock, writes } = setup();
    lock.generations.set('partners', T0 + 60_000);
    const report = await run();
    expect(writes()).toBe(0);
    expect(report.status).toBe('refused');
    expect(report.allowlists[0]?.error).toMatchObject({ name: 'SupersededError', override: /none needed/ });
    expect(report.allowlists[0]?.error?.message).toMatch(/a newer run \(generation 1700000060000, started .*Z\)/);
    expect(lock.generations.get('partners')).toBe(T0 + 60_000);
    expect(lock.locks.size).toBe(0);
  });

  it('releases the lock after a failed target, and keeps the generation it recorded before writing', async () => {
    const { run, lock, d } = setup();
    d[PL_A].script.push('throttle');
    const report = await run();
    expect(report.allowlists[0]?.status).toBe('failed');
    expect(lock.locks.size).toBe(0);
    expect(lock.generations.get('partners')).toBe(Date.parse(report.startedAt));
  });

  it('records the generation of a run with nothing to write, so an older queued run is refused after it', async () => {
    const { run, lock, writes } = setup();
    await run();
    const before = writes();
    const older = lock.generations.get('partners') as number;
    const again = await run();
    expect(writes()).toBe(before);
    expect(lock.generations.get('partners')).toBeGreaterThan(older);
    expect(again.status).toBe('ok');
  });

  it('refuses with zero writes when the generation cannot be recorded, and releases the locks', async () => {
    const generations: GenerationStore = {
      get: async () => undefined,
      put: async () => {
        throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
      },
    };
    const { run, lock, writes } = setup({ generations });
    const report = await run();
    expect(writes()).toBe(0);
    expect(report.status).not.toBe('ok');
    expect(report.allowlists[0]?.error?.message).toBe('denied');
    expect(lock.locks.size).toBe(0);
  });

  it('takes no lock and records nothing on a dry run, even while another run holds the lock', async () => {
    const { run, lock, writes, sleeps } = setup();
    holdFor(lock, 'partners', 'run-other', T0, 10 * 60_000);
    const report = await run({ dryRun: true });
    expect(report.status).toBe('ok');
    expect(report.allowlists[0]?.targets[0]?.status).toBe('planned');
    expect(writes()).toBe(0);
    expect(sleeps).toEqual([]);
    expect(lock.generations.size).toBe(0);
  });

  it('reports a lock it could not release as failed, naming the error', async () => {
    const { run, lock } = setup();
    lock.release = async () => {
      throw new Error('ssm unavailable');
    };
    const report = await run();
    expect(report.allowlists.map((a) => [a.status, a.error?.message])).toEqual([
      ['failed', 'ssm unavailable'],
      ['failed', 'ssm unavailable'],
    ]);
  });

  it('asks for a lock that outlives the run budget by the margin', async () => {
    const { run, lock } = setup({ runBudgetMs: 120_000 });
    let expiresIn: number | undefined;
    const acquire = lock.acquire.bind(lock);
    lock.acquire = async (name, request) => {
      expiresIn ??= request.ttlMs;
      return acquire(name, request);
    };
    await run();
    expect(expiresIn).toBe(120_000 + LOCK_TTL_MARGIN_MS);
  });
});
