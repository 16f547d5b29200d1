/**
 * Pre-flight guardrails: checked over every planned target of every selected allowlist before the first write call,
 * so a refusal anywhere means nothing is written anywhere (fail static, P6).
 *
 * - `empty`: an empty desired set would remove every entry we own. Refused unless `policy.allowEmpty`. `force` does
 *   not lift it: emptiness is entry policy, not change size.
 * - `removal-share`: removing more than `maxRemovedShare` of a target's current owned entries is refused unless the
 *   removal count is at most `removalsAlwaysAllowed` (small lists may change freely). A run forced with a non-empty
 *   reason passes this one guardrail, and only this one.
 * - `capacity`: a target that cannot hold the list is refused; the plan's own advice says what to add.
 *
 * Pure: plain data in, plain data out.
 */
import * as z from 'zod';
import { AllowlistSyncError } from './errors';
import type { Desired, TargetPlan } from './model';
import type { Policy } from './policy';

/** The guardrails a run can hit. */
/** Change-size guardrails, checked over all targets before the first write. */
export const GuardrailsSchema = z
  .strictObject({
    /** Refuse a run that would remove more than this share of a target's current entries… @default 0.3 */
    maxRemovedShare: z.number().min(0).max(1).default(0.3),
    /** …unless it removes at most this many (small lists may change freely). @default 10 */
    removalsAlwaysAllowed: z.int().min(0).default(10),
  })
  .default({ maxRemovedShare: 0.3, removalsAlwaysAllowed: 10 });
/** The guardrails. */
export type Guardrails = z.infer<typeof GuardrailsSchema>;

export type GuardrailName = 'empty' | 'removal-share' | 'capacity';

/** A pre-flight refusal: which guardrail, for which target, with the numbers and the override. */
export class GuardrailError extends AllowlistSyncError {
  override name = 'GuardrailError';
  constructor(
    readonly guardrail: GuardrailName,
    readonly allowlist: string,
    /** The target refused; absent when the whole allowlist is (an empty list). */
    readonly targetId: string | undefined,
    /** The figures the decision was made on, e.g. `{ removed: 40, current: 100, maxRemovedShare: 0.3 }`. */
    readonly numbers: Readonly<Record<string, number>>,
    /** How to get past it, when that is legitimate: `--force REASON`, `add 2 groups to the pool`, … */
    readonly override: string,
    message: string,
  ) {
    super(message);
  }
}

/** Everything the guardrails look at for one allowlist. */
export interface GuardrailInput {
  readonly allowlist: string;
  readonly policy: Pick<Policy, 'allowEmpty'>;
  readonly guardrails: Guardrails;
  readonly desired: Pick<Desired, 'set'>;
  readonly plans: readonly TargetPlan[];
}

/** Options of a run that affect the guardrails. */
export interface GuardrailOptions {
  /** A forced run lifts the removal-share guardrail only; the reason must be non-empty. */
  readonly force?: { readonly reason: string };
}

/** Returns every refusal for one allowlist, in target order (empty array: pre-flight passed). */
export function checkGuardrails(input: GuardrailInput, options: GuardrailOptions = {}): GuardrailError[] {
  const refusals: GuardrailError[] = [];
  const { allowlist } = input;
  if (input.desired.set.isEmpty && !input.policy.allowEmpty) {
    refusals.push(
      new GuardrailError(
        'empty',
        allowlist,
        undefined,
        { prefixes: 0 },
        'set policy.allowEmpty: true if removing every entry is really intended (--force does not lift this)',
        `${allowlist}: the allowlist is empty; applying it would remove every entry from every target, so nothing was written`,
      ),
    );
  }
  for (const plan of input.plans) {
    const capacity = checkCapacity(allowlist, plan);
    if (capacity) refusals.push(capacity);
    const share = checkRemovalShare(allowlist, plan, input.guardrails, options);
    if (share) refusals.push(share);
  }
  return refusals;
}

/** The capacity guardrail for one target's plan. */
export function checkCapacity(allowlist: string, plan: TargetPlan): GuardrailError | undefined {
  const { capacity } = plan;
  if (capacity.fits) return undefined;
  const advice = capacity.advice ?? `make room for ${capacity.needed} ${capacity.unit}`;
  return new GuardrailError(
    'capacity',
    allowlist,
    plan.targetId,
    { needed: capacity.needed, available: capacity.available },
    advice,
    `${allowlist} → ${plan.targetId}: the list needs ${capacity.needed} ${capacity.unit} and the target holds ${capacity.available}; nothing was written. Fix: ${advice}`,
  );
}

/** The change-size guardrail for one target's plan; `undefined` when it passes or the run is forced. */
export function checkRemovalShare(
  allowlist: string,
  plan: Pick<TargetPlan, 'targetId' | 'remove' | 'current'>,
  guardrails: Guardrails,
  options: GuardrailOptions = {},
): GuardrailError | undefined {
  const removed = plan.remove.length;
  if (removed === 0 || removed <= guardrails.removalsAlwaysAllowed) return undefined;
  // `current` 0 with removals cannot happen for a sane plan; treat it as a full removal rather than divide by zero.
  const share = plan.current > 0 ? removed / plan.current : 1;
  if (share <= guardrails.maxRemovedShare) return undefined;
  if (isForced(options)) return undefined;
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  return new GuardrailError(
    'removal-share',
    allowlist,
    plan.targetId,
    {
      removed,
      current: plan.current,
      share,
      maxRemovedShare: guardrails.maxRemovedShare,
      removalsAlwaysAllowed: guardrails.removalsAlwaysAllowed,
    },
    'force: { reason: "…" } (CLI: --force REASON) if this removal is intended, or raise guardrails.maxRemovedShare',
    `${allowlist} → ${plan.targetId}: the plan removes ${removed} of ${plan.current} entries (${pct(share)}), more than guardrails.maxRemovedShare ${pct(guardrails.maxRemovedShare)} and more than removalsAlwaysAllowed ${guardrails.removalsAlwaysAllowed}; nothing was written`,
  );
}

/** True when the run is forced with a non-empty reason. */
export function isForced(options: GuardrailOptions): boolean {
  return (options.force?.reason.trim().length ?? 0) > 0;
}
