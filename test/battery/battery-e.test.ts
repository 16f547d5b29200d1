import { describe, expect, it } from 'vitest';
import { failures, type Outcome, runScenario, summarise } from './run-scenario';
import { count, replaySeed, scenario } from './scenarios';

// A replayed seed (BATTERY_SEED) is one scenario: every crash point of that seed, whatever its number.
const ONLY = replaySeed();
const N = ONLY === undefined ? count(20, 100) : 1;

describe('battery E: a crash before and after every single write call', () => {
  it(`converges on the next run and keeps P3–P5 at every write, whatever write the crash hit (${N} scenarios)`, async () => {
    const outcomes: Outcome[] = [];
    let crashes = 0;
    for (let i = 0, seed = ONLY ?? 30_000; i < N; seed++) {
      const s = scenario(seed);
      const clean = await runScenario(s);
      if (clean.writes === 0 && ONLY === undefined) continue; // nothing to crash on: not one of the N
      i++;
      for (let k = 1; k <= clean.writes; k++) {
        for (const when of ['before', 'after'] as const) {
          crashes++;
          outcomes.push(await runScenario(s, { crash: { k, when } }));
        }
      }
    }
    const figures = summarise('E', outcomes);
    console.log(`battery E: ${crashes} crashes over ${N} scenarios`);
    expect(failures(outcomes, 2)).toEqual([]);
    expect(figures.violations).toBe(0);
  }, 600_000);
});
