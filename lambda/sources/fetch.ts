/**
 * `fetchSource`: one source, end to end up to its bytes — transport (within the limits), conditional fetch through
 * the cache, the empty-body check, and integrity (SHA-256, or an Ed25519 signature with its serial and age checks).
 * What it returns has passed every check that needs no parse; parsing and the policy are `buildAllowlist`'s.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Source } from '../config';
import type { Provenance } from '../core/model';
import type { CachedSource, SourceCache } from './cache';
import { SourceError } from './errors';
import { fetchFile } from './file';
import { fetchHttps } from './https';
import { fetchInline } from './inline';
import {
  checkFreshness,
  checkSha256,
  checkSignature,
  parsePublicKey,
  readSignedHeader,
  type SignedHeader,
  sha256Hex,
} from './integrity';
import { type FetchLimits, resolveLimits } from './limits';
import { sourceFromLocation } from './locate';
import { locationOf } from './location';
import { fetchS3 } from './s3';
import type { SerialStore } from './serial-store';
import { fetchSsm } from './ssm';
import type { Conditional, TransportResult } from './transport';

/** What fetching needs. Clients are created lazily, only for the kinds a config uses. */
export interface SourceDeps {
  readonly s3?: S3Client;
  readonly ssm?: SSMClient;
  /** Milliseconds since the epoch (injected: tests pin the clock). */
  readonly now: () => number;
  readonly cache?: SourceCache;
  /** The last applied serial of signed allowlists; without one the rollback check is skipped (CLI only). */
  readonly serialStore?: SerialStore;
  readonly limits?: Partial<FetchLimits>;
  /** Extra trusted CA for HTTPS (tests pass their self-signed CA). */
  readonly https?: { readonly ca?: string | Buffer };
  /** Where a relative `file` path is read from: the CLI passes its config file's directory. @default the cwd */
  readonly baseDir?: string;
}

/** One fetched source: its bytes (from the cache when not modified) and where they came from. */
export interface Fetched {
  readonly source: Source;
  readonly bytes: Uint8Array;
  readonly provenance: Provenance;
  /** The verified serial and generation time of a signed source. */
  readonly signed?: SignedHeader;
}

/** Per-call context: the budget signal and, for signed sources, the last applied serial. */
export interface FetchContext {
  readonly signal?: AbortSignal;
  readonly lastSerial?: number;
}

const SIGNATURE_MAX_BYTES = 4096;

/** Fetches and verifies one source; throws {@link SourceError} for every failure. */
export async function fetchSource(source: Source, deps: SourceDeps, context: FetchContext = {}): Promise<Fetched> {
  const limits = resolveLimits(deps.limits);
  const label = locationOf(source);
  const integrity = source.kind === 'inline' ? undefined : source.integrity;
  const signed = integrity && 'ed25519PublicKey' in integrity ? integrity : undefined;
  if (signed && source.kind !== 'inline' && source.format.type !== 'allowlist') {
    throw new SourceError(
      label,
      'unsigned-format',
      `a signed source must be in the "allowlist" format (it carries the serial and generatedAt), not "${source.format.type}"`,
      'publish the list as an allowlist document, or drop the signature requirement',
    );
  }
  const key = signed ? parsePublicKey(label, signed.ed25519PublicKey) : undefined;
  const budget = context.signal ? undefined : AbortSignal.timeout(limits.fetchBudgetMs);
  const signal = context.signal ?? (budget as AbortSignal);
  const cached = deps.cache?.getSource(source);
  const fetchedAt = new Date(deps.now()).toISOString();

  const result = await transport(source, deps, limits, signal, cached);
  let bytes: Uint8Array;
  let sha256: string;
  let header: SignedHeader | undefined;
  if (result.notModified) {
    if (!cached) throw new SourceError(label, 'http-status', 'not modified, but nothing was cached', 'report a bug');
    ({ bytes, sha256 } = cached);
    header = cached.signed;
  } else {
    bytes = result.bytes;
    if (bytes.byteLength === 0) {
      throw new SourceError(
        label,
        'empty',
        'the body is 0 bytes',
        'publish the list again (an empty body is a failed upload, never an empty list; write a comment line for one)',
      );
    }
    sha256 = sha256Hex(bytes);
    if (integrity && 'sha256' in integrity) checkSha256(label, bytes, integrity.sha256);
    if (signed && key) {
      const sigSource = signatureSource(source, signed.signatureLocation);
      const sig = await transport(
        sigSource,
        deps,
        { ...limits, maxBytes: SIGNATURE_MAX_BYTES },
        signal,
        undefined,
      ).catch((error: unknown) => {
        if (error instanceof SourceError && error.reason !== 'too-large' && error.reason !== 'budget') {
          throw new SourceError(
            label,
            'missing-signature',
            `the signature at ${error.source} could not be read: ${error.reason}: ${error.detail}`,
            'publish the .sig written by `allowlist-sync sign` next to the list, or set integrity.signatureLocation',
            { cause: error },
          );
        }
        throw error;
      });
      if (sig.notModified) throw new SourceError(label, 'missing-signature', 'no signature body', 'publish the .sig');
      checkSignature(label, bytes, sig.bytes, key);
      header = readSignedHeader(label, bytes);
    }
    deps.cache?.putSource(source, {
      sha256,
      bytes,
      ...pick(result),
      ...(header ? { signed: header } : {}),
    } satisfies CachedSource);
  }
  // Re-checked on every run, cached or not: a list that stopped being re-signed goes stale, and a rollback is judged
  // against the serial applied since.
  if (signed && header) {
    checkFreshness(label, header, {
      lastSerial: context.lastSerial,
      now: deps.now(),
      maxAgeSeconds: signed.maxAgeSeconds,
      clockSkewMs: limits.clockSkewMs,
    });
  }
  const validators = result.notModified && cached ? { ...pick(cached), ...pick(result) } : pick(result);
  const provenance: Provenance = {
    kind: source.kind,
    location: label,
    sha256,
    bytes: bytes.byteLength,
    ...validators,
    fetchedAt,
    ...(header ? { serial: header.serial, generatedAt: new Date(header.generatedAt).toISOString() } : {}),
    ...(result.notModified ? { notModified: true } : {}),
  };
  return { source, bytes, provenance, ...(header ? { signed: header } : {}) };
}

function pick(v: { etag?: string; lastModified?: string; versionId?: string }) {
  return {
    ...(v.versionId !== undefined ? { versionId: v.versionId } : {}),
    ...(v.etag !== undefined ? { etag: v.etag } : {}),
    ...(v.lastModified !== undefined ? { lastModified: v.lastModified } : {}),
  };
}

async function transport(
  source: Source,
  deps: SourceDeps,
  limits: FetchLimits,
  signal: AbortSignal,
  cached: CachedSource | undefined,
): Promise<TransportResult> {
  const maxBytes = (source.kind !== 'inline' ? source.maxBytes : undefined) ?? limits.maxBytes;
  const conditional: Conditional | undefined =
    cached && (cached.etag || cached.lastModified)
      ? {
          ...(cached.etag ? { etag: cached.etag } : {}),
          ...(cached.lastModified ? { lastModified: cached.lastModified } : {}),
        }
      : undefined;
  switch (source.kind) {
    case 'inline':
      return fetchInline(source.entries);
    case 'file':
      return fetchFile(source.path, maxBytes, deps.baseDir);
    case 'https':
      return fetchHttps(source.url, {
        limits,
        maxBytes,
        signal,
        ...(deps.https?.ca !== undefined ? { ca: deps.https.ca } : {}),
        ...(conditional ? { conditional } : {}),
      });
    case 's3':
      return fetchS3(deps.s3 ?? defaultS3(limits), source, {
        limits,
        maxBytes,
        signal,
        // Only the ETag is a validator for S3; Last-Modified has one-second resolution.
        ...(conditional?.etag ? { conditional: { etag: conditional.etag } } : {}),
      });
    case 'ssm':
      return fetchSsm(deps.ssm ?? defaultSsm(limits), source.name, { maxBytes, signal });
  }
}

/** Where a source's detached signature is: `signatureLocation`, or the same transport with `.sig` appended. */
export function signatureSource(source: Source, signatureLocation: string | undefined): Source {
  const format = { type: 'text' } as const;
  if (signatureLocation !== undefined) return sourceFromLocation(signatureLocation, format);
  switch (source.kind) {
    case 's3':
      return {
        kind: 's3',
        bucket: source.bucket,
        key: `${source.key}.sig`,
        ...(source.expectedBucketOwner ? { expectedBucketOwner: source.expectedBucketOwner } : {}),
        format,
      };
    case 'https': {
      const url = new URL(source.url);
      url.pathname = `${url.pathname}.sig`;
      return { kind: 'https', url: url.href, format };
    }
    case 'ssm':
      return { kind: 'ssm', name: `${source.name}.sig`, format };
    case 'file':
      return { kind: 'file', path: `${source.path}.sig`, format };
    case 'inline':
      throw new SourceError(
        'inline',
        'bad-location',
        'inline entries cannot be signed',
        'sign a file, S3 or HTTPS list',
      );
  }
}

// One client per container, made on first use: a config without S3 sources never loads or builds an S3 client.
let s3Default: S3Client | undefined;
let ssmDefault: SSMClient | undefined;
function defaultS3(limits: FetchLimits): S3Client {
  s3Default ??= new S3Client({ requestHandler: { connectionTimeout: limits.connectTimeoutMs } });
  return s3Default;
}
function defaultSsm(limits: FetchLimits): SSMClient {
  ssmDefault ??= new SSMClient({ requestHandler: { connectionTimeout: limits.connectTimeoutMs } });
  return ssmDefault;
}
