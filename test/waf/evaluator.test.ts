import { describe, expect, it } from 'vitest';
import { statementCapacity, WafEvaluator, type WafRequest } from './evaluator';

type Json = Record<string, unknown>;

const V4 = { 'Fn::GetAtt': ['SetV4', 'Arn'] };
const V6 = { 'Fn::GetAtt': ['SetV6', 'Arn'] };
const IP_SETS = {
  SetV4: { Type: 'AWS::WAFv2::IPSet', Properties: { IPAddressVersion: 'IPV4', Addresses: [] } },
  SetV6: { Type: 'AWS::WAFv2::IPSet', Properties: { IPAddressVersion: 'IPV6', Addresses: [] } },
};
const CONTENTS = { SetV4: ['192.0.2.0/24'], SetV6: ['2001:db8::/32'] };

function rule(name: string, priority: number, statement: Json, action = 'Block', labels: string[] = []): Json {
  return {
    Name: name,
    Priority: priority,
    Action: { [action]: {} },
    Statement: statement,
    ...(labels.length > 0 ? { RuleLabels: labels.map((Name) => ({ Name })) } : {}),
  };
}

/** A template with one rule group of `rules`, in a web ACL with `defaultAction`. */
function evaluator(rules: Json[], defaultAction = 'Allow'): WafEvaluator {
  return new WafEvaluator(
    {
      Resources: {
        ...IP_SETS,
        Group: { Type: 'AWS::WAFv2::RuleGroup', Properties: { Rules: rules } },
        Acl: {
          Type: 'AWS::WAFv2::WebACL',
          Properties: {
            DefaultAction: { [defaultAction]: {} },
            Rules: [
              {
                Name: 'group',
                Priority: 0,
                OverrideAction: { None: {} },
                Statement: { RuleGroupReferenceStatement: { Arn: { 'Fn::GetAtt': ['Group', 'Arn'] } } },
              },
            ],
          },
        },
      },
    },
    CONTENTS,
  );
}

const header = (name: string, search: string, positional = 'STARTS_WITH', types: string[] = ['NONE']) => ({
  ByteMatchStatement: {
    FieldToMatch: { SingleHeader: { Name: name } },
    PositionalConstraint: positional,
    SearchString: search,
    TextTransformations: types.map((Type, Priority) => ({ Type, Priority })),
  },
});
const inSet = (arn: Json, forwarded?: Json) => ({
  IPSetReferenceStatement: { Arn: arn, ...(forwarded ? { IPSetForwardedIPConfig: forwarded } : {}) },
});
const req = (source: string, ...headers: [string, string][]): WafRequest => ({ source, headers });

describe('the WAF evaluator, against the documented semantics', () => {
  it('byte match on a single header: name case-insensitive, value case-sensitive, STARTS_WITH and EXACTLY', () => {
    const e = evaluator([rule('r', 0, header('x-api-key', 'acme_'))]);
    expect(e.evaluateWebAcl('Acl', req('198.51.100.1', ['X-API-Key', 'acme_123'])).action).toBe('BLOCK');
    expect(e.evaluateWebAcl('Acl', req('198.51.100.1', ['x-api-key', 'ACME_123'])).action).toBe('ALLOW');
    expect(e.evaluateWebAcl('Acl', req('198.51.100.1', ['x-api-key', 'xacme_'])).action).toBe('ALLOW');
    expect(e.evaluateWebAcl('Acl', req('198.51.100.1')).action).toBe('ALLOW');
    const exact = evaluator([rule('r', 0, header('x-client-id', 'acme', 'EXACTLY'))]);
    expect(exact.evaluateWebAcl('Acl', req('198.51.100.1', ['x-client-id', 'acme'])).action).toBe('BLOCK');
    expect(exact.evaluateWebAcl('Acl', req('198.51.100.1', ['x-client-id', 'acme2'])).action).toBe('ALLOW');
  });

  it('text transformations run in priority order: LOWERCASE, COMPRESS_WHITE_SPACE', () => {
    const lower = evaluator([rule('r', 0, header('authorization', 'bearer acme_', 'STARTS_WITH', ['LOWERCASE']))]);
    expect(lower.evaluateWebAcl('Acl', req('198.51.100.1', ['Authorization', 'Bearer ACME_1'])).action).toBe('BLOCK');
    const both = evaluator([
      rule('r', 0, header('authorization', 'bearer acme_', 'STARTS_WITH', ['COMPRESS_WHITE_SPACE', 'LOWERCASE'])),
    ]);
    expect(both.evaluateWebAcl('Acl', req('198.51.100.1', ['authorization', 'Bearer \t  acme_1'])).action).toBe(
      'BLOCK',
    );
    expect(lower.evaluateWebAcl('Acl', req('198.51.100.1', ['authorization', 'Bearer \t acme_1'])).action).toBe(
      'ALLOW',
    );
  });

  it('IP set reference: the connection source, per family', () => {
    const e = evaluator([
      rule('r', 0, { NotStatement: { Statement: { OrStatement: { Statements: [inSet(V4), inSet(V6)] } } } }),
    ]);
    expect(e.evaluateWebAcl('Acl', req('192.0.2.9')).action).toBe('ALLOW');
    expect(e.evaluateWebAcl('Acl', req('2001:db8::1')).action).toBe('ALLOW');
    expect(e.evaluateWebAcl('Acl', req('198.51.100.1')).action).toBe('BLOCK');
    expect(e.evaluateWebAcl('Acl', req('::ffff:192.0.2.9')).action).toBe('BLOCK');
  });

  it('forwarded IP: positions, fallback on a malformed address, and no rule at all without the header', () => {
    const cfg = (Position: string, FallbackBehavior = 'NO_MATCH') => ({
      HeaderName: 'X-Forwarded-For',
      Position,
      FallbackBehavior,
    });
    const allow = (c: Json) => evaluator([rule('r', 0, inSet(V4, c), 'Allow')], 'Block');
    const xff = (value: string) => req('198.51.100.1', ['x-forwarded-for', value]);
    expect(allow(cfg('FIRST')).evaluateWebAcl('Acl', xff('192.0.2.1, 198.51.100.7')).action).toBe('ALLOW');
    expect(allow(cfg('LAST')).evaluateWebAcl('Acl', xff('192.0.2.1, 198.51.100.7')).action).toBe('BLOCK');
    expect(allow(cfg('ANY')).evaluateWebAcl('Acl', xff('198.51.100.7, 192.0.2.1, 203.0.113.5')).action).toBe('ALLOW');
    expect(allow(cfg('LAST')).evaluateWebAcl('Acl', xff('192.0.2.1, not-an-ip')).action).toBe('BLOCK');
    expect(allow(cfg('LAST', 'MATCH')).evaluateWebAcl('Acl', xff('192.0.2.1, not-an-ip')).action).toBe('ALLOW');
    // The source is in the set, but a forwarded-IP rule reads only the header: without it, the rule does not apply.
    expect(allow(cfg('LAST')).evaluateWebAcl('Acl', req('192.0.2.1')).action).toBe('BLOCK');
  });

  it('catches a deliberately wrong statement: "block unless listed" over a forwarded IP fails open without the header', () => {
    const naive = evaluator([
      rule('r', 0, {
        AndStatement: {
          Statements: [
            header('x-api-key', 'acme_'),
            {
              NotStatement: {
                Statement: inSet(V4, { HeaderName: 'X-Forwarded-For', Position: 'LAST', FallbackBehavior: 'NO_MATCH' }),
              },
            },
          ],
        },
      }),
    ]);
    const stolen = req('198.51.100.1', ['x-api-key', 'acme_1']);
    expect(
      naive.evaluateWebAcl('Acl', { ...stolen, headers: [...stolen.headers, ['x-forwarded-for', '198.51.100.1']] })
        .action,
    ).toBe('BLOCK');
    // The rule is not applied at all, so the stolen key passes: the stack's second rule exists for exactly this.
    expect(naive.evaluateWebAcl('Acl', stolen).action).toBe('ALLOW');
  });

  it('size constraint on a missing header does not match, so NOT(size > 0) catches the missing header', () => {
    const present = {
      SizeConstraintStatement: {
        FieldToMatch: { SingleHeader: { Name: 'x-forwarded-for' } },
        ComparisonOperator: 'GT',
        Size: 0,
        TextTransformations: [{ Type: 'NONE', Priority: 0 }],
      },
    };
    const e = evaluator([rule('r', 0, { NotStatement: { Statement: present } })]);
    expect(e.evaluateWebAcl('Acl', req('192.0.2.1')).action).toBe('BLOCK');
    expect(e.evaluateWebAcl('Acl', req('192.0.2.1', ['X-Forwarded-For', ''])).action).toBe('BLOCK');
    expect(e.evaluateWebAcl('Acl', req('192.0.2.1', ['X-Forwarded-For', '192.0.2.1'])).action).toBe('ALLOW');
  });

  it('priority order, Count labels, the first terminating action, and the default action', () => {
    const match = header('x-api-key', 'a');
    const e = evaluator([
      rule('late-allow', 5, match, 'Allow', ['late']),
      rule('count', 1, match, 'Count', ['counted']),
      rule('block', 3, match, 'Block', ['blocked']),
    ]);
    expect(e.evaluateWebAcl('Acl', req('192.0.2.1', ['x-api-key', 'a1']))).toEqual({
      action: 'BLOCK',
      terminatingRule: 'Group/block',
      labels: ['counted', 'blocked'],
    });
    expect(e.evaluateWebAcl('Acl', req('192.0.2.1'))).toEqual({ action: 'ALLOW', labels: [] });
    expect(evaluator([rule('c', 0, match, 'Count')], 'Block').evaluateWebAcl('Acl', req('192.0.2.1')).action).toBe(
      'BLOCK',
    );
  });

  it('refuses what it does not model instead of guessing', () => {
    const e = evaluator([rule('r', 0, { GeoMatchStatement: { CountryCodes: ['NL'] } })]);
    expect(() => e.evaluateWebAcl('Acl', req('192.0.2.1'))).toThrow(/GeoMatchStatement is not modelled/);
    const contains = evaluator([rule('r', 0, header('x-api-key', 'a', 'CONTAINS'))]);
    expect(() => contains.evaluateWebAcl('Acl', req('192.0.2.1', ['x-api-key', 'a']))).toThrow(
      /CONTAINS is not modelled/,
    );
    const dup = evaluator([rule('r', 0, header('x-api-key', 'a')), rule('s', 0, header('x-api-key', 'b'))]);
    expect(() => dup.evaluateWebAcl('Acl', req('192.0.2.1'))).toThrow(/priorities must be unique/);
    const twice = evaluator([rule('r', 0, header('x-api-key', 'a'))]);
    expect(() => twice.evaluateWebAcl('Acl', req('192.0.2.1', ['x-api-key', 'a'], ['X-Api-Key', 'b']))).toThrow(
      /2 times/,
    );
  });

  it('prices statements by the documented WCU costs', () => {
    expect(statementCapacity(header('x', 'a'))).toBe(2);
    expect(statementCapacity(header('x', 'a', 'EXACTLY', ['LOWERCASE']))).toBe(12);
    expect(statementCapacity(inSet(V4))).toBe(1);
    expect(statementCapacity(inSet(V4, { HeaderName: 'x', Position: 'ANY', FallbackBehavior: 'NO_MATCH' }))).toBe(5);
    expect(
      statementCapacity({
        AndStatement: { Statements: [header('x', 'a'), { NotStatement: { Statement: inSet(V6) } }] },
      }),
    ).toBe(3);
  });
});
