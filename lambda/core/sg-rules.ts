/**
 * The plain data of security-group planning: observed rules, port ranges, write steps, and the small pure helpers
 * that both the planner (plan-security-group.ts) and the write ordering (order-security-group-writes.ts) use.
 *
 * Identity of a rule is what it admits: (group, protocol, ports, canonical CIDR). Descriptions never decide anything.
 *
 * Pure: no SDK, no I/O.
 */
import { type Cidr, type Family, parsePrefixBytes, scratch } from './prefix';

/** The security-group pool target of the RuntimeConfig (lambda/config, `targets[]` of kind `security-groups`). */
export interface SecurityGroupTarget {
  readonly kind: 'security-groups';
  readonly groupIds: readonly string[];
  /** The port ranges every prefix is allowed on. */
  readonly ports: readonly { readonly protocol: 'tcp' | 'udp'; readonly from: number; readonly to: number }[];
  /** Inbound rules per group the planner may use, per family. */
  readonly rulesPerGroup: { readonly ipv4: number; readonly ipv6: number };
}

/** A port range as EC2 reports it: `-1` protocol means every protocol and port. */
export interface Ports {
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `-1` (all), or another protocol number. */
  readonly protocol: string;
  readonly fromPort: number;
  readonly toPort: number;
}

/** One ingress rule of a group in the pool, as observed (CIDRs already canonical). */
export interface ObservedRule extends Ports {
  readonly ruleId: string;
  readonly groupId: string;
  /** The canonical source prefix; absent when the rule references a security group or a prefix list. */
  readonly cidr?: Cidr;
  /** The referenced `sg-` or `pl-` id when the rule has no CIDR. */
  readonly peer?: string;
  /** The value of the owner tag (`OWNER_TAG_KEY`), when the rule carries one. */
  readonly owner?: string;
  readonly description?: string;
}

/** What the security-group driver observed: every ingress rule of every group of the pool. */
export interface SecurityGroupObserved {
  readonly rules: readonly ObservedRule[];
  /**
   * Referenced prefix lists and their MaxEntries: a reference costs that many rules of the list's family in the
   * group (VPC quotas). A referenced list missing here costs one rule in each family.
   */
  readonly prefixLists?: ReadonlyMap<string, { readonly family: Family; readonly maxEntries: number }>;
}

/** One source prefix of an authorize call, with the rule description to set. */
export interface RangeSpec {
  readonly cidr: Cidr;
  readonly description: string;
}

/** One IpPermission of an authorize call: one port range, many CIDRs. */
export interface IngressPermission {
  readonly protocol: 'tcp' | 'udp';
  readonly fromPort: number;
  readonly toPort: number;
  readonly ipv4: readonly RangeSpec[];
  readonly ipv6: readonly RangeSpec[];
}

/** One AuthorizeSecurityGroupIngress call (tagged with the owner tag by the driver). */
export interface AuthorizeWrite {
  readonly action: 'authorize';
  readonly groupId: string;
  readonly permissions: readonly IngressPermission[];
}

/** A rule a revoke removes, for reports, logs and tests. */
export interface RevokedRule extends Ports {
  readonly ruleId: string;
  readonly cidr: Cidr;
}

/** One RevokeSecurityGroupIngress call, by rule ids (docs/aws-behaviour.md §16). */
export interface RevokeWrite {
  readonly action: 'revoke';
  readonly groupId: string;
  /**
   * `make-room`: revoked before an authorize because the group's quota cannot hold old and new at once (the plan is
   * degraded); `remove`: revoked after every authorize.
   */
  readonly phase: 'make-room' | 'remove';
  readonly ruleIds: readonly string[];
  readonly rules: readonly RevokedRule[];
}

/** One write call of a security-group plan. The driver executes them in order. */
export type SecurityGroupWrite = AuthorizeWrite | RevokeWrite;

/** A configured port range with its key. */
export interface PortRange {
  readonly protocol: 'tcp' | 'udp';
  readonly from: number;
  readonly to: number;
  /** `tcp 443-443`. */
  readonly key: string;
}

/** The configured port ranges, without duplicates, in config order. */
export function portRanges(target: SecurityGroupTarget): PortRange[] {
  const seen = new Map<string, PortRange>();
  for (const p of target.ports) {
    const key = `${p.protocol} ${p.from}-${p.to}`;
    if (!seen.has(key)) seen.set(key, { protocol: p.protocol, from: p.from, to: p.to, key });
  }
  return [...seen.values()];
}

/** EC2 reports protocols by name where it has one; a rule written with a number is the same rule. */
export function protocolName(protocol: string): string {
  if (protocol === '6') return 'tcp';
  if (protocol === '17') return 'udp';
  if (protocol === '1') return 'icmp';
  if (protocol === '58') return 'icmpv6';
  return protocol.toLowerCase();
}

/** The readable port key of an observed rule: `tcp 443-443`, or `all` for protocol -1. */
export function portsText(rule: Ports): string {
  const protocol = protocolName(rule.protocol);
  return protocol === '-1' ? 'all' : `${protocol} ${rule.fromPort}-${rule.toPort}`;
}

/** True when a rule admits traffic on every port of the configured range `port`. */
export function coversPorts(rule: Ports, port: PortRange): boolean {
  const protocol = protocolName(rule.protocol);
  if (protocol === '-1') return true;
  return protocol === port.protocol && rule.fromPort <= port.from && rule.toPort >= port.to;
}

/** The identity of a rule: group, port key and canonical CIDR. */
export function ruleKey(groupId: string, portKey: string, cidr: Cidr): string {
  return `${groupId}|${portKey}|${cidr}`;
}

const encoder = new TextEncoder();

/**
 * The inclusive address range of a canonical prefix, and its family. Read straight from the parser's scratch: this
 * runs inside sort comparators, where building a PrefixSet per call would dominate the plan's time.
 */
export function prefixRange(cidr: Cidr): [bigint, bigint, Family] {
  const bytes = encoder.encode(cidr);
  const family = parsePrefixBytes(bytes, 0, bytes.length);
  if (family === 4) {
    const start = BigInt(scratch.v4);
    return [start, start + (1n << BigInt(32 - scratch.length)) - 1n, 4];
  }
  if (family !== 6) throw new TypeError(`not a canonical prefix: ${JSON.stringify(cidr)}`);
  const w = scratch.v6;
  const start = (BigInt(w[0]!) << 96n) | (BigInt(w[1]!) << 64n) | (BigInt(w[2]!) << 32n) | BigInt(w[3]!);
  return [start, start + (1n << BigInt(128 - scratch.length)) - 1n, 6];
}

/** Orders canonical prefixes by family, then address, then length: the order of every list a plan holds. */
export function compareCidrs(a: Cidr, b: Cidr): number {
  if (a === b) return 0;
  const [sa, , fa] = prefixRange(a);
  const [sb, , fb] = prefixRange(b);
  if (fa !== fb) return fa - fb;
  if (sa !== sb) return sa < sb ? -1 : 1;
  return lengthOf(a) - lengthOf(b);
}

function lengthOf(cidr: Cidr): number {
  return Number(cidr.slice(cidr.lastIndexOf('/') + 1));
}

/** Characters EC2 accepts in a rule description (docs/aws-behaviour.md §17). */
const DESCRIPTION_DISALLOWED = /[^a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]/g;

/** Longest description EC2 accepts (docs/aws-behaviour.md §17). */
export const DESCRIPTION_MAX = 255;

/**
 * The description of a rule we write: the readable marker `allowlist-sync:<allowlist>`, then the entry's owner and
 * note where the source had them. Characters EC2 refuses become `_` (one bad character would fail the whole
 * authorize, docs/aws-behaviour.md §13), and the text is cut at 255 characters.
 */
export function ruleDescription(allowlist: string, note?: { readonly note?: string; readonly owner?: string }): string {
  const parts = [`allowlist-sync:${allowlist}`, note?.owner, note?.note]
    .map((p) => p?.replace(/\s+/g, ' ').trim())
    .filter((p): p is string => p !== undefined && p !== '');
  return parts.join(' - ').replace(DESCRIPTION_DISALLOWED, '_').slice(0, DESCRIPTION_MAX).trimEnd();
}

/**
 * Rules a rule costs against its group's per-family quota: a CIDR rule one of its family; a group reference one of
 * each; a prefix-list reference its MaxEntries (VPC quotas: "a prefix list with 20 maximum entries counts as 20
 * rules").
 */
export function quotaCost(rule: ObservedRule, observed: SecurityGroupObserved): { 4: number; 6: number } {
  if (rule.cidr !== undefined) return rule.cidr.includes(':') ? { 4: 0, 6: 1 } : { 4: 1, 6: 0 };
  if (rule.peer?.startsWith('pl-')) {
    const list = observed.prefixLists?.get(rule.peer);
    if (list !== undefined) return list.family === 4 ? { 4: list.maxEntries, 6: 0 } : { 4: 0, 6: list.maxEntries };
  }
  return { 4: 1, 6: 1 };
}
