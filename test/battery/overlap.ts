/**
 * Battery D's pair of overlapping runs: one world, two engine runs started together (the older list first, so its
 * generation is the smaller), their SDK calls interleaved by a seeded scheduler.
 */

import type { RunReport } from '../../lambda/targets/types';
import { seededRandom } from '../fakes';
import { firstError } from './run-scenario';
import type { Scenario } from './scenarios';
import { World } from './world';

/** Two runs of one world started together, their SDK calls interleaved by a seeded scheduler. */
export async function overlap(s: Scenario) {
  const w = new World(s.layout);
  await w.run(s.old);
  const pick = seededRandom(s.seed ^ 0x5eed);
  w.interleave(() => Math.floor(pick() * 4));
  // `older` reads the clock first, so its generation is the smaller: it is the older run with the older list.
  const older = w.run(s.other);
  const newer = w.run(s.next);
  const [a, b] = await Promise.all([older, newer]);
  const succeeded = (r: RunReport) => r.status === 'ok' || r.status === 'degraded';
  return {
    seed: s.seed,
    older: a.status,
    newer: b.status,
    newerSucceeded: succeeded(b),
    olderWonAfterNewer: succeeded(b) && w.mismatches(s.next).length > 0,
    detail: `${firstError(a)} | ${firstError(b)}`,
  };
}
