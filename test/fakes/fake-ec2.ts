/**
 * FakeEc2: a stateful fake of the EC2 security group and managed prefix list APIs behind a real `EC2Client`, stubbed
 * per instance with aws-sdk-client-mock. Pass `fake.client` to the code under test.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeManagedPrefixListsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  GetManagedPrefixListEntriesCommand,
  ModifyManagedPrefixListCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { type Family, formatCidr, parseCidr, type Range } from './cidr';
import {
  bumpPrefixListVersion,
  checkEntryCidr,
  describePrefixLists,
  getPrefixListEntries,
  modifyPrefixList,
} from './ec2-prefix-lists';
import { authorizeIngress, describeGroups, describeRules, revokeIngress } from './ec2-security-groups';
import {
  type Ec2State,
  Ec2View,
  ec2Error,
  nextId,
  type PortQuery,
  type RuleView,
  type StoredRule,
  UnsupportedByFake,
} from './ec2-state';
import { FakeService, type FakeServiceOptions, type Operation } from './faults';

/** Options of FakeEc2. */
export interface FakeEc2Options extends FakeServiceOptions {
  /** @default 'eu-west-1' */
  region?: string;
  /** @default '123456789012' */
  accountId?: string;
  /** Inbound rules per group, counted per family (docs/aws-behaviour.md §12). @default { ipv4: 60, ipv6: 60 } */
  rulesPerGroup?: { ipv4?: number; ipv6?: number };
}

/** A rule to seed without a call: pre-existing state, or rules that are not ours. */
export interface SeedRule {
  protocol: 'tcp' | 'udp' | '-1';
  /** Ignored (stored as -1) for protocol `-1`. */
  fromPort?: number;
  toPort?: number;
  /** IPv4 or IPv6; canonicalised as EC2 does. */
  cidr: string;
  description?: string;
  tags?: Record<string, string>;
  /** @default false */
  egress?: boolean;
}

/** Options of `createPrefixList`. */
export interface CreatePrefixListOptions {
  family: Family;
  maxEntries: number;
  entries?: (string | { cidr: string; description?: string })[];
  name?: string;
  /** After each modify, the list shows `modify-in-progress` to this many DescribeManagedPrefixLists calls. @default 0 */
  settleAfterDescribes?: number;
}

type Ec2Stub = AwsClientStub<EC2Client>;

/** A stateful fake of EC2 security groups and managed prefix lists. */
export class FakeEc2 extends FakeService<Ec2State, Ec2View> {
  /** A real EC2Client whose `send` is served by this fake. */
  readonly client: EC2Client;
  /** The aws-sdk-client-mock stub, for the rare test that needs it. */
  readonly stub: Ec2Stub;
  private readonly defaultVpcId: string;

  constructor(options: FakeEc2Options = {}) {
    const region = options.region ?? 'eu-west-1';
    super(
      'ec2',
      {
        counter: 0,
        accountId: options.accountId ?? '123456789012',
        region,
        quota: { ipv4: options.rulesPerGroup?.ipv4 ?? 60, ipv6: options.rulesPerGroup?.ipv6 ?? 60 },
        groups: {},
        rules: {},
        prefixLists: {},
      },
      options,
    );
    this.defaultVpcId = nextId(this.state, 'vpc');
    this.client = new EC2Client({
      region,
      credentials: { accessKeyId: 'FAKE', secretAccessKey: 'FAKE' },
      maxAttempts: options.maxAttempts ?? 3,
    });
    const stub = mockClient(this.client);
    this.stub = stub;
    stub.onAnyCommand().callsFake(() => {
      throw new UnsupportedByFake('this EC2 command is not modelled by FakeEc2');
    });
    const serve = (name: string, op: Operation<Ec2State>) => (input: Record<string, unknown>) =>
      this.send(name, input, op);
    stub
      .on(AuthorizeSecurityGroupIngressCommand)
      .callsFake(serve('AuthorizeSecurityGroupIngress', { write: true, run: authorizeIngress }));
    stub
      .on(RevokeSecurityGroupIngressCommand)
      .callsFake(serve('RevokeSecurityGroupIngress', { write: true, run: revokeIngress }));
    stub
      .on(DescribeSecurityGroupRulesCommand)
      .callsFake(serve('DescribeSecurityGroupRules', { write: false, run: describeRules }));
    stub
      .on(DescribeSecurityGroupsCommand)
      .callsFake(serve('DescribeSecurityGroups', { write: false, run: describeGroups }));
    stub
      .on(ModifyManagedPrefixListCommand)
      .callsFake(
        serve('ModifyManagedPrefixList', { write: true, run: modifyPrefixList, conflict: bumpPrefixListVersion }),
      );
    stub
      .on(DescribeManagedPrefixListsCommand)
      .callsFake(serve('DescribeManagedPrefixLists', { write: false, run: describePrefixLists }));
    stub
      .on(GetManagedPrefixListEntriesCommand)
      .callsFake(serve('GetManagedPrefixListEntries', { write: false, run: getPrefixListEntries }));
  }

  protected view(state: Ec2State): Ec2View {
    return new Ec2View(state);
  }

  protected throttleError(): Error {
    return ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503);
  }

  protected serverError(): Error {
    return ec2Error('InternalError', 'An internal error has occurred.', 500);
  }

  /** Creates a security group with AWS's default egress rule (all traffic to 0.0.0.0/0). Returns its `sg-` id. */
  createSecurityGroup(
    options: { vpcId?: string; name?: string; description?: string; defaultVpc?: boolean } = {},
  ): string {
    const id = nextId(this.state, 'sg');
    this.state.groups[id] = {
      id,
      name: options.name ?? `group-${id}`,
      vpcId: options.vpcId ?? this.defaultVpcId,
      description: options.description ?? 'created by FakeEc2',
      defaultVpc: options.defaultVpc ?? false,
    };
    this.seedRule(id, { protocol: '-1', cidr: '0.0.0.0/0', egress: true });
    return id;
  }

  /** Adds a rule without recording a call. Throws (a plain Error) on what AWS would never hold. Returns its id. */
  seedRule(groupId: string, rule: SeedRule): string {
    if (this.state.groups[groupId] === undefined) throw new Error(`seedRule: no group ${groupId}`);
    const parsed = parseCidr(rule.cidr);
    if (parsed === undefined) throw new Error(`seedRule: "${rule.cidr}" is not a CIDR`);
    const all = rule.protocol === '-1';
    const stored: StoredRule = {
      id: nextId(this.state, 'sgr'),
      groupId,
      isEgress: rule.egress ?? false,
      protocol: rule.protocol,
      fromPort: all ? -1 : (rule.fromPort ?? 0),
      toPort: all ? -1 : (rule.toPort ?? rule.fromPort ?? 65535),
      family: parsed.family,
      cidr: formatCidr(parsed),
      ...(rule.description === undefined ? {} : { description: rule.description }),
      tags: Object.entries(rule.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    };
    const same = (r: StoredRule) =>
      r.groupId === groupId &&
      r.isEgress === stored.isEgress &&
      r.protocol === stored.protocol &&
      r.fromPort === stored.fromPort &&
      r.toPort === stored.toPort &&
      r.cidr === stored.cidr;
    if (Object.values(this.state.rules).some(same)) throw new Error(`seedRule: duplicate rule ${stored.cidr}`);
    if (!stored.isEgress) {
      const limit = parsed.family === 4 ? this.state.quota.ipv4 : this.state.quota.ipv6;
      if (new Ec2View(this.state).ingressCount(groupId, parsed.family) >= limit) {
        throw new Error(`seedRule: group ${groupId} already holds ${limit} IPv${parsed.family} rules`);
      }
    }
    this.state.rules[stored.id] = stored;
    return stored.id;
  }

  /** Creates a customer-managed prefix list at version 1 (state `create-complete`). Returns its `pl-` id. */
  createPrefixList(options: CreatePrefixListOptions): string {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1 || options.maxEntries > 1000) {
      throw new Error(`createPrefixList: maxEntries must be 1-1000, got ${options.maxEntries}`);
    }
    const entries = (options.entries ?? []).map((e) => {
      const { cidr, description } = typeof e === 'string' ? { cidr: e, description: undefined } : e;
      return { cidr: checkEntryCidr({ family: options.family }, cidr), ...(description ? { description } : {}) };
    });
    if (entries.length > options.maxEntries) throw new Error('createPrefixList: more entries than maxEntries');
    if (new Set(entries.map((e) => e.cidr)).size !== entries.length) throw new Error('createPrefixList: duplicates');
    const id = nextId(this.state, 'pl');
    this.state.prefixLists[id] = {
      id,
      name: options.name ?? `list-${id}`,
      family: options.family,
      maxEntries: options.maxEntries,
      version: 1,
      state: 'create-complete',
      pendingDescribes: 0,
      settleAfterDescribes: options.settleAfterDescribes ?? 0,
      entries,
      versions: { 1: entries.map((e) => ({ ...e })) },
    };
    return id;
  }

  /** Sets how many describes each later modify of this list stays `modify-in-progress` for. */
  setModifySettle(prefixListId: string, describes: number): void {
    const list = this.state.prefixLists[prefixListId];
    if (list === undefined) throw new Error(`no prefix list ${prefixListId}`);
    list.settleAfterDescribes = describes;
  }

  /** Puts a list in `modify-in-progress` now, for the next `describes` describes (someone else is modifying it). */
  holdInProgress(prefixListId: string, describes: number): void {
    const list = this.state.prefixLists[prefixListId];
    if (list === undefined) throw new Error(`no prefix list ${prefixListId}`);
    list.state = 'modify-in-progress';
    list.pendingDescribes = describes;
  }

  /** Every rule of a group (ingress and egress) with its tags. */
  rules(groupId: string): RuleView[] {
    return new Ec2View(this.state).rules(groupId);
  }

  /** Canonical CIDRs admitted by the ingress rules of these groups for a protocol and port range. */
  admitted(groupIds: readonly string[], query: PortQuery, family: Family): Set<string> {
    return new Ec2View(this.state).admitted(groupIds, query, family);
  }

  /** What `admitted` admits, as sorted merged address intervals. */
  admittedRanges(groupIds: readonly string[], query: PortQuery, family: Family): Range[] {
    return new Ec2View(this.state).admittedRanges(groupIds, query, family);
  }

  /** Ingress rules of one family in a group. */
  ingressCount(groupId: string, family: Family): number {
    return new Ec2View(this.state).ingressCount(groupId, family);
  }

  /** Current entries (CIDRs) of a prefix list. */
  entries(prefixListId: string): string[] {
    return new Ec2View(this.state).entries(prefixListId);
  }

  /** Current entries of a prefix list as merged address intervals. */
  entryRanges(prefixListId: string): Range[] {
    return new Ec2View(this.state).entryRanges(prefixListId);
  }

  /** Version, state, MaxEntries and family of a prefix list. */
  prefixList(prefixListId: string): ReturnType<Ec2View['prefixList']> {
    return new Ec2View(this.state).prefixList(prefixListId);
  }
}
