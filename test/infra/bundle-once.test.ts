/**
 * Synthesizing many environments bundles the function once (issue 12): GIVEN three environments in two accounts and
 * two Regions, WHEN the app synthesizes with bundling ON (as `cdk synth` does; the other infra tests skip it), THEN
 * esbuild ran once and every stack's function points at the same code asset. Checked for the standalone app's shape
 * (one stack per environment, bin/app.ts) and for a pipeline's (one AllowlistSyncStage per environment).
 *
 * Bundling is counted by the line CDK prints before each bundling (`Bundling asset <path>...`), and the code assets by
 * the sync function's `Code.S3Key` (the asset hash) in each synthesized template.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, AssetStaging } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AllowlistSyncStack, stackNameOf } from '../../lib/allowlist-sync-stack';
import { AllowlistSyncStage } from '../../lib/allowlist-sync-stage';
import { FUNCTION_ENTRY, forgetFunctionBundles } from '../../lib/bundling-options';
import { parseDeploymentConfig } from '../../lib/deployment-config';
import { appContext, ROOT } from './synth';

/** What the one bundling names: the function's entry file, as the construct resolves it. */
const FUNCTION_ENTRY_PATH = path.join(ROOT, FUNCTION_ENTRY);

const BUNDLING = 180_000;

const config = parseDeploymentConfig({
  environments: [
    { name: 'staging', account: '222222222222', region: 'eu-west-1' },
    { name: 'prod', account: '111111111111', region: 'eu-west-1' },
    { name: 'prod-us', account: '111111111111', region: 'us-east-1' },
  ],
  allowlists: [
    {
      name: 'partners',
      sources: [{ kind: 'ssm', name: '/lists/partners' }],
      wafIpSets: { scope: 'REGIONAL', setsPerFamily: { ipv4: 1, ipv6: 1 }, ruleGroup: {} },
      prefixLists: { ipv4: { maxEntries: 20 } },
    },
  ],
});

/** The part of a template resource this test reads. */
interface Lambda {
  readonly Type: string;
  readonly Properties: { readonly Description?: string; readonly Code: { readonly S3Key: string } };
}

interface Synthesized {
  /** The constructs CDK bundled, in order. */
  readonly bundled: string[];
  /** Stack name → the sync function's code asset (its S3 key). */
  readonly codeAssets: Record<string, string>;
  /** The staged asset directories in the assembly. */
  readonly assetDirs: string[];
}

const outdirs: string[] = [];
afterEach(() => {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Builds the app with `add`, synthesizes it with bundling on, and counts what was bundled and staged. */
function synthesize(add: (app: App) => void): Synthesized {
  // The staging cache is per process; start clean so an earlier synth in this file cannot hide a bundling.
  AssetStaging.clearAssetHashCache();
  forgetFunctionBundles();
  const outdir = mkdtempSync(path.join(tmpdir(), 'bundle-once-'));
  outdirs.push(outdir);
  const { 'aws:cdk:bundling-stacks': _skipped, ...context } = appContext();
  const bundled: string[] = [];
  const write = process.stderr.write.bind(process.stderr) as (...args: unknown[]) => boolean;
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
    const line = /^Bundling asset (\S+?)\.\.\./.exec(String(chunk));
    if (line) bundled.push(line[1]!);
    return write(chunk, ...rest);
  }) as typeof process.stderr.write);
  let assembly: CloudAssembly;
  try {
    const app = new App({ context, outdir });
    add(app);
    assembly = app.synth();
  } finally {
    spy.mockRestore();
  }
  const codeAssets: Record<string, string> = {};
  for (const a of [assembly, ...assembly.nestedAssemblies.map((n) => n.nestedAssembly)]) {
    for (const stack of a.stacks) {
      for (const resource of Object.values(stack.template.Resources as Record<string, Lambda>)) {
        if (resource.Type !== 'AWS::Lambda::Function') continue;
        if (!String(resource.Properties.Description).startsWith('allowlist-sync:')) continue;
        codeAssets[stack.stackName] = resource.Properties.Code.S3Key;
      }
    }
  }
  const assetDirs = readdirSync(outdir).filter((f) => f.startsWith('asset.'));
  return { bundled, codeAssets, assetDirs };
}

describe('synthesizing three environments', () => {
  it(
    'bundles the function once for one stack per environment (bin/app.ts)',
    () => {
      const result = synthesize((app) => {
        for (const environment of config.environments) {
          new AllowlistSyncStack(app, stackNameOf(environment), { config, environment, deployRunId: 'test' });
        }
      });
      expect(result.bundled).toEqual([FUNCTION_ENTRY_PATH]);
      expect(Object.keys(result.codeAssets).sort()).toEqual([
        'AllowlistSync-prod',
        'AllowlistSync-prod-us',
        'AllowlistSync-staging',
      ]);
      expect(new Set(Object.values(result.codeAssets)).size).toBe(1);
    },
    BUNDLING,
  );

  it(
    'bundles the function once for one AllowlistSyncStage per environment (a pipeline)',
    () => {
      const result = synthesize((app) => {
        for (const environment of config.environments) {
          new AllowlistSyncStage(app, environment.name, { config, environment: environment.name, deployRunId: 'test' });
        }
      });
      expect(result.bundled).toEqual([FUNCTION_ENTRY_PATH]);
      expect(Object.keys(result.codeAssets)).toHaveLength(3);
      expect(new Set(Object.values(result.codeAssets)).size).toBe(1);
      // Nested stages stage their assets in the root assembly's folder: one copy of the function's code there.
      const functionAsset = Object.values(result.codeAssets)[0]!.replace(/\.zip$/, '');
      expect(result.assetDirs.filter((d) => d === `asset.${functionAsset}`)).toHaveLength(1);
    },
    BUNDLING,
  );
});
