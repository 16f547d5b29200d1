#!/usr/bin/env node
/**
 * The CDK app: reads the deployment config (see lib/load-deployment-config.ts), validates it, and creates one stack
 * per environment. A bad config fails `cdk synth` with every problem listed.
 */
import { App } from 'aws-cdk-lib';
import { AllowlistSyncError } from '../lambda/core/errors';
import { AllowlistSyncStack, stackNameOf } from '../lib/allowlist-sync-stack';
import { loadDeploymentConfig } from '../lib/load-deployment-config';

const app = new App();
try {
  const config = loadDeploymentConfig((key) => app.node.tryGetContext(key));
  for (const environment of config.environments) {
    new AllowlistSyncStack(app, stackNameOf(environment), { config, environment });
  }
} catch (error) {
  if (!(error instanceof AllowlistSyncError)) throw error;
  // The message already lists every problem with its field; a stack trace would bury it.
  console.error(error.message);
  process.exit(1);
}
app.synth();
