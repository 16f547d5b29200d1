/**
 * Nested credentials, as a property: for any partners whose credentials the config accepts (prefixes and exact values
 * over a small alphabet, so they nest often, case-sensitive or not) and any request, the rules the stack emits judge a
 * key by exactly one list, the longest credential it matches, and leave a request that matches none alone. The model
 * here matches values directly; it shares no code with lib/credential-rules.ts but the config types.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CredentialConfig, CredentialSchema, credentialIssues } from '../../lib/credential-config';
import { credentialRules, packRuleGroups } from '../../lib/credential-rules';
import { WafEvaluator } from '../waf/evaluator';

type Json = Record<string, unknown>;

/**
 * Partners whose values are mostly prefixes of one spine (so they nest), sometimes values of their own (with upper
 * case, which caseInsensitive refuses), each a prefix or an exact value, case-sensitive or not.
 */
const partnersArb = fc
  .record({
    spine: fc.string({ unit: fc.constantFrom('a', 'b', '_'), minLength: 4, maxLength: 4 }),
    partners: fc.array(
      fc.record({
        cut: fc.oneof(
          fc.integer({ min: 1, max: 4 }),
          fc.string({ unit: fc.constantFrom('a', 'b', 'A', '_'), minLength: 1, maxLength: 4 }),
        ),
        exact: fc.boolean(),
        caseInsensitive: fc.boolean(),
      }),
      { minLength: 2, maxLength: 4 },
    ),
  })
  .map(({ spine, partners }) =>
    partners.map((p) => ({ ...p, value: typeof p.cut === 'number' ? spine.slice(0, p.cut) : p.cut })),
  );

/** Whether `c` matches header value `v`, straight from what STARTS_WITH, EXACTLY and LOWERCASE mean. */
function modelMatches(c: CredentialConfig, v: string): boolean {
  const seen = c.caseInsensitive ? v.replace(/[A-Z]/g, (ch) => ch.toLowerCase()) : v;
  return c.exactly !== undefined ? seen === c.exactly : seen.startsWith(c.startsWith!);
}

describe('nested credentials', () => {
  it('judge each key by exactly one list, that of the longest credential it matches', () => {
    fc.assert(
      fc.property(
        partnersArb,
        // The key starts with one partner's value (in its case or upper case) more often than not, so keys match
        // nested credentials often; the source is one of the partners' addresses, or nobody's.
        fc.record({
          base: fc.nat(3),
          upper: fc.boolean(),
          suffix: fc.string({ unit: fc.constantFrom('a', 'b', 'A', '_', '2'), maxLength: 3 }),
          // Three keys in four are built from a partner's value; the rest are random.
          random: fc.oneof(
            { arbitrary: fc.constant(null), weight: 3 },
            { arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', 'A', 'B', '_'), maxLength: 5 }), weight: 1 },
          ),
        }),
        fc.nat(4),
        (partners, keySpec, fromSpec) => {
          const basis = partners[keySpec.base % partners.length]!.value;
          const key = keySpec.random ?? `${keySpec.upper ? basis.toUpperCase() : basis}${keySpec.suffix}`;
          const from = fromSpec % (partners.length + 1);
          const credentials: CredentialConfig[] = [];
          for (const p of partners) {
            const parsed = CredentialSchema.safeParse({
              header: 'x-api-key',
              [p.exact ? 'exactly' : 'startsWith']: p.value,
              caseInsensitive: p.caseInsensitive,
              clientAddress: 'connection',
            });
            fc.pre(parsed.success);
            credentials.push(parsed.data!);
          }
          const holders = credentials.map((credential, i) => ({
            name: `p${i}`,
            wafIpSets: { scope: 'REGIONAL', credential },
          }));
          fc.pre(credentialIssues(holders, undefined).length === 0);

          const stack = new Stack(new App(), 'Nesting');
          const sets = credentials.map(
            (_, i) =>
              new wafv2.CfnIPSet(stack, `Set${i}`, { scope: 'REGIONAL', ipAddressVersion: 'IPV4', addresses: [] }),
          );
          const [group] = packRuleGroups(
            credentialRules(
              credentials.map((credential, i) => ({ name: `p${i}`, credential, ipSetArns: [sets[i]!.attrArn] })),
            ),
          );
          new wafv2.CfnRuleGroup(stack, 'Group', {
            scope: 'REGIONAL',
            capacity: group!.capacity,
            rules: group!.rules,
            visibilityConfig: { cloudWatchMetricsEnabled: false, metricName: 'g', sampledRequestsEnabled: false },
          });
          const template = Template.fromStack(stack).toJSON() as {
            Resources: Record<string, { Type: string; Properties: Json }>;
          };
          const evaluator = new WafEvaluator(
            template,
            Object.fromEntries(sets.map((s, i) => [stack.resolve(s.logicalId) as string, [`10.0.${i}.0/24`]])),
          );
          const source = `10.0.${from}.1`; // partner `from`'s address, or nobody's when from === partners.length
          const verdict = evaluator.evaluateRuleGroup('Group', { source, headers: [['X-Api-Key', key]] }, 'ALLOW');

          const matching = credentials.map((c, i) => ({ c, i })).filter(({ c }) => modelMatches(c, key));
          if (matching.length === 0) {
            expect(verdict).toEqual({ action: 'ALLOW', labels: [] });
            return;
          }
          const longest = Math.max(...matching.map(({ c }) => (c.startsWith ?? c.exactly!).length));
          const judges = matching.filter(({ c }) => (c.startsWith ?? c.exactly!).length === longest);
          expect(judges).toHaveLength(1);
          const judge = judges[0]!.i;
          if (from === judge) expect(verdict).toEqual({ action: 'ALLOW', labels: [] });
          else expect(verdict.labels).toEqual([`allowlist-sync:credential:p${judge}:address-not-listed`]);
          expect(verdict.action).toBe(from === judge ? 'ALLOW' : 'BLOCK');
        },
      ),
      { numRuns: 100 },
    );
  }, 120_000);
});
