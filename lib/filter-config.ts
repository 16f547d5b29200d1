/**
 * The schemas of the filters an allowlist is applied to (security groups, WAF IP sets, prefix lists), and of the
 * values an environment may give for them. The ids that differ by account or Region (a VPC id, existing group ids)
 * are parameters here: the construct's allowlist requires them, the deployment config's shared allowlist definition
 * may leave them to each environment (lib/deployment-config.ts). Pure: no CDK, no I/O.
 */
import * as z from 'zod';
import { PortRangeSchema } from '../lambda/config';
import { CredentialSchema, ForwardedIpSchema } from './credential-config';

/** A 12-digit AWS account id. */
export const AccountIdSchema = z.string().regex(/^\d{12}$/, 'an account id is 12 digits');
/** A VPC id. */
export const VpcIdSchema = z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'a VPC id looks like vpc-0123456789abcdef0');
const securityGroupId = z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'a security group id looks like sg-0123456789abcdef0');
/** The ids of existing security groups. */
export const GroupIdsSchema = z.array(securityGroupId).min(1);
/** Customer-managed KMS keys that encrypt an S3 source object or an SSM SecureString. */
export const KmsKeyArnsSchema = z
  .array(z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, 'a KMS key ARN'))
  .min(1);
/** The scope of WAF resources: CLOUDFRONT exists only in us-east-1 (docs/aws-behaviour.md §24). */
export const WafScopeSchema = z.enum(['REGIONAL', 'CLOUDFRONT']);

/** Characters EC2 accepts in a security-group description (docs/aws-behaviour.md §17 lists the same set for rules). */
const SG_DESCRIPTION = /^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]{1,200}$/;

const rulesPerGroup = z.strictObject({
  ipv4: z.int().min(1).max(1000).default(60),
  ipv6: z.int().min(1).max(1000).default(60),
});

/**
 * A pool of security groups: created here in a VPC, or existing ones managed by the sync. Never both. `vpcId` and
 * `groupIds` are the schemas of those two ids (required, or optional where an environment may give them).
 */
export function securityGroupsSchema<V extends z.ZodType, G extends z.ZodType>(vpcId: V, groupIds: G) {
  return z
    .strictObject({
      create: z
        .strictObject({
          vpcId,
          count: z.int().min(1).max(50),
          ports: z.array(PortRangeSchema).min(1),
          /**
           * The groups' description prefix. It is replace-on-change (docs/aws-behaviour.md §3): changing it later
           * creates new groups and drops every synced rule with the old ones. @default "allowlist-sync <allowlist>"
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
          groupIds,
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
}

/** A security-group pool with its ids. */
export const SecurityGroupsSchema = securityGroupsSchema(VpcIdSchema, GroupIdsSchema);
/** A security-group pool. */
export type SecurityGroupsConfig = z.infer<typeof SecurityGroupsSchema>;

/** WAF IP set pools per family, with an optional allow rule group and web ACL. */
export const WafIpSetsSchema = z
  .strictObject({
    scope: WafScopeSchema,
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
    accounts: z.array(AccountIdSchema).min(1).optional(),
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

/** A prefix list family's share in one environment: its own principals, or `null` for no share there. */
const shareOverride = z.strictObject({ share: ShareSchema.nullable() });

/**
 * What one environment gives for one allowlist: the values that differ by account or Region. Each replaces the
 * allowlist's own (an array is replaced, not concatenated). Only filters the allowlist has can be given.
 */
export const EnvironmentAllowlistSchema = z.strictObject({
  kmsKeyArns: KmsKeyArnsSchema.optional(),
  securityGroups: z
    .strictObject({
      create: z.strictObject({ vpcId: VpcIdSchema }).optional(),
      existing: z.strictObject({ groupIds: GroupIdsSchema }).optional(),
    })
    .optional(),
  wafIpSets: z.strictObject({ scope: WafScopeSchema }).optional(),
  prefixLists: z.strictObject({ ipv4: shareOverride.optional(), ipv6: shareOverride.optional() }).optional(),
});
/** One environment's values for one allowlist. */
export type EnvironmentAllowlist = z.infer<typeof EnvironmentAllowlistSchema>;
