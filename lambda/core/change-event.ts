/**
 * Change events: what an applying run puts on the account's default EventBridge bus, one event per allowlist that
 * the run changed, refused or failed (a converged allowlist and a dry run emit nothing). Built from the allowlist's
 * report and the whole change the run set out to make; sized to fit PutEvents' entry limit.
 *
 * PutEvents limits (EventBridge API reference, PutEvents; "Calculating PutEvents event entry size"): at most 10
 * entries per call, and an entry's size (Time 14 bytes + the UTF-8 bytes of Source, DetailType, Detail and each
 * Resource) must stay under 256 KB. The prefix lists are capped (the counts stay exact, `omitted` says how many were
 * left out) and halved again until the entry fits.
 *
 * Pure: no SDK, no clock, no I/O.
 */
import type { AllowlistReport, RunReport, TargetStatus } from './model';

/** The `source` of every change event. */
export const CHANGE_EVENT_SOURCE = 'allowlist-sync';

/** The detail types: a run changed the allowlist's targets, was refused (nothing written), or failed. */
export const ChangeDetailType = {
  Applied: 'Allowlist Applied',
  Refused: 'Allowlist Refused',
  Failed: 'Allowlist Failed',
} as const;
/** One of the three detail types. */
export type ChangeDetailType = (typeof ChangeDetailType)[keyof typeof ChangeDetailType];

/** PutEvents' largest entry, in bytes (256 KB). */
export const MAX_EVENT_ENTRY_BYTES = 256 * 1024;
/** PutEvents' most entries per call. */
export const MAX_EVENT_ENTRIES_PER_CALL = 10;
/** At most this many added and this many removed prefixes are listed in an event (before any size cut). */
export const EVENT_PREFIX_CAP = 200;
/** Error messages in an event are cut to this many characters (a parse error can list a hundred problems). */
export const EVENT_MESSAGE_CAP = 2000;

/** An error as the report carries it. */
type ReportedError = NonNullable<AllowlistReport['error']>;

/** Prefixes added or removed: the exact count, the first prefixes, and how many of them were left out. */
export interface PrefixChange {
  readonly count: number;
  readonly prefixes: readonly string[];
  readonly omitted: number;
}

/** The `detail` of a change event (schema version 1; docs/expiry-and-events.md). */
export interface ChangeEventDetail {
  readonly version: 1;
  readonly allowlist: string;
  readonly runId: string;
  readonly trigger: RunReport['trigger'];
  readonly startedAt: string;
  /** The allowlist's status in the run: changed, degraded, refused or failed. */
  readonly status: TargetStatus;
  /** Present on a forced run (the removal guardrail lifted): its reason. */
  readonly forced?: { readonly reason: string };
  /** What the run set out to add over all targets (distinct prefixes); each target says what it did. */
  readonly added: PrefixChange;
  /** What the run set out to remove over all targets (distinct prefixes). */
  readonly removed: PrefixChange;
  readonly targets: readonly {
    readonly targetId: string;
    readonly kind: string;
    readonly status: TargetStatus;
    /** Prefixes written (added, removed); on a target that stopped part-way `planned` says what it set out to do. */
    readonly added: number;
    readonly removed: number;
    readonly planned?: { readonly added: number; readonly removed: number };
    readonly writeCalls: number;
    readonly degraded?: true;
    readonly error?: ReportedError;
  }[];
  /** Where the list came from: SHA-256 of the bytes, S3 version or ETag, a signed document's serial. */
  readonly provenance: readonly {
    readonly kind: string;
    readonly location: string;
    readonly sha256: string;
    readonly versionId?: string;
    readonly etag?: string;
    readonly serial?: number;
    readonly generatedAt?: string;
  }[];
  /** The allowlist's own refusal or failure (source, policy, lock), when there is one. */
  readonly error?: ReportedError;
}

/** One change event, ready for PutEvents. */
export interface ChangeEvent {
  readonly source: typeof CHANGE_EVENT_SOURCE;
  readonly detailType: ChangeDetailType;
  readonly detail: ChangeEventDetail;
}

/** The run-wide facts every event repeats. */
export type ChangeEventRun = Pick<RunReport, 'runId' | 'trigger' | 'startedAt' | 'dryRun'> & {
  readonly forced?: { readonly reason: string } | undefined;
};

/** Every distinct prefix the run set out to add and remove for the allowlist (the report's lists are capped). */
export interface AllowlistChanges {
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/**
 * The detail type of an allowlist's event, or undefined when it gets none: a dry run, a converged allowlist, or one
 * held back only because another allowlist blocked the run (`NotApplied`) with nothing of its own to change.
 */
export function changeDetailType(a: AllowlistReport, dryRun: boolean): ChangeDetailType | undefined {
  if (dryRun) return undefined;
  const ownRefusal = (t: AllowlistReport['targets'][number]) => {
    const set = t.planned ?? t;
    return t.status === 'refused' && (t.error?.name !== 'NotApplied' || set.added.count + set.removed.count > 0);
  };
  if (a.targets.some((t) => t.status === 'failed') || (a.status === 'failed' && a.error)) {
    return ChangeDetailType.Failed;
  }
  if (a.targets.some(ownRefusal) || (a.status === 'refused' && a.error)) return ChangeDetailType.Refused;
  if (a.targets.some((t) => t.status === 'changed' || t.status === 'degraded')) return ChangeDetailType.Applied;
  return undefined;
}

/** Builds the allowlist's change event, or undefined when it gets none (see {@link changeDetailType}). */
export function buildChangeEvent(
  a: AllowlistReport,
  run: ChangeEventRun,
  changes: AllowlistChanges,
): ChangeEvent | undefined {
  const detailType = changeDetailType(a, run.dryRun);
  if (!detailType) return undefined;
  for (let cap = EVENT_PREFIX_CAP; ; cap = Math.floor(cap / 2)) {
    const event: ChangeEvent = {
      source: CHANGE_EVENT_SOURCE,
      detailType,
      detail: buildDetail(a, run, changes, cap, cap > 0 ? undefined : EVENT_MESSAGE_CAP / 4),
    };
    if (cap === 0 || changeEventSize(event) < MAX_EVENT_ENTRY_BYTES) return event;
  }
}

/** The entry size EventBridge counts for an event sent with a Time: 14 + Source + DetailType + Detail (UTF-8). */
export function changeEventSize(event: ChangeEvent): number {
  return (
    14 +
    Buffer.byteLength(event.source, 'utf8') +
    Buffer.byteLength(event.detailType, 'utf8') +
    Buffer.byteLength(JSON.stringify(event.detail), 'utf8')
  );
}

function buildDetail(
  a: AllowlistReport,
  run: ChangeEventRun,
  changes: AllowlistChanges,
  cap: number,
  messageCap = EVENT_MESSAGE_CAP,
): ChangeEventDetail {
  const error = (e: ReportedError | undefined) =>
    e ? { ...e, message: e.message.length > messageCap ? `${e.message.slice(0, messageCap)}…` : e.message } : undefined;
  const listed = (all: readonly string[]): PrefixChange => {
    const prefixes = all.slice(0, cap);
    return { count: all.length, prefixes, omitted: all.length - prefixes.length };
  };
  const allowlistError = error(a.error);
  return {
    version: 1,
    allowlist: a.name,
    runId: run.runId,
    trigger: run.trigger,
    startedAt: run.startedAt,
    status: a.status,
    ...(run.forced ? { forced: { reason: run.forced.reason } } : {}),
    added: listed(changes.added),
    removed: listed(changes.removed),
    targets: a.targets.map((t) => {
      const e = error(t.error);
      return {
        targetId: t.targetId,
        kind: t.kind,
        status: t.status,
        added: t.added.count,
        removed: t.removed.count,
        ...(t.planned ? { planned: { added: t.planned.added.count, removed: t.planned.removed.count } } : {}),
        writeCalls: t.writeCalls,
        ...(t.degraded ? { degraded: true as const } : {}),
        ...(e ? { error: e } : {}),
      };
    }),
    provenance: a.provenance.map((p) => ({
      kind: p.kind,
      location: p.location,
      sha256: p.sha256,
      ...(p.versionId ? { versionId: p.versionId } : {}),
      ...(p.etag ? { etag: p.etag } : {}),
      ...(p.serial !== undefined ? { serial: p.serial } : {}),
      ...(p.generatedAt ? { generatedAt: p.generatedAt } : {}),
    })),
    ...(allowlistError ? { error: allowlistError } : {}),
  };
}
