/**
 * Address families per target (docs/design.md P14): which families a target takes, the part of the desired list it
 * is given, what it leaves out, and the two refusals that keep "refuse if a family has nowhere to go".
 *
 * A target's `families` unset means both, exactly as before the option existed: a family with prefixes that the
 * target cannot hold (an IPv4-only prefix list, a WAF pool without IPv6 sets) is then refused by its planner's
 * capacity check. Set, it limits the target to those families: the planners are given only that part of the list,
 * so they stay unaware of families (what they see is simply a list with no prefix of the other family).
 *
 * Pure: plain data in, plain data out.
 */
import * as z from 'zod';
import { GuardrailError } from './guardrails';
import type { Desired, LeftOut } from './model';
import type { Family } from './prefix';
import { PrefixSet } from './prefix-set';

/** A family as the configs spell it. */
export type FamilyName = 'ipv4' | 'ipv6';

/** The families a target takes: non-empty, no duplicates. Absent means both (and refuse what a target cannot hold). */
export const FamiliesSchema = z
  .array(z.enum(['ipv4', 'ipv6']))
  .min(1, 'a target takes at least one family: ["ipv4"], ["ipv6"] or ["ipv4","ipv6"] (leave families out for both)')
  .superRefine((families, ctx) => {
    families.forEach((f, i) => {
      if (families.indexOf(f) !== i) {
        ctx.addIssue({ code: 'custom', path: [i], message: `"${f}" is listed twice: list each family once` });
      }
    });
  });

/** The config spelling of a family. */
export function familyName(family: Family): FamilyName {
  return family === 4 ? 'ipv4' : 'ipv6';
}

/** The report spelling of a family: `IPv4`, `IPv6`. */
export function familyLabel(family: Family): string {
  return family === 4 ? 'IPv4' : 'IPv6';
}

/** The families a target takes, in report order: its `families`, or both when unset. */
export function takenFamilies(target: { readonly families?: readonly FamilyName[] | undefined }): Family[] {
  if (target.families === undefined) return [4, 6];
  return ([4, 6] as const).filter((f) => target.families?.includes(familyName(f)));
}

/** The part of `desired` a target that takes `families` is given: the same object when it takes both. */
export function familyPart(desired: Desired, families: readonly Family[]): Desired {
  if (families.includes(4) && families.includes(6)) return desired;
  const keep4 = families.includes(4);
  const keep6 = families.includes(6);
  return {
    allowlist: desired.allowlist,
    set: PrefixSet.fromRanges(keep4 ? desired.set.ranges(4) : [], keep6 ? desired.set.ranges(6) : []),
    cidrs: { 4: keep4 ? desired.cidrs[4] : [], 6: keep6 ? desired.cidrs[6] : [] },
    notes: desired.notes,
  };
}

/** What a target that takes `families` leaves out of `desired`; undefined when it takes both. */
export function leftOutOf(desired: Pick<Desired, 'cidrs'>, families: readonly Family[]): LeftOut | undefined {
  const other = ([4, 6] as const).find((f) => !families.includes(f));
  return other === undefined ? undefined : { family: other, prefixes: desired.cidrs[other].length };
}

/** One target as the family checks see it. */
export interface FamilyTarget {
  /** Its place in the allowlist's `targets` and its kind, for messages: `targets[1] (prefix-lists)`. */
  readonly index: number;
  readonly kind: string;
  readonly families?: readonly FamilyName[] | undefined;
  /** Its plan, when it was planned: `targetId` and what it would remove (the per-target empty check). */
  readonly plan?: { readonly targetId: string; readonly remove: readonly string[] };
}

/** Everything the family checks look at for one allowlist. */
export interface FamilyCheckInput {
  readonly allowlist: string;
  readonly policy: { readonly allowEmpty: boolean; readonly leaveOutFamilies?: readonly FamilyName[] | undefined };
  readonly desired: Pick<Desired, 'cidrs'>;
  readonly targets: readonly FamilyTarget[];
}

/**
 * The refusals of docs/design.md P14, before any write (force lifts neither):
 * - `families`: the list has prefixes of a family that no target takes, and `policy.leaveOutFamilies` does not name
 *   it. Only possible when every target sets `families` (unset means both).
 * - `empty`, per target: a target limited to families of which the list has no prefix, while it holds entries that
 *   the plan would remove, is refused as an empty list is (unless `policy.allowEmpty`). A list that is empty as a whole
 *   is the allowlist-wide `empty` guardrail's, not this one's.
 */
export function checkFamilies(input: FamilyCheckInput): GuardrailError[] {
  const { allowlist, desired, targets } = input;
  const refusals: GuardrailError[] = [];
  const count = (f: Family) => desired.cidrs[f].length;
  for (const f of [4, 6] as const) {
    if (count(f) === 0 || input.policy.leaveOutFamilies?.includes(familyName(f))) continue;
    if (targets.some((t) => takenFamilies(t).includes(f))) continue;
    const label = familyLabel(f);
    const takes = targets.map((t) => `targets[${t.index}] (${t.kind}) takes ${(t.families ?? []).join(', ')}`);
    refusals.push(
      new GuardrailError(
        'families',
        allowlist,
        undefined,
        { family: f, prefixes: count(f) },
        `add a target that takes ${label} (families including "${familyName(f)}"), or set policy.leaveOutFamilies: ["${familyName(f)}"] to leave the ${label} prefixes out on purpose`,
        `${allowlist}: the list has ${count(f)} ${label} prefix(es) and no target takes ${label} (${takes.join('; ')}); nothing was written`,
      ),
    );
  }
  if (count(4) + count(6) === 0) return refusals;
  for (const t of targets) {
    const taken = takenFamilies(t);
    if (input.policy.allowEmpty || !t.plan || t.plan.remove.length === 0) continue;
    if (taken.some((f) => count(f) > 0)) continue;
    const only = taken.map(familyLabel).join(' and ');
    refusals.push(
      new GuardrailError(
        'empty',
        allowlist,
        t.plan.targetId,
        { prefixes: 0, removed: t.plan.remove.length },
        'set policy.allowEmpty: true if emptying this target is really intended (--force does not lift this)',
        `${allowlist} → ${t.plan.targetId}: the list has no ${only} prefix and this target takes only ${only}; applying would remove its ${t.plan.remove.length} entr${t.plan.remove.length === 1 ? 'y' : 'ies'}, so nothing was written`,
      ),
    );
  }
  return refusals;
}
