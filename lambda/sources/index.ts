/**
 * Allowlist sources: where a list's bytes come from (S3, HTTPS, SSM, inline, a local file), fetched within bounds,
 * conditionally, with provenance and optional integrity (SHA-256 or Ed25519 signatures), failing static with a
 * typed {@link SourceError}. The engine calls {@link loadAllowlist}; the CLI uses {@link fetchSource} and
 * {@link sourceFromLocation}.
 */
export { type CachedSource, SourceCache } from './cache';
export { isSourceError, SourceError, type SourceReason } from './errors';
export { type FetchContext, type Fetched, fetchSource, type SourceDeps, signatureSource } from './fetch';
export {
  checkFreshness,
  generateSigningKeys,
  parsePublicKey,
  readSignedHeader,
  type SignedHeader,
  sha256Hex,
  signBytes,
  stampDocument,
} from './integrity';
export { DEFAULT_LIMITS, type FetchLimits, resolveLimits } from './limits';
export { type LoadedAllowlist, type LoadHooks, loadAllowlist } from './load';
export { isRemoteLocation, sourceFromLocation } from './locate';
export { locationOf, redactUrl } from './location';
export { readLocation } from './read-location';
export { MemorySerialStore, type SerialStore, SsmSerialStore, serialParameterName } from './serial-store';
