/**
 * One environment of the deployment config, resolved: the allowlists it runs, each with the environment's own values
 * in place of the shared definition's, and the top-level defaults it does not override. Also every rule that only a
 * resolved environment shows (a CLOUDFRONT scope outside us-east-1, a share with the environment's own account, a
 * VPC id that nobody gives, credential binding), each reported at the path where the value that breaks it was
 * written. Pure: no CDK, no I/O. The reference is docs/configuration.md.
 */

import { issuePath } from '../lambda/config/zod-issues';
import { ConfigError } from '../lambda/core/errors';
import { type ConfigAllowlist, type DeployAllowlist, DeployAllowlistSchema } from './allowlist-config';
import { type CredentialBindingConfig, credentialIssues } from './credential-config';
import type { DeploymentConfig, Environment } from './deployment-config-schema';
import type { EnvironmentAllowlist } from './filter-config';

/** What one environment's stack deploys: the `AllowlistSync` construct's settings for it. */
export interface ResolvedEnvironment {
  /** The environment: its name, account and Region. */
  readonly environment: Environment;
  /** The allowlists it runs, in the order of the top-level `allowlists`, with its values in place. */
  readonly allowlists: DeployAllowlist[];
  /** Minutes between scheduled runs. */
  readonly scheduleMinutes: number;
  /** The e-mail address subscribed to the alarm topic, if any. */
  readonly alarmEmail?: string;
  /** Alarm when a target has fewer free entries than this. */
  readonly quotaHeadroomAlarmBelow: number;
  /** Days the change events are archived, if they are. */
  readonly changeEventArchiveDays?: number;
  /** Credential binding's stack-wide options, when one of its allowlists binds a credential. */
  readonly credentialBinding?: CredentialBindingConfig;
}

/**
 * What the checks read. A part is `undefined` where the schema refused it, so the checks still run over the rest and
 * one synth lists every problem (lib/deployment-config.ts `parseDeploymentConfig`).
 */
export interface ConfigParts
  extends Pick<
    DeploymentConfig,
    'scheduleMinutes' | 'alarmEmail' | 'quotaHeadroomAlarmBelow' | 'changeEventArchiveDays' | 'credentialBinding'
  > {
  readonly environments: readonly (Environment | undefined)[];
  readonly allowlists: readonly (ConfigAllowlist | undefined)[];
  /** Names of allowlists the schema refused: an environment that runs one is not told it is undefined. */
  readonly refusedAllowlistNames?: readonly string[];
}

type Path = (string | number)[];
/** A problem; `environment` is set when the same problem may occur in several environments and is said once. */
interface Issue {
  readonly path: Path;
  readonly message: string;
  readonly environment?: string;
}

/** Resolves one environment of a parsed config; throws a {@link ConfigError} naming every problem it has. */
export function resolveEnvironment(config: DeploymentConfig, environmentName: string): ResolvedEnvironment {
  const index = config.environments.findIndex((e) => e.name === environmentName);
  if (index < 0) {
    throw new ConfigError('deployment config', [
      `environments: no environment "${environmentName}"; the environments are ${names(config.environments)}`,
    ]);
  }
  const { resolved, issues } = resolveAt(config, index);
  if (issues.length > 0) {
    throw new ConfigError(`deployment config, environment "${environmentName}"`, format(issues));
  }
  return resolved;
}

/** Every problem the schema cannot see, over every environment, one line each with its full path. */
export function crossFieldIssues(config: ConfigParts): string[] {
  const issues: Issue[] = [];
  issues.push(
    ...duplicates(config.environments, 'environments', 'environment', "the name is its stack's, AllowlistSync-<name>"),
  );
  issues.push(
    ...duplicates(config.allowlists, 'allowlists', 'allowlist', 'the name is the owner tag of every rule it writes'),
  );
  if (config.credentialBinding !== undefined && !config.allowlists.some((a) => a?.wafIpSets?.credential)) {
    issues.push({
      path: ['credentialBinding'],
      message:
        'no allowlist binds a credential: add "credential" to an allowlist\'s wafIpSets, or remove "credentialBinding"',
    });
  }
  const resolved: { index: number; env: ResolvedEnvironment }[] = [];
  config.environments.forEach((environment, index) => {
    if (environment === undefined) return;
    const result = resolveAt(config, index);
    issues.push(...result.issues);
    resolved.push({ index, env: result.resolved });
  });
  issues.push(...sharedStateIssues(resolved));
  return format(issues);
}

function resolveAt(config: ConfigParts, envIndex: number): { resolved: ResolvedEnvironment; issues: Issue[] } {
  const environment = config.environments[envIndex]!;
  const issues: Issue[] = [];
  const defined = new Map<string, { index: number; allowlist: ConfigAllowlist }>();
  config.allowlists.forEach((allowlist, index) => {
    if (allowlist !== undefined && !defined.has(allowlist.name)) defined.set(allowlist.name, { index, allowlist });
  });
  const here: Path = ['environments', envIndex, 'allowlists'];
  const runs: [string, EnvironmentAllowlist][] = environment.allowlists
    ? Object.entries(environment.allowlists)
    : [...defined.keys()].map((name) => [name, {}]);
  if (environment.allowlists !== undefined && runs.length === 0) {
    issues.push({
      path: here,
      message: `environment "${environment.name}" runs no allowlist: name at least one of ${names([...defined.values()].map((d) => d.allowlist))}, or leave "allowlists" out to run them all`,
    });
  }
  const picked: { index: number; allowlist: DeployAllowlist }[] = [];
  for (const [name, override] of runs) {
    const definition = defined.get(name);
    if (definition === undefined) {
      if (config.refusedAllowlistNames?.includes(name)) continue;
      issues.push({
        path: [...here, name],
        message: `environment "${environment.name}" runs allowlist "${name}", which is not defined; the allowlists are ${names([...defined.values()].map((d) => d.allowlist))}: fix the name, or define "${name}" under "allowlists"`,
      });
      continue;
    }
    const result = resolveAllowlist(environment, envIndex, definition.index, definition.allowlist, override);
    issues.push(...result.issues);
    if (result.allowlist !== undefined) picked.push({ index: definition.index, allowlist: result.allowlist });
  }
  picked.sort((a, b) => a.index - b.index);
  const allowlists = picked.map((p) => p.allowlist);
  // Binding options apply to the stacks whose allowlists bind a credential; the others would be told to drop them.
  const binding = allowlists.some((a) => a.wafIpSets?.credential) ? config.credentialBinding : undefined;
  for (const issue of credentialIssues(allowlists, binding)) {
    const [head, position, ...rest] = issue.path;
    const path =
      head === 'allowlists' && typeof position === 'number' ? [head, picked[position]!.index, ...rest] : issue.path;
    issues.push({ path, message: issue.message, environment: environment.name });
  }
  const alarmEmail = environment.alarmEmail ?? config.alarmEmail;
  const archiveDays = environment.changeEventArchiveDays ?? config.changeEventArchiveDays;
  const resolved: ResolvedEnvironment = {
    environment,
    allowlists,
    scheduleMinutes: environment.scheduleMinutes ?? config.scheduleMinutes,
    quotaHeadroomAlarmBelow: environment.quotaHeadroomAlarmBelow ?? config.quotaHeadroomAlarmBelow,
    ...(alarmEmail !== undefined ? { alarmEmail } : {}),
    ...(archiveDays !== undefined ? { changeEventArchiveDays: archiveDays } : {}),
    ...(binding !== undefined ? { credentialBinding: binding } : {}),
  };
  return { resolved, issues };
}

/** One allowlist with one environment's values in place, or the problems that stop it. */
function resolveAllowlist(
  environment: Environment,
  envIndex: number,
  topIndex: number,
  definition: ConfigAllowlist,
  override: EnvironmentAllowlist,
): { allowlist?: DeployAllowlist; issues: Issue[] } {
  const top: Path = ['allowlists', topIndex];
  const over: Path = ['environments', envIndex, 'allowlists', definition.name];
  const issues: Issue[] = [];
  const merged = structuredClone(definition);
  const lacks = (field: Path, what: string) =>
    issues.push({
      path: [...over, ...field],
      message: `allowlist "${definition.name}" has no ${what} (${issuePath([...top, ...field])}), so environment "${environment.name}" has nothing to give a value for: remove "${field.join('.')}" here, or add it to the allowlist`,
    });

  if (override.kmsKeyArns !== undefined) merged.kmsKeyArns = override.kmsKeyArns;
  const groups = override.securityGroups;
  if (groups?.create !== undefined) {
    if (merged.securityGroups?.create === undefined) lacks(['securityGroups', 'create'], 'security groups to create');
    else merged.securityGroups.create.vpcId = groups.create.vpcId;
  }
  if (groups?.existing !== undefined) {
    if (merged.securityGroups?.existing === undefined)
      lacks(['securityGroups', 'existing'], 'existing security groups');
    else merged.securityGroups.existing.groupIds = groups.existing.groupIds;
  }
  if (override.wafIpSets !== undefined) {
    if (merged.wafIpSets === undefined) lacks(['wafIpSets'], 'WAF IP sets');
    else merged.wafIpSets.scope = override.wafIpSets.scope;
  }
  for (const family of ['ipv4', 'ipv6'] as const) {
    const share = override.prefixLists?.[family]?.share;
    if (share === undefined) continue;
    const list = merged.prefixLists?.[family];
    if (list === undefined) lacks(['prefixLists', family], `${family} prefix list`);
    else if (share === null) delete list.share;
    else list.share = share;
  }

  // The ids a definition may leave to its environments (lib/allowlist-config.ts ConfigAllowlistSchema).
  if (merged.securityGroups?.create !== undefined && merged.securityGroups.create.vpcId === undefined) {
    issues.push({
      path: [...over, 'securityGroups', 'create', 'vpcId'],
      message: `allowlist "${definition.name}" creates security groups and gives no default "vpcId" (${issuePath([...top, 'securityGroups', 'create'])}): give environment "${environment.name}"'s VPC here, like "vpc-0123456789abcdef0"`,
    });
  }
  if (merged.securityGroups?.existing !== undefined && merged.securityGroups.existing.groupIds === undefined) {
    issues.push({
      path: [...over, 'securityGroups', 'existing', 'groupIds'],
      message: `allowlist "${definition.name}" manages existing security groups and gives no default "groupIds" (${issuePath([...top, 'securityGroups', 'existing'])}): give environment "${environment.name}"'s group ids here, like ["sg-0123456789abcdef0"]`,
    });
  }

  // CLOUDFRONT-scope WAF resources exist only in us-east-1 (docs/aws-behaviour.md §24).
  if (merged.wafIpSets?.scope === 'CLOUDFRONT' && environment.region !== 'us-east-1') {
    const fromOverride = override.wafIpSets !== undefined;
    issues.push({
      path: [...(fromOverride ? over : top), 'wafIpSets', 'scope'],
      message: `CLOUDFRONT IP sets exist only in us-east-1, but environment "${environment.name}" is in ${environment.region}: ${fromOverride ? 'use "REGIONAL" here' : `give "wafIpSets": { "scope": "REGIONAL" } at ${issuePath(over)}`}, or leave "${definition.name}" out of this environment`,
    });
  }
  // A prefix list is its owner's already: a share is for other accounts (docs/aws-behaviour.md §35).
  for (const family of ['ipv4', 'ipv6'] as const) {
    const accounts = merged.prefixLists?.[family]?.share?.accounts ?? [];
    const origin = override.prefixLists?.[family]?.share ? over : top;
    accounts.forEach((account, k) => {
      if (account !== environment.account) return;
      issues.push({
        path: [...origin, 'prefixLists', family, 'share', 'accounts', k],
        message: `environment "${environment.name}" is account ${account}, which owns the ${family} prefix list of "${definition.name}": a RAM share is for other accounts; give this environment its own principals at ${issuePath([...over, 'prefixLists', family, 'share'])} (null for no share there)`,
      });
    });
  }
  if (issues.length > 0) return { issues };

  const parsed = DeployAllowlistSchema.safeParse(merged);
  if (!parsed.success) {
    // Not expected (each part was parsed already), but never a silent half-resolved allowlist.
    for (const issue of parsed.error.issues) {
      issues.push({
        path: [...top, ...(issue.path as Path)],
        message: `${issue.message} (in environment "${environment.name}")`,
      });
    }
    return { issues };
  }
  return { allowlist: parsed.data, issues };
}

/**
 * Two environments in one account and Region that run the same allowlist would share its run lock and generation
 * parameters (named by allowlist only, lib/permissions.ts) and its metrics (docs/design.md P10): each stack's runs would refuse the other's as superseded.
 */
function sharedStateIssues(resolved: readonly { index: number; env: ResolvedEnvironment }[]): Issue[] {
  const issues: Issue[] = [];
  for (let j = 0; j < resolved.length; j++) {
    for (let i = 0; i < j; i++) {
      const [a, b] = [resolved[i]!.env, resolved[j]!.env];
      if (a.environment.account !== b.environment.account || a.environment.region !== b.environment.region) continue;
      const both = b.allowlists.filter((x) => a.allowlists.some((y) => y.name === x.name)).map((x) => x.name);
      if (both.length === 0) continue;
      issues.push({
        path: ['environments', resolved[j]!.index],
        message: `environments "${a.environment.name}" and "${b.environment.name}" are both account ${b.environment.account} in ${b.environment.region} and both run ${both.map((n) => `"${n}"`).join(', ')}: their functions would share the SSM parameters /allowlist-sync/${both[0]}/lock and /generation (lib/permissions.ts) and the metrics, and refuse each other's runs; run each allowlist in one of them, or deploy them to different accounts or Regions`,
      });
      break;
    }
  }
  return issues;
}

function duplicates(items: readonly ({ name: string } | undefined)[], key: string, what: string, why: string): Issue[] {
  const seen = new Set<string>();
  const issues: Issue[] = [];
  items.forEach((item, i) => {
    if (item === undefined) return;
    if (seen.has(item.name)) {
      issues.push({
        path: [key, i, 'name'],
        message: `duplicate ${what} "${item.name}": ${why}; give each a name of its own`,
      });
    }
    seen.add(item.name);
  });
  return issues;
}

/** One line per problem; a problem found in several environments is said once, naming them. */
function format(issues: readonly Issue[]): string[] {
  const lines = new Map<string, string[]>();
  for (const issue of issues) {
    const line = `${issuePath(issue.path) || '(root)'}: ${issue.message}`;
    const environments = lines.get(line) ?? [];
    if (issue.environment !== undefined) environments.push(issue.environment);
    lines.set(line, environments);
  }
  return [...lines].map(([line, environments]) =>
    environments.length === 0
      ? line
      : `${line} (environment${environments.length > 1 ? 's' : ''} ${environments.map((e) => `"${e}"`).join(', ')})`,
  );
}

function names(items: readonly { name: string }[]): string {
  return items.length === 0 ? 'none' : items.map((i) => `"${i.name}"`).join(', ');
}
