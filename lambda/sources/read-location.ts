/**
 * The CLI's door to remote lists: `validate` and `aggregate` read `s3://…`, `https://…` and `ssm:…` arguments with
 * exactly the transport, bounds and checks a sync uses (certificates, same-host redirects, size cap, timeouts,
 * truncation, empty body), using the caller's AWS credentials and Region from the environment.
 */
import type { Provenance } from '../targets/types';
import { fetchSource, type SourceDeps } from './fetch';
import { sourceFromLocation } from './locate';

/** Reads one remote or local location as a sync would; throws SourceError on any failure. */
export async function readLocation(
  arg: string,
  deps: Partial<SourceDeps> = {},
): Promise<{ label: string; bytes: Uint8Array; provenance: Provenance }> {
  const fetched = await fetchSource(sourceFromLocation(arg), { now: () => Date.now(), ...deps });
  return { label: fetched.provenance.location, bytes: fetched.bytes, provenance: fetched.provenance };
}
