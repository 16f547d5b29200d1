/**
 * The contract between the engine and the target drivers. A driver maps between one AWS filter kind and the model
 * (lambda/core/model.ts): `observe` reads AWS, `plan` is pure (it delegates to `core/plan-*.ts`), `apply` performs the
 * plan's writes in the safe order. Drivers decide nothing the plan did not decide.
 */
import { AllowlistSyncError } from '../core/errors';
import type { Desired, TargetKind, TargetPlan } from '../core/model';

/** Hooks and limits a driver gets from the engine. */
export interface ApplyContext {
  /** Waits (injected so tests and the battery do not sleep for real). */
  readonly sleep: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch (injected). */
  readonly now: () => number;
  /** The run must finish its writes before this time (ms since the epoch). */
  readonly deadline: number;
  /**
   * Called by the driver right before it sends each write call. The engine counts with it, so an apply that throws
   * (a conflict, a throttle, a timeout) after some of its calls took effect is not reported as 0 write calls.
   */
  readonly onWriteCall?: () => void;
}

/** What a driver did. */
export interface ApplyResult {
  /** Write calls made (successful or not). */
  readonly writeCalls: number;
}

/**
 * A driver raises this when AWS says the state changed under it (`InvalidPermission.Duplicate`,
 * `InvalidPermission.NotFound`, `WAFOptimisticLockException`, a stale prefix-list version). The engine re-observes and
 * re-plans, a bounded number of times; it never swallows it.
 */
export class StateConflictError extends Error {
  override name = 'StateConflictError';
  constructor(
    readonly targetId: string,
    readonly awsError: string,
    options?: { cause?: unknown },
  ) {
    super(`${targetId}: AWS reported ${awsError}; the target changed while we wrote it`, options);
  }
}

/** One filter kind's adapter. Observed state `O` and write steps `W` are the driver's own plain data. */
export interface TargetDriver<O = unknown, W = unknown> {
  readonly kind: TargetKind;
  readonly targetId: string;
  /** Reads the target's current state from AWS. Read-only. */
  observe(): Promise<O>;
  /** Pure: what to write to make the target admit exactly `desired` (plus what we do not own). */
  plan(desired: Desired, observed: O): TargetPlan<W>;
  /** Performs the plan's writes in order. Throws {@link StateConflictError} on a state conflict. */
  apply(plan: TargetPlan<W>, context: ApplyContext): Promise<ApplyResult>;
}

/** The run's deadline passed before a write: the calls already made leave the target safe (every prefix of the write order keeps P3-P5). */
export class ApplyDeadlineError extends AllowlistSyncError {
  override name = 'ApplyDeadlineError';
  constructor(
    readonly targetId: string,
    readonly done: number,
    readonly total: number,
  ) {
    super(
      `${targetId}: the run's deadline passed after ${done} of ${total} write calls; the target is in a safe ` +
        'intermediate state and the next run completes the change',
    );
  }
}
