import { describe, expect, it } from 'vitest';
import { type OverlapOutcome, overlap } from './overlap';
import { count, scenario } from './scenarios';

const N = count(40, 300);

async function pairs(n: number, options: Parameters<typeof overlap>[1] = {}): Promise<OverlapOutcome[]> {
  const outcomes: OverlapOutcome[] = [];
  for (let i = 0; i < n; i++) outcomes.push(await overlap(scenario(40_000 + i), options));
  return outcomes;
}

function figures(outcomes: readonly OverlapOutcome[]) {
  const is = (o: OverlapOutcome, name: string) => o.detail.includes(name);
  return {
    pairs: outcomes.length,
    newerSucceeded: outcomes.filter((o) => o.newerSucceeded).length,
    olderFirst: outcomes.filter((o) => o.firstHolder === 'older').length,
    newerFirst: outcomes.filter((o) => o.firstHolder === 'newer').length,
    olderSuperseded: outcomes.filter((o) => o.detail.split(' | ')[0]?.includes('SupersededError')).length,
    runInProgress: outcomes.filter((o) => is(o, 'RunInProgressError')).length,
    olderWonAfterNewer: outcomes.filter((o) => o.olderWonAfterNewer).length,
    invariantChecks: outcomes.reduce((n, o) => n + o.checks, 0),
    violations: outcomes.reduce((n, o) => n + o.violations.length, 0),
  };
}

describe('battery D: overlapping runs (P10)', () => {
  it(`never leaves an older list applied after a newer run succeeded, and keeps P3–P5 (${N} pairs)`, async () => {
    const outcomes = await pairs(N);
    const f = figures(outcomes);
    console.log(`battery D: ${JSON.stringify(f)}`);
    expect(outcomes.filter((o) => o.olderWonAfterNewer).slice(0, 5)).toEqual([]);
    expect(outcomes.flatMap((o) => o.violations.map((v) => ({ seed: o.seed, ...v }))).slice(0, 5)).toEqual([]);
    // The pairs really overlap both ways round, and the newer list really gets applied: not a vacuous pass.
    expect(f.olderFirst).toBeGreaterThan(0);
    expect(f.newerFirst).toBeGreaterThan(0);
    expect(f.olderSuperseded).toBeGreaterThan(0);
    expect(f.newerSucceeded).toBeGreaterThan(N / 2);
  }, 600_000);

  // The battery can fail: remove either half of the mechanism and older lists win again.
  it.each(['lock', 'generations'] as const)(
    'catches an older list winning without the %s',
    async (without) => {
      const f = figures(await pairs(N, { without }));
      console.log(`battery D without the ${without}: ${JSON.stringify(f)}`);
      expect(f.olderWonAfterNewer).toBeGreaterThan(0);
    },
    600_000,
  );
});
