/**
 * Builders of the run report (plain data, see `model.ts`) and its terraform-like text form, which the CLI
 * prints and the handler logs. Pure: the engine passes in the clock readings.
 */

import { AllowlistSyncError } from './errors';
import type { ExpiryWarning } from './expiry';
import {
  type Drift,
  type PrefixCount,
  REPORT_PREFIX_CAP,
  type RunReport,
  type TargetPlan,
  type TargetReport,
  type TargetStatus,
} from './model';
import { plural } from './plural';
import type { Cidr } from './prefix';

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
    // SourceError and ParseError name their source in a typed field: the report's header says which one failed.
    const source = error instanceof AllowlistSyncError ? (error as { source?: unknown }).source : undefined;
    return {
      name: error instanceof AllowlistSyncError || error.name !== 'Error' ? error.name : 'Error',
      message: error.message,
      ...(typeof override === 'string' ? { override } : {}),
      ...(typeof source === 'string' ? { source } : {}),
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
  /**
   * What an applying run's target wrote when it did not write its whole plan (failed or refused); absent when it
   * wrote it all, and on a dry run. The report then counts only these, and keeps the plan as `planned`.
   */
  readonly written?: { readonly add: readonly Cidr[]; readonly remove: readonly Cidr[] };
}

/**
 * One target's report from its (last) plan and outcome. Prefix lists are capped at `prefixCap` (default
 * {@link REPORT_PREFIX_CAP}; the CLI's `--full` passes Infinity); counts are always exact.
 */
export function buildTargetReport(
  plan: TargetPlan,
  outcome: TargetOutcome,
  prefixCap: number = REPORT_PREFIX_CAP,
): TargetReport {
  const counted = (cidrs: readonly string[]): PrefixCount => ({
    count: cidrs.length,
    prefixes: cidrs.slice(0, prefixCap),
  });
  const written = outcome.written;
  return {
    kind: plan.kind,
    targetId: plan.targetId,
    status: outcome.status,
    added: counted(written ? written.add : plan.add),
    removed: counted(written ? written.remove : plan.remove),
    ...(written ? { planned: { added: counted(plan.add), removed: counted(plan.remove) } } : {}),
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
  /** Milliseconds per phase (lambda/engine/phases.ts). */
  readonly phases?: RunReport['phases'];
  readonly forced?: { readonly reason: string };
  readonly allowlists: RunReport['allowlists'];
}

/**
 * The run report: the summary totals and the run status derived from the allowlists. The totals add up the targets'
 * counts, so an applying run's count only what was written; `planned` is added when that is less than the plan.
 */
export function buildRunReport(input: RunReportInput): RunReport {
  let add = 0;
  let remove = 0;
  let unchanged = 0;
  let plannedAdd = 0;
  let plannedRemove = 0;
  let partial = false;
  for (const a of input.allowlists) {
    for (const t of a.targets) {
      add += t.added.count;
      remove += t.removed.count;
      unchanged += t.unchanged;
      plannedAdd += (t.planned?.added ?? t.added).count;
      plannedRemove += (t.planned?.removed ?? t.removed).count;
      partial ||= t.planned !== undefined;
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
    summary: { add, remove, unchanged, ...(partial ? { planned: { add: plannedAdd, remove: plannedRemove } } : {}) },
    ...(input.forced ? { forced: input.forced } : {}),
    allowlists: input.allowlists,
  };
}

/** Options of {@link formatPlanText}. */
export interface PlanTextOptions {
  /** ANSI colours (green adds, red removes, yellow drift and refusals). */
  readonly color: boolean;
  /** Said after `… and N more` when the list was capped, e.g. `--full lists them`. */
  readonly moreHint?: string;
}

/**
 * The report as terraform-like text: per allowlist and target, `+ prefix` / `- prefix` lines (capped), drift, errors
 * with their override, and a closing summary line: `Plan: 3 to add, 1 to remove, 240 unchanged.` for a dry run or a
 * run that wrote nothing, `Applied: …` for a run that wrote its plan, and for a run that stopped part-way what was
 * written and what was not (never the plan's figures as if they had been applied).
 */
export function formatPlanText(report: RunReport, options: PlanTextOptions): string {
  const paint = (code: number, text: string) => (options.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const green = (t: string) => paint(32, t);
  const red = (t: string) => paint(31, t);
  const yellow = (t: string) => paint(33, t);
  const bold = (t: string) => paint(1, t);
  const more = (n: number) => `… and ${n} more${options.moreHint ? ` (${options.moreHint})` : ''}`;
  const lines: string[] = [];
  for (const a of report.allowlists) {
    lines.push(`${bold(`allowlist ${a.name}`)} (${allowlistCounts(a)}) [${a.status}]`);
    if (a.error) lines.push(...formatError(a.error, '  ', yellow));
    if (a.expiring) lines.push(...formatExpiring(a.expiring, yellow));
    if (a.event) {
      const how = a.event.delivered
        ? 'sent to the default event bus'
        : `NOT delivered: ${a.event.error?.name}: ${a.event.error?.message}`;
      lines.push((a.event.delivered ? (t: string) => t : yellow)(`  event "${a.event.detailType}" ${how}`));
    }
    for (const t of a.targets) {
      lines.push(`  ${bold(t.targetId)} [${t.status}]`);
      // A target that stopped part-way lists the change it set out to make, then says how much of it was written.
      const added = t.planned?.added ?? t.added;
      const removed = t.planned?.removed ?? t.removed;
      for (const p of added.prefixes) lines.push(green(`    + ${p}`));
      if (added.count > added.prefixes.length) lines.push(green(`    + ${more(added.count - added.prefixes.length)}`));
      for (const p of removed.prefixes) lines.push(red(`    - ${p}`));
      if (removed.count > removed.prefixes.length)
        lines.push(red(`    - ${more(removed.count - removed.prefixes.length)}`));
      if (added.count === 0 && removed.count === 0 && !t.error) lines.push(`    no changes (${t.unchanged} unchanged)`);
      if (t.planned && (added.count > 0 || removed.count > 0)) {
        lines.push(
          yellow(
            `    written: ${t.added.count} of ${plural(added.count, 'addition')}, ${t.removed.count} of ${plural(removed.count, 'removal')} (${plural(t.writeCalls, 'write call')})`,
          ),
        );
      }
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
  lines.push(bold(summaryText(report)));
  if (report.forced) lines.push(yellow(`Forced: ${report.forced.reason}`));
  if (report.status === 'refused' || report.status === 'failed') {
    lines.push(yellow(`Run ${report.status}${wroteNothing(report) ? ': nothing was written' : ''}.`));
  } else if (report.status === 'degraded') {
    lines.push(yellow('Run degraded: a quota could not hold the old and the new list at once (see the targets).'));
  }
  return `${lines.join('\n')}\n`;
}

/** `  expiring within 14 days: 2` and one line per entry: prefix, owner, expiry, where. */
function formatExpiring(w: ExpiryWarning, paint: (t: string) => string): string[] {
  const out = [paint(`  expiring within ${w.windowDays} days: ${w.count}`)];
  for (const e of w.entries) {
    out.push(paint(`    ! ${e.prefix} owner ${e.owner ?? '(none)'} expires ${e.expires} at ${e.where}`));
  }
  if (w.count > w.entries.length) out.push(paint(`    ! … and ${w.count - w.entries.length} more`));
  return out;
}

/**
 * The closing line's figures. A dry run, or an applying run that wrote nothing, shows its plan; a run that wrote its
 * whole plan says `Applied:`; one that stopped part-way counts only what was written and what was left.
 */
export function summaryText(report: RunReport): string {
  const s = report.summary;
  const planned = s.planned ?? { add: s.add, remove: s.remove };
  const stopped = report.status === 'refused' || report.status === 'failed';
  if (report.dryRun || (stopped && wroteNothing(report))) {
    return `Plan: ${planned.add} to add, ${planned.remove} to remove, ${s.unchanged} unchanged.`;
  }
  if (!s.planned && !stopped) return `Applied: ${s.add} added, ${s.remove} removed, ${s.unchanged} unchanged.`;
  return `Written before the run stopped: ${s.add} added, ${s.remove} removed, ${s.unchanged} unchanged; not written: ${planned.add - s.add} to add, ${planned.remove - s.remove} to remove.`;
}

/** An applying run that made no write call at all (refused at pre-flight, or every target failed before writing). */
function wroteNothing(report: RunReport): boolean {
  if (report.summary.add > 0 || report.summary.remove > 0) return false;
  return report.allowlists.every((a) => a.targets.every((t) => t.writeCalls === 0));
}

/** `243 prefixes, 2 sources`; when a source failed, which one: `0 prefixes, 1 source, failed: s3://b/k`. */
function allowlistCounts(a: RunReport['allowlists'][number]): string {
  const prefixes = plural(a.entries.prefixes[4] + a.entries.prefixes[6], 'prefix', 'prefixes');
  const sources = plural(a.sources ?? a.provenance.length, 'source');
  return a.error?.source ? `${prefixes}, ${sources}, failed: ${a.error.source}` : `${prefixes}, ${sources}`;
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
