/**
 * What the function is asked to do: every event it accepts, parsed strictly with zod into one {@link RunRequest}.
 *
 * - `{"trigger":"schedule"}` (the payload the CDK's EventBridge Scheduler schedule sends) and the classic EventBridge
 *   `Scheduled Event`: a scheduled run that applies.
 * - `{"trigger":"deploy"}`: the run after each deploy; applies.
 * - An EventBridge `Object Created` event from S3: runs now, and applies, for the allowlists with a matching S3 source.
 * - A manual payload `{"dryRun"?, "allowlists"?, "force"?}`. Without `dryRun` it PLANS ONLY: applying by hand needs an
 *   explicit `"dryRun": false`, so a bare `aws lambda invoke` can never change a filter.
 *
 * Our own payloads are strict (an unknown field is an error naming it); AWS's event envelopes are parsed loosely (AWS
 * adds fields over time) but their `source` and `detail-type` must be the expected ones. Pure: no I/O.
 */
import * as z from 'zod';
import type { RuntimeConfig, Source } from '../config';
import { ConfigError } from '../core/errors';
import type { RunReport } from '../core/model';

/** What one invocation asks the engine to do. */
export interface RunRequest {
  readonly trigger: RunReport['trigger'];
  readonly dryRun: boolean;
  /** Allowlist names to run; absent = all. */
  readonly allowlists?: readonly string[];
  /** Lifts the change-size guardrail only (never the entry policy or capacity), with the operator's reason. */
  readonly force?: { readonly reason: string };
  /** For S3 events: the object that changed, as `s3://bucket/key`. */
  readonly object?: string;
}

/** An event that is valid but asks for nothing (an S3 object no allowlist reads). */
export interface IgnoredEvent {
  readonly ignored: string;
}

/** The fixed payload of the schedule (EventBridge Scheduler target input). */
export const SchedulePayloadSchema = z.strictObject({ trigger: z.literal('schedule') });
/** The fixed payload of the post-deploy run. */
export const DeployPayloadSchema = z.strictObject({ trigger: z.literal('deploy') });

const allowlistName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'not an allowlist name');

/** The operator's payload. Unknown fields are errors, so `{"dryrun": false}` cannot silently plan or apply. */
export const ManualPayloadSchema = z.strictObject({
  dryRun: z.boolean().optional(),
  allowlists: z.array(allowlistName).min(1).optional(),
  force: z.strictObject({ reason: z.string().trim().min(1, 'force needs a non-empty reason').max(500) }).optional(),
});
/** The operator's payload. */
export type ManualPayload = z.infer<typeof ManualPayloadSchema>;

/** The classic EventBridge scheduled event (rate/cron rule). */
export const ScheduledEventSchema = z.looseObject({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});

/** The EventBridge event S3 sends when an object is created (EventBridge notifications enabled on the bucket). */
export const S3ObjectCreatedEventSchema = z.looseObject({
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  detail: z.looseObject({
    bucket: z.looseObject({ name: z.string().min(1) }),
    object: z.looseObject({ key: z.string().min(1) }),
  }),
});

const SUBJECT = 'invoke payload';

/**
 * Parses an invocation event into a run request, or an {@link IgnoredEvent} for an S3 object that no allowlist reads.
 * Throws a {@link ConfigError} (subject `invoke payload`) naming each bad or unknown field.
 */
export function parseInvokeEvent(event: unknown, config: RuntimeConfig): RunRequest | IgnoredEvent {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new ConfigError(SUBJECT, [`(root): expected a JSON object, got ${describe(event)}`]);
  }
  const record = event as Record<string, unknown>;
  if ('trigger' in record) {
    if (record.trigger === 'schedule') {
      strict(SchedulePayloadSchema, event, 'a schedule payload is exactly {"trigger":"schedule"}');
      return { trigger: 'schedule', dryRun: false };
    }
    if (record.trigger === 'deploy') {
      strict(DeployPayloadSchema, event, 'a deploy payload is exactly {"trigger":"deploy"}');
      return { trigger: 'deploy', dryRun: false };
    }
    throw new ConfigError(SUBJECT, [
      `trigger: expected "schedule" or "deploy", got ${describe(record.trigger)} (a manual run has no "trigger" field)`,
    ]);
  }
  if ('source' in record || 'detail-type' in record) return parseEventBridge(event, config);
  const manual = strict(
    ManualPayloadSchema,
    event,
    'a manual payload accepts only "dryRun", "allowlists" and "force": {"reason"}',
  );
  checkNames(manual.allowlists, config);
  return {
    trigger: 'manual',
    dryRun: manual.dryRun ?? true,
    ...(manual.allowlists ? { allowlists: manual.allowlists } : {}),
    ...(manual.force ? { force: { reason: manual.force.reason } } : {}),
  };
}

/** Whether the parse asked for nothing. */
export function isIgnored(value: RunRequest | IgnoredEvent): value is IgnoredEvent {
  return 'ignored' in value;
}

/**
 * The names of the allowlists that read this S3 object: an S3 source at this bucket and key, or the detached
 * signature of a signed source (by default the source's key plus `.sig`, or an `s3://` `signatureLocation`). The CDK
 * watches the signature of a signed list, which its publisher uploads last, so that the run sees both files.
 */
export function allowlistsReadingObject(config: RuntimeConfig, bucket: string, key: string): string[] {
  // S3's classic notifications URL-encode the key (spaces as `+`); accept the key as sent and decoded, so a key with
  // a space matches whichever form EventBridge delivers.
  const wanted = new Set([`${bucket}/${key}`, `${bucket}/${decodeKey(key)}`]);
  return config.allowlists
    .filter((a) => a.sources.some((s) => objectsRead(s).some((o) => wanted.has(o))))
    .map((a) => a.name);
}

/** The S3 objects (`bucket/key`) a source reads: itself and, when signed, its signature. */
function objectsRead(source: Source): string[] {
  const objects = source.kind === 's3' ? [`${source.bucket}/${source.key}`] : [];
  const integrity = source.kind === 'inline' ? undefined : source.integrity;
  if (integrity && 'ed25519PublicKey' in integrity) {
    const location = integrity.signatureLocation;
    if (location?.startsWith('s3://')) objects.push(location.slice('s3://'.length));
    else if (location === undefined && source.kind === 's3') objects.push(`${source.bucket}/${source.key}.sig`);
  }
  return objects;
}

function parseEventBridge(event: unknown, config: RuntimeConfig): RunRequest | IgnoredEvent {
  const record = event as Record<string, unknown>;
  if (record.source === 'aws.events') {
    strict(ScheduledEventSchema, event, '');
    return { trigger: 'schedule', dryRun: false };
  }
  if (record.source === 'aws.s3') {
    const s3 = strict(S3ObjectCreatedEventSchema, event, '');
    const { name: bucket } = s3.detail.bucket;
    const { key } = s3.detail.object;
    const object = `s3://${bucket}/${key}`;
    const names = allowlistsReadingObject(config, bucket, key);
    if (names.length === 0) return { ignored: `no allowlist reads ${object}; nothing to do` };
    return { trigger: 's3', dryRun: false, allowlists: names, object };
  }
  throw new ConfigError(SUBJECT, [
    `source: expected "aws.events" (a scheduled event) or "aws.s3" (Object Created), got ${describe(record.source)}`,
  ]);
}

function checkNames(names: readonly string[] | undefined, config: RuntimeConfig): void {
  if (!names) return;
  const known = new Set(config.allowlists.map((a) => a.name));
  const issues = names.flatMap((n, i) =>
    known.has(n) ? [] : [`allowlists[${i}]: no allowlist is named "${n}"; configured: ${[...known].join(', ')}`],
  );
  if (issues.length > 0) throw new ConfigError(SUBJECT, issues);
}

/** Parses with a strict schema; unknown keys are reported by name, with the fields that are accepted. */
function strict<S extends z.ZodType>(schema: S, value: unknown, accepted: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ConfigError(
    SUBJECT,
    result.error.issues.map((issue) => describeIssue(issue, accepted)),
  );
}

function describeIssue(issue: z.core.$ZodIssue, accepted: string): string {
  const path = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`));
  const where = path.join('') || '(root)';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return `${where}: unknown field${issue.keys.length === 1 ? '' : 's'} ${keys}; ${accepted}`;
  }
  return `${where}: ${issue.message}`;
}

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  return typeof value;
}
