/**
 * A target limited to some address families (docs/design.md P14) as the engine drives it: the driver is wrapped so
 * that every plan it makes (the first, a re-plan after a conflict, verify, the re-read of a target that stopped
 * part-way) is made on the target's part of the list only, and carries what it leaves out. The planners and the
 * drivers stay unaware of families: they see a list without prefixes of the other family.
 */
import type { Target } from '../config';
import { familyPart, leftOutOf, takenFamilies } from '../core/families';
import type { TargetDriver } from '../targets/types';

/** The driver of a target that takes only its `families`; the driver itself when it takes both. */
export function limitToFamilies(driver: TargetDriver, target: Pick<Target, 'families'>): TargetDriver {
  const families = takenFamilies(target);
  if (families.length === 2) return driver;
  return {
    kind: driver.kind,
    targetId: driver.targetId,
    observe: () => driver.observe(),
    plan: (desired, observed) => {
      const leftOut = leftOutOf(desired, families);
      const plan = driver.plan(familyPart(desired, families), observed);
      return leftOut ? { ...plan, leftOut } : plan;
    },
    apply: (plan, context) => driver.apply(plan, context),
  };
}
