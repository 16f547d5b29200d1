import { describe, expect, it } from 'vitest';
import { failures, type Outcome, runScenario, summarise } from './run-scenario';
import { scenario, seeds } from './scenarios';

const SEEDS = seeds(10_000, 150, 1000);
const N = SEEDS.length;

describe('battery A: random (old, new, unowned) scenarios without faults', () => {
  it(`converges in one run, writes nothing on the next, keeps P3–P5 at every write and is economical (${N} scenarios)`, async () => {
    const outcomes: Outcome[] = [];
    for (const seed of SEEDS) outcomes.push(await runScenario(scenario(seed)));
    const figures = summarise('A', outcomes);
    expect(failures(outcomes, 1)).toEqual([]);
    expect(figures.violations).toBe(0);
    // The battery must exercise real changes, not only converged states (a replayed single seed may not write).
    expect(figures.writeCalls).toBeGreaterThan(N > 1 ? N : -1);
  }, 600_000);
});
