/**
 * `AllowlistSyncStage`: one environment of the deployment config as a CDK `Stage`, the unit a CDK Pipelines pipeline
 * deploys (`pipeline.addStage(new AllowlistSyncStage(…))`, once per environment). It holds that environment's
 * {@link AllowlistSyncStack} under the same stack name the standalone app gives it (`AllowlistSync-<name>`), so a
 * deployment that moves from `cdk deploy` to a pipeline keeps its stack, and with it its filters and their synced
 * contents. See docs/deploying.md "Pipelines".
 */
import { Stage, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ConfigError } from '../lambda/core/errors';
import { AllowlistSyncStack, stackNameOf } from './allowlist-sync-stack';
import type { DeploymentConfig, Environment } from './deployment-config';

/** Props of {@link AllowlistSyncStage}. The stage's `env` is the environment's account and Region. */
export interface AllowlistSyncStageProps extends Omit<StageProps, 'env'> {
  /** The parsed deployment config (`parseDeploymentConfig` or `loadDeploymentConfig`). */
  readonly config: DeploymentConfig;
  /** The environment this stage deploys: its name in `config.environments`, or the environment itself. */
  readonly environment: string | Environment;
  /** The function's entry file. @default the package's prebuilt function (see `AllowlistSyncProps.entry`) */
  readonly entry?: string;
  /** See `AllowlistSyncProps.deployRunId`. @default the synth time */
  readonly deployRunId?: string;
}

/** One environment of the deployment config as a `Stage` for CDK Pipelines (or any app that nests stages). */
export class AllowlistSyncStage extends Stage {
  /** The environment this stage deploys. */
  readonly environment: Environment;
  /** The environment's stack, named `AllowlistSync-<environment name>`. */
  readonly stack: AllowlistSyncStack;

  constructor(scope: Construct, id: string, props: AllowlistSyncStageProps) {
    const { config, environment: wanted, entry, deployRunId, ...stageProps } = props;
    const environment = environmentOf(config, wanted, `${scope.node.path ? `${scope.node.path}/` : ''}${id}`);
    super(scope, id, { ...stageProps, env: { account: environment.account, region: environment.region } });
    this.environment = environment;
    this.stack = new AllowlistSyncStack(this, 'AllowlistSync', {
      config,
      environment,
      // The standalone app's name: the pipeline then updates the stack `cdk deploy` created, never a second copy.
      stackName: stackNameOf(environment),
      ...(entry !== undefined ? { entry } : {}),
      ...(deployRunId !== undefined ? { deployRunId } : {}),
    });
  }
}

/** The config's environment a stage names: by name, or given whole (then it must match the config's). */
function environmentOf(config: DeploymentConfig, wanted: string | Environment, where: string): Environment {
  const name = typeof wanted === 'string' ? wanted : wanted.name;
  const found = config.environments.find((e) => e.name === name);
  const known = config.environments.map((e) => `"${e.name}"`).join(', ');
  if (found === undefined) {
    throw new ConfigError(`AllowlistSyncStage ${where}`, [
      `environment: "${name}" is not in the deployment config's environments (${known}): add it to "environments", or pass one of those names`,
    ]);
  }
  if (typeof wanted !== 'string' && (wanted.account !== found.account || wanted.region !== found.region)) {
    throw new ConfigError(`AllowlistSyncStage ${where}`, [
      `environment: "${name}" is given as ${wanted.account}/${wanted.region}, but the deployment config has it in ${found.account}/${found.region}: pass the config's environment (or its name)`,
    ]);
  }
  return found;
}
