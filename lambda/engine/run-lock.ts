/**
 * The per-allowlist run lock and last-applied generation (docs/design.md P10), kept in SSM Parameter Store next to the
 * signed serial (`/allowlist-sync/<name>/serial`, lambda/sources/serial-store.ts):
 *
 * - `/allowlist-sync/<name>/lock` holds `{"owner","generation","acquiredAt","expiresAt"}` while a run applies the
 *   allowlist. It is created with `PutParameter Overwrite: false`, which SSM performs as an atomic create-if-absent:
 *   a second creator gets `ParameterAlreadyExists` (the lock is busy). Release reads it and deletes it only when the
 *   holder is still ours.
 * - `/allowlist-sync/<name>/generation` holds the generation (run start time, ms) of the newest run that was allowed
 *   to write the allowlist. Only the lock holder writes it, so it needs no conditional write.
 *
 * A lock whose `expiresAt` has passed belongs to a crashed run and is taken over: delete, then create again. Residual
 * race, accepted: two runs that both read the same expired lock may both delete and create, and the second delete can
 * remove the first taker's fresh lock. It needs a crashed holder AND two runs reaching the lock within the same few
 * milliseconds after its expiry; the function runs with reserved concurrency 1, so only a CLI apply at that same
 * moment can be the second run, and the generation check behind the lock still refuses the older of the two once
 * the newer one recorded its generation. SSM has no conditional delete that would close it.
 *
 * An SDK edge: it maps between SSM and these types and decides nothing beyond the lock's own semantics (busy, stale).
 * The clock is injected.
 */
import {
  DeleteParameterCommand,
  GetParameterCommand,
  type GetParameterCommandOutput,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { AllowlistSyncError } from '../core/errors';

/** The parameter path every allowlist's state lives under (serial, lock, generation). */
export const PARAMETER_PREFIX = '/allowlist-sync';

/** The SSM parameter of an allowlist's run lock. */
export function lockParameterName(allowlist: string, prefix = PARAMETER_PREFIX): string {
  return `${prefix}/${allowlist}/lock`;
}

/** The SSM parameter of an allowlist's last applied generation. */
export function generationParameterName(allowlist: string, prefix = PARAMETER_PREFIX): string {
  return `${prefix}/${allowlist}/generation`;
}

/** Who holds a lock: the run, its generation, and when it took the lock and when the lock expires (ms). */
export interface LockHolder {
  readonly owner: string;
  readonly generation: number;
  readonly acquiredAt: number;
  readonly expiresAt: number;
}

/** A held lock. Pass it back to {@link RunLock.release}. */
export interface Lease extends LockHolder {
  readonly allowlist: string;
}

/** The lock is held by another run. */
export interface Busy {
  readonly busy: LockHolder;
  /** Where the lock lives, e.g. `ssm:/allowlist-sync/partners/lock`. */
  readonly where: string;
  /** How an operator clears a lock left by a dead run, e.g. an `aws ssm delete-parameter` command. */
  readonly clear: string;
}

/** What a run asks the lock for. */
export interface AcquireRequest {
  /** The run id. */
  readonly owner: string;
  readonly generation: number;
  /** How long the lock stays valid if the run dies without releasing it. */
  readonly ttlMs: number;
}

/** A mutual-exclusion lock per allowlist. */
export interface RunLock {
  /** Takes the allowlist's lock, taking over an expired one; `Busy` when another live run holds it. */
  acquire(allowlist: string, request: AcquireRequest): Promise<Lease | Busy>;
  /** Releases the lock if it is still this lease's; a lock taken over since is left alone. */
  release(lease: Lease): Promise<void>;
}

/** The last applied generation per allowlist. Written only by the lock holder. */
export interface GenerationStore {
  /** The generation of the newest run allowed to write, or undefined when none was ever recorded. */
  get(allowlist: string): Promise<number | undefined>;
  put(allowlist: string, generation: number): Promise<void>;
}

/** True when an acquire found the lock held by another run. */
export function isBusy(result: Lease | Busy): result is Busy {
  return 'busy' in result;
}

/**
 * Whether a holder's lock may be taken over: it expired, or it carries our own run id from an earlier attempt (Lambda
 * retries an async event with the same request id only after the earlier attempt ended, so that attempt is dead).
 */
export function isStale(holder: LockHolder, request: AcquireRequest, now: number): boolean {
  return holder.expiresAt < now || holder.owner === request.owner;
}

/** Reading or writing the lock or the generation failed (permissions, throttling, an unreadable value). */
export class RunLockError extends AllowlistSyncError {
  override name = 'RunLockError';
  constructor(
    /** The parameter, e.g. `ssm:/allowlist-sync/partners/lock`. */
    readonly where: string,
    readonly detail: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(`${where}: ${detail}; nothing was written. Fix: ${fix}`, options);
  }
}

/** A run lock and generation store in memory, for unit tests and single-process use. */
export class MemoryRunLock implements RunLock, GenerationStore {
  readonly locks = new Map<string, LockHolder>();
  readonly generations = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  async acquire(allowlist: string, request: AcquireRequest): Promise<Lease | Busy> {
    const now = this.now();
    const holder = this.locks.get(allowlist);
    if (holder && !isStale(holder, request, now)) {
      return { busy: holder, where: `memory:${allowlist}`, clear: 'restart the process' };
    }
    const lease = { allowlist, ...holderOf(request, now) };
    this.locks.set(allowlist, holderOf(request, now));
    return lease;
  }

  async release(lease: Lease): Promise<void> {
    const holder = this.locks.get(lease.allowlist);
    if (holder && sameHolder(holder, lease)) this.locks.delete(lease.allowlist);
  }

  async get(allowlist: string): Promise<number | undefined> {
    return this.generations.get(allowlist);
  }

  async put(allowlist: string, generation: number): Promise<void> {
    this.generations.set(allowlist, generation);
  }
}

/** The production run lock: one String parameter per allowlist, created if absent. */
export class SsmRunLock implements RunLock {
  constructor(
    private readonly client: SSMClient,
    private readonly now: () => number,
    private readonly prefix = PARAMETER_PREFIX,
  ) {}

  async acquire(allowlist: string, request: AcquireRequest): Promise<Lease | Busy> {
    const name = lockParameterName(allowlist, this.prefix);
    let seen: LockHolder | undefined;
    // Three rounds: create; if held by a dead run, delete and create again; once more if another run won that race.
    for (let round = 0; round < 3; round++) {
      const now = this.now();
      const holder = holderOf(request, now);
      if (await this.create(name, holder)) return { allowlist, ...holder };
      const current = await this.read(name, request.ttlMs);
      if (current === undefined) continue; // released between our create and our read: try again
      seen = current;
      if (!isStale(current, request, now)) break;
      await this.delete(name);
    }
    const busy = seen ?? {
      owner: 'unknown (the lock changed hands repeatedly)',
      generation: 0,
      acquiredAt: 0,
      expiresAt: 0,
    };
    return { busy, where: `ssm:${name}`, clear: `aws ssm delete-parameter --name ${name}` };
  }

  async release(lease: Lease): Promise<void> {
    const name = lockParameterName(lease.allowlist, this.prefix);
    const current = await this.read(name, 0);
    if (current && sameHolder(current, lease)) await this.delete(name);
  }

  /** Creates the lock parameter if absent; false when it exists. */
  private async create(name: string, holder: LockHolder): Promise<boolean> {
    try {
      await this.client.send(
        new PutParameterCommand({
          Name: name,
          Value: JSON.stringify(holder),
          Type: 'String',
          Overwrite: false,
          Description: 'allowlist-sync run lock: held while a run applies this allowlist',
        }),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ParameterAlreadyExists') return false;
      throw lockError(name, 'cannot create the run lock', error);
    }
  }

  /** The holder, or undefined when there is no lock. An unreadable value expires `ttlMs` after it was written. */
  private async read(name: string, ttlMs: number): Promise<LockHolder | undefined> {
    let out: GetParameterCommandOutput;
    try {
      out = await this.client.send(new GetParameterCommand({ Name: name }));
    } catch (error) {
      if (errorName(error) === 'ParameterNotFound') return undefined;
      throw lockError(name, 'cannot read the run lock', error);
    }
    const value = out.Parameter?.Value ?? '';
    const parsed = parseHolder(value);
    if (parsed) return parsed;
    const written = out.Parameter?.LastModifiedDate?.getTime() ?? 0;
    return {
      owner: `unreadable lock value "${value.slice(0, 80)}"`,
      generation: 0,
      acquiredAt: written,
      expiresAt: written + ttlMs,
    };
  }

  private async delete(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteParameterCommand({ Name: name }));
    } catch (error) {
      if (errorName(error) === 'ParameterNotFound') return;
      throw lockError(name, 'cannot delete the run lock', error);
    }
  }
}

/** The production generation store: one String parameter per allowlist, overwritten by the lock holder. */
export class SsmGenerationStore implements GenerationStore {
  constructor(
    private readonly client: SSMClient,
    private readonly prefix = PARAMETER_PREFIX,
  ) {}

  async get(allowlist: string): Promise<number | undefined> {
    const name = generationParameterName(allowlist, this.prefix);
    let value: string | undefined;
    try {
      value = (await this.client.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
    } catch (error) {
      if (errorName(error) === 'ParameterNotFound') return undefined;
      // Fail static: without it an older run cannot be told from a newer one.
      throw lockError(name, 'cannot read the last applied generation', error);
    }
    const generation = Number(value);
    if (value === undefined || !/^\d+$/.test(value) || !Number.isSafeInteger(generation)) {
      throw new RunLockError(
        `ssm:${name}`,
        `the stored generation "${value}" is not an integer (ms since the epoch)`,
        `delete the parameter (aws ssm delete-parameter --name ${name}); the next run records its own`,
      );
    }
    return generation;
  }

  async put(allowlist: string, generation: number): Promise<void> {
    const name = generationParameterName(allowlist, this.prefix);
    try {
      await this.client.send(
        new PutParameterCommand({
          Name: name,
          Value: String(generation),
          Type: 'String',
          Overwrite: true,
          Description: 'allowlist-sync: start time (ms) of the newest run allowed to write this allowlist',
        }),
      );
    } catch (error) {
      throw lockError(name, 'cannot record the run generation', error);
    }
  }
}

function holderOf(request: AcquireRequest, now: number): LockHolder {
  return { owner: request.owner, generation: request.generation, acquiredAt: now, expiresAt: now + request.ttlMs };
}

function sameHolder(a: LockHolder, b: LockHolder): boolean {
  return a.owner === b.owner && a.generation === b.generation && a.acquiredAt === b.acquiredAt;
}

function parseHolder(value: string): LockHolder | undefined {
  try {
    const v = JSON.parse(value) as Record<string, unknown>;
    const { owner, generation, acquiredAt, expiresAt } = v;
    if (typeof owner !== 'string') return undefined;
    if (![generation, acquiredAt, expiresAt].every((n) => typeof n === 'number' && Number.isFinite(n)))
      return undefined;
    return { owner, generation, acquiredAt, expiresAt } as LockHolder;
  } catch {
    return undefined;
  }
}

function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

function lockError(name: string, what: string, cause: unknown): RunLockError {
  return new RunLockError(
    `ssm:${name}`,
    `${what}: ${errorName(cause) ?? 'Error'}: ${(cause as Error)?.message ?? String(cause)}`,
    `let the function's role ssm:GetParameter, ssm:PutParameter and ssm:DeleteParameter on ${name.replace(/[^/]+$/, '*')}, then run again`,
    { cause },
  );
}
