/**
 * RuntimeConfig: what the engine runs on. The Lambda reads it from `ALLOWLIST_SYNC_CONFIG` (JSON); the CLI reads it
 * from a file; the CDK stack derives it from the deployment config with deploy-time ids. One zod schema parses all
 * three. Unknown fields are errors everywhere (`z.strictObject`), so a typo fails loudly instead of being ignored.
 *
 * Pure: no I/O. `import * as z` keeps zod's locales out of the bundle (docs/aws-behaviour.md §33).
 */
import * as z from 'zod';
import { ConfigError } from '../core/errors';
import { DEFAULT_EXPIRY_WARNING_DAYS, MAX_EXPIRY_WARNING_DAYS } from '../core/expiry';
import { FormatSchema } from '../core/format';
import { GuardrailsSchema } from '../core/guardrails';
import { DEFAULT_POLICY, PolicySchema } from '../core/policy';
import { zodIssues } from './zod-issues';

/** Environment variable that carries the RuntimeConfig JSON to the function. */
export const CONFIG_ENV = 'ALLOWLIST_SYNC_CONFIG';

/** Tag key that marks a security-group rule as written by allowlist-sync; its value is the allowlist name. */
export const OWNER_TAG_KEY = 'allowlist-sync:allowlist';

const name = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    'a name is 1–64 letters, digits, "-" or "_", starting with a letter or digit',
  );

export { type Format, FormatSchema } from '../core/format';

/** Optional integrity check of a source's bytes. */
export const IntegritySchema = z.union([
  /** The bytes must hash to this SHA-256 (hex). */
  z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 is 64 lower-case hex digits') }),
  /**
   * A detached Ed25519 signature over the bytes, by this public key (PEM or base64 SPKI DER), fetched from
   * `signatureLocation` (default: the source location plus `.sig`). The document's serial must never go backwards and
   * its generated-at time must be within `maxAgeSeconds`.
   */
  z.strictObject({
    ed25519PublicKey: z.string().min(40),
    signatureLocation: z.string().min(1).optional(),
    maxAgeSeconds: z
      .int()
      .positive()
      .default(7 * 24 * 3600),
  }),
]);

const sourceCommon = {
  format: FormatSchema.default({ type: 'text' }),
  integrity: IntegritySchema.optional(),
  /** Refuse a body larger than this many bytes. @default 20 MiB */
  maxBytes: z
    .int()
    .positive()
    .max(256 * 1024 * 1024)
    .optional(),
};

/** Where an allowlist is read from. Several sources of one allowlist are unioned. */
export const SourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('inline'),
    entries: z.array(z.string()).min(1),
  }),
  z.strictObject({ kind: z.literal('file'), path: z.string().min(1), ...sourceCommon }),
  z.strictObject({
    kind: z.literal('s3'),
    bucket: z.string().min(3).max(63),
    key: z.string().min(1),
    versionId: z.string().min(1).optional(),
    expectedBucketOwner: z
      .string()
      .regex(/^\d{12}$/)
      .optional(),
    ...sourceCommon,
  }),
  z.strictObject({
    kind: z.literal('https'),
    url: z.url({ protocol: /^https$/ }),
    ...sourceCommon,
  }),
  z.strictObject({ kind: z.literal('ssm'), name: z.string().min(1), ...sourceCommon }),
]);
/** One source of an allowlist. */
export type Source = z.infer<typeof SourceSchema>;

export { type Policy, PolicySchema } from '../core/policy';

/** A tcp or udp port range that every prefix is allowed on. */
export const PortRangeSchema = z
  .strictObject({
    protocol: z.enum(['tcp', 'udp']),
    from: z.int().min(0).max(65535),
    to: z.int().min(0).max(65535),
  })
  .refine((p) => p.from <= p.to, { message: '"from" must not be greater than "to"' });
/** A port range. */
export type PortRange = z.infer<typeof PortRangeSchema>;

const securityGroupId = z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'a security group id looks like sg-0123456789abcdef0');
const prefixListId = z.string().regex(/^pl-[0-9a-f]{8,17}$/, 'a prefix list id looks like pl-0123456789abcdef0');

const ipSetRef = z.strictObject({ name: z.string().min(1).max(128), id: z.string().min(1).max(36) });

/** A filter that the engine keeps equal to the allowlist. */
export const TargetSchema = z.discriminatedUnion('kind', [
  /** A pool of security groups; the prefixes are spread over them within the per-family rule quota. */
  z.strictObject({
    kind: z.literal('security-groups'),
    groupIds: z.array(securityGroupId).min(1),
    ports: z.array(PortRangeSchema).min(1),
    /** Inbound rules per group the planner may use, per family (the AWS default quota is 60). */
    rulesPerGroup: z
      .strictObject({ ipv4: z.int().min(1).max(1000).default(60), ipv6: z.int().min(1).max(1000).default(60) })
      .default({ ipv4: 60, ipv6: 60 }),
  }),
  /** A pool of WAF IP sets per family, referenced together by one rule. */
  z.strictObject({
    kind: z.literal('waf-ip-sets'),
    scope: z.enum(['REGIONAL', 'CLOUDFRONT']),
    ipv4: z.array(ipSetRef).default([]),
    ipv6: z.array(ipSetRef).default([]),
  }),
  /** Managed prefix lists, one per family. */
  z.strictObject({
    kind: z.literal('prefix-lists'),
    ipv4: prefixListId.optional(),
    ipv6: prefixListId.optional(),
    /** Grow MaxEntries up to this many when the list does not fit; absent = refuse instead. */
    growUpTo: z.int().min(1).max(1000).optional(),
  }),
]);
/** One target. */
export type Target = z.infer<typeof TargetSchema>;

export { type Guardrails, GuardrailsSchema } from '../core/guardrails';

/**
 * Days before an entry's `expires` that the run report, the log line, `validate` and the ExpiringEntries metric start
 * naming it (0 turns the warning off). @default 14
 */
export const ExpiryWarningDaysSchema = z.int().min(0).max(MAX_EXPIRY_WARNING_DAYS);

/** One named allowlist: where it comes from, what it may contain, and what it is applied to. */
export const AllowlistSchema = z.strictObject({
  name,
  sources: z.array(SourceSchema).min(1),
  // A plain object, not PolicySchema.parse({}): parsing at module load makes zod compile a parser, ~10 ms of start-up.
  policy: PolicySchema.default(() => ({ ...DEFAULT_POLICY, minPrefixLength: { ...DEFAULT_POLICY.minPrefixLength } })),
  targets: z.array(TargetSchema).min(1),
  guardrails: GuardrailsSchema,
  expiryWarningDays: ExpiryWarningDaysSchema.default(DEFAULT_EXPIRY_WARNING_DAYS),
});
/** One allowlist. */
export type Allowlist = z.infer<typeof AllowlistSchema>;

/** What the engine runs on. */
export const RuntimeConfigSchema = z
  .strictObject({
    version: z.literal(1),
    allowlists: z.array(AllowlistSchema).min(1),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.allowlists.forEach((a, i) => {
      if (seen.has(a.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['allowlists', i, 'name'],
          message: `duplicate allowlist name "${a.name}"`,
        });
      }
      seen.add(a.name);
    });
  });
/** The parsed, defaulted RuntimeConfig. */
export type RuntimeConfig = z.infer<typeof RuntimeConfigSchema>;
/** The RuntimeConfig as written (defaults optional). */
export type RuntimeConfigInput = z.input<typeof RuntimeConfigSchema>;

/** Parses a RuntimeConfig from a value, or throws a {@link ConfigError} that lists every problem with its field. */
export function parseRuntimeConfig(value: unknown, subject = 'RuntimeConfig'): RuntimeConfig {
  const result = RuntimeConfigSchema.safeParse(value);
  if (!result.success) throw new ConfigError(subject, zodIssues(result.error));
  return result.data;
}

/** Parses RuntimeConfig JSON text (the Lambda's environment, a CLI file). */
export function parseRuntimeConfigJson(text: string, subject = 'RuntimeConfig'): RuntimeConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(subject, [`not valid JSON: ${(error as Error).message}`], { cause: error });
  }
  return parseRuntimeConfig(value, subject);
}

export { zodIssues } from './zod-issues';
