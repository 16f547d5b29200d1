/**
 * Creates and reads the resources the end-to-end cases run against, through the SDK pointed at moto: a VPC with a pool
 * of security groups, WAF IP sets, managed prefix lists, an S3 bucket with objects, SSM parameters. Setup and reads
 * go through these helpers; the product's own calls go through its drivers.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateManagedPrefixListCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  GetManagedPrefixListEntriesCommand,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { CreateIPSetCommand, GetIPSetCommand } from '@aws-sdk/client-wafv2';
import { OWNER_TAG_KEY } from '../../lambda/config';
import { MOTO_REGION, type MotoClients } from './moto';

/** A WAF IP set as the RuntimeConfig names it. */
export interface IpSetRef {
  readonly name: string;
  readonly id: string;
}

/** Creates a VPC and `count` security groups in it (a non-default VPC, as the stack's groups are). */
export async function createGroupPool(clients: MotoClients, count: number): Promise<string[]> {
  const vpc = await clients.ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }));
  const vpcId = vpc.Vpc?.VpcId as string;
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const group = await clients.ec2.send(
      new CreateSecurityGroupCommand({ GroupName: `allowlist-${i}`, Description: 'allowlist pool', VpcId: vpcId }),
    );
    ids.push(group.GroupId as string);
  }
  return ids;
}

/**
 * Adds a tcp ingress rule: with `owner`, tagged as allowlist-sync tags the rules it writes (the allowlist's name);
 * without, a rule it does not own, as a person or another tool would add it.
 */
export async function addIngressRule(
  clients: MotoClients,
  groupId: string,
  cidr: string,
  options: { readonly port?: number; readonly owner?: string } = {},
): Promise<void> {
  const port = options.port ?? 443;
  await clients.ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: port,
          ToPort: port,
          ...(cidr.includes(':') ? { Ipv6Ranges: [{ CidrIpv6: cidr }] } : { IpRanges: [{ CidrIp: cidr }] }),
        },
      ],
      ...(options.owner === undefined
        ? {}
        : {
            TagSpecifications: [
              { ResourceType: 'security-group-rule', Tags: [{ Key: OWNER_TAG_KEY, Value: options.owner }] },
            ],
          }),
    }),
  );
}

/** One ingress rule of a group, as read back. */
export interface IngressRule {
  readonly cidr: string;
  readonly port: number;
  readonly owner: string | undefined;
}

/** A group's ingress rules (the default egress rule left out), sorted by CIDR. */
export async function ingressRules(clients: MotoClients, groupId: string): Promise<IngressRule[]> {
  const out = await clients.ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  return (out.SecurityGroupRules ?? [])
    .filter((r) => r.IsEgress === false)
    .map((r) => ({
      cidr: (r.CidrIpv4 ?? r.CidrIpv6) as string,
      port: r.FromPort as number,
      owner: r.Tags?.find((t) => t.Key === OWNER_TAG_KEY)?.Value,
    }))
    .sort((a, b) => a.cidr.localeCompare(b.cidr));
}

/** Creates a REGIONAL WAF IP set of one family. */
export async function createIpSet(
  clients: MotoClients,
  name: string,
  family: 'IPV4' | 'IPV6',
  addresses: string[] = [],
): Promise<IpSetRef> {
  const out = await clients.wafv2.send(
    new CreateIPSetCommand({ Name: name, Scope: 'REGIONAL', IPAddressVersion: family, Addresses: addresses }),
  );
  return { name, id: out.Summary?.Id as string };
}

/** An IP set's addresses, sorted. */
export async function ipSetAddresses(clients: MotoClients, ref: IpSetRef): Promise<string[]> {
  const out = await clients.wafv2.send(new GetIPSetCommand({ Name: ref.name, Id: ref.id, Scope: 'REGIONAL' }));
  return [...(out.IPSet?.Addresses ?? [])].sort();
}

/** Creates a managed prefix list of one family. */
export async function createPrefixList(
  clients: MotoClients,
  name: string,
  family: 4 | 6,
  maxEntries: number,
  entries: string[] = [],
): Promise<string> {
  const out = await clients.ec2.send(
    new CreateManagedPrefixListCommand({
      PrefixListName: name,
      AddressFamily: family === 4 ? 'IPv4' : 'IPv6',
      MaxEntries: maxEntries,
      ...(entries.length > 0 ? { Entries: entries.map((Cidr) => ({ Cidr })) } : {}),
    }),
  );
  return out.PrefixList?.PrefixListId as string;
}

/** A prefix list's entries, sorted. */
export async function prefixListEntries(clients: MotoClients, id: string): Promise<string[]> {
  const out = await clients.ec2.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: id }));
  return (out.Entries ?? []).map((e) => e.Cidr as string).sort();
}

/** Creates a bucket (in {@link MOTO_REGION}) and puts objects in it. */
export async function createBucket(clients: MotoClients, bucket: string, objects: Record<string, string>) {
  await clients.s3.send(
    new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: MOTO_REGION } }),
  );
  for (const [key, body] of Object.entries(objects)) await putObject(clients, bucket, key, body);
}

/** Puts (or replaces) one object. */
export async function putObject(clients: MotoClients, bucket: string, key: string, body: string): Promise<void> {
  await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/** Puts an SSM parameter. */
export async function putParameter(
  clients: MotoClients,
  name: string,
  value: string,
  type: 'String' | 'StringList' | 'SecureString' = 'String',
): Promise<void> {
  await clients.ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: type, Overwrite: true }));
}
