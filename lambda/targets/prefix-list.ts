/**
 * The managed prefix list driver: reads the target's lists (DescribeManagedPrefixLists, then
 * GetManagedPrefixListEntries at the version described), plans with `core/plan-prefix-list.ts`, and sends the planned
 * ModifyManagedPrefixList calls. It maps between the SDK and the model and decides nothing.
 *
 * AWS surprises handled here (docs/aws-behaviour.md §18, §27, §28): a list is busy (`modify-in-progress`) for a while
 * after each modify and refuses another one (`IncorrectState`), so the driver waits it out between calls and before
 * reading; a stale `CurrentVersion` fails with `PrefixListVersionMismatch`. Both become a {@link StateConflictError}:
 * the engine re-reads and re-plans. EC2 errors have no classes in SDK v3, so they are matched by `name`.
 */
import {
  DescribeManagedPrefixListsCommand,
  type EC2Client,
  GetManagedPrefixListEntriesCommand,
  type ManagedPrefixList,
  ModifyManagedPrefixListCommand,
} from '@aws-sdk/client-ec2';
import type { Target } from '../config';
import { AllowlistSyncError, ConfigError } from '../core/errors';
import type { Desired, TargetPlan } from '../core/model';
import {
  type ObservedPrefixList,
  type ObservedPrefixListEntry,
  type PrefixListsObserved,
  type PrefixListWrite,
  planPrefixLists,
} from '../core/plan-prefix-list';
import { type Family, parseCidr } from '../core/prefix';
import {
  type ApplyContext,
  ApplyDeadlineError,
  type ApplyResult,
  StateConflictError,
  type TargetDriver,
} from './types';

/** A prefix list target from the RuntimeConfig. */
export type PrefixListsTarget = Extract<Target, { kind: 'prefix-lists' }>;

/** EC2 error codes that mean the list changed or is busy under us. */
export const PREFIX_LIST_CONFLICTS: ReadonlySet<string> = new Set(['PrefixListVersionMismatch', 'IncorrectState']);

/** Waits between reads of a busy list: 250 ms, doubling, at most 2 s apart. */
const BACKOFF_MS = [250, 500, 1000, 2000];
/** How long `observe` waits for a busy list before giving up (it has no run deadline). */
export const OBSERVE_WAIT_MS = 30_000;

/** States in which a list is busy and will settle by itself. */
const BUSY = new Set(['create-in-progress', 'modify-in-progress', 'restore-in-progress']);

/** A list is in a state the sync cannot write to (failed, or being deleted). */
export class PrefixListStateError extends AllowlistSyncError {
  override name = 'PrefixListStateError';
  constructor(
    readonly prefixListId: string,
    readonly state: string,
    readonly stateMessage?: string,
  ) {
    super(
      `prefix list ${prefixListId} is in state ${state}${stateMessage ? ` (${stateMessage})` : ''}; nothing was ` +
        'written: fix or restore the list (a failed modify is often a referencing security group without room for ' +
        'MaxEntries rules), then run again',
    );
  }
}

/** A list stayed busy longer than the driver may wait. */
export class PrefixListBusyError extends AllowlistSyncError {
  override name = 'PrefixListBusyError';
  constructor(
    readonly prefixListId: string,
    readonly state: string,
    readonly waitedMs: number,
  ) {
    super(`prefix list ${prefixListId} was still ${state} after ${waitedMs} ms; the next run will try again`);
  }
}

/** Waits and clock for `observe`, which gets no ApplyContext. */
export interface PrefixListDriverOptions {
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default OBSERVE_WAIT_MS */
  readonly observeWaitMs?: number;
}

/** The EC2 error for a prefix list id this account and Region do not know (docs/aws-behaviour.md §34). */
const LIST_NOT_FOUND = 'InvalidPrefixListID.NotFound';

/**
 * Prefix lists of the target that EC2 does not know (a mistyped id, a list deleted outside the stack, the wrong
 * Region). Raised at observe, so the run fails static at pre-flight: nothing is written to any target.
 */
export class PrefixListNotFoundError extends AllowlistSyncError {
  override name = 'PrefixListNotFoundError';
  constructor(
    readonly targetId: string,
    /** Each missing list with the target's field that names it (`ipv4`, `ipv6`). */
    readonly missing: readonly { readonly field: string; readonly id: string }[],
    options?: { cause?: unknown },
  ) {
    const lists = missing.map((m) => `${m.field} ${m.id}`).join(', ');
    super(
      `${targetId}: prefix list${missing.length === 1 ? '' : 's'} ${lists} ${missing.length === 1 ? 'does' : 'do'} ` +
        `not exist in this account and Region (EC2 ${LIST_NOT_FOUND}); nothing was written: correct the id in the ` +
        "target (a deployed stack writes it itself: run against the stack's Region) or create the list, then run again",
      options,
    );
  }
}

/** Keeps a target's managed prefix lists (one per family) equal to an allowlist. */
export class PrefixListDriver implements TargetDriver<PrefixListsObserved, PrefixListWrite> {
  readonly kind = 'prefix-lists' as const;
  readonly targetId: string;
  private readonly ec2: EC2Client;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly observeWaitMs: number;

  constructor(
    private readonly target: PrefixListsTarget,
    readonly allowlist: string,
    clients: { readonly ec2: EC2Client; readonly sleep?: (ms: number) => Promise<void> },
    options: PrefixListDriverOptions = {},
  ) {
    this.ec2 = clients.ec2;
    this.sleep = options.sleep ?? clients.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    this.observeWaitMs = options.observeWaitMs ?? OBSERVE_WAIT_MS;
    const ids = [target.ipv4, target.ipv6].filter((id) => id !== undefined);
    this.targetId = `prefix-lists:${ids.join(',')}`;
  }

  /** Reads each configured list once it is settled, and its entries at the version read. */
  async observe(): Promise<PrefixListsObserved> {
    const context = { sleep: this.sleep, now: this.now, deadline: this.now() + this.observeWaitMs };
    const out: { 4?: ObservedPrefixList; 6?: ObservedPrefixList } = {};
    const missing: { field: string; id: string }[] = [];
    let cause: unknown;
    for (const family of [4, 6] as const) {
      const id = family === 4 ? this.target.ipv4 : this.target.ipv6;
      if (id === undefined) continue;
      let list: ManagedPrefixList | undefined;
      try {
        list = await this.settled(id, context);
      } catch (error) {
        if ((error as Error).name !== LIST_NOT_FOUND) throw error;
        cause ??= error;
      }
      if (list === undefined) {
        // Read the other family's list too, so the error names every missing one at once.
        missing.push({ field: `ipv${family}`, id });
        continue;
      }
      const addressFamily = family === 4 ? 'IPv4' : 'IPv6';
      if (list.AddressFamily !== addressFamily) {
        throw new ConfigError(`target ${this.targetId}`, [
          `ipv${family}: prefix list ${id} is an ${list.AddressFamily} list; name an ${addressFamily} list`,
        ]);
      }
      const version = list.Version ?? 0;
      const at = list.Version;
      out[family] = {
        id,
        family,
        state: list.State ?? 'unknown',
        version,
        maxEntries: list.MaxEntries ?? 0,
        entries: await this.entries(id, at, family),
      };
    }
    if (missing.length > 0) throw new PrefixListNotFoundError(this.targetId, missing, { cause });
    return out;
  }

  /** Pure: delegates to {@link planPrefixLists}. */
  plan(desired: Desired, observed: PrefixListsObserved): TargetPlan<PrefixListWrite> {
    return planPrefixLists(
      desired,
      observed,
      this.target.growUpTo === undefined ? {} : { growUpTo: this.target.growUpTo },
    );
  }

  /** Sends the planned calls in order, waiting for the list to settle between two calls to the same list. */
  async apply(plan: TargetPlan<PrefixListWrite>, context: ApplyContext): Promise<ApplyResult> {
    let writeCalls = 0;
    const busy = new Set<string>();
    for (const [index, write] of plan.writes.entries()) {
      if (busy.has(write.prefixListId)) {
        if ((await this.settled(write.prefixListId, context)) === undefined) {
          // Deleted under us between two writes: stop, naming it (the calls made so far are counted by the engine).
          throw new PrefixListNotFoundError(this.targetId, [
            { field: write.family === 4 ? 'ipv4' : 'ipv6', id: write.prefixListId },
          ]);
        }
        busy.delete(write.prefixListId);
      }
      if (context.now() >= context.deadline) throw new ApplyDeadlineError(this.targetId, index, plan.writes.length);
      writeCalls += 1;
      context.onWriteCall?.();
      try {
        await this.ec2.send(
          new ModifyManagedPrefixListCommand(
            write.kind === 'resize'
              ? { PrefixListId: write.prefixListId, MaxEntries: write.maxEntries }
              : {
                  PrefixListId: write.prefixListId,
                  CurrentVersion: write.currentVersion,
                  ...(write.add.length === 0
                    ? {}
                    : {
                        AddEntries: write.add.map((e) =>
                          e.description === undefined ? { Cidr: e.cidr } : { Cidr: e.cidr, Description: e.description },
                        ),
                      }),
                  ...(write.remove.length === 0 ? {} : { RemoveEntries: write.remove.map((cidr) => ({ Cidr: cidr })) }),
                },
          ),
        );
      } catch (error) {
        const name = (error as Error).name;
        if (PREFIX_LIST_CONFLICTS.has(name)) throw new StateConflictError(this.targetId, name, { cause: error });
        throw error;
      }
      busy.add(write.prefixListId);
    }
    return { writeCalls };
  }

  /** Describes a list until it leaves its busy state, with bounded backoff, within the context's deadline. */
  private async settled(id: string, context: Pick<ApplyContext, 'sleep' | 'now' | 'deadline'>) {
    const started = context.now();
    for (let attempt = 0; ; attempt++) {
      const answer = await this.ec2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [id] }));
      const list: ManagedPrefixList | undefined = answer.PrefixLists?.find((l) => l.PrefixListId === id);
      // EC2 answers an unknown id with InvalidPrefixListID.NotFound; an empty answer means the same.
      if (list === undefined) return undefined;
      const state = list.State ?? 'unknown';
      if (!BUSY.has(state)) {
        if (state.endsWith('-failed') || state.startsWith('delete')) {
          throw new PrefixListStateError(id, state, list.StateMessage);
        }
        return list;
      }
      const wait = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!;
      if (context.now() + wait > context.deadline) throw new PrefixListBusyError(id, state, context.now() - started);
      await context.sleep(wait);
    }
  }

  /** Every entry of a list at one version (paginated), canonicalised. */
  private async entries(id: string, version: number | undefined, family: Family): Promise<ObservedPrefixListEntry[]> {
    const out: ObservedPrefixListEntry[] = [];
    let token: string | undefined;
    do {
      const page = await this.ec2.send(
        // Reading at the version described keeps entries and version consistent if someone writes in between.
        new GetManagedPrefixListEntriesCommand({
          PrefixListId: id,
          ...(version === undefined ? {} : { TargetVersion: version }),
          MaxResults: 100,
          ...(token ? { NextToken: token } : {}),
        }),
      );
      for (const entry of page.Entries ?? []) {
        if (entry.Cidr === undefined) continue;
        const cidr = parseCidr(entry.Cidr, { maskHostBits: true });
        if ((cidr.includes(':') ? 6 : 4) !== family) {
          throw new AllowlistSyncError(`${this.targetId}: ${id} holds ${entry.Cidr}, not an IPv${family} prefix`);
        }
        out.push(entry.Description === undefined ? { cidr } : { cidr, description: entry.Description });
      }
      token = page.NextToken;
    } while (token);
    return out;
  }
}
