/**
 * IAM coverage (issue 10): for each shape of stack, the function's role grants every action the runtime can call
 * (derived from the code by test/infra/runtime-actions.ts) on exactly the resources it is called on, with the
 * condition it must carry, and NOTHING else. Expectations come from the deployment config and the runtime's own
 * parameter names, not from lib/permissions.ts. The shape × action matrix is docs/permissions.md's, checked here.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { configParameterPath } from '../../lambda/engine/config-store';
import { generationParameterName, lockParameterName } from '../../lambda/engine/run-lock';
import { serialParameterName } from '../../lambda/sources/serial-store';
import { type Capability, type NeededAction, neededActions, type ResourceRole } from './runtime-actions';
import { ROOT, synth } from './synth';

const LONG = 240_000;
const ACCOUNT = '111122223333';
const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const PUBLIC_KEY = 'MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=';
const HTTPS = [{ kind: 'https', url: 'https://example.com/list.txt' }];
const PORTS = [{ protocol: 'tcp', from: 443, to: 443 }];

type Allowlist = Record<string, unknown> & { name: string; sources: Record<string, unknown>[] };

/** The stack shapes of issue 10, each one allowlist. */
const SHAPES: Record<string, { region?: string; allowlist: Allowlist }> = {
  'security groups only': {
    allowlist: {
      name: 'sg',
      sources: HTTPS,
      securityGroups: { create: { vpcId: 'vpc-0123456789abcdef0', count: 2, ports: PORTS } },
    },
  },
  'existing groups': {
    allowlist: {
      name: 'existing',
      sources: HTTPS,
      securityGroups: { existing: { groupIds: ['sg-0aaaaaaaaaaaaaaa1', 'sg-0aaaaaaaaaaaaaaa2'], ports: PORTS } },
    },
  },
  'WAF only': {
    allowlist: { name: 'waf', sources: HTTPS, wafIpSets: { scope: 'REGIONAL', setsPerFamily: { ipv4: 2, ipv6: 1 } } },
  },
  CLOUDFRONT: {
    region: 'us-east-1',
    allowlist: {
      name: 'cdn',
      sources: HTTPS,
      wafIpSets: { scope: 'CLOUDFRONT', setsPerFamily: { ipv4: 1, ipv6: 1 }, ruleGroup: {}, webAcl: true },
    },
  },
  'prefix lists with RAM': {
    allowlist: {
      name: 'lists',
      sources: HTTPS,
      prefixLists: {
        ipv4: { maxEntries: 20, share: { accounts: ['444455556666'] } },
        ipv6: { maxEntries: 20, share: { accounts: ['444455556666'] } },
      },
    },
  },
  'signed S3': {
    allowlist: {
      name: 'signed',
      sources: [
        {
          kind: 's3',
          bucket: 'lists',
          key: 'signed.json',
          format: { type: 'allowlist' },
          integrity: { ed25519PublicKey: PUBLIC_KEY },
        },
        { kind: 's3', bucket: 'lists', key: 'pinned.txt', versionId: 'v1' },
      ],
      prefixLists: { ipv4: { maxEntries: 20 } },
    },
  },
  SSM: {
    allowlist: {
      name: 'params',
      sources: [{ kind: 'ssm', name: '/lists/partners' }],
      wafIpSets: { scope: 'REGIONAL', setsPerFamily: { ipv4: 1, ipv6: 0 } },
    },
  },
  KMS: {
    allowlist: {
      name: 'encrypted',
      sources: [
        { kind: 's3', bucket: 'secret-lists', key: 'partners.txt' },
        { kind: 'ssm', name: '/lists/secure' },
      ],
      kmsKeyArns: [KEY],
      securityGroups: { existing: { groupIds: ['sg-0aaaaaaaaaaaaaaa3'], ports: PORTS } },
    },
  },
};

/** One grant: action on resource, with its condition (JSON, or '' without one). */
type Grant = string;
const grant = (action: string, resource: string, condition?: unknown): Grant =>
  `${action} ${resource}${condition === undefined ? '' : ` if ${JSON.stringify(condition)}`}`;

interface Shape {
  readonly template: Template;
  readonly region: string;
  readonly allowlist: Allowlist;
}

const shapes = new Map<string, Shape>();
let needed: Map<Capability, NeededAction[]>;

beforeAll(() => {
  needed = neededActions();
  for (const [name, { region = 'eu-west-1', allowlist }] of Object.entries(SHAPES)) {
    const config = { environments: [{ name: 'iam', account: ACCOUNT, region }], allowlists: [allowlist] };
    shapes.set(name, { template: synth(config).template, region, allowlist });
  }
}, LONG);

describe('the function role of each stack shape', () => {
  it('derives the runtime actions from every SDK command the drivers and sources send', () => {
    expect([...needed.keys()].sort()).toEqual([
      'change-events',
      'config-store',
      'prefix-lists',
      'run-state',
      's3-source',
      'security-groups',
      'signed-serial',
      'ssm-source',
      'waf-ip-sets',
    ]);
    expect(needed.get('security-groups')?.map((a) => a.action)).toContain('ec2:DescribeManagedPrefixLists');
  });

  it.each([
    [
      'a command nobody mapped',
      "import { DeleteSecurityGroupCommand } from '@aws-sdk/client-ec2';\nnew DeleteSecurityGroupCommand({});\n",
      /lambda\/new\.ts sends DeleteSecurityGroupCommand/,
    ],
    [
      'a namespace import',
      "import * as ec2 from '@aws-sdk/client-ec2';\nexport { ec2 };\n",
      /other than by named import/,
    ],
    ['a paginator', "import { paginateDescribeSecurityGroups } from '@aws-sdk/client-ec2';\n", /map what it sends/],
  ])('refuses to derive the actions when a runtime file adds %s', (_, code, message) => {
    const root = mkdtempSync(path.join(tmpdir(), 'runtime-actions-'));
    mkdirSync(path.join(root, 'lambda'));
    writeFileSync(path.join(root, 'lambda', 'new.ts'), code);
    expect(() => neededActions(root)).toThrow(message);
  });

  it.each(Object.keys(SHAPES))(
    '%s: grants every action the runtime needs, on its resources, and nothing else',
    (name) => {
      const shape = shapes.get(name)!;
      const want = new Set(requiredGrants(shape));
      const have = new Set(roleGrants(shape.template));
      expect.soft([...have].filter((g) => !want.has(g)).sort(), 'granted but never needed').toEqual([]);
      expect.soft([...want].filter((g) => !have.has(g)).sort(), 'needed but not granted').toEqual([]);
    },
  );

  it('is the matrix docs/permissions.md shows', () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'permissions.md'), 'utf8');
    const table = matrix();
    console.log(`IAM matrix (action × stack shape: resources granted):\n${table}`);
    expect(doc).toContain(table);
  });
});

/** What the runtime needs in one shape: its capabilities' actions on the shape's resources, plus the log writes. */
function requiredGrants(shape: Shape): Grant[] {
  const out: Grant[] = [];
  for (const capability of capabilitiesOf(shape.allowlist)) {
    for (const need of needed.get(capability) ?? []) {
      for (const resource of resourcesOf(need.on, shape)) out.push(grant(need.action, resource, need.condition));
    }
  }
  const keys = (shape.allowlist.kmsKeyArns as string[] | undefined) ?? [];
  if (keys.length > 0) {
    // SSE-KMS objects and SecureString parameters are decrypted by S3 and SSM on the function's behalf.
    const via = {
      StringEquals: { 'kms:ViaService': [`ssm.${shape.region}.amazonaws.com`, `s3.${shape.region}.amazonaws.com`] },
    };
    for (const key of keys) out.push(grant('kms:Decrypt', key, via));
  }
  // Lambda itself uses the role for two things: the function's logs, to its own log group only, and a failed
  // asynchronous event, to the function's own dead-letter queue.
  const fn = syncFunction(shape.template);
  const logGroup = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
  for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) out.push(grant(action, `<${logGroup}.Arn>`));
  out.push(grant('sqs:SendMessage', render((fn.Properties.DeadLetterConfig as { TargetArn: unknown }).TargetArn)));
  return out;
}

function capabilitiesOf(a: Allowlist): Capability[] {
  const signed = a.sources.some((s) => (s.integrity as { ed25519PublicKey?: string } | undefined)?.ed25519PublicKey);
  return [
    ...(a.securityGroups ? (['security-groups'] as const) : []),
    ...(a.wafIpSets ? (['waf-ip-sets'] as const) : []),
    ...(a.prefixLists ? (['prefix-lists'] as const) : []),
    ...(a.sources.some((s) => s.kind === 's3') ? (['s3-source'] as const) : []),
    ...(a.sources.some((s) => s.kind === 'ssm') ? (['ssm-source'] as const) : []),
    'run-state',
    'change-events',
    'config-store',
    ...(signed ? (['signed-serial'] as const) : []),
  ];
}

/** The resources of a role in this shape, as the template renders them (tokens as `<LogicalId.Attr>`). */
function resourcesOf(role: ResourceRole, { template, region, allowlist }: Shape): string[] {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${ACCOUNT}:${resource}`;
  const parameter = (name: string) => arn('ssm', `parameter/${name.replace(/^\//, '')}`);
  const attr = (type: string, name: string) => Object.keys(template.findResources(type)).map((id) => `<${id}.${name}>`);
  const s3 = allowlist.sources.filter((s) => s.kind === 's3') as {
    bucket: string;
    key: string;
    versionId?: string;
    integrity?: unknown;
  }[];
  const object = (path: string) => `arn:aws:s3:::${path}`;
  switch (role) {
    case 'any':
      return ['*'];
    case 'pool-groups-and-rules': {
      const existing = (allowlist.securityGroups as { existing?: { groupIds: string[] } }).existing?.groupIds;
      const groups = existing ?? attr('AWS::EC2::SecurityGroup', 'GroupId');
      return [...groups.map((g) => arn('ec2', `security-group/${g}`)), arn('ec2', 'security-group-rule/*')];
    }
    case 'ip-sets':
      return attr('AWS::WAFv2::IPSet', 'Arn');
    case 'prefix-lists':
      return attr('AWS::EC2::PrefixList', 'Arn');
    case 'source-objects':
      return s3.flatMap((s) => [
        ...(s.versionId ? [] : [object(`${s.bucket}/${s.key}`)]),
        // A signed source reads its detached signature, `<key>.sig` by default, with a plain GetObject.
        ...(s.integrity ? [object(`${s.bucket}/${s.key}.sig`)] : []),
      ]);
    case 'pinned-source-objects':
      return s3.filter((s) => s.versionId).map((s) => object(`${s.bucket}/${s.key}`));
    case 'source-parameters':
      return allowlist.sources.filter((s) => s.kind === 'ssm').map((s) => parameter(String(s.name)));
    case 'lock-and-generation':
      return [parameter(lockParameterName(allowlist.name)), parameter(generationParameterName(allowlist.name))];
    case 'lock':
      return [parameter(lockParameterName(allowlist.name))];
    case 'serial':
      return [parameter(serialParameterName(allowlist.name))];
    case 'default-event-bus':
      return [arn('events', 'event-bus/default')];
    case 'config-path':
      // The stack is named after the environment `iam`, and the construct's names default to the stack name.
      return [parameter(configParameterPath('AllowlistSync-iam'))];
  }
}

/** Every Allow of the policies attached to the sync function's role, one grant per action and resource. */
function roleGrants(template: Template): Grant[] {
  const roleId = (syncFunction(template).Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const role = template.findResources('AWS::IAM::Role')[roleId]!;
  // No managed or inline policy on the role itself: everything it may do is in the policies checked here.
  expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  expect(role.Properties.Policies).toBeUndefined();
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as unknown[]).some((r) => (r as { Ref?: string }).Ref === roleId),
  );
  return policies.flatMap((p) =>
    (p.Properties.PolicyDocument.Statement as Record<string, unknown>[]).flatMap((s) => {
      expect(s.Effect).toBe('Allow');
      expect(s.NotAction ?? s.NotResource).toBeUndefined();
      return ([s.Action].flat() as string[]).flatMap((action) =>
        [s.Resource].flat().map((r) => grant(action, render(r), s.Condition)),
      );
    }),
  );
}

/** The sync function's resource: not the CDK custom-resource provider, which has its own role. */
function syncFunction(template: Template): { Properties: Record<string, unknown> } {
  const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) =>
    String(f.Properties.Description).startsWith('allowlist-sync: keeps'),
  );
  expect(functions).toHaveLength(1);
  return functions[0] as { Properties: Record<string, unknown> };
}

/** A template value as text: `Ref` as `<Id>`, `Fn::GetAtt` as `<Id.Attr>`, `Fn::Join` joined. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const record = value as Record<string, unknown>;
  if ('Ref' in record) return `<${String(record.Ref)}>`;
  if ('Fn::GetAtt' in record) return `<${(record['Fn::GetAtt'] as string[]).join('.')}>`;
  if ('Fn::Join' in record) {
    const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

/** Action × shape: `*`, or how many resources the action is granted on; `–` where it is not granted. */
function matrix(): string {
  const byShape = [...shapes].map(([name, shape]) => [name, roleGrants(shape.template)] as const);
  const actionOf = (g: Grant) => g.split(' ')[0]!;
  const actions = [...new Set(byShape.flatMap(([, grants]) => grants.map(actionOf)))].sort();
  const rows = actions.map((action) => {
    const cells = byShape.map(([, grants]) => {
      const resources = grants.filter((g) => actionOf(g) === action).map((g) => g.split(' ')[1]);
      if (resources.length === 0) return '–';
      return resources.includes('*') ? '*' : String(resources.length);
    });
    return `| \`${action}\` | ${cells.join(' | ')} |`;
  });
  const header = `| action | ${byShape.map(([name]) => name).join(' | ')} |`;
  return [header, `|---|${byShape.map(() => '---').join('|')}|`, ...rows].join('\n');
}
