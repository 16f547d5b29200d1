/**
 * The error hierarchy of allowlist-sync. Every error the run cannot go past is an `AllowlistSyncError`; each subclass
 * carries typed fields (where, value, fix) rather than data hidden in the message, so the handler, the CLI and the
 * tests can act on them. Recoverable per-target outcomes are return values, not exceptions.
 *
 * Pure: no I/O, no SDK.
 */

/** Where an entry or a problem came from: a source label and a line number or JSON path. */
export interface Origin {
  /** The source: a file name, `s3://bucket/key`, `https://host/path` (no query), `ssm:/name`, `inline`. */
  readonly source: string;
  /** 1-based line number for line formats. */
  readonly line?: number;
  /** JSON path for JSON formats, e.g. `prefixes[12].ip_prefix`. */
  readonly path?: string;
}

/** Formats an origin as `SOURCE:LINE` or `SOURCE:PATH`, the form the CLI prints. */
export function formatOrigin(origin: Origin): string {
  if (origin.line !== undefined) return `${origin.source}:${origin.line}`;
  if (origin.path !== undefined) return `${origin.source}:${origin.path}`;
  return origin.source;
}

/** One problem found in input: what, where, the value seen and, when there is one, the fix. */
export interface Problem {
  readonly origin: Origin;
  /** The offending text as seen (truncated to a readable length). */
  readonly value: string;
  /** What is wrong and what was expected, e.g. `"64.0.0.0/35" is not a prefix: IPv4 prefix length is 0–32`. */
  readonly message: string;
  /** Machine-readable kind, e.g. `syntax`, `host-bits`, `too-broad`, `special-purpose`, `expired`. */
  readonly code: string;
}

/** Formats a problem as one line: `SOURCE:LINE: message`. */
export function formatProblem(problem: Problem): string {
  return `${formatOrigin(problem.origin)}: ${problem.message}`;
}

/** Base class of every error allowlist-sync raises on purpose. */
export class AllowlistSyncError extends Error {
  override name = 'AllowlistSyncError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A source failed to parse. The whole source is rejected; `problems` lists every bad entry found (capped). */
export class ParseError extends AllowlistSyncError {
  override name = 'ParseError';
  constructor(
    readonly source: string,
    readonly problems: readonly Problem[],
    /** True when more problems existed than were collected. */
    readonly truncated = false,
  ) {
    super(
      summarise(
        `${source}: ${problems.length}${truncated ? '+' : ''} malformed entr${problems.length === 1 ? 'y' : 'ies'}; nothing was applied`,
        problems,
      ),
    );
  }
}

/** The entry policy refused the list. `violations` lists every one found (capped). */
export class PolicyError extends AllowlistSyncError {
  override name = 'PolicyError';
  constructor(
    readonly violations: readonly Problem[],
    readonly truncated = false,
    headline = `the allowlist breaks the entry policy in ${violations.length}${truncated ? '+' : ''} ${violations.length === 1 && !truncated ? 'place' : 'places'}; nothing was applied`,
  ) {
    super(summarise(headline, violations));
  }
}

/** The configuration (RuntimeConfig, deployment config, invoke payload) is invalid. */
export class ConfigError extends AllowlistSyncError {
  override name = 'ConfigError';
  constructor(
    /** What was being read: `RuntimeConfig from ALLOWLIST_SYNC_CONFIG`, `config.json`, `invoke payload`. */
    readonly subject: string,
    /** One line per problem, each naming the field. */
    readonly issues: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`${subject} is invalid:\n${issues.map((i) => `  ✖ ${i}`).join('\n')}`, options);
  }
}

function summarise(headline: string, problems: readonly Problem[]): string {
  const shown = problems.slice(0, 20).map((p) => `  ${formatProblem(p)}`);
  const more = problems.length > 20 ? [`  … and ${problems.length - 20} more`] : [];
  return [headline, ...shown, ...more].join('\n');
}
