/**
 * Where moto 5.2.1 differs from AWS, pinned: each row sends the same SDK calls to moto and to this project's fakes
 * (which enforce AWS's documented behaviour, docs/aws-behaviour.md) and checks that the fake answers as AWS does and
 * moto answers differently. The end-to-end cases work around every row (docs/verification.md says how); the fakes are
 * never loosened to match moto. When a moto upgrade fixes a row, its test fails: delete the row here and in the table
 * of docs/verification.md, whose rows a test below checks against this one.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeManagedPrefixListsCommand,
  DescribeSecurityGroupRulesCommand,
  type EC2Client,
  GetManagedPrefixListEntriesCommand,
  ModifyManagedPrefixListCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { GetIPSetCommand, UpdateIPSetCommand, type WAFV2Client } from '@aws-sdk/client-wafv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cli/built-cli';
import { FakeEc2, FakeWafv2 } from '../fakes';
import { FakeEventBridge } from '../fakes/fake-eventbridge';
import { MOTO_CASE_TIMEOUT_MS, type MotoServer, moto, startMoto } from '../support/moto';
import { createGroupPool, createIpSet, createPrefixList } from '../support/moto-resources';

/**
 * What a row runs against: one group, one IPv4 prefix list (MaxEntries 3, holding 1.1.1.0/24), one IPv4 IP set, and
 * the account's default event bus.
 */
interface Probe {
  readonly ec2: EC2Client;
  readonly waf: WAFV2Client;
  readonly events: EventBridgeClient;
  readonly groupId: string;
  readonly prefixListId: string;
  readonly ipSet: { readonly name: string; readonly id: string };
}

/** One difference: the calls, and what AWS (as the fake enforces it) and moto answer. */
interface Difference {
  /** The row's id in docs/verification.md. */
  readonly id: string;
  readonly run: (p: Probe) => Promise<string>;
  readonly aws: string;
  readonly moto: string;
}

const tcp = (port: number, cidrs: { v4?: string[]; v6?: string[]; description?: string }) => ({
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  ...(cidrs.v4 ? { IpRanges: cidrs.v4.map((CidrIp) => ({ CidrIp, Description: cidrs.description })) } : {}),
  ...(cidrs.v6 ? { Ipv6Ranges: cidrs.v6.map((CidrIpv6) => ({ CidrIpv6 })) } : {}),
});

/** The call's outcome: `ok`, or the AWS error name. */
async function outcome(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'ok',
    (e: Error) => e.name,
  );
}

async function ingress(p: Probe): Promise<string> {
  const out = await p.ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [p.groupId] }] }),
  );
  return (out.SecurityGroupRules ?? [])
    .filter((r) => !r.IsEgress)
    .map((r) => r.CidrIpv4 ?? r.CidrIpv6)
    .sort()
    .join(' ');
}

const authorize = (p: Probe, ...permissions: ReturnType<typeof tcp>[]) =>
  p.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: p.groupId, IpPermissions: permissions }));
/** A modify with the list's current version (read first), unless the row gives one. */
const modify = async (p: Probe, input: Record<string, unknown>) => {
  const out = await p.ec2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [p.prefixListId] }));
  const CurrentVersion = out.PrefixLists?.[0]?.Version;
  return p.ec2.send(new ModifyManagedPrefixListCommand({ PrefixListId: p.prefixListId, CurrentVersion, ...input }));
};
const updateIpSet = async (p: Probe, addresses: string[], description?: string) => {
  const { LockToken } = await p.waf.send(new GetIPSetCommand({ ...ref(p), Scope: 'REGIONAL' }));
  return p.waf.send(
    new UpdateIPSetCommand({ ...ref(p), Scope: 'REGIONAL', LockToken, Addresses: addresses, Description: description }),
  );
};
const ref = (p: Probe) => ({ Name: p.ipSet.name, Id: p.ipSet.id });
/** One change event on the default bus, with `over` changed: the entry's ErrorCode, `ok`, or the call's error name. */
const putEvent = (p: Probe, over: Partial<PutEventsRequestEntry>) =>
  p.events
    .send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'allowlist-sync',
            DetailType: 'Allowlist Applied',
            Detail: JSON.stringify({ version: 1, allowlist: 'partners' }),
            EventBusName: 'default',
            ...over,
          },
        ],
      }),
    )
    .then(
      (out) => out.Entries?.[0]?.ErrorCode ?? 'ok',
      (e: Error) => e.name,
    );
const v4 = (n: number) => Array.from({ length: n }, (_, i) => `52.${i >> 8}.${i & 255}.0/24`);

/** The rows of docs/verification.md's table, in its order. */
const DIFFERENCES: readonly Difference[] = [
  {
    id: 'sg-quota-families',
    // 60 IPv4 rules, then one IPv6 rule: AWS counts each family on its own (docs/aws-behaviour.md §12).
    run: async (p) => {
      await authorize(p, tcp(443, { v4: v4(60) }));
      return outcome(authorize(p, tcp(443, { v6: ['2a05:d018::/36'] })));
    },
    aws: 'ok',
    moto: 'RulesPerSecurityGroupLimitExceeded',
  },
  {
    id: 'sg-authorize-response',
    // Two permissions in one call: AWS returns every new rule (§15).
    run: async (p) => {
      const out = await authorize(p, tcp(443, { v4: ['1.1.1.0/24'] }), tcp(8443, { v4: ['1.1.2.0/24'] }));
      return String(out.SecurityGroupRules?.length);
    },
    aws: '2',
    moto: '1',
  },
  {
    id: 'sg-same-permission-twice',
    // The same CIDR twice in one request (§13).
    run: (p) => outcome(authorize(p, tcp(443, { v4: ['7.7.7.0/24', '7.7.7.0/24'] }))),
    aws: 'InvalidParameterValue',
    moto: 'InvalidPermission.Duplicate',
  },
  {
    id: 'sg-canonical-cidr',
    // Host bits set and an upper-case IPv6 CIDR: AWS stores them canonical and compares by value (§14).
    run: async (p) => {
      await authorize(p, tcp(443, { v4: ['1.1.2.5/24'], v6: ['2A05:D018:0::/36'] }));
      const again = await outcome(authorize(p, tcp(443, { v6: ['2a05:d018::/36'] })));
      return `${await ingress(p)} | again: ${again}`;
    },
    aws: '1.1.2.0/24 2a05:d018::/36 | again: InvalidPermission.Duplicate',
    moto: '1.1.2.5/24 2A05:D018:0::/36 2a05:d018::/36 | again: ok',
  },
  {
    id: 'sg-description-characters',
    // A rule description outside AWS's character set (§17).
    run: (p) => outcome(authorize(p, tcp(443, { v4: ['7.7.8.0/24'], description: 'bad <script>' }))),
    aws: 'InvalidParameterValue',
    moto: 'ok',
  },
  {
    id: 'sg-describe-paging',
    // MaxResults 5 over 6 rules: AWS pages (§16).
    run: async (p) => {
      await authorize(p, tcp(443, { v4: v4(5) }));
      const page = await p.ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [p.groupId] }], MaxResults: 5 }),
      );
      return `${page.SecurityGroupRules?.length} next: ${page.NextToken ? 'yes' : 'no'}`;
    },
    aws: '5 next: yes',
    moto: '6 next: no',
  },
  {
    id: 'sg-revoke-unknown-rule-id',
    // Revoking a rule id the group does not have (§16).
    run: (p) =>
      outcome(
        p.ec2.send(
          new RevokeSecurityGroupIngressCommand({
            GroupId: p.groupId,
            SecurityGroupRuleIds: ['sgr-0123456789abcdef0'],
          }),
        ),
      ),
    aws: 'InvalidSecurityGroupRuleId.NotFound',
    moto: 'InvalidPermission.NotFound',
  },
  {
    id: 'pl-version',
    // A stale CurrentVersion (§28).
    run: (p) => outcome(modify(p, { CurrentVersion: 7, AddEntries: [{ Cidr: '2.2.2.0/24' }] })),
    aws: 'PrefixListVersionMismatch',
    moto: 'ok',
  },
  {
    id: 'pl-max-entries',
    // Three more entries into a list of MaxEntries 3 that holds one (§27).
    run: (p) =>
      outcome(modify(p, { AddEntries: ['2.2.2.0/24', '3.3.3.0/24', '4.4.4.0/24'].map((Cidr) => ({ Cidr })) })),
    aws: 'PrefixListMaxEntriesExceeded',
    moto: 'ok',
  },
  {
    id: 'pl-entry-checks',
    // Adding an entry the list holds, removing one it does not, adding the other family (§27, §28).
    run: async (p) =>
      [
        await outcome(modify(p, { AddEntries: [{ Cidr: '1.1.1.0/24' }] })),
        await outcome(modify(p, { RemoveEntries: [{ Cidr: '8.8.8.0/24' }] })),
        await outcome(modify(p, { AddEntries: [{ Cidr: '2a05:d018::/36' }] })),
      ].join(' '),
    aws: 'InvalidRequest InvalidPrefixListModification InvalidParameterValue',
    moto: 'ok ok ok',
  },
  {
    id: 'pl-name-on-modify',
    // The list's name after a modify.
    run: async (p) => {
      await modify(p, { AddEntries: [{ Cidr: '2.2.2.0/24' }] });
      const out = await p.ec2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [p.prefixListId] }));
      const entries = await p.ec2.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: p.prefixListId }));
      return `${out.PrefixLists?.[0]?.PrefixListName ?? '(none)'} ${entries.Entries?.length}`;
    },
    aws: 'partners-v4 2',
    moto: '(none) 2',
  },
  {
    id: 'waf-limits',
    // 10,001 addresses, then host bits, a /0 and an IPv6 address in an IPv4 set (docs/aws-behaviour.md §22).
    run: async (p) =>
      [
        await outcome(updateIpSet(p, v4(10_001))),
        await outcome(updateIpSet(p, ['1.1.1.5/24'])),
        await outcome(updateIpSet(p, ['0.0.0.0/0'])),
        await outcome(updateIpSet(p, ['2a05:d018::/36'])),
      ].join(' '),
    aws: 'WAFLimitsExceededException WAFInvalidParameterException WAFInvalidParameterException WAFInvalidParameterException',
    moto: 'ok ok ok ok',
  },
  {
    id: 'waf-description',
    // An update without a description after one with it: AWS clears it (§20).
    run: async (p) => {
      await updateIpSet(p, ['3.3.3.0/24'], 'partners');
      await updateIpSet(p, ['3.3.3.0/24']);
      const out = await p.waf.send(new GetIPSetCommand({ ...ref(p), Scope: 'REGIONAL' }));
      return out.IPSet?.Description || '(none)';
    },
    aws: '(none)',
    moto: 'partners',
  },
  {
    id: 'events-limits',
    // PutEvents: an entry of 256 KB or more fails the call; a source starting with `aws.` and a detail type over 128
    // characters fail their entry (EventBridge API reference, PutEvents and PutEventsRequestEntry).
    run: async (p) =>
      [
        await putEvent(p, { Detail: JSON.stringify({ x: 'a'.repeat(256 * 1024) }) }),
        await putEvent(p, { Source: 'aws.s3' }),
        await putEvent(p, { DetailType: 'x'.repeat(129) }),
      ].join(' '),
    aws: 'ValidationException NotAuthorizedForSourceException InvalidArgument',
    moto: 'ok ok ok',
  },
];

let server: MotoServer;
beforeAll(async () => {
  if (moto.available) server = await startMoto();
}, MOTO_CASE_TIMEOUT_MS);
afterAll(async () => {
  await server?.stop();
});

async function motoProbe(): Promise<Probe> {
  await server.reset();
  const { clients } = server;
  const [groupId] = (await createGroupPool(clients, 1)) as [string];
  return {
    ec2: clients.ec2,
    waf: clients.wafv2,
    events: clients.events,
    groupId,
    prefixListId: await createPrefixList(clients, 'partners-v4', 4, 3, ['1.1.1.0/24']),
    ipSet: await createIpSet(clients, 'partners-v4', 'IPV4'),
  };
}

function fakeProbe(): Probe {
  const ec2 = new FakeEc2();
  // The WAF write rate is the fake's clock's business; these rows are about what is accepted, not how fast.
  const waf = new FakeWafv2({ enforceWriteRate: false });
  const set = waf.createIpSet({ scope: 'REGIONAL', name: 'partners-v4', family: 'IPV4' });
  return {
    ec2: ec2.client,
    waf: waf.client,
    events: new FakeEventBridge().client,
    groupId: ec2.createSecurityGroup(),
    prefixListId: ec2.createPrefixList({ family: 4, maxEntries: 3, entries: ['1.1.1.0/24'], name: 'partners-v4' }),
    ipSet: { name: set.Name, id: set.Id },
  };
}

describe('how AWS answers, as the fakes enforce it', () => {
  it.each(DIFFERENCES.map((d) => [d.id, d] as const))('%s', async (_id, d) => {
    expect(await d.run(fakeProbe())).toBe(d.aws);
  });
});

describe.skipIf(!moto.available)('how moto 5.2.1 answers instead', () => {
  it.each(DIFFERENCES.map((d) => [d.id, d] as const))('%s', async (_id, d) => {
    expect(await d.run(await motoProbe())).toBe(d.moto);
  });
});

describe('docs/verification.md', () => {
  it("lists exactly these differences, in this order, in its table of moto's differences", () => {
    const doc = readFileSync(path.join(ROOT, 'docs/verification.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]);
    expect(rows).toEqual(DIFFERENCES.map((d) => d.id));
  });
});
