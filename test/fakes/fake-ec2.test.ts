import {
  AuthorizeSecurityGroupIngressCommand,
  type AuthorizeSecurityGroupIngressCommandInput,
  DescribeManagedPrefixListsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2ServiceException,
  GetManagedPrefixListEntriesCommand,
  type IpPermission,
  ModifyManagedPrefixListCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { FakeEc2, SimulatedCrash } from './index';

const tcp443 = (cidrs: string[], description?: string): IpPermission => ({
  IpProtocol: 'tcp',
  FromPort: 443,
  ToPort: 443,
  IpRanges: cidrs.filter((c) => !c.includes(':')).map((CidrIp) => ({ CidrIp, Description: description })),
  Ipv6Ranges: cidrs.filter((c) => c.includes(':')).map((CidrIpv6) => ({ CidrIpv6, Description: description })),
});

function setup(options: ConstructorParameters<typeof FakeEc2>[0] = {}) {
  const ec2 = new FakeEc2(options);
  const groupId = ec2.createSecurityGroup();
  const authorize = (permissions: IpPermission[], extra: Partial<AuthorizeSecurityGroupIngressCommandInput> = {}) =>
    ec2.client.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: permissions, ...extra }),
    );
  const ingress = () => ec2.rules(groupId).filter((r) => !r.isEgress);
  return { ec2, groupId, authorize, ingress };
}

async function errorOf(
  promise: Promise<unknown>,
): Promise<Error & { $fault?: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('FakeEc2 security groups', () => {
  it('authorizes rules and returns their sgr ids with the tags applied', async () => {
    const { authorize, ingress } = setup();
    const out = await authorize([tcp443(['192.0.2.0/24', '2001:db8::/32'], 'partner-a')], {
      TagSpecifications: [
        { ResourceType: 'security-group-rule', Tags: [{ Key: 'managed-by', Value: 'allowlist-sync' }] },
      ],
    });
    expect(out.Return).toBe(true);
    expect(out.SecurityGroupRules).toHaveLength(2);
    expect(out.SecurityGroupRules?.[0]?.SecurityGroupRuleId).toMatch(/^sgr-[0-9a-f]{17}$/);
    expect(out.SecurityGroupRules?.[0]?.Tags).toEqual([{ Key: 'managed-by', Value: 'allowlist-sync' }]);
    expect(ingress().map((r) => [r.cidr, r.description, r.tags])).toEqual([
      ['192.0.2.0/24', 'partner-a', { 'managed-by': 'allowlist-sync' }],
      ['2001:db8::/32', 'partner-a', { 'managed-by': 'allowlist-sync' }],
    ]);
  });

  it.each([
    ['100.68.0.18/18', '100.68.0.0/18'],
    ['10.0.0.5/24', '10.0.0.0/24'],
    ['2001:DB8:0:0::1/32', '2001:db8::/32'],
    ['2001:db8:0:0:1:0:0:1/128', '2001:db8::1:0:0:1/128'],
  ])('stores %s canonically as %s', async (sent, stored) => {
    const { authorize, ingress } = setup();
    const out = await authorize([tcp443([sent])]);
    const rule = out.SecurityGroupRules?.[0] as SecurityGroupRule;
    expect(rule.CidrIpv4 ?? rule.CidrIpv6).toBe(stored);
    expect(ingress().map((r) => r.cidr)).toEqual([stored]);
  });

  it('fails the whole authorize when one permission duplicates an existing rule by value, and changes nothing', async () => {
    const { authorize, ingress } = setup();
    await authorize([tcp443(['10.0.0.0/24'])]);
    const error = await errorOf(authorize([tcp443(['198.51.100.0/24', '10.0.0.7/24'])]));
    expect(error.name).toBe('InvalidPermission.Duplicate');
    expect(ingress().map((r) => r.cidr)).toEqual(['10.0.0.0/24']);
  });

  it('treats a rule with another description as the same rule', async () => {
    const { authorize } = setup();
    await authorize([tcp443(['10.0.0.0/24'], 'old')]);
    expect((await errorOf(authorize([tcp443(['10.0.0.0/24'], 'new')]))).name).toBe('InvalidPermission.Duplicate');
  });

  it('rejects the same permission twice in one request, even when only canonicalisation makes them equal', async () => {
    const { authorize, ingress } = setup();
    const error = await errorOf(authorize([tcp443(['10.0.0.0/24']), tcp443(['203.0.113.0/24', '10.0.0.1/24'])]));
    expect(error.name).toBe('InvalidParameterValue');
    expect(ingress()).toEqual([]);
  });

  it('enforces the quota per family and changes nothing when a call would exceed it', async () => {
    const { authorize, ingress } = setup();
    const v4 = Array.from({ length: 59 }, (_, i) => `10.0.${i}.0/24`);
    await authorize([tcp443(v4)]);
    const error = await errorOf(authorize([tcp443(['10.1.0.0/24', '10.1.1.0/24'])]));
    expect(error.name).toBe('RulesPerSecurityGroupLimitExceeded');
    expect(ingress()).toHaveLength(59);
    await authorize([tcp443(['10.1.0.0/24'])]);
    const v6 = Array.from({ length: 60 }, (_, i) => `2001:db8:${i.toString(16)}::/48`);
    await expect(authorize([tcp443(v6)])).resolves.toMatchObject({ Return: true });
    expect(ingress()).toHaveLength(120);
  });

  it('takes a configurable quota', async () => {
    const { authorize } = setup({ rulesPerGroup: { ipv4: 2 } });
    await authorize([tcp443(['10.0.0.0/24', '10.0.1.0/24'])]);
    expect((await errorOf(authorize([tcp443(['10.0.2.0/24'])]))).name).toBe('RulesPerSecurityGroupLimitExceeded');
  });

  it.each<[string, IpPermission]>([
    ['an address without a prefix length', tcp443(['10.0.0.1'])],
    ['a lenient short address', tcp443(['10.1/8'])],
    ['a prefix length over 32', tcp443(['10.0.0.0/33'])],
    [
      'an IPv6 CIDR in IpRanges',
      { IpProtocol: 'tcp', FromPort: 1, ToPort: 1, IpRanges: [{ CidrIp: '2001:db8::/32' }] },
    ],
    [
      'an IPv4 CIDR in Ipv6Ranges',
      { IpProtocol: 'tcp', FromPort: 1, ToPort: 1, Ipv6Ranges: [{ CidrIpv6: '10.0.0.0/8' }] },
    ],
    ['a description with a disallowed character', tcp443(['10.0.0.0/8'], 'partner <a>')],
    ['a description of 256 characters', tcp443(['10.0.0.0/8'], 'x'.repeat(256))],
    ['an unknown protocol', { IpProtocol: 'sctp', FromPort: 1, ToPort: 1, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
    ['a port above 65535', { IpProtocol: 'tcp', FromPort: 1, ToPort: 70000, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
    ['a reversed port range', { IpProtocol: 'udp', FromPort: 9, ToPort: 8, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
  ])('rejects %s with InvalidParameterValue', async (_name, permission) => {
    const { authorize, ingress } = setup();
    expect((await errorOf(authorize([permission]))).name).toBe('InvalidParameterValue');
    expect(ingress()).toEqual([]);
  });

  it('accepts a description of 255 characters from the allowed set', async () => {
    const { authorize } = setup();
    const allowed = 'aZ09 ._-:/()#,@[]+=&;{}!$*';
    await expect(authorize([tcp443(['10.0.0.0/8'], allowed.padEnd(255, 'x'))])).resolves.toMatchObject({
      Return: true,
    });
  });

  it('rejects tags for a resource type other than security-group-rule', async () => {
    const { authorize } = setup();
    const error = await errorOf(
      authorize([tcp443(['10.0.0.0/8'])], {
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'a', Value: 'b' }] }],
      }),
    );
    expect(error.name).toBe('InvalidParameterValue');
  });

  it('answers InvalidGroup.NotFound for an unknown group', async () => {
    const { ec2 } = setup();
    const error = await errorOf(
      ec2.client.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: 'sg-0000000000000dead',
          IpPermissions: [tcp443(['10.0.0.0/8'])],
        }),
      ),
    );
    expect(error.name).toBe('InvalidGroup.NotFound');
    expect(error).toBeInstanceOf(EC2ServiceException);
    expect(error.$fault).toBe('client');
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it('revokes by rule ids, all or nothing', async () => {
    const { ec2, groupId, authorize, ingress } = setup();
    const out = await authorize([tcp443(['10.0.0.0/24', '10.0.1.0/24'])]);
    const [first, second] = (out.SecurityGroupRules ?? []).map((r) => r.SecurityGroupRuleId as string);
    const error = await errorOf(
      ec2.client.send(
        new RevokeSecurityGroupIngressCommand({
          GroupId: groupId,
          SecurityGroupRuleIds: [first!, 'sgr-0000000000000dead'],
        }),
      ),
    );
    expect(error.name).toBe('InvalidSecurityGroupRuleId.NotFound');
    expect(ingress()).toHaveLength(2);
    const revoked = await ec2.client.send(
      new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: [second!] }),
    );
    expect(revoked.RevokedSecurityGroupRules?.map((r) => r.CidrIpv4)).toEqual(['10.0.1.0/24']);
    expect(ingress().map((r) => r.cidr)).toEqual(['10.0.0.0/24']);
  });

  it('will not revoke the egress rule through RevokeSecurityGroupIngress', async () => {
    const { ec2, groupId } = setup();
    const egress = ec2.rules(groupId).find((r) => r.isEgress)!;
    const error = await errorOf(
      ec2.client.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: [egress.id] })),
    );
    expect(error.name).toBe('InvalidSecurityGroupRuleId.NotFound');
  });

  it('revokes by properties, all or nothing, with InvalidPermission.NotFound for a missing rule', async () => {
    const { ec2, groupId, authorize, ingress } = setup();
    await authorize([tcp443(['10.0.0.0/24'])]);
    const revoke = (cidrs: string[]) =>
      ec2.client.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [tcp443(cidrs)] }));
    expect((await errorOf(revoke(['10.0.0.0/24', '10.9.0.0/24']))).name).toBe('InvalidPermission.NotFound');
    expect(ingress()).toHaveLength(1);
    await revoke(['10.0.0.9/24']);
    expect(ingress()).toEqual([]);
  });

  it('in a default VPC, revokes what matches and reports the rest in UnknownIpPermissions', async () => {
    const ec2 = new FakeEc2();
    const groupId = ec2.createSecurityGroup({ defaultVpc: true });
    ec2.seedRule(groupId, { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '10.0.0.0/24' });
    const out = await ec2.client.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [tcp443(['10.0.0.0/24', '10.9.0.0/24'])],
      }),
    );
    expect(out.UnknownIpPermissions).toEqual([
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.9.0.0/24' }] },
    ]);
    expect(ec2.rules(groupId).filter((r) => !r.isEgress)).toEqual([]);
  });

  it('describes rules including the default egress rule, filtered by group and by tag', async () => {
    const { ec2, groupId, authorize } = setup();
    const other = ec2.createSecurityGroup();
    ec2.seedRule(other, { protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '192.0.2.0/24' });
    await authorize([tcp443(['10.0.0.0/24'])], {
      TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: [{ Key: 'owner', Value: 'sync' }] }],
    });
    ec2.seedRule(groupId, {
      protocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidr: '10.0.1.0/24',
      tags: { owner: 'someone' },
    });
    const describe = (Filters: { Name: string; Values: string[] }[]) =>
      ec2.client.send(new DescribeSecurityGroupRulesCommand({ Filters })).then((o) => o.SecurityGroupRules ?? []);
    const all = await describe([{ Name: 'group-id', Values: [groupId] }]);
    expect(all.map((r) => [r.IsEgress, r.CidrIpv4])).toEqual([
      [true, '0.0.0.0/0'],
      [false, '10.0.0.0/24'],
      [false, '10.0.1.0/24'],
    ]);
    const ours = await describe([
      { Name: 'group-id', Values: [groupId] },
      { Name: 'tag:owner', Values: ['sync'] },
    ]);
    expect(ours.map((r) => r.CidrIpv4)).toEqual(['10.0.0.0/24']);
    const tagged = await describe([{ Name: 'tag-key', Values: ['owner'] }]);
    expect(tagged).toHaveLength(2);
    expect((await errorOf(describe([{ Name: 'colour', Values: ['red'] }]))).name).toBe('InvalidParameterValue');
  });

  it.each([4, 1001])('rejects MaxResults %i', async (max) => {
    const { ec2 } = setup();
    const error = await errorOf(ec2.client.send(new DescribeSecurityGroupRulesCommand({ MaxResults: max })));
    expect(error.name).toBe('InvalidParameterValue');
  });

  it('pages rules with NextToken', async () => {
    const { ec2, groupId, authorize } = setup();
    await authorize([tcp443(Array.from({ length: 12 }, (_, i) => `10.0.${i}.0/24`))]);
    const seen: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const out = await ec2.client.send(
        new DescribeSecurityGroupRulesCommand({
          Filters: [{ Name: 'group-id', Values: [groupId] }],
          MaxResults: 5,
          NextToken,
        }),
      );
      seen.push(...(out.SecurityGroupRules ?? []).map((r) => r.SecurityGroupRuleId as string));
      NextToken = out.NextToken;
      pages += 1;
    } while (NextToken);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(13);
    const error = await errorOf(ec2.client.send(new DescribeSecurityGroupRulesCommand({ NextToken: 'garbage' })));
    expect(error.name).toBe('InvalidPaginationToken');
  });

  it('describes security groups with their VPC', async () => {
    const ec2 = new FakeEc2();
    const groupId = ec2.createSecurityGroup({ vpcId: 'vpc-0123', description: 'allowlist pool 1' });
    const out = await ec2.client.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
    expect(out.SecurityGroups?.[0]).toMatchObject({
      GroupId: groupId,
      VpcId: 'vpc-0123',
      Description: 'allowlist pool 1',
    });
  });

  it('fails a DescribeSecurityGroups naming one missing group with InvalidGroup.NotFound, as EC2 does', async () => {
    const ec2 = new FakeEc2();
    const groupId = ec2.createSecurityGroup();
    const error = await errorOf(
      ec2.client.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId, 'sg-0000000000000dead'] })),
    );
    expect(error.name).toBe('InvalidGroup.NotFound');
    expect(error.message).toBe("The security group 'sg-0000000000000dead' does not exist");
  });

  it('reports what groups admit by port and by merged address range', async () => {
    const ec2 = new FakeEc2();
    const a = ec2.createSecurityGroup();
    const b = ec2.createSecurityGroup();
    ec2.seedRule(a, { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '10.0.0.0/25' });
    ec2.seedRule(b, { protocol: 'tcp', fromPort: 0, toPort: 65535, cidr: '10.0.0.128/25' });
    ec2.seedRule(b, { protocol: 'udp', fromPort: 443, toPort: 443, cidr: '172.16.0.0/12' });
    ec2.seedRule(b, { protocol: '-1', cidr: '192.0.2.7/32' });
    const https = { protocol: 'tcp', fromPort: 443, toPort: 443 } as const;
    expect([...ec2.admitted([a, b], https, 4)].sort()).toEqual(['10.0.0.0/25', '10.0.0.128/25', '192.0.2.7/32']);
    expect(ec2.admittedRanges([a, b], https, 4)).toEqual([
      [0x0a000000n, 0x0a0000ffn],
      [0xc0000207n, 0xc0000207n],
    ]);
    expect(ec2.admitted([a], { protocol: 'tcp', fromPort: 80, toPort: 80 }, 4).size).toBe(0);
    expect(ec2.calls).toEqual([]);
  });
});

describe('FakeEc2 managed prefix lists', () => {
  const modify = (
    ec2: FakeEc2,
    input: Omit<ConstructorParameters<typeof ModifyManagedPrefixListCommand>[0], 'PrefixListId'>,
    id: string,
  ) => ec2.client.send(new ModifyManagedPrefixListCommand({ PrefixListId: id, ...input }));
  const cidrs = (n: number, base = 0) => Array.from({ length: n }, (_, i) => ({ Cidr: `10.${base}.${i}.0/24` }));

  it('describes a new list at version 1 with its family and size', async () => {
    const ec2 = new FakeEc2();
    const id = ec2.createPrefixList({ family: 6, maxEntries: 10, entries: ['2001:db8::/32'] });
    const out = await ec2.client.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [id] }));
    expect(out.PrefixLists?.[0]).toMatchObject({
      PrefixListId: id,
      State: 'create-complete',
      Version: 1,
      MaxEntries: 10,
      AddressFamily: 'IPv6',
    });
  });

  it('adds and removes entries in one versioned modify', async () => {
    const ec2 = new FakeEc2();
    const id = ec2.createPrefixList({ family: 4, maxEntries: 5, entries: ['10.0.0.0/24'] });
    const out = await modify(
      ec2,
      {
        CurrentVersion: 1,
        AddEntries: [{ Cidr: '10.0.1.0/24', Description: 'b' }],
        RemoveEntries: [{ Cidr: '10.0.0.0/24' }],
      },
      id,
    );
    expect(out.PrefixList).toMatchObject({ State: 'modify-in-progress', Version: 2 });
    expect(ec2.entries(id)).toEqual(['10.0.1.0/24']);
    const described = await ec2.client.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [id] }));
    expect(described.PrefixLists?.[0]).toMatchObject({ State: 'modify-complete', Version: 2 });
    const old = await ec2.client.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: id, TargetVersion: 1 }));
    expect(old.Entries).toEqual([{ Cidr: '10.0.0.0/24' }]);
  });

  it.each<[string, number | undefined, string]>([
    ['a stale CurrentVersion', 0, 'PrefixListVersionMismatch'],
    ['no CurrentVersion', undefined, 'MissingParameter'],
  ])('rejects %s and changes nothing', async (_name, version, code) => {
    const ec2 = new FakeEc2();
    const id = ec2.createPrefixList({ family: 4, maxEntries: 5 });
    expect((await errorOf(modify(ec2, { CurrentVersion: version, AddEntries: cidrs(1) }, id))).name).toBe(code);
    expect(ec2.prefixList(id)).toMatchObject({ version: 1 });
  });

  it('takes at most 100 additions and 100 removals per call', async () => {
    const ec2 = new FakeEc2();
    const id = ec2.createPrefixList({ family: 4, maxEntries: 1000 });
    expect((await errorOf(modify(ec2, { CurrentVersion: 1, AddEntries: cidrs(101) }, id))).name).toBe(
      'InvalidParameterValue',
    );
    await modify(ec2, { CurrentVersion: 1, AddEntries: cidrs(100) }, id);
    await modify(ec2, { CurrentVersion: 2, AddEntries: cidrs(100, 1) }, id);
    const removeAll = [...cidrs(100), ...cidrs(1, 1)];
    expect((await errorOf(modify(ec2, { CurrentVersion: 3, RemoveEntries: removeAll }, id))).name).toBe(
      'InvalidParameterValue',
    );
    expect(ec2.entries(id)).toHaveLength(200);
  });

  it('refuses to grow past MaxEntries', async () => {
    const ec2 = new FakeEc2();
    const id = ec2.createPrefixList({ family: 4, maxEntries: 2, entries: ['10.0.0.0/24'] });
    expect((await errorOf(modify(ec2, { CurrentVersion: 1, AddEntries: cidrs(2, 9) }, id))).name).toBe(
      'PrefixListMaxEntriesExceeded',
    );
    expect(ec2.entries(id)).toEqual(['10.0.0.0/24']);
  });

  it.each<[string, { AddEntries?: { Cidr: string }[]; RemoveEntries?: { Cidr: string }[] }, string]>([
    ['adding an existing entry', { AddEntries: [{ Cidr: '10.0.0.0/24' }] }, 'InvalidRequest'],
    ['removing a missing entry', { RemoveEntries: [{ Cidr: '10.9.0.0/24' }] }, 'InvalidPrefixListModification'],
    [
      'the same CIDR added and removed',
      { AddEntries: [{ Cidr: '10.0.0.0/24' }], RemoveEntries: [{ Cidr: '10.0.0.0/24' }] },
      'InvalidParameterValue',
    ],
    ['an entry of the other family', { AddEntries: [{ Cidr: '2001:db8::/32' }] }, 'InvalidParameterValue'],
    ['an entry with host bits', { AddEntries: [{ Cidr: '10.1.0.1/24' }] }, 'InvalidParameterValue'],
    ['a malformed entry', { AddEntries: [{ Cidr: '10.1/16' }] }, 'InvalidParameterValue'],
  ])('rejects %s', async (_name, change, code) => {
    const ec2 = new FakeEc2();
    const id = ec2.createPrefixList({ family: 4, maxEntries: 5, entries: ['10.0.0.0/24'] });
    expect((await errorOf(modify(ec2, { CurrentVersion: 1, ...change }, id))).name).toBe(code);
    expect(ec2.prefixList(id).version).toBe(1);
  });

  it('stays modify-in-progress for the configured number of describes and refuses modifies meanwhile', async () => {
    const ec2 = new FakeEc2();
    const id = ec2.createPrefixList({ family: 4, maxEntries: 5, settleAfterDescribes: 2 });
    await modify(ec2, { CurrentVersion: 1, AddEntries: cidrs(1) }, id);
    expect((await errorOf(modify(ec2, { CurrentVersion: 2, AddEntries: cidrs(1, 1) }, id))).name).toBe(
      'IncorrectState',
    );
    const state = async () =>
      (await ec2.client.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [id] }))).PrefixLists?.[0]?.State;
    expect([await state(), await state(), await state()]).toEqual([
      'modify-in-progress',
      'modify-in-progress',
      'modify-complete',
    ]);
    await expect(modify(ec2, { CurrentVersion: 2, AddEntries: cidrs(1, 1) }, id)).resolves.toBeDefined();
  });

  it('resizes without a new version, but not in the same call as an entry change', async () => {
    const ec2 = new FakeEc2();
    const id = ec2.createPrefixList({ family: 4, maxEntries: 5 });
    expect((await errorOf(modify(ec2, { CurrentVersion: 1, AddEntries: cidrs(1), MaxEntries: 9 }, id))).name).toBe(
      'InvalidParameterCombination',
    );
    await modify(ec2, { MaxEntries: 9 }, id);
    expect(ec2.prefixList(id)).toMatchObject({ version: 1, maxEntries: 9 });
  });

  it('pages entries and rejects an unknown list', async () => {
    const ec2 = new FakeEc2();
    const id = ec2.createPrefixList({ family: 4, maxEntries: 20, entries: cidrs(7).map((e) => e.Cidr) });
    const first = await ec2.client.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: id, MaxResults: 5 }));
    const second = await ec2.client.send(
      new GetManagedPrefixListEntriesCommand({ PrefixListId: id, MaxResults: 5, NextToken: first.NextToken }),
    );
    expect([...(first.Entries ?? []), ...(second.Entries ?? [])]).toHaveLength(7);
    expect(second.NextToken).toBeUndefined();
    const error = await errorOf(
      ec2.client.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: 'pl-00000000000000bad' })),
    );
    expect(error.name).toBe('InvalidPrefixListID.NotFound');
  });
});

describe('FakeEc2 call log and faults', () => {
  it('records every call with a deep copy of its input', async () => {
    const { ec2, authorize } = setup();
    const permission = tcp443(['10.0.0.0/24']);
    await authorize([permission]);
    permission.IpRanges![0]!.CidrIp = '0.0.0.0/0';
    await ec2.client.send(new DescribeSecurityGroupRulesCommand({}));
    expect(ec2.calls.map((c) => [c.command, c.write, c.outcome, c.seq])).toEqual([
      ['AuthorizeSecurityGroupIngress', true, 'ok', 1],
      ['DescribeSecurityGroupRules', false, 'ok', 2],
    ]);
    expect(JSON.stringify(ec2.writes()[0]?.input)).toContain('10.0.0.0/24');
    expect(ec2.callsOf('DescribeSecurityGroupRulesCommand')).toHaveLength(1);
  });

  it('throttles with RequestLimitExceeded, which the SDK retries', async () => {
    const { ec2, authorize, ingress } = setup();
    ec2.inject({ command: 'AuthorizeSecurityGroupIngress', fault: 'throttle' });
    await authorize([tcp443(['10.0.0.0/24'])]);
    expect(ec2.calls.map((c) => [c.attempt, c.errorName])).toEqual([
      [1, 'RequestLimitExceeded'],
      [2, undefined],
    ]);
    ec2.inject({ command: 'AuthorizeSecurityGroupIngress', fault: 'throttle', times: 3 });
    expect((await errorOf(authorize([tcp443(['10.0.1.0/24'])]))).name).toBe('RequestLimitExceeded');
    expect(ingress()).toHaveLength(1);
  });

  it('fails with a 5xx InternalError that applies nothing', async () => {
    const { ec2, authorize, ingress } = setup({ maxAttempts: 1 });
    ec2.inject({ fault: 'server' });
    const error = await errorOf(authorize([tcp443(['10.0.0.0/24'])]));
    expect([error.name, error.$fault, error.$metadata?.httpStatusCode]).toEqual(['InternalError', 'server', 500]);
    expect(ingress()).toEqual([]);
  });

  it('applies a write and then times out, so the SDK retry meets InvalidPermission.Duplicate', async () => {
    const { ec2, authorize, ingress } = setup();
    ec2.inject({ command: 'AuthorizeSecurityGroupIngress', fault: 'timeout-after-write' });
    const error = await errorOf(authorize([tcp443(['10.0.0.0/24'])]));
    expect(error.name).toBe('InvalidPermission.Duplicate');
    expect(ec2.calls.map((c) => [c.errorName, c.applied])).toEqual([
      ['TimeoutError', true],
      ['InvalidPermission.Duplicate', false],
    ]);
    expect(ingress()).toHaveLength(1);
  });

  it('surfaces the TimeoutError itself when SDK retries are off', async () => {
    const { ec2, authorize, ingress } = setup({ maxAttempts: 1 });
    ec2.inject({ fault: 'timeout-after-write' });
    expect((await errorOf(authorize([tcp443(['10.0.0.0/24'])]))).name).toBe('TimeoutError');
    expect(ingress()).toHaveLength(1);
  });

  it.each([
    ['crash-before', 0],
    ['crash-after', 1],
  ] as const)('%s throws SimulatedCrash, never retried, leaving %i rules', async (fault, rules) => {
    const { ec2, authorize, ingress } = setup();
    ec2.inject({ fault });
    const error = await errorOf(authorize([tcp443(['10.0.0.0/24'])]));
    expect(error).toBeInstanceOf(SimulatedCrash);
    expect(ec2.calls).toHaveLength(1);
    expect(ingress()).toHaveLength(rules);
  });

  it('serves a stale read from before the latest write', async () => {
    const { ec2, groupId, authorize } = setup();
    await authorize([tcp443(['10.0.0.0/24'])]);
    await authorize([tcp443(['10.0.1.0/24'])]);
    ec2.inject({ command: 'DescribeSecurityGroupRules', fault: 'stale-read' });
    const read = () =>
      ec2.client
        .send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }))
        .then((o) => (o.SecurityGroupRules ?? []).filter((r) => !r.IsEgress).map((r) => r.CidrIpv4));
    expect(await read()).toEqual(['10.0.0.0/24']);
    expect(await read()).toEqual(['10.0.0.0/24', '10.0.1.0/24']);
  });

  it('makes a prefix list version stale with lock-conflict', async () => {
    const ec2 = new FakeEc2();
    const id = ec2.createPrefixList({ family: 4, maxEntries: 5 });
    ec2.inject({ fault: 'lock-conflict' });
    const error = await errorOf(
      ec2.client.send(
        new ModifyManagedPrefixListCommand({
          PrefixListId: id,
          CurrentVersion: 1,
          AddEntries: [{ Cidr: '10.0.0.0/8' }],
        }),
      ),
    );
    expect(error.name).toBe('PrefixListVersionMismatch');
    expect(ec2.prefixList(id).version).toBe(2);
    expect(ec2.entries(id)).toEqual([]);
  });

  it('fires only when the predicate matches', async () => {
    const { ec2, authorize } = setup({ maxAttempts: 1 });
    ec2.inject({ fault: 'server', when: (call) => JSON.stringify(call.input).includes('10.0.1.0/24') });
    await authorize([tcp443(['10.0.0.0/24'])]);
    expect((await errorOf(authorize([tcp443(['10.0.1.0/24'])]))).name).toBe('InternalError');
  });

  it('draws the same random faults from the same seed', async () => {
    const run = async () => {
      const { ec2, groupId } = setup({ maxAttempts: 1 });
      ec2.randomFaults({ seed: 42, rate: 0.5, kinds: ['throttle', 'server'] });
      for (let i = 0; i < 20; i += 1) {
        await ec2.client
          .send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }))
          .catch(() => {});
      }
      return ec2.calls.map((c) => c.errorName ?? 'ok');
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(new Set(first)).toEqual(new Set(['ok', 'RequestLimitExceeded', 'InternalError']));
  });

  it('notifies write observers with a snapshot after each effective write only', async () => {
    const { ec2, groupId, authorize } = setup();
    const seen: string[][] = [];
    ec2.onWrite((snapshot, call) =>
      seen.push([call.command, ...snapshot.admitted([groupId], { protocol: 'tcp', fromPort: 443, toPort: 443 }, 4)]),
    );
    await authorize([tcp443(['10.0.0.0/24'])]);
    await errorOf(authorize([tcp443(['10.0.0.0/24'])]));
    ec2.inject({ fault: 'crash-after' });
    await errorOf(authorize([tcp443(['10.0.1.0/24'])]));
    expect(seen).toEqual([
      ['AuthorizeSecurityGroupIngress', '10.0.0.0/24'],
      ['AuthorizeSecurityGroupIngress', '10.0.0.0/24', '10.0.1.0/24'],
    ]);
  });
});
