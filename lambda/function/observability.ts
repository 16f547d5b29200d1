/**
 * Logs and metrics of a run. One structured JSON log line per run (Powertools Logger) and one EMF blob per allowlist
 * (Powertools Metrics, namespace `AllowlistSync`, the only dimension `Allowlist`: low cardinality, so a target id or a
 * run id never becomes a metric dimension and a bill).
 *
 * P13: the log line carries counts, statuses, provenance and error messages, never prefixes, config, the event or
 * credentials; and every string in it passes {@link redact}, which strips URL query strings (pre-signed URLs carry
 * their signature there), signature parameters, PEM blocks and AWS access key ids, wherever they come from.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AllowlistReport, RunReport } from '../core/model';
import { redact, redactText } from '../core/redact';
import type { RunRequest } from './events';

/** The CloudWatch namespace of every metric. */
export const METRICS_NAMESPACE = 'AllowlistSync';
/** The one metric dimension: the allowlist's name. */
export const ALLOWLIST_DIMENSION = 'Allowlist';
/** The service name on log lines. */
export const SERVICE_NAME = 'allowlist-sync';

/** The metric names the function emits (the CDK's alarms and dashboard refer to these). */
export const MetricName = {
  EntriesDesired: 'EntriesDesired',
  Added: 'Added',
  Removed: 'Removed',
  DriftFound: 'DriftFound',
  Refused: 'Refused',
  Failed: 'Failed',
  SourceAgeSeconds: 'SourceAgeSeconds',
  DurationMs: 'DurationMs',
  QuotaHeadroom: 'QuotaHeadroom',
  /** 1 for each allowlist an applying (not dry) run left ok or degraded: the "no successful run" alarm watches it. */
  RunSucceeded: 'RunSucceeded',
  /** Entries that expire within the allowlist's `expiryWarningDays` (every run, dry or not). */
  ExpiringEntries: 'ExpiringEntries',
  /** 1 when the run's change event for the allowlist was not delivered (PutEvents failed or refused it). */
  ChangeEventFailed: 'ChangeEventFailed',
} as const;

/** A Powertools Logger for the function (JSON to stdout; level from `POWERTOOLS_LOG_LEVEL`, default INFO). */
export function createLogger(): Logger {
  return new Logger({ serviceName: SERVICE_NAME });
}

/** A Powertools Metrics emitter with the namespace set and no default dimensions (not even `service`). */
export function createMetrics(): Metrics {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  // Powertools adds a `service` default dimension; every metric would then be keyed by (Allowlist, service) and the
  // CDK's alarms, which name only `Allowlist`, would match nothing.
  metrics.clearDefaultDimensions();
  return metrics;
}

/**
 * The run summary logged once per run: counts, statuses, provenance and errors; never prefixes or config. Expiring
 * entries are named by where they are, their owner and expiry (not their prefix, P13), at most this many.
 */
export const LOGGED_EXPIRING_CAP = 20;

/** The run summary logged once per run (see {@link LOGGED_EXPIRING_CAP}). */
export function runLogEntry(report: RunReport, request?: RunRequest): Record<string, unknown> {
  return redact({
    runId: report.runId,
    trigger: report.trigger,
    dryRun: report.dryRun,
    status: report.status,
    durationMs: report.durationMs,
    ...(report.phases ? { phases: report.phases } : {}),
    add: report.summary.add,
    remove: report.summary.remove,
    unchanged: report.summary.unchanged,
    ...(report.summary.planned ? { planned: report.summary.planned } : {}),
    ...(report.forced ? { forced: { reason: report.forced.reason } } : {}),
    ...(request?.object ? { object: request.object } : {}),
    allowlists: report.allowlists.map(allowlistLogEntry),
  }) as Record<string, unknown>;
}

function allowlistLogEntry(a: AllowlistReport): Record<string, unknown> {
  return {
    name: a.name,
    status: a.status,
    entries: a.entries,
    ...(a.error ? { error: a.error } : {}),
    ...(a.expiring
      ? {
          expiring: {
            windowDays: a.expiring.windowDays,
            count: a.expiring.count,
            entries: a.expiring.entries.slice(0, LOGGED_EXPIRING_CAP).map((e) => ({
              where: e.where,
              owner: e.owner ?? null,
              expires: e.expires,
            })),
          },
        }
      : {}),
    ...(a.event ? { event: a.event } : {}),
    provenance: a.provenance.map((p) => ({
      kind: p.kind,
      location: p.location,
      sha256: p.sha256,
      bytes: p.bytes,
      ...(p.versionId ? { versionId: p.versionId } : {}),
      ...(p.etag ? { etag: p.etag } : {}),
      ...(p.lastModified ? { lastModified: p.lastModified } : {}),
      ...(p.serial !== undefined ? { serial: p.serial } : {}),
      ...(p.notModified ? { notModified: true } : {}),
    })),
    targets: a.targets.map((t) => ({
      targetId: t.targetId,
      status: t.status,
      added: t.added.count,
      removed: t.removed.count,
      ...(t.planned ? { planned: { added: t.planned.added.count, removed: t.planned.removed.count } } : {}),
      unchanged: t.unchanged,
      drift: t.drift.length,
      capacity: { needed: t.capacity.needed, available: t.capacity.available, unit: t.capacity.unit },
      writeCalls: t.writeCalls,
      durationMs: t.durationMs,
      ...(t.error ? { error: t.error } : {}),
    })),
  };
}

/**
 * Logs the run's one summary line: INFO when ok, WARN when degraded or a change event was not delivered, ERROR when
 * refused or failed.
 */
export function logRun(logger: Logger, report: RunReport, summary: string, request?: RunRequest): void {
  const entry = { run: runLogEntry(report, request) };
  const message = redactText(summary);
  const undelivered = report.allowlists.some((a) => a.event && !a.event.delivered);
  if (report.status === 'refused' || report.status === 'failed') logger.error(message, entry);
  else if (report.status === 'degraded' || undelivered) logger.warn(message, entry);
  else logger.info(message, entry);
}

/**
 * Emits the run's metrics, one EMF blob per allowlist with the `Allowlist` dimension. Added and Removed are what was
 * written (a target that stopped part-way reports only that part), so a dry run emits neither; QuotaHeadroom has one
 * value per target (alarm on its Minimum).
 */
export function publishRunMetrics(metrics: Metrics, report: RunReport, now: number): void {
  for (const a of report.allowlists) {
    metrics.addDimension(ALLOWLIST_DIMENSION, a.name);
    const count = (name: string, value: number) => metrics.addMetric(name, MetricUnit.Count, value);
    count(MetricName.EntriesDesired, a.entries.prefixes[4] + a.entries.prefixes[6]);
    if (!report.dryRun) {
      // A target that stopped part-way carries `planned`, and its added/removed are then what it wrote.
      const wrote = a.targets.filter((t) => t.status === 'changed' || t.status === 'degraded' || t.planned);
      count(MetricName.Added, sum(wrote.map((t) => t.added.count)));
      count(MetricName.Removed, sum(wrote.map((t) => t.removed.count)));
    }
    count(MetricName.DriftFound, sum(a.targets.map((t) => t.drift.length)));
    count(MetricName.Refused, a.status === 'refused' || a.targets.some((t) => t.status === 'refused') ? 1 : 0);
    count(MetricName.Failed, a.status === 'failed' || a.targets.some((t) => t.status === 'failed') ? 1 : 0);
    if (!report.dryRun && (a.status === 'unchanged' || a.status === 'changed' || a.status === 'degraded')) {
      count(MetricName.RunSucceeded, 1);
    }
    count(MetricName.ExpiringEntries, a.expiring?.count ?? 0);
    if (a.event) count(MetricName.ChangeEventFailed, a.event.delivered ? 0 : 1);
    const age = sourceAgeSeconds(a, now);
    if (age !== undefined) metrics.addMetric(MetricName.SourceAgeSeconds, MetricUnit.Seconds, age);
    metrics.addMetric(MetricName.DurationMs, MetricUnit.Milliseconds, report.durationMs);
    for (const t of a.targets) {
      if (t.capacity.needed > 0 || t.capacity.available > 0) {
        count(MetricName.QuotaHeadroom, t.capacity.available - t.capacity.needed);
      }
    }
    metrics.publishStoredMetrics();
  }
}

/** Seconds since the oldest source was last modified (or generated, for signed documents); undefined if unknown. */
export function sourceAgeSeconds(a: AllowlistReport, now: number): number | undefined {
  const times = a.provenance
    .map((p) => Date.parse(p.lastModified ?? p.generatedAt ?? ''))
    .filter((t) => Number.isFinite(t));
  if (times.length === 0) return undefined;
  return Math.max(0, Math.round((now - Math.min(...times)) / 1000));
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
