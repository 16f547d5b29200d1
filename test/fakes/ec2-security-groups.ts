/**
 * Security group operations of the EC2 fake, each a function over the plain state. Writes run on a draft that the base
 * class commits only when they return, so "all-or-nothing per call" (AWS-FACTS 13) holds by construction; each
 * function still validates everything before it changes anything, in the order AWS reports problems.
 *
 * Sources: EC2 API reference for AuthorizeSecurityGroupIngress, RevokeSecurityGroupIngress,
 * DescribeSecurityGroupRules; VPC quotas page; AWS-FACTS 12–19.
 */
import { type Family, formatCidr, parseCidr } from './cidr';
import {
  decodeToken,
  type Ec2State,
  ec2Error,
  encodeToken,
  nextId,
  type StoredGroup,
  type StoredRule,
  UnsupportedByFake,
} from './ec2-state';

type Input = Record<string, unknown>;

/** AWS-FACTS 17: rule descriptions are at most 255 characters from this set. */
const RULE_DESCRIPTION = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;

function requireGroup(state: Ec2State, groupId: unknown): StoredGroup {
  if (groupId === undefined) throw ec2Error('MissingParameter', 'The request must contain the parameter groupId');
  if (typeof groupId !== 'string' || !/^sg-[0-9a-f]+$/.test(groupId)) {
    throw ec2Error('InvalidGroupId.Malformed', `Invalid id: "${String(groupId)}" (expecting "sg-...")`);
  }
  const group = state.groups[groupId];
  if (group === undefined) throw ec2Error('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`);
  return group;
}

function checkDescription(description: unknown): string | undefined {
  if (description === undefined) return undefined;
  if (typeof description !== 'string' || description.length > 255 || !RULE_DESCRIPTION.test(description)) {
    throw ec2Error(
      'InvalidParameterValue',
      `Invalid rule description. Valid descriptions are strings less than 256 characters from the following set: ` +
        `a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*; got "${String(description)}"`,
    );
  }
  return description;
}

/** A rule's identity: what it admits. The description is not part of it. */
function ruleKey(r: { protocol: string; fromPort: number; toPort: number; cidr: string }): string {
  return `${r.protocol}|${r.fromPort}|${r.toPort}|${r.cidr}`;
}

interface RequestedRule {
  protocol: string;
  fromPort: number;
  toPort: number;
  family: Family;
  cidr: string;
  description?: string;
}

function normaliseProtocol(raw: unknown): string {
  const text = String(raw ?? '').toLowerCase();
  if (text === 'tcp' || text === '6') return 'tcp';
  if (text === 'udp' || text === '17') return 'udp';
  if (text === '-1' || text === 'all') return '-1';
  if (text === 'icmp' || text === '1' || text === 'icmpv6' || text === '58') {
    throw new UnsupportedByFake(`protocol ${text} is not modelled by the fake`);
  }
  throw ec2Error('InvalidParameterValue', `Invalid value '${String(raw)}' for IP protocol. Unknown protocol.`);
}

function checkPort(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw ec2Error('InvalidParameterValue', `Invalid value '${String(value)}' for ${name}. Expected 0-65535.`);
  }
  return value;
}

/** Expands IpPermissions into one requested rule per CIDR, validating as EC2 does, canonicalising CIDRs. */
function expandPermissions(permissions: unknown): RequestedRule[] {
  if (!Array.isArray(permissions) || permissions.length === 0) {
    throw ec2Error('MissingParameter', 'The request must contain the parameter ipPermissions');
  }
  const out: RequestedRule[] = [];
  for (const p of permissions as Input[]) {
    if (p.UserIdGroupPairs !== undefined || p.PrefixListIds !== undefined) {
      if ((p.UserIdGroupPairs as unknown[] | undefined)?.length || (p.PrefixListIds as unknown[] | undefined)?.length) {
        throw new UnsupportedByFake('group and prefix-list references in rules are not modelled by the fake');
      }
    }
    const protocol = normaliseProtocol(p.IpProtocol);
    let fromPort = -1;
    let toPort = -1;
    if (protocol !== '-1') {
      fromPort = checkPort(p.FromPort, 'fromPort');
      toPort = checkPort(p.ToPort, 'toPort');
      if (fromPort > toPort) {
        throw ec2Error('InvalidParameterValue', `Invalid port range: fromPort ${fromPort} is above toPort ${toPort}`);
      }
    }
    const sources: { text: unknown; family: Family; description: unknown }[] = [
      ...((p.IpRanges as Input[] | undefined) ?? []).map((r) => ({
        text: r.CidrIp,
        family: 4 as const,
        description: r.Description,
      })),
      ...((p.Ipv6Ranges as Input[] | undefined) ?? []).map((r) => ({
        text: r.CidrIpv6,
        family: 6 as const,
        description: r.Description,
      })),
    ];
    if (sources.length === 0) {
      throw ec2Error('InvalidParameterValue', 'An IP permission must specify at least one CIDR range');
    }
    for (const source of sources) {
      const parsed = typeof source.text === 'string' ? parseCidr(source.text) : undefined;
      if (parsed === undefined || parsed.family !== source.family) {
        const field = source.family === 4 ? 'cidrIp' : 'cidrIpv6';
        throw ec2Error(
          'InvalidParameterValue',
          `Value (${String(source.text)}) for parameter ${field} is invalid. This is not a valid CIDR block.`,
        );
      }
      const description = checkDescription(source.description);
      out.push({
        protocol,
        fromPort,
        toPort,
        family: parsed.family,
        // EC2 canonicalises: 100.68.0.18/18 is stored as 100.68.0.0/18 (AWS-FACTS 14).
        cidr: formatCidr(parsed),
        ...(description === undefined ? {} : { description }),
      });
    }
  }
  return out;
}

function checkTags(specs: unknown): { Key: string; Value: string }[] {
  const tags: { Key: string; Value: string }[] = [];
  for (const spec of (specs as Input[] | undefined) ?? []) {
    if (spec.ResourceType !== 'security-group-rule') {
      throw ec2Error(
        'InvalidParameterValue',
        `'${String(spec.ResourceType)}' is not a valid taggable resource type for this operation.`,
      );
    }
    for (const tag of (spec.Tags as Input[] | undefined) ?? []) {
      const key = tag.Key;
      const value = tag.Value ?? '';
      if (typeof key !== 'string' || key.length < 1 || key.length > 128 || key.toLowerCase().startsWith('aws:')) {
        throw ec2Error('InvalidParameterValue', `Tag key '${String(key)}' is invalid`);
      }
      if (typeof value !== 'string' || value.length > 256) {
        throw ec2Error('InvalidParameterValue', `Tag value for '${key}' is invalid`);
      }
      if (tags.some((t) => t.Key === key)) throw ec2Error('InvalidParameterValue', `Duplicate tag key '${key}'`);
      tags.push({ Key: key, Value: value });
    }
  }
  if (tags.length > 50) throw ec2Error('TagLimitExceeded', 'A resource can have at most 50 tags');
  return tags;
}

function describeRule(rule: StoredRule, accountId: string, region: string): Input {
  return {
    SecurityGroupRuleId: rule.id,
    GroupId: rule.groupId,
    GroupOwnerId: accountId,
    IsEgress: rule.isEgress,
    IpProtocol: rule.protocol,
    FromPort: rule.fromPort,
    ToPort: rule.toPort,
    ...(rule.family === 4 ? { CidrIpv4: rule.cidr } : { CidrIpv6: rule.cidr }),
    ...(rule.description === undefined ? {} : { Description: rule.description }),
    Tags: rule.tags.map((t) => ({ ...t })),
    SecurityGroupRuleArn: `arn:aws:ec2:${region}:${accountId}:security-group-rule/${rule.id}`,
  };
}

/** AuthorizeSecurityGroupIngress: all-or-nothing; duplicates, in-request repeats and the per-family quota fail it. */
export function authorizeIngress(state: Ec2State, input: Input): unknown {
  const group = requireGroup(state, input.GroupId);
  const requested = expandPermissions(input.IpPermissions);
  const tags = checkTags(input.TagSpecifications);
  const seen = new Set<string>();
  for (const r of requested) {
    const key = ruleKey(r);
    if (seen.has(key)) {
      throw ec2Error('InvalidParameterValue', `The same permission must not appear multiple times (${r.cidr})`);
    }
    seen.add(key);
  }
  const existing = Object.values(state.rules).filter((r) => r.groupId === group.id && !r.isEgress);
  const existingKeys = new Set(existing.map(ruleKey));
  for (const r of requested) {
    if (existingKeys.has(ruleKey(r))) {
      const ports =
        r.protocol === '-1' ? 'ALL' : `${r.protocol.toUpperCase()}, from port: ${r.fromPort}, to port: ${r.toPort}`;
      throw ec2Error(
        'InvalidPermission.Duplicate',
        `the specified rule "peer: ${r.cidr}, ${ports}, ALLOW" already exists`,
      );
    }
  }
  for (const family of [4, 6] as const) {
    const limit = family === 4 ? state.quota.ipv4 : state.quota.ipv6;
    const count =
      existing.filter((r) => r.family === family).length + requested.filter((r) => r.family === family).length;
    if (count > limit) {
      throw ec2Error(
        'RulesPerSecurityGroupLimitExceeded',
        'The maximum number of rules per security group has been reached.',
      );
    }
  }
  const created = requested.map((r): StoredRule => {
    const rule: StoredRule = {
      id: nextId(state, 'sgr'),
      groupId: group.id,
      isEgress: false,
      ...r,
      tags: tags.map((t) => ({ ...t })),
    };
    state.rules[rule.id] = rule;
    return rule;
  });
  return { Return: true, SecurityGroupRules: created.map((r) => describeRule(r, state.accountId, state.region)) };
}

/**
 * RevokeSecurityGroupIngress, by rule ids or by properties.
 *
 * By properties (API reference, RevokeSecurityGroupIngress): in a non-default VPC a rule that does not match fails the
 * whole call with `InvalidPermission.NotFound` and revokes nothing; in a default VPC there is no error, the matching
 * rules are revoked and the rest come back in `UnknownIpPermissions`.
 *
 * By ids: the reference does not name the code. `InvalidSecurityGroupRuleId.NotFound` is what EC2 returns for an
 * unknown `sgr-` id (seen in DescribeSecurityGroupRules output in public scripts, and in emulators that reproduce
 * revoke-by-id, e.g. ministackorg/ministack PR #1346, which also keep the call all-or-nothing). An id of another group
 * or of an egress rule is treated as not found.
 */
export function revokeIngress(state: Ec2State, input: Input): unknown {
  const group = requireGroup(state, input.GroupId);
  const ids = input.SecurityGroupRuleIds as unknown[] | undefined;
  const permissions = input.IpPermissions as unknown[] | undefined;
  if (ids?.length && permissions?.length) {
    throw ec2Error('InvalidParameterCombination', 'Specify either SecurityGroupRuleIds or IpPermissions, not both');
  }
  let revoked: StoredRule[];
  const unknown: Input[] = [];
  if (ids?.length) {
    if (new Set(ids).size !== ids.length) throw ec2Error('InvalidParameterValue', 'Duplicate security group rule ids');
    revoked = ids.map((id) => {
      if (typeof id !== 'string' || !/^sgr-[0-9a-f]+$/.test(id)) {
        throw ec2Error('InvalidSecurityGroupRuleId.Malformed', `Invalid id: "${String(id)}" (expecting "sgr-...")`);
      }
      const rule = state.rules[id];
      if (rule === undefined || rule.groupId !== group.id || rule.isEgress) {
        throw ec2Error('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`);
      }
      return rule;
    });
  } else {
    const requested = expandPermissions(permissions);
    const byKey = new Map(
      Object.values(state.rules)
        .filter((r) => r.groupId === group.id && !r.isEgress)
        .map((r) => [ruleKey(r), r] as const),
    );
    revoked = [];
    for (const r of requested) {
      const match = byKey.get(ruleKey(r));
      if (match !== undefined) {
        if (!revoked.includes(match)) revoked.push(match);
      } else if (!group.defaultVpc) {
        throw ec2Error(
          'InvalidPermission.NotFound',
          `The specified rule does not exist in this security group. (${r.protocol} ${r.fromPort}-${r.toPort} ${r.cidr})`,
        );
      } else {
        unknown.push(permissionOf(r));
      }
    }
  }
  for (const rule of revoked) delete state.rules[rule.id];
  return {
    Return: true,
    ...(unknown.length ? { UnknownIpPermissions: unknown } : {}),
    RevokedSecurityGroupRules: revoked.map((r) => ({
      SecurityGroupRuleId: r.id,
      GroupId: r.groupId,
      IsEgress: false,
      IpProtocol: r.protocol,
      FromPort: r.fromPort,
      ToPort: r.toPort,
      ...(r.family === 4 ? { CidrIpv4: r.cidr } : { CidrIpv6: r.cidr }),
      ...(r.description === undefined ? {} : { Description: r.description }),
    })),
  };
}

function permissionOf(r: RequestedRule): Input {
  return {
    IpProtocol: r.protocol,
    FromPort: r.fromPort,
    ToPort: r.toPort,
    ...(r.family === 4 ? { IpRanges: [{ CidrIp: r.cidr }] } : { Ipv6Ranges: [{ CidrIpv6: r.cidr }] }),
  };
}

function pageSize(raw: unknown, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) {
    throw ec2Error(
      'InvalidParameterValue',
      `Value ( ${String(raw)} ) for parameter maxResults is invalid. Expecting a value between ${min} and ${max}.`,
    );
  }
  return raw;
}

/** Pages a list: returns the slice and the next token. */
export function paginate<T>(items: T[], input: Input, min: number, max: number): { page: T[]; NextToken?: string } {
  const size = pageSize(input.MaxResults, min, max) ?? items.length;
  const offset = decodeToken(input.NextToken);
  const page = items.slice(offset, offset + size);
  return offset + size < items.length ? { page, NextToken: encodeToken(offset + size) } : { page };
}

/** DescribeSecurityGroupRules: filters group-id, tag:<key>, tag-key, security-group-rule-id; MaxResults 5–1000. */
export function describeRules(state: Ec2State, input: Input): unknown {
  let rules = Object.values(state.rules);
  const ids = input.SecurityGroupRuleIds as string[] | undefined;
  if (ids?.length) {
    for (const id of ids) {
      if (state.rules[id] === undefined) {
        throw ec2Error('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`);
      }
    }
    rules = rules.filter((r) => ids.includes(r.id));
  }
  for (const filter of (input.Filters as { Name?: string; Values?: string[] }[] | undefined) ?? []) {
    const name = filter.Name ?? '';
    const values = filter.Values ?? [];
    const tagValue = (r: StoredRule, key: string) => r.tags.find((t) => t.Key === key)?.Value;
    if (name === 'group-id') rules = rules.filter((r) => values.includes(r.groupId));
    else if (name === 'security-group-rule-id') rules = rules.filter((r) => values.includes(r.id));
    else if (name === 'tag-key') rules = rules.filter((r) => r.tags.some((t) => values.includes(t.Key)));
    else if (name.startsWith('tag:')) {
      const key = name.slice(4);
      rules = rules.filter((r) => {
        const value = tagValue(r, key);
        return value !== undefined && values.includes(value);
      });
    } else throw ec2Error('InvalidParameterValue', `The filter '${name}' is invalid`);
  }
  const { page, NextToken } = paginate(rules, input, 5, 1000);
  return {
    SecurityGroupRules: page.map((r) => describeRule(r, state.accountId, state.region)),
    ...(NextToken === undefined ? {} : { NextToken }),
  };
}

/**
 * DescribeSecurityGroups by GroupIds (all groups when omitted). As EC2 does, one id that does not exist fails the whole
 * call with `InvalidGroup.NotFound` naming that id, rather than returning the others: a pool with a mistyped group is
 * an error, never an empty answer (issue 10, defect 4). Filters, names and pages are not modelled.
 */
export function describeGroups(state: Ec2State, input: Input): unknown {
  for (const unmodelled of ['Filters', 'GroupNames', 'MaxResults', 'NextToken']) {
    if (input[unmodelled] !== undefined) throw new UnsupportedByFake(`DescribeSecurityGroups ${unmodelled}`);
  }
  const ids = (input.GroupIds as string[] | undefined) ?? Object.keys(state.groups);
  return {
    SecurityGroups: ids.map((id) => {
      const group = requireGroup(state, id);
      return {
        GroupId: group.id,
        GroupName: group.name,
        VpcId: group.vpcId,
        Description: group.description,
        OwnerId: state.accountId,
      };
    }),
  };
}
