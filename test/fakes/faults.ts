/**
 * The machinery shared by the fakes: the call log, scripted and seeded-random fault injection, write observers, state
 * history for stale reads, and an emulation of the SDK v3 retry loop.
 *
 * Why emulate retries: `aws-sdk-client-mock` replaces `client.send`, so the SDK's retry middleware never runs. The real
 * SDK (standard mode, 3 attempts by default) retries throttling codes (`RequestLimitExceeded`, `ThrottlingException`),
 * transient errors (`TimeoutError`) and 5xx errors, and nothing else (docs/aws-behaviour.md §18, §21; @smithy/core
 * `service-error-classification`). A fake that skipped that would hide the nastiest real sequence: a write that took
 * effect, timed out, and was retried by the SDK into `InvalidPermission.Duplicate` or a stale lock token. Each attempt
 * is recorded as its own call, as AWS would see it. Set `maxAttempts: 1` to turn the emulation off.
 */

/** The kinds of fault a fake can inject. */
export type FaultKind =
  | 'throttle'
  | 'server'
  | 'timeout-after-write'
  | 'crash-before'
  | 'crash-after'
  | 'stale-read'
  | 'lock-conflict';

/** One attempt of one SDK call, as the fake saw it. */
export interface CallRecord {
  readonly service: 'ec2' | 'wafv2';
  /** The command name without the `Command` suffix, e.g. `AuthorizeSecurityGroupIngress`. */
  readonly command: string;
  /** A deep copy of the input as sent. */
  readonly input: unknown;
  outcome: 'ok' | 'error';
  errorName?: string;
  /** True for commands that change state (whether or not this attempt changed anything). */
  readonly write: boolean;
  /** Monotonic sequence number over every attempt of every call of this fake. */
  readonly seq: number;
  /** 1-based attempt number within one `client.send` (see the SDK retry emulation above). */
  readonly attempt: number;
  /** True when this attempt changed the fake's state (including when the caller then saw a timeout or crash). */
  applied: boolean;
  /** The injected fault that hit this attempt, if any. */
  fault?: FaultKind;
}

/** What a fault predicate sees before the attempt runs. */
export interface PendingCall {
  readonly command: string;
  readonly input: unknown;
  readonly write: boolean;
  readonly seq: number;
  readonly attempt: number;
}

/** A scripted fault: the first rule that matches an attempt (and has `times` left) fires. */
export interface FaultRule {
  /** Only this command (name without `Command`), e.g. `UpdateIPSet`. */
  command?: string;
  when?: (call: PendingCall) => boolean;
  fault: FaultKind;
  /** How many attempts it hits; default 1. Use `Infinity` for always. */
  times?: number;
  /** For `stale-read`: serve the state as it was this many applied writes ago; default 1. */
  staleBy?: number;
}

/** Random faults drawn from a seeded generator, so a failing battery seed replays exactly. */
export interface RandomFaultOptions {
  seed: number;
  /** Probability per attempt, 0–1. */
  rate: number;
  /** Kinds to draw from; default the transient ones: throttle, server, timeout-after-write, stale-read, lock-conflict. */
  kinds?: FaultKind[];
  /** Only these commands; default all. */
  commands?: string[];
}

/** Thrown by `crash-before`/`crash-after` to simulate the Lambda dying mid-run. Never retried, never an AWS error. */
export class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
  constructor(
    readonly command: string,
    readonly when: 'before' | 'after',
  ) {
    super(`simulated crash ${when} ${command}`);
  }
}

/** A client-side network timeout as the SDK's Node HTTP handler raises it: name `TimeoutError`, no `$metadata`. */
export function timeoutError(command: string): Error {
  const error = new Error(`simulated network timeout waiting for the response of ${command}`);
  error.name = 'TimeoutError';
  return error;
}

const SDK_THROTTLING_CODES = new Set(['RequestLimitExceeded', 'ThrottlingException', 'Throttling', 'RequestThrottled']);

/** Whether the SDK v3 standard retry strategy would retry this error (a subset of @smithy's classification). */
export function isSdkRetryable(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof SimulatedCrash) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return (
    SDK_THROTTLING_CODES.has(error.name) ||
    error.name === 'TimeoutError' ||
    status === 429 ||
    (status !== undefined && status >= 500 && status <= 599)
  );
}

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The client settings of the simpler fakes (S3, SSM): a region and credentials that never reach AWS. */
export const FAKE_CLIENT_CONFIG = {
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' },
} as const;

/**
 * Records one call of a simpler fake (S3, SSM) in `calls`, with a copy of its input and, when it fails, the error's
 * name as its outcome.
 */
export async function recordCall<C extends string>(
  calls: Array<{ command: C; input: Record<string, unknown>; outcome: string }>,
  command: C,
  input: object,
  fn: () => unknown,
): Promise<unknown> {
  const call = { command, input: { ...input } as Record<string, unknown>, outcome: 'ok' };
  calls.push(call);
  try {
    return await fn();
  } catch (error) {
    call.outcome = (error as Error).name;
    throw error;
  }
}

/** How a fake runs one command. */
export interface Operation<S> {
  readonly write: boolean;
  /** Runs against a state. Writes get a draft that is committed only if this returns: all-or-nothing by design. */
  run(state: S, input: Record<string, unknown>): unknown;
  /** For `lock-conflict`: another writer changes the target just before this call. Omitted: the fault is ignored. */
  conflict?(state: S, input: Record<string, unknown>): void;
}

/** Common constructor options of the fakes. */
export interface FakeServiceOptions {
  /** Attempts per `client.send`, emulating the SDK's retry loop; default 3 (the SDK's default). 1 disables retries. */
  maxAttempts?: number;
  /**
   * Past states kept for `stale-read` faults; default 64. Each is a whole copy of the state, so a large bench keeps
   * none (0): a `stale-read` fault then throws, since the fake could not serve it. AWS's behaviour is unchanged.
   */
  historyLimit?: number;
}

const HISTORY_LIMIT = 64;

/**
 * Base of the fakes: holds plain-data state `S` (structured-cloneable), dispatches commands through fault injection,
 * records every attempt and notifies write observers with a view `V` of the state after each effective write.
 */
export abstract class FakeService<S, V> {
  /** Every attempt of every call, in order. */
  readonly calls: CallRecord[] = [];
  protected state: S;
  private seq = 0;
  private readonly faultRules: (FaultRule & { left: number })[] = [];
  private random?: { next: () => number; rate: number; kinds: FaultKind[]; commands?: Set<string> };
  private readonly observers = new Set<(view: V, call: CallRecord) => void>();
  /** States after each applied write, newest last, for `stale-read`. */
  private readonly history: S[] = [];
  private readonly maxAttempts: number;
  private readonly historyLimit: number;

  protected constructor(
    private readonly service: 'ec2' | 'wafv2',
    initial: S,
    options: FakeServiceOptions,
  ) {
    this.state = initial;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.historyLimit = Math.max(0, options.historyLimit ?? HISTORY_LIMIT);
  }

  /** A read-only view over a state. */
  protected abstract view(state: S): V;

  /** The calls that were writes. */
  writes(): CallRecord[] {
    return this.calls.filter((c) => c.write);
  }

  /** The calls of one command (name with or without the `Command` suffix). */
  callsOf(name: string): CallRecord[] {
    const command = name.replace(/Command$/, '');
    return this.calls.filter((c) => c.command === command);
  }

  /** Scripts a fault. Rules are tried in the order they were added. */
  inject(rule: FaultRule): this {
    this.faultRules.push({ ...rule, left: rule.times ?? 1 });
    return this;
  }

  /** Adds seeded random faults on top of scripted ones. */
  randomFaults(options: RandomFaultOptions): this {
    this.random = {
      next: seededRandom(options.seed),
      rate: options.rate,
      kinds: options.kinds ?? ['throttle', 'server', 'timeout-after-write', 'stale-read', 'lock-conflict'],
      ...(options.commands === undefined ? {} : { commands: new Set(options.commands) }),
    };
    return this;
  }

  /** Removes all scripted and random faults. */
  clearFaults(): this {
    this.faultRules.length = 0;
    this.random = undefined;
    return this;
  }

  /** Calls `fn` after every attempt that changed state, with a snapshot view. Returns an unsubscribe function. */
  onWrite(fn: (snapshot: V, call: CallRecord) => void): () => void {
    this.observers.add(fn);
    return () => this.observers.delete(fn);
  }

  /** A snapshot view of the current state (a copy: later writes do not change it). */
  snapshot(): V {
    return this.view(structuredClone(this.state));
  }

  /** Runs one `client.send`: attempts with the SDK retry emulation. */
  protected async send(command: string, input: Record<string, unknown>, op: Operation<S>): Promise<unknown> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return this.attempt(command, input, op, attempt);
      } catch (error) {
        if (attempt >= this.maxAttempts || !isSdkRetryable(error)) throw error;
        this.onRetry(error as Error, attempt);
      }
    }
  }

  /** Called before an emulated SDK retry; a fake with a clock can advance its virtual time here. */
  protected onRetry(_error: Error, _attempt: number): void {}

  protected abstract throttleError(command: string): Error;
  protected abstract serverError(command: string): Error;

  private attempt(command: string, input: Record<string, unknown>, op: Operation<S>, attempt: number): unknown {
    const seq = ++this.seq;
    const record: CallRecord = {
      service: this.service,
      command,
      input: structuredClone(input),
      outcome: 'ok',
      write: op.write,
      seq,
      attempt,
      applied: false,
    };
    const rule = this.pickFault({ command, input: record.input, write: op.write, seq, attempt }, op);
    if (rule !== undefined) record.fault = rule.fault;
    this.calls.push(record);

    let result: unknown;
    let failure: unknown;
    try {
      switch (rule?.fault) {
        case 'throttle':
          throw this.throttleError(command);
        case 'server':
          throw this.serverError(command);
        case 'crash-before':
          throw new SimulatedCrash(command, 'before');
        case 'lock-conflict':
          this.foreignWrite((draft) => op.conflict?.(draft, input));
          break;
        default:
          break;
      }
      try {
        if (op.write) {
          const draft = structuredClone(this.state);
          result = op.run(draft, input);
          this.commit(draft, record);
        } else {
          const state = rule?.fault === 'stale-read' ? this.staleState(rule.staleBy ?? 1) : this.state;
          result = structuredClone(op.run(state, input));
        }
      } catch (error) {
        failure = error;
      }
      if (rule?.fault === 'timeout-after-write') throw timeoutError(command);
      if (rule?.fault === 'crash-after') throw new SimulatedCrash(command, 'after');
      if (failure !== undefined) throw failure;
    } catch (error) {
      record.outcome = 'error';
      record.errorName = error instanceof Error ? error.name : String(error);
      if (record.applied) this.notify(record);
      throw error;
    }
    if (record.applied) this.notify(record);
    return result;
  }

  private commit(draft: S, record: CallRecord): void {
    this.remember(this.state);
    this.state = draft;
    record.applied = true;
  }

  /** Another actor's write: changes state but is not one of the caller's calls. */
  private foreignWrite(fn: (draft: S) => void): void {
    const draft = structuredClone(this.state);
    fn(draft);
    this.remember(this.state);
    this.state = draft;
  }

  private remember(state: S): void {
    if (this.historyLimit === 0) return;
    this.history.push(state);
    if (this.history.length > this.historyLimit) this.history.shift();
  }

  private staleState(staleBy: number): S {
    if (this.historyLimit === 0) throw new Error('stale-read fault injected into a fake built with historyLimit: 0');
    const index = this.history.length - Math.max(1, staleBy);
    return structuredClone(this.history[Math.max(0, index)] ?? this.state);
  }

  private notify(record: CallRecord): void {
    if (this.observers.size === 0) return;
    const view = this.snapshot();
    for (const fn of this.observers) fn(view, record);
  }

  private pickFault(call: PendingCall, op: Operation<S>): FaultRule | undefined {
    const applicable = (kind: FaultKind): boolean =>
      (kind !== 'stale-read' || !call.write) && (kind !== 'lock-conflict' || op.conflict !== undefined);
    for (const rule of this.faultRules) {
      if (rule.left <= 0) continue;
      if (rule.command !== undefined && rule.command.replace(/Command$/, '') !== call.command) continue;
      if (!applicable(rule.fault)) continue;
      if (rule.when !== undefined && !rule.when(call)) continue;
      rule.left -= 1;
      return rule;
    }
    const random = this.random;
    if (random === undefined || (random.commands !== undefined && !random.commands.has(call.command))) return undefined;
    // Draw both numbers every time so the sequence does not depend on which kinds apply.
    const hit = random.next() < random.rate;
    const pick = random.next();
    if (!hit) return undefined;
    const kinds = random.kinds.filter(applicable);
    const fault = kinds[Math.floor(pick * kinds.length)];
    return fault === undefined ? undefined : { fault };
  }
}
