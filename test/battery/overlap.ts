/**
 * Battery D's pair of overlapping runs: one world, two engine runs started together (the older list first, so its
 * generation is the smaller), their SDK calls (EC2, WAF and the SSM lock) interleaved by a seeded scheduler, sharing
 * the world's SSM run lock and generation store.
 *
 * P3–P5 are checked after every write against the run that holds the lock: O is what the targets admitted when it
 * took the lock (the last list fully applied), N is its own list. Without the lock two runs would write at once and
 * no (O, N) pair would describe the state; with it, each holder moves the targets from one list to the next.
 */

import type { RunReport } from '../../lambda/core/model';
import { isBusy, type RunLock } from '../../lambda/engine/run-lock';
import { seededRandom } from '../fakes';
import { firstError } from './run-scenario';
import type { Scenario } from './scenarios';
import { degradedTargets, World } from './world';

/** What happened to one pair. */
export interface OverlapOutcome {
  readonly seed: number;
  readonly older: RunReport['status'];
  readonly newer: RunReport['status'];
  readonly newerSucceeded: boolean;
  /** The newer run reported success and the targets do not admit exactly its list: P10 broken. */
  readonly olderWonAfterNewer: boolean;
  /** Which run took the lock first (`none` when neither did, e.g. both refused). */
  readonly firstHolder: 'older' | 'newer' | 'none';
  readonly violations: World['violations'];
  readonly checks: number;
  readonly detail: string;
}

/**
 * Two runs of one world started together, their SDK calls interleaved by a seeded scheduler. `without` removes one
 * half of the mechanism, to show that the battery then fails.
 */
export async function overlap(
  s: Scenario,
  options: { without?: 'lock' | 'generations' } = {},
): Promise<OverlapOutcome> {
  const w = new World(s.layout);
  await w.run(s.old);
  const pick = seededRandom(s.seed ^ 0x5eed);
  w.interleave(() => Math.floor(pick() * 4));
  // A waiting run sleeps through the injected sleep: yield a turn per 100 ms waited, so the holder moves meanwhile.
  w.sleep = async (ms) => {
    w.clock += ms;
    for (let i = Math.ceil(ms / 100); i > 0; i--) await new Promise((resolve) => setImmediate(resolve));
  };
  const lists: Record<string, readonly string[]> = { older: s.other, newer: s.next };
  const holders: Array<'older' | 'newer'> = [];
  let applied: readonly string[] = w.mismatches(s.old).length === 0 ? s.old : [];
  if (options.without === 'lock') {
    // Only to prove the battery can fail (battery-d.test.ts): every acquire succeeds, so the runs overlap freely and
    // no (O, N) pair describes the state; P3–P5 are not checked then.
    w.lock = { acquire: async (allowlist, r) => ({ allowlist, ...holderOf(r) }), release: async () => undefined };
  } else {
    w.lock = watch(w.lock, {
      acquired: (owner) => {
        holders.push(owner as 'older' | 'newer');
        w.expect(applied, lists[owner] ?? []);
      },
      released: (owner) => {
        const list = lists[owner] ?? [];
        if (w.mismatches(list).length === 0) applied = list;
      },
    });
  }
  if (options.without === 'generations') {
    // Likewise: the lock alone serialises the runs but cannot tell an older run queued behind a newer one.
    w.generations = { get: async () => undefined, put: async () => undefined };
  }
  // `older` reads the clock first, so its generation is the smaller: it is the older run with the older list.
  const older = w.run(s.other, { runId: 'older' });
  const newer = w.run(s.next, { runId: 'newer' });
  const [a, b] = await Promise.all([older, newer]);
  w.settleP5(b, degradedTargets(a));
  const succeeded = (r: RunReport) => r.status === 'ok' || r.status === 'degraded';
  return {
    seed: s.seed,
    older: a.status,
    newer: b.status,
    newerSucceeded: succeeded(b),
    olderWonAfterNewer: succeeded(b) && w.mismatches(s.next).length > 0,
    firstHolder: holders[0] ?? 'none',
    violations: w.violations,
    checks: w.checks,
    detail: `${firstError(a)} | ${firstError(b)}`,
  };
}

/** Wraps a lock to see who takes and releases it. */
function watch(lock: RunLock, on: { acquired: (owner: string) => void; released: (owner: string) => void }): RunLock {
  return {
    acquire: async (allowlist, request) => {
      const r = await lock.acquire(allowlist, request);
      if (!isBusy(r)) on.acquired(r.owner);
      return r;
    },
    release: async (lease) => {
      on.released(lease.owner);
      await lock.release(lease);
    },
  };
}

function holderOf(r: { owner: string; generation: number; ttlMs: number }) {
  return { owner: r.owner, generation: r.generation, acquiredAt: 0, expiresAt: r.ttlMs };
}
