/**
 * The esbuild options the function is bundled with, as plain data (no CDK import), so that the stack's
 * NodejsFunction and the benchmark (`bench/bundle.ts`) bundle exactly the same way and the measured bundle size and
 * cold start are the deployed ones.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The function's entry file, relative to the repository root. */
export const FUNCTION_ENTRY = 'lambda/function/handler.ts';

/**
 * The NodejsFunction bundling options, one to one with `aws-lambda-nodejs` `BundlingOptions` fields.
 *
 * - `target: node24` matches the runtime (`NODEJS_24_X`, docs/aws-behaviour.md §5).
 * - `externalModules: []` bundles the AWS SDK clients instead of using the runtime's copy: the SDK version is then the
 *   one the tests ran against, and esbuild tree-shakes it (NodejsFunction's default leaves `@aws-sdk/*` out).
 * - `mainFields: ['module', 'main']` lets esbuild pick the SDK's ES module builds, which tree-shake better.
 * - No source map: it doubles the bundle and the cold start, and the code is small enough to read from the stack.
 */
export const FUNCTION_BUNDLING = {
  target: 'node24',
  format: 'cjs',
  minify: true,
  sourceMap: false,
  externalModules: [] as string[],
  mainFields: ['module', 'main'] as string[],
} as const;

/**
 * The same options as esbuild `BuildOptions` (what NodejsFunction passes on its command line), for callers that run
 * esbuild themselves: `esbuild.build({ ...esbuildOptions(), entryPoints: [FUNCTION_ENTRY], outfile })`.
 */
export function esbuildOptions(): {
  bundle: true;
  platform: 'node';
  target: string;
  format: 'cjs';
  minify: boolean;
  sourcemap: boolean;
  external: string[];
  mainFields: string[];
} {
  return {
    bundle: true,
    platform: 'node',
    target: FUNCTION_BUNDLING.target,
    format: FUNCTION_BUNDLING.format,
    minify: FUNCTION_BUNDLING.minify,
    sourcemap: FUNCTION_BUNDLING.sourceMap,
    external: [...FUNCTION_BUNDLING.externalModules],
    mainFields: [...FUNCTION_BUNDLING.mainFields],
  };
}

/** Bundles already made in this process, by entry and options: the directory each was written to. */
const bundles = new Map<string, string>();

/**
 * Bundles `entry` with {@link esbuildOptions} into `index.js` of a fresh directory, once per process for a given entry
 * and options: every stack of a synth then points at the same directory, so the function's code is one asset (one
 * hash, one upload) however many environments are synthesized, and esbuild runs once. Since the RuntimeConfig lives in
 * SSM parameters (docs/runtime-config-delivery.md), nothing per stack is in the code. esbuild is loaded here, not at
 * import: the npm package deploys its prebuilt copy and does not depend on it.
 */
export function bundleFunctionOnce(entry: string): string {
  const options = esbuildOptions();
  const key = JSON.stringify({ entry, options });
  const known = bundles.get(key);
  if (known !== undefined) return known;
  // A lazy load, so the package's users never need esbuild.
  const esbuild = require('esbuild') as typeof import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'allowlist-sync-function-'));
  // The line CDK prints for its own bundlings: a synth says when it bundles, and tests and the bench count it.
  process.stderr.write(`Bundling asset ${entry}...\n`);
  esbuild.buildSync({ ...options, entryPoints: [entry], outfile: join(dir, 'index.js'), logLevel: 'warning' });
  bundles.set(key, dir);
  return dir;
}

/** Forgets the bundles made in this process, so the next synth bundles again (for tests that count bundlings). */
export function forgetFunctionBundles(): void {
  bundles.clear();
}
