/**
 * A small evaluator of AWS WAF web ACLs and rule groups in a synthesized CloudFormation template, for exactly the
 * statements the stack emits: IPSetReferenceStatement (with and without IPSetForwardedIPConfig), ByteMatchStatement
 * and SizeConstraintStatement on a SingleHeader with their text transformations, And/Or/Not, RuleGroupReference;
 * actions Allow, Block, Count; rule labels; priority order; default action. Anything else throws, so a statement the
 * evaluator does not model can never pass a test by accident.
 *
 * The semantics, each from the WAF documentation:
 * - rules run in ascending Priority; the first Allow or Block ends evaluation; Count adds labels and goes on; a rule
 *   that matches adds its RuleLabels; with no terminating rule the default action applies (developer guide, "How
 *   AWS WAF processes a web ACL");
 * - a rule group referenced with OverrideAction None: its rules run in its own order, a Block or Allow in it ends
 *   the web ACL's evaluation, otherwise the web ACL goes on with its next rule;
 * - a SingleHeader's name is matched case-insensitively; a missing request component does not match (developer guide,
 *   "Request components": unless otherwise noted, a request without the component does not match);
 * - text transformations run in ascending Priority: NONE leaves the value, LOWERCASE maps A–Z to a–z,
 *   COMPRESS_WHITE_SPACE maps \f \t \n \r \v and non-breaking space (160) to a space and then runs of spaces to one;
 * - IPSetForwardedIPConfig: when the header is missing, WAF does not apply the rule at all; when the address at the
 *   position is not a valid IP address, the statement takes FallbackBehavior; FIRST and LAST read the first and last
 *   comma-separated entry, ANY any of the last 10 (IP set match statement, forwarded IP address pages);
 * - an address of one family never matches an IP set of the other.
 * Requests with a header name twice are refused: which value WAF inspects then is not documented.
 */
import { parseAddress, parseCidr, rangeOf } from '../fakes/cidr';

/** A web request as the evaluator sees it. */
export interface WafRequest {
  /** The connection's source address. */
  readonly source: string;
  /** Header name and value pairs, in order. */
  readonly headers: readonly (readonly [string, string])[];
}

/** What WAF does with a request. */
export interface WafVerdict {
  readonly action: 'ALLOW' | 'BLOCK';
  /** The rule that ended evaluation, as `<resource logical id>/<rule name>`; undefined for the default action. */
  readonly terminatingRule?: string;
  /** The labels added by matching rules, in order. */
  readonly labels: readonly string[];
}

type Json = Record<string, unknown>;

/** The contents of the IP sets, by logical id (the template declares them empty: the sync writes them). */
export type IpSetContents = Readonly<Record<string, readonly string[]>>;

/** Thrown inside a rule whose forwarded-IP header is missing: WAF does not apply that rule at all. */
class RuleNotApplied extends Error {}

/** Evaluates web ACLs and rule groups of one template. */
export class WafEvaluator {
  constructor(
    private readonly template: { Resources: Record<string, { Type: string; Properties: Json }> },
    private readonly ipSets: IpSetContents,
  ) {}

  /** The verdict of the web ACL with logical id `webAcl`. */
  evaluateWebAcl(webAcl: string, request: WafRequest): WafVerdict {
    const acl = this.resource(webAcl, 'AWS::WAFv2::WebACL');
    const labels: string[] = [];
    const ended = this.runRules(webAcl, acl.Rules as Json[], request, labels);
    if (ended) return ended;
    return { action: defaultAction(acl.DefaultAction as Json), labels };
  }

  /** The verdict of rule group `group` placed alone in a web ACL with the given default action. */
  evaluateRuleGroup(group: string, request: WafRequest, defaultActionIs: 'ALLOW' | 'BLOCK'): WafVerdict {
    const labels: string[] = [];
    const ended = this.runRules(group, this.resource(group, 'AWS::WAFv2::RuleGroup').Rules as Json[], request, labels);
    return ended ?? { action: defaultActionIs, labels };
  }

  private resource(logicalId: string, type: string): Json {
    const r = this.template.Resources[logicalId];
    if (!r || r.Type !== type) throw new Error(`no ${type} with logical id ${logicalId}`);
    return r.Properties;
  }

  private runRules(owner: string, rules: Json[], request: WafRequest, labels: string[]): WafVerdict | undefined {
    const priorities = rules.map((r) => r.Priority as number);
    const names = rules.map((r) => r.Name as string);
    if (new Set(priorities).size !== rules.length) throw new Error(`${owner}: rule priorities must be unique`);
    if (new Set(names).size !== rules.length) throw new Error(`${owner}: rule names must be unique`);
    for (const rule of [...rules].sort((a, b) => (a.Priority as number) - (b.Priority as number))) {
      const statement = rule.Statement as Json;
      if (statement.RuleGroupReferenceStatement) {
        if (!rule.OverrideAction || !('None' in (rule.OverrideAction as Json))) {
          throw new Error(`${owner}/${rule.Name}: only OverrideAction None is modelled`);
        }
        const group = logicalIdOf((statement.RuleGroupReferenceStatement as Json).Arn);
        const props = this.resource(group, 'AWS::WAFv2::RuleGroup');
        const ended = this.runRules(group, props.Rules as Json[], request, labels);
        if (ended) return ended;
        continue;
      }
      let matched: boolean;
      try {
        matched = this.matches(statement, request);
      } catch (error) {
        if (error instanceof RuleNotApplied) continue;
        throw error;
      }
      if (!matched) continue;
      for (const label of (rule.RuleLabels as { Name: string }[] | undefined) ?? []) labels.push(label.Name);
      const action = rule.Action as Json;
      if ('Count' in action) continue;
      if ('Block' in action) return { action: 'BLOCK', terminatingRule: `${owner}/${rule.Name}`, labels };
      if ('Allow' in action) return { action: 'ALLOW', terminatingRule: `${owner}/${rule.Name}`, labels };
      throw new Error(`${owner}/${rule.Name}: action ${Object.keys(action).join()} is not modelled`);
    }
    return undefined;
  }

  /** Whether `statement` matches `request`. Throws RuleNotApplied when a forwarded-IP header is missing. */
  matches(statement: Json, request: WafRequest): boolean {
    const kinds = Object.keys(statement);
    if (kinds.length !== 1) throw new Error(`a statement has exactly one kind, not ${kinds.join(', ')}`);
    const kind = kinds[0]!;
    const body = statement[kind] as Json;
    switch (kind) {
      case 'AndStatement':
        return nested(body, 2).every((s) => this.matches(s, request));
      case 'OrStatement':
        return nested(body, 2).some((s) => this.matches(s, request));
      case 'NotStatement':
        return !this.matches(body.Statement as Json, request);
      case 'IPSetReferenceStatement':
        return this.ipSetMatches(body, request);
      case 'ByteMatchStatement': {
        const value = singleHeader(body, request);
        if (value === undefined) return false;
        const search = body.SearchString;
        if (typeof search !== 'string') throw new Error('only a plain SearchString is modelled');
        const transformed = transform(value, body.TextTransformations as Json[]);
        if (body.PositionalConstraint === 'EXACTLY') return transformed === search;
        if (body.PositionalConstraint === 'STARTS_WITH') return transformed.startsWith(search);
        throw new Error(`PositionalConstraint ${String(body.PositionalConstraint)} is not modelled`);
      }
      case 'SizeConstraintStatement': {
        const value = singleHeader(body, request);
        if (value === undefined) return false;
        const size = Buffer.byteLength(transform(value, body.TextTransformations as Json[]), 'latin1');
        return compare(size, body.ComparisonOperator as string, body.Size as number);
      }
      default:
        throw new Error(`${kind} is not modelled`);
    }
  }

  private ipSetMatches(body: Json, request: WafRequest): boolean {
    const setId = logicalIdOf(body.Arn);
    const set = this.resource(setId, 'AWS::WAFv2::IPSet');
    const family = set.IPAddressVersion === 'IPV4' ? 4 : 6;
    const ranges = (this.ipSets[setId] ?? []).map((cidr) => {
      const parsed = parseCidr(cidr);
      if (!parsed || parsed.family !== family || parsed.hostBitsSet) throw new Error(`${setId}: bad entry ${cidr}`);
      return rangeOf(parsed);
    });
    const inSet = (text: string) => {
      const address = parseAddress(text);
      return (
        address !== undefined &&
        address.family === family &&
        ranges.some(([lo, hi]) => lo <= address.value && address.value <= hi)
      );
    };
    const forwarded = body.IPSetForwardedIPConfig as Json | undefined;
    if (!forwarded) return inSet(request.source);
    const header = headerValue(request, forwarded.HeaderName as string);
    if (header === undefined) throw new RuleNotApplied();
    const entries = header.split(',').map((e) => e.trim());
    const fallback = forwarded.FallbackBehavior === 'MATCH';
    const valid = (e: string | undefined) => e !== undefined && parseAddress(e) !== undefined;
    switch (forwarded.Position) {
      case 'FIRST':
        return valid(entries[0]) ? inSet(entries[0]!) : fallback;
      case 'LAST':
        return valid(entries.at(-1)) ? inSet(entries.at(-1)!) : fallback;
      case 'ANY': {
        const candidates = entries.slice(-10).filter(valid);
        return candidates.length === 0 ? fallback : candidates.some(inSet);
      }
      default:
        throw new Error(`Position ${String(forwarded.Position)} is not modelled`);
    }
  }
}

/** The WCU of a statement by WAF's documented costs (independent of lib/credential-rules.ts's own sums). */
export function statementCapacity(statement: Json): number {
  const [kind, body] = Object.entries(statement)[0] as [string, Json];
  const transformations = (body.TextTransformations as Json[] | undefined) ?? [];
  const transformationCost = 10 * transformations.filter((t) => t.Type !== 'NONE').length;
  switch (kind) {
    case 'AndStatement':
    case 'OrStatement':
      return (body.Statements as Json[]).reduce((s, n) => s + statementCapacity(n), 0);
    case 'NotStatement':
      return statementCapacity(body.Statement as Json);
    case 'IPSetReferenceStatement':
      return (body.IPSetForwardedIPConfig as Json | undefined)?.Position === 'ANY' ? 5 : 1;
    case 'ByteMatchStatement':
      return (
        (['EXACTLY', 'STARTS_WITH', 'ENDS_WITH'].includes(body.PositionalConstraint as string) ? 2 : 10) +
        transformationCost
      );
    case 'SizeConstraintStatement':
      return 1 + transformationCost;
    default:
      throw new Error(`${kind} has no modelled capacity`);
  }
}

function nested(body: Json, minimum: number): Json[] {
  const statements = body.Statements as Json[];
  if (statements.length < minimum) throw new Error(`a logical statement needs at least ${minimum} statements`);
  return statements;
}

function defaultAction(action: Json): 'ALLOW' | 'BLOCK' {
  if ('Allow' in action) return 'ALLOW';
  if ('Block' in action) return 'BLOCK';
  throw new Error('a default action is Allow or Block');
}

function logicalIdOf(arn: unknown): string {
  const getAtt = (arn as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (getAtt?.[1] !== 'Arn')
    throw new Error(`only Fn::GetAtt [id, Arn] references are modelled: ${JSON.stringify(arn)}`);
  return getAtt[0]!;
}

function headerValue(request: WafRequest, name: string): string | undefined {
  const found = request.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase());
  if (found.length > 1) throw new Error(`header ${name} appears ${found.length} times: not modelled`);
  return found[0]?.[1];
}

function singleHeader(body: Json, request: WafRequest): string | undefined {
  const field = body.FieldToMatch as Json;
  const keys = Object.keys(field);
  if (keys.length !== 1 || keys[0] !== 'SingleHeader') throw new Error(`FieldToMatch ${keys.join()} is not modelled`);
  return headerValue(request, (field.SingleHeader as { Name: string }).Name);
}

function transform(value: string, transformations: Json[]): string {
  if (!transformations || transformations.length === 0)
    throw new Error('WAF requires at least one text transformation');
  const priorities = transformations.map((t) => t.Priority as number);
  if (new Set(priorities).size !== priorities.length) throw new Error('text transformation priorities must differ');
  let out = value;
  for (const t of [...transformations].sort((a, b) => (a.Priority as number) - (b.Priority as number))) {
    if (t.Type === 'NONE') continue;
    else if (t.Type === 'LOWERCASE') out = out.replace(/[A-Z]/g, (c) => c.toLowerCase());
    else if (t.Type === 'COMPRESS_WHITE_SPACE') out = out.replace(/[\f\t\n\r\v\u00a0]/g, ' ').replace(/ {2,}/g, ' ');
    else throw new Error(`text transformation ${String(t.Type)} is not modelled`);
  }
  return out;
}

function compare(size: number, operator: string, limit: number): boolean {
  switch (operator) {
    case 'EQ':
      return size === limit;
    case 'NE':
      return size !== limit;
    case 'LE':
      return size <= limit;
    case 'LT':
      return size < limit;
    case 'GE':
      return size >= limit;
    case 'GT':
      return size > limit;
    default:
      throw new Error(`ComparisonOperator ${operator} is not modelled`);
  }
}
