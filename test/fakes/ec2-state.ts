/**
 * The plain-data state of the EC2 fake (security groups, their rules, managed prefix lists), its errors, and the
 * read-only view the tests and the battery query by address.
 */
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { type Family, mergeRanges, parseCidr, type Range, rangeOf } from './cidr';

/** One security group rule as stored: CIDR canonical, protocol normalised (`tcp`, `udp`, `-1`). */
export interface StoredRule {
  id: string;
  groupId: string;
  isEgress: boolean;
  protocol: string;
  /** -1 for protocol `-1`. */
  fromPort: number;
  toPort: number;
  family: Family;
  cidr: string;
  description?: string;
  tags: { Key: string; Value: string }[];
}

/** A security group. */
export interface StoredGroup {
  id: string;
  name: string;
  vpcId: string;
  description: string;
  /** In the default VPC, revoke-by-properties of a missing rule is not an error (see ec2-security-groups.ts). */
  defaultVpc: boolean;
}

/** One prefix list entry. */
export interface StoredEntry {
  cidr: string;
  description?: string;
}

/** A managed prefix list with every version's entries (for `TargetVersion`). */
export interface StoredPrefixList {
  id: string;
  name: string;
  family: Family;
  maxEntries: number;
  version: number;
  state: 'create-complete' | 'modify-in-progress' | 'modify-complete';
  /** After a modify: how many more DescribeManagedPrefixLists calls still see `modify-in-progress`. */
  pendingDescribes: number;
  /** How many describes a modify stays in progress for. */
  settleAfterDescribes: number;
  entries: StoredEntry[];
  versions: Record<number, StoredEntry[]>;
}

/** The whole EC2 fake state. Plain data: it is structured-cloned for drafts, history and snapshots. */
export interface Ec2State {
  counter: number;
  accountId: string;
  region: string;
  quota: { ipv4: number; ipv6: number };
  groups: Record<string, StoredGroup>;
  rules: Record<string, StoredRule>;
  prefixLists: Record<string, StoredPrefixList>;
}

/** Next id with a prefix, 17 hex digits like real EC2 ids; deterministic. */
export function nextId(state: Ec2State, prefix: 'sg' | 'sgr' | 'pl' | 'vpc'): string {
  state.counter += 1;
  return `${prefix}-${state.counter.toString(16).padStart(17, '0')}`;
}

/**
 * An EC2 error as SDK v3 surfaces it: EC2 has no modelled error classes (docs/aws-behaviour.md §18), so the SDK throws
 * its base `EC2ServiceException` with `name` = the error code and `$fault` from the HTTP status.
 */
export function ec2Error(code: string, message: string, status = 400): EC2ServiceException {
  return new EC2ServiceException({
    name: code,
    $fault: status < 500 ? 'client' : 'server',
    $metadata: { httpStatusCode: status, requestId: 'fake-request', attempts: 1, totalRetryDelay: 0 },
    message,
  });
}

/** Thrown for inputs the fake does not model (ICMP, group references, prefix-list references): loud, not AWS-like. */
export class UnsupportedByFake extends Error {
  override readonly name = 'UnsupportedByFake';
}

/** A port range query: what a client would connect to. */
export interface PortQuery {
  protocol: 'tcp' | 'udp' | '-1';
  fromPort: number;
  toPort: number;
}

/** A rule as the view returns it. */
export interface RuleView {
  readonly id: string;
  readonly groupId: string;
  readonly isEgress: boolean;
  readonly protocol: string;
  readonly fromPort: number;
  readonly toPort: number;
  readonly family: Family;
  readonly cidr: string;
  readonly description?: string;
  readonly tags: Readonly<Record<string, string>>;
}

function covers(rule: StoredRule, query: PortQuery): boolean {
  if (rule.protocol === '-1') return true;
  if (rule.protocol !== query.protocol) return false;
  return rule.fromPort <= query.fromPort && rule.toPort >= query.toPort;
}

/** A read-only view of EC2 state: what each group admits, by text and by address. */
export class Ec2View {
  constructor(private readonly state: Ec2State) {}

  /** Every rule of a group (ingress and egress) with its tags, in creation order. */
  rules(groupId: string): RuleView[] {
    return Object.values(this.state.rules)
      .filter((r) => r.groupId === groupId)
      .map((r) => ({
        id: r.id,
        groupId: r.groupId,
        isEgress: r.isEgress,
        protocol: r.protocol,
        fromPort: r.fromPort,
        toPort: r.toPort,
        family: r.family,
        cidr: r.cidr,
        ...(r.description === undefined ? {} : { description: r.description }),
        tags: Object.fromEntries(r.tags.map((t) => [t.Key, t.Value])),
      }));
  }

  /** Canonical CIDRs of the ingress rules of these groups whose protocol and ports cover the query. */
  admitted(groupIds: readonly string[], query: PortQuery, family: Family): Set<string> {
    const groups = new Set(groupIds);
    const out = new Set<string>();
    for (const rule of Object.values(this.state.rules)) {
      if (groups.has(rule.groupId) && !rule.isEgress && rule.family === family && covers(rule, query)) {
        out.add(rule.cidr);
      }
    }
    return out;
  }

  /** What `admitted` admits as sorted, merged address intervals: compare by address, never by text. */
  admittedRanges(groupIds: readonly string[], query: PortQuery, family: Family): Range[] {
    return cidrRanges(this.admitted(groupIds, query, family));
  }

  /** Number of ingress rules of one family in a group (the quota counts them separately). */
  ingressCount(groupId: string, family: Family): number {
    return Object.values(this.state.rules).filter((r) => r.groupId === groupId && !r.isEgress && r.family === family)
      .length;
  }

  /** The ids of all security groups. */
  groupIds(): string[] {
    return Object.keys(this.state.groups);
  }

  /** The current entries' CIDRs of a prefix list. */
  entries(prefixListId: string): string[] {
    return this.prefixListOrThrow(prefixListId).entries.map((e) => e.cidr);
  }

  /** The current entries of a prefix list as merged address intervals. */
  entryRanges(prefixListId: string): Range[] {
    return cidrRanges(this.entries(prefixListId));
  }

  /** Version, state, MaxEntries and family of a prefix list. */
  prefixList(prefixListId: string): { version: number; state: string; maxEntries: number; family: Family } {
    const pl = this.prefixListOrThrow(prefixListId);
    return { version: pl.version, state: pl.state, maxEntries: pl.maxEntries, family: pl.family };
  }

  private prefixListOrThrow(id: string): StoredPrefixList {
    const pl = this.state.prefixLists[id];
    if (pl === undefined) throw new Error(`no prefix list ${id} in the fake`);
    return pl;
  }
}

function cidrRanges(cidrs: Iterable<string>): Range[] {
  const ranges: Range[] = [];
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (parsed !== undefined) ranges.push(rangeOf(parsed));
  }
  return mergeRanges(ranges);
}

/** Encodes a pagination offset as an opaque token. */
export function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ fakeOffset: offset })).toString('base64');
}

/** Decodes a token from `encodeToken`, or throws `InvalidPaginationToken`. */
export function decodeToken(token: unknown): number {
  if (token === undefined || token === null || token === '') return 0;
  try {
    const parsed = JSON.parse(Buffer.from(String(token), 'base64').toString('utf8')) as { fakeOffset?: unknown };
    if (typeof parsed.fakeOffset === 'number' && Number.isInteger(parsed.fakeOffset) && parsed.fakeOffset >= 0) {
      return parsed.fakeOffset;
    }
  } catch {
    // fall through
  }
  throw ec2Error('InvalidPaginationToken', `The pagination token "${String(token)}" is invalid.`);
}
