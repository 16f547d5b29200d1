import { describe, expect, it } from 'vitest';
import { checkGuardrails, checkRemovalShare, GuardrailError } from '../../lambda/core/guardrails';
import type { TargetPlan } from '../../lambda/core/model';
import type { Cidr } from '../../lambda/core/prefix';
import { PrefixSet } from '../../lambda/core/prefix-set';

const DEFAULTS = { maxRemovedShare: 0.3, removalsAlwaysAllowed: 10 };

function plan(removed: number, current: number, fits = true): TargetPlan {
  const remove = Array.from({ length: removed }, (_, i) => `10.${i >> 8}.${i & 255}.0/24` as Cidr);
  return {
    kind: 'prefix-lists',
    targetId: 'prefix-lists:pl-1',
    add: [],
    remove,
    unchanged: current - removed,
    current,
    drift: [],
    capacity: { fits, needed: 70, available: 60, unit: 'rules', advice: 'add 1 security group to the pool' },
    degraded: false,
    writes: [],
  };
}

describe('checkRemovalShare', () => {
  it.each([
    // removed, current, refused?
    [0, 0, false],
    [10, 10, false], // ≤ removalsAlwaysAllowed
    [11, 100, false], // 11% ≤ 30%
    [30, 100, false], // exactly the share
    [31, 100, true],
    [11, 11, true],
    [11, 0, true], // no current entries: a full removal, never a division by zero
  ])('removing %i of %i entries is refused: %s', (removed, current, refused) => {
    expect(checkRemovalShare('partners', plan(removed, current), DEFAULTS) !== undefined).toBe(refused);
  });

  it('names the numbers and the override', () => {
    const error = checkRemovalShare('partners', plan(40, 100), DEFAULTS);
    expect(error).toBeInstanceOf(GuardrailError);
    expect(error).toMatchObject({
      guardrail: 'removal-share',
      allowlist: 'partners',
      targetId: 'prefix-lists:pl-1',
      numbers: { removed: 40, current: 100, share: 0.4, maxRemovedShare: 0.3, removalsAlwaysAllowed: 10 },
    });
    expect(error?.message).toMatch(/removes 40 of 100 entries \(40%\)/);
    expect(error?.override).toMatch(/--force REASON/);
  });

  it.each([
    ['a reason', 'CHG-1: partner offboarded', false],
    ['a blank reason', '   ', true],
  ])('a forced run with %s is refused: %s', (_, reason, refused) => {
    expect(checkRemovalShare('p', plan(40, 100), DEFAULTS, { force: { reason } }) !== undefined).toBe(refused);
  });
});

describe('checkGuardrails', () => {
  const input = (set: PrefixSet, plans: TargetPlan[], allowEmpty = false) => ({
    allowlist: 'partners',
    policy: { allowEmpty },
    guardrails: DEFAULTS,
    desired: { set },
    plans,
  });
  const some = PrefixSet.parse(['192.0.2.0/24']);

  it('passes a small change', () => {
    expect(checkGuardrails(input(some, [plan(1, 5)]))).toEqual([]);
  });

  it('refuses an empty list unless the policy allows it, and force never lifts it', () => {
    const forced = { force: { reason: 'please' } };
    expect(checkGuardrails(input(PrefixSet.EMPTY, []), forced).map((e) => [e.guardrail, e.targetId])).toEqual([
      ['empty', undefined],
    ]);
    expect(checkGuardrails(input(PrefixSet.EMPTY, [], true))).toEqual([]);
  });

  it('refuses a target that cannot hold the list, with the plan’s advice as the override, even when forced', () => {
    const [error] = checkGuardrails(input(some, [plan(0, 0, false)]), { force: { reason: 'please' } });
    expect(error).toMatchObject({ guardrail: 'capacity', numbers: { needed: 70, available: 60 } });
    expect(error?.override).toBe('add 1 security group to the pool');
    expect(error?.message).toMatch(/needs 70 rules and the target holds 60/);
  });

  it('lists every refusal of every target', () => {
    const errors = checkGuardrails(input(some, [plan(50, 60), plan(0, 0, false)]));
    expect(errors.map((e) => e.guardrail)).toEqual(['removal-share', 'capacity']);
  });
});
