/**
 * The Lambda entry point. Once per container (at cold start): read and validate the RuntimeConfig from
 * `ALLOWLIST_SYNC_CONFIG`, create the SDK clients, the logger and the metrics. A bad config throws here, so the
 * function fails loudly at init with every problem listed by field, before any event is read. Each invocation is
 * {@link createHandler}'s: parse the event → run the engine → metrics → one log line → the report, or a throw.
 */

import { CONFIG_ENV, parseRuntimeConfigJson, type RuntimeConfig } from '../config';
import { ConfigError } from '../core/errors';
import { runEngine } from '../engine';
import { createEngineDeps } from '../engine/aws-deps';
import { type AllowlistSyncHandler, createHandler } from './invocation';
import { createLogger, createMetrics } from './observability';

/** Reads the RuntimeConfig from the environment, or throws a ConfigError naming each bad field. */
export function readConfigFromEnv(env: NodeJS.ProcessEnv): RuntimeConfig {
  const text = env[CONFIG_ENV];
  const subject = `RuntimeConfig from ${CONFIG_ENV}`;
  if (text === undefined || text.trim() === '') {
    throw new ConfigError(subject, [`${CONFIG_ENV}: not set; the stack sets it to the RuntimeConfig JSON`]);
  }
  return parseRuntimeConfigJson(text, subject);
}

const config = readConfigFromEnv(process.env);

/** The function's handler (see lambda/function/invocation.ts for one invocation). */
export const handler: AllowlistSyncHandler = createHandler({
  config,
  engine: runEngine,
  engineDeps: createEngineDeps(config, { runner: 'lambda' }),
  logger: createLogger(),
  metrics: createMetrics(),
  // The run budget follows the invocation's remaining time, so writes stop (and the run lock expires) before the
  // function's timeout, whatever the stack configured.
  withBudget: (deps, runBudgetMs) => ({ ...deps, runBudgetMs }),
});
