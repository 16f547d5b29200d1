/**
 * The Lambda entry point. Once per container (at cold start): the logger, the metrics and where the RuntimeConfig
 * comes from. The stack's function reads it from SSM (`ALLOWLIST_SYNC_CONFIG_PATH`, lambda/engine/config-store.ts) at
 * every run, re-parsing and rebuilding the engine's deps only when a parameter changed, so a warm container never runs
 * a previous deployment's ids (docs/runtime-config-delivery.md). A function deployed by hand may instead carry the
 * whole RuntimeConfig JSON in `ALLOWLIST_SYNC_CONFIG` (4 KB at most), read once here. A bad environment throws at
 * init; a bad or missing parameter fails the run with every problem listed by parameter and field, before any target
 * is read. Each invocation is then {@link createHandler}'s: parse the event → run the engine → metrics → one log line.
 */

import { SSMClient } from '@aws-sdk/client-ssm';
import { CONFIG_ENV, parseRuntimeConfigJson, type RuntimeConfig } from '../config';
import { ConfigError } from '../core/errors';
import { redact } from '../core/redact';
import { runEngine } from '../engine';
import { createEngineDeps } from '../engine/aws-deps';
import { CONFIG_PATH_ENV, readConfigLocation, SsmConfigStore } from '../engine/config-store';
import { type AllowlistSyncHandler, createHandler } from './invocation';
import { createLogger, createMetrics } from './observability';

/** Reads the RuntimeConfig from `ALLOWLIST_SYNC_CONFIG`, or throws a ConfigError naming each bad field. */
export function readConfigFromEnv(env: NodeJS.ProcessEnv): RuntimeConfig {
  const text = env[CONFIG_ENV];
  const subject = `RuntimeConfig from ${CONFIG_ENV}`;
  if (text === undefined || text.trim() === '') {
    throw new ConfigError(subject, [
      `${CONFIG_ENV}: not set, nor ${CONFIG_PATH_ENV}; the stack sets ${CONFIG_PATH_ENV} to the SSM path of the config`,
    ]);
  }
  return parseRuntimeConfigJson(text, subject);
}

const logger = createLogger();
const metrics = createMetrics();

/** The handler over one parsed config: its engine deps (clients, caches, WAF pacing) live as long as the config. */
function handlerFor(config: RuntimeConfig): AllowlistSyncHandler {
  return createHandler({
    config,
    engine: runEngine,
    engineDeps: createEngineDeps(config, { runner: 'lambda' }),
    logger,
    metrics,
    // The run budget follows the invocation's remaining time, so writes stop (and the run lock expires) before the
    // function's timeout, whatever the stack configured.
    withBudget: (deps, runBudgetMs) => ({ ...deps, runBudgetMs }),
  });
}

/** A handler that reads the config from SSM at every run and rebuilds itself when the config changed. */
function ssmHandler(store: SsmConfigStore): AllowlistSyncHandler {
  let current: { key: string; handler: AllowlistSyncHandler } | undefined;
  return async (event, context) => {
    let loaded: Awaited<ReturnType<SsmConfigStore['load']>>;
    try {
      loaded = await store.load();
    } catch (error) {
      logger.error('allowlist-sync: the RuntimeConfig could not be read; nothing was run', {
        run: redact({ status: 'failed', error: { name: (error as Error).name, message: (error as Error).message } }),
      });
      throw error;
    }
    if (current?.key !== loaded.key) current = { key: loaded.key, handler: handlerFor(loaded.config) };
    return current.handler(event, context);
  };
}

const location = readConfigLocation(process.env);

/** The function's handler (see lambda/function/invocation.ts for one invocation). */
export const handler: AllowlistSyncHandler = location
  ? ssmHandler(new SsmConfigStore(new SSMClient({}), location))
  : handlerFor(readConfigFromEnv(process.env));
