/**
 * The model the planners, the engine and the report share: the desired set of an allowlist, a target's plan with its
 * capacity and drift, the notes carried to rule descriptions, and the run report. Plain data, no behaviour: the core's
 * planners produce it, the engine and the drivers act on it, the handler returns it and the CLI prints it.
 */
import type { ExpiryWarning } from './expiry';
import type { Cidr, Family } from './prefix';
import type { PrefixSet } from './prefix-set';

/** The kinds of filter a target can be (the RuntimeConfig's `targets[].kind`). */
export type TargetKind = 'security-groups' | 'waf-ip-sets' | 'prefix-lists';

/** The phases of a run, in pipeline order (docs/design.md section 1; timed by lambda/engine/phases.ts). */
export const PHASES = ['fetch', 'parse', 'observe', 'plan', 'apply', 'verify'] as const;
/** One phase of a run. */
export type Phase = (typeof PHASES)[number];
/** Milliseconds spent in each phase of a run. */
export type PhaseTimes = { readonly [P in Phase]: number };

/** Per-entry annotations carried to rule descriptions (from the structured allowlist format). */
export interface EntryNote {
  readonly note?: string;
  readonly owner?: string;
}

/** The desired state of one allowlist, canonical and aggregated. */
export interface Desired {
  /** The allowlist's name (the owner tag's value). */
  readonly allowlist: string;
  /** Every address the allowlist admits. */
  readonly set: PrefixSet;
  /** The minimal CIDR list per family, ascending. */
  readonly cidrs: { readonly 4: readonly Cidr[]; readonly 6: readonly Cidr[] };
  /** Notes and owners by canonical prefix, where the source had them. */
  readonly notes: ReadonlyMap<Cidr, EntryNote>;
}

/** A rule or entry in a target that allowlist-sync does not own: reported, never changed. */
export interface Drift {
  /** Where: the group, IP set or prefix list id. */
  readonly resource: string;
  readonly cidr: string;
  /** e.g. `tcp 443-443`; absent for IP sets and prefix lists. */
  readonly ports?: string;
  readonly description?: string;
}

/** Whether a target can hold the desired list. */
export interface Capacity {
  readonly fits: boolean;
  /** What the list needs, in the target's unit (rules, addresses, entries, sets, groups). */
  readonly needed: number;
  /** What the target has room for. */
  readonly available: number;
  readonly unit: string;
  /** When it does not fit: what to do, e.g. `add 2 security groups to the pool (3 needed, 1 configured)`. */
  readonly advice?: string;
}

/** The pure result of planning one target. `writes` is driver-specific plain data the driver's `apply` executes. */
export interface TargetPlan<W = unknown> {
  readonly kind: TargetKind;
  /** Stable, readable id for reports: `security-groups:sg-1,sg-2`, `waf-ip-sets:REGIONAL:name1,name2`, `prefix-lists:pl-1`. */
  readonly targetId: string;
  /** Canonical prefixes this target will start admitting (per family, ascending). */
  readonly add: readonly Cidr[];
  /** Canonical prefixes this target will stop admitting. */
  readonly remove: readonly Cidr[];
  /** Prefixes already in place and kept. */
  readonly unchanged: number;
  /** Entries the target holds now that we own (for the change-size guardrail). */
  readonly current: number;
  readonly drift: readonly Drift[];
  readonly capacity: Capacity;
  /**
   * True when the target's quota cannot hold the old and the new list at once, so the plan removes what no longer
   * admits a wanted address before adding (P5 cannot hold; P3 and P4 still do).
   */
  readonly degraded: boolean;
  /** The ordered write steps; empty when the target is converged. */
  readonly writes: readonly W[];
}

/** The outcome of one target in a run. */
export type TargetStatus = 'unchanged' | 'changed' | 'refused' | 'failed' | 'degraded' | 'planned';

/** Cap on the prefixes listed per target in a report; counts are always exact. */
export const REPORT_PREFIX_CAP = 50;

/** A count of prefixes and the first of them (at most {@link REPORT_PREFIX_CAP} unless the run asked for all). */
export interface PrefixCount {
  readonly count: number;
  readonly prefixes: readonly string[];
}

/** An error in a report: its name and message, the override where there is one, the source it names if any. */
export interface ErrorReport {
  readonly name: string;
  readonly message: string;
  readonly override?: string;
  /** The source that failed (a source, parse error): its location as printed everywhere. */
  readonly source?: string;
}

/** One target's part of the report. */
export interface TargetReport {
  readonly kind: TargetKind;
  readonly targetId: string;
  readonly status: TargetStatus;
  /**
   * A dry run: what the plan adds. An applying run: what was written (confirmed), which is less than the plan when
   * the target stopped part-way (then `planned` says what it set out to do).
   */
  readonly added: PrefixCount;
  /** Like `added`, for removals. */
  readonly removed: PrefixCount;
  /**
   * Present on an applying run's target that did not write its whole plan (failed, or refused): the change it set out
   * to make. `added`/`removed` then count only what was written.
   */
  readonly planned?: { readonly added: PrefixCount; readonly removed: PrefixCount };
  readonly unchanged: number;
  readonly drift: readonly Drift[];
  readonly capacity: Capacity;
  readonly writeCalls: number;
  /**
   * Present (true) when the run started writing a plan that gives up P5 because the quota cannot hold the old and the
   * new list at once: on every `degraded` target, and on a target that then `failed` (a throttle, a timeout, a crash)
   * or was `refused` after a conflict, whose state may admit neither the whole old nor the whole new list until the
   * next run converges. Absent otherwise.
   */
  readonly degraded?: boolean;
  /** Why it was refused or failed, with the override where there is one. */
  readonly error?: ErrorReport;
  /** Something the operator should know that is not an error, e.g. verify still saw changes (eventual consistency). */
  readonly note?: string;
  readonly durationMs: number;
}

/** Where an allowlist came from on this run. */
export interface Provenance {
  /** `s3`, `https`, `ssm`, `inline`, `file`. */
  readonly kind: string;
  /** The location without query strings or credentials. */
  readonly location: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly versionId?: string;
  readonly etag?: string;
  readonly lastModified?: string;
  /** ISO 8601. */
  readonly fetchedAt: string;
  /** Signed documents: their serial and generation time. */
  readonly serial?: number;
  readonly generatedAt?: string;
  /** True when a conditional fetch found the source unchanged and the cached parse was reused. */
  readonly notModified?: boolean;
}

/** One allowlist's part of the report. */
export interface AllowlistReport {
  readonly name: string;
  readonly status: TargetStatus;
  /** How many sources the allowlist has in the config (`provenance` lists only those read). */
  readonly sources?: number;
  readonly provenance: readonly Provenance[];
  readonly entries: {
    readonly read: { readonly 4: number; readonly 6: number };
    readonly prefixes: { readonly 4: number; readonly 6: number };
    readonly expired: number;
  };
  readonly targets: readonly TargetReport[];
  /** A refusal or failure before any target was touched (source, parse, policy, guardrail). */
  readonly error?: ErrorReport;
  /** Entries that expire within the allowlist's `expiryWarningDays`; absent when none does. */
  readonly expiring?: ExpiryWarning;
  /**
   * The change event this run put on the default EventBridge bus for the allowlist, and whether PutEvents took it;
   * absent when the run emitted none (a dry run, a converged allowlist).
   */
  readonly event?: ChangeEventDelivery;
}

/** What became of an allowlist's change event. */
export interface ChangeEventDelivery {
  /** `Allowlist Applied`, `Allowlist Refused` or `Allowlist Failed`. */
  readonly detailType: string;
  /** False when PutEvents refused it or could not be called; the run's status is unchanged, the error says why. */
  readonly delivered: boolean;
  readonly error?: { readonly name: string; readonly message: string };
}

/** The report of one run. */
export interface RunReport {
  readonly runId: string;
  readonly dryRun: boolean;
  readonly trigger: 'schedule' | 's3' | 'manual' | 'deploy' | 'cli';
  readonly startedAt: string;
  readonly durationMs: number;
  /**
   * Milliseconds spent per phase (fetch, parse, observe, plan, apply, verify), summed over every allowlist and
   * target; the rest of `durationMs` is the lock, pre-flight and the report (lambda/phases.ts).
   */
  readonly phases?: PhaseTimes;
  /** `ok` when every target is unchanged, changed or planned; otherwise the worst status seen. */
  readonly status: 'ok' | 'degraded' | 'refused' | 'failed';
  /**
   * Totals over every target: a dry run's are the plan; an applying run's count only what was written. `planned` is
   * present when an applying run did not write everything it planned (a target failed or was refused).
   */
  readonly summary: {
    readonly add: number;
    readonly remove: number;
    readonly unchanged: number;
    readonly planned?: { readonly add: number; readonly remove: number };
  };
  readonly forced?: { readonly reason: string };
  readonly allowlists: readonly AllowlistReport[];
}

/** The families, in report order. */
export const FAMILIES: readonly Family[] = [4, 6];
