/**
 * The typed failure of fetching or verifying a source. Every way a source can be bad (unreachable, slow, too big,
 * truncated, unsigned, rolled back, stale, empty) ends here, so the engine can refuse the run before it observes a
 * single target: fail static (docs/design.md P6). Parse and policy failures are not source failures: they come from
 * `buildAllowlist` as ParseError / PolicyError.
 */
import { AllowlistSyncError } from '../core/errors';

/** Why a source was refused. One code per failure mode, stable for alarms and tests. */
export type SourceReason =
  | 'timeout'
  | 'budget'
  | 'unreachable'
  | 'tls'
  | 'http-status'
  | 'not-found'
  | 'access-denied'
  | 'too-large'
  | 'truncated'
  | 'redirect-refused'
  | 'too-many-redirects'
  | 'not-https'
  | 'bad-location'
  | 'bad-encoding'
  | 'empty'
  | 'bad-hash'
  | 'missing-signature'
  | 'bad-signature'
  | 'bad-key'
  | 'unsigned-format'
  | 'bad-document'
  | 'serial-rollback'
  | 'stale'
  | 'future'
  | 'serial-store';

/** A source could not be fetched or did not pass its integrity checks; nothing was applied. */
export class SourceError extends AllowlistSyncError {
  override name = 'SourceError';
  constructor(
    /** The source's location as printed everywhere (no query string, no credentials). */
    readonly source: string,
    readonly reason: SourceReason,
    /** What was seen, e.g. `HTTP 503`, `21000000 bytes`, `Location: https://169.254.169.254/`. */
    readonly detail: string,
    /** What to do about it. */
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${reason}: ${detail}; nothing was applied. Fix: ${fix}`, options);
  }
}

/** True when `error` is a SourceError with this reason (for tests and the engine's metrics). */
export function isSourceError(error: unknown, reason?: SourceReason): error is SourceError {
  return error instanceof SourceError && (reason === undefined || error.reason === reason);
}
