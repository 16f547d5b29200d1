/**
 * `CredentialBinding`: the rule groups (and the optional web ACL) that bind partners' credentials to their allowlists'
 * IP sets, one set of them per WAF scope. The rules, their capacity and every WAF limit come from
 * lib/credential-rules.ts, checked here at synth; docs/credential-binding.md is the guide.
 */
import { CfnOutput } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ConfigError } from '../lambda/core/errors';
import type { CredentialBindingConfig, CredentialConfig } from './credential-config';
import { checkWebAcl, credentialRules, type PackedGroup, packRuleGroups } from './credential-rules';
import type { AllowlistFilters } from './filters';

/** One scope's binding: its rule groups and web ACL, with the capacity figures synth computed. */
export interface ScopeBinding {
  readonly scope: string;
  readonly groups: { readonly ruleGroup: wafv2.CfnRuleGroup; readonly packed: PackedGroup }[];
  readonly webAcl?: wafv2.CfnWebACL;
  /** WCU of the web ACL, when the stack makes one. */
  readonly webAclCapacity?: number;
}

/** Props of {@link CredentialBinding}: the stack-wide options and every allowlist's filters. */
export interface CredentialBindingProps extends CredentialBindingConfig {
  /** The filters of every allowlist; those whose `wafIpSets` declare a `credential` are bound. */
  readonly filters: readonly AllowlistFilters[];
}

/** Creates the binding rule groups of every scope that has a bound allowlist. */
export class CredentialBinding extends Construct {
  /** Per scope, what was created. */
  readonly scopes: ScopeBinding[] = [];

  constructor(scope: Construct, id: string, props: CredentialBindingProps) {
    super(scope, id);
    const { filters, ...options } = props;
    const scopes = new Map<string, { name: string; credential: CredentialConfig; ipSetArns: string[] }[]>();
    const allowGroups = new Map<string, wafv2.CfnRuleGroup[]>();
    for (const f of filters) {
      const waf = f.provisioned.definition.wafIpSets;
      if (!waf) continue;
      if (f.ruleGroup) allowGroups.set(waf.scope, [...(allowGroups.get(waf.scope) ?? []), f.ruleGroup]);
      if (!waf.credential) continue;
      const bound = { name: f.provisioned.definition.name, credential: waf.credential, ipSetArns: f.ipSetArns };
      scopes.set(waf.scope, [...(scopes.get(waf.scope) ?? []), bound]);
    }
    for (const [wafScope, bound] of scopes) {
      const suffix = wafScope === 'CLOUDFRONT' ? 'CloudFront' : 'Regional';
      let packed: PackedGroup[];
      let webAclCapacity: number | undefined;
      const others = options.webAcl === 'network-allowlist' ? (allowGroups.get(wafScope) ?? []) : [];
      try {
        packed = packRuleGroups(credentialRules(bound), options.ruleGroupCapacity);
        if (options.webAcl)
          webAclCapacity = checkWebAcl(
            packed,
            others.map((g) => g.capacity as number),
          ).capacity;
      } catch (error) {
        throw new ConfigError('credential binding', [
          `credentialBinding (scope ${wafScope}): ${(error as Error).message}`,
        ]);
      }
      const groups = packed.map((p, i) => {
        // No name: the capacity is replace-on-change, and a fixed name would make that replacement fail.
        const ruleGroup = new wafv2.CfnRuleGroup(this, `${suffix}Group${i + 1}`, {
          scope: wafScope,
          capacity: p.capacity,
          // WAF descriptions allow letters, digits, spaces and =:#@/-,.+ only: "_" in a name becomes "-".
          description:
            `Blocks a bound credential from outside its allowlist: ${p.allowlists.join(', ')}. allowlist-sync.`
              .replace(/[^A-Za-z0-9=:#@/,.+ -]/g, '-')
              .slice(0, 256),
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            metricName: `allowlist-sync-credential-binding-${suffix.toLowerCase()}-${i + 1}`,
            sampledRequestsEnabled: true,
          },
          rules: p.rules,
        });
        new CfnOutput(this, `${suffix}Group${i + 1}Arn`, {
          value: ruleGroup.attrArn,
          description: `Credential binding rule group ${i + 1} (${p.capacity} WCU): reference it from your web ACL before its allow rules`,
        });
        return { ruleGroup, packed: p };
      });
      let webAcl: wafv2.CfnWebACL | undefined;
      if (options.webAcl) {
        webAcl = bindingWebAcl(this, `${suffix}WebAcl`, wafScope, options.webAcl, groups, others);
        new CfnOutput(this, `${suffix}WebAclArn`, {
          value: webAcl.attrArn,
          description: `Credential binding web ACL (${webAclCapacity} WCU)`,
        });
      }
      this.scopes.push({
        scope: wafScope,
        groups,
        ...(webAcl ? { webAcl } : {}),
        ...(webAclCapacity !== undefined ? { webAclCapacity } : {}),
      });
    }
  }
}

/**
 * The binding groups first (a Block there ends evaluation before any Allow), then, for "network-allowlist", each
 * allowlist's allow rule group with default Block; for "allow-others", default Allow.
 */
function bindingWebAcl(
  scope: Construct,
  id: string,
  wafScope: string,
  mode: 'allow-others' | 'network-allowlist',
  groups: { ruleGroup: wafv2.CfnRuleGroup }[],
  others: wafv2.CfnRuleGroup[],
): wafv2.CfnWebACL {
  const reference = (group: wafv2.CfnRuleGroup, priority: number, name: string): wafv2.CfnWebACL.RuleProperty => ({
    name,
    priority,
    overrideAction: { none: {} },
    statement: { ruleGroupReferenceStatement: { arn: group.attrArn } },
    visibilityConfig: {
      cloudWatchMetricsEnabled: true,
      metricName: `allowlist-sync-${name}`,
      sampledRequestsEnabled: true,
    },
  });
  const rules = [
    ...groups.map((g, i) => reference(g.ruleGroup, i, `credential-binding-${i + 1}`)),
    ...others.map((g, i) => reference(g, groups.length + i, `network-allowlist-${i + 1}`)),
  ];
  return new wafv2.CfnWebACL(scope, id, {
    scope: wafScope,
    defaultAction: mode === 'allow-others' ? { allow: {} } : { block: {} },
    description:
      mode === 'allow-others'
        ? 'Blocks a bound credential from outside its allowlist, allows every other request. allowlist-sync.'
        : 'Blocks a bound credential from outside its allowlist, then allows only the network allowlists. allowlist-sync.',
    visibilityConfig: {
      cloudWatchMetricsEnabled: true,
      metricName: `allowlist-sync-credential-acl-${wafScope.toLowerCase()}`,
      sampledRequestsEnabled: true,
    },
    rules,
  });
}
