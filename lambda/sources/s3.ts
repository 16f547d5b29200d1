/**
 * S3 transport: one GetObject, with the expected bucket owner (so a bucket re-created by someone else in another
 * account is refused, not read), an optional version pin, and If-None-Match for a conditional fetch (S3 answers 304,
 * which SDK v3 raises as an error with status 304). The body stream is read within the size and time bounds.
 */
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { budgetExceeded, readBody } from './body';
import { SourceError } from './errors';
import type { FetchLimits } from './limits';
import type { Conditional, TransportResult } from './transport';

/** Where the object is. */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly expectedBucketOwner?: string;
}

/** How to fetch it. */
export interface S3FetchOptions {
  readonly limits: FetchLimits;
  readonly maxBytes: number;
  readonly signal: AbortSignal;
  readonly conditional?: Conditional;
}

/** GETs an S3 object within the limits; throws {@link SourceError} for every failure. */
export async function fetchS3(client: S3Client, at: S3Location, options: S3FetchOptions): Promise<TransportResult> {
  const label = `s3://${at.bucket}/${at.key}`;
  let output: GetObjectCommandOutput;
  try {
    output = await client.send(
      new GetObjectCommand({
        Bucket: at.bucket,
        Key: at.key,
        ...(at.versionId ? { VersionId: at.versionId } : {}),
        ...(at.expectedBucketOwner ? { ExpectedBucketOwner: at.expectedBucketOwner } : {}),
        ...(options.conditional?.etag ? { IfNoneMatch: options.conditional.etag } : {}),
      }),
      { abortSignal: options.signal },
    );
  } catch (error) {
    if (isNotModified(error))
      return { notModified: true, ...(options.conditional?.etag ? { etag: options.conditional.etag } : {}) };
    if (options.signal.aborted) throw budgetExceeded(label, options.signal);
    throw mapS3Error(label, at, error);
  }
  const body = output.Body as (AsyncIterable<unknown> & { destroy?: () => void }) | undefined;
  const validators = {
    ...(typeof output.ETag === 'string' ? { etag: output.ETag } : {}),
    ...(typeof output.VersionId === 'string' ? { versionId: output.VersionId } : {}),
    ...(output.LastModified instanceof Date ? { lastModified: output.LastModified.toUTCString() } : {}),
  };
  if (!body) return { notModified: false, bytes: new Uint8Array(0), ...validators };
  const bytes = await readBody(body, {
    source: label,
    maxBytes: options.maxBytes,
    idleTimeoutMs: options.limits.idleTimeoutMs,
    signal: options.signal,
    ...(typeof output.ContentLength === 'number' ? { expectedLength: output.ContentLength } : {}),
    destroy: () => body.destroy?.(),
  });
  return { notModified: false, bytes, ...validators };
}

// SDK v3 raises S3's 304 as an error whose name is "304", "" or "NotModified" depending on the version (aws-sdk-js-v3
// issues #3674, #5860): the status code is the only reliable mark.
function isNotModified(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotModified' || e?.$metadata?.httpStatusCode === 304;
}

function mapS3Error(label: string, at: S3Location, error: unknown): SourceError {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? 'Error';
  const status = e?.$metadata?.httpStatusCode;
  const detail = `${name}${status ? ` (HTTP ${status})` : ''}: ${e?.message ?? String(error)}`;
  if (['NoSuchKey', 'NoSuchBucket', 'NoSuchVersion', 'NotFound'].includes(name) || status === 404) {
    return new SourceError(
      label,
      'not-found',
      detail,
      at.versionId ? `check the bucket, key and pinned versionId ${at.versionId}` : 'check the bucket and key',
      { cause: error },
    );
  }
  if (name === 'AccessDenied' || name === 'Forbidden' || status === 403) {
    return new SourceError(
      label,
      'access-denied',
      detail,
      at.expectedBucketOwner
        ? `check the function's role may s3:GetObject and the bucket is owned by ${at.expectedBucketOwner}`
        : "check the function's role may s3:GetObject (and kms:Decrypt for an SSE-KMS object)",
      { cause: error },
    );
  }
  return new SourceError(label, 'unreachable', detail, 'check S3 is reachable from the function; retry later', {
    cause: error,
  });
}
