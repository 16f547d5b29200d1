/**
 * The CLI's door to remote lists: `validate` and `aggregate` read `s3://…`, `https://…` and `ssm:…` arguments with
 * exactly the transport, bounds and checks a sync uses (certificates, same-host redirects, size cap, timeouts,
 * truncation, empty body), using the caller's AWS credentials and Region from the environment.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Provenance } from '../core/model';
import { fetchSource, type SourceDeps } from './fetch';
import { resolveLimits } from './limits';
import { sourceFromLocation } from './locate';

/** Reads one remote or local location as a sync would; throws SourceError on any failure. */
export async function readLocation(
  arg: string,
  deps: Partial<SourceDeps> = {},
): Promise<{ label: string; bytes: Uint8Array; provenance: Provenance }> {
  const fetched = await fetchSource(sourceFromLocation(arg), { now: () => Date.now(), ...deps });
  return { label: fetched.provenance.location, bytes: fetched.bytes, provenance: fetched.provenance };
}

/**
 * The client an `s3://` or `ssm:` location is read with, built with a Region and profile (the CLI's `--region` and
 * `--profile`); undefined for other locations. Built here, not in the CLI: the SDK is loaded only with this module.
 */
export function locationClient(
  arg: string,
  aws: { readonly region?: string; readonly profile?: string },
): { deps: Partial<SourceDeps>; client: S3Client | SSMClient } | undefined {
  const settings = { ...aws, requestHandler: { connectionTimeout: resolveLimits(undefined).connectTimeoutMs } };
  if (/^s3:/i.test(arg)) {
    const s3 = new S3Client(settings);
    return { deps: { s3 }, client: s3 };
  }
  if (/^ssm:/i.test(arg)) {
    const ssm = new SSMClient(settings);
    return { deps: { ssm }, client: ssm };
  }
  return undefined;
}
