/**
 * The engine's real deps: SDK clients with the SDK's defaults (region, credentials and `AWS_ENDPOINT_URL` from the
 * environment), the sources' loader and cache, the target drivers, the clock, the EventBridge client of the change
 * events (default bus only), and the run lock and generation store in SSM (P10; they share the SSM client the sources and the serial store use). The Lambda builds them once per
 * container (clients and the conditional-fetch cache then live across warm invocations); the CLI once per command.
 * Clients are created here, never at module scope, so tests that import lambda/ never build one.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import type { RuntimeConfig } from '../config';
import { loadAllowlist, SourceCache, type SourceDeps, SsmSerialStore } from '../sources';
import { driverFactory } from '../targets';
import type { EngineDeps } from './index';
import { SsmGenerationStore, SsmRunLock } from './run-lock';

/** Who runs the engine: the function keeps a conditional-fetch cache across warm invocations; the CLI does not. */
export interface EngineDepsOptions {
  readonly runner: 'lambda' | 'cli';
  /** Where relative `file` source paths are read from (the CLI: the config file's directory). @default the cwd */
  readonly baseDir?: string;
  /** Region and profile for every client (the CLI's `--region`/`--profile`). @default the SDK's resolution */
  readonly aws?: { readonly region?: string; readonly profile?: string };
}

/** Builds the engine's deps from the environment. */
export function createEngineDeps(config: RuntimeConfig, options: EngineDepsOptions): EngineDeps {
  const aws = { ...options.aws };
  const ec2 = new EC2Client(aws);
  const regional = new WAFV2Client(aws);
  let cloudfront: WAFV2Client | undefined;
  // WAF scope CLOUDFRONT exists only in us-east-1 (docs/aws-behaviour.md §24), whatever region the function runs in.
  // One client per Region: the drivers pace WAF writes per client, and the quota is one write per second per Region
  // (23).
  const wafv2 = (scope: 'REGIONAL' | 'CLOUDFRONT') => {
    if (scope === 'REGIONAL') return regional;
    cloudfront ??=
      (aws.region ?? process.env.AWS_REGION) === 'us-east-1'
        ? regional
        : new WAFV2Client({ ...aws, region: 'us-east-1' });
    return cloudfront;
  };
  const ssm = new SSMClient(aws);
  // The last applied serial lives in SSM only when some source is signed; otherwise no SSM call is ever made.
  const serialStore = hasSignedSource(config) ? new SsmSerialStore(ssm) : undefined;
  const sources: SourceDeps = {
    s3: new S3Client(aws),
    ssm,
    now: Date.now,
    ...(options.baseDir !== undefined ? { baseDir: options.baseDir } : {}),
    ...(options.runner === 'lambda' ? { cache: new SourceCache() } : {}),
    ...(serialStore ? { serialStore } : {}),
  };
  return {
    ec2,
    wafv2,
    sources,
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    load: (allowlist, onFetched) => loadAllowlist(allowlist, sources, onFetched ? { onFetched } : {}),
    // One factory per container: its WAF drivers share one write pace per Region across targets and runs.
    drivers: driverFactory({ ec2, wafv2 }),
    // Every applying run, the function's and the CLI's alike, takes the same lock (dry runs take none).
    lock: new SsmRunLock(ssm, Date.now),
    generations: new SsmGenerationStore(ssm),
    // Change events of applying runs, the function's and the CLI's alike (an operator's forced apply is the one most
    // worth an audit trail); dry runs send none.
    eventBridge: new EventBridgeClient({}),
    ...(serialStore ? { serials: serialStore } : {}),
  };
}

/** Whether any source of any allowlist pins an Ed25519 public key. */
export function hasSignedSource(config: RuntimeConfig): boolean {
  return config.allowlists.some((a) =>
    a.sources.some((s) => s.kind !== 'inline' && s.integrity !== undefined && 'ed25519PublicKey' in s.integrity),
  );
}
