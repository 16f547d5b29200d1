/**
 * One invocation of the function, with everything it uses injected: the parsed config, the engine, its deps, the
 * logger and the metrics. `lambda/function/handler.ts` wires the real ones once per container; tests pass a stub engine or
 * the real engine over the fakes.
 *
 * Per run: parse the event strictly → run the engine → publish metrics → log ONE summary line → return the report, or
 * throw when the run was refused or failed (after logging it), so that the Errors alarm and the async dead-letter
 * queue see it. A bad payload is logged and thrown before the engine is called: zero AWS calls.
 *
 * Idempotence under Lambda's own async retries and overlap is the engine's (a converged run writes nothing; a newer
 * generation wins); the run id is the Lambda request id, which async retries of one event share.
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { RuntimeConfig } from '../config';
import type { RunReport } from '../core/model';
import { redact, redactText } from '../core/redact';
import type { EngineOptions } from '../engine';
import { isIgnored, parseInvokeEvent, type RunRequest } from './events';
import { logRun, publishRunMetrics } from './observability';
import { buildResponse, type IgnoredResponse, type InvokeResponse, isRunFailure, RunFailedError } from './response';

/** The options the handler passes to the engine. */
export type RunOptions = EngineOptions;

/** The engine's signature (`runEngine` of lambda/engine/index.ts), generic over its deps so tests can stub it. */
export type RunEngine<D> = (config: RuntimeConfig, options: RunOptions, deps: D) => Promise<RunReport>;

/** What an invocation runs with. */
export interface InvocationDeps<D> {
  readonly config: RuntimeConfig;
  readonly engine: RunEngine<D>;
  /** The engine's deps (clients, clock, sleep), built once per container. */
  readonly engineDeps: D;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default Date.now */
  readonly now?: () => number;
  /**
   * Returns the engine's deps with a run budget (ms). The handler derives the budget from the invocation's remaining
   * time, so the engine stops writing, and the run lock expires, before Lambda kills the function.
   */
  readonly withBudget?: (engineDeps: D, budgetMs: number) => D;
}

/** Time kept back from the function's remaining time for the report, the log line and the metrics. */
export const REPORT_MARGIN_MS = 15_000;

/** The subset of the Lambda context the handler reads. */
export interface InvocationContext {
  readonly awsRequestId?: string;
  /** Lambda's remaining time for this invocation. */
  getRemainingTimeInMillis?(): number;
}

/** The Lambda handler: an event in, the run's response out (or a thrown error). */
export type AllowlistSyncHandler = (
  event: unknown,
  context?: InvocationContext,
) => Promise<InvokeResponse | IgnoredResponse>;

/** Builds the handler over injected deps. */
export function createHandler<D>(deps: InvocationDeps<D>): AllowlistSyncHandler {
  const now = deps.now ?? Date.now;
  return async (event, context) => {
    let parsed: ReturnType<typeof parseInvokeEvent>;
    try {
      parsed = parseInvokeEvent(event, deps.config);
    } catch (error) {
      deps.logger.error('allowlist-sync: the invoke payload was rejected; nothing was run', {
        run: { status: 'rejected', error: redact(errorFields(error)) },
      });
      throw error;
    }
    if (isIgnored(parsed)) {
      const summary = `Ignored: ${parsed.ignored}.`;
      deps.logger.info(redactText(summary), { run: redact({ status: 'ignored', reason: parsed.ignored }) });
      return { summary, ignored: parsed.ignored };
    }
    const remaining = context?.getRemainingTimeInMillis?.();
    const engineDeps =
      remaining !== undefined && deps.withBudget
        ? deps.withBudget(deps.engineDeps, Math.max(1_000, remaining - REPORT_MARGIN_MS))
        : deps.engineDeps;
    const report = await runOrLog({ ...deps, engineDeps }, parsed, context?.awsRequestId);
    const response = buildResponse(report);
    publishRunMetrics(deps.metrics, report, now());
    logRun(deps.logger, report, response.summary, parsed);
    if (isRunFailure(report)) throw new RunFailedError(report);
    return response;
  };
}

/** Runs the engine; an exception from it (a bug, an invalid option) is logged as the run's one line, then rethrown. */
async function runOrLog<D>(
  deps: InvocationDeps<D>,
  request: RunRequest,
  runId: string | undefined,
): Promise<RunReport> {
  const options: RunOptions = {
    dryRun: request.dryRun,
    trigger: request.trigger,
    ...(request.allowlists ? { allowlists: request.allowlists } : {}),
    ...(request.force ? { force: request.force } : {}),
    ...(runId ? { runId } : {}),
  };
  try {
    return await deps.engine(deps.config, options, deps.engineDeps);
  } catch (error) {
    deps.logger.error('allowlist-sync: the run failed before it produced a report', {
      run: redact({
        status: 'failed',
        trigger: request.trigger,
        dryRun: request.dryRun,
        ...(request.force ? { forced: request.force } : {}),
        ...(request.allowlists ? { allowlists: request.allowlists } : {}),
        error: errorFields(error),
      }),
    });
    throw error;
  }
}

function errorFields(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: 'Error', message: String(error) };
}
