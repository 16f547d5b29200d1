import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeManagedPrefixListsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  EC2ServiceException,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OWNER_TAG_KEY, parseRuntimeConfigJson } from '../../lambda/config';
import {
  ApplyDeadlineError,
  SecurityGroupDriver,
  SecurityGroupNotFoundError,
} from '../../lambda/targets/security-group';
import { type ApplyContext, StateConflictError } from '../../lambda/targets/types';
import { ALLOWLIST, desired, pool } from '../core/security-group-model';
import { FakeEc2 } from '../fakes';

const A = 'sg-0000000a';
const B = 'sg-0000000b';
const context: ApplyContext = { sleep: async () => {}, now: () => 0, deadline: Number.POSITIVE_INFINITY };

function ec2Error(name: string): EC2ServiceException {
  return new EC2ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message: name });
}

describe('SecurityGroupDriver with aws-sdk-client-mock', () => {
  const client = new EC2Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const ec2 = mockClient(client);
  beforeEach(() => ec2.reset());
  afterEach(() => ec2.reset());

  const groupsExist = (...ids: string[]) =>
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: ids.map((GroupId) => ({ GroupId })) });

  it('observes every page of ingress rules of the pool, canonical, skipping egress, with the owner tag read', async () => {
    groupsExist(A, B);
    ec2
      .on(DescribeSecurityGroupRulesCommand)
      .resolvesOnce({
        SecurityGroupRules: [
          {
            SecurityGroupRuleId: 'sgr-1',
            GroupId: A,
            IsEgress: false,
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
            CidrIpv4: '100.68.0.18/18',
            Tags: [{ Key: OWNER_TAG_KEY, Value: ALLOWLIST }],
            Description: 'allowlist-sync:partners',
          },
          { SecurityGroupRuleId: 'sgr-2', GroupId: A, IsEgress: true, IpProtocol: '-1', CidrIpv4: '0.0.0.0/0' },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        SecurityGroupRules: [
          {
            SecurityGroupRuleId: 'sgr-3',
            GroupId: B,
            IsEgress: false,
            IpProtocol: 'tcp',
            FromPort: 22,
            ToPort: 22,
            CidrIpv6: '2001:DB8:0:0::/32',
          },
        ],
      });
    const driver = new SecurityGroupDriver(pool([A, B]), ALLOWLIST, { ec2: client });
    const observed = await driver.observe();
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand).map((c) => c.args[0].input)).toEqual([{ GroupIds: [A, B] }]);
    expect(ec2.commandCalls(DescribeSecurityGroupRulesCommand).map((c) => c.args[0].input)).toEqual([
      { Filters: [{ Name: 'group-id', Values: [A, B] }], MaxResults: 1000 },
      { Filters: [{ Name: 'group-id', Values: [A, B] }], MaxResults: 1000, NextToken: 'page-2' },
    ]);
    expect(observed.rules).toEqual([
      {
        ruleId: 'sgr-1',
        groupId: A,
        protocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        cidr: '100.68.0.0/18',
        owner: ALLOWLIST,
        description: 'allowlist-sync:partners',
      },
      { ruleId: 'sgr-3', groupId: B, protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '2001:db8::/32' },
    ]);
    expect(observed.prefixLists).toBeUndefined();
  });

  it('reads the MaxEntries of referenced prefix lists, which is what a reference costs in quota', async () => {
    groupsExist(A, B);
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({
      SecurityGroupRules: [
        {
          SecurityGroupRuleId: 'sgr-1',
          GroupId: A,
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          PrefixListId: 'pl-1',
        },
        {
          SecurityGroupRuleId: 'sgr-2',
          GroupId: A,
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          ReferencedGroupInfo: { GroupId: 'sg-0000000f' },
        },
      ],
    });
    ec2.on(DescribeManagedPrefixListsCommand).resolves({
      PrefixLists: [{ PrefixListId: 'pl-1', AddressFamily: 'IPv4', MaxEntries: 59 }],
    });
    const driver = new SecurityGroupDriver(pool([A, B]), ALLOWLIST, { ec2: client });
    const observed = await driver.observe();
    expect(ec2.commandCalls(DescribeManagedPrefixListsCommand)[0]?.args[0].input).toEqual({ PrefixListIds: ['pl-1'] });
    expect(observed.prefixLists?.get('pl-1')).toEqual({ family: 4, maxEntries: 59 });
    // 59 + the group reference = 60 IPv4 rules: group A is full, so the new prefix goes to group B.
    const plan = driver.plan(desired(['10.0.0.0/24']), observed);
    expect(plan.writes.map((w) => [w.action, w.groupId])).toEqual([['authorize', B]]);
    expect(plan.drift.map((d) => d.cidr)).toEqual(['pl-1', 'sg-0000000f']);
  });

  it('names every group of the pool that EC2 says does not exist, and reads no rule of the pool', async () => {
    const C = 'sg-0000000c';
    ec2
      .on(DescribeSecurityGroupsCommand)
      .rejects(ec2Error('InvalidGroup.NotFound'))
      .on(DescribeSecurityGroupsCommand, { GroupIds: [A] })
      .resolves({ SecurityGroups: [{ GroupId: A }] });
    const driver = new SecurityGroupDriver(pool([A, B, C]), ALLOWLIST, { ec2: client });
    const error = await driver.observe().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecurityGroupNotFoundError);
    expect(error).toMatchObject({ missing: [B, C], targetId: `security-groups:${A},${B},${C}` });
    expect((error as Error).message).toContain(`security groups ${B}, ${C} of the pool do not exist`);
    expect((error as Error).message).toContain('correct the group id');
    // The pool, then each id alone to find which are missing.
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand).map((c) => c.args[0].input.GroupIds)).toEqual([
      [A, B, C],
      [A],
      [B],
      [C],
    ]);
    expect(ec2.commandCalls(DescribeSecurityGroupRulesCommand)).toHaveLength(0);
  });

  it('treats a group left out of the DescribeSecurityGroups answer as missing too', async () => {
    groupsExist(A);
    const driver = new SecurityGroupDriver(pool([A, B]), ALLOWLIST, { ec2: client });
    await expect(driver.observe()).rejects.toMatchObject({ name: 'SecurityGroupNotFoundError', missing: [B] });
  });

  it('lets any other DescribeSecurityGroups error propagate unchanged', async () => {
    ec2.on(DescribeSecurityGroupsCommand).rejects(ec2Error('UnauthorizedOperation'));
    const driver = new SecurityGroupDriver(pool([A]), ALLOWLIST, { ec2: client });
    await expect(driver.observe()).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(1);
  });

  it('sends one tagged authorize per group, then one revoke by rule ids, in that order', async () => {
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    const target = pool([A], {
      ports: [
        { protocol: 'tcp', from: 443, to: 443 },
        { protocol: 'udp', from: 53, to: 53 },
      ],
    });
    const driver = new SecurityGroupDriver(target, ALLOWLIST, { ec2: client });
    const owned = (id: string, port: number, protocol: string) => ({
      ruleId: id,
      groupId: A,
      protocol,
      fromPort: port,
      toPort: port,
      cidr: desired(['10.0.0.0/24']).cidrs[4][0]!,
      owner: ALLOWLIST,
    });
    const plan = driver.plan(
      desired(['10.0.0.0/25', '10.0.0.128/26', '2001:db8::/32'], { '2001:db8::/32': { owner: 'acme' } }),
      {
        rules: [owned('sgr-1', 443, 'tcp'), owned('sgr-2', 53, 'udp')],
      },
    );
    await expect(driver.apply(plan, context)).resolves.toEqual({ writeCalls: 2 });
    const calls = ec2.calls().map((c) => [c.args[0].constructor.name, c.args[0].input]);
    const tag = [{ ResourceType: 'security-group-rule', Tags: [{ Key: OWNER_TAG_KEY, Value: ALLOWLIST }] }];
    const marker = 'allowlist-sync:partners';
    const v4 = [
      { CidrIp: '10.0.0.0/25', Description: marker },
      { CidrIp: '10.0.0.128/26', Description: marker },
    ];
    const v6 = [{ CidrIpv6: '2001:db8::/32', Description: `${marker} - acme` }];
    expect(calls).toEqual([
      [
        'AuthorizeSecurityGroupIngressCommand',
        {
          GroupId: A,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: v4, Ipv6Ranges: v6 },
            { IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: v4, Ipv6Ranges: v6 },
          ],
          TagSpecifications: tag,
        },
      ],
      ['RevokeSecurityGroupIngressCommand', { GroupId: A, SecurityGroupRuleIds: ['sgr-1', 'sgr-2'] }],
    ]);
  });

  it.each(['InvalidPermission.Duplicate', 'InvalidPermission.NotFound', 'InvalidSecurityGroupRuleId.NotFound'])(
    'raises StateConflictError on %s and makes no further call',
    async (code) => {
      ec2.on(AuthorizeSecurityGroupIngressCommand).rejects(ec2Error(code));
      ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
      const driver = new SecurityGroupDriver(pool([A, B]), ALLOWLIST, { ec2: client });
      const plan = driver.plan(desired(['10.0.0.0/24']), {
        rules: [
          {
            ruleId: 'sgr-9',
            groupId: A,
            protocol: 'tcp',
            fromPort: 443,
            toPort: 443,
            owner: ALLOWLIST,
            cidr: desired(['10.9.0.0/16']).cidrs[4][0]!,
          },
        ],
      });
      const error = await driver.apply(plan, context).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StateConflictError);
      expect(error).toMatchObject({ awsError: code, targetId: `security-groups:${A},${B}` });
      expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(0);
    },
  );

  it.each(['RequestLimitExceeded', 'InternalError', 'RulesPerSecurityGroupLimitExceeded', 'UnauthorizedOperation'])(
    'lets %s propagate unchanged (the target fails; the next run converges)',
    async (code) => {
      ec2.on(AuthorizeSecurityGroupIngressCommand).rejects(ec2Error(code));
      const driver = new SecurityGroupDriver(pool([A]), ALLOWLIST, { ec2: client });
      const plan = driver.plan(desired(['10.0.0.0/24']), { rules: [] });
      await expect(driver.apply(plan, context)).rejects.toMatchObject({ name: code });
    },
  );

  it('stops before a write once the deadline has passed', async () => {
    const driver = new SecurityGroupDriver(pool([A]), ALLOWLIST, { ec2: client });
    const plan = driver.plan(desired(['10.0.0.0/24']), { rules: [] });
    await expect(driver.apply(plan, { ...context, now: () => 2, deadline: 1 })).rejects.toBeInstanceOf(
      ApplyDeadlineError,
    );
    expect(ec2.calls()).toHaveLength(0);
  });
});

describe('SecurityGroupDriver against FakeEc2', () => {
  async function sync(driver: SecurityGroupDriver, want: ReturnType<typeof desired>) {
    const plan = driver.plan(want, await driver.observe());
    await driver.apply(plan, context);
    return plan;
  }

  it('converges in one run, keeps every partner admitted while a /24 splits, and then writes nothing', async () => {
    const fake = new FakeEc2({ rulesPerGroup: { ipv4: 60, ipv6: 60 } });
    const a = fake.createSecurityGroup();
    const b = fake.createSecurityGroup();
    fake.seedRule(a, { protocol: 'tcp', fromPort: 443, cidr: '10.0.0.0/24', tags: { [OWNER_TAG_KEY]: ALLOWLIST } });
    fake.seedRule(a, { protocol: 'tcp', fromPort: 443, cidr: '192.0.2.0/24', description: 'hand-made' });
    const driver = new SecurityGroupDriver(pool([a, b]), ALLOWLIST, { ec2: fake.client });
    const admitted: string[][] = [];
    fake.onWrite((view) =>
      admitted.push([...view.admitted([a, b], { protocol: 'tcp', fromPort: 443, toPort: 443 }, 4)].sort()),
    );

    const plan = await sync(driver, desired(['10.0.0.0/25', '10.0.0.128/26']));
    expect(plan.drift).toEqual([{ resource: a, cidr: '192.0.2.0/24', ports: 'tcp 443-443', description: 'hand-made' }]);
    // After the authorize, the /24 and both new prefixes; after the revoke, only the new ones (and the unowned rule).
    expect(admitted).toEqual([
      ['10.0.0.0/24', '10.0.0.0/25', '10.0.0.128/26', '192.0.2.0/24'],
      ['10.0.0.0/25', '10.0.0.128/26', '192.0.2.0/24'],
    ]);
    expect(fake.rules(a).find((r) => r.cidr === '10.0.0.0/25')?.tags).toEqual({ [OWNER_TAG_KEY]: ALLOWLIST });
    expect(fake.callsOf('AuthorizeSecurityGroupIngress')).toHaveLength(1);
    expect(fake.callsOf('RevokeSecurityGroupIngress')).toHaveLength(1);

    const writesBefore = fake.writes().length;
    const again = await sync(driver, desired(['10.0.0.0/25', '10.0.0.128/26']));
    expect(again.writes).toEqual([]);
    expect(fake.writes()).toHaveLength(writesBefore);
  });

  it('raises StateConflictError when a rule appears between observe and apply, and converges after re-planning', async () => {
    const fake = new FakeEc2();
    const a = fake.createSecurityGroup();
    const driver = new SecurityGroupDriver(pool([a]), ALLOWLIST, { ec2: fake.client });
    const want = desired(['10.0.0.0/24', '10.0.1.0/24']);
    const plan = driver.plan(want, await driver.observe());
    fake.seedRule(a, { protocol: 'tcp', fromPort: 443, cidr: '10.0.1.0/24' });
    await expect(driver.apply(plan, context)).rejects.toMatchObject({
      name: 'StateConflictError',
      awsError: 'InvalidPermission.Duplicate',
    });
    const replan = await sync(driver, want);
    expect(replan.shadowed.map((s) => s.cidr)).toEqual(['10.0.1.0/24']);
    expect(
      fake
        .rules(a)
        .map((r) => r.cidr)
        .sort(),
    ).toEqual(['0.0.0.0/0', '10.0.0.0/24', '10.0.1.0/24']);
  });

  it('raises StateConflictError when a rule it revokes is already gone', async () => {
    const fake = new FakeEc2();
    const a = fake.createSecurityGroup();
    const tags = { [OWNER_TAG_KEY]: ALLOWLIST };
    fake.seedRule(a, { protocol: 'tcp', fromPort: 443, cidr: '10.0.0.0/24', tags });
    fake.seedRule(a, { protocol: 'tcp', fromPort: 443, cidr: '10.0.1.0/24', tags });
    const driver = new SecurityGroupDriver(pool([a]), ALLOWLIST, { ec2: fake.client });
    const plan = driver.plan(desired(['10.0.1.0/24']), await driver.observe());
    expect(plan.writes.map((w) => w.action)).toEqual(['revoke']);
    // Another run revokes it first.
    await new SecurityGroupDriver(pool([a]), ALLOWLIST, { ec2: fake.client }).apply(plan, context);
    await expect(driver.apply(plan, context)).rejects.toMatchObject({
      name: 'StateConflictError',
      awsError: 'InvalidSecurityGroupRuleId.NotFound',
    });
  });

  it('fails observe for a pool with a group that does not exist, naming it, before any rule is read', async () => {
    const fake = new FakeEc2();
    const a = fake.createSecurityGroup();
    const typo = 'sg-0000000000000beef';
    const driver = new SecurityGroupDriver(pool([a, typo]), ALLOWLIST, { ec2: fake.client });
    await expect(driver.observe()).rejects.toMatchObject({ name: 'SecurityGroupNotFoundError', missing: [typo] });
    expect(fake.calls.map((c) => c.command)).not.toContain('DescribeSecurityGroupRules');
    expect(fake.writes()).toHaveLength(0);
  });

  it('lets a persistent throttle propagate after the SDK retries, leaving the pool as it was', async () => {
    const fake = new FakeEc2();
    const a = fake.createSecurityGroup();
    fake.inject({ command: 'AuthorizeSecurityGroupIngress', fault: 'throttle', times: 5 });
    const driver = new SecurityGroupDriver(pool([a]), ALLOWLIST, { ec2: fake.client });
    await expect(sync(driver, desired(['10.0.0.0/24']))).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
    expect(fake.rules(a).filter((r) => !r.isEgress)).toEqual([]);
  });

  it('fills a pool at its quota exactly and refuses one prefix more without writing', async () => {
    const fake = new FakeEc2({ rulesPerGroup: { ipv4: 5, ipv6: 5 } });
    const groups = [fake.createSecurityGroup(), fake.createSecurityGroup()];
    const driver = new SecurityGroupDriver(pool(groups, { ipv4: 5 }), ALLOWLIST, { ec2: fake.client });
    const cidrs = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${i}.0/24`);
    const full = await sync(driver, desired(cidrs(10)));
    expect(full.capacity.fits).toBe(true);
    expect(groups.map((g) => fake.ingressCount(g, 4))).toEqual([5, 5]);
    const writes = fake.writes().length;
    const over = await sync(driver, desired(cidrs(11)));
    expect(over.capacity).toMatchObject({ fits: false });
    expect(over.capacity.advice).toContain('add 1 security group(s) to the pool (3 needed, 2 configured)');
    expect(fake.writes()).toHaveLength(writes);
  });
});

describe('the README section on security groups', () => {
  it('shows a configuration example that the RuntimeConfig schema accepts', () => {
    const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    const doc = readme.slice(readme.indexOf('## Security groups'), readme.indexOf('## WAF IP sets'));
    const json = /```json\n([\s\S]*?)```/.exec(doc)?.[1];
    const config = parseRuntimeConfigJson(json ?? '');
    expect(config.allowlists[0]?.targets[0]).toMatchObject({ kind: 'security-groups', rulesPerGroup: { ipv4: 60 } });
  });
});
