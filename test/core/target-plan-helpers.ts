/**
 * Helpers for the WAF IP set and prefix list planner and driver tests: build a Desired from prefix texts, check the
 * invariants P3, P4 and P5 by address over a sequence of target states, and run a driver on a fake clock.
 */

import type { Desired, EntryNote } from '../../lambda/core/model';
import { type Cidr, parseCidr } from '../../lambda/core/prefix';
import { PrefixSet } from '../../lambda/core/prefix-set';
import type { ApplyContext } from '../../lambda/targets/types';

/** A Desired from prefix texts (aggregated, as the engine builds it). */
export function desiredOf(texts: readonly string[], notes: Record<string, EntryNote> = {}): Desired {
  const set = PrefixSet.parse(texts);
  return {
    allowlist: 'partners',
    set,
    cidrs: { 4: set.toCidrs(4), 6: set.toCidrs(6) },
    notes: new Map(Object.entries(notes) as [Cidr, EntryNote][]),
  };
}

/** Canonical prefixes from texts, for observed state. */
export function cidrs(texts: readonly string[]): Cidr[] {
  return texts.map((t) => parseCidr(t));
}

/** The first invariant broken by a state, or undefined: P3 S ⊆ O ∪ N, P4 S ⊇ O ∩ N, P5 S ⊇ O or S ⊇ N. */
export function violation(old: PrefixSet, next: PrefixSet, state: PrefixSet): string | undefined {
  if (!old.union(next).contains(state)) return 'P3';
  if (!state.contains(old.intersection(next))) return 'P4';
  if (!state.contains(old) && !state.contains(next)) return 'P5';
  return undefined;
}

/** An apply context on a fake clock: `sleep` advances it and records every wait; the run budget is ten minutes. */
export function fakeClock(start = 1_000_000, budget = 600_000) {
  let now = start;
  const sleeps: number[] = [];
  const context: ApplyContext = {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    deadline: start + budget,
  };
  return { context, sleeps, now: () => now };
}
