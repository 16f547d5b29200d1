/**
 * Capacity of credential binding for 1, 10 and 50 bound partners: the rule groups CDK renders, priced statement by
 * statement with WAF's documented costs by the evaluator's own table (not lib/credential-rules.ts's sums), checked
 * against the declared capacities, WAF's quotas and the table in docs/credential-binding.md. Prints the figures:
 * `npx vitest run test/infra/credential-capacity.test.ts`.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { CredentialBinding } from '../../lib/credential-binding';
import {
  checkWebAcl,
  MAX_CAPACITY,
  MAX_REFERENCES,
  type PackedGroup,
  packRuleGroups,
} from '../../lib/credential-rules';
import { DeployAllowlistSchema } from '../../lib/deployment-config';
import { AllowlistFilterSet } from '../../lib/filters';
import { statementCapacity } from '../waf/evaluator';
import { docCapacityRows } from './credential-doc';

type Json = Record<string, unknown>;

const SCENARIOS = {
  connection: { clientAddress: 'connection' },
  'forwarded `LAST`': { clientAddress: { forwardedIp: { headerName: 'X-Forwarded-For', position: 'LAST' } } },
  'connection, `caseInsensitive`': { clientAddress: 'connection', caseInsensitive: true },
} as const;

/** The binding rule groups and web ACL CDK renders for `partners` partners, each with one IPv4 and one IPv6 set. */
function render(partners: number, scenario: keyof typeof SCENARIOS) {
  const stack = new Stack(new App(), 'Capacity', { env: { account: '111122223333', region: 'eu-west-1' } });
  const filters = Array.from({ length: partners }, (_, i) => {
    const definition = DeployAllowlistSchema.parse({
      name: `partner${String(i + 1).padStart(2, '0')}`,
      sources: [{ kind: 's3', bucket: 'lists', key: `p${i + 1}.txt` }],
      wafIpSets: {
        scope: 'REGIONAL',
        setsPerFamily: { ipv4: 1, ipv6: 1 },
        // Distinct, non-nested key ids: nesting costs are covered by the synthesized stack tests.
        credential: { header: 'x-api-key', startsWith: `pk_${i + 1}_`, ...SCENARIOS[scenario] },
      },
    });
    return new AllowlistFilterSet(stack, `Allowlist${i + 1}`, definition, 'Capacity').filters;
  });
  new CredentialBinding(stack, 'Binding', { filters, webAcl: 'allow-others' });
  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, { Type: string; Properties: Json }>;
  };
  const groups = Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::WAFv2::RuleGroup')
    .map((r) => r.Properties);
  const acl = Object.values(template.Resources).find((r) => r.Type === 'AWS::WAFv2::WebACL')!.Properties;
  return { groups, acl };
}

function references(node: unknown): number {
  if (Array.isArray(node)) return node.reduce((s: number, n) => s + references(n), 0);
  if (node && typeof node === 'object') {
    return Object.entries(node).reduce((s, [k, v]) => s + (k === 'IPSetReferenceStatement' ? 1 : 0) + references(v), 0);
  }
  return 0;
}

describe('credential binding capacity', () => {
  const rows: string[][] = [];
  it.each([
    [1, 'connection'],
    [10, 'connection'],
    [50, 'connection'],
    [50, 'forwarded `LAST`'],
    [50, 'connection, `caseInsensitive`'],
  ] as const)(
    '%i partner(s), client address %s: priced rule by rule, within WAF quotas',
    (partners, scenario) => {
      const { groups, acl } = render(partners, scenario);
      const priced = groups.map((g) =>
        (g.Rules as { Statement: Json }[]).reduce((sum, r) => sum + statementCapacity(r.Statement), 0),
      );
      // The capacity each group is created with is what its rules cost by WAF's table, priced independently.
      expect(groups.map((g) => g.Capacity)).toEqual(priced);
      for (const g of groups) {
        expect(g.Capacity as number).toBeLessThanOrEqual(MAX_CAPACITY);
        expect(references(g.Rules)).toBeLessThanOrEqual(MAX_REFERENCES);
      }
      expect(references(groups.map((g) => g.Rules))).toBe(partners * 2);
      expect((acl.Rules as unknown[]).length).toBe(groups.length);
      const total = priced.reduce((s, c) => s + c, 0);
      expect(total % partners).toBe(0);
      rows.push([
        String(partners),
        scenario,
        String(total / partners),
        `${groups.length} (${priced.join(' + ')})`,
        String(total),
      ]);
    },
    120_000,
  );

  it('matches the capacity table of docs/credential-binding.md, and prints the figures', () => {
    console.log(
      [
        '| partners | client address | WCU per partner | rule groups (WCU each) | web ACL WCU |',
        '|---|---|---|---|---|',
      ]
        .concat(rows.map((r) => `| ${r.join(' | ')} |`))
        .join('\n'),
    );
    expect(docCapacityRows()).toEqual(rows);
  });

  it('refuses at synth, with the numbers, a web ACL over 5,000 WCU or 50 rule group references', () => {
    const group = (capacity: number): PackedGroup => ({
      rules: [],
      used: capacity,
      capacity,
      references: 0,
      allowlists: [],
    });
    expect(() => checkWebAcl([group(3000), group(2500)], [])).toThrow(
      "the web ACL would need 5500 WCU (binding groups 3000 + 2500), more than WAF's 5000",
    );
    expect(() =>
      checkWebAcl(
        [group(10)],
        Array.from({ length: 50 }, () => 1),
      ),
    ).toThrow("the web ACL would hold 51 rule group references, more than WAF's 50");
    expect(checkWebAcl([group(3000)], [2000]).capacity).toBe(5000);
  });

  it("packs an allowlist's rules together and opens a new group at 50 references", () => {
    const rule = (allowlist: string, refs: number) => ({
      allowlist,
      rule: { name: allowlist, priority: 0, statement: {}, visibilityConfig: {} as never },
      capacity: 3,
      references: refs,
    });
    const packed = packRuleGroups([rule('a', 30), rule('b', 20), rule('c', 1), rule('c', 0)]);
    expect(packed.map((g) => [g.allowlists, g.references, g.used])).toEqual([
      [['a', 'b'], 50, 6],
      [['c'], 1, 6],
    ]);
    expect(packed[1]!.rules.map((r) => r.priority)).toEqual([0, 1]);
  });
});
