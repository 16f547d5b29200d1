import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../lambda/targets/types';
import { seededRandom } from '../fakes';
import { firstError } from './run-scenario';
import { count, type Scenario, scenario } from './scenarios';
import { World } from './world';

const N = count(40, 300);

describe('battery D: overlapping runs', () => {
  it(`never leaves an older list applied after a newer run succeeded (${N} pairs)`, async () => {
    const outcomes = [];
    for (let i = 0; i < N; i++) outcomes.push(await overlap(scenario(40_000 + i)));
    const figures = {
      pairs: outcomes.length,
      newerSucceeded: outcomes.filter((o) => o.newerSucceeded).length,
      olderRefusedAsSuperseded: outcomes.filter((o) => o.older === 'refused').length,
      olderWonAfterNewer: outcomes.filter((o) => o.olderWonAfterNewer).length,
    };
    console.log(`battery D: ${JSON.stringify(figures)}`);
    expect(outcomes.filter((o) => o.olderWonAfterNewer).slice(0, 5)).toEqual([]);
  }, 600_000);
});
