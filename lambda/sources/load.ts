/**
 * `loadAllowlist`: every source of one allowlist fetched (a few at a time, within one total budget) and verified,
 * then parsed, checked against the policy and aggregated by `buildAllowlist`, and shaped as the engine's `Desired`.
 * The engine calls it once per allowlist before it observes any target: whatever fails here fails the allowlist
 * with nothing written (P6).
 */
import type { Allowlist, Source } from '../config';
import { type BuiltAllowlist, buildAllowlist } from '../core/allowlist';
import { ConfigError } from '../core/errors';
import type { DatedEntry } from '../core/expiry';
import type { ExpiredEntry } from '../core/formats';
import type { AllowlistReport, Desired, Provenance } from '../core/model';
import { SourceCache } from './cache';
import { type Fetched, fetchSource, type SourceDeps } from './fetch';
import { resolveLimits } from './limits';

/** One allowlist, loaded: what the engine applies and what the report says about it. */
export interface LoadedAllowlist {
  readonly desired: Desired;
  readonly provenance: Provenance[];
  readonly counts: AllowlistReport['entries'];
  /** Entries left out because they expired. */
  readonly expired: readonly ExpiredEntry[];
  /** Entries kept that carry an expiry (the engine lists those within the warning window). */
  readonly dated: readonly DatedEntry[];
  /** The signed document's serial: the engine records it with `SerialStore.put` after every target applied. */
  readonly serial?: number;
  /** True when every source was unchanged and the previous build was reused (no parse). */
  readonly reused: boolean;
}

/** Hooks of {@link loadAllowlist}. */
export interface LoadHooks {
  /** Called once every source is fetched and verified, as parsing begins (the run report's fetch/parse split). */
  readonly onFetched?: () => void;
}

/** Fetches, verifies, parses, checks and aggregates one allowlist. Throws SourceError, ParseError or PolicyError. */
export async function loadAllowlist(
  allowlist: Allowlist,
  deps: SourceDeps,
  hooks: LoadHooks = {},
): Promise<LoadedAllowlist> {
  const limits = resolveLimits(deps.limits);
  const signedSources = allowlist.sources.filter(isSigned);
  if (signedSources.length > 1) {
    // One serial per allowlist: two signed documents would each need their own, and could not both be "the" list.
    throw new ConfigError(`allowlist ${allowlist.name}`, [
      `sources: ${signedSources.length} sources are signed; at most one signed source per allowlist (merge them into one document)`,
    ]);
  }
  const lastSerial = signedSources.length > 0 ? await deps.serialStore?.get(allowlist.name) : undefined;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), limits.fetchBudgetMs);
  let fetched: Fetched[];
  try {
    fetched = await mapLimit(allowlist.sources, limits.concurrency, (source) =>
      fetchSource(source, deps, {
        signal: controller.signal,
        ...(isSigned(source) && lastSerial !== undefined ? { lastSerial } : {}),
      }),
    );
  } finally {
    clearTimeout(timer);
    // Stops the sources still in flight when one failed: the run is refused anyway.
    controller.abort();
  }
  hooks.onFetched?.();
  const { built, reused } = build(allowlist, fetched, new Date(deps.now()), deps.cache);
  const signed = fetched.find((f) => f.signed !== undefined)?.signed;
  return {
    desired: { allowlist: allowlist.name, set: built.set, cidrs: built.cidrs, notes: built.notes },
    provenance: fetched.map((f) => f.provenance),
    counts: built.counts,
    expired: built.expired,
    dated: built.dated,
    ...(signed ? { serial: signed.serial } : {}),
    reused,
  };
}

function isSigned(source: Source): boolean {
  return source.kind !== 'inline' && source.integrity !== undefined && 'ed25519PublicKey' in source.integrity;
}

/**
 * Builds, or reuses the last build when every source's bytes and the policy are the same. A list with expiry dates
 * depends on the clock as well, so one whose bytes mention "expires" is always rebuilt.
 */
function build(
  allowlist: Allowlist,
  fetched: readonly Fetched[],
  now: Date,
  cache: SourceCache | undefined,
): { built: BuiltAllowlist; reused: boolean } {
  const key = JSON.stringify([
    allowlist.policy,
    fetched.map((f) => [SourceCache.keyOf(f.source), f.provenance.sha256]),
  ]);
  const timeless = fetched.every(
    (f) => Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength).indexOf('"expires"') < 0,
  );
  const hit = timeless ? (cache?.getBuild(allowlist.name, key) as BuiltAllowlist | undefined) : undefined;
  if (hit) return { built: hit, reused: true };
  const built = buildAllowlist(
    fetched.map((f) => ({ label: f.provenance.location, bytes: f.bytes, format: formatOf(f.source) })),
    allowlist.policy,
    now,
  );
  cache?.putBuild(allowlist.name, key, built);
  return { built, reused: false };
}

function formatOf(source: Source) {
  return source.kind === 'inline' ? ({ type: 'text' } as const) : source.format;
}

/** Runs `fn` over `items`, at most `limit` at a time, in order; the first failure rejects (the rest are dropped). */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
