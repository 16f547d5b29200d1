/**
 * Derives the function's RuntimeConfig (lambda/config/index.ts) from what the stack provisioned, and checks at synth that
 * it fits Lambda's 4 KB environment. The ids are deploy-time tokens (strings to TypeScript), so this module is pure:
 * no CDK import, no I/O; the construct serialises the result with `Stack.toJsonString`.
 */
import { CONFIG_ENV, type PortRange, parseRuntimeConfig, type RuntimeConfigInput } from '../lambda/config';
import { ConfigError } from '../lambda/core/errors';
import type { DeployAllowlist } from './deployment-config';

/** One allowlist with the ids of its filters (tokens at synth, real ids at deploy). */
export interface ProvisionedAllowlist {
  readonly definition: DeployAllowlist;
  readonly securityGroups?: {
    readonly groupIds: string[];
    readonly ports: PortRange[];
    readonly rulesPerGroup?: { ipv4: number; ipv6: number };
  };
  readonly wafIpSets?: {
    readonly scope: 'REGIONAL' | 'CLOUDFRONT';
    readonly ipv4: { name: string; id: string }[];
    readonly ipv6: { name: string; id: string }[];
  };
  readonly prefixLists?: { readonly ipv4?: string; readonly ipv6?: string; readonly growUpTo?: number };
}

/** The RuntimeConfig the function runs on. Only what was configured is written: the function applies the defaults. */
export function deriveRuntimeConfig(allowlists: readonly ProvisionedAllowlist[]): RuntimeConfigInput {
  return {
    version: 1,
    allowlists: allowlists.map((a) => {
      const targets: RuntimeConfigInput['allowlists'][number]['targets'] = [];
      if (a.securityGroups) {
        const { groupIds, ports, rulesPerGroup } = a.securityGroups;
        targets.push({ kind: 'security-groups', groupIds, ports, ...(rulesPerGroup ? { rulesPerGroup } : {}) });
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
            scope: a.wafIpSets.scope,
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

/** Lambda's limit on the total size of a function's environment variables. */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

/**
 * The size of an environment, counted as the UTF-8 bytes of its JSON object: this is a little more than the sum of
 * keys and values that Lambda counts, so a config that passes here always fits.
 */
export function environmentSize(environment: Readonly<Record<string, string>>): number {
  return Buffer.byteLength(JSON.stringify(environment), 'utf8');
}

/**
 * Checks the derived RuntimeConfig at synth, with the longest realistic ids in place of the tokens: it must parse with
 * the function's own schema (so the function never starts on a config it rejects), and the whole environment must fit
 * in 4 KB. Returns the estimated size; throws a {@link ConfigError} that says what to do.
 */
export function checkRuntimeEnvironment(
  allowlists: readonly ProvisionedAllowlist[],
  otherVariables: Readonly<Record<string, string>>,
): number {
  const estimate = deriveRuntimeConfig(withLongestIds(allowlists));
  parseRuntimeConfig(estimate, 'the RuntimeConfig derived from the deployment config');
  const size = environmentSize({ ...otherVariables, [CONFIG_ENV]: JSON.stringify(estimate) });
  if (size > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
    const inline = allowlists.flatMap((a) =>
      a.definition.sources.filter((s) => s.kind === 'inline').map(() => a.definition.name),
    );
    throw new ConfigError('deployment config', [
      `the function's environment would be about ${size} bytes once deployed (with the longest ids AWS issues), over Lambda's limit of ${LAMBDA_ENVIRONMENT_LIMIT_BYTES} bytes`,
      inline.length > 0
        ? `move the inline entries of ${[...new Set(inline)].map((n) => `"${n}"`).join(', ')} to an S3 object or an SSM parameter, or split the allowlists over several stacks (environments)`
        : 'split the allowlists over several stacks (environments), or use fewer security groups or IP sets per pool',
    ]);
  }
  return size;
}
