import { describe, expect, it } from 'vitest';
import { overlap } from './overlap';
import { count, scenario } from './scenarios';

const N = count(40, 300);

describe('battery D: overlapping runs', () => {
  // KNOWN FAILURE, kept visible rather than skipped: P10 is NOT achieved yet. The engine refuses a run that observes a
  // newer generation, but no driver records its generation yet, and security groups have no conditional write; so an
  // older run that overlaps a newer one can write last. `it.fails` turns red the day P10 holds: then make it `it`.
  // See docs/readme/30-reconciler.md "Overlapping runs".
  it.fails(`never leaves an older list applied after a newer run succeeded (${N} pairs)`, async () => {
    const outcomes = [];
    for (let i = 0; i < N; i++) outcomes.push(await overlap(scenario(40_000 + i)));
    const figures = {
      pairs: outcomes.length,
      newerSucceeded: outcomes.filter((o) => o.newerSucceeded).length,
      olderRefused: outcomes.filter((o) => o.older === 'refused').length,
      olderSuperseded: outcomes.filter((o) => o.detail.includes('SupersededError')).length,
      olderWonAfterNewer: outcomes.filter((o) => o.olderWonAfterNewer).length,
    };
    console.log(`battery D: ${JSON.stringify(figures)}`);
    expect(outcomes.filter((o) => o.olderWonAfterNewer).slice(0, 5)).toEqual([]);
  }, 600_000);
});
