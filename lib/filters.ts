/**
 * The filters of one allowlist: a security-group pool, WAF IP set pools (with an optional allow rule group and web
 * ACL), managed prefix lists (optionally shared through AWS RAM).
 *
 * Every resource here is declared so that `cdk deploy` never rewrites what the sync wrote (docs/design.md P12):
 * - security groups declare NO ingress, and an explicit description that does not depend on the construct path
 *   (docs/aws-behaviour.md §2, §3);
 * - IP sets are declared with `addresses: []` and fixed names and descriptions, because any stack update of an
 *   `AWS::WAFv2::IPSet` re-sends the template's addresses (docs/aws-behaviour.md §1);
 * - prefix lists leave `entries` unset and keep fixed properties: their update handler reconciles the live entries to
 *   the template (docs/aws-behaviour.md §2).
 * The post-deploy run refills anything a replacement left empty.
 */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ram from 'aws-cdk-lib/aws-ram';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { FamilyName } from '../lambda/core/families';
import type { DeployAllowlist, ForwardedIpConfig } from './deployment-config';
import type { ProvisionedAllowlist } from './runtime-config';

/** What the pools of one allowlist are, for the RuntimeConfig, IAM, outputs and alarms. */
export interface AllowlistFilters {
  readonly provisioned: ProvisionedAllowlist;
  readonly securityGroupArns: string[];
  readonly ipSetArns: string[];
  readonly prefixListArns: string[];
  readonly ruleGroup?: wafv2.CfnRuleGroup;
  readonly webAcl?: wafv2.CfnWebACL;
  /** Every resource the post-deploy run must wait for. */
  readonly resources: Construct[];
}

/** The egress rule CDK itself uses to mean "no outbound": EC2 adds allow-all egress when none is declared. */
const NO_EGRESS: ec2.CfnSecurityGroup.EgressProperty = {
  cidrIp: '255.255.255.255/32',
  ipProtocol: 'icmp',
  fromPort: 252,
  toPort: 86,
  description: 'Disallow all traffic',
};

/** Creates (or imports) the filters of one allowlist under `scope`. `namePrefix` makes IP set names unique. */
export class AllowlistFilterSet extends Construct {
  /** The filters and their ids. */
  readonly filters: AllowlistFilters;

  constructor(scope: Construct, id: string, definition: DeployAllowlist, namePrefix: string) {
    super(scope, id);
    const stack = Stack.of(this);
    const resources: Construct[] = [];
    const securityGroupArns: string[] = [];
    const ipSetArns: string[] = [];
    const prefixListArns: string[] = [];
    let provisioned: ProvisionedAllowlist = { definition };
    let ruleGroup: wafv2.CfnRuleGroup | undefined;
    let webAcl: wafv2.CfnWebACL | undefined;

    const sg = definition.securityGroups;
    if (sg?.create) {
      const { vpcId, count, ports, allowAllOutbound, rulesPerGroup } = sg.create;
      const description = sg.create.description ?? `allowlist-sync ${definition.name}`;
      const groupIds: string[] = [];
      for (let i = 1; i <= count; i++) {
        // CfnSecurityGroup, not the L2: no VPC lookup (docs/aws-behaviour.md §6), and nothing can add ingress to it.
        const group = new ec2.CfnSecurityGroup(this, `SecurityGroup${i}`, {
          vpcId,
          groupDescription: `${description} (pool group ${i}); inbound rules are written by allowlist-sync`,
          securityGroupEgress: allowAllOutbound
            ? [
                { cidrIp: '0.0.0.0/0', ipProtocol: '-1', description: 'Allow all outbound IPv4' },
                { cidrIpv6: '::/0', ipProtocol: '-1', description: 'Allow all outbound IPv6' },
              ]
            : [NO_EGRESS],
        });
        resources.push(group);
        groupIds.push(group.attrGroupId);
        securityGroupArns.push(
          stack.formatArn({ service: 'ec2', resource: 'security-group', resourceName: group.attrGroupId }),
        );
      }
      provisioned = {
        ...provisioned,
        securityGroups: { groupIds, ports, ...(rulesPerGroup ? { rulesPerGroup } : {}), ...familiesOf(sg) },
      };
    } else if (sg?.existing) {
      const { groupIds, ports, rulesPerGroup } = sg.existing;
      for (const groupId of groupIds) {
        securityGroupArns.push(stack.formatArn({ service: 'ec2', resource: 'security-group', resourceName: groupId }));
      }
      provisioned = {
        ...provisioned,
        securityGroups: { groupIds, ports, ...(rulesPerGroup ? { rulesPerGroup } : {}), ...familiesOf(sg) },
      };
    }

    const waf = definition.wafIpSets;
    if (waf) {
      const sets = { ipv4: [] as wafv2.CfnIPSet[], ipv6: [] as wafv2.CfnIPSet[] };
      for (const family of ['ipv4', 'ipv6'] as const) {
        const count = waf.setsPerFamily[family];
        for (let i = 1; i <= count; i++) {
          const setName = ipSetName(namePrefix, definition.name, family, i);
          const ipSet = new wafv2.CfnIPSet(this, `IpSet${family === 'ipv4' ? 'V4' : 'V6'}${i}`, {
            name: setName,
            scope: waf.scope,
            ipAddressVersion: family === 'ipv4' ? 'IPV4' : 'IPV6',
            // Empty forever: the sync owns the addresses (docs/aws-behaviour.md §1).
            addresses: [],
            description: `Managed by allowlist-sync, allowlist ${definition.name}, ${family} set ${i} of ${count}. Addresses are written by the sync function, not by CloudFormation.`,
          });
          sets[family].push(ipSet);
          resources.push(ipSet);
          ipSetArns.push(ipSet.attrArn);
        }
      }
      provisioned = {
        ...provisioned,
        wafIpSets: {
          scope: waf.scope,
          ipv4: sets.ipv4.map((s) => ({ name: s.name!, id: s.attrId })),
          ipv6: sets.ipv6.map((s) => ({ name: s.name!, id: s.attrId })),
          ...familiesOf(waf),
        },
      };
      if (waf.ruleGroup) {
        const all = [...sets.ipv4, ...sets.ipv6];
        ruleGroup = allowRuleGroup(this, definition.name, waf.scope, all, waf.ruleGroup.forwardedIp);
        resources.push(ruleGroup);
        if (waf.webAcl) {
          webAcl = blockingWebAcl(this, definition.name, waf.scope, ruleGroup);
          resources.push(webAcl);
        }
      }
    }

    const pl = definition.prefixLists;
    if (pl) {
      const ids: { ipv4?: string; ipv6?: string } = {};
      for (const family of ['ipv4', 'ipv6'] as const) {
        const spec = pl[family];
        if (!spec) continue;
        const list = new ec2.CfnPrefixList(this, `PrefixList${family === 'ipv4' ? 'V4' : 'V6'}`, {
          prefixListName: `${namePrefix}-${definition.name}-${family}`,
          addressFamily: family === 'ipv4' ? 'IPv4' : 'IPv6',
          maxEntries: spec.maxEntries,
          // `entries` left unset: the sync owns them (docs/aws-behaviour.md §2).
        });
        resources.push(list);
        ids[family] = list.attrPrefixListId;
        prefixListArns.push(list.attrArn);
        if (spec.share) {
          resources.push(
            new ram.CfnResourceShare(this, `Share${family === 'ipv4' ? 'V4' : 'V6'}`, {
              name: `${namePrefix}-${definition.name}-${family}`,
              resourceArns: [list.attrArn],
              principals: [
                ...(spec.share.accounts ?? []),
                ...(spec.share.organizationArn ? [spec.share.organizationArn] : []),
              ],
              allowExternalPrincipals: spec.share.allowExternalPrincipals,
            }),
          );
        }
      }
      provisioned = {
        ...provisioned,
        prefixLists: { ...ids, ...(pl.growUpTo !== undefined ? { growUpTo: pl.growUpTo } : {}), ...familiesOf(pl) },
      };
    }

    this.filters = {
      provisioned,
      securityGroupArns,
      ipSetArns,
      prefixListArns,
      ...(ruleGroup ? { ruleGroup } : {}),
      ...(webAcl ? { webAcl } : {}),
      resources,
    };
  }
}

/** The fixed name of one IP set. WAF names are 1–128 of `[A-Za-z0-9_-]`, unique per account, Region and scope. */
export function ipSetName(prefix: string, allowlist: string, family: 'ipv4' | 'ipv6', index: number): string {
  const setName = `${prefix}-${allowlist}-${family}-${index}`.replace(/[^A-Za-z0-9_-]/g, '-');
  if (setName.length > 128) {
    throw new Error(
      `IP set name "${setName}" is ${setName.length} characters; WAF allows 128: use a shorter environment or allowlist name`,
    );
  }
  return setName;
}

/**
 * A rule group with one rule that ALLOWS a request whose address is in any set of the pool. With a forwarded-IP config,
 * a request without the header does not match the rule at all (docs/aws-behaviour.md §26): with the web ACL's default
 * Block, that fails closed. Position FIRST trusts the left-most address, which the client itself controls.
 */
function allowRuleGroup(
  scope: Construct,
  allowlist: string,
  wafScope: string,
  sets: wafv2.CfnIPSet[],
  forwardedIp: ForwardedIpConfig | undefined,
): wafv2.CfnRuleGroup {
  const references = sets.map((s) => ({
    ipSetReferenceStatement: {
      arn: s.attrArn,
      ...(forwardedIp ? { ipSetForwardedIpConfig: forwardedIp } : {}),
    },
  }));
  const statement = references.length === 1 ? references[0]! : { orStatement: { statements: references } };
  // 1 WCU per IP set reference, plus 4 when a forwarded address is matched at ANY position (WAF developer guide).
  const capacity = sets.length * (forwardedIp?.position === 'ANY' ? 5 : 1);
  const metric = metricName(allowlist);
  // No name: the capacity is replace-on-change, and a fixed name would make that replacement fail.
  return new wafv2.CfnRuleGroup(scope, 'RuleGroup', {
    scope: wafScope,
    capacity,
    description: `Allows requests from allowlist ${allowlist}, kept by allowlist-sync.`,
    visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: `${metric}-group`, sampledRequestsEnabled: true },
    rules: [
      {
        name: 'allow-allowlisted',
        priority: 0,
        action: { allow: {} },
        statement,
        visibilityConfig: {
          cloudWatchMetricsEnabled: true,
          metricName: `${metric}-allow`,
          sampledRequestsEnabled: true,
        },
      },
    ],
  });
}

/** A web ACL that runs the rule group and blocks everything else. */
function blockingWebAcl(
  scope: Construct,
  allowlist: string,
  wafScope: string,
  ruleGroup: wafv2.CfnRuleGroup,
): wafv2.CfnWebACL {
  const metric = metricName(allowlist);
  return new wafv2.CfnWebACL(scope, 'WebAcl', {
    scope: wafScope,
    defaultAction: { block: {} },
    description: `Allows only allowlist ${allowlist}, blocks every other request.`,
    visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: `${metric}-acl`, sampledRequestsEnabled: true },
    rules: [
      {
        name: 'allowlist',
        priority: 0,
        overrideAction: { none: {} },
        statement: { ruleGroupReferenceStatement: { arn: ruleGroup.attrArn } },
        visibilityConfig: {
          cloudWatchMetricsEnabled: true,
          metricName: `${metric}-rule`,
          sampledRequestsEnabled: true,
        },
      },
    ],
  });
}

function metricName(allowlist: string): string {
  return `allowlist-sync-${allowlist}`.replace(/[^A-Za-z0-9_-]/g, '-');
}

/** A filter's `families`, passed on to its RuntimeConfig target only when set (unset: both, docs/design.md P14). */
function familiesOf(filter: { readonly families?: FamilyName[] | undefined }): { families?: FamilyName[] } {
  return filter.families ? { families: filter.families } : {};
}
