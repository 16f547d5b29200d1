/**
 * The schema of the whole deployment config: its environments (each with the allowlists it runs and its overrides of
 * the defaults) and the top-level allowlists and defaults. lib/deployment-config.ts parses with it; the rules over
 * resolved environments are lib/resolve-environment.ts. Pure: no CDK, no I/O.
 */
import * as z from 'zod';
import { ConfigAllowlistSchema, NameSchema } from './allowlist-config';
import { CredentialBindingSchema } from './credential-config';
import { AccountIdSchema, EnvironmentAllowlistSchema } from './filter-config';

/** Minutes between scheduled runs (EventBridge Scheduler). */
const scheduleMinutes = z.int().min(1).max(720);
/** Alarm when a target has fewer free entries than this. */
const quotaHeadroomAlarmBelow = z.int().min(0);
/** Days the change events are archived on the default bus. */
const changeEventArchiveDays = z.int().min(1).max(3650);

/** One environment: one stack in one account and Region, with its allowlists and its overrides of the defaults. */
export const EnvironmentSchema = z.strictObject({
  name: NameSchema,
  account: AccountIdSchema,
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'a region looks like eu-west-1'),
  /** The allowlists this environment runs, by name, each with this environment's values. @default all of them */
  allowlists: z.record(z.string(), EnvironmentAllowlistSchema).optional(),
  /** @default the top-level scheduleMinutes */
  scheduleMinutes: scheduleMinutes.optional(),
  /** @default the top-level alarmEmail */
  alarmEmail: z.email().optional(),
  /** @default the top-level quotaHeadroomAlarmBelow */
  quotaHeadroomAlarmBelow: quotaHeadroomAlarmBelow.optional(),
  /** @default the top-level changeEventArchiveDays */
  changeEventArchiveDays: changeEventArchiveDays.optional(),
});
/** An environment. */
export type Environment = z.infer<typeof EnvironmentSchema>;

/** The whole deployment config. */
export const DeploymentConfigSchema = z.strictObject({
  environments: z.array(EnvironmentSchema).min(1),
  allowlists: z.array(ConfigAllowlistSchema).min(1),
  /** Minutes between scheduled runs (EventBridge Scheduler). @default 15 */
  scheduleMinutes: scheduleMinutes.default(15),
  /** An e-mail address subscribed to the alarm topic. @default no subscription */
  alarmEmail: z.email().optional(),
  /** Alarm when a target has fewer free entries than this. @default 10 */
  quotaHeadroomAlarmBelow: quotaHeadroomAlarmBelow.default(10),
  /** Archive the change events on the default bus for this many days (docs/expiry-and-events.md). @default none */
  changeEventArchiveDays: changeEventArchiveDays.optional(),
  /** Stack-wide options of credential binding (docs/credential-binding.md). @default rule groups only */
  credentialBinding: CredentialBindingSchema.optional(),
});
/** The parsed, defaulted deployment config. */
export type DeploymentConfig = z.infer<typeof DeploymentConfigSchema>;
