/**
 * The engine's concurrency step (docs/design.md P10: overlapping runs never leave an older list applied after a newer
 * one succeeded). For an applying run, per allowlist, BEFORE its targets are observed:
 *
 * 1. take the allowlist's run lock (lambda/engine/run-lock.ts), waiting with bounded backoff while another run holds it, so
 *    the plan is made on a state no other run is changing and every write of the run happens under the lock;
 * 2. read the last applied generation: a newer one than this run's means a newer run already got past this point,
 *    and this run's list is older: refuse with zero writes.
 *
 * The engine then records its own generation after pre-flight and BEFORE its first write (not after a successful
 * apply): a newer run that wrote nothing (its list equalled the state) or failed half-way must still stop an older
 * run queued behind it on the lock, or the older list would be applied last. Only the lock holder writes it.
 */
import { AllowlistSyncError } from '../core/errors';
import { type Busy, type GenerationStore, isBusy, type Lease, type LockHolder, type RunLock } from './run-lock';

/** How long a run waits for another run's lock by default (within its run budget). */
export const DEFAULT_LOCK_WAIT_MS = 60_000;

/** Backoff between lock attempts (ms); the last value repeats until the wait is spent. */
export const LOCK_BACKOFF_MS: readonly number[] = [250, 500, 1000, 2000, 4000, 8000];

/**
 * How long a lock outlives the run budget: writes must START before the budget ends, and the last one gets this long
 * to finish before a crashed holder's lock may be taken over.
 */
export const LOCK_TTL_MARGIN_MS = 5 * 60_000;

/** A newer run already took this allowlist: this run's list is older and nothing of it was written. */
export class SupersededError extends AllowlistSyncError {
  override name = 'SupersededError';
  /** Nothing to override: the newer run's list stands. */
  readonly override =
    'none needed: a newer run already applied its list; the next run reconciles to the current source';
  constructor(
    readonly allowlist: string,
    readonly generation: number,
    readonly newer: number,
  ) {
    super(
      `allowlist "${allowlist}": a newer run (generation ${newer}, started ${iso(newer)}) already applied it after this run (generation ${generation}, started ${iso(generation)}) started; this run's list is older, so nothing was written`,
    );
  }
}

/** Another run held the allowlist's lock for the whole wait. Nothing was written. */
export class RunInProgressError extends AllowlistSyncError {
  override name = 'RunInProgressError';
  readonly override: string;
  constructor(
    readonly allowlist: string,
    readonly holder: LockHolder,
    readonly waitedMs: number,
    readonly where: string,
    readonly clear: string,
  ) {
    super(
      `allowlist "${allowlist}": another run (${holder.owner}, generation ${holder.generation}) holds its lock ${where} since ${iso(holder.acquiredAt)}, until ${iso(holder.expiresAt)} at the latest; waited ${Math.round(waitedMs / 1000)} s, nothing was written`,
    );
    this.override = `none needed if that run is alive: the next run reconciles after it. If it died (a killed CLI), the lock expires at ${iso(holder.expiresAt)}; to clear it now: ${clear}`;
  }
}

/** What {@link holdAllowlist} needs. */
export interface HoldContext {
  readonly lock: RunLock;
  readonly generations: GenerationStore;
  /** The run id. */
  readonly owner: string;
  readonly generation: number;
  readonly ttlMs: number;
  /** Give up waiting after this long (ms). */
  readonly maxWaitMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * Takes an allowlist's lock and checks that no newer run got it first. Returns the lease, or a refusal (after
 * releasing the lease): {@link RunInProgressError}, {@link SupersededError}, or the store's own error. Never throws.
 */
export async function holdAllowlist(
  allowlist: string,
  ctx: HoldContext,
): Promise<{ lease: Lease } | { refusal: AllowlistSyncError }> {
  const start = ctx.now();
  let result: Lease | Busy;
  try {
    for (let attempt = 0; ; attempt++) {
      result = await ctx.lock.acquire(allowlist, { owner: ctx.owner, generation: ctx.generation, ttlMs: ctx.ttlMs });
      const waited = ctx.now() - start;
      if (!isBusy(result)) break;
      const pause = LOCK_BACKOFF_MS[attempt] ?? LOCK_BACKOFF_MS.at(-1) ?? 0;
      if (waited + pause > ctx.maxWaitMs) {
        return { refusal: new RunInProgressError(allowlist, result.busy, waited, result.where, result.clear) };
      }
      await ctx.sleep(pause);
    }
  } catch (e) {
    return { refusal: asRefusal(e) };
  }
  const lease = result;
  try {
    const newer = await ctx.generations.get(allowlist);
    if (newer !== undefined && newer >= ctx.generation) {
      await ctx.lock.release(lease);
      return { refusal: new SupersededError(allowlist, ctx.generation, newer) };
    }
    return { lease };
  } catch (e) {
    await ctx.lock.release(lease).catch(() => undefined);
    return { refusal: asRefusal(e) };
  }
}

function asRefusal(e: unknown): AllowlistSyncError {
  if (e instanceof AllowlistSyncError) return e;
  return new AllowlistSyncError(`the run lock failed: ${(e as Error)?.message ?? String(e)}; nothing was written`, {
    cause: e,
  });
}

function iso(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : 'unknown';
}
