/**
 * The security-group driver: reads a pool's ingress rules, and performs a plan's authorize and revoke calls in the
 * plan's order. It maps between EC2 and the model and decides nothing: placement, ownership and order are the pure
 * planner's (core/plan-security-group.ts).
 *
 * - Observe: first DescribeSecurityGroups by the pool's group ids, because a rules filter on an id that does not exist
 *   matches nothing and would plan a pool with a mistyped group as merely empty (issue 10, defect 4); EC2 answers a
 *   missing id with `InvalidGroup.NotFound` (docs/aws-behaviour.md §18), which becomes a
 *   {@link SecurityGroupNotFoundError} naming every missing group, so the run fails static at pre-flight
 *   (docs/design.md P6). Then DescribeSecurityGroupRules filtered on the pool's group ids, every page; egress rules
 *   skipped; CIDRs canonicalised, since EC2 stores `100.68.0.18/18` as `100.68.0.0/18` and we compare by value
 *   (docs/aws-behaviour.md §14).
 *   Referenced prefix lists are looked up for their MaxEntries, which is what a reference costs in quota.
 * - Apply: one call per write step. Authorize carries the owner tag (TagSpecifications, `security-group-rule`,
 *   docs/aws-behaviour.md §15); revoke names rule ids (docs/aws-behaviour.md §16). Calls are all-or-nothing
 *   (docs/aws-behaviour.md §13): a Duplicate or NotFound means the pool changed under us, so the driver raises
 *   StateConflictError and the engine re-observes and re-plans. It never swallows one. Every other error propagates:
 *   the target fails and the next run converges.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeManagedPrefixListsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
  type IpPermission,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { OWNER_TAG_KEY } from '../config';
import { AllowlistSyncError } from '../core/errors';
import type { Desired, TargetPlan } from '../core/model';
import {
  type AuthorizeWrite,
  type ObservedRule,
  planSecurityGroups,
  type RevokeWrite,
  type SecurityGroupObserved,
  type SecurityGroupPlan,
  type SecurityGroupTarget,
  type SecurityGroupWrite,
  securityGroupTargetId,
} from '../core/plan-security-group';
import { type Family, parseCidr } from '../core/prefix';
import {
  type ApplyContext,
  ApplyDeadlineError,
  type ApplyResult,
  StateConflictError,
  type TargetDriver,
} from './types';

/**
 * EC2 error codes that mean the pool changed under us (docs/aws-behaviour.md §13, §18: SDK v3 EC2 errors are matched
 * by name).
 */
export const SECURITY_GROUP_CONFLICTS: ReadonlySet<string> = new Set([
  'InvalidPermission.Duplicate',
  'InvalidPermission.NotFound',
  'InvalidSecurityGroupRuleId.NotFound',
]);

/** Values per `group-id` filter: EC2 caps a filter's values at 200. */
const FILTER_VALUES_MAX = 200;

export { ApplyDeadlineError } from './types';

/** EC2's answer to a DescribeSecurityGroups naming a group id that does not exist (in this account and Region). */
const GROUP_NOT_FOUND = 'InvalidGroup.NotFound';

/** Groups of a pool do not exist: the run writes nothing anywhere (fail static, docs/design.md P6). */
export class SecurityGroupNotFoundError extends AllowlistSyncError {
  override name = 'SecurityGroupNotFoundError';
  constructor(
    readonly targetId: string,
    /** The pool's group ids that EC2 does not know, in config order. */
    readonly missing: readonly string[],
    options?: { cause?: unknown },
  ) {
    const groups = missing.length === 1 ? `security group ${missing[0]}` : `security groups ${missing.join(', ')}`;
    super(
      `${targetId}: ${groups} of the pool ${missing.length === 1 ? 'does' : 'do'} not exist in this account and ` +
        `Region (EC2 ${GROUP_NOT_FOUND}); nothing was written: correct the group id in the target's groupIds ` +
        '(securityGroups.existing.groupIds in a deployment config) or create the group, then run again',
      options,
    );
  }
}

/** Keeps a pool of security groups equal to an allowlist. */
export class SecurityGroupDriver implements TargetDriver<SecurityGroupObserved, SecurityGroupWrite> {
  readonly kind = 'security-groups' as const;
  readonly targetId: string;
  private readonly ec2: EC2Client;

  constructor(
    private readonly target: SecurityGroupTarget,
    private readonly allowlist: string,
    clients: { readonly ec2: EC2Client },
  ) {
    this.ec2 = clients.ec2;
    this.targetId = securityGroupTargetId(target);
  }

  /**
   * Checks every group of the pool exists, then reads every ingress rule of the pool (all pages) and the size of every
   * prefix list a rule references.
   */
  async observe(): Promise<SecurityGroupObserved> {
    const rules: ObservedRule[] = [];
    const groupIds = [...new Set(this.target.groupIds)];
    await this.requireGroups(groupIds);
    for (let i = 0; i < groupIds.length; i += FILTER_VALUES_MAX) {
      const values = groupIds.slice(i, i + FILTER_VALUES_MAX);
      let token: string | undefined;
      do {
        const page = await this.ec2.send(
          new DescribeSecurityGroupRulesCommand({
            Filters: [{ Name: 'group-id', Values: values }],
            MaxResults: 1000,
            ...(token === undefined ? {} : { NextToken: token }),
          }),
        );
        for (const rule of page.SecurityGroupRules ?? []) {
          if (rule.IsEgress) continue;
          rules.push(toObservedRule(rule));
        }
        token = page.NextToken || undefined;
      } while (token !== undefined);
    }
    const referenced = [...new Set(rules.flatMap((r) => (r.peer?.startsWith('pl-') ? [r.peer] : [])))].sort();
    if (referenced.length === 0) return { rules };
    return { rules, prefixLists: await this.prefixListSizes(referenced) };
  }

  /** Pure: delegates to the planner. */
  plan(desired: Desired, observed: SecurityGroupObserved): SecurityGroupPlan {
    return planSecurityGroups(this.target, desired, observed);
  }

  /** Performs the plan's calls in order; raises StateConflictError on Duplicate or NotFound. */
  async apply(plan: TargetPlan<SecurityGroupWrite>, context: ApplyContext): Promise<ApplyResult> {
    let writeCalls = 0;
    for (const write of plan.writes) {
      if (context.now() > context.deadline) throw new ApplyDeadlineError(this.targetId, writeCalls, plan.writes.length);
      writeCalls++;
      context.onWriteCall?.();
      try {
        if (write.action === 'authorize') await this.authorize(write);
        else await this.revoke(write);
      } catch (error) {
        const name = (error as { name?: unknown }).name;
        if (typeof name === 'string' && SECURITY_GROUP_CONFLICTS.has(name)) {
          throw new StateConflictError(this.targetId, name, { cause: error });
        }
        throw error;
      }
    }
    return { writeCalls };
  }

  private async authorize(write: AuthorizeWrite): Promise<void> {
    const permissions: IpPermission[] = write.permissions.map((p) => ({
      IpProtocol: p.protocol,
      FromPort: p.fromPort,
      ToPort: p.toPort,
      ...(p.ipv4.length === 0 ? {} : { IpRanges: p.ipv4.map((r) => ({ CidrIp: r.cidr, Description: r.description })) }),
      ...(p.ipv6.length === 0
        ? {}
        : { Ipv6Ranges: p.ipv6.map((r) => ({ CidrIpv6: r.cidr, Description: r.description })) }),
    }));
    await this.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: write.groupId,
        IpPermissions: permissions,
        TagSpecifications: [
          { ResourceType: 'security-group-rule', Tags: [{ Key: OWNER_TAG_KEY, Value: this.allowlist }] },
        ],
      }),
    );
  }

  private async revoke(write: RevokeWrite): Promise<void> {
    await this.ec2.send(
      new RevokeSecurityGroupIngressCommand({ GroupId: write.groupId, SecurityGroupRuleIds: [...write.ruleIds] }),
    );
  }

  /**
   * Throws {@link SecurityGroupNotFoundError} unless every group exists. One DescribeSecurityGroups per 200 ids; on
   * `InvalidGroup.NotFound` each id of that batch is asked alone, so the error names every missing group whatever
   * form EC2's message takes (it names one id). Only the failing path costs the extra calls.
   */
  private async requireGroups(groupIds: readonly string[]): Promise<void> {
    const missing: string[] = [];
    let cause: unknown;
    for (let i = 0; i < groupIds.length; i += FILTER_VALUES_MAX) {
      const batch = groupIds.slice(i, i + FILTER_VALUES_MAX);
      try {
        missing.push(...(await this.absentGroups(batch)));
      } catch (error) {
        if ((error as { name?: unknown }).name !== GROUP_NOT_FOUND) throw error;
        cause = error;
        for (const id of batch) {
          try {
            missing.push(...(await this.absentGroups([id])));
          } catch (one) {
            if ((one as { name?: unknown }).name !== GROUP_NOT_FOUND) throw one;
            missing.push(id);
          }
        }
      }
    }
    if (missing.length > 0) throw new SecurityGroupNotFoundError(this.targetId, missing, { cause });
  }

  /** The ids of `ids` that a DescribeSecurityGroups answer leaves out (AWS errors instead; an emulator may not). */
  private async absentGroups(ids: readonly string[]): Promise<string[]> {
    const answer = await this.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [...ids] }));
    const found = new Set((answer?.SecurityGroups ?? []).map((g) => g.GroupId));
    return ids.filter((id) => !found.has(id));
  }

  private async prefixListSizes(ids: readonly string[]) {
    const sizes = new Map<string, { family: Family; maxEntries: number }>();
    let token: string | undefined;
    do {
      const page = await this.ec2.send(
        new DescribeManagedPrefixListsCommand({
          PrefixListIds: [...ids],
          ...(token === undefined ? {} : { NextToken: token }),
        }),
      );
      for (const list of page.PrefixLists ?? []) {
        if (list.PrefixListId === undefined || list.MaxEntries === undefined) continue;
        sizes.set(list.PrefixListId, { family: list.AddressFamily === 'IPv6' ? 6 : 4, maxEntries: list.MaxEntries });
      }
      token = page.NextToken || undefined;
    } while (token !== undefined);
    return sizes;
  }
}

/** Maps an EC2 rule to the model: canonical CIDR, the owner tag's value, the referenced group or prefix list. */
function toObservedRule(rule: SecurityGroupRule): ObservedRule {
  const text = rule.CidrIpv4 ?? rule.CidrIpv6;
  const peer = rule.PrefixListId ?? rule.ReferencedGroupInfo?.GroupId;
  const owner = rule.Tags?.find((t) => t.Key === OWNER_TAG_KEY)?.Value;
  return {
    ruleId: rule.SecurityGroupRuleId ?? '',
    groupId: rule.GroupId ?? '',
    protocol: rule.IpProtocol ?? '-1',
    fromPort: rule.FromPort ?? -1,
    toPort: rule.ToPort ?? -1,
    ...(text === undefined ? {} : { cidr: parseCidr(text, { maskHostBits: true }) }),
    ...(peer === undefined ? {} : { peer }),
    ...(owner === undefined ? {} : { owner }),
    ...(rule.Description === undefined ? {} : { description: rule.Description }),
  };
}
