/**
 * The RuntimeConfig as the stack delivers it (docs/runtime-config-delivery.md): one SSM String parameter per
 * allowlist, `<path>/<allowlist>`, each holding that allowlist's whole RuntimeConfig entry with its filters' ids
 * resolved by CloudFormation at deploy. The function's environment carries only the path and the allowlist names, so a
 * missing parameter is an error naming it, never a silently skipped allowlist.
 *
 * The function reads the parameters at every run (`GetParametersByPath`, at most 10 per call: docs/aws-behaviour.md
 * §40) and parses only when a parameter's version changed: a stack update that replaces a group rewrites the
 * parameter but not the function, so a warm container never runs a previous deployment's ids. The CLI's
 * `plan --stack NAME` reads them with this same code.
 */
import {
  GetParametersByPathCommand,
  type GetParametersByPathCommandOutput,
  type Parameter,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { AllowlistSchema, parseRuntimeConfig, type RuntimeConfig, zodIssues } from '../config';
import { CONFIG_ALLOWLISTS_ENV, CONFIG_PATH_ENV, configParameterName, PARAMETERS_PER_CALL } from '../config/parameters';
import { ConfigError } from '../core/errors';

export {
  CONFIG_ALLOWLISTS_ENV,
  CONFIG_PATH_ENV,
  configAllowlistsParameterName,
  configParameterName,
  configParameterPath,
  PARAMETERS_PER_CALL,
} from '../config/parameters';

/** Where a deployment's config lives and which allowlists it must hold. */
export interface ConfigLocation {
  readonly path: string;
  readonly allowlists: readonly string[];
}

/** Reads the location from the function's environment, or undefined when it carries none. */
export function readConfigLocation(env: NodeJS.ProcessEnv): ConfigLocation | undefined {
  const path = env[CONFIG_PATH_ENV];
  if (path === undefined || path.trim() === '') return undefined;
  const names = (env[CONFIG_ALLOWLISTS_ENV] ?? '').split(',').filter((n) => n !== '');
  if (!path.startsWith('/') || names.length === 0) {
    throw new ConfigError(`the environment of the function`, [
      `${CONFIG_PATH_ENV}="${path}", ${CONFIG_ALLOWLISTS_ENV}="${env[CONFIG_ALLOWLISTS_ENV] ?? ''}": the stack sets an SSM path starting with "/" and at least one allowlist name; deploy the stack again`,
    ]);
  }
  return { path, allowlists: names };
}

/** One read: the parsed config and a key that changes whenever any parameter does. */
export interface LoadedConfig {
  readonly config: RuntimeConfig;
  /** `name@version` of every parameter read, in order: equal keys mean equal configs. */
  readonly key: string;
  /** GetParametersByPath calls this read made. */
  readonly calls: number;
}

/**
 * Reads a deployment's config from SSM. Keeps the last parsed config and re-parses only when a parameter's version
 * changed (parsing 25 allowlists costs milliseconds, the call tens: docs/runtime-config-delivery.md).
 */
export class SsmConfigStore {
  private last?: LoadedConfig;

  constructor(
    private readonly ssm: SSMClient,
    readonly location: ConfigLocation,
  ) {}

  /** Reads every parameter under the path, checks each expected allowlist has one, and parses them. */
  async load(): Promise<LoadedConfig> {
    const { parameters, calls } = await readParameters(this.ssm, this.location.path);
    const key = this.location.allowlists
      .map((name) => `${name}@${parameters.get(configParameterName(this.location.path, name))?.Version ?? '-'}`)
      .join(',');
    if (this.last?.key === key) return { ...this.last, calls };
    this.last = { config: parseParameters(this.location, parameters), key, calls };
    return this.last;
  }
}

/** Every parameter under `path` (one level), following NextToken; an SSM error names the path and the fix. */
async function readParameters(
  ssm: SSMClient,
  path: string,
): Promise<{ parameters: Map<string, Parameter>; calls: number }> {
  const parameters = new Map<string, Parameter>();
  let token: string | undefined;
  let calls = 0;
  do {
    let out: GetParametersByPathCommandOutput;
    try {
      out = await ssm.send(
        new GetParametersByPathCommand({
          Path: path,
          Recursive: false,
          MaxResults: PARAMETERS_PER_CALL,
          ...(token ? { NextToken: token } : {}),
        }),
      );
    } catch (error) {
      const name = (error as { name?: string }).name ?? 'Error';
      const fix =
        name === 'AccessDeniedException'
          ? `allow ssm:GetParametersByPath on the path's ARN (…:parameter${path}); the stack grants it to its function`
          : 'check the Region and the credentials, then run again';
      throw new ConfigError(
        `the RuntimeConfig under SSM path ${path}`,
        [`GetParametersByPath failed: ${name}: ${(error as Error).message}; ${fix}`],
        { cause: error },
      );
    }
    calls += 1;
    for (const p of out.Parameters ?? []) if (p.Name) parameters.set(p.Name, p);
    token = out.NextToken;
  } while (token);
  return { parameters, calls };
}

/**
 * Parses each expected allowlist's parameter with the function's own schema, collecting every problem (each naming
 * its parameter) before throwing once. Parameters under the path that are not expected are left alone: during a stack
 * update, one being removed is still there until the cleanup.
 */
export function parseParameters(location: ConfigLocation, parameters: ReadonlyMap<string, Parameter>): RuntimeConfig {
  const issues: string[] = [];
  const entries: unknown[] = [];
  for (const name of location.allowlists) {
    const parameterName = configParameterName(location.path, name);
    const value = parameters.get(parameterName)?.Value;
    if (value === undefined) {
      issues.push(
        `${parameterName}: missing; the stack writes one parameter per allowlist: deploy the stack again, or check that nothing deleted it`,
      );
      continue;
    }
    let entry: unknown;
    try {
      entry = JSON.parse(value);
    } catch (error) {
      issues.push(`${parameterName}: not valid JSON (${(error as Error).message}); deploy the stack again`);
      continue;
    }
    const result = AllowlistSchema.safeParse(entry);
    if (!result.success) {
      issues.push(...zodIssues(result.error).map((i) => `${parameterName}: ${i}`));
      continue;
    }
    if (result.data.name !== name) {
      issues.push(
        `${parameterName}: holds allowlist "${result.data.name}", expected "${name}"; deploy the stack again`,
      );
      continue;
    }
    entries.push(entry);
  }
  const subject = `the RuntimeConfig under SSM path ${location.path}`;
  if (issues.length > 0) throw new ConfigError(subject, issues);
  return parseRuntimeConfig({ version: 1, allowlists: entries }, subject);
}
