/**
 * Derives the function's RuntimeConfig (lambda/config/index.ts) from what the stack provisioned, and checks at synth that
 * each allowlist's entry fits its SSM parameter and the rest fits Lambda's 4 KB environment
 * (docs/runtime-config-delivery.md). The ids are deploy-time tokens (strings to TypeScript), so this module is pure:
 * no CDK import, no I/O; the construct serialises the result with `Stack.toJsonString`.
 */
import { type PortRange, parseRuntimeConfig, type RuntimeConfigInput } from '../lambda/config';
import { ConfigError } from '../lambda/core/errors';
import type { FamilyName } from '../lambda/core/families';
import type { DeployAllowlist } from './deployment-config';

/** One allowlist with the ids of its filters (tokens at synth, real ids at deploy). */
export interface ProvisionedAllowlist {
  readonly definition: DeployAllowlist;
  readonly securityGroups?: {
    readonly groupIds: string[];
    readonly ports: PortRange[];
    readonly rulesPerGroup?: { ipv4: number; ipv6: number };
    readonly families?: FamilyName[];
  };
  readonly wafIpSets?: {
    readonly scope: 'REGIONAL' | 'CLOUDFRONT';
    readonly ipv4: { name: string; id: string }[];
    readonly ipv6: { name: string; id: string }[];
    readonly families?: FamilyName[];
  };
  readonly prefixLists?: {
    readonly ipv4?: string;
    readonly ipv6?: string;
    readonly growUpTo?: number;
    readonly families?: FamilyName[];
  };
}

/** The RuntimeConfig the function runs on. Only what was configured is written: the function applies the defaults. */
export function deriveRuntimeConfig(allowlists: readonly ProvisionedAllowlist[]): RuntimeConfigInput {
  return {
    version: 1,
    allowlists: allowlists.map((a) => {
      const targets: RuntimeConfigInput['allowlists'][number]['targets'] = [];
      if (a.securityGroups) {
        const { groupIds, ports, rulesPerGroup, families } = a.securityGroups;
        targets.push({
          kind: 'security-groups',
          groupIds,
          ports,
          ...(rulesPerGroup ? { rulesPerGroup } : {}),
          ...(families ? { families } : {}),
        });
      }
      if (a.wafIpSets) targets.push({ kind: 'waf-ip-sets', ...a.wafIpSets });
      if (a.prefixLists) targets.push({ kind: 'prefix-lists', ...a.prefixLists });
      const { name, sources, policy, guardrails, expiryWarningDays } = a.definition;
      return {
        name,
        sources,
        ...(policy ? { policy } : {}),
        guardrails: guardrails ?? {},
        ...(expiryWarningDays !== undefined ? { expiryWarningDays } : {}),
        targets,
      };
    }),
  };
}

/**
 * The longest id AWS hands out for each kind: `sg-` and `pl-` ids have up to 17 hex digits, a WAF IP set id is a
 * 36-character UUID. Replacing each token by these gives an upper bound of the resolved environment size.
 */
export const LONGEST_ID = {
  securityGroup: `sg-${'f'.repeat(17)}`,
  prefixList: `pl-${'f'.repeat(17)}`,
  ipSetId: 'ffffffff-ffff-ffff-ffff-ffffffffffff',
} as const;

/** The same allowlists with every deploy-time id replaced by the longest id of its kind (see {@link LONGEST_ID}). */
export function withLongestIds(allowlists: readonly ProvisionedAllowlist[]): ProvisionedAllowlist[] {
  return allowlists.map((a) => ({
    definition: a.definition,
    ...(a.securityGroups
      ? {
          securityGroups: {
            ...a.securityGroups,
            groupIds: a.securityGroups.groupIds.map(() => LONGEST_ID.securityGroup),
          },
        }
      : {}),
    ...(a.wafIpSets
      ? {
          wafIpSets: {
            ...a.wafIpSets,
            ipv4: a.wafIpSets.ipv4.map((s) => ({ name: s.name, id: LONGEST_ID.ipSetId })),
            ipv6: a.wafIpSets.ipv6.map((s) => ({ name: s.name, id: LONGEST_ID.ipSetId })),
          },
        }
      : {}),
    ...(a.prefixLists
      ? {
          prefixLists: {
            ...a.prefixLists,
            ...(a.prefixLists.ipv4 ? { ipv4: LONGEST_ID.prefixList } : {}),
            ...(a.prefixLists.ipv6 ? { ipv6: LONGEST_ID.prefixList } : {}),
          },
        }
      : {}),
  }));
}

/** Lambda's limit on the total size of a function's environment variables (docs/aws-behaviour.md §41). */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;
/** The largest value of a Standard-tier SSM parameter, the tier the stack writes (docs/aws-behaviour.md §40). */
export const PARAMETER_VALUE_LIMIT_BYTES = 4096;

/**
 * The size of an environment, counted as the UTF-8 bytes of its JSON object: this is a little more than the sum of
 * keys and values that Lambda counts, so a config that passes here always fits.
 */
export function environmentSize(environment: Readonly<Record<string, string>>): number {
  return Buffer.byteLength(JSON.stringify(environment), 'utf8');
}

/** One allowlist's RuntimeConfig entry: the value of its SSM parameter (lambda/engine/config-store.ts). */
export type RuntimeConfigEntry = RuntimeConfigInput['allowlists'][number];

/** The sizes the synth-time check measured, with the longest realistic ids in place of the tokens. */
export interface RuntimeConfigSizes {
  /** The function's environment (bytes). */
  readonly environmentBytes: number;
  /** Each allowlist's parameter value (bytes), by name. */
  readonly parameterBytes: Readonly<Record<string, number>>;
}

/**
 * Checks at synth, with the longest realistic ids in place of the tokens, what the function will read: the derived
 * RuntimeConfig must parse with the function's own schema (so the function never starts on a config it rejects), each
 * allowlist's entry must fit one Standard SSM parameter, and the environment (now the path and the names, no config)
 * must fit Lambda's 4 KB. Collects every problem, then throws one {@link ConfigError} that says what to do.
 */
export function checkRuntimeConfig(
  allowlists: readonly ProvisionedAllowlist[],
  environment: Readonly<Record<string, string>>,
): RuntimeConfigSizes {
  const estimate = deriveRuntimeConfig(withLongestIds(allowlists));
  parseRuntimeConfig(estimate, 'the RuntimeConfig derived from the deployment config');
  const issues: string[] = [];
  const parameterBytes: Record<string, number> = {};
  estimate.allowlists.forEach((entry, i) => {
    const bytes = Buffer.byteLength(JSON.stringify(entry), 'utf8');
    parameterBytes[entry.name] = bytes;
    if (bytes <= PARAMETER_VALUE_LIMIT_BYTES) return;
    const inline = allowlists[i]?.definition.sources.some((s) => s.kind === 'inline');
    issues.push(
      `allowlists[${i}] ("${entry.name}"): its RuntimeConfig entry would be about ${bytes} bytes once deployed (with the longest ids AWS issues), over the ${PARAMETER_VALUE_LIMIT_BYTES} bytes of one Standard SSM parameter; ${
        inline
          ? 'move its inline entries to an S3 object or an SSM parameter source (a change to them then needs no deploy)'
          : 'use fewer security groups or IP sets in its pools, or split it into two allowlists'
      }`,
    );
  });
  const environmentBytes = environmentSize(environment);
  if (environmentBytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
    issues.push(
      `the function's environment would be ${environmentBytes} bytes, over Lambda's limit of ${LAMBDA_ENVIRONMENT_LIMIT_BYTES} bytes (it carries the config's SSM path and every allowlist name); use shorter allowlist names, or split the allowlists over several stacks (environments)`,
    );
  }
  if (issues.length > 0) throw new ConfigError('deployment config', issues);
  return { environmentBytes, parameterBytes };
}
