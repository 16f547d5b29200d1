/**
 * What an invocation returns and how a failed run is raised: the run report with a one-line summary in front, and
 * the error a refused or failed run throws so that the function's Errors metric, its alarm and the async dead-letter
 * queue all see it. Pure: no I/O.
 */
import { AllowlistSyncError } from '../core/errors';
import type { RunReport } from '../core/model';

/** The function's response: the summary line an operator reads first, then the whole report. */
export interface InvokeResponse {
  /** e.g. `Plan: 3 to add, 1 to remove, 240 unchanged.` */
  readonly summary: string;
  readonly report: RunReport;
}

/** The response to an event that asked for nothing (an S3 object that no allowlist reads). */
export interface IgnoredResponse {
  readonly summary: string;
  readonly ignored: string;
}

/** A run that was refused or failed. Its message is the summary line; `report` is the whole report. */
export class RunFailedError extends AllowlistSyncError {
  override name = 'RunFailedError';
  constructor(readonly report: RunReport) {
    super(summaryLine(report));
  }
}

/** Whether a run must throw: any refusal or failure, so that alarms and the dead-letter queue see it. */
export function isRunFailure(report: RunReport): boolean {
  return report.status === 'refused' || report.status === 'failed';
}

/**
 * The one-line summary of a run, terraform-style:
 * `Plan: 3 to add, 1 to remove, 240 unchanged.` (dry run), `Applied: 3 added, 1 removed, 240 unchanged.`,
 * `Refused: <why> Override: <how>.`, `Failed: <why>`. A forced run says so, with its reason.
 */
export function summaryLine(report: RunReport): string {
  return `${runLine(report)}${expiringLine(report)}${undeliveredLine(report)}`;
}

/**
 * ` Expiring within 14 days: partners 2 (alice@example.com, bob@example.com).` when entries are about to lapse, so
 * the run's one log line names their owners.
 */
function expiringLine(report: RunReport): string {
  const parts: string[] = [];
  const windows = new Set<number>();
  for (const a of report.allowlists) {
    if (!a.expiring) continue;
    windows.add(a.expiring.windowDays);
    const owners = [...new Set(a.expiring.entries.map((e) => e.owner ?? '(no owner)'))];
    const more = a.expiring.count > a.expiring.entries.length ? ', …' : '';
    parts.push(`${a.name} ${a.expiring.count} (${owners.join(', ')}${more})`);
  }
  if (parts.length === 0) return '';
  const days = windows.size === 1 ? `${[...windows][0]} days` : 'their windows';
  return ` Expiring within ${days}: ${parts.join('; ')}.`;
}

/** ` Change event not delivered: partners (AccessDeniedException).` when PutEvents failed. */
function undeliveredLine(report: RunReport): string {
  const failed = report.allowlists.filter((a) => a.event && !a.event.delivered);
  if (failed.length === 0) return '';
  return ` Change event not delivered: ${failed.map((a) => `${a.name} (${a.event?.error?.name ?? 'unknown'})`).join(', ')}.`;
}

function runLine(report: RunReport): string {
  const { add, remove, unchanged } = report.summary;
  const forced = report.forced ? ` Forced: ${report.forced.reason}.` : '';
  if (isRunFailure(report)) {
    const problem = firstProblem(report);
    const verb = report.status === 'refused' ? 'Refused' : 'Failed';
    const what = problem ? describeProblem(problem) : `the run ended ${report.status}.`;
    const override = problem?.override ? ` Override: ${problem.override}.` : '';
    return `${verb}: ${what}${override}${written(report)}${forced}`;
  }
  const counts = report.dryRun
    ? `Plan: ${add} to add, ${remove} to remove, ${unchanged} unchanged.`
    : `Applied: ${add} added, ${remove} removed, ${unchanged} unchanged.`;
  const degraded = report.status === 'degraded' ? ' Degraded: a quota cannot hold the old and new list at once.' : '';
  return `${counts}${degraded}${forced}`;
}

/**
 * What a refused or failed applying run wrote, so its one line never leaves the plan's figures to be read as applied:
 * ` Written: 40 added, 0 removed; not written: 158 to add, 0 to remove.`; empty for a dry run or a run with no plan.
 */
function written(report: RunReport): string {
  const s = report.summary;
  if (report.dryRun || s.planned === undefined) return '';
  return ` Written: ${s.add} added, ${s.remove} removed; not written: ${s.planned.add - s.add} to add, ${s.planned.remove - s.remove} to remove.`;
}

/** Builds the function's response for a finished run. */
export function buildResponse(report: RunReport): InvokeResponse {
  return { summary: summaryLine(report), report };
}

interface Problem {
  readonly where: string;
  readonly message: string;
  readonly override?: string;
}

/** The first refusal or failure in report order: an allowlist's own error, then its targets'. */
function firstProblem(report: RunReport): Problem | undefined {
  for (const allowlist of report.allowlists) {
    if (allowlist.error) return { where: allowlist.name, ...allowlist.error };
    for (const target of allowlist.targets) {
      if (target.error) return { where: `${allowlist.name} ${target.targetId}`, ...target.error };
    }
  }
  return undefined;
}

/** `where: message.`, without repeating a where the message already names (the engine's messages often do). */
function describeProblem(problem: Problem): string {
  const message = firstLine(problem.message);
  const named = message.startsWith(problem.where.split(' ')[0] ?? problem.where);
  const text = named ? message : `${problem.where}: ${message}`;
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}
