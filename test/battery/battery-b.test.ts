import { describe, expect, it } from 'vitest';
import { failures, type Outcome, runScenario, summarise } from './run-scenario';
import { scenario, seeds } from './scenarios';

const SEEDS = seeds(20_000, 150, 1000);
const N = SEEDS.length;
// Twice the fault rate on other seeds: stale reads then plan from older states more often (this found seed 52139, a
// pool the planner refused forever after a stale-read plan duplicated a rule).
const HEAVY = seeds(50_000, 50, 1000);

describe('battery B: random scenarios with random injected faults', () => {
  it(`converges within 2 runs and keeps P3–P5 at every write despite throttling, 5xx, timeouts after the write, stale reads and lock conflicts (${N} scenarios)`, async () => {
    const outcomes: Outcome[] = [];
    for (const seed of SEEDS) outcomes.push(await runScenario(scenario(seed), { faultRate: 0.15 }));
    const figures = summarise('B', outcomes);
    expect(failures(outcomes, 2)).toEqual([]);
    expect(figures.violations).toBe(0);
  }, 600_000);

  it(`does the same with 30 % of calls faulted (${HEAVY.length} scenarios)`, async () => {
    const outcomes: Outcome[] = [];
    for (const seed of HEAVY) outcomes.push(await runScenario(scenario(seed), { faultRate: 0.3 }));
    const figures = summarise('B at 30 %', outcomes);
    expect(failures(outcomes, 2)).toEqual([]);
    expect(figures.violations).toBe(0);
  }, 600_000);
});
