/**
 * Applying one target after pre-flight passed: the bounded conflict loop and the verify step.
 *
 * On a {@link StateConflictError} (AWS says the target changed under us: Duplicate, NotFound, a stale lock token or
 * prefix-list version) the engine re-observes, re-plans, re-checks the guardrails that depend on the plan (capacity,
 * removal share) and applies again, at most {@link MAX_APPLY_ATTEMPTS} times with backoff.
 * Any other error (throttling after the SDK's own retries, 5xx, a timeout) fails the target: the next run converges.
 * Verify re-observes and re-plans once; remaining changes are reported in a note, never looped on, because reads right
 * after a write may be stale (docs/aws-behaviour.md §19).
 *
 * A target that stops part-way (failed, or refused on a re-check) after sending write calls is re-read once too, to
 * report what of its plan was actually written (`docs/aws-behaviour.md §19`: a read right after a write may lag, so
 * this can undercount, never count a write that did not happen as far as AWS said); the report never presents the
 * plan's figures as applied.
 */
import type { Allowlist } from '../config';
import { AllowlistSyncError } from '../core/errors';
import { checkCapacity, checkRemovalShare } from '../core/guardrails';
import type { Desired, TargetPlan, TargetStatus } from '../core/model';
import type { Cidr } from '../core/prefix';
import { type ReportError, reportError } from '../core/report';
import { StateConflictError, type TargetDriver } from '../targets/types';
import { PhaseTimer } from './phases';

/** Apply attempts per target when AWS reports a state conflict. */
export const MAX_APPLY_ATTEMPTS = 3;

/** Backoff before the 2nd, 3rd, … attempt (ms): enough for a concurrent writer to finish a step. */
export const CONFLICT_BACKOFF_MS: readonly number[] = [250, 1000];

/** The run budget ran out before a target's writes could start. */
export class RunBudgetError extends AllowlistSyncError {
  override name = 'RunBudgetError';
  constructor(
    readonly targetId: string,
    readonly deadline: number,
  ) {
    super(
      `${targetId}: the run budget ended before its writes started; it was left as it was and the next run converges`,
    );
  }
}

/** What {@link applyTarget} needs from the run. */
export interface ApplyTargetContext {
  readonly allowlist: Pick<Allowlist, 'name' | 'guardrails'>;
  readonly force?: { readonly reason: string } | undefined;
  /** Writes must start before this time (ms since the epoch). */
  readonly deadline: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** The run's phase timer: writes count as apply, a re-read after a conflict as observe and plan. @default a private one */
  readonly phases?: PhaseTimer;
}

/** The outcome of one target's apply and verify. `plan` is the first plan: the change this run set out to make. */
export interface AppliedTarget {
  readonly plan: TargetPlan;
  readonly status: TargetStatus;
  /**
   * True when this run started writing a degraded plan (the quota could not hold the old and the new list at once),
   * whatever the status: a target that then conflicted, failed or crashed has already made degraded steps (P5).
   */
  readonly degraded: boolean;
  readonly writeCalls: number;
  readonly durationMs: number;
  readonly error?: ReportError;
  readonly note?: string;
  /** Set when the target stopped before its whole plan was written: the part of `plan` that was (see the header). */
  readonly written?: Written;
}

/** The prefixes of a plan that a target that stopped part-way had written. */
export interface Written {
  readonly add: readonly Cidr[];
  readonly remove: readonly Cidr[];
}

/** Applies one target's plan with the bounded conflict loop, then verifies. Never throws. */
export async function applyTarget(
  driver: TargetDriver,
  first: TargetPlan,
  desired: Desired,
  ctx: ApplyTargetContext,
): Promise<AppliedTarget> {
  const start = ctx.now();
  const phases = ctx.phases ?? new PhaseTimer();
  let plan = first;
  let writeCalls = 0;
  let degraded = false;
  let wrote = false;
  const done = (status: TargetStatus, extra: { error?: ReportError; note?: string } = {}): AppliedTarget => ({
    plan: first,
    status,
    degraded,
    writeCalls,
    durationMs: ctx.now() - start,
    ...extra,
  });
  // Stopped before the whole plan was written: count what was, never the plan.
  const stopped = async (status: 'failed' | 'refused', error: ReportError): Promise<AppliedTarget> => {
    const { written, note } = await writtenSoFar(driver, first, desired, writeCalls);
    return { ...done(status, { error, ...(note ? { note } : {}) }), written };
  };
  for (let attempt = 1; plan.writes.length > 0; attempt++) {
    if (ctx.now() >= ctx.deadline)
      return stopped('failed', reportError(new RunBudgetError(plan.targetId, ctx.deadline)));
    // Before the call, not after it returns: a degraded plan's first steps may be written before a conflict, a
    // throttle or a timeout ends the attempt, and the report must still say P5 was given up (seeds 20807, 20598).
    degraded ||= plan.degraded;
    // Counted as they are sent: an attempt that throws has no result, yet its calls may have taken effect.
    let sent = 0;
    try {
      const current = plan;
      const result = await phases.time('apply', () =>
        driver.apply(current, {
          sleep: ctx.sleep,
          now: ctx.now,
          deadline: ctx.deadline,
          onWriteCall: () => {
            sent++;
          },
        }),
      );
      writeCalls += result.writeCalls;
      wrote = true;
      break;
    } catch (e) {
      writeCalls += sent;
      // A call that was sent may have taken effect (a timeout after the write, then Duplicate): if the re-plan then
      // finds nothing left to do, the target still changed.
      if (sent > 0) wrote = true;
      if (!(e instanceof StateConflictError)) return stopped('failed', reportError(e));
      if (attempt >= MAX_APPLY_ATTEMPTS) {
        const error = reportError(e);
        return stopped('failed', {
          ...error,
          message: `${error.message} (gave up after ${attempt} attempts; the next run retries)`,
        });
      }
      await ctx.sleep(CONFLICT_BACKOFF_MS[attempt - 1] ?? CONFLICT_BACKOFF_MS.at(-1) ?? 0);
      try {
        const observed = await phases.time('observe', () => driver.observe());
        plan = phases.timeSync('plan', () => driver.plan(desired, observed));
      } catch (observeError) {
        return stopped('failed', reportError(observeError));
      }
      const refusal = recheck(plan, ctx);
      if (refusal) return stopped('refused', reportError(refusal));
    }
  }
  const note = await phases.time('verify', () => verify(driver, desired));
  const status: TargetStatus = !wrote ? 'unchanged' : degraded ? 'degraded' : 'changed';
  return done(status, note ? { note } : {});
}

function recheck(plan: TargetPlan, ctx: ApplyTargetContext): AllowlistSyncError | undefined {
  return (
    checkCapacity(ctx.allowlist.name, plan) ??
    checkRemovalShare(ctx.allowlist.name, plan, ctx.allowlist.guardrails, ctx.force ? { force: ctx.force } : {})
  );
}

/**
 * What of `first` a target that stopped part-way holds now: its adds no longer to add, its removes no longer to remove,
 * by one re-read and re-plan. No write call sent: nothing written, and no read. A failed re-read counts nothing and
 * says how many calls may have taken effect.
 */
async function writtenSoFar(
  driver: TargetDriver,
  first: TargetPlan,
  desired: Desired,
  writeCalls: number,
): Promise<{ written: Written; note?: string }> {
  if (writeCalls === 0) return { written: { add: [], remove: [] } };
  try {
    const now = driver.plan(desired, await driver.observe());
    const toAdd = new Set<string>(now.add);
    const toRemove = new Set<string>(now.remove);
    return {
      written: { add: first.add.filter((c) => !toAdd.has(c)), remove: first.remove.filter((c) => !toRemove.has(c)) },
    };
  } catch (e) {
    return {
      written: { add: [], remove: [] },
      note: `could not re-read the target after it stopped (${reportError(e).message}); ${writeCalls} write call(s) were sent and may have taken effect, so the counts written are unknown; the next run converges`,
    };
  }
}

async function verify(driver: TargetDriver, desired: Desired): Promise<string | undefined> {
  try {
    const check = driver.plan(desired, await driver.observe());
    if (check.writes.length === 0) return undefined;
    return `verify still saw ${check.add.length} to add and ${check.remove.length} to remove right after apply; AWS reads are eventually consistent (docs/aws-behaviour.md §19) and the next run converges`;
  } catch (e) {
    return `verify could not re-read the target (${reportError(e).message}); the next run checks it`;
  }
}
