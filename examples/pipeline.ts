import { App, Stack } from 'aws-cdk-lib';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { ConfigError } from '../lambda/core/errors';
import { AllowlistSyncStage } from '../lib/allowlist-sync-stage';
import type { DeploymentConfig } from '../lib/deployment-config';
import { loadDeploymentConfig } from '../lib/load-deployment-config';

/** Where the pipeline runs, what it builds from, and the order it deploys the environments in. */
export interface PipelineSettings {
  /** The pipeline's own account and Region. Every target environment is bootstrapped with `--trust` this account. */
  readonly account: string;
  readonly region: string;
  /** The repository (`owner/name`) and branch, reached through a CodeConnections connection. */
  readonly repository: string;
  readonly branch: string;
  readonly connectionArn: string;
  /** Waves in deploy order; the environments of one wave deploy together. Every environment is in exactly one. */
  readonly waves: readonly { readonly name: string; readonly environments: readonly string[] }[];
}

/** The pipeline stack: source, synth, self-update, assets, then one AllowlistSyncStage per environment, by wave. */
export function allowlistSyncPipeline(app: App, config: DeploymentConfig, settings: PipelineSettings) {
  checkWaves(config, settings.waves);
  const stack = new Stack(app, 'AllowlistSyncPipeline', {
    env: { account: settings.account, region: settings.region },
  });
  const pipeline = new pipelines.CodePipeline(stack, 'Pipeline', {
    // Deploying to another account needs the artifacts encrypted with a key it may use (docs/aws-behaviour.md §37).
    crossAccountKeys: true,
    enableKeyRotation: true,
    synth: new pipelines.ShellStep('Synth', {
      input: pipelines.CodePipelineSource.connection(settings.repository, settings.branch, {
        connectionArn: settings.connectionArn,
      }),
      commands: ['npm ci', 'npx cdk synth --app "npx tsx examples/pipeline.ts"'],
    }),
  });
  const stages = settings.waves.flatMap((w) => {
    const wave = pipeline.addWave(w.name);
    return w.environments.map((environment) => {
      const stage = new AllowlistSyncStage(app, environment, { config, environment });
      wave.addStage(stage);
      return stage;
    });
  });
  return { stack, pipeline, stages };
}

/** Every environment of the config in exactly one wave, and no wave naming an environment the config lacks. */
function checkWaves(config: DeploymentConfig, waves: PipelineSettings['waves']): void {
  const issues: string[] = [];
  const seen = new Set<string>();
  waves.forEach((w, i) => {
    w.environments.forEach((name, j) => {
      const where = `waves[${i}].environments[${j}]`;
      if (!config.environments.some((e) => e.name === name)) {
        issues.push(`${where}: "${name}" is not an environment of the deployment config: remove it, or add it there`);
      } else if (seen.has(name)) {
        issues.push(`${where}: "${name}" is already in an earlier wave: deploy each environment once`);
      }
      seen.add(name);
    });
  });
  for (const e of config.environments) {
    if (!seen.has(e.name)) issues.push(`waves: environment "${e.name}" is in no wave: add it to one`);
  }
  if (issues.length > 0) throw new ConfigError('pipeline settings', issues);
}

// `npx cdk synth --app "npx tsx examples/pipeline.ts" -c allowlistSyncPipeline='{…PipelineSettings…}'`
if (require.main === module) {
  const app = new App();
  const raw: unknown = app.node.tryGetContext('allowlistSyncPipeline');
  if (raw === undefined)
    throw new Error('set the context key "allowlistSyncPipeline" (cdk.json or -c) to the settings');
  const settings = (typeof raw === 'string' ? JSON.parse(raw) : raw) as PipelineSettings;
  allowlistSyncPipeline(
    app,
    loadDeploymentConfig((key) => app.node.tryGetContext(key)),
    settings,
  );
  app.synth();
}
