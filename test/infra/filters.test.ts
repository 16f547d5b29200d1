import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDeploymentConfig } from '../../lib/deployment-config';
import { AllowlistFilterSet } from '../../lib/filters';
import { resolveEnvironment } from '../../lib/resolve-environment';
import { fullConfig, sampleConfig, synth } from './synth';

const LONG = 120_000;

describe('the filters the stack declares', () => {
  let full: Template;
  let sample: Template;
  beforeAll(() => {
    full = synth(fullConfig()).template;
    sample = synth(sampleConfig()).template;
  }, LONG);

  it('declares no security-group ingress anywhere: the sync owns ingress entirely', () => {
    for (const template of [full, sample]) {
      template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
      const groups = template.findResources('AWS::EC2::SecurityGroup');
      expect(Object.keys(groups).length).toBeGreaterThan(0);
      for (const group of Object.values(groups)) expect(group.Properties).not.toHaveProperty('SecurityGroupIngress');
    }
  });

  it('creates the configured number of groups in the configured VPC, with no outbound rule by default', () => {
    full.resourceCountIs('AWS::EC2::SecurityGroup', 3);
    full.allResourcesProperties('AWS::EC2::SecurityGroup', {
      VpcId: 'vpc-0123456789abcdef0',
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32', IpProtocol: 'icmp' })],
    });
  });

  it('gives each group a fixed description that does not depend on the construct path', () => {
    const config = parseDeploymentConfig(fullConfig());
    const descriptions = (scopePath: string[]) => {
      const stack = new Stack(new App(), 'S', { env: { account: '111122223333', region: 'us-east-1' } });
      let scope: Construct = stack;
      for (const id of scopePath) scope = new Construct(scope, id);
      new AllowlistFilterSet(scope, 'Filters', resolveEnvironment(config, 'test').allowlists[0]!, 'prefix');
      return Object.values(Template.fromStack(stack).findResources('AWS::EC2::SecurityGroup')).map(
        (g) => g.Properties.GroupDescription as string,
      );
    };
    const here = descriptions([]);
    expect(here).toEqual([
      'allowlist-sync partners (pool group 1); inbound rules are written by allowlist-sync',
      'allowlist-sync partners (pool group 2); inbound rules are written by allowlist-sync',
      'allowlist-sync partners (pool group 3); inbound rules are written by allowlist-sync',
    ]);
    expect(descriptions(['Moved', 'Elsewhere'])).toEqual(here);
  });

  it('declares every IP set with empty addresses and a fixed name and description', () => {
    const sets = full.findResources('AWS::WAFv2::IPSet');
    expect(Object.keys(sets)).toHaveLength(3);
    for (const set of Object.values(sets)) {
      expect(set.Properties.Addresses).toEqual([]);
      expect(set.Properties.Scope).toBe('CLOUDFRONT');
      expect(set.Properties.Name).toMatch(/^AllowlistSync-test-partners-ipv[46]-\d$/);
      expect(set.Properties.Description).toMatch(
        /^Managed by allowlist-sync, allowlist partners, ipv[46] set \d of \d\./,
      );
      expect(set.Properties).not.toHaveProperty('Tags');
    }
    sample.allResourcesProperties('AWS::WAFv2::IPSet', { Addresses: [], Scope: 'REGIONAL' });
  });

  it('allows a request whose address is in any set of the pool, reading the forwarded header as configured', () => {
    const forwarded = { HeaderName: 'X-Forwarded-For', FallbackBehavior: 'NO_MATCH', Position: 'LAST' };
    full.hasResourceProperties('AWS::WAFv2::RuleGroup', {
      Scope: 'CLOUDFRONT',
      Capacity: 3,
      Rules: [
        Match.objectLike({
          Action: { Allow: {} },
          Statement: {
            OrStatement: {
              Statements: [1, 2, 3].map(() =>
                Match.objectLike({ IPSetReferenceStatement: Match.objectLike({ IPSetForwardedIPConfig: forwarded }) }),
              ),
            },
          },
        }),
      ],
    });
  });

  it(
    'uses one statement, not an OR, when the pool has one set',
    () => {
      const config = fullConfig() as { allowlists: { wafIpSets?: unknown }[] };
      config.allowlists[0]!.wafIpSets = { scope: 'REGIONAL', setsPerFamily: { ipv4: 1, ipv6: 0 }, ruleGroup: {} };
      (config as unknown as { environments: unknown }).environments = [
        { name: 'one', account: '111122223333', region: 'eu-west-1' },
      ];
      const template = synth(config).template;
      template.hasResourceProperties('AWS::WAFv2::RuleGroup', {
        Capacity: 1,
        Rules: [Match.objectLike({ Statement: { IPSetReferenceStatement: { Arn: Match.anyValue() } } })],
      });
      template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    },
    LONG,
  );

  it('puts the rule group in a web ACL whose default action is Block', () => {
    full.hasResourceProperties('AWS::WAFv2::WebACL', {
      DefaultAction: { Block: {} },
      Rules: [
        Match.objectLike({
          OverrideAction: { None: {} },
          Statement: { RuleGroupReferenceStatement: Match.anyValue() },
        }),
      ],
      VisibilityConfig: Match.objectLike({ CloudWatchMetricsEnabled: true }),
    });
  });

  it('declares prefix lists with no entries and the configured MaxEntries, shared through RAM as configured', () => {
    const lists = Object.values(full.findResources('AWS::EC2::PrefixList'));
    expect(lists.map((l) => [l.Properties.AddressFamily, l.Properties.MaxEntries])).toEqual([
      ['IPv4', 50],
      ['IPv6', 20],
    ]);
    for (const list of lists) expect(list.Properties).not.toHaveProperty('Entries');
    full.resourceCountIs('AWS::RAM::ResourceShare', 1);
    full.hasResourceProperties('AWS::RAM::ResourceShare', {
      Principals: ['arn:aws:organizations::111122223333:organization/o-abcdefghij'],
      AllowExternalPrincipals: false,
      ResourceArns: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('PrefixListV4'), 'Arn'] }],
    });
  });
});
