/**
 * The central publisher (examples/central-publisher/, docs/organisation.md): GIVEN the network account's deployment
 * config and a member account, WHEN the example app synthesizes, THEN the network account's prefix lists are shared
 * through AWS RAM with the organisational unit, the member's security group references them, both templates pass
 * cfn-lint, and the page shows the example's files as they are.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { centralPublisher } from '../../examples/central-publisher/app';
import type { MemberSettings } from '../../examples/central-publisher/member-stack';
import { ConfigError } from '../../lambda/core/errors';
import { appContext, ROOT } from '../infra/synth';
import { cfnLintTool, lintTemplate } from '../support/cfn-lint';
import { docExample } from '../support/doc-examples';

const DIR = path.join(ROOT, 'examples', 'central-publisher');
const read = (file: string) => readFileSync(path.join(DIR, file), 'utf8');
const config = () =>
  JSON.parse(read('config.json')) as { allowlists: { prefixLists: Record<string, { maxEntries: number }> }[] };
const members = () => JSON.parse(read('members.json')) as MemberSettings[];
const OU = 'arn:aws:organizations::999999999999:ou/o-abcdefghij/ou-ab12-cdefghij';

describe('the central publisher example', () => {
  let publisher: Template;
  let member: Template;
  let memberRegion: string;

  beforeAll(() => {
    const app = new App({ context: appContext() });
    const built = centralPublisher(app, config(), members());
    publisher = Template.fromStack(built.publishers[0]!);
    member = Template.fromStack(built.members[0]!);
    memberRegion = built.members[0]!.region;
  });

  it('shares each prefix list with the organisational unit, and with no one outside the organisation', () => {
    const shares = Object.values(publisher.findResources('AWS::RAM::ResourceShare'));
    const lists = Object.keys(publisher.findResources('AWS::EC2::PrefixList'));
    expect(lists).toHaveLength(2);
    for (const share of shares) {
      expect(share.Properties.Principals).toEqual([OU]);
      expect(share.Properties.AllowExternalPrincipals).toBe(false);
    }
    // One share per list, each naming its list.
    expect(shares.map((s) => s.Properties.ResourceArns)).toEqual(lists.map((id) => [{ 'Fn::GetAtt': [id, 'Arn'] }]));
    publisher.hasResourceProperties('AWS::EC2::PrefixList', { AddressFamily: 'IPv4', MaxEntries: 40 });
    publisher.hasResourceProperties('AWS::EC2::PrefixList', { AddressFamily: 'IPv6', MaxEntries: 10 });
    // The ids the members need (docs/organisation.md): one output with both lists.
    const outputs = Object.values(publisher.findOutputs('*')).filter(
      (o) => o.Description === 'partners: PrefixListIds',
    );
    const [v4, v6] = lists.map((id) => ({ 'Fn::GetAtt': [id, 'PrefixListId'] }));
    expect(outputs.map((o) => o.Value)).toEqual([{ 'Fn::Join': ['', [v4, ',', v6]] }]);
  });

  it("references the shared lists from the member's security group, one rule per list and port range", () => {
    expect(memberRegion).toBe('eu-west-1');
    member.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    member.hasResourceProperties('AWS::EC2::SecurityGroup', {
      VpcId: 'vpc-0a1b2c3d4e5f60718',
      SecurityGroupIngress: Match.absent(),
    });
    const rules = Object.values(member.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    expect(rules).toEqual([
      expect.objectContaining({
        SourcePrefixListId: 'pl-0123456789abcdef0',
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
      }),
      expect.objectContaining({
        SourcePrefixListId: 'pl-0fedcba9876543210',
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
      }),
    ]);
    expect(rules.every((r) => r.CidrIp === undefined && r.CidrIpv6 === undefined)).toBe(true);
  });

  it("gives members the MaxEntries the network account's config sets (the rule cost is checked with it)", () => {
    const lists = config().allowlists[0]!.prefixLists;
    const [m] = members();
    expect(m!.prefixLists.ipv4!.maxEntries).toBe(lists.ipv4!.maxEntries);
    expect(m!.prefixLists.ipv6!.maxEntries).toBe(lists.ipv6!.maxEntries);
  });

  it.skipIf(!cfnLintTool.available)(
    'passes cfn-lint with no error, both templates',
    () => {
      const errors = [
        ['publisher', publisher],
        ['member', member],
      ].flatMap(([name, template]) =>
        lintTemplate((template as Template).toJSON(), ['eu-west-1'])
          .filter((f) => f.level === 'Error')
          .map((f) => `${name}: ${f.rule} at ${f.path}: ${f.message}`),
      );
      expect(errors).toEqual([]);
    },
    300_000,
  );

  it('refuses a member whose references would overflow its group, naming the sum and the fixes', () => {
    const [m] = members();
    const wide = { ...m!, ports: [...m!.ports, { protocol: 'tcp' as const, from: 8443, to: 8443 }] };
    expect(() => centralPublisher(new App({ context: appContext() }), config(), [wide])).toThrow(ConfigError);
    // The message docs/organisation.md shows.
    expect(() => centralPublisher(new App({ context: appContext() }), config(), [wide])).toThrow(
      docExample('docs/organisation.md', 'central-publisher/budget-error').trimEnd(),
    );
  });

  it('refuses a member in a Region where no list is published', () => {
    const [m] = members();
    expect(() =>
      centralPublisher(new App({ context: appContext() }), config(), [{ ...m!, region: 'us-east-1' }]),
    ).toThrow(
      '[0].region: member "payments" is in us-east-1, where the network account publishes no list (eu-west-1): add an environment in us-east-1 to config.json',
    );
  });

  it.each(['member-stack.ts', 'config.json', 'members.json'])('is shown in docs/organisation.md as %s is', (file) => {
    expect(docExample('docs/organisation.md', `central-publisher/${file}`)).toBe(read(file));
  });

  it('synthesizes from the command line the page gives, both stacks', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'central-publisher-'));
    try {
      const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['examples/central-publisher/app.ts'], {
        cwd: ROOT,
        encoding: 'utf8',
        // What `cdk synth` hands the app, without bundling (docs/aws-behaviour.md §11).
        env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(appContext()) },
      });
      // Nothing but the one line that says the function was bundled (lib/bundling-options.ts): no warning, no error.
      expect(r.stderr.replace(/^Bundling asset \S+\.\.\.\n/m, '')).toBe('');
      expect(r.status).toBe(0);
      const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
      const stacks = Object.entries(manifest.artifacts as Record<string, { type: string; environment: string }>)
        .filter(([, a]) => a.type === 'aws:cloudformation:stack')
        .map(([id, a]) => `${id} ${a.environment}`);
      expect(stacks.sort()).toEqual([
        'AllowlistSync-network aws://111111111111/eu-west-1',
        'Member-payments aws://222222222222/eu-west-1',
      ]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});
