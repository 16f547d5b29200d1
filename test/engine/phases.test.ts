import { describe, expect, it } from 'vitest';
import type { Allowlist } from '../../lambda/config';
import { parseRuntimeConfig } from '../../lambda/config';
import type { Desired, TargetPlan } from '../../lambda/core/model';
import { type EngineDeps, runEngine } from '../../lambda/engine';
import { type Phase, PhaseTimer } from '../../lambda/engine/phases';
import { runLogEntry } from '../../lambda/function/observability';
import { loadAllowlist } from '../../lambda/sources';
import type { ApplyContext } from '../../lambda/targets/types';
import {
  type SetDriver as Driver,
  driverTable,
  SetDriver,
  type SetState,
  type SetWrite,
  tableLoader,
} from './set-driver';

const PL_A = 'pl-00000000000000a1';
const PL_B = 'pl-00000000000000b1';
const PL_C = 'pl-00000000000000c1';

/** A clock that only moves when the code under test says it spent time: phase totals are then exact. */
class Ticks {
  t = 0;
  readonly clock = () => this.t;
  spend(ms: number): void {
    this.t += ms;
  }
}

/** A set driver whose observe costs 7, plan 11 and apply 13 ticks. */
class TimedDriver extends SetDriver {
  constructor(
    private readonly ticks: Ticks,
    id: string,
    entries: string[] = [],
  ) {
    super(id, entries);
  }
  override async observe(): Promise<SetState> {
    this.ticks.spend(7);
    return super.observe();
  }
  override plan(desired: Desired, observed: SetState): TargetPlan<SetWrite> {
    this.ticks.spend(11);
    return super.plan(desired, observed);
  }
  override async apply(plan: TargetPlan<SetWrite>, context: ApplyContext): Promise<{ writeCalls: number }> {
    this.ticks.spend(13);
    return super.apply(plan, context);
  }
}

const config = parseRuntimeConfig({
  version: 1,
  allowlists: [
    {
      name: 'partners',
      sources: [{ kind: 'inline', entries: ['192.0.2.0/24'] }],
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
const lists = { partners: ['11.0.0.0/24'], office: ['12.0.0.0/24'] };

/** Engine deps over timed drivers; the loader spends 3 ticks fetching and 5 parsing. */
function setup(ticks: Ticks, drivers: Record<string, Driver>, extra: Partial<EngineDeps> = {}): EngineDeps {
  let now = 1_700_000_000_000;
  const table = tableLoader(lists);
  return {
    now: () => now++,
    sleep: async (ms) => {
      now += ms;
    },
    elapsed: ticks.clock,
    load: async (allowlist: Allowlist, onFetched?: () => void) => {
      ticks.spend(3);
      onFetched?.();
      ticks.spend(5);
      return table(allowlist);
    },
    drivers: driverTable(drivers),
    ...extra,
  };
}

describe('PhaseTimer', () => {
  it('sums the intervals of each phase, including one that throws, and shows each to the observer', async () => {
    const ticks = new Ticks();
    const seen: string[] = [];
    const timer = new PhaseTimer(ticks.clock, {
      start: (p) => seen.push(`start ${p}`),
      end: (p, ms) => seen.push(`end ${p} ${ms}`),
    });
    await timer.time('observe', async () => ticks.spend(2));
    await expect(
      timer.time('observe', async () => {
        ticks.spend(3);
        throw new Error('AWS said no');
      }),
    ).rejects.toThrow('AWS said no');
    timer.timeSync('plan', () => ticks.spend(4));
    const end = timer.open('fetch');
    ticks.spend(6);
    end();
    ticks.spend(100);
    end(); // a second call ends nothing
    expect(timer.snapshot()).toEqual({ fetch: 6, parse: 0, observe: 5, plan: 4, apply: 0, verify: 0 });
    expect(seen).toEqual([
      'start observe',
      'end observe 2',
      'start observe',
      'end observe 3',
      'start plan',
      'end plan 4',
      'start fetch',
      'end fetch 6',
    ]);
  });

  it('rounds totals to 0.1 ms', () => {
    const ticks = new Ticks();
    const timer = new PhaseTimer(ticks.clock);
    timer.timeSync('apply', () => ticks.spend(1.26));
    expect(timer.snapshot().apply).toBe(1.3);
  });
});

describe('the run report carries the time of each phase', () => {
  it('splits a run into fetch, parse, observe, plan, apply and verify', async () => {
    const ticks = new Ticks();
    // A needs a write, B is converged, C needs a write.
    const drivers = {
      [PL_A]: new TimedDriver(ticks, PL_A),
      [PL_B]: new TimedDriver(ticks, PL_B, ['11.0.0.0/24']),
      [PL_C]: new TimedDriver(ticks, PL_C),
    };
    const report = await runEngine(config, { dryRun: false, trigger: 'manual' }, setup(ticks, drivers));
    expect(report.status).toBe('ok');
    // 2 allowlists loaded; 3 targets observed and planned; 2 applied; 3 verified (observe 7 + plan 11 each).
    expect(report.phases).toEqual({ fetch: 6, parse: 10, observe: 21, plan: 33, apply: 26, verify: 54 });
    expect(runLogEntry(report).phases).toEqual(report.phases);
  });

  it('counts a re-read after a conflict as observe and plan, and each attempt as apply', async () => {
    const ticks = new Ticks();
    const a = new TimedDriver(ticks, PL_A);
    a.script.push('conflict');
    const drivers = {
      [PL_A]: a,
      [PL_B]: new TimedDriver(ticks, PL_B, ['11.0.0.0/24']),
      [PL_C]: new TimedDriver(ticks, PL_C, ['12.0.0.0/24']),
    };
    const report = await runEngine(config, { dryRun: false, trigger: 'manual' }, setup(ticks, drivers));
    expect(report.allowlists[0]?.targets[0]?.status).toBe('changed');
    expect(report.phases).toEqual({ fetch: 6, parse: 10, observe: 28, plan: 44, apply: 26, verify: 54 });
  });

  it('has no apply or verify time on a dry run', async () => {
    const ticks = new Ticks();
    const drivers = {
      [PL_A]: new TimedDriver(ticks, PL_A),
      [PL_B]: new TimedDriver(ticks, PL_B),
      [PL_C]: new TimedDriver(ticks, PL_C),
    };
    const report = await runEngine(config, { dryRun: true, trigger: 'manual' }, setup(ticks, drivers));
    expect(report.phases).toEqual({ fetch: 6, parse: 10, observe: 21, plan: 33, apply: 0, verify: 0 });
  });

  it('counts a whole load as fetch when the loader does not say where fetching ended', async () => {
    const ticks = new Ticks();
    const drivers = {
      [PL_A]: new TimedDriver(ticks, PL_A),
      [PL_B]: new TimedDriver(ticks, PL_B),
      [PL_C]: new TimedDriver(ticks, PL_C),
    };
    const table = tableLoader(lists);
    const load = async (allowlist: Allowlist) => {
      ticks.spend(4);
      return table(allowlist);
    };
    const report = await runEngine(config, { dryRun: true, trigger: 'manual' }, setup(ticks, drivers, { load }));
    expect(report.phases?.fetch).toBe(8);
    expect(report.phases?.parse).toBe(0);
  });
});

describe('loadAllowlist', () => {
  it('says when fetching is done, before it parses (a parse error comes after the hook)', async () => {
    const events: Phase[] = [];
    const allowlist = parseRuntimeConfig({
      version: 1,
      allowlists: [
        {
          name: 'bad',
          sources: [{ kind: 'inline', entries: ['10.1'] }],
          targets: [{ kind: 'prefix-lists', ipv4: PL_A }],
        },
      ],
    }).allowlists[0] as Allowlist;
    await expect(loadAllowlist(allowlist, { now: () => 0 }, { onFetched: () => events.push('fetch') })).rejects.toThrow(
      /10\.1/,
    );
    expect(events).toEqual(['fetch']);
  });
});
