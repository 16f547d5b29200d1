/**
 * Per-environment settings: each environment runs named allowlists with its own ids and overrides the top-level
 * defaults (lib/resolve-environment.ts). Resolution, every refusal with its full path, value and fix, and the sample
 * config's three stacks synthesized.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambda/core/errors';
import { parseDeploymentConfig } from '../../lib/deployment-config';
import { resolveEnvironment } from '../../lib/resolve-environment';
import { sampleConfig, synthAll } from './synth';

const LONG = 300_000;
// biome-ignore lint/suspicious/noExplicitAny: test configs are edited as plain JSON
type Json = any;

const KEY_A = 'arn:aws:kms:eu-west-1:111122223333:key/aaaaaaaa-1111-2222-3333-444444444444';
const KEY_B = 'arn:aws:kms:eu-west-1:222233334444:key/bbbbbbbb-1111-2222-3333-444444444444';

function sample(change?: (config: Json) => void): Json {
  const config = structuredClone(sampleConfig()) as Json;
  change?.(config);
  return config;
}

function issuesOf(value: unknown): string[] {
  try {
    parseDeploymentConfig(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).issues];
  }
  throw new Error('expected a ConfigError');
}

describe('resolving an environment', () => {
  const config = parseDeploymentConfig(sampleConfig());

  it('gives prod its VPC, the default share and the top-level schedule and alarm e-mail', () => {
    const prod = resolveEnvironment(config, 'prod');
    expect(prod.allowlists.map((a) => a.name)).toEqual(['partners', 'github-hooks']);
    expect(prod.allowlists[0]!.securityGroups?.create?.vpcId).toBe('vpc-0123456789abcdef0');
    expect(prod.allowlists[1]!.prefixLists?.ipv4?.share?.accounts).toEqual(['444455556666']);
    expect([prod.scheduleMinutes, prod.alarmEmail, prod.quotaHeadroomAlarmBelow]).toEqual([
      15,
      'platform-oncall@example.com',
      10,
    ]);
  });

  it('gives staging its own VPC, RAM principals, KMS key, group ids, schedule and alarm e-mail', () => {
    const staging = resolveEnvironment(config, 'staging');
    const [partners, hooks, office] = staging.allowlists;
    expect(staging.allowlists.map((a) => a.name)).toEqual(['partners', 'github-hooks', 'office-vpn']);
    expect(partners!.securityGroups?.create?.vpcId).toBe('vpc-0fedcba9876543210');
    expect(partners!.securityGroups?.create?.count).toBe(2);
    expect(hooks!.prefixLists?.ipv4?.share?.accounts).toEqual(['555566667777']);
    expect(hooks!.prefixLists?.ipv4?.maxEntries).toBe(20);
    expect(office!.kmsKeyArns).toEqual(['arn:aws:kms:eu-west-1:222233334444:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d']);
    expect(office!.securityGroups?.existing?.groupIds).toEqual(['sg-0bbbbbbbbbbbbbbb1']);
    expect([staging.scheduleMinutes, staging.alarmEmail]).toEqual([60, 'platform-staging@example.com']);
  });

  it('gives the us-east-1 environment CLOUDFRONT sets, leaving the definition REGIONAL for the others', () => {
    const edge = resolveEnvironment(config, 'edge');
    expect(edge.allowlists.map((a) => [a.name, a.wafIpSets?.scope])).toEqual([
      ['partners', 'CLOUDFRONT'],
      ['office-vpn', undefined],
    ]);
    expect(resolveEnvironment(config, 'prod').allowlists[0]!.wafIpSets?.scope).toBe('REGIONAL');
    expect(config.allowlists[0]!.wafIpSets?.scope).toBe('REGIONAL');
  });

  it('runs every allowlist with its own values where an environment names none (configs from before)', () => {
    const old = parseDeploymentConfig({
      environments: [{ name: 'prod', account: '111122223333', region: 'eu-west-1' }],
      alarmEmail: 'a@example.com',
      allowlists: sample().allowlists.slice(1, 2),
    });
    const prod = resolveEnvironment(old, 'prod');
    expect(prod.allowlists).toEqual(old.allowlists);
    expect(prod.alarmEmail).toBe('a@example.com');
  });

  it('replaces an array, never concatenates it, and removes a share given as null', () => {
    const config = parseDeploymentConfig(
      sample((c) => {
        c.allowlists[1].kmsKeyArns = [KEY_A];
        c.environments[1].allowlists['github-hooks'] = {
          kmsKeyArns: [KEY_B],
          prefixLists: { ipv4: { share: null } },
        };
      }),
    );
    const hooks = resolveEnvironment(config, 'staging').allowlists[1]!;
    expect(hooks.kmsKeyArns).toEqual([KEY_B]);
    expect(hooks.prefixLists?.ipv4).toEqual({ maxEntries: 20 });
    expect(resolveEnvironment(config, 'prod').allowlists[1]!.kmsKeyArns).toEqual([KEY_A]);
  });

  it('names the environments when asked for one that does not exist', () => {
    expect(() => resolveEnvironment(config, 'qa')).toThrow(
      /no environment "qa"; the environments are "prod", "staging", "edge"/,
    );
  });

  it('passes credential binding options only to environments whose allowlists bind a credential', () => {
    const bound = parseDeploymentConfig(
      sample((c) => {
        c.allowlists[0].wafIpSets.credential = { header: 'x-client-id', exactly: 'acme', clientAddress: 'connection' };
        c.credentialBinding = { webAcl: 'allow-others' };
      }),
    );
    expect(resolveEnvironment(bound, 'staging').credentialBinding).toEqual({ webAcl: 'allow-others' });
    expect(resolveEnvironment(bound, 'edge').credentialBinding).toEqual({ webAcl: 'allow-others' });
    const withoutPartners = parseDeploymentConfig(
      sample((c) => {
        c.allowlists[0].wafIpSets.credential = { header: 'x-client-id', exactly: 'acme', clientAddress: 'connection' };
        c.credentialBinding = { webAcl: 'allow-others' };
        delete c.environments[0].allowlists.partners;
      }),
    );
    expect(resolveEnvironment(withoutPartners, 'prod').credentialBinding).toBeUndefined();
  });
});

describe('refusals, each at its full path with the value and the fix', () => {
  it.each([
    [
      'a VPC id that neither the environment nor the definition gives',
      (c: Json) => delete c.environments[1].allowlists.partners.securityGroups,
      'environments[1].allowlists.partners.securityGroups.create.vpcId: allowlist "partners" creates security groups and gives no default "vpcId" (allowlists[0].securityGroups.create): give environment "staging"\'s VPC here, like "vpc-0123456789abcdef0"',
    ],
    [
      'a VPC id missing for an environment that runs every allowlist',
      (c: Json) => delete c.environments[0].allowlists,
      'environments[0].allowlists.partners.securityGroups.create.vpcId: allowlist "partners" creates security groups and gives no default "vpcId"',
    ],
    [
      'existing group ids nobody gives',
      (c: Json) => delete c.environments[2].allowlists['office-vpn'].securityGroups,
      'environments[2].allowlists.office-vpn.securityGroups.existing.groupIds: allowlist "office-vpn" manages existing security groups and gives no default "groupIds" (allowlists[2].securityGroups.existing): give environment "edge"\'s group ids here, like ["sg-0123456789abcdef0"]',
    ],
    [
      'an allowlist that is not defined',
      (c: Json) => {
        c.environments[0].allowlists.partnrs = {};
      },
      'environments[0].allowlists.partnrs: environment "prod" runs allowlist "partnrs", which is not defined; the allowlists are "partners", "github-hooks", "office-vpn": fix the name, or define "partnrs" under "allowlists"',
    ],
    [
      'a value for a filter the allowlist does not have',
      (c: Json) => {
        c.environments[0].allowlists['github-hooks'] = {
          securityGroups: { create: { vpcId: 'vpc-0123456789abcdef0' } },
        };
      },
      'environments[0].allowlists.github-hooks.securityGroups.create: allowlist "github-hooks" has no security groups to create (allowlists[1].securityGroups.create), so environment "prod" has nothing to give a value for: remove "securityGroups.create" here, or add it to the allowlist',
    ],
    [
      'a share of a prefix list the allowlist does not have',
      (c: Json) => {
        c.environments[1].allowlists['office-vpn'].prefixLists = { ipv6: { share: { accounts: ['555566667777'] } } };
      },
      'environments[1].allowlists.office-vpn.prefixLists.ipv6: allowlist "office-vpn" has no ipv6 prefix list (allowlists[2].prefixLists.ipv6)',
    ],
    [
      'CLOUDFRONT given by an environment outside us-east-1',
      (c: Json) => {
        c.environments[1].allowlists.partners.wafIpSets = { scope: 'CLOUDFRONT' };
      },
      'environments[1].allowlists.partners.wafIpSets.scope: CLOUDFRONT IP sets exist only in us-east-1, but environment "staging" is in eu-west-1: use "REGIONAL" here, or leave "partners" out of this environment',
    ],
    [
      'a CLOUDFRONT definition run outside us-east-1',
      (c: Json) => {
        c.allowlists[0].wafIpSets.scope = 'CLOUDFRONT';
      },
      'allowlists[0].wafIpSets.scope: CLOUDFRONT IP sets exist only in us-east-1, but environment "prod" is in eu-west-1: give "wafIpSets": { "scope": "REGIONAL" } at environments[0].allowlists.partners, or leave "partners" out of this environment',
    ],
    [
      'staging sharing its prefix list with itself',
      (c: Json) => {
        c.environments[1].allowlists['github-hooks'].prefixLists.ipv4.share.accounts = ['555566667777', '222233334444'];
      },
      'environments[1].allowlists.github-hooks.prefixLists.ipv4.share.accounts[1]: environment "staging" is account 222233334444, which owns the ipv4 prefix list of "github-hooks": a RAM share is for other accounts; give this environment its own principals at environments[1].allowlists.github-hooks.prefixLists.ipv4.share (null for no share there)',
    ],
    [
      "a default share with an environment's own account",
      (c: Json) => {
        c.allowlists[1].prefixLists.ipv4.share.accounts = ['111122223333'];
      },
      'allowlists[1].prefixLists.ipv4.share.accounts[0]: environment "prod" is account 111122223333, which owns the ipv4 prefix list of "github-hooks"',
    ],
    [
      'two environments with one name',
      (c: Json) => {
        c.environments[2].name = 'prod';
      },
      'environments[2].name: duplicate environment "prod": the name is its stack\'s, AllowlistSync-<name>; give each a name of its own',
    ],
    [
      'two allowlists with one name',
      (c: Json) => {
        c.allowlists[2].name = 'partners';
        delete c.environments[1].allowlists['office-vpn'];
        delete c.environments[2].allowlists['office-vpn'];
      },
      'allowlists[2].name: duplicate allowlist "partners": the name is the owner tag of every rule it writes; give each a name of its own',
    ],
    [
      'two environments in one account and Region that run the same allowlist',
      (c: Json) => {
        c.environments[2].region = 'eu-west-1';
        c.environments[2].allowlists.partners.wafIpSets.scope = 'REGIONAL';
      },
      'environments[2]: environments "prod" and "edge" are both account 111122223333 in eu-west-1 and both run "partners": their functions would share the SSM parameters /allowlist-sync/partners/lock and /generation',
    ],
    [
      'an environment that runs no allowlist',
      (c: Json) => {
        c.environments[0].allowlists = {};
      },
      'environments[0].allowlists: environment "prod" runs no allowlist: name at least one of "partners", "github-hooks", "office-vpn", or leave "allowlists" out to run them all',
    ],
    [
      'a field an environment cannot give',
      (c: Json) => {
        c.environments[1].allowlists.partners.securityGroups.create.count = 4;
      },
      'environments[1].allowlists.partners.securityGroups.create: Unrecognized key: "count": an environment gives only kmsKeyArns, securityGroups.create.vpcId, securityGroups.existing.groupIds, wafIpSets.scope, prefixLists.ipv4.share and prefixLists.ipv6.share; the rest is the allowlist\'s, the same in every environment',
    ],
  ])('refuses %s', (_what, change, expected) => {
    const issues = issuesOf(sample(change));
    expect(
      issues.some((i) => i.startsWith(expected)),
      `${expected}\nnot in:\n${issues.join('\n')}`,
    ).toBe(true);
  });

  it('lists every problem at once: the schema refusals and the rules over what did parse', () => {
    const issues = issuesOf(
      sample((c) => {
        c.environments[0].account = '1234';
        c.environments[1].allowlists.partners = {};
        c.environments[1].allowlists['github-hooks'].prefixLists.ipv4.share.accounts = ['222233334444'];
        c.environments[2].allowlists.partners.wafIpSets.scope = 'CLOUDFLARE';
        c.allowlists[2].sources = [];
      }),
    );
    expect(issues.map((i) => i.slice(0, i.indexOf(': ')))).toEqual([
      'environments[0].account',
      'environments[2].allowlists.partners.wafIpSets.scope',
      'allowlists[2].sources',
      'environments[1].allowlists.partners.securityGroups.create.vpcId',
      'environments[1].allowlists.github-hooks.prefixLists.ipv4.share.accounts[0]',
    ]);
  });

  it.each([
    ['null', null, ['(root): Invalid input: expected object, received null']],
    ['a list', [], ['(root): Invalid input: expected object, received array']],
    [
      'environments that are not a list',
      { environments: { prod: {} }, allowlists: [] },
      [
        'environments: Invalid input: expected array, received object',
        'allowlists: Too small: expected array to have >=1 items',
      ],
    ],
  ])("refuses %s with the schema's words, and no rule trips over it", (_what, value, expected) => {
    expect(issuesOf(value)).toEqual(expected);
  });

  it('accepts one credential bound by two allowlists that are never in one scope in one environment', () => {
    const credential = { header: 'x-client-id', exactly: 'acme', clientAddress: 'connection' };
    const config = sample((c) => {
      c.allowlists[0].wafIpSets.credential = credential;
      c.allowlists[3] = {
        name: 'acme-edge',
        sources: [{ kind: 'ssm', name: '/allowlists/acme' }],
        wafIpSets: { scope: 'CLOUDFRONT', setsPerFamily: { ipv4: 1 }, credential },
      };
      c.environments[2].allowlists['acme-edge'] = {};
      c.environments[2].allowlists.partners.wafIpSets.scope = 'REGIONAL';
    });
    expect(resolveEnvironment(parseDeploymentConfig(config), 'edge').allowlists.map((a) => a.name)).toEqual([
      'partners',
      'office-vpn',
      'acme-edge',
    ]);
  });

  it('refuses the same credential bound twice in one scope, in the environment where that happens', () => {
    const credential = { header: 'x-client-id', exactly: 'acme', clientAddress: 'connection' };
    const issues = issuesOf(
      sample((c) => {
        c.allowlists[0].wafIpSets.credential = credential;
        c.allowlists[3] = {
          name: 'acme-edge',
          sources: [{ kind: 'ssm', name: '/allowlists/acme' }],
          wafIpSets: { scope: 'CLOUDFRONT', setsPerFamily: { ipv4: 1 }, credential },
        };
        c.environments[2].allowlists['acme-edge'] = {};
      }),
    );
    expect(issues).toEqual([
      'allowlists[3].wafIpSets.credential: allowlists "partners" and "acme-edge" bind the same credential (header "x-client-id", "acme"): a request carrying it could not say whose list judges it; give each partner its own key prefix or key id (environment "edge")',
    ]);
  });

  it('says a problem of several environments once, naming them all', () => {
    const issues = issuesOf(
      sample((c) => {
        c.allowlists[0].wafIpSets.ruleGroup = { forwardedIp: { headerName: 'X-Forwarded-For', position: 'LAST' } };
        c.allowlists[0].wafIpSets.credential = { header: 'x-client-id', exactly: 'acme', clientAddress: 'connection' };
      }),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(
      /^allowlists\[0\]\.wafIpSets\.credential\.clientAddress: the allow rule group of "partners" reads .* \(environments "prod", "staging", "edge"\)$/,
    );
  });
});

describe('the sample config synthesized, one stack per environment', () => {
  let stacks: Record<string, Template>;
  beforeAll(() => {
    stacks = Object.fromEntries(
      synthAll(sampleConfig()).map((s) => [s.stackName, Template.fromJSON(s.template as Json)]),
    );
  }, LONG);

  it('creates the three stacks', () => {
    expect(Object.keys(stacks)).toEqual(['AllowlistSync-prod', 'AllowlistSync-staging', 'AllowlistSync-edge']);
  });

  it("puts each environment's security groups in its own VPC", () => {
    const vpcs = (name: string) =>
      Object.values(stacks[name]!.findResources('AWS::EC2::SecurityGroup')).map((g) => g.Properties.VpcId);
    expect(vpcs('AllowlistSync-prod')).toEqual(['vpc-0123456789abcdef0', 'vpc-0123456789abcdef0']);
    expect(vpcs('AllowlistSync-staging')).toEqual(['vpc-0fedcba9876543210', 'vpc-0fedcba9876543210']);
    expect(vpcs('AllowlistSync-edge')).toEqual(['vpc-0aaaaaaaaaaaaaaa1', 'vpc-0aaaaaaaaaaaaaaa1']);
  });

  it("shares each environment's prefix list with its own principals", () => {
    const principals = (name: string) =>
      Object.values(stacks[name]!.findResources('AWS::RAM::ResourceShare')).map((s) => s.Properties.Principals);
    expect(principals('AllowlistSync-prod')).toEqual([['444455556666']]);
    expect(principals('AllowlistSync-staging')).toEqual([['555566667777']]);
    expect(principals('AllowlistSync-edge')).toEqual([]);
  });

  it('creates CLOUDFRONT WAF resources in us-east-1 only, REGIONAL ones elsewhere', () => {
    const scopes = (name: string) => [
      ...new Set(
        ['AWS::WAFv2::IPSet', 'AWS::WAFv2::RuleGroup', 'AWS::WAFv2::WebACL'].flatMap((type) =>
          Object.values(stacks[name]!.findResources(type)).map((r) => r.Properties.Scope),
        ),
      ),
    ];
    expect(scopes('AllowlistSync-prod')).toEqual(['REGIONAL']);
    expect(scopes('AllowlistSync-staging')).toEqual(['REGIONAL']);
    expect(scopes('AllowlistSync-edge')).toEqual(['CLOUDFRONT']);
  });

  it("gives staging its schedule, alarm e-mail and KMS key, and prod neither of the latter's", () => {
    stacks['AllowlistSync-staging']!.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
    });
    stacks['AllowlistSync-prod']!.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
    });
    stacks['AllowlistSync-staging']!.hasResourceProperties('AWS::SNS::Subscription', {
      Endpoint: 'platform-staging@example.com',
    });
    stacks['AllowlistSync-staging']!.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Resource: 'arn:aws:kms:eu-west-1:222233334444:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d',
          }),
        ]),
      },
    });
    expect(JSON.stringify(stacks['AllowlistSync-prod']!.toJSON())).not.toMatch(/:kms:|222233334444/);
  });

  it("writes staging's existing group ids into its function's RuntimeConfig", () => {
    // The RuntimeConfig is one SSM parameter per allowlist (docs/runtime-config-delivery.md).
    const parameters = stacks['AllowlistSync-staging']!.findResources('AWS::SSM::Parameter');
    const text = JSON.stringify(parameters);
    expect(text).toContain('sg-0bbbbbbbbbbbbbbb1');
    expect(JSON.stringify(stacks['AllowlistSync-edge']!.toJSON())).not.toContain('sg-0bbbbbbbbbbbbbbb1');
  });
});
