/**
 * The per-container memory of the last fetch of each source and the last build of each allowlist, so that a source
 * that did not change costs neither a download (conditional fetch: S3 If-None-Match, HTTP ETag / Last-Modified) nor a
 * parse (the build is keyed by the SHA-256 of every source's bytes and the policy). The run still observes and
 * verifies every target: the cache saves work before the targets, never the check of them (drift).
 *
 * Lives in memory only: a Lambda container keeps it between warm invocations; a cold start begins empty, which only
 * costs one full fetch. Nothing here is trusted across a key change: the key is the source's whole config.
 */
import type { Source } from '../config';
import type { SignedHeader } from './integrity';
import type { Validators } from './transport';

/** What is remembered of one source. */
export interface CachedSource extends Validators {
  readonly sha256: string;
  readonly bytes: Uint8Array;
  /** For signed sources: the verified serial and generatedAt, re-checked for rollback and age on every run. */
  readonly signed?: SignedHeader;
}

/** An in-memory cache of fetched sources and built allowlists, for one Lambda container or one CLI process. */
export class SourceCache<Built = unknown> {
  private readonly sources = new Map<string, CachedSource>();
  private readonly builds = new Map<string, { readonly key: string; readonly built: Built }>();

  /** The cache key of a source: its whole config, so a changed pin, format or URL never matches an old entry. */
  static keyOf(source: Source): string {
    return JSON.stringify(source);
  }

  /** The last fetch of this source, if any. */
  getSource(source: Source): CachedSource | undefined {
    return this.sources.get(SourceCache.keyOf(source));
  }

  /** Remembers the last successful fetch of this source. */
  putSource(source: Source, entry: CachedSource): void {
    this.sources.set(SourceCache.keyOf(source), entry);
  }

  /** The last build of an allowlist if it was made from exactly the inputs `key` names. */
  getBuild(allowlist: string, key: string): Built | undefined {
    const hit = this.builds.get(allowlist);
    return hit?.key === key ? hit.built : undefined;
  }

  /** Remembers the last build of an allowlist, with the key of its inputs. */
  putBuild(allowlist: string, key: string, built: Built): void {
    this.builds.set(allowlist, { key, built });
  }

  /** Forgets everything (tests). */
  clear(): void {
    this.sources.clear();
    this.builds.clear();
  }
}
