/**
 * `allowlist-sync`: the `AllowlistSync` construct for anyone's CDK app, with its props and the types of what it
 * exposes. The function's code ships prebuilt in the package (`dist/function/index.js`), so a consuming app needs
 * neither esbuild nor Docker. The pure core is the separate entry `allowlist-sync/core`.
 */

export { AllowlistSyncError, ConfigError } from '../lambda/core/errors';
export {
  type AllowlistDefinition,
  AllowlistSync,
  type AllowlistSyncProps,
  DEPLOY_PAYLOAD,
  FUNCTION_MEMORY_MB,
  FUNCTION_TIMEOUT,
  SCHEDULE_PAYLOAD,
  TRIGGER_MAX_EVENT_AGE,
  TRIGGER_RETRY_ATTEMPTS,
} from './allowlist-sync';
export { AllowlistSyncStack, type AllowlistSyncStackProps, stackNameOf } from './allowlist-sync-stack';
export { AllowlistSyncStage, type AllowlistSyncStageProps } from './allowlist-sync-stage';
export { type DeploymentConfig, type Environment, parseDeploymentConfig } from './deployment-config';
export type { AllowlistFilters } from './filters';
export { SyncOperations } from './operations';
