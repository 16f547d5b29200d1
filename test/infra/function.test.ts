import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { configParameterPath } from '../../lambda/engine/config-store';
import {
  generationParameterName as runtimeGenerationName,
  lockParameterName as runtimeLockName,
} from '../../lambda/engine/run-lock';
import { FUNCTION_BUNDLING } from '../../lib/bundling-options';
import { generationParameterName, lockParameterName, serialParameterName } from '../../lib/permissions';
import { functionEnvironment, loadDeployedConfig } from './config-parameters';
import { fullConfig, policyStatements, sampleConfig, synth } from './synth';

const LONG = 120_000;
const DESCRIBE_ACTIONS = [
  'ec2:DescribeManagedPrefixLists',
  'ec2:DescribeSecurityGroupRules',
  'ec2:DescribeSecurityGroups',
];

describe('the sync function, its triggers and its permissions', () => {
  let template: Template;
  let sample: Template;
  beforeAll(() => {
    template = synth(fullConfig()).template;
    sample = synth(sampleConfig()).template;
  }, LONG);

  const syncFunction = (t: Template) =>
    Object.entries(t.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs24.x' } }));

  it('runs on nodejs24.x with reserved concurrency 1, JSON logs in a log group with retention, and a DLQ', () => {
    const [[, fn]] = syncFunction(template) as [[string, { Properties: Record<string, unknown> }]];
    expect(fn.Properties).toMatchObject({
      ReservedConcurrentExecutions: 1,
      Timeout: 300,
      MemorySize: 1024,
      LoggingConfig: { LogFormat: 'JSON' },
      DeadLetterConfig: { TargetArn: expect.anything() },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
    });
  });

  it('bundles for the Node version the runtime runs (node24 for nodejs24.x)', () => {
    const [[, fn]] = syncFunction(template) as [[string, { Properties: { Runtime: string } }]];
    expect(FUNCTION_BUNDLING.target).toBe(fn.Properties.Runtime.replace(/^nodejs(\d+)\.x$/, 'node$1'));
  });

  it('writes a RuntimeConfig parameter per allowlist that the function itself reads, with one target per configured filter', async () => {
    const env = functionEnvironment(sample);
    expect(env).not.toHaveProperty('ALLOWLIST_SYNC_CONFIG');
    expect(env.ALLOWLIST_SYNC_CONFIG_PATH).toBe('/allowlist-sync/AllowlistSync-prod/config');
    expect(env.ALLOWLIST_SYNC_ALLOWLISTS).toBe('partners,github-hooks');
    // Realistic ids where the deploy-time tokens are, then the function's own loader and schema.
    const { config } = await loadDeployedConfig(sample);
    expect(config.allowlists.map((a) => [a.name, a.targets.map((t) => t.kind)])).toEqual([
      ['partners', ['security-groups', 'waf-ip-sets']],
      ['github-hooks', ['prefix-lists']],
    ]);
  });

  it('creates the config parameters before the function, which depends on each', () => {
    const [[, fn]] = syncFunction(sample) as [[string, { DependsOn?: string[] }]];
    const parameters = Object.entries(sample.findResources('AWS::SSM::Parameter', { Properties: { Tier: 'Standard' } }))
      .filter(([, p]) => String(p.Properties.Name).includes('/config/'))
      .map(([id]) => id);
    expect(parameters).toHaveLength(2);
    for (const id of parameters) expect(fn.DependsOn).toContain(id);
  });

  it('schedules {"trigger":"schedule"} every 15 minutes with explicit retries, event age and a DLQ', () => {
    sample.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
      Target: Match.objectLike({
        Input: '{"trigger":"schedule"}',
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: Match.anyValue() },
      }),
    });
  });

  it('runs on S3 Object Created for each S3 source, and on the signature of a signed list', () => {
    const patterns = Object.values(template.findResources('AWS::Events::Rule')).map((r) => r.Properties.EventPattern);
    expect(patterns.map((p) => `${p.detail.bucket.name[0]}/${p.detail.object.key[0]}`).sort()).toEqual([
      'lists-bucket/partners.txt',
      'lists-bucket/pinned.txt',
      'signed-bucket/offices.json.sig',
    ]);
    for (const p of patterns) expect(p).toMatchObject({ source: ['aws.s3'], 'detail-type': ['Object Created'] });
    template.allResourcesProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 } })],
    });
  });

  it('invokes the function with {"trigger":"deploy"} after the filters and the function exist', () => {
    const runs = template.findResources('Custom::AWS');
    const [[, run]] = Object.entries(runs) as [[string, { Properties: Record<string, unknown>; DependsOn: string[] }]];
    const create = JSON.stringify(run.Properties.Create);
    expect(create).toContain('\\"InvocationType\\":\\"Event\\"');
    expect(create).toContain('{\\\\\\"trigger\\\\\\":\\\\\\"deploy\\\\\\"}');
    expect(create).toContain('allowlist-sync-deploy-test-run');
    const filters = [
      ...Object.keys(template.findResources('AWS::WAFv2::IPSet')),
      ...Object.keys(template.findResources('AWS::EC2::SecurityGroup')),
      ...Object.keys(template.findResources('AWS::EC2::PrefixList')),
      ...Object.keys(template.findResources('AWS::WAFv2::WebACL')),
    ];
    for (const id of [...filters, syncFunction(template)[0]![0]]) expect(run.DependsOn).toContain(id);
    expect(run.DependsOn.some((d) => /RoleDefaultPolicy/.test(d))).toBe(true);
  });

  it('grants * only to the Describe actions that support no resource-level permission', () => {
    const wildcard = policyStatements(template).filter(({ statement }) => statement.Resource === '*');
    expect(wildcard.length).toBeGreaterThan(0);
    for (const { statement } of wildcard) {
      const actions = [statement.Action].flat() as string[];
      for (const action of actions) expect(DESCRIBE_ACTIONS).toContain(action);
    }
  });

  it.each([
    ['ec2:AuthorizeSecurityGroupIngress', /security-group\/|security-group-rule\/\*/],
    ['ec2:RevokeSecurityGroupIngress', /security-group\/|security-group-rule\/\*/],
    ['wafv2:UpdateIPSet', /IpSet/],
    ['wafv2:GetIPSet', /IpSet/],
    ['ec2:ModifyManagedPrefixList', /PrefixList/],
    ['ec2:GetManagedPrefixListEntries', /PrefixList/],
    ['s3:GetObject', /^arn:aws:s3:::(lists-bucket\/partners\.txt|signed-bucket\/offices\.json(\.sig)?)$/],
    ['s3:GetObjectVersion', /^arn:aws:s3:::lists-bucket\/pinned\.txt$/],
    [
      'ssm:GetParameter',
      /parameter\/(lists\/partners|allowlist-sync\/(partners|offices)\/(lock|generation)|allowlist-sync\/offices\/serial)$/,
    ],
    ['ssm:PutParameter', /parameter\/allowlist-sync\/((partners|offices)\/(lock|generation)|offices\/serial)$/],
    ['ssm:DeleteParameter', /parameter\/allowlist-sync\/(partners|offices)\/lock$/],
    ['events:PutEvents', /^arn:aws:events:us-east-1:111122223333:event-bus\/default$/],
  ])('grants %s only on the pool resources', (action, resource) => {
    const statements = policyStatements(template).filter(({ statement }) =>
      ([statement.Action].flat() as string[]).includes(action),
    );
    expect(statements.length).toBeGreaterThan(0);
    for (const { statement } of statements) {
      for (const r of [statement.Resource].flat()) {
        expect(r).not.toBe('*');
        expect(typeof r === 'string' ? r : JSON.stringify(r)).toMatch(resource);
      }
    }
  });

  it('grants the writes on exactly the pool groups: the three created and the one existing', () => {
    const [{ statement }] = policyStatements(template).filter(({ statement }) =>
      ([statement.Action].flat() as string[]).includes('ec2:AuthorizeSecurityGroupIngress'),
    ) as unknown as [{ statement: { Resource: unknown[] } }];
    const text = JSON.stringify(statement.Resource);
    expect(text.match(/SecurityGroup\dGroupId|GroupId/g)?.length).toBe(3);
    expect(text).toContain('security-group/sg-0aaaaaaaaaaaaaaa1');
  });

  it('lets the function tag only the rules it authorizes', () => {
    const [{ statement }] = policyStatements(template).filter(({ statement }) =>
      ([statement.Action].flat() as string[]).includes('ec2:CreateTags'),
    ) as unknown as [{ statement: Record<string, unknown> }];
    expect(statement.Action).toBe('ec2:CreateTags');
    expect(statement.Condition).toEqual({ StringEquals: { 'ec2:CreateAction': 'AuthorizeSecurityGroupIngress' } });
  });

  it('decrypts with customer keys only through SSM or S3', () => {
    const [{ statement }] = policyStatements(template).filter(
      ({ statement }) => statement.Action === 'kms:Decrypt',
    ) as unknown as [{ statement: Record<string, unknown> }];
    expect(statement.Resource).toBe('arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    expect(statement.Condition).toEqual({
      StringEquals: { 'kms:ViaService': ['ssm.us-east-1.amazonaws.com', 's3.us-east-1.amazonaws.com'] },
    });
  });

  it("keeps run state for every allowlist: Get/Put on its lock and generation (and a signed one's serial), Delete on its lock only", () => {
    const ssm = (t: Template) =>
      policyStatements(t)
        .filter(({ statement }) => ([statement.Action].flat() as string[]).some((a) => a.startsWith('ssm:')))
        .map(({ statement }) => ({
          actions: [statement.Action].flat(),
          resources: ([statement.Resource].flat() as string[]).map((r) => r.replace(/^.*:parameter/, '')).sort(),
        }));
    expect(ssm(template)).toEqual([
      { actions: ['ssm:GetParameter'], resources: ['/lists/partners'] },
      {
        actions: ['ssm:GetParameter', 'ssm:PutParameter'],
        resources: [
          lockParameterName('partners'),
          generationParameterName('partners'),
          lockParameterName('offices'),
          generationParameterName('offices'),
          serialParameterName('offices'),
        ].sort(),
      },
      {
        actions: ['ssm:DeleteParameter'],
        resources: [lockParameterName('partners'), lockParameterName('offices')].sort(),
      },
      // The RuntimeConfig, read at every run: the path's ARN covers the parameters below it.
      { actions: ['ssm:GetParametersByPath'], resources: [configParameterPath('AllowlistSync-test')] },
    ]);
    // The names are the ones the function uses.
    expect([lockParameterName('x'), generationParameterName('x')]).toEqual([
      runtimeLockName('x'),
      runtimeGenerationName('x'),
    ]);
  });

  it('gives a config without S3-pinned, SSM or signed sources no KMS and no SSM permission beyond its run state', () => {
    const statements = policyStatements(sample).map(({ statement }) => statement);
    const actions = statements.flatMap((statement) => [statement.Action].flat() as string[]);
    expect(actions).toContain('s3:GetObject');
    expect(actions.filter((a) => /^kms:/.test(a))).toEqual([]);
    const ssmResources = statements
      .filter((statement) => ([statement.Action].flat() as string[]).some((a) => a.startsWith('ssm:')))
      .flatMap((statement) => [statement.Resource].flat() as string[]);
    expect(ssmResources.length).toBeGreaterThan(0);
    for (const r of ssmResources) {
      expect(r).toMatch(/:parameter\/allowlist-sync\/([^/]+\/(lock|generation)|AllowlistSync-prod\/config)$/);
    }
  });
});
