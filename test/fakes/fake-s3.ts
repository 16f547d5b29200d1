/**
 * FakeS3: a stateful fake of the S3 object reads allowlist-sync makes, behind a real `S3Client` stubbed per instance
 * with aws-sdk-client-mock. It enforces what GetObject does (S3 API reference, GetObject): `NoSuchBucket` and
 * `NoSuchKey` (404), `NoSuchVersion` for a pinned version that does not exist, `AccessDenied` (403) when
 * `ExpectedBucketOwner` is not the bucket's owner, and a 304 when `IfNoneMatch` equals the current ETag (raised by SDK
 * v3 as an error named "304"); every put makes a new version with a new ETag. Bodies are Node streams
 * (what the SDK returns in Node), and can be made hostile: cut short of their Content-Length, dripped slowly, or
 * failing with any error.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { FAKE_CLIENT_CONFIG, recordCall } from './faults';

/** A hostile behaviour of one object's body or read. */
export type S3Fault =
  /** The body ends `missing` bytes before its Content-Length. */
  | { readonly kind: 'truncate'; readonly missing: number }
  /** The body arrives in `chunk`-byte pieces, one every `delayMs`. */
  | { readonly kind: 'drip'; readonly chunk: number; readonly delayMs: number }
  /** GetObject fails with this S3 error. */
  | { readonly kind: 'error'; readonly name: string; readonly status: number };

interface Version {
  readonly versionId: string;
  readonly body: Uint8Array;
  readonly etag: string;
  readonly lastModified: Date;
}

/** One recorded call. */
export interface S3Call {
  readonly command: 'GetObject' | 'PutObject';
  readonly input: Record<string, unknown>;
  outcome: string;
}

/** The fake; pass `fake.client` to the code under test. */
export class FakeS3 {
  readonly client = new S3Client(FAKE_CLIENT_CONFIG);
  readonly stub: AwsClientStub<S3Client>;
  readonly calls: S3Call[] = [];
  private readonly buckets = new Map<string, { owner: string; objects: Map<string, Version[]> }>();
  private readonly faults = new Map<string, S3Fault>();
  private versionSeq = 0;

  constructor(private readonly clock: () => number = () => Date.now()) {
    this.stub = mockClient(this.client);
    this.stub
      .on(GetObjectCommand)
      .callsFake((input) => recordCall(this.calls, 'GetObject', input, () => this.get(input)));
    this.stub
      .on(PutObjectCommand)
      .callsFake((input) => recordCall(this.calls, 'PutObject', input, () => this.put(input)));
  }

  /** Creates an empty bucket owned by `owner`. */
  createBucket(bucket: string, owner = '123456789012'): this {
    this.buckets.set(bucket, { owner, objects: new Map() });
    return this;
  }

  /** Stores a new version of an object (no call recorded: this is the publisher, not the code under test). */
  putObject(bucket: string, key: string, body: string | Uint8Array): { versionId: string; etag: string } {
    const b = this.buckets.get(bucket);
    if (!b) throw new Error(`FakeS3: no bucket ${bucket}`);
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const version: Version = {
      versionId: `v${++this.versionSeq}`,
      body: bytes,
      etag: `"${createHash('md5').update(bytes).digest('hex')}"`,
      lastModified: new Date(Math.floor(this.clock() / 1000) * 1000),
    };
    const versions = b.objects.get(key) ?? [];
    versions.push(version);
    b.objects.set(key, versions);
    return { versionId: version.versionId, etag: version.etag };
  }

  /** Makes every later read of this object hostile. */
  setFault(bucket: string, key: string, fault: S3Fault | undefined): void {
    if (fault) this.faults.set(`${bucket}/${key}`, fault);
    else this.faults.delete(`${bucket}/${key}`);
  }

  /** Calls of one command. */
  callsOf(command: S3Call['command']): S3Call[] {
    return this.calls.filter((c) => c.command === command);
  }

  private async get(input: {
    Bucket?: string;
    Key?: string;
    VersionId?: string;
    ExpectedBucketOwner?: string;
    IfNoneMatch?: string;
  }): Promise<unknown> {
    const b = this.buckets.get(input.Bucket ?? '');
    if (!b) throw s3Error('NoSuchBucket', 404, 'The specified bucket does not exist');
    if (input.ExpectedBucketOwner !== undefined && input.ExpectedBucketOwner !== b.owner) {
      throw s3Error('AccessDenied', 403, 'Access Denied');
    }
    const fault = this.faults.get(`${input.Bucket}/${input.Key}`);
    if (fault?.kind === 'error') throw s3Error(fault.name, fault.status, `injected ${fault.name}`);
    const versions = b.objects.get(input.Key ?? '');
    if (!versions || versions.length === 0) throw s3Error('NoSuchKey', 404, 'The specified key does not exist.');
    const version = input.VersionId ? versions.find((v) => v.versionId === input.VersionId) : versions.at(-1);
    if (!version) throw s3Error('NoSuchVersion', 404, 'The specified version does not exist.');
    if (input.IfNoneMatch !== undefined && input.IfNoneMatch === version.etag) {
      // The real SDK v3 names this error "304" (or "", by version) with message UnknownError: S3's 304 has no XML
      // body to take a code from (aws/aws-sdk-js-v3 issues #3674, #5860). Only the status code is reliable.
      throw s3Error('304', 304, 'UnknownError');
    }
    return {
      Body: bodyStream(version.body, fault),
      ContentLength: version.body.byteLength,
      ETag: version.etag,
      VersionId: version.versionId,
      LastModified: version.lastModified,
      $metadata: { httpStatusCode: 200 },
    };
  }

  private async put(input: { Bucket?: string; Key?: string; Body?: unknown }): Promise<unknown> {
    if (!this.buckets.has(input.Bucket ?? ''))
      throw s3Error('NoSuchBucket', 404, 'The specified bucket does not exist');
    const body = typeof input.Body === 'string' || input.Body instanceof Uint8Array ? input.Body : '';
    const { versionId, etag } = this.putObject(input.Bucket!, input.Key ?? '', body);
    return { VersionId: versionId, ETag: etag, $metadata: { httpStatusCode: 200 } };
  }
}

function bodyStream(body: Uint8Array, fault: S3Fault | undefined): Readable {
  if (fault?.kind === 'truncate') {
    const cut = body.subarray(0, Math.max(0, body.byteLength - fault.missing));
    return Readable.from([Buffer.from(cut)]);
  }
  if (fault?.kind === 'drip') {
    const { chunk, delayMs } = fault;
    return Readable.from(
      (async function* () {
        for (let at = 0; at < body.byteLength; at += chunk) {
          await new Promise((r) => setTimeout(r, delayMs));
          yield Buffer.from(body.subarray(at, at + chunk));
        }
      })(),
    );
  }
  return Readable.from([Buffer.from(body)]);
}

/** An S3 error as SDK v3 raises it. */
export function s3Error(name: string, status: number, message: string): S3ServiceException {
  return new S3ServiceException({
    name,
    message,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}
