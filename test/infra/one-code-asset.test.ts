/**
 * The function's code is bundled once per synth: with the RuntimeConfig in SSM parameters, every stack runs the same
 * code, so three environments share one code asset (docs/runtime-config-delivery.md).
 */
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { AllowlistSyncStack, stackNameOf } from '../../lib/allowlist-sync-stack';
import { parseDeploymentConfig } from '../../lib/deployment-config';
import { appContext, sampleConfig } from './synth';

describe("the function's code across environments", () => {
  it('is one asset for three environments, bundled from lambda/function/handler.ts', () => {
    // The sample: prod and staging in two accounts, edge in another Region, each with its own allowlists.
    const config = parseDeploymentConfig(sampleConfig());
    expect(config.environments).toHaveLength(3);
    const app = new App({ context: appContext() });
    const stacks = config.environments.map(
      (environment) =>
        new AllowlistSyncStack(app, stackNameOf(environment), { config, environment, deployRunId: 'test-run' }),
    );
    const assembly = app.synth();
    const keys = stacks.map((stack) => {
      const resources = assembly.getStackByName(stack.stackName).template.Resources as Record<
        string,
        { Type: string; Properties: { Description?: string; Code?: { S3Key?: unknown } } }
      >;
      const fn = Object.values(resources).find(
        (r) =>
          r.Type === 'AWS::Lambda::Function' && String(r.Properties.Description).startsWith('allowlist-sync: keeps'),
      );
      return JSON.stringify(fn?.Properties.Code?.S3Key);
    });
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^"[0-9a-f]{64}\.zip"$/);
  }, 300_000);
});
