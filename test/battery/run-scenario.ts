/**
 * One battery scenario end to end: apply O from scratch, then apply N (with faults or a crash when asked) with the
 * invariant checker on, then further runs until converged (bounded), then one more run that must write nothing.
 */

import type { RunReport } from '../../lambda/core/model';
import type { FaultKind } from '../fakes';
import { economyBreaches, mark } from './economy';
import type { Scenario } from './scenarios';
import { degradedTargets, type Violation, World } from './world';

/** How the N run is disturbed. */
export interface Disturbance {
  /** Random faults on every call of the first N run, with this probability per attempt. */
  readonly faultRate?: number;
  /** A crash before or after the k-th write call (attempt) of the first N run. */
  readonly crash?: { readonly k: number; readonly when: 'before' | 'after' };
  // No outside list of degraded targets: a run cut short by a crash or a fault after it started a degraded plan
  // reports the target with `degraded: true`, and only a run's own report forgives its P5 misses.
}

/** What happened. */
export interface Outcome {
  readonly seed: number;
  /** The N run was refused in pre-flight (e.g. the pool cannot hold N): it must have written nothing. */
  readonly refused: boolean;
  /** Some run of N reported a target degraded (status `degraded`, or `failed` with the `degraded` flag). */
  readonly degraded: boolean;
  /** Runs of N until every unit admitted exactly N ∪ U (0: never within the bound). */
  readonly runsToConverge: number;
  /** Write calls (attempts) of the first N run. */
  readonly writes: number;
  /** Write calls made by the run after convergence (P2: must be 0). */
  readonly idleWrites: number;
  readonly violations: readonly Violation[];
  readonly checks: number;
  /** Economy breaches of a fault-free N run. */
  readonly economy: readonly string[];
  /** A refused run that wrote anyway, a setup that did not converge, … */
  readonly problems: readonly string[];
  /** Targets the first N run reported degraded. */
  readonly degradedTargets: readonly string[];
}

const MAX_RUNS = 3;

/** Runs one scenario. */
export async function runScenario(s: Scenario, disturbance: Disturbance = {}): Promise<Outcome> {
  const w = new World(s.layout);
  const problems: string[] = [];
  const setup = await w.run(s.old);
  const old = setup.status === 'refused' ? [] : s.old;
  if (setup.status === 'failed' || w.mismatches(old).length > 0) {
    problems.push(`setup ${setup.status}: ${w.mismatches(old).join(', ')} ${firstError(setup)}`);
  }
  w.expect(old, s.next);
  if (disturbance.crash) {
    w.killOnCrash();
    const { k, when } = disturbance.crash;
    let seen = 0;
    const rule = { when: (c: { write: boolean }) => c.write && ++seen === k, fault: `crash-${when}` as FaultKind };
    w.ec2.inject(rule);
    w.waf.inject({ ...rule });
  }
  if (disturbance.faultRate) {
    w.ec2.randomFaults({ seed: s.seed, rate: disturbance.faultRate });
    w.waf.randomFaults({ seed: s.seed + 1, rate: disturbance.faultRate });
  }
  const before = mark(w);
  const writesBefore = w.writeCalls().length;
  const callsBefore = { ec2: w.ec2.calls.length, waf: w.waf.calls.length };
  const first = await w.run(s.next);
  if (process.env.BATTERY_TRACE) trace(s.seed, w, callsBefore, first);
  w.settleP5(first);
  const writes = w.writeCalls().length - writesBefore;
  // Economy is counted on clean runs; a degraded run (the quota cannot hold old and new at once) needs extra steps.
  const clean = !disturbance.faultRate && !disturbance.crash && first.status !== 'degraded';
  const economy = clean ? economyBreaches(w, before) : [];
  w.ec2.clearFaults();
  w.waf.clearFaults();
  w.dead = false;
  // A fault before pre-flight finished (an observe whose SDK retries ran out) fails the run with zero writes, as fail
  // static wants; whether pre-flight refuses this scenario then shows on a clean dry run, which writes nothing.
  const refused =
    first.status === 'refused' ||
    (first.status === 'failed' && writes === 0 && (await w.run(s.next, { dryRun: true })).status === 'refused');
  if (refused && writes > 0) problems.push(`refused run wrote ${writes} times`);
  const target = refused ? old : s.next;
  let runsToConverge = (await w.converged(target)) ? 1 : 0;
  let degraded = degradedTargets(first).length > 0;
  for (let run = 2; runsToConverge === 0 && run <= MAX_RUNS; run++) {
    const again = await w.run(s.next);
    w.settleP5(again);
    degraded ||= degradedTargets(again).length > 0;
    if (await w.converged(s.next)) runsToConverge = run;
  }
  const idleBefore = w.writeCalls().length;
  const idle = await w.run(refused ? old : s.next);
  const idleWrites = w.writeCalls().length - idleBefore;
  if (idle.status !== 'ok' && !(refused && idle.status === 'refused'))
    problems.push(`idle run ${idle.status} ${firstError(idle)}`);
  return {
    seed: s.seed,
    refused,
    degraded,
    runsToConverge,
    writes,
    idleWrites,
    violations: w.violations,
    checks: w.checks,
    economy,
    problems,
    degradedTargets: degradedTargets(first),
  };
}

/**
 * Prints the first N run of a replayed seed (`BATTERY_SEED=… BATTERY_TRACE=1`): every call attempt the fakes saw, with
 * its fault and outcome, each target's status, and the P5 misses pending before the report can excuse them.
 */
function trace(seed: number, w: World, from: { ec2: number; waf: number }, report: RunReport): void {
  const calls = [...w.ec2.calls.slice(from.ec2), ...w.waf.calls.slice(from.waf)];
  const lines = calls.map(
    (c) =>
      `${c.service}#${c.seq} ${c.command} attempt ${c.attempt} ${c.outcome}${c.errorName ? ` ${c.errorName}` : ''}` +
      `${c.fault ? ` [fault ${c.fault}]` : ''}${c.applied ? ' applied' : ''} ${JSON.stringify(c.input)}`,
  );
  const targets = report.allowlists.flatMap((a) =>
    a.targets.map((t) => `${t.targetId} ${t.status}${t.degraded ? ' (degraded)' : ''} ${t.error?.name ?? ''}`),
  );
  const misses = w.p5.map((v) => `${v.property} ${v.unit} at ${v.call}`);
  console.log([`seed ${seed}: first N run`, ...lines, ...targets, ...misses].join('\n'));
}

/** The first error message of a report, for diagnostics. */
export function firstError(report: RunReport): string {
  for (const a of report.allowlists) {
    if (a.error) return `${a.error.name}: ${a.error.message}`;
    for (const t of a.targets) if (t.error) return `${t.targetId} ${t.error.name}: ${t.error.message}`;
  }
  return '';
}

/** Totals over outcomes, printed by each suite. */
export function summarise(name: string, outcomes: readonly Outcome[]) {
  const figures = {
    scenarios: outcomes.length,
    refused: outcomes.filter((o) => o.refused).length,
    degraded: outcomes.filter((o) => o.degraded).length,
    writeCalls: outcomes.reduce((n, o) => n + o.writes, 0),
    invariantChecks: outcomes.reduce((n, o) => n + o.checks, 0),
    violations: outcomes.reduce((n, o) => n + o.violations.length, 0),
    notConverged: outcomes.filter((o) => o.runsToConverge === 0).length,
    maxRunsToConverge: Math.max(0, ...outcomes.map((o) => o.runsToConverge)),
    idleWrites: outcomes.reduce((n, o) => n + o.idleWrites, 0),
    economyBreaches: outcomes.reduce((n, o) => n + o.economy.length, 0),
    problems: outcomes.reduce((n, o) => n + o.problems.length, 0),
  };
  console.log(`battery ${name}: ${JSON.stringify(figures)}`);
  return figures;
}

/** The outcomes that failed something, trimmed for a readable assertion diff. */
export function failures(outcomes: readonly Outcome[], maxRuns: number) {
  return outcomes
    .filter(
      (o) =>
        o.violations.length > 0 ||
        o.runsToConverge === 0 ||
        o.runsToConverge > maxRuns ||
        o.idleWrites > 0 ||
        o.economy.length > 0 ||
        o.problems.length > 0,
    )
    .slice(0, 5)
    .map((o) => ({ ...o, violations: o.violations.slice(0, 3) }));
}
