/**
 * The function's IAM policy (docs/design.md P11: the role can change only its own groups, IP sets and prefix lists).
 *
 * Resource-level scoping, from the Service Authorization Reference:
 * - `ec2:DescribeSecurityGroups`, `ec2:DescribeSecurityGroupRules` and `ec2:DescribeManagedPrefixLists` support no
 *   resource-level permission: `*` is the only resource AWS accepts for them.
 * - The security-group driver calls DescribeSecurityGroups (do the pool's groups exist), DescribeSecurityGroupRules and,
 *   for a rule that references a prefix list, DescribeManagedPrefixLists: all three for any pool.
 * - Authorize and revoke of ingress rules require the `security-group` resource (the pool's ARNs here); they
 *   may also evaluate the `security-group-rule` resource, whose ids do not exist before the rule does. A rule ARN
 *   alone grants nothing, since each action also requires its group.
 * - `ec2:CreateTags` is allowed only as part of an authorize (`ec2:CreateAction`), to tag the new rules as ours.
 * - WAF `GetIPSet`/`UpdateIPSet` and prefix-list `GetManagedPrefixListEntries`/`ModifyManagedPrefixList` take the
 *   set's or list's own ARN.
 * - Sources: `s3:GetObject` (and `s3:GetObjectVersion` when the version is pinned) on the object; `ssm:GetParameter`
 *   on the parameter. A SecureString under the AWS-managed `aws/ssm` key needs no IAM grant (its key policy allows
 *   use through SSM in the account); customer keys get `kms:Decrypt` only through SSM or S3 (`kms:ViaService`).
 * - Run state (P7, P10), per allowlist: `ssm:GetParameter` and `ssm:PutParameter` on its run lock, its last applied
 *   generation and, when signed, its serial; `ssm:DeleteParameter` on its lock only (release). Named parameters, not
 *   `/allowlist-sync/<name>/*`: the function can touch no other parameter under that path, and no wildcard needs a
 *   cdk-nag acknowledgement.
 * - Change events (docs/expiry-and-events.md): `events:PutEvents` on the account's default bus only
 *   (`arn:…:event-bus/default`), and only with the source `allowlist-sync` and its three detail types
 *   (`events:source`, `events:detail-type`), so the role cannot pose as another service or write to another bus.
 */
import type { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Source } from '../lambda/config';
import { CHANGE_EVENT_SOURCE, ChangeDetailType } from '../lambda/core/change-event';
import type { AllowlistFilters } from './filters';

/** The SSM parameter where the function keeps the last applied serial of a signed allowlist (docs/design.md P7). */
export function serialParameterName(allowlist: string): string {
  return `/allowlist-sync/${allowlist}/serial`;
}

/** The SSM parameter of an allowlist's run lock (docs/design.md P10; lambda/engine/run-lock.ts `lockParameterName`). */
export function lockParameterName(allowlist: string): string {
  return `/allowlist-sync/${allowlist}/lock`;
}

/** The SSM parameter of an allowlist's last applied generation (P10; lambda/engine/run-lock.ts `generationParameterName`). */
export function generationParameterName(allowlist: string): string {
  return `/allowlist-sync/${allowlist}/generation`;
}

/** Whether an allowlist has a signed source (and so keeps a serial). */
export function hasSignedSource(sources: readonly Source[]): boolean {
  return sources.some((s) => 'integrity' in s && s.integrity !== undefined && 'ed25519PublicKey' in s.integrity);
}

/** The IAM statements of the function's role, for every allowlist. */
export function syncStatements(stack: Stack, allowlists: readonly AllowlistFilters[]): iam.PolicyStatement[] {
  const statements: iam.PolicyStatement[] = [];
  const groups = allowlists.flatMap((a) => a.securityGroupArns);
  const ipSets = allowlists.flatMap((a) => a.ipSetArns);
  const lists = allowlists.flatMap((a) => a.prefixListArns);
  const ruleArns = stack.formatArn({ service: 'ec2', resource: 'security-group-rule', resourceName: '*' });

  // The security-group driver checks its groups exist (DescribeSecurityGroups) and sizes any prefix list a rule of the
  // pool references (DescribeManagedPrefixLists), whoever added that rule: both whenever there is a pool (issue 10).
  const describe = [
    ...(groups.length > 0 ? ['ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules'] : []),
    ...(groups.length > 0 || lists.length > 0 ? ['ec2:DescribeManagedPrefixLists'] : []),
  ];
  if (describe.length > 0) {
    statements.push(
      new iam.PolicyStatement({ sid: 'DescribeSupportsNoResourceScope', actions: describe, resources: ['*'] }),
    );
  }
  if (groups.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'WritePoolIngressRules',
        // No ec2:ModifySecurityGroupRules: the driver only authorizes and revokes (issue 10, defect 3).
        actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'],
        resources: [...groups, ruleArns],
      }),
      new iam.PolicyStatement({
        sid: 'TagRulesOnlyWhenAuthorizing',
        actions: ['ec2:CreateTags'],
        resources: [...groups, ruleArns],
        conditions: { StringEquals: { 'ec2:CreateAction': 'AuthorizeSecurityGroupIngress' } },
      }),
    );
  }
  if (ipSets.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'PoolIpSets',
        actions: ['wafv2:GetIPSet', 'wafv2:UpdateIPSet'],
        resources: ipSets,
      }),
    );
  }
  if (lists.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'PoolPrefixLists',
        actions: ['ec2:GetManagedPrefixListEntries', 'ec2:ModifyManagedPrefixList'],
        resources: lists,
      }),
    );
  }
  statements.push(...sourceStatements(stack, allowlists), changeEventStatement(stack));
  return statements;
}

/** The ARN of the account's default event bus in the stack's Region. */
export function defaultEventBusArn(stack: Stack): string {
  return stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' });
}

/** `events:PutEvents` on the default bus, for the source and detail types of the change events only. */
function changeEventStatement(stack: Stack): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'PutChangeEventsOnDefaultBus',
    actions: ['events:PutEvents'],
    resources: [defaultEventBusArn(stack)],
    conditions: {
      StringEquals: {
        'events:source': CHANGE_EVENT_SOURCE,
        'events:detail-type': Object.values(ChangeDetailType),
      },
    },
  });
}

function sourceStatements(stack: Stack, allowlists: readonly AllowlistFilters[]): iam.PolicyStatement[] {
  const objects = new Set<string>();
  const versions = new Set<string>();
  const parameters = new Set<string>();
  const state = new Set<string>();
  const locks = new Set<string>();
  const keys = new Set<string>();
  for (const { provisioned } of allowlists) {
    const { sources, name, kmsKeyArns } = provisioned.definition;
    for (const source of sources) {
      if (source.kind === 's3') {
        const arn = `arn:${stack.partition}:s3:::${source.bucket}/${source.key}`;
        (source.versionId ? versions : objects).add(arn);
        const signature = signatureObject(source);
        if (signature) objects.add(`arn:${stack.partition}:s3:::${signature}`);
      } else if (source.kind === 'ssm') {
        parameters.add(parameterArn(stack, source.name));
      }
    }
    // Every allowlist is applied under its run lock and records its generation (P10); a signed one keeps its serial.
    locks.add(parameterArn(stack, lockParameterName(name)));
    state.add(parameterArn(stack, lockParameterName(name)));
    state.add(parameterArn(stack, generationParameterName(name)));
    if (hasSignedSource(sources)) state.add(parameterArn(stack, serialParameterName(name)));
    for (const key of kmsKeyArns ?? []) keys.add(key);
  }
  const statements: iam.PolicyStatement[] = [];
  if (objects.size > 0) {
    statements.push(
      new iam.PolicyStatement({ sid: 'ReadSourceObjects', actions: ['s3:GetObject'], resources: [...objects] }),
    );
  }
  if (versions.size > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'ReadPinnedSourceObjects',
        actions: ['s3:GetObjectVersion'],
        resources: [...versions],
      }),
    );
  }
  if (parameters.size > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'ReadSourceParameters',
        actions: ['ssm:GetParameter'],
        resources: [...parameters],
      }),
    );
  }
  if (state.size > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'KeepRunStateLockGenerationSerial',
        actions: ['ssm:GetParameter', 'ssm:PutParameter'],
        resources: [...state],
      }),
      new iam.PolicyStatement({ sid: 'ReleaseRunLocks', actions: ['ssm:DeleteParameter'], resources: [...locks] }),
    );
  }
  if (keys.size > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'DecryptSourcesThroughS3OrSsm',
        actions: ['kms:Decrypt'],
        resources: [...keys],
        conditions: {
          StringEquals: { 'kms:ViaService': [`ssm.${stack.region}.amazonaws.com`, `s3.${stack.region}.amazonaws.com`] },
        },
      }),
    );
  }
  return statements;
}

/**
 * Reading the deployment's RuntimeConfig (lambda/engine/config-store.ts): `ssm:GetParametersByPath` on the path's own
 * ARN, which SSM authorizes for every parameter below it (docs/aws-behaviour.md §40), and which holds only the config
 * parameters: run state lives under `/allowlist-sync/<allowlist>/`, never under `<path>/`.
 */
export function configReadStatement(stack: Stack, configPath: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ReadRuntimeConfig',
    actions: ['ssm:GetParametersByPath'],
    resources: [parameterArn(stack, configPath)],
  });
}

/** `bucket/key` of a signed S3 source's detached signature: `<key>.sig`, or an `s3://` signature location. */
export function signatureObject(source: Extract<Source, { kind: 's3' }>): string | undefined {
  const integrity = source.integrity;
  if (!integrity || !('ed25519PublicKey' in integrity)) return undefined;
  const location = integrity.signatureLocation;
  if (location === undefined) return `${source.bucket}/${source.key}.sig`;
  return location.startsWith('s3://') ? location.slice('s3://'.length) : undefined;
}

/** The ARN of a parameter by name (`/a/b` or `a`) or the ARN itself when the config gives one. */
function parameterArn(stack: Stack, name: string): string {
  if (name.startsWith('arn:')) return name;
  return stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, '') });
}
