import { describe, expect, it } from 'vitest';
import { failures, type Outcome, runScenario, summarise } from './run-scenario';
import { count, scenario } from './scenarios';

const N = count(150, 1000);

describe('battery A: random (old, new, unowned) scenarios without faults', () => {
  it(`converges in one run, writes nothing on the next, keeps P3–P5 at every write and is economical (${N} scenarios)`, async () => {
    const outcomes: Outcome[] = [];
    for (let i = 0; i < N; i++) outcomes.push(await runScenario(scenario(10_000 + i)));
    const figures = summarise('A', outcomes);
    expect(failures(outcomes, 1)).toEqual([]);
    expect(figures.violations).toBe(0);
    // The battery must exercise real changes, not only converged states.
    expect(figures.writeCalls).toBeGreaterThan(N);
  }, 600_000);
});
