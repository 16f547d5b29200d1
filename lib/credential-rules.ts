/**
 * The WAF rules of credential binding, their capacity (WCU) and their packing into rule groups: pure, so synth can
 * check every limit before CloudFormation sees a template. Per bound allowlist:
 *
 * - `credential-<name>` blocks a request whose header matches the credential and whose client address is in none of
 *   the allowlist's IP sets (both families), with the label `allowlist-sync:credential:<name>:address-not-listed`;
 * - with a forwarded-IP client address, also `credential-<name>-no-forwarded-ip`, which blocks the credential when the
 *   forwarded header is missing or empty. WAF does not apply a rule at all when the header of an
 *   IPSetForwardedIPConfig is missing (docs/aws-behaviour.md §26), so the first rule alone would fail open; a
 *   malformed header takes the fallback NO_MATCH, "not listed", and the first rule blocks it.
 *
 * Nested credentials on one header (`acme` and `acme2`) are judged by the longest match only, as routes are: the
 * broader rule excludes every narrower credential that can match the same value, so neither partner's key is ever
 * judged by the other's list.
 *
 * WCU costs (WAF developer guide, rule statement pages): a string match EXACTLY or STARTS_WITH on a single header
 * costs 2, plus 10 per text transformation other than NONE; an IP set reference 1, plus 4 when a forwarded address is
 * read at position ANY (refused for binding); a size constraint 1; AND, OR and NOT cost what their statements cost.
 * Fixed quotas (WAF developer guide, quotas): 5,000 WCU per rule group and per web ACL (above 1,500 a web ACL costs
 * more per request), 50 reference statements (IP sets, rule groups) per rule group and per web ACL.
 */
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { type CredentialConfig, normalisedValue } from './credential-config';

/** WAF's fixed capacity quota of one rule group and of one web ACL (WCU). */
export const MAX_CAPACITY = 5000;
/** Above this a web ACL is charged more per request (WAF pricing). */
export const INCLUDED_WEB_ACL_CAPACITY = 1500;
/** WAF's fixed quota of reference statements (IP sets, regex sets, rule groups) in one rule group or web ACL. */
export const MAX_REFERENCES = 50;

/** A bound allowlist as the rules need it: its credential and its IP set ARNs (tokens at synth). */
export interface BoundAllowlist {
  readonly name: string;
  readonly credential: CredentialConfig;
  readonly ipSetArns: readonly string[];
}

/** One rule with what it costs. */
export interface PricedRule {
  readonly allowlist: string;
  readonly rule: wafv2.CfnRuleGroup.RuleProperty;
  /** WCU. */
  readonly capacity: number;
  /** IP set reference statements in it. */
  readonly references: number;
}

/** The label a refused request gets, naming the allowlist whose credential it carried. */
export function refusalLabel(allowlist: string, reason: 'address-not-listed' | 'no-forwarded-ip'): string {
  return `allowlist-sync:credential:${allowlist}:${reason}`;
}

/** The CloudWatch metric name of a binding rule (WAF puts it in the `Rule` dimension). */
export function ruleMetricName(allowlist: string, reason: 'address-not-listed' | 'no-forwarded-ip'): string {
  return `allowlist-sync-credential-${allowlist}${reason === 'no-forwarded-ip' ? '-no-forwarded-ip' : ''}`;
}

type Statement = wafv2.CfnRuleGroup.StatementProperty;

function credentialMatch(c: CredentialConfig): { statement: Statement; capacity: number } {
  // NONE is required when nothing else is applied: WAF needs at least one text transformation.
  const textTransformations = [{ priority: 0, type: c.caseInsensitive ? 'LOWERCASE' : 'NONE' }];
  return {
    statement: {
      byteMatchStatement: {
        // WAF matches the header name case-insensitively; lower case keeps one spelling in the template.
        fieldToMatch: { singleHeader: { Name: c.header.toLowerCase() } },
        positionalConstraint: c.startsWith !== undefined ? 'STARTS_WITH' : 'EXACTLY',
        searchString: c.startsWith ?? c.exactly!,
        textTransformations,
      },
    },
    capacity: 2 + (c.caseInsensitive ? 10 : 0),
  };
}

/** Whether every value `narrower` matches could also match `broader` (same header, prefix-related values). */
function nestsIn(narrower: CredentialConfig, broader: CredentialConfig): boolean {
  if (narrower.header.toLowerCase() !== broader.header.toLowerCase()) return false;
  const [n, b] = [normalisedValue(narrower), normalisedValue(broader)];
  // Equal values are refused at synth (credentialIssues); only a strictly longer value is narrower.
  return broader.startsWith !== undefined && n.length > b.length && n.startsWith(b);
}

/** The rules of every bound allowlist, in the given order. */
export function credentialRules(bound: readonly BoundAllowlist[]): PricedRule[] {
  const rules: PricedRule[] = [];
  for (const a of bound) {
    const own = credentialMatch(a.credential);
    const narrower = bound
      .filter((o) => o !== a && nestsIn(o.credential, a.credential))
      .map((o) => credentialMatch(o.credential));
    const exclusions = narrower.map((n) => ({ notStatement: { statement: n.statement } }));
    const exclusionCapacity = narrower.reduce((sum, n) => sum + n.capacity, 0);
    const address = a.credential.clientAddress;
    const forwarded = address === 'connection' ? undefined : address.forwardedIp;
    const references: Statement[] = a.ipSetArns.map((arn) => ({
      ipSetReferenceStatement: {
        arn,
        ...(forwarded
          ? {
              ipSetForwardedIpConfig: {
                headerName: forwarded.headerName,
                fallbackBehavior: forwarded.fallbackBehavior,
                position: forwarded.position,
              },
            }
          : {}),
      },
    }));
    const listed = references.length === 1 ? references[0]! : { orStatement: { statements: references } };
    // 1 WCU each: binding reads a forwarded address only at LAST (ANY would cost 4 more; it is refused).
    const referenceCapacity = references.length;
    rules.push({
      allowlist: a.name,
      rule: blockRule(a.name, 'address-not-listed', [
        own.statement,
        ...exclusions,
        { notStatement: { statement: listed } },
      ]),
      capacity: own.capacity + exclusionCapacity + referenceCapacity,
      references: references.length,
    });
    if (forwarded) {
      const headerPresent: Statement = {
        sizeConstraintStatement: {
          fieldToMatch: { singleHeader: { Name: forwarded.headerName.toLowerCase() } },
          comparisonOperator: 'GT',
          size: 0,
          textTransformations: [{ priority: 0, type: 'NONE' }],
        },
      };
      rules.push({
        allowlist: a.name,
        rule: blockRule(a.name, 'no-forwarded-ip', [
          own.statement,
          ...exclusions,
          { notStatement: { statement: headerPresent } },
        ]),
        capacity: own.capacity + exclusionCapacity + 1,
        references: 0,
      });
    }
  }
  return rules;
}

function blockRule(
  allowlist: string,
  reason: 'address-not-listed' | 'no-forwarded-ip',
  statements: Statement[],
): wafv2.CfnRuleGroup.RuleProperty {
  return {
    name: `credential-${allowlist}${reason === 'no-forwarded-ip' ? '-no-forwarded-ip' : ''}`,
    // Priorities are given when the rules are packed into groups.
    priority: 0,
    action: { block: {} },
    ruleLabels: [{ name: refusalLabel(allowlist, reason) }],
    statement: { andStatement: { statements } },
    visibilityConfig: {
      cloudWatchMetricsEnabled: true,
      metricName: ruleMetricName(allowlist, reason),
      sampledRequestsEnabled: true,
    },
  };
}

/** One rule group's worth of rules, with the capacity it is created with. */
export interface PackedGroup {
  readonly rules: wafv2.CfnRuleGroup.RuleProperty[];
  /** The WCU the rules use. */
  readonly used: number;
  /** The capacity the group is declared with (`used`, or the configured reservation). */
  readonly capacity: number;
  readonly references: number;
  readonly allowlists: string[];
}

/**
 * Packs the rules into as few rule groups as WAF's quotas allow, keeping an allowlist's rules together and in order,
 * and gives each rule its priority. Throws one message per limit that cannot be met, with the numbers.
 */
export function packRuleGroups(rules: readonly PricedRule[], reservedCapacity?: number): PackedGroup[] {
  const limit = reservedCapacity ?? MAX_CAPACITY;
  const byAllowlist = new Map<string, PricedRule[]>();
  for (const r of rules) byAllowlist.set(r.allowlist, [...(byAllowlist.get(r.allowlist) ?? []), r]);
  const groups: { rules: PricedRule[]; used: number; references: number }[] = [];
  for (const [allowlist, own] of byAllowlist) {
    const used = own.reduce((s, r) => s + r.capacity, 0);
    const references = own.reduce((s, r) => s + r.references, 0);
    if (used > limit) {
      throw new Error(
        `the binding rules of allowlist "${allowlist}" need ${used} WCU, more than ${reservedCapacity !== undefined ? `the configured ruleGroupCapacity of ${reservedCapacity}` : `WAF's ${MAX_CAPACITY} per rule group`}: ${reservedCapacity !== undefined ? 'raise ruleGroupCapacity' : 'drop caseInsensitive or use fewer IP sets'}`,
      );
    }
    const last = groups[groups.length - 1];
    if (last && last.used + used <= limit && last.references + references <= MAX_REFERENCES) {
      last.rules.push(...own);
      last.used += used;
      last.references += references;
    } else {
      groups.push({ rules: [...own], used, references });
    }
  }
  return groups.map((g) => ({
    rules: g.rules.map((r, priority) => ({ ...r.rule, priority })),
    used: g.used,
    capacity: reservedCapacity ?? g.used,
    references: g.references,
    allowlists: [...new Set(g.rules.map((r) => r.allowlist))],
  }));
}

/** The capacity and references of a web ACL that runs `groups` and then `others` (WCU of other rule groups). */
export function checkWebAcl(groups: readonly PackedGroup[], others: readonly number[]): { capacity: number } {
  const capacity = groups.reduce((s, g) => s + g.capacity, 0) + others.reduce((s, c) => s + c, 0);
  const references = groups.length + others.length;
  const problems: string[] = [];
  if (capacity > MAX_CAPACITY) {
    problems.push(
      `the web ACL would need ${capacity} WCU (binding groups ${groups.map((g) => g.capacity).join(' + ')}${others.length > 0 ? `, allow groups ${others.join(' + ')}` : ''}), more than WAF's ${MAX_CAPACITY}: bind fewer partners per stack, lower ruleGroupCapacity, or reference the rule groups from web ACLs of your own`,
    );
  }
  if (references > MAX_REFERENCES) {
    problems.push(
      `the web ACL would hold ${references} rule group references, more than WAF's ${MAX_REFERENCES}: reference the rule groups from web ACLs of your own`,
    );
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return { capacity };
}
