/**
 * Credential binding over SYNTHESIZED templates (with cdk-nag, as every stack test): the request cases of issue 14
 * run through the WAF evaluator of test/waf/, the worked example and its table read from docs/credential-binding.md,
 * cfn-lint over both templates, and mutations of the emitted rules that the cases must catch.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CredentialBinding } from '../../lib/credential-binding';
import { DeployAllowlistSchema } from '../../lib/deployment-config';
import { AllowlistFilterSet } from '../../lib/filters';
import { cfnLintTool, lintTemplate } from '../support/cfn-lint';
import { type IpSetContents, WafEvaluator, type WafRequest } from '../waf/evaluator';
import { docCases, docExampleConfig } from './credential-doc';
import { synth } from './synth';

const LONG = 120_000;

type Json = Record<string, unknown>;
type TemplateJson = { Resources: Record<string, { Type: string; Properties: Json }> };

/** Addresses the sync would have written into each allowlist's sets. */
const LISTS: Record<string, { ipv4: string[]; ipv6: string[] }> = {
  acme: { ipv4: ['192.0.2.0/24'], ipv6: ['2001:db8:a::/48'] },
  acme2: { ipv4: ['198.51.100.0/24'], ipv6: ['2001:db8:b::/48'] },
  globex: { ipv4: ['203.0.113.128/25'], ipv6: ['2001:db8:c::/48'] },
};

/** The IP set contents by logical id, found by the sets' fixed names `<stack>-<allowlist>-<family>-<n>`. */
function ipSetContents(template: TemplateJson): IpSetContents {
  const contents: Record<string, string[]> = {};
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::WAFv2::IPSet') continue;
    const match = /^AllowlistSync-[^-]+-(.+)-(ipv4|ipv6)-\d+$/.exec(r.Properties.Name as string);
    if (!match) throw new Error(`unexpected IP set name ${String(r.Properties.Name)}`);
    contents[id] = LISTS[match[1]!]?.[match[2] as 'ipv4' | 'ipv6'] ?? [];
  }
  return contents;
}

/** The logical id of the one web ACL whose description starts with `prefix`. */
function webAclId(template: TemplateJson, prefix: string): string {
  const ids = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::WAFv2::WebACL' && (r.Properties.Description as string).startsWith(prefix))
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

interface Case {
  readonly name: string;
  readonly request: WafRequest;
  readonly action: 'ALLOW' | 'BLOCK';
  /** The binding label the request must get, or none at all. */
  readonly label?: string;
}

const label = (allowlist: string, reason = 'address-not-listed') => `allowlist-sync:credential:${allowlist}:${reason}`;

/** Each case's failure, empty when every case holds. */
function failures(template: TemplateJson, acl: string, cases: readonly Case[]): string[] {
  const evaluator = new WafEvaluator(template, ipSetContents(template));
  return cases.flatMap((c) => {
    const verdict = evaluator.evaluateWebAcl(acl, c.request);
    const labels = verdict.labels.filter((l) => l.startsWith('allowlist-sync:credential:'));
    const ok = verdict.action === c.action && JSON.stringify(labels) === JSON.stringify(c.label ? [c.label] : []);
    return ok
      ? []
      : [
          `${c.name}: expected ${c.action} ${c.label ?? '(no label)'}, got ${verdict.action} ${labels.join() || '(no label)'}`,
        ];
  });
}

/** The forwarded-IP config: two partners behind one trusted proxy that appends the client address (LAST). */
function forwardedConfig(): Json {
  const forwardedIp = { headerName: 'X-Forwarded-For', position: 'LAST' };
  const allowlist = (name: string, credential: Json, ruleGroup: boolean) => ({
    name,
    sources: [{ kind: 's3', bucket: 'example-allowlists', key: `${name}.txt` }],
    wafIpSets: {
      scope: 'REGIONAL',
      setsPerFamily: { ipv4: 1, ipv6: 1 },
      ...(ruleGroup ? { ruleGroup: { forwardedIp } } : {}),
      credential: { ...credential, clientAddress: { forwardedIp } },
    },
  });
  return {
    environments: [{ name: 'fwd', account: '111122223333', region: 'eu-west-1' }],
    credentialBinding: { webAcl: 'allow-others' },
    allowlists: [
      allowlist('acme', { header: 'x-api-key', startsWith: 'acme' }, true),
      allowlist('globex', { header: 'Authorization', startsWith: 'bearer globex_', caseInsensitive: true }, false),
    ],
  };
}

const xff = (value: string): [string, string] => ['X-Forwarded-For', value];
const FORWARDED_CASES: Case[] = [
  {
    name: 'A from A (last hop)',
    request: { source: '10.0.0.1', headers: [['x-api-key', 'acme_k1'], xff('203.0.113.9, 192.0.2.10')] },
    action: 'ALLOW',
  },
  {
    name: 'A from A, IPv6',
    request: { source: '10.0.0.1', headers: [['x-api-key', 'acme_k1'], xff('2001:db8:a::5')] },
    action: 'ALLOW',
  },
  {
    name: 'A, client-forged first hop',
    request: { source: '10.0.0.1', headers: [['x-api-key', 'acme_k1'], xff('192.0.2.10, 203.0.113.9')] },
    action: 'BLOCK',
    label: label('acme'),
  },
  {
    name: 'A, header missing (source is A)',
    request: { source: '192.0.2.10', headers: [['x-api-key', 'acme_k1']] },
    action: 'BLOCK',
    label: label('acme', 'no-forwarded-ip'),
  },
  {
    name: 'A, header malformed',
    request: { source: '192.0.2.10', headers: [['x-api-key', 'acme_k1'], xff('192.0.2.10:443')] },
    action: 'BLOCK',
    label: label('acme'),
  },
  {
    name: 'A, header empty',
    request: { source: '192.0.2.10', headers: [['x-api-key', 'acme_k1'], xff('')] },
    action: 'BLOCK',
    label: label('acme'),
  },
  {
    name: 'G any case from G',
    request: { source: '10.0.0.1', headers: [['authorization', 'Bearer GLOBEX_k2'], xff('203.0.113.200')] },
    action: 'ALLOW',
  },
  {
    name: 'G any case from nobody',
    request: { source: '10.0.0.1', headers: [['AUTHORIZATION', 'BEARER GLOBEX_k2'], xff('198.51.100.1')] },
    action: 'BLOCK',
    label: label('globex'),
  },
  {
    name: 'G, header missing',
    request: { source: '203.0.113.200', headers: [['authorization', 'bearer globex_k2']] },
    action: 'BLOCK',
    label: label('globex', 'no-forwarded-ip'),
  },
  {
    name: 'no bound credential, header missing',
    request: { source: '198.51.100.1', headers: [['authorization', 'Bearer other']] },
    action: 'ALLOW',
  },
];

/**
 * The "network-allowlist" web ACL over the construct alone (the stack tests above run cdk-nag on the same construct):
 * acme bound and on its network allowlist, globex only on its network allowlist.
 */
function networkAllowlistTemplate(): TemplateJson {
  const stack = new Stack(new App(), 'AllowlistSync-net', { env: { account: '111122223333', region: 'eu-west-1' } });
  const filters = [
    { name: 'acme', credential: { header: 'x-api-key', startsWith: 'acme', clientAddress: 'connection' } },
    { name: 'globex' },
  ].map((a, i) => {
    const definition = DeployAllowlistSchema.parse({
      name: a.name,
      sources: [{ kind: 's3', bucket: 'lists', key: `${a.name}.txt` }],
      wafIpSets: {
        scope: 'REGIONAL',
        setsPerFamily: { ipv4: 1, ipv6: 1 },
        ruleGroup: {},
        ...(a.credential ? { credential: a.credential } : {}),
      },
    });
    return new AllowlistFilterSet(stack, `Allowlist${i + 1}`, definition, 'AllowlistSync-net').filters;
  });
  new CredentialBinding(stack, 'Binding', { filters, webAcl: 'network-allowlist' });
  return Template.fromStack(stack).toJSON() as TemplateJson;
}

/** `template` with `change` applied to every object in it (a deep copy). */
function mutate(template: TemplateJson, change: (node: Json) => Json | undefined): TemplateJson {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk).filter((n) => n !== undefined);
    if (node && typeof node === 'object') {
      const changed = change(node as Json);
      if (changed === undefined) return undefined;
      return Object.fromEntries(Object.entries(changed).map(([k, v]) => [k, walk(v)]));
    }
    return node;
  };
  return walk(template) as TemplateJson;
}

describe('credential binding in the synthesized stack', () => {
  let doc: TemplateJson;
  let forwarded: TemplateJson;
  beforeAll(() => {
    doc = synth(docExampleConfig()).template.toJSON() as TemplateJson;
    forwarded = synth(forwardedConfig()).template.toJSON() as TemplateJson;
  }, LONG);

  it('decides every request of the worked example as docs/credential-binding.md says', () => {
    const cases = docCases();
    expect(cases.length).toBeGreaterThanOrEqual(10);
    expect(failures(doc, webAclId(doc, 'Blocks a bound credential'), cases)).toEqual([]);
    if (process.env.CREDENTIAL_CASES === '1')
      console.table(cases.map((c) => ({ case: c.name, verdict: c.action, label: c.label ?? '' })));
  });

  it('fails closed on a forwarded-IP header that is missing, malformed or empty; matches the header in any case', () => {
    expect(failures(forwarded, webAclId(forwarded, 'Blocks a bound credential'), FORWARDED_CASES)).toEqual([]);
    if (process.env.CREDENTIAL_CASES === '1')
      console.table(FORWARDED_CASES.map((c) => ({ case: c.name, verdict: c.action, label: c.label ?? '' })));
  });

  it('labels and names each rule after its allowlist, in config order, with unique priorities', () => {
    const groups = Object.values(forwarded.Resources).filter((r) => r.Type === 'AWS::WAFv2::RuleGroup');
    expect(groups).toHaveLength(2); // the binding group and acme's allow group
    const binding = groups.find((g) => (g.Properties.Description as string).startsWith('Blocks a bound credential'))!;
    const rules = binding.Properties.Rules as Json[];
    expect(rules.map((r) => [r.Name, r.Priority, (r.RuleLabels as { Name: string }[])[0]!.Name])).toEqual([
      ['credential-acme', 0, label('acme')],
      ['credential-acme-no-forwarded-ip', 1, label('acme', 'no-forwarded-ip')],
      ['credential-globex', 2, label('globex')],
      ['credential-globex-no-forwarded-ip', 3, label('globex', 'no-forwarded-ip')],
    ]);
  });

  it.each([
    [
      'without the nesting exclusions',
      'doc',
      (n: Json) =>
        n.AndStatement
          ? {
              AndStatement: {
                Statements: (n.AndStatement as { Statements: Json[] }).Statements.filter(
                  (s) =>
                    !(s.NotStatement && (s.NotStatement as Json as { Statement: Json }).Statement.ByteMatchStatement),
                ),
              },
            }
          : n,
    ],
    [
      'with "in the sets" where "in none of the sets" belongs',
      'doc',
      (n: Json) =>
        n.NotStatement && !(n.NotStatement as { Statement: Json }).Statement.ByteMatchStatement
          ? (n.NotStatement as { Statement: Json }).Statement
          : n,
    ],
    ['with fallback MATCH', 'forwarded', (n: Json) => (n.FallbackBehavior ? { ...n, FallbackBehavior: 'MATCH' } : n)],
    [
      'without the no-forwarded-ip rules',
      'forwarded',
      (n: Json) => (typeof n.Name === 'string' && n.Name.endsWith('-no-forwarded-ip') ? undefined : n),
    ],
    [
      'without the LOWERCASE transformation',
      'forwarded',
      (n: Json) => (n.Type === 'LOWERCASE' ? { ...n, Type: 'NONE' } : n),
    ],
    [
      'with EXACTLY for STARTS_WITH',
      'doc',
      (n: Json) => (n.PositionalConstraint === 'STARTS_WITH' ? { ...n, PositionalConstraint: 'EXACTLY' } : n),
    ],
  ] as const)('the request cases catch the rules %s', (_what, which, change) => {
    const [template, cases] = which === 'doc' ? [doc, docCases()] : [forwarded, FORWARDED_CASES];
    const acl = webAclId(template, 'Blocks a bound credential');
    expect(failures(template, acl, cases)).toEqual([]);
    expect(failures(mutate(template, change), acl, cases).length).toBeGreaterThan(0);
  });

  it(
    '"network-allowlist": the binding runs before the allow rule groups, and the default action is Block',
    () => {
      const template = networkAllowlistTemplate();
      const acl = webAclId(template, 'Blocks a bound credential');
      expect(
        failures(template, acl, [
          { name: 'A from A', request: { source: '192.0.2.10', headers: [['x-api-key', 'acme_k1']] }, action: 'ALLOW' },
          // Globex's network admits the address, but the key is Acme's: the binding blocks before any Allow.
          {
            name: 'A from G',
            request: { source: '203.0.113.200', headers: [['x-api-key', 'acme_k1']] },
            action: 'BLOCK',
            label: label('acme'),
          },
          { name: 'no key from G', request: { source: '203.0.113.200', headers: [] }, action: 'ALLOW' },
          { name: 'no key from nobody', request: { source: '198.51.100.1', headers: [] }, action: 'BLOCK' },
        ]),
      ).toEqual([]);
      const rules = template.Resources[acl]!.Properties.Rules as { Name: string; Priority: number }[];
      expect(rules.map((r) => [r.Name, r.Priority])).toEqual([
        ['credential-binding-1', 0],
        ['network-allowlist-1', 1],
        ['network-allowlist-2', 2],
      ]);
    },
    LONG,
  );

  describe.skipIf(!cfnLintTool.available)('cfn-lint', () => {
    it(
      'finds no error in either template',
      () => {
        for (const template of [doc, forwarded]) {
          expect(lintTemplate(template, ['eu-west-1']).filter((f) => f.level === 'Error')).toEqual([]);
        }
      },
      LONG,
    );
  });
});
