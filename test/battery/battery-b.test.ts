import { describe, expect, it } from 'vitest';
import { failures, type Outcome, runScenario, summarise } from './run-scenario';
import { scenario, seeds } from './scenarios';

const SEEDS = seeds(20_000, 150, 1000);
const N = SEEDS.length;

describe('battery B: random scenarios with random injected faults', () => {
  it(`converges within 2 runs and keeps P3–P5 at every write despite throttling, 5xx, timeouts after the write, stale reads and lock conflicts (${N} scenarios)`, async () => {
    const outcomes: Outcome[] = [];
    for (const seed of SEEDS) outcomes.push(await runScenario(scenario(seed), { faultRate: 0.15 }));
    const figures = summarise('B', outcomes);
    expect(failures(outcomes, 2)).toEqual([]);
    expect(figures.violations).toBe(0);
  }, 600_000);
});
