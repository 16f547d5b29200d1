/**
 * Expiry warnings: which entries of a structured list expire within an allowlist's warning window, so their owners
 * can renew them before they lapse. Entries already expired are left out of the list by the parser (as before);
 * this module only looks at the ones still applied.
 *
 * Pure: no clock (the caller passes `now`), no I/O.
 */

/** The warning window when the config gives none (days). */
export const DEFAULT_EXPIRY_WARNING_DAYS = 14;

/** The longest warning window accepted (days): beyond a year a "warning" is just the list. */
export const MAX_EXPIRY_WARNING_DAYS = 365;

/** At most this many expiring entries are listed in a report; the count is always exact. */
export const EXPIRING_REPORT_CAP = 50;

const DAY_MS = 24 * 60 * 60 * 1000;

/** An entry of a structured list that carries an expiry and had not expired when the list was read. */
export interface DatedEntry {
  /** The prefix as canonical text. */
  readonly prefix: string;
  /** Its expiry, as written (RFC 3339). */
  readonly expires: string;
  /** Where it is: `SOURCE:entries[3]`. */
  readonly where: string;
  readonly owner?: string;
  readonly note?: string;
}

/** The entries of one allowlist that expire within its warning window, soonest first. */
export interface ExpiryWarning {
  /** The window, in days. */
  readonly windowDays: number;
  /** How many entries expire within it (exact). */
  readonly count: number;
  /** The entries, soonest first, at most {@link EXPIRING_REPORT_CAP}. */
  readonly entries: readonly DatedEntry[];
}

/**
 * The dated entries that expire after `now` and at most `windowDays` days later, soonest first (then by place, so
 * the order is stable). `cap` limits the entries listed, never the count.
 */
export function findExpiring(
  dated: readonly DatedEntry[],
  now: number,
  windowDays: number,
  cap = Number.POSITIVE_INFINITY,
): ExpiryWarning {
  const end = now + windowDays * DAY_MS;
  const within = dated
    .map((entry) => ({ entry, at: Date.parse(entry.expires) }))
    .filter(({ at }) => at > now && at <= end)
    .sort((a, b) => a.at - b.at || compareText(a.entry.where, b.entry.where));
  return { windowDays, count: within.length, entries: within.slice(0, cap).map(({ entry }) => entry) };
}

/** Whole days (rounded up) from `now` until an entry expires: "expires in 3 days". */
export function daysLeft(entry: DatedEntry, now: number): number {
  return Math.max(0, Math.ceil((Date.parse(entry.expires) - now) / DAY_MS));
}

/** The distinct owners of the entries, in order of first appearance; `(no owner)` for entries without one. */
export function ownersOf(entries: readonly DatedEntry[]): string[] {
  return [...new Set(entries.map((e) => e.owner ?? '(no owner)'))];
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
