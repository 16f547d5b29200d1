/**
 * Builders of the run report (plain data, see `targets/types.ts`) and its terraform-like text form, which the CLI
 * prints and the handler logs. Pure: the engine passes in the clock readings.
 */
import {
  type Drift,
  REPORT_PREFIX_CAP,
  type RunReport,
  type TargetPlan,
  type TargetReport,
  type TargetStatus,
} from '../targets/types';
import { AllowlistSyncError } from './errors';

/** The error part of a report: name, message and, when there is a legitimate one, the override. */
export type ReportError = NonNullable<TargetReport['error']>;

// Worst last: the run's status is the worst status any target or allowlist reached.
const RANK: Record<TargetStatus, number> = { unchanged: 0, planned: 1, changed: 2, degraded: 3, refused: 4, failed: 5 };

/** The worse of the statuses given (`unchanged` for none). */
export function worstStatus(statuses: Iterable<TargetStatus>): TargetStatus {
  let worst: TargetStatus = 'unchanged';
  for (const s of statuses) if (RANK[s] > RANK[worst]) worst = s;
  return worst;
}

/** Maps any thrown value to the report's error shape; typed errors keep their `override` field. */
export function reportError(error: unknown): ReportError {
  if (error instanceof Error) {
    const override = (error as { override?: unknown }).override;
    return {
      name: error instanceof AllowlistSyncError || error.name !== 'Error' ? error.name : 'Error',
      message: error.message,
      ...(typeof override === 'string' ? { override } : {}),
    };
  }
  return { name: 'Error', message: String(error) };
}

/** What the engine knows about one target at the end of a run, besides its plan. */
export interface TargetOutcome {
  readonly status: TargetStatus;
  /** A degraded plan's writes started (see {@link TargetReport.degraded}). */
  readonly degraded?: boolean;
  readonly writeCalls: number;
  readonly durationMs: number;
  readonly error?: ReportError;
  readonly note?: string;
}

/** One target's report from its (last) plan and outcome. Prefix lists are capped at {@link REPORT_PREFIX_CAP}. */
export function buildTargetReport(plan: TargetPlan, outcome: TargetOutcome): TargetReport {
  return {
    kind: plan.kind,
    targetId: plan.targetId,
    status: outcome.status,
    added: { count: plan.add.length, prefixes: plan.add.slice(0, REPORT_PREFIX_CAP) },
    removed: { count: plan.remove.length, prefixes: plan.remove.slice(0, REPORT_PREFIX_CAP) },
    unchanged: plan.unchanged,
    drift: plan.drift,
    capacity: plan.capacity,
    writeCalls: outcome.writeCalls,
    ...(outcome.degraded || outcome.status === 'degraded' ? { degraded: true } : {}),
    ...(outcome.error ? { error: outcome.error } : {}),
    ...(outcome.note ? { note: outcome.note } : {}),
    durationMs: outcome.durationMs,
  };
}

/** A target that could not be planned (observe or plan failed): no counts, the error, status `failed`. */
export function buildUnplannedTargetReport(
  kind: TargetReport['kind'],
  targetId: string,
  error: ReportError,
  durationMs: number,
): TargetReport {
  return {
    kind,
    targetId,
    status: 'failed',
    added: { count: 0, prefixes: [] },
    removed: { count: 0, prefixes: [] },
    unchanged: 0,
    drift: [],
    capacity: { fits: true, needed: 0, available: 0, unit: 'entries' },
    writeCalls: 0,
    error,
    durationMs,
  };
}

/** Inputs of {@link buildRunReport}. */
export interface RunReportInput {
  readonly runId: string;
  readonly dryRun: boolean;
  readonly trigger: RunReport['trigger'];
  /** ms since the epoch. */
  readonly startedAt: number;
  readonly durationMs: number;
  /** Milliseconds per phase (lambda/phases.ts). */
  readonly phases?: RunReport['phases'];
  readonly forced?: { readonly reason: string };
  readonly allowlists: RunReport['allowlists'];
}

/** The run report: the summary totals and the run status derived from the allowlists. */
export function buildRunReport(input: RunReportInput): RunReport {
  let add = 0;
  let remove = 0;
  let unchanged = 0;
  for (const a of input.allowlists) {
    for (const t of a.targets) {
      add += t.added.count;
      remove += t.removed.count;
      unchanged += t.unchanged;
    }
  }
  const worst = worstStatus(input.allowlists.map((a) => a.status));
  const status: RunReport['status'] = worst === 'failed' || worst === 'refused' || worst === 'degraded' ? worst : 'ok';
  return {
    runId: input.runId,
    dryRun: input.dryRun,
    trigger: input.trigger,
    startedAt: new Date(input.startedAt).toISOString(),
    durationMs: input.durationMs,
    ...(input.phases ? { phases: input.phases } : {}),
    status,
    summary: { add, remove, unchanged },
    ...(input.forced ? { forced: input.forced } : {}),
    allowlists: input.allowlists,
  };
}

/** Options of {@link formatPlanText}. */
export interface PlanTextOptions {
  /** ANSI colours (green adds, red removes, yellow drift and refusals). */
  readonly color: boolean;
}

/**
 * The report as terraform-like text: per allowlist and target, `+ prefix` / `- prefix` lines (capped), drift, errors
 * with their override, and a closing summary line `Plan: 3 to add, 1 to remove, 240 unchanged.`
 */
export function formatPlanText(report: RunReport, options: PlanTextOptions): string {
  const paint = (code: number, text: string) => (options.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const green = (t: string) => paint(32, t);
  const red = (t: string) => paint(31, t);
  const yellow = (t: string) => paint(33, t);
  const bold = (t: string) => paint(1, t);
  const lines: string[] = [];
  for (const a of report.allowlists) {
    const prefixes = a.entries.prefixes[4] + a.entries.prefixes[6];
    lines.push(`${bold(`allowlist ${a.name}`)} (${prefixes} prefixes, ${a.provenance.length} source(s)) [${a.status}]`);
    if (a.error) lines.push(...formatError(a.error, '  ', yellow));
    for (const t of a.targets) {
      lines.push(`  ${bold(t.targetId)} [${t.status}]`);
      for (const p of t.added.prefixes) lines.push(green(`    + ${p}`));
      if (t.added.count > t.added.prefixes.length)
        lines.push(green(`    + … and ${t.added.count - t.added.prefixes.length} more`));
      for (const p of t.removed.prefixes) lines.push(red(`    - ${p}`));
      if (t.removed.count > t.removed.prefixes.length)
        lines.push(red(`    - … and ${t.removed.count - t.removed.prefixes.length} more`));
      if (t.added.count === 0 && t.removed.count === 0 && !t.error)
        lines.push(`    no changes (${t.unchanged} unchanged)`);
      for (const d of t.drift) lines.push(yellow(`    ~ ${formatDrift(d)}`));
      if (t.error) lines.push(...formatError(t.error, '    ', yellow));
      // A failed (or conflict-refused) target can have made degraded steps before it stopped: say so.
      if (t.degraded && t.status !== 'degraded')
        lines.push(
          yellow('    degraded: the quota could not hold the old and the new list at once; writes had started'),
        );
      if (t.note) lines.push(`    note: ${t.note}`);
    }
  }
  const s = report.summary;
  // A refused run wrote nothing, so its figures are still a plan.
  const planned = report.dryRun || report.status === 'refused';
  lines.push(
    bold(
      planned
        ? `Plan: ${s.add} to add, ${s.remove} to remove, ${s.unchanged} unchanged.`
        : `Applied: ${s.add} added, ${s.remove} removed, ${s.unchanged} unchanged.`,
    ),
  );
  if (report.forced) lines.push(yellow(`Forced: ${report.forced.reason}`));
  if (report.status === 'refused' || report.status === 'failed') {
    lines.push(yellow(`Run ${report.status}${report.status === 'refused' ? ': nothing was written' : ''}.`));
  } else if (report.status === 'degraded') {
    lines.push(yellow('Run degraded: a quota could not hold the old and the new list at once (see the targets).'));
  }
  return `${lines.join('\n')}\n`;
}

function formatDrift(d: Drift): string {
  const ports = d.ports ? ` ${d.ports}` : '';
  const desc = d.description ? ` "${d.description}"` : '';
  return `drift: ${d.resource}${ports} ${d.cidr}${desc} (not ours; kept)`;
}

function formatError(error: ReportError, indent: string, paint: (t: string) => string): string[] {
  const out = [paint(`${indent}! ${error.name}: ${error.message.split('\n').join(`\n${indent}  `)}`)];
  if (error.override) out.push(paint(`${indent}  override: ${error.override}`));
  return out;
}
