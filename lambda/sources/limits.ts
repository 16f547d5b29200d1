/**
 * The bounds of a fetch (docs/design.md P9). Every source read is capped in size and time so a hostile or broken source
 * can never hold the function past its timeout or its memory: the run fails static instead.
 */

/** Bounds on fetching one allowlist's sources. */
export interface FetchLimits {
  /** Largest body accepted, unless the source sets `maxBytes`. @default 20 MiB */
  readonly maxBytes: number;
  /** Time to get a connected (TLS-established) socket. @default 5 s */
  readonly connectTimeoutMs: number;
  /** Longest silence between two chunks of a response (a slow-drip body is cut off). @default 10 s */
  readonly idleTimeoutMs: number;
  /** Total time for fetching every source of one allowlist; keep it below the function timeout. @default 30 s */
  readonly fetchBudgetMs: number;
  /** HTTPS redirects followed (same host, https only). @default 3 */
  readonly maxRedirects: number;
  /** Sources fetched at once. @default 4 */
  readonly concurrency: number;
  /** Tolerated clock skew for a signed document's generatedAt in the future. @default 5 min */
  readonly clockSkewMs: number;
}

/** The defaults. */
export const DEFAULT_LIMITS: FetchLimits = {
  maxBytes: 20 * 1024 * 1024,
  connectTimeoutMs: 5_000,
  idleTimeoutMs: 10_000,
  fetchBudgetMs: 30_000,
  maxRedirects: 3,
  concurrency: 4,
  clockSkewMs: 5 * 60_000,
};

/** Fills unset limits with the defaults. */
export function resolveLimits(limits: Partial<FetchLimits> | undefined): FetchLimits {
  return { ...DEFAULT_LIMITS, ...limits };
}
