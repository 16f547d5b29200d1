/**
 * Issue 12, "no 4 KB wall": a deployment of 25 allowlists, each with every kind of filter (a security-group pool, WAF
 * IP sets of both families with the rule group, prefix lists of both families), synthesizes; its function's
 * environment stays far under 4 KB; one SSM parameter per allowlist holds the complete config; the synthesized values
 * (tokens replaced by realistic ids) read through the function's own loader give exactly the RuntimeConfig derived
 * from what the stack provisioned; and cfn-lint finds no error in the template (docs/runtime-config-delivery.md).
 */
import { performance } from 'node:perf_hooks';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRuntimeConfigJson } from '../../lambda/config';
import type { AllowlistSyncStack } from '../../lib/allowlist-sync-stack';
import {
  deriveRuntimeConfig,
  environmentSize,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  PARAMETER_VALUE_LIMIT_BYTES,
} from '../../lib/runtime-config';
import { type CfnLintFinding, cfnLintTool, lintTemplate } from '../support/cfn-lint';
import { ACCEPTED_WARNINGS } from './cfn-lint-accepted';
import { deployedParameters, functionEnvironment, loadDeployedConfig, resolveValue } from './config-parameters';
import { synth } from './synth';

const LONG = 600_000;
const ALLOWLISTS = 25;

/** The 25-allowlist deployment: every allowlist has every kind of filter. */
function largeDeploymentConfig(count = ALLOWLISTS): Record<string, unknown> {
  return {
    environments: [{ name: 'large', account: '111122223333', region: 'eu-west-1' }],
    allowlists: Array.from({ length: count }, (_, i) => ({
      name: `partner-network-${String(i + 1).padStart(2, '0')}`,
      sources: [{ kind: 's3', bucket: 'allowlists-111122223333', key: `partners/network-${i + 1}.txt` }],
      securityGroups: {
        create: { vpcId: 'vpc-0123456789abcdef0', count: 2, ports: [{ protocol: 'tcp', from: 443, to: 443 }] },
      },
      wafIpSets: { scope: 'REGIONAL', setsPerFamily: { ipv4: 2, ipv6: 2 }, ruleGroup: {} },
      prefixLists: { ipv4: { maxEntries: 50 }, ipv6: { maxEntries: 20 } },
    })),
  };
}

describe('a deployment of 25 allowlists with every kind of filter', () => {
  let template: Template;
  let stack: AllowlistSyncStack;
  let synthMs: number;
  beforeAll(() => {
    const started = performance.now();
    ({ template, stack } = synth(largeDeploymentConfig()));
    synthMs = performance.now() - started;
    const json = JSON.stringify(template.toJSON());
    console.log(
      `25-allowlist synth: ${Math.round(synthMs)} ms (with cdk-nag, bundling skipped), 1 template, ${Object.keys(template.toJSON().Resources).length} resources, ${json.length} bytes`,
    );
  }, LONG);

  it("keeps the function's environment to the config's path and names, far under 4 KB", () => {
    const env = functionEnvironment(template) as Record<string, string>;
    expect(Object.keys(env).sort()).toEqual([
      'ALLOWLIST_SYNC_ALLOWLISTS',
      'ALLOWLIST_SYNC_CONFIG_PATH',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
    ]);
    expect(env.ALLOWLIST_SYNC_ALLOWLISTS?.split(',')).toHaveLength(ALLOWLISTS);
    expect(environmentSize(env)).toBe(stack.sync.environmentBytes);
    expect(environmentSize(env)).toBeLessThan(LAMBDA_ENVIRONMENT_LIMIT_BYTES / 2);
    console.log(`25-allowlist environment: ${environmentSize(env)} bytes`);
  });

  it('writes one Standard parameter per allowlist, each under 4 KB even with the longest ids', () => {
    const parameters = deployedParameters(template);
    expect(parameters).toHaveLength(ALLOWLISTS);
    const sizes = Object.values(stack.sync.parameterBytes);
    expect(sizes).toHaveLength(ALLOWLISTS);
    for (const bytes of sizes) expect(bytes).toBeLessThan(PARAMETER_VALUE_LIMIT_BYTES);
    // Everything together would be far over the environment's 4 KB: the wall this removes.
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(5 * LAMBDA_ENVIRONMENT_LIMIT_BYTES);
    console.log(`25-allowlist parameters: ${Math.min(...sizes)}–${Math.max(...sizes)} bytes each (longest ids)`);
  });

  it("reads back, through the function's own loader, exactly the RuntimeConfig derived from what was provisioned", async () => {
    const { config, ssm } = await loadDeployedConfig(template);
    expect(ssm.callsOf('GetParametersByPath')).toHaveLength(3);
    // The derivation, independently of the parameters: the same tokens resolved to the same realistic ids.
    const derived = deriveRuntimeConfig(stack.sync.filters.map((f) => f.provisioned));
    const expected = parseRuntimeConfigJson(resolveValue(stack.resolve(stack.toJsonString(derived))));
    expect(config).toEqual(expected);
    expect(config.allowlists).toHaveLength(ALLOWLISTS);
    for (const allowlist of config.allowlists) {
      expect(allowlist.targets.map((t) => t.kind)).toEqual(['security-groups', 'waf-ip-sets', 'prefix-lists']);
      expect(allowlist.targets[1]).toMatchObject({ ipv4: [{}, {}], ipv6: [{}, {}] });
      expect(allowlist.targets[2]).toMatchObject({
        ipv4: expect.stringMatching(/^pl-/),
        ipv6: expect.stringMatching(/^pl-/),
      });
    }
    // Every id is distinct: each allowlist points at its own filters.
    const ids = config.allowlists.flatMap((a) =>
      a.targets.flatMap((t) =>
        t.kind === 'security-groups'
          ? t.groupIds
          : t.kind === 'waf-ip-sets'
            ? [...t.ipv4, ...t.ipv6].map((s) => s.id)
            : [t.ipv4, t.ipv6].filter((x): x is string => x !== undefined),
      ),
    );
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(ALLOWLISTS * 8);
  });

  it.skipIf(!cfnLintTool.available)(
    'passes cfn-lint: no error, and only the accepted warnings',
    () => {
      const findings = lintTemplate(template.toJSON(), ['eu-west-1']);
      const show = (f: CfnLintFinding) => `${f.level} ${f.rule} ${f.path}: ${f.message}`;
      expect(findings.filter((f) => f.level === 'Error').map(show)).toEqual([]);
      const accepted = (f: CfnLintFinding) =>
        ACCEPTED_WARNINGS.some((a) => a.rule === f.rule && a.path.test(f.path) && a.message.test(f.message));
      expect(findings.filter((f) => f.level !== 'Error' && !accepted(f)).map(show)).toEqual([]);
      console.log(
        `25-allowlist cfn-lint: 0 errors, ${findings.filter((f) => f.level !== 'Error').length} accepted warnings`,
      );
    },
    LONG,
  );
});
