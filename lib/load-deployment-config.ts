/**
 * Reads the deployment config for `bin/app.ts`: the `allowlistSync` context key (an inline object) wins; otherwise the
 * JSON or YAML file named by `allowlistSyncConfig` (default `config/sample.json`), relative to the working directory.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../lambda/core/errors';
import { type DeploymentConfig, parseDeploymentConfig } from './deployment-config';

/** The context key of an inline deployment config. */
export const CONFIG_CONTEXT_KEY = 'allowlistSync';
/** The context key naming a deployment config file. */
export const CONFIG_FILE_CONTEXT_KEY = 'allowlistSyncConfig';
/** The file read when neither context key is set. */
export const DEFAULT_CONFIG_FILE = 'config/sample.json';

/** Finds, reads and parses the deployment config; `context` is `(key) => app.node.tryGetContext(key)`. */
export function loadDeploymentConfig(context: (key: string) => unknown, cwd = process.cwd()): DeploymentConfig {
  const inline = context(CONFIG_CONTEXT_KEY);
  if (inline !== undefined) {
    const value = typeof inline === 'string' ? parseText(inline, `context "${CONFIG_CONTEXT_KEY}"`, true) : inline;
    return parseDeploymentConfig(value, `deployment config (context "${CONFIG_CONTEXT_KEY}")`);
  }
  const named = context(CONFIG_FILE_CONTEXT_KEY);
  const file = typeof named === 'string' && named.length > 0 ? named : DEFAULT_CONFIG_FILE;
  const full = path.resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (error) {
    throw new ConfigError(`deployment config ${file}`, [
      `cannot read ${full}: ${(error as Error).message}; set the context key "${CONFIG_FILE_CONTEXT_KEY}" (cdk.json or -c) to your config file`,
    ]);
  }
  return parseDeploymentConfig(parseText(text, file, /\.json$/i.test(file)), `deployment config ${file}`);
}

function parseText(text: string, subject: string, json: boolean): unknown {
  try {
    // YAML is a superset of JSON, but JSON files get JSON's stricter errors.
    return json ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      `deployment config ${subject}`,
      [`not valid ${json ? 'JSON' : 'YAML'}: ${(error as Error).message}`],
      {
        cause: error,
      },
    );
  }
}
