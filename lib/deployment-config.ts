/**
 * The deployment config: what `cdk deploy` creates or manages, per environment and per allowlist. `bin/app.ts` reads
 * it from the `allowlistSync` context key or from the JSON/YAML file named by `allowlistSyncConfig`, and parses it here
 * at synth, listing EVERY problem with its field, so a bad config fails `cdk synth` instead of a 3 a.m. run.
 *
 * Allowlists are defined once; each environment runs some or all of them with its own values for what differs by
 * account or Region, and may override the top-level defaults (schedule, alarm e-mail, ...). lib/resolve-environment.ts
 * resolves one environment and checks the rules only a resolved environment shows. docs/configuration.md is the
 * reference. Sources, policy and guardrails are RuntimeConfig's own schemas (lambda/config/index.ts): one truth, the
 * function parses them again at run time. Pure: no CDK, no I/O.
 */
import type * as z from 'zod';
import { zodIssues } from '../lambda/config';
import { ConfigError } from '../lambda/core/errors';
import { ConfigAllowlistSchema } from './allowlist-config';
import { type DeploymentConfig, DeploymentConfigSchema, EnvironmentSchema } from './deployment-config-schema';
import { type ConfigParts, crossFieldIssues } from './resolve-environment';

export {
  type ConfigAllowlist,
  ConfigAllowlistSchema,
  type DeployAllowlist,
  DeployAllowlistSchema,
  NameSchema,
} from './allowlist-config';
export { type ForwardedIpConfig, ForwardedIpSchema } from './credential-config';
export {
  type DeploymentConfig,
  DeploymentConfigSchema,
  type Environment,
  EnvironmentSchema,
} from './deployment-config-schema';
export {
  type EnvironmentAllowlist,
  EnvironmentAllowlistSchema,
  type PrefixListsConfig,
  PrefixListsSchema,
  type SecurityGroupsConfig,
  SecurityGroupsSchema,
  type ShareConfig,
  ShareSchema,
  type WafIpSetsConfig,
  WafIpSetsSchema,
} from './filter-config';

/**
 * Parses a deployment config, or throws one {@link ConfigError} that lists every problem with its field: the schema's,
 * then the rules only resolved environments show (lib/resolve-environment.ts). When the schema refuses part of the
 * config, the rules still run over the environments and allowlists that parsed, so one synth shows everything.
 */
export function parseDeploymentConfig(value: unknown, subject = 'deployment config'): DeploymentConfig {
  const result = DeploymentConfigSchema.safeParse(value);
  if (result.success) {
    const issues = crossFieldIssues(result.data);
    if (issues.length > 0) throw new ConfigError(subject, issues);
    return result.data;
  }
  throw new ConfigError(subject, [...schemaIssues(result.error), ...crossFieldIssues(parsedParts(value))]);
}

/** What an environment may give for an allowlist, for the message that refuses anything else. */
const PER_ENVIRONMENT_FIELDS =
  'kmsKeyArns, securityGroups.create.vpcId, securityGroups.existing.groupIds, wafIpSets.scope, prefixLists.ipv4.share and prefixLists.ipv6.share';

/** The schema's issues, one line each; an unknown field in an environment's allowlist says what may be given there. */
function schemaIssues(error: z.ZodError): string[] {
  const lines = zodIssues(error);
  return error.issues.map((issue, i) => {
    const [head, , key] = issue.path;
    if (
      issue.code !== 'unrecognized_keys' ||
      head !== 'environments' ||
      key !== 'allowlists' ||
      issue.path.length < 4
    ) {
      return lines[i]!;
    }
    return `${lines[i]}: an environment gives only ${PER_ENVIRONMENT_FIELDS}; the rest is the allowlist's, the same in every environment`;
  });
}

/** The environments and allowlists of a config the schema refused that parse on their own, and its defaults. */
function parsedParts(value: unknown): ConfigParts {
  const object = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  // Each part keeps its index (undefined where refused), so the paths of the issues stay true.
  const each = <T>(items: unknown, schema: z.ZodType<T>): (T | undefined)[] =>
    Array.isArray(items) ? items.map((item) => schema.safeParse(item).data) : [];
  const allowlists = each(object.allowlists, ConfigAllowlistSchema);
  const refusedAllowlistNames = (Array.isArray(object.allowlists) ? (object.allowlists as unknown[]) : []).flatMap(
    (a, i) => {
      const name = (a as { name?: unknown } | null)?.name;
      return allowlists[i] === undefined && typeof name === 'string' ? [name] : [];
    },
  );
  const { environments: _e, allowlists: _a, ...rest } = object;
  const defaults = DeploymentConfigSchema.omit({ environments: true, allowlists: true }).safeParse(rest).data;
  return {
    scheduleMinutes: defaults?.scheduleMinutes ?? 15,
    quotaHeadroomAlarmBelow: defaults?.quotaHeadroomAlarmBelow ?? 10,
    ...(defaults?.credentialBinding ? { credentialBinding: defaults.credentialBinding } : {}),
    environments: each(object.environments, EnvironmentSchema),
    allowlists,
    refusedAllowlistNames,
  };
}
