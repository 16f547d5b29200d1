/**
 * How plan, apply and invoke print a run and pick their exit code. Shared, so the laptop and the deployed function
 * look the same to the operator: terraform-like text (colour only on a terminal), or the RunReport as JSON.
 */

import type { RunReport } from '../../lambda/core/model';
import { formatPlanText } from '../../lambda/core/report';
import { Exit, type Io } from './io';

/** Output options common to plan, apply and invoke. */
export interface RenderOptions {
  readonly json: boolean;
  /** `--no-color` given. */
  readonly noColor: boolean;
  /** Said after `… and N more` when a target's list was capped (plan and apply: `--full lists them`). */
  readonly moreHint?: string;
}

/** Whether to colour: only on a terminal, never with `--no-color` or `NO_COLOR` (https://no-color.org). */
export function shouldColor(io: Io, noColor: boolean): boolean {
  if (noColor) return false;
  const env = io.env.NO_COLOR;
  if (env !== undefined && env !== '') return false;
  return io.stdout.isTTY === true;
}

/** Prints the report: JSON for `--json`, terraform-like text otherwise. */
export function printReport(io: Io, report: RunReport, options: RenderOptions): void {
  if (options.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  io.stdout.write(
    formatPlanText(report, {
      color: shouldColor(io, options.noColor),
      ...(options.moreHint ? { moreHint: options.moreHint } : {}),
    }),
  );
}

/**
 * The exit code of a run, like `terraform plan -detailed-exitcode`: 1 when refused or failed; for a dry run 2 when
 * anything would change, else 0; for an applying run 0.
 */
export function exitCodeOf(report: RunReport): number {
  if (report.status === 'refused' || report.status === 'failed') return Exit.ERROR;
  if (report.dryRun && (report.summary.add > 0 || report.summary.remove > 0)) return Exit.CHANGES;
  return Exit.OK;
}
