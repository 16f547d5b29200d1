/**
 * The run (docs/design.md §1): for each selected allowlist, load (fetch → parse → policy), then for each target
 * observe → plan; pre-flight over ALL targets of ALL selected allowlists; then either refuse (nothing written
 * anywhere) or apply target by target, verify, and report.
 *
 * Fail static (P6): every failure before the first write — a source, a parse, the policy, an observe, a plan, a
 * guardrail, a newer run's generation — stops the whole run before any write call. After pre-flight passed, each
 * target applies on its own: one failed target does not stop the others, and the run's status is the worst.
 *
 * Concurrency (P10): an applying run takes each allowlist's run lock before it observes the allowlist's targets, and
 * refuses when the last applied generation (the start time of the newest run allowed to write) is newer than its own;
 * it records its own generation after pre-flight, before its first write, and releases every lock at the end
 * (lambda/engine/lock.ts, lambda/engine/run-lock.ts). Dry runs take no lock: they only read.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { WAFV2Client } from '@aws-sdk/client-wafv2';
import type { Allowlist, RuntimeConfig, Target } from '../config';
import { type AllowlistChanges, buildChangeEvent, type ChangeEvent } from '../core/change-event';
import { AllowlistSyncError, ConfigError } from '../core/errors';
import { type DatedEntry, EXPIRING_REPORT_CAP, findExpiring } from '../core/expiry';
import { checkGuardrails, type GuardrailError, isForced } from '../core/guardrails';
import type { AllowlistReport, Desired, Provenance, RunReport, TargetPlan, TargetReport } from '../core/model';
import {
  buildRunReport,
  buildTargetReport,
  buildUnplannedTargetReport,
  type ReportError,
  reportError,
  worstStatus,
} from '../core/report';
import { loadAllowlist, type SourceDeps } from '../sources';
import type { TargetDriver } from '../targets/types';
import { applyTarget } from './apply';
import { sendChangeEvents } from './change-events';
import { DEFAULT_LOCK_WAIT_MS, holdAllowlist, LOCK_TTL_MARGIN_MS } from './lock';
import { type PhaseObserver, PhaseTimer } from './phases';
import type { GenerationStore, Lease, RunLock } from './run-lock';

/** What loading one allowlist yields: the desired set, where it came from, the counts, and a signed serial. */
export interface LoadedAllowlist {
  readonly desired: Desired;
  readonly provenance: readonly Provenance[];
  readonly counts: AllowlistReport['entries'];
  /** The signed document's serial, when the list is signed; recorded after a successful apply. */
  readonly serial?: number;
  /** Entries that carry an expiry (the report lists those within `expiryWarningDays`). */
  readonly dated?: readonly DatedEntry[];
}

/** How one run is asked for. */
export interface EngineOptions {
  /** Stop after pre-flight and return the plan; no write call. */
  readonly dryRun: boolean;
  /** The allowlists to run, by name; default all. An unknown name is a ConfigError. */
  readonly allowlists?: readonly string[];
  /** Lifts the removal-share guardrail only (never the entry policy, emptiness or capacity). Reason required. */
  readonly force?: { readonly reason: string };
  readonly trigger: RunReport['trigger'];
  /** @default `run-<start time in base 36>` */
  readonly runId?: string;
  /** List every prefix in the report (the CLI's `--full`). @default false: at most `REPORT_PREFIX_CAP` per target */
  readonly fullReport?: boolean;
}

/** What the engine runs with: clients, clock, and the injectable seams. */
export interface EngineDeps {
  readonly ec2?: EC2Client;
  /** A WAFv2 client for a scope (CLOUDFRONT must be us-east-1, docs/aws-behaviour.md §24). */
  readonly wafv2?: (scope: 'REGIONAL' | 'CLOUDFRONT') => WAFV2Client;
  /** Passed to the default loader (the sources' clients, limits, cache and serial store). @default `{ now }` */
  readonly sources?: SourceDeps;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Writes must start before this many ms after the run started. @default 600000 (10 min) */
  readonly runBudgetMs?: number;
  /**
   * Loads one allowlist (fetch → parse → policy), calling `onFetched` when its bytes are in and parsing begins (the
   * report's fetch and parse phases; a loader that never calls it has its whole time counted as fetch).
   * @default `loadAllowlist(allowlist, sources, { onFetched })`
   */
  readonly load?: (allowlist: Allowlist, onFetched?: () => void) => Promise<LoadedAllowlist>;
  /**
   * Builds the driver of one target. @default `driverFactory({ ec2, wafv2, sleep, now })`, one per run: its drivers
   * share the run's clock and one WAF write pace per Region.
   */
  readonly drivers?: (target: Target, allowlist: string) => TargetDriver;
  /** The per-allowlist run lock (P10). Give it with `generations`; without both, runs are not serialised. */
  readonly lock?: RunLock;
  /** The last applied generation per allowlist (P10), written only under the lock. */
  readonly generations?: GenerationStore;
  /** How long to wait for another run's lock. @default 60000 (`DEFAULT_LOCK_WAIT_MS`), never past the run budget */
  readonly lockWaitMs?: number;
  /** A monotonic clock (ms) for the report's phase times; not `now`, which tests run as a virtual clock. @default performance.now */
  readonly elapsed?: () => number;
  /** Sees every interval of every phase (the bench samples memory with it). @default none */
  readonly phaseObserver?: PhaseObserver;
  /**
   * The client that puts change events on the default bus (docs/expiry-and-events.md). @default none: no event is
   * sent and the report has no `event` fields
   */
  readonly eventBridge?: EventBridgeClient;
}

/** Default run budget: well inside the function's 15-minute maximum timeout (P9). */
export const DEFAULT_RUN_BUDGET_MS = 10 * 60 * 1000;

interface PreparedTarget {
  readonly target: Target;
  readonly driver?: TargetDriver;
  readonly plan?: TargetPlan;
  readonly error?: ReportError;
  /** Set by pre-flight: a guardrail. */
  refusal?: AllowlistSyncError;
  readonly targetId: string;
  readonly durationMs: number;
}

interface PreparedAllowlist {
  readonly allowlist: Allowlist;
  readonly loaded?: LoadedAllowlist;
  /** A refusal or failure of the allowlist as a whole: its source, its lock, or recording its generation. */
  error?: { readonly status: 'refused' | 'failed'; readonly error: ReportError } | undefined;
  readonly targets: PreparedTarget[];
  readonly refusals: GuardrailError[];
}

/** Runs the engine once over the selected allowlists and returns the report. Throws only on invalid options. */
export async function runEngine(config: RuntimeConfig, options: EngineOptions, deps: EngineDeps): Promise<RunReport> {
  const startedAt = deps.now();
  const runId = options.runId ?? `run-${startedAt.toString(36)}`;
  const selected = selectAllowlists(config, options.allowlists);
  if (options.force !== undefined && !isForced(options)) {
    throw new ConfigError('run options', ['force.reason: a forced run needs a non-empty reason (--force REASON)']);
  }
  const sources: SourceDeps = deps.sources ?? { now: deps.now };
  const load =
    deps.load ??
    ((allowlist: Allowlist, onFetched?: () => void) =>
      loadAllowlist(allowlist, sources, onFetched ? { onFetched } : {}));
  const phases = new PhaseTimer(deps.elapsed, deps.phaseObserver);
  const clients = { ...(deps.ec2 ? { ec2: deps.ec2 } : {}), ...(deps.wafv2 ? { wafv2: deps.wafv2 } : {}) };
  // Loaded on demand: a caller that injects its drivers (tests, a future plugin) does not load every SDK driver.
  const drivers =
    deps.drivers ??
    (await import('../targets/index.js')).driverFactory({ ...clients, sleep: deps.sleep, now: deps.now });
  const serials = sources.serialStore;
  const generation = startedAt;
  const budgetMs = deps.runBudgetMs ?? DEFAULT_RUN_BUDGET_MS;
  const leases = new Map<string, Lease>();
  const { lock, generations } = deps;
  const cap = options.fullReport ? Number.POSITIVE_INFINITY : undefined;
  const hold =
    options.dryRun || !lock || !generations
      ? undefined
      : async (name: string): Promise<PreparedAllowlist['error']> => {
          const held = await holdAllowlist(name, {
            lock,
            generations,
            owner: runId,
            generation,
            ttlMs: budgetMs + LOCK_TTL_MARGIN_MS,
            maxWaitMs: Math.min(deps.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, startedAt + budgetMs - deps.now()),
            now: deps.now,
            sleep: deps.sleep,
          });
          if ('refusal' in held) return { status: 'refused', error: reportError(held.refusal) };
          leases.set(name, held.lease);
          return undefined;
        };

  try {
    // Read-only phase: nothing below writes until every allowlist and target has been planned and checked.
    const prepared: PreparedAllowlist[] = [];
    for (const allowlist of selected) {
      // Once the run is blocked it will write nothing: later allowlists are planned for the report without a lock.
      const guard = prepared.some(isBlocked) ? undefined : hold;
      prepared.push(await prepareAllowlist(allowlist, { load, drivers, phases }, deps, options, guard));
    }
    if (!options.dryRun && generations && !prepared.some(isBlocked)) {
      // Before the first write: from here on, an older run queued on a lock is refused (see engine-lock.ts).
      for (const p of prepared) {
        if (!leases.has(p.allowlist.name)) continue;
        try {
          await generations.put(p.allowlist.name, generation);
        } catch (e) {
          p.error = { status: 'refused', error: reportError(e) };
          break;
        }
      }
    }
    const blocked = prepared.some(isBlocked);

    const reports: AllowlistReport[] = [];
    for (const p of prepared) {
      if (options.dryRun || blocked) {
        reports.push(reportWithoutApply(p, options.dryRun, cap, deps.now()));
        continue;
      }
      const targets: TargetReport[] = [];
      const desired = p.loaded?.desired as Desired;
      for (const t of p.targets) {
        const outcome = await applyTarget(t.driver as TargetDriver, t.plan as TargetPlan, desired, {
          allowlist: p.allowlist,
          force: options.force,
          deadline: startedAt + budgetMs,
          now: deps.now,
          sleep: deps.sleep,
          phases,
        });
        targets.push(
          buildTargetReport(outcome.plan, { ...outcome, durationMs: t.durationMs + outcome.durationMs }, cap),
        );
      }
      const status = worstStatus(targets.map((t) => t.status));
      let error: ReportError | undefined;
      if (p.loaded?.serial !== undefined && status !== 'failed' && status !== 'refused' && serials) {
        try {
          await serials.put(p.allowlist.name, p.loaded.serial);
        } catch (e) {
          error = reportError(e);
        }
      }
      reports.push(allowlistReport(p, error ? worstStatus([status, 'failed']) : status, targets, error, deps.now()));
    }
    for (const [i, r] of reports.entries()) {
      const lease = leases.get(r.name);
      if (!lease || !lock) continue;
      leases.delete(r.name);
      try {
        await lock.release(lease);
      } catch (e) {
        // The lock stays until it expires and blocks the runs before then: the operator must know.
        const error = r.error ?? reportError(e);
        reports[i] = { ...r, status: worstStatus([r.status, 'failed']), error };
      }
    }
    const run = {
      runId,
      dryRun: options.dryRun,
      trigger: options.trigger,
      startedAt: new Date(startedAt).toISOString(),
      forced: options.force,
    };
    const delivered = await emitChangeEvents(reports, prepared, run, deps);
    return buildRunReport({
      runId,
      dryRun: options.dryRun,
      trigger: options.trigger,
      startedAt,
      durationMs: deps.now() - startedAt,
      phases: phases.snapshot(),
      ...(options.force ? { forced: { reason: options.force.reason } } : {}),
      allowlists: delivered,
    });
  } finally {
    // Only on an unexpected throw are leases left here; release them so the next run need not wait for expiry.
    for (const lease of leases.values()) await lock?.release(lease).catch(() => undefined);
  }
}

/**
 * Builds one change event per allowlist the run changed, refused or failed, puts them on the default bus and records
 * each one's delivery in its allowlist's report. A failed PutEvents leaves the run's status as it is (the filters are
 * right or the refusal stands) and is reported, logged and counted instead (lambda/engine/change-events.ts).
 */
async function emitChangeEvents(
  reports: readonly AllowlistReport[],
  prepared: readonly PreparedAllowlist[],
  run: Parameters<typeof buildChangeEvent>[1],
  deps: EngineDeps,
): Promise<AllowlistReport[]> {
  const client = deps.eventBridge;
  if (!client || run.dryRun) return [...reports];
  const events: Array<{ index: number; event: ChangeEvent }> = [];
  reports.forEach((r, index) => {
    const p = prepared.find((x) => x.allowlist.name === r.name);
    const event = buildChangeEvent(r, run, p ? changesOf(p) : { added: [], removed: [] });
    if (event) events.push({ index, event });
  });
  if (events.length === 0) return [...reports];
  const deliveries = await sendChangeEvents(
    events.map((e) => e.event),
    { client, now: deps.now, sleep: deps.sleep },
  );
  const out = [...reports];
  events.forEach(({ index }, k) => {
    out[index] = { ...out[index]!, event: deliveries[k]! };
  });
  return out;
}

/** Every distinct prefix the allowlist's plans set out to add and remove, in target order (reports cap theirs). */
function changesOf(p: PreparedAllowlist): AllowlistChanges {
  const added = new Set<string>();
  const removed = new Set<string>();
  for (const t of p.targets) {
    for (const c of t.plan?.add ?? []) added.add(c);
    for (const c of t.plan?.remove ?? []) removed.add(c);
  }
  return { added: [...added], removed: [...removed] };
}

function isBlocked(p: PreparedAllowlist): boolean {
  return Boolean(p.error) || p.refusals.length > 0 || p.targets.some((t) => t.error || t.refusal);
}

/** The allowlists a run covers, in config order; an unknown name is a ConfigError listing the known ones. */
export function selectAllowlists(config: RuntimeConfig, names: readonly string[] | undefined): Allowlist[] {
  if (names === undefined || names.length === 0) return [...config.allowlists];
  const known = new Set(config.allowlists.map((a) => a.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new ConfigError(
      'run options',
      unknown.map(
        (n) => `allowlists: no allowlist named "${n}"; the config has ${[...known].map((k) => `"${k}"`).join(', ')}`,
      ),
    );
  }
  const wanted = new Set(names);
  return config.allowlists.filter((a) => wanted.has(a.name));
}

/** What preparing an allowlist runs with, besides the deps: the resolved loader and drivers, and the run's timer. */
interface PrepareWith {
  readonly load: NonNullable<EngineDeps['load']>;
  readonly drivers: NonNullable<EngineDeps['drivers']>;
  readonly phases: PhaseTimer;
}

async function prepareAllowlist(
  allowlist: Allowlist,
  { load, drivers, phases }: PrepareWith,
  deps: EngineDeps,
  options: EngineOptions,
  hold: ((name: string) => Promise<PreparedAllowlist['error']>) | undefined,
): Promise<PreparedAllowlist> {
  let loaded: LoadedAllowlist;
  const endFetch = phases.open('fetch');
  let endParse: (() => void) | undefined;
  try {
    loaded = await load(allowlist, () => {
      endFetch();
      endParse = phases.open('parse');
    });
  } catch (e) {
    // A bad or unreachable source is a refusal (fail static); anything else is a bug and fails.
    const status = e instanceof AllowlistSyncError ? 'refused' : 'failed';
    return { allowlist, error: { status, error: reportError(e) }, targets: [], refusals: [] };
  } finally {
    endFetch();
    endParse?.();
  }
  // The lock comes before the first observe, so the plan is made on a state no other run is changing.
  const refused = await hold?.(allowlist.name);
  if (refused) return { allowlist, loaded, error: refused, targets: [], refusals: [] };
  const targets: PreparedTarget[] = [];
  for (const target of allowlist.targets) {
    const start = deps.now();
    let driver: TargetDriver | undefined;
    try {
      driver = drivers(target, allowlist.name);
      const d = driver;
      const observed = await phases.time('observe', () => d.observe());
      const plan = phases.timeSync('plan', () => d.plan(loaded.desired, observed));
      targets.push({ target, driver, plan, targetId: plan.targetId, durationMs: deps.now() - start });
    } catch (e) {
      const targetId = driver?.targetId ?? `${target.kind}:?`;
      targets.push({ target, targetId, error: reportError(e), durationMs: deps.now() - start });
    }
  }
  const plans = targets.flatMap((t) => (t.plan ? [t.plan] : []));
  const refusals = checkGuardrails(
    {
      allowlist: allowlist.name,
      policy: allowlist.policy,
      guardrails: allowlist.guardrails,
      desired: loaded.desired,
      plans,
    },
    options,
  );
  for (const r of refusals) {
    const t = targets.find((x) => x.targetId === r.targetId);
    if (t && !t.refusal) t.refusal = r;
  }
  return { allowlist, loaded, targets, refusals };
}

function reportWithoutApply(
  p: PreparedAllowlist,
  dryRun: boolean,
  cap: number | undefined,
  now: number,
): AllowlistReport {
  const targets = p.targets.map((t): TargetReport => {
    if (!t.plan) {
      return buildUnplannedTargetReport(t.target.kind, t.targetId, t.error ?? reportError('not planned'), t.durationMs);
    }
    const error = t.refusal ? reportError(t.refusal) : dryRun ? undefined : notApplied();
    const status = t.refusal || !dryRun ? 'refused' : t.plan.writes.length > 0 ? 'planned' : 'unchanged';
    // An applying run that stops here wrote nothing: its report counts nothing written and keeps the plan.
    const written = dryRun || t.plan.writes.length === 0 ? undefined : { add: [], remove: [] };
    return buildTargetReport(
      t.plan,
      { status, writeCalls: 0, durationMs: t.durationMs, ...(error ? { error } : {}), ...(written ? { written } : {}) },
      cap,
    );
  });
  const whole = p.refusals.find((r) => r.targetId === undefined);
  const error = p.error?.error ?? (whole ? reportError(whole) : undefined);
  const own = p.error?.status ?? (whole ? 'refused' : undefined);
  const status = worstStatus([...targets.map((t) => t.status), ...(own ? [own] : [])]);
  return allowlistReport(p, status, targets, error, now);
}

function notApplied(): ReportError {
  return {
    name: 'NotApplied',
    message: 'nothing was written: pre-flight refused or failed elsewhere in this run (see the other entries)',
  };
}

function allowlistReport(
  p: PreparedAllowlist,
  status: AllowlistReport['status'],
  targets: TargetReport[],
  error: ReportError | undefined,
  now: number,
): AllowlistReport {
  const expiring = findExpiring(p.loaded?.dated ?? [], now, p.allowlist.expiryWarningDays, EXPIRING_REPORT_CAP);
  return {
    name: p.allowlist.name,
    status,
    sources: p.allowlist.sources.length,
    provenance: p.loaded?.provenance ?? [],
    entries: p.loaded?.counts ?? { read: { 4: 0, 6: 0 }, prefixes: { 4: 0, 6: 0 }, expired: 0 },
    targets,
    ...(error ? { error } : {}),
    ...(expiring.count > 0 ? { expiring } : {}),
  };
}
