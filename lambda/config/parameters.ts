/**
 * Where the stack writes the RuntimeConfig and the names the function's environment carries
 * (docs/runtime-config-delivery.md). Names only, no SDK: the CDK side (lib/) writes what lambda/engine/config-store.ts
 * reads, and imports these without loading an AWS client at synth.
 */

/** Environment variable with the SSM path the stack writes the allowlists' parameters under. */
export const CONFIG_PATH_ENV = 'ALLOWLIST_SYNC_CONFIG_PATH';
/** Environment variable with the allowlist names, comma-separated, in run order: each must have its parameter. */
export const CONFIG_ALLOWLISTS_ENV = 'ALLOWLIST_SYNC_ALLOWLISTS';
/** GetParametersByPath returns at most this many parameters per call (SSM API reference). */
export const PARAMETERS_PER_CALL = 10;

/** The SSM path of a deployment's config: `/allowlist-sync/<namePrefix>/config` (run state is `/allowlist-sync/<allowlist>/…`). */
export function configParameterPath(namePrefix: string): string {
  return `/allowlist-sync/${namePrefix}/config`;
}

/**
 * The parameter that lists a deployment's allowlists (comma-separated, in run order), beside its config path: the
 * same list as the function's `ALLOWLIST_SYNC_ALLOWLISTS`, for `plan --stack` (the function itself never reads it).
 */
export function configAllowlistsParameterName(namePrefix: string): string {
  return `/allowlist-sync/${namePrefix}/config-allowlists`;
}

/** The parameter of one allowlist under a config path. */
export function configParameterName(path: string, allowlist: string): string {
  return `${path}/${allowlist}`;
}
