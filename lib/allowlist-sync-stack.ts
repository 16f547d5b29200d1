/**
 * The standalone app's stack: one per environment of the deployment config, around one {@link AllowlistSync} with
 * that environment's resolved settings (lib/resolve-environment.ts).
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AllowlistSync } from './allowlist-sync';
import type { DeploymentConfig, Environment } from './deployment-config';
import { resolveEnvironment } from './resolve-environment';

/** Props of {@link AllowlistSyncStack}. */
export interface AllowlistSyncStackProps extends StackProps {
  /** The parsed deployment config. */
  readonly config: DeploymentConfig;
  /** The environment this stack is deployed to: one of `config.environments`, found by its name. */
  readonly environment: Environment;
  /** The function's entry file. @default lambda/function/handler.ts of this repository */
  readonly entry?: string;
  /** See `AllowlistSyncProps.deployRunId`. @default the synth time */
  readonly deployRunId?: string;
}

/** One environment's stack. Its name comes from the environment's name: `AllowlistSync-<name>`. */
export class AllowlistSyncStack extends Stack {
  /** The construct, for tests and for extension. */
  readonly sync: AllowlistSync;

  constructor(scope: Construct, id: string, props: AllowlistSyncStackProps) {
    super(scope, id, {
      ...props,
      env: { account: props.environment.account, region: props.environment.region },
      description: `allowlist-sync for environment ${props.environment.name}`,
    });
    const resolved = resolveEnvironment(props.config, props.environment.name);
    this.sync = new AllowlistSync(this, 'AllowlistSync', {
      allowlists: resolved.allowlists,
      scheduleMinutes: resolved.scheduleMinutes,
      quotaHeadroomAlarmBelow: resolved.quotaHeadroomAlarmBelow,
      ...(resolved.alarmEmail ? { alarmEmail: resolved.alarmEmail } : {}),
      ...(resolved.changeEventArchiveDays ? { changeEventArchiveDays: resolved.changeEventArchiveDays } : {}),
      ...(resolved.credentialBinding ? { credentialBinding: resolved.credentialBinding } : {}),
      ...(props.entry ? { entry: props.entry } : {}),
      ...(props.deployRunId ? { deployRunId: props.deployRunId } : {}),
    });
  }
}

/** The stack name of an environment. */
export function stackNameOf(environment: Environment): string {
  return `AllowlistSync-${environment.name}`;
}
