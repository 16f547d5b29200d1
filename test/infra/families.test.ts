/**
 * `families` on the deployment config's filters (docs/design.md P14): validated at synth with full paths, and passed
 * on to the function's RuntimeConfig only where it is set.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambda/core/errors';
import { parseDeploymentConfig } from '../../lib/deployment-config';
import { loadDeployedConfig } from './config-parameters';
import { sampleConfig, synth } from './synth';

type Json = Record<string, unknown>;

function withAllowlist(allowlist: Json): Json {
  return {
    ...sampleConfig(),
    environments: [{ name: 'prod', account: '111122223333', region: 'eu-west-1' }],
    allowlists: [{ name: 'partners', sources: [{ kind: 'https', url: 'https://example.com/l' }], ...allowlist }],
  };
}

function issuesOf(value: unknown): string[] {
  try {
    parseDeploymentConfig(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).issues];
  }
  return [];
}

/** Synthesizing a stack takes seconds, tens of them on a loaded machine. */
const LONG = 120_000;

const PORTS = [{ protocol: 'tcp', from: 443, to: 443 }];

describe('families in the deployment config', () => {
  it.each([
    [
      'a WAF pool that takes IPv6 with no IPv6 set',
      { wafIpSets: { scope: 'REGIONAL', setsPerFamily: { ipv4: 1 }, families: ['ipv4', 'ipv6'] } },
      'allowlists[0].wafIpSets.families: families takes ipv6 but setsPerFamily.ipv6 is 0: create at least 1 ipv6 set, or remove "ipv6" from families',
    ],
    [
      'a WAF pool with sets of a family it leaves out',
      { wafIpSets: { scope: 'REGIONAL', setsPerFamily: { ipv4: 1, ipv6: 2 }, families: ['ipv4'] } },
      'allowlists[0].wafIpSets.setsPerFamily.ipv6: families leaves ipv6 out, so these 2 set(s) would never be written: set setsPerFamily.ipv6 to 0, or add "ipv6" to families',
    ],
    [
      'prefix lists that take a family with no list',
      { prefixLists: { ipv4: { maxEntries: 10 }, families: ['ipv6'] } },
      'allowlists[0].prefixLists.families: families takes ipv6 but no ipv6 list is created: add "ipv6": { "maxEntries": … }, or remove "ipv6" from families',
    ],
    [
      'a group pool with a duplicate family',
      {
        securityGroups: {
          create: { vpcId: 'vpc-0123456789abcdef0', count: 1, ports: PORTS },
          families: ['ipv4', 'ipv4'],
        },
      },
      'allowlists[0].securityGroups.families[1]: "ipv4" is listed twice: list each family once',
    ],
    [
      'policy.leaveOutFamilies while a filter still takes the family',
      {
        policy: { leaveOutFamilies: ['ipv6'] },
        securityGroups: { create: { vpcId: 'vpc-0123456789abcdef0', count: 1, ports: PORTS }, families: ['ipv4'] },
        prefixLists: { ipv4: { maxEntries: 10 }, ipv6: { maxEntries: 10 } },
      },
      'allowlists[0].prefixLists.families: policy.leaveOutFamilies leaves ipv6 out of every filter, but prefixLists takes ipv6 (families unset means both): set "families" here without "ipv6", or remove "ipv6" from policy.leaveOutFamilies',
    ],
  ])('refuses %s, naming the full path and the fix', (_, filter, issue) => {
    expect(issuesOf(withAllowlist(filter))).toContain(issue);
  });

  it(
    'passes families on to the RuntimeConfig of the function, and only where set',
    async () => {
      const config = withAllowlist({
        policy: { leaveOutFamilies: ['ipv6'] },
        securityGroups: { create: { vpcId: 'vpc-0123456789abcdef0', count: 1, ports: PORTS }, families: ['ipv4'] },
        prefixLists: { ipv4: { maxEntries: 10 }, families: ['ipv4'] },
      });
      const { template } = synth(config);
      // Read back as the function reads it: its config parameters, tokens resolved to realistic ids.
      const { config: runtime } = await loadDeployedConfig(template);
      expect(runtime.allowlists[0]?.targets.map((t) => [t.kind, t.families])).toEqual([
        ['security-groups', ['ipv4']],
        ['prefix-lists', ['ipv4']],
      ]);
    },
    LONG,
  );
});
