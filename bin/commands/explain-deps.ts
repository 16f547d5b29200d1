/**
 * `explain`'s real clients: the SDK's defaults (credentials, Region and `AWS_ENDPOINT_URL` from the environment),
 * with `--region` and `--profile` applied. Each client is built on first use, so an explain of inline and file
 * sources without `--live` builds none.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import type { Allowlist, RuntimeConfig } from '../../lambda/config';
import type { SourceDeps } from '../../lambda/sources/fetch';
import { driverFactory } from '../../lambda/targets';
import type { TargetDriver } from '../../lambda/targets/types';

/** What explain reads with: the sources' clients and, for `--live`, the target drivers. Tests inject fakes. */
export interface ExplainDeps {
  readonly sources: SourceDeps;
  /** Builds one target's driver (only `observe` and `plan` are called: `--live` never writes). */
  readonly drivers: (target: Allowlist['targets'][number], allowlist: string) => TargetDriver;
  /** The Region the clients resolve (the SDK's own provider); checked before `--live` or a remote source reads. */
  readonly region?: () => Promise<string>;
}

/** Where the SDK clients point: the flags, and the config (to build only the clients its sources need). */
export interface ClientOptions {
  readonly region?: string;
  readonly profile?: string;
  readonly config: RuntimeConfig;
}

/** Builds explain's deps from the environment and the flags. */
export function createExplainDeps(options: ClientOptions): ExplainDeps {
  const common = {
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
  };
  const kinds = new Set(options.config.allowlists.flatMap((a) => a.sources.map((s) => s.kind)));
  const sources: SourceDeps = {
    now: Date.now,
    ...(kinds.has('s3') ? { s3: new S3Client(common) } : {}),
    ...(kinds.has('ssm') ? { ssm: new SSMClient(common) } : {}),
  };
  let ec2: EC2Client | undefined;
  const waf = new Map<string, WAFV2Client>();
  const drivers = driverFactory({
    get ec2() {
      ec2 ??= new EC2Client(common);
      return ec2;
    },
    wafv2: (scope) => {
      // CLOUDFRONT scope exists only in us-east-1 (docs/aws-behaviour.md §24).
      const region = scope === 'CLOUDFRONT' ? 'us-east-1' : options.region;
      const key = region ?? '';
      let client = waf.get(key);
      if (!client) {
        client = new WAFV2Client({ ...common, ...(region !== undefined ? { region } : {}) });
        waf.set(key, client);
      }
      return client;
    },
  });
  // A client's own Region provider: the Region every client above resolves (the CLOUDFRONT client's is fixed).
  return { sources, drivers, region: () => new SSMClient(common).config.region() };
}
