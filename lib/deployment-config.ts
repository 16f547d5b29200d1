/**
 * The deployment config: what `cdk deploy` creates or manages, per environment and per allowlist. `bin/app.ts` reads
 * it from the `allowlistSync` context key or from the JSON/YAML file named by `allowlistSyncConfig`, and parses it here
 * at synth, listing EVERY problem with its field, so a bad config fails `cdk synth` instead of a 3 a.m. run.
 *
 * Sources, policy and guardrails are RuntimeConfig's own schemas (lambda/config/index.ts): one truth, the function parses
 * them again at run time. Pure: no CDK, no I/O.
 */
import * as z from 'zod';
import {
  ExpiryWarningDaysSchema,
  GuardrailsSchema,
  PolicySchema,
  PortRangeSchema,
  SourceSchema,
  zodIssues,
} from '../lambda/config';
import { ConfigError } from '../lambda/core/errors';
import { CredentialBindingSchema, CredentialSchema, credentialIssues, ForwardedIpSchema } from './credential-config';

const name = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    'a name is 1–64 letters, digits, "-" or "_", starting with a letter or digit',
  );
const accountId = z.string().regex(/^\d{12}$/, 'an account id is 12 digits');
const securityGroupId = z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'a security group id looks like sg-0123456789abcdef0');

/** Characters EC2 accepts in a security-group description (docs/aws-behaviour.md §17 lists the same set for rules). */
const SG_DESCRIPTION = /^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]{1,200}$/;

const rulesPerGroup = z.strictObject({
  ipv4: z.int().min(1).max(1000).default(60),
  ipv6: z.int().min(1).max(1000).default(60),
});

/** A pool of security groups: created here in a VPC, or existing ones managed by the sync. Never both. */
export const SecurityGroupsSchema = z
  .strictObject({
    create: z
      .strictObject({
        vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'a VPC id looks like vpc-0123456789abcdef0'),
        count: z.int().min(1).max(50),
        ports: z.array(PortRangeSchema).min(1),
        /**
         * The groups' description prefix. It is replace-on-change (docs/aws-behaviour.md §3): changing it later creates
         * new groups and drops every synced rule with the old ones. @default "allowlist-sync <allowlist>"
         */
        description: z
          .string()
          .regex(SG_DESCRIPTION, 'a description is 1–200 of a-z A-Z 0-9 space ._-:/()#,@[]+=&;{}!$*')
          .optional(),
        /** Let the groups' members connect anywhere. @default false (egress is the members' other groups' job) */
        allowAllOutbound: z.boolean().default(false),
        rulesPerGroup: rulesPerGroup.optional(),
      })
      .optional(),
    existing: z
      .strictObject({
        groupIds: z.array(securityGroupId).min(1),
        ports: z.array(PortRangeSchema).min(1),
        rulesPerGroup: rulesPerGroup.optional(),
      })
      .optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.create === undefined) === (value.existing === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'give exactly one of "create" (new groups in a VPC) or "existing" (group ids), not both or neither',
      });
    }
  });
/** A security-group pool. */
export type SecurityGroupsConfig = z.infer<typeof SecurityGroupsSchema>;

export { type ForwardedIpConfig, ForwardedIpSchema } from './credential-config';

/** WAF IP set pools per family, with an optional allow rule group and web ACL. */
export const WafIpSetsSchema = z
  .strictObject({
    scope: z.enum(['REGIONAL', 'CLOUDFRONT']),
    setsPerFamily: z.strictObject({ ipv4: z.int().min(0).max(20).default(1), ipv6: z.int().min(0).max(20).default(0) }),
    ruleGroup: z.strictObject({ forwardedIp: ForwardedIpSchema.optional() }).optional(),
    webAcl: z.boolean().default(false),
    /** Bind a partner's credential to this allowlist's sets (docs/credential-binding.md). @default none */
    credential: CredentialSchema.optional(),
  })
  .superRefine((value, ctx) => {
    if (value.setsPerFamily.ipv4 + value.setsPerFamily.ipv6 === 0) {
      ctx.addIssue({ code: 'custom', path: ['setsPerFamily'], message: 'create at least one IP set (ipv4 or ipv6)' });
    }
    if (value.webAcl && value.ruleGroup === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['webAcl'],
        message: 'a web ACL needs the rule group: add "ruleGroup": {}',
      });
    }
  });
/** A WAF IP set pool. */
export type WafIpSetsConfig = z.infer<typeof WafIpSetsSchema>;

/** AWS RAM principals a prefix list is shared with. */
export const ShareSchema = z
  .strictObject({
    accounts: z.array(accountId).min(1).optional(),
    organizationArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:organizations::\d{12}:(organization\/o-[a-z0-9]{10,32}|ou\/o-[a-z0-9]{10,32}\/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32})$/,
        'an organization or OU ARN looks like arn:aws:organizations::123456789012:organization/o-abcdefghij',
      )
      .optional(),
    /** Allow principals outside your organisation. @default false */
    allowExternalPrincipals: z.boolean().default(false),
  })
  .refine((s) => s.accounts !== undefined || s.organizationArn !== undefined, {
    message: 'share with at least one principal: "accounts" or "organizationArn"',
  });
/** A RAM share. */
export type ShareConfig = z.infer<typeof ShareSchema>;

const prefixListFamily = z.strictObject({
  /** Fixed at create: a change makes CloudFormation rewrite the entries (docs/aws-behaviour.md §2). */
  maxEntries: z.int().min(1).max(1000),
  share: ShareSchema.optional(),
});

/** Managed prefix lists per family. */
export const PrefixListsSchema = z
  .strictObject({
    ipv4: prefixListFamily.optional(),
    ipv6: prefixListFamily.optional(),
    /** Let the function grow MaxEntries up to this when the list does not fit. @default refuse instead */
    growUpTo: z.int().min(1).max(1000).optional(),
  })
  .refine((p) => p.ipv4 !== undefined || p.ipv6 !== undefined, { message: 'create "ipv4", "ipv6" or both' });
/** The prefix lists of an allowlist. */
export type PrefixListsConfig = z.infer<typeof PrefixListsSchema>;

/** One allowlist: its sources and policy (RuntimeConfig's schemas) and the filters it is applied to. */
export const DeployAllowlistSchema = z
  .strictObject({
    name,
    sources: z.array(SourceSchema).min(1),
    policy: PolicySchema.optional(),
    guardrails: GuardrailsSchema.optional(),
    /** Days before an entry expires that the runs warn about it (docs/expiry-and-events.md). @default 14 */
    expiryWarningDays: ExpiryWarningDaysSchema.optional(),
    /** Customer-managed KMS keys that encrypt an S3 source object or an SSM SecureString. @default none */
    kmsKeyArns: z
      .array(z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, 'a KMS key ARN'))
      .min(1)
      .optional(),
    securityGroups: SecurityGroupsSchema.optional(),
    wafIpSets: WafIpSetsSchema.optional(),
    prefixLists: PrefixListsSchema.optional(),
  })
  .superRefine((a, ctx) => {
    if (!a.securityGroups && !a.wafIpSets && !a.prefixLists) {
      ctx.addIssue({
        code: 'custom',
        message: `allowlist "${a.name}" has no filter: add "securityGroups", "wafIpSets" or "prefixLists"`,
      });
    }
    a.sources.forEach((s, i) => {
      if (s.kind === 'file') {
        ctx.addIssue({
          code: 'custom',
          path: ['sources', i, 'kind'],
          message: 'a "file" source exists only for the CLI: the function cannot read your disk; use s3, https or ssm',
        });
      }
    });
  });
/** One allowlist of the deployment config. */
export type DeployAllowlist = z.infer<typeof DeployAllowlistSchema>;

/** One environment: one stack in one account and region. */
export const EnvironmentSchema = z.strictObject({
  name,
  account: accountId,
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'a region looks like eu-west-1'),
});
/** An environment. */
export type Environment = z.infer<typeof EnvironmentSchema>;

/** The whole deployment config. */
export const DeploymentConfigSchema = z
  .strictObject({
    environments: z.array(EnvironmentSchema).min(1),
    allowlists: z.array(DeployAllowlistSchema).min(1),
    /** Minutes between scheduled runs (EventBridge Scheduler). @default 15 */
    scheduleMinutes: z.int().min(1).max(720).default(15),
    /** An e-mail address subscribed to the alarm topic. @default no subscription */
    alarmEmail: z.email().optional(),
    /** Alarm when a target has fewer free entries than this. @default 10 */
    quotaHeadroomAlarmBelow: z.int().min(0).default(10),
    /** Archive the change events on the default bus for this many days (docs/expiry-and-events.md). @default none */
    changeEventArchiveDays: z.int().min(1).max(3650).optional(),
    /** Stack-wide options of credential binding (docs/credential-binding.md). @default rule groups only */
    credentialBinding: CredentialBindingSchema.optional(),
  })
  .superRefine((config, ctx) => {
    unique(
      config.environments.map((e) => e.name),
      ['environments'],
      'environment',
      ctx,
    );
    unique(
      config.allowlists.map((a) => a.name),
      ['allowlists'],
      'allowlist',
      ctx,
    );
    for (const issue of credentialIssues(config.allowlists, config.credentialBinding)) {
      ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    }
    // CLOUDFRONT-scope WAF resources exist only in us-east-1 (docs/aws-behaviour.md §24).
    config.allowlists.forEach((a, i) => {
      if (a.wafIpSets?.scope !== 'CLOUDFRONT') return;
      for (const env of config.environments) {
        if (env.region !== 'us-east-1') {
          ctx.addIssue({
            code: 'custom',
            path: ['allowlists', i, 'wafIpSets', 'scope'],
            message: `CLOUDFRONT IP sets exist only in us-east-1, but environment "${env.name}" is in ${env.region}: use REGIONAL there, or deploy this allowlist to us-east-1`,
          });
        }
      }
    });
  });
/** The parsed, defaulted deployment config. */
export type DeploymentConfig = z.infer<typeof DeploymentConfigSchema>;

function unique(names: string[], path: (string | number)[], what: string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (seen.has(n)) ctx.addIssue({ code: 'custom', path: [...path, i, 'name'], message: `duplicate ${what} "${n}"` });
    seen.add(n);
  });
}

/** Parses a deployment config, or throws one {@link ConfigError} that lists every problem with its field. */
export function parseDeploymentConfig(value: unknown, subject = 'deployment config'): DeploymentConfig {
  const result = DeploymentConfigSchema.safeParse(value);
  if (!result.success) throw new ConfigError(subject, zodIssues(result.error));
  return result.data;
}
