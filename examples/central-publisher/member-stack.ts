import { Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { ConfigError } from '../../lambda/core/errors';

/** A prefix list the network account shares: its id (the publisher's output) and its MaxEntries. */
export interface SharedPrefixList {
  readonly id: string;
  readonly maxEntries: number;
}

/** One member account's use of the shared lists: a security group in its VPC that admits them on some ports. */
export interface MemberSettings {
  readonly name: string;
  readonly account: string;
  /** The Region of the publisher's lists: a prefix list is used only in its own Region. */
  readonly region: string;
  readonly vpcId: string;
  readonly ports: readonly { readonly protocol: 'tcp' | 'udp'; readonly from: number; readonly to: number }[];
  readonly prefixLists: { readonly ipv4?: SharedPrefixList; readonly ipv6?: SharedPrefixList };
  /** The account's inbound rules per security group and family (docs/aws-behaviour.md §12). @default 60 */
  readonly rulesPerGroup?: number;
}

/**
 * A member account's stack: one security group whose inbound rules reference the shared prefix lists, one rule per
 * list and port range. The member writes no entries: the network account's sync keeps the lists, and every group
 * that references them follows at once.
 */
export class MemberStack extends Stack {
  /** The group to attach to the member's load balancers or instances. */
  readonly group: ec2.CfnSecurityGroup;

  constructor(scope: Construct, id: string, member: MemberSettings, props: StackProps = {}) {
    super(scope, id, { ...props, env: { account: member.account, region: member.region } });
    checkRuleBudget(member);
    this.group = new ec2.CfnSecurityGroup(this, 'Allowlisted', {
      vpcId: member.vpcId,
      groupDescription: `${member.name}: admits the organisation allowlist (shared prefix lists)`,
    });
    for (const family of ['ipv4', 'ipv6'] as const) {
      const list = member.prefixLists[family];
      if (list === undefined) continue;
      member.ports.forEach((port, i) => {
        new ec2.CfnSecurityGroupIngress(this, `${family}Port${i + 1}`, {
          groupId: this.group.attrGroupId,
          ipProtocol: port.protocol,
          fromPort: port.from,
          toPort: port.to,
          sourcePrefixListId: list.id,
          description: `allowlist ${family} (${list.id})`,
        });
      });
    }
  }
}

/**
 * Each rule that references a list costs its MaxEntries rules, whatever the list holds (docs/aws-behaviour.md §27),
 * out of the group's quota for the list's family (§12): refuse at synth what EC2 would refuse at deploy.
 */
function checkRuleBudget(member: MemberSettings): void {
  const quota = member.rulesPerGroup ?? 60;
  const issues: string[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    const list = member.prefixLists[family];
    if (list === undefined) continue;
    const cost = list.maxEntries * member.ports.length;
    if (cost > quota) {
      issues.push(
        `prefixLists.${family}: ${member.ports.length} port range(s) × MaxEntries ${list.maxEntries} = ${cost} rules, over the ${quota} the group may hold: lower the list's maxEntries in the network account, use fewer port ranges, or raise the quota and set rulesPerGroup`,
      );
    }
  }
  if (member.prefixLists.ipv4 === undefined && member.prefixLists.ipv6 === undefined) {
    issues.push('prefixLists: give the shared list of at least one family ("ipv4" or "ipv6")');
  }
  if (issues.length > 0) throw new ConfigError(`member "${member.name}"`, issues);
}
