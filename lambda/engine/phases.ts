/**
 * Where a run's time goes, per phase of the pipeline (docs/design.md section 1): fetch → parse → observe → plan →
 * apply → verify. The engine times every interval of each phase and the run report carries the totals as
 * `phases: { fetch, parse, … }` in milliseconds, so a production log line says whether a slow run was waiting on a
 * source, on AWS reads, or on our own CPU.
 *
 * Phases interleave (each allowlist is fetched and parsed, then each of its targets observed and planned; later each
 * target applied then verified), so a total is the sum of many intervals. What is in no phase (the run lock,
 * pre-flight guardrails, building the report) is the run's `durationMs` minus their sum.
 *
 * The clock is monotonic (`performance.now()` by default), not the engine's `now`: tests and the battery drive `now`
 * as a virtual clock that only moves on sleeps, and a phase time must be time actually spent.
 */

import { PHASES, type Phase, type PhaseTimes } from '../core/model';

export { PHASES, type Phase, type PhaseTimes } from '../core/model';

/** Sees each interval of a phase begin and end (the bench samples memory and attributes API calls with it). */
export interface PhaseObserver {
  /** Called when an interval of `phase` begins. */
  readonly start?: (phase: Phase) => void;
  /** Called when an interval of `phase` ends, with its length in ms. */
  readonly end?: (phase: Phase, ms: number) => void;
}

/** Accumulates the time of a run's phases over all their intervals. */
export class PhaseTimer {
  private readonly totals: Record<Phase, number> = { fetch: 0, parse: 0, observe: 0, plan: 0, apply: 0, verify: 0 };

  constructor(
    /** A monotonic clock in ms. */
    private readonly clock: () => number = () => performance.now(),
    private readonly observer: PhaseObserver = {},
  ) {}

  /** Runs `fn` as one interval of `phase`; its time counts whether it returns or throws. */
  async time<T>(phase: Phase, fn: () => Promise<T>): Promise<T> {
    const start = this.begin(phase);
    try {
      return await fn();
    } finally {
      this.finish(phase, start);
    }
  }

  /** {@link time} for synchronous work (a plan). */
  timeSync<T>(phase: Phase, fn: () => T): T {
    const start = this.begin(phase);
    try {
      return fn();
    } finally {
      this.finish(phase, start);
    }
  }

  /** Starts an interval of `phase` by hand; call the returned function to end it (once). */
  open(phase: Phase): () => void {
    const start = this.begin(phase);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.finish(phase, start);
    };
  }

  /** The totals so far, rounded to 0.1 ms (finer is noise on a shared machine). */
  snapshot(): PhaseTimes {
    const out = {} as Record<Phase, number>;
    for (const p of PHASES) out[p] = Math.round(this.totals[p] * 10) / 10;
    return out;
  }

  private begin(phase: Phase): number {
    this.observer.start?.(phase);
    return this.clock();
  }

  private finish(phase: Phase, start: number): void {
    const ms = Math.max(0, this.clock() - start);
    this.totals[phase] += ms;
    this.observer.end?.(phase, ms);
  }
}
