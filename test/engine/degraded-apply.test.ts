/**
 * Root cause of battery B's P5 misses (seeds 20807 and 20598): the engine recorded a plan as degraded only when its
 * apply returned. A degraded plan whose first steps were written before a conflict (then a clean re-plan) reported
 * `changed`; one that then failed reported `failed` with no trace of the degraded steps. Either way the report hid that
 * P5 had been given up. These tests pin the fix: any degraded plan whose writes started marks the target degraded.
 * The same traces showed the write calls of an attempt that threw were lost too (20598 reported 0 write calls after a
 * revoke took effect): the engine now counts calls as drivers send them (`ApplyContext.onWriteCall`).
 */
import { describe, expect, it } from 'vitest';
import { parseRuntimeConfig } from '../../lambda/config';
import type { Desired, TargetPlan } from '../../lambda/core/model';
import { formatPlanText } from '../../lambda/core/report';
import { runEngine } from '../../lambda/engine';
import { applyTarget } from '../../lambda/engine/apply';
import { type ApplyContext, StateConflictError, type TargetDriver } from '../../lambda/targets/types';
import { desiredOf } from './set-driver';

type Outcome = 'ok' | 'conflict' | 'throttle';

/** A target whose plans are degraded or not from a script, and whose applies succeed, conflict or throttle. */
class ScriptedDriver implements TargetDriver<number, string> {
  readonly kind = 'prefix-lists' as const;
  readonly targetId = 'prefix-lists:pl-0000000000000000a';
  observes = 0;
  applies = 0;

  constructor(
    /** `degraded` of the plan made from the n-th observe. */
    private readonly degradedPlans: boolean[],
    /** Outcome of the n-th apply. */
    private readonly outcomes: Outcome[],
  ) {}

  async observe(): Promise<number> {
    return this.observes++;
  }

  plan(_desired: Desired, observed: number): TargetPlan<string> {
    // The verify after a successful apply observes once more: it sees the target converged.
    const converged = observed >= this.degradedPlans.length;
    return {
      kind: this.kind,
      targetId: this.targetId,
      add: [],
      remove: [],
      unchanged: 1,
      current: 1,
      drift: [],
      capacity: { fits: true, needed: 1, available: 1, unit: 'entries' },
      degraded: converged ? false : (this.degradedPlans[observed] ?? false),
      writes: converged ? [] : ['step'],
    };
  }

  async apply(plan: TargetPlan<string>, context: ApplyContext): Promise<{ writeCalls: number }> {
    const outcome = this.outcomes[this.applies++] ?? 'ok';
    // Like the real drivers: the call is counted as it is sent, whatever AWS then answers.
    for (const _ of plan.writes) context.onWriteCall?.();
    if (outcome === 'conflict') throw new StateConflictError(this.targetId, 'PrefixListVersionMismatch');
    if (outcome === 'throttle') throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    return { writeCalls: plan.writes.length };
  }
}

const ctx = {
  allowlist: { name: 'partners', guardrails: { maxRemovedShare: 1, removalsAlwaysAllowed: 0 } },
  generation: 1,
  deadline: Number.POSITIVE_INFINITY,
  now: () => 0,
  sleep: async () => {},
};

async function applyScripted(degradedPlans: boolean[], outcomes: Outcome[]) {
  const driver = new ScriptedDriver(degradedPlans, outcomes);
  const first = driver.plan(desiredOf('partners', ['192.0.2.0/24']), await driver.observe());
  return applyTarget(driver, first, desiredOf('partners', ['192.0.2.0/24']), ctx);
}

describe('a degraded plan whose writes started is reported degraded, whatever ended the attempt', () => {
  it.each([
    // [first plans degraded?, apply outcomes, status, degraded]
    [[true, false], ['conflict', 'ok'], 'degraded', true], // seed 20807: Duplicate after a timeout, clean re-plan
    [[true], ['throttle'], 'failed', true], // seed 20598: the SDK's retries ran out mid-plan
    [[true, true, true], ['conflict', 'conflict', 'conflict'], 'failed', true],
    [[false, true], ['conflict', 'ok'], 'degraded', true], // the re-plan is the degraded one
    [[true], ['ok'], 'degraded', true],
    [[false, false], ['conflict', 'ok'], 'changed', false],
    [[false], ['throttle'], 'failed', false],
  ] as const)('plans degraded %j, applies %j: status %s, degraded %s', async (plans, outcomes, status, degraded) => {
    const outcome = await applyScripted([...plans], [...outcomes]);
    expect(outcome.status).toBe(status);
    expect(outcome.degraded).toBe(degraded);
  });
});

describe('write calls are counted as they are sent, including those of an attempt that threw', () => {
  it.each([
    // [apply outcomes, status, write calls]
    [['throttle'], 'failed', 1],
    [['conflict', 'ok'], 'changed', 2],
    [['conflict', 'conflict', 'conflict'], 'failed', 3],
  ] as const)('applies %j: %s with %i write calls', async (outcomes, status, writeCalls) => {
    const outcome = await applyScripted([false, false, false], [...outcomes]);
    expect(outcome).toMatchObject({ status, writeCalls });
  });

  it('reports `changed`, not `unchanged`, when the re-plan after a conflict finds the sent write took effect', async () => {
    const outcome = await applyScripted([false], ['conflict']);
    expect(outcome).toMatchObject({ status: 'changed', writeCalls: 1 });
  });
});

describe('the report carries the degraded flag next to a failed status', () => {
  const config = parseRuntimeConfig({
    version: 1,
    allowlists: [
      {
        name: 'partners',
        sources: [{ kind: 'inline', entries: ['192.0.2.0/24'] }],
        targets: [{ kind: 'prefix-lists', ipv4: 'pl-0000000000000000a' }],
      },
    ],
  });

  async function run(degradedPlans: boolean[], outcomes: Outcome[]) {
    const driver = new ScriptedDriver(degradedPlans, outcomes);
    return runEngine(
      config,
      { dryRun: false, trigger: 'manual' },
      {
        now: () => 0,
        sleep: async () => {},
        drivers: () => driver,
        load: async () => ({
          desired: desiredOf('partners', ['192.0.2.0/24']),
          provenance: [],
          counts: { read: { 4: 1, 6: 0 }, prefixes: { 4: 1, 6: 0 }, expired: 0 },
        }),
      },
    );
  }

  it('marks a degraded plan that then failed, and says so in the plan text', async () => {
    const report = await run([true], ['throttle']);
    const target = report.allowlists[0]?.targets[0];
    expect(target).toMatchObject({
      status: 'failed',
      degraded: true,
      writeCalls: 1,
      error: { name: 'ThrottlingException' },
    });
    expect(report.status).toBe('failed');
    expect(formatPlanText(report, { color: false })).toContain(
      '    degraded: the quota could not hold the old and the new list at once; writes had started',
    );
  });

  it('leaves the flag off a target whose plan kept P5', async () => {
    const report = await run([false], ['throttle']);
    const target = report.allowlists[0]?.targets[0];
    expect(target?.status).toBe('failed');
    expect(target).not.toHaveProperty('degraded');
    expect(formatPlanText(report, { color: false })).not.toContain('degraded:');
  });

  it('sets the flag on every target reported with status degraded', async () => {
    const report = await run([true], ['ok']);
    expect(report.allowlists[0]?.targets[0]).toMatchObject({ status: 'degraded', degraded: true });
    expect(report.status).toBe('degraded');
  });
});
