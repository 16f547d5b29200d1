/**
 * A tiny in-memory target for the engine's unit tests: it holds a set of canonical prefixes, plans a single add+remove
 * step, and can be scripted to fail. The battery uses the real drivers against
 * the stateful AWS fakes instead.
 */
import type { Allowlist, Target } from '../../lambda/config';
import type { Desired, TargetPlan } from '../../lambda/core/model';
import type { Cidr } from '../../lambda/core/prefix';
import { PrefixSet } from '../../lambda/core/prefix-set';
import type { LoadedAllowlist } from '../../lambda/engine';
import { SourceError } from '../../lambda/sources/errors';
import { type ApplyContext, StateConflictError, type TargetDriver } from '../../lambda/targets/types';

/** What the set driver observes. */
export interface SetState {
  entries: Set<string>;
}

/** One write step of the set driver. */
export interface SetWrite {
  add: Cidr[];
  remove: Cidr[];
}

/** A scripted failure of the next apply calls. */
export type Script = 'conflict' | 'throttle' | 'stale-verify';

/** An in-memory target. */
export class SetDriver implements TargetDriver<SetState, SetWrite> {
  readonly kind = 'prefix-lists' as const;
  readonly state: SetState;
  /** Every apply call, with the context it got. */
  readonly applies: ApplyContext[] = [];
  /** Writes that changed state. */
  writes = 0;
  observes = 0;
  /** Scripted outcomes, consumed one per apply (or per observe for `stale-verify`). */
  readonly script: Script[] = [];
  /** Runs before each apply writes, e.g. to change the state under the engine. */
  beforeWrite?: () => void;

  constructor(
    readonly targetId: string,
    entries: string[] = [],
    readonly capacity = 1000,
  ) {
    this.state = { entries: new Set(entries) };
  }

  async observe(): Promise<SetState> {
    this.observes++;
    if (this.script[0] === 'stale-verify' && this.writes > 0) {
      this.script.shift();
      return { entries: new Set() };
    }
    return { entries: new Set(this.state.entries) };
  }

  plan(desired: Desired, observed: SetState): TargetPlan<SetWrite> {
    const want = desired.set.toCidrs();
    const have = [...observed.entries].sort() as Cidr[];
    const add = want.filter((c) => !observed.entries.has(c));
    const remove = have.filter((c) => !want.includes(c));
    return {
      kind: this.kind,
      targetId: this.targetId,
      add,
      remove,
      unchanged: want.length - add.length,
      current: observed.entries.size,
      drift: [],
      capacity: {
        fits: want.length <= this.capacity,
        needed: want.length,
        available: this.capacity,
        unit: 'entries',
        advice: `raise MaxEntries to ${want.length}`,
      },
      degraded: false,
      writes: add.length + remove.length > 0 ? [{ add, remove }] : [],
    };
  }

  async apply(plan: TargetPlan<SetWrite>, context: ApplyContext): Promise<{ writeCalls: number }> {
    this.applies.push(context);
    const next = this.script[0] === 'stale-verify' ? undefined : this.script.shift();
    if (next === 'conflict') throw new StateConflictError(this.targetId, 'PrefixListVersionMismatch');
    if (next === 'throttle') throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    this.beforeWrite?.();
    for (const w of plan.writes) {
      for (const c of w.add) this.state.entries.add(c);
      for (const c of w.remove) this.state.entries.delete(c);
      this.writes++;
    }
    return { writeCalls: plan.writes.length };
  }
}

/** The desired state of an allowlist from prefix texts. */
export function desiredOf(allowlist: string, texts: string[]): Desired {
  const set = PrefixSet.parse(texts);
  return { allowlist, set, cidrs: { 4: set.toCidrs(4), 6: set.toCidrs(6) }, notes: new Map() };
}

/** A loader from a table of prefix texts per allowlist name. */
export function tableLoader(lists: Record<string, string[]>, serial?: number) {
  return async (allowlist: Allowlist): Promise<LoadedAllowlist> => {
    const texts = lists[allowlist.name];
    if (texts === undefined) {
      throw new SourceError('inline', 'unreachable', `no list for ${allowlist.name}`, 'check the test table');
    }
    const desired = desiredOf(allowlist.name, texts);
    return {
      desired,
      provenance: [
        { kind: 'inline', location: 'inline', sha256: '0'.repeat(64), bytes: 0, fetchedAt: '2024-01-01T00:00:00Z' },
      ],
      counts: {
        read: { 4: texts.length, 6: 0 },
        prefixes: { 4: desired.cidrs[4].length, 6: desired.cidrs[6].length },
        expired: 0,
      },
      ...(serial !== undefined ? { serial } : {}),
    };
  };
}

/** Picks the driver of a target by its first id from a table. */
export function driverTable(drivers: Record<string, SetDriver>) {
  return (target: Target): SetDriver => {
    const id = target.kind === 'prefix-lists' ? (target.ipv4 ?? target.ipv6 ?? '') : '';
    const d = drivers[id];
    if (!d) throw new Error(`no driver for ${id}`);
    return d;
  };
}
