/**
 * The allowlist of the deployment config: its sources and policy (RuntimeConfig's schemas, lambda/config/index.ts) and the
 * filters it is applied to (lib/filter-config.ts). Two forms: the complete one a stack deploys, and the shared
 * definition, where the ids each environment gives may be absent. Pure: no CDK, no I/O.
 */
import * as z from 'zod';
import { ExpiryWarningDaysSchema, GuardrailsSchema, PolicySchema, SourceSchema } from '../lambda/config';
import {
  GroupIdsSchema,
  KmsKeyArnsSchema,
  PrefixListsSchema,
  securityGroupsSchema,
  VpcIdSchema,
  WafIpSetsSchema,
} from './filter-config';

/** An allowlist or environment name. */
export const NameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    'a name is 1–64 letters, digits, "-" or "_", starting with a letter or digit',
  );

function allowlistSchema<S extends z.ZodType>(securityGroups: S) {
  return z
    .strictObject({
      name: NameSchema,
      sources: z.array(SourceSchema).min(1),
      policy: PolicySchema.optional(),
      guardrails: GuardrailsSchema.optional(),
      /** Days before an entry expires that the runs warn about it (docs/expiry-and-events.md). @default 14 */
      expiryWarningDays: ExpiryWarningDaysSchema.optional(),
      /** Customer-managed KMS keys that encrypt an S3 source object or an SSM SecureString. @default none */
      kmsKeyArns: KmsKeyArnsSchema.optional(),
      securityGroups: securityGroups.optional(),
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
      // policy.leaveOutFamilies says a family goes to no filter: one that takes it (unset families: both) contradicts
      // it. The function's schema checks the same on its targets; here the path is the deployment config's.
      for (const family of new Set(a.policy?.leaveOutFamilies ?? [])) {
        for (const filter of ['securityGroups', 'wafIpSets', 'prefixLists'] as const) {
          const value = a[filter] as { families?: readonly string[] } | undefined;
          if (value === undefined || (value.families !== undefined && !value.families.includes(family))) continue;
          ctx.addIssue({
            code: 'custom',
            path: [filter, 'families'],
            message: `policy.leaveOutFamilies leaves ${family} out of every filter, but ${filter} takes ${family}${value.families ? '' : ' (families unset means both)'}: set "families" here without "${family}", or remove "${family}" from policy.leaveOutFamilies`,
          });
        }
      }
      a.sources.forEach((s, i) => {
        if (s.kind === 'file') {
          ctx.addIssue({
            code: 'custom',
            path: ['sources', i, 'kind'],
            message:
              'a "file" source exists only for the CLI: the function cannot read your disk; use s3, https or ssm',
          });
        }
      });
    });
}

/** One allowlist as one stack deploys it, every id given: the construct's allowlist and a resolved environment's. */
export const DeployAllowlistSchema = allowlistSchema(securityGroupsSchema(VpcIdSchema, GroupIdsSchema));
/** One allowlist of one stack. */
export type DeployAllowlist = z.infer<typeof DeployAllowlistSchema>;

/**
 * One allowlist as the deployment config defines it, once for every environment: `vpcId` and `groupIds` may be left
 * to the environments that run it (each of them must then give one).
 */
export const ConfigAllowlistSchema = allowlistSchema(
  securityGroupsSchema(VpcIdSchema.optional(), GroupIdsSchema.optional()),
);
/** One allowlist of the deployment config. */
export type ConfigAllowlist = z.infer<typeof ConfigAllowlistSchema>;
