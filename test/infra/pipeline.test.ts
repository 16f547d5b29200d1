/**
 * The pipeline of examples/pipeline.ts (docs/deploying.md "Pipelines"): a CDK Pipelines pipeline in the staging
 * account that deploys three environments in two accounts, staging first, then production in two Regions together.
 * GIVEN the deployment config and the settings, WHEN the app synthesizes (no network: the source is a connection with
 * a dummy ARN), THEN the pipeline's stages come in order, every deploy action assumes its own environment's bootstrap
 * roles, the artifacts are encrypted for other accounts in both Regions, each stage's stack sits in its own account
 * and Region with its own filters, and cfn-lint finds no error in any template.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { allowlistSyncPipeline, type PipelineSettings } from '../../examples/pipeline';
import { ConfigError } from '../../lambda/core/errors';
import { AllowlistSyncStage } from '../../lib/allowlist-sync-stage';
import { parseDeploymentConfig } from '../../lib/deployment-config';
import { cfnLintTool, lintTemplate } from '../support/cfn-lint';
import { docExample } from '../support/doc-examples';
import { appContext, ROOT } from './synth';

const PROD = '111111111111';
const STAGING = '222222222222';
const OU = 'arn:aws:organizations::999999999999:ou/o-abcdefghij/ou-ab12-cdefghij';

const configValue = {
  environments: [
    { name: 'staging', account: STAGING, region: 'eu-west-1' },
    { name: 'prod', account: PROD, region: 'eu-west-1' },
    { name: 'prod-us', account: PROD, region: 'us-east-1' },
  ],
  allowlists: [
    {
      name: 'partners',
      sources: [{ kind: 'ssm', name: '/lists/partners' }],
      securityGroups: {
        create: { vpcId: 'vpc-0123456789abcdef0', count: 2, ports: [{ protocol: 'tcp', from: 443, to: 443 }] },
      },
      wafIpSets: { scope: 'REGIONAL', setsPerFamily: { ipv4: 1, ipv6: 1 }, ruleGroup: {}, webAcl: true },
    },
    {
      name: 'offices',
      sources: [{ kind: 's3', bucket: 'example-allowlists', key: 'offices.txt' }],
      prefixLists: { ipv4: { maxEntries: 20, share: { organizationArn: OU } } },
    },
  ],
};
const config = parseDeploymentConfig(configValue);

const settings: PipelineSettings = {
  account: STAGING,
  region: 'eu-west-1',
  repository: 'example-org/allowlists',
  branch: 'main',
  connectionArn: `arn:aws:codeconnections:eu-west-1:${STAGING}:connection/12345678-1234-1234-1234-123456789012`,
  waves: [
    { name: 'Staging', environments: ['staging'] },
    { name: 'Production', environments: ['prod', 'prod-us'] },
  ],
};

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON, read by path; the assertions check its shape.
type Json = Record<string, any>;

/** The role ARN a pipeline action names, with `${AWS::Partition}` written as `aws`. */
function arnOf(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join === undefined) return JSON.stringify(value);
  return join[1]
    .map((p) => (typeof p === 'string' ? p : JSON.stringify(p) === '{"Ref":"AWS::Partition"}' ? 'aws' : '?'))
    .join(join[0]);
}

const resourcesOf = (template: Json, type: string): Json[] =>
  Object.values(template.Resources as Record<string, Json>).filter((r) => r.Type === type);

describe('a CDK Pipelines pipeline of three environments in two accounts', () => {
  let assembly: CloudAssembly;
  let pipelineTemplate: Json;
  let stages: AllowlistSyncStage[];

  beforeAll(() => {
    // Version reporting on, as `cdk synth` has it: the templates then carry AWS::CDK::Metadata, by which cfn-lint knows
    // a CDK template. Without it, cfn-lint 1.51 reports its informational I1022 ("prefer Fn::Sub over Fn::Join") on
    // the Prepare actions' RoleArn as an E3703 error (its pipeline-action rule re-labels what it validates there).
    const app = new App({ context: { ...appContext(), 'aws:cdk:version-reporting': true } });
    const built = allowlistSyncPipeline(app, config, settings);
    stages = built.stages;
    assembly = app.synth();
    pipelineTemplate = assembly.getStackArtifact(built.stack.artifactId).template;
  });

  const pipelineResource = () => resourcesOf(pipelineTemplate, 'AWS::CodePipeline::Pipeline')[0]!;
  const actionsOf = (stage: string): Json[] =>
    (pipelineResource().Properties.Stages as Json[]).find((s) => s.Name === stage)!.Actions;

  it('runs source, synth, self-update and assets, then the waves in order', () => {
    expect((pipelineResource().Properties.Stages as Json[]).map((s) => s.Name)).toEqual([
      'Source',
      'Build',
      'UpdatePipeline',
      'Assets',
      // A wave of one stage is named after its stage.
      'staging',
      'Production',
    ]);
  });

  it.each([
    ['staging', 'staging', STAGING, 'eu-west-1'],
    ['Production', 'prod', PROD, 'eu-west-1'],
    ['Production', 'prod-us', PROD, 'us-east-1'],
  ])('deploys %s/%s with the bootstrap roles of account %s in %s', (wave, name, account, region) => {
    const actions = actionsOf(wave).filter((a) => a.Configuration?.StackName === `AllowlistSync-${name}`);
    // CDK Pipelines deploys through a change set: create (Prepare), then execute (Deploy).
    const prepare = actions.find((a) => a.Configuration.ActionMode === 'CHANGE_SET_REPLACE')!;
    const deploy = actions.find((a) => a.Configuration.ActionMode === 'CHANGE_SET_EXECUTE')!;
    expect(actions).toHaveLength(2);
    for (const action of [prepare, deploy]) {
      expect(action.ActionTypeId).toMatchObject({ Category: 'Deploy', Provider: 'CloudFormation' });
      expect(action.Configuration.StackName).toBe(`AllowlistSync-${name}`);
      expect(arnOf(action.RoleArn)).toBe(`arn:aws:iam::${account}:role/cdk-hnb659fds-deploy-role-${account}-${region}`);
      // An action in the pipeline's own Region carries no Region.
      expect(action.Region).toBe(region === settings.region ? undefined : region);
    }
    expect(arnOf(prepare.Configuration.RoleArn)).toBe(
      `arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${region}`,
    );
    expect(prepare.RunOrder).toBeLessThan(deploy.RunOrder);
  });

  it('deploys the two production Regions together, after staging', () => {
    const runOrders = actionsOf('Production').map((a) => `${a.Name}@${a.RunOrder}`);
    expect(runOrders.sort()).toEqual([
      'prod-us.AllowlistSync-prod-us.Deploy@2',
      'prod-us.AllowlistSync-prod-us.Prepare@1',
      'prod.AllowlistSync-prod.Deploy@2',
      'prod.AllowlistSync-prod.Prepare@1',
    ]);
  });

  it('encrypts the artifacts with a KMS key in each Region it deploys to', () => {
    const stores = pipelineResource().Properties.ArtifactStores as Json[];
    expect(stores.map((s) => s.Region).sort()).toEqual(['eu-west-1', 'us-east-1']);
    for (const store of stores) expect(store.ArtifactStore.EncryptionKey.Type).toBe('KMS');
    const support = assembly.stacks.find((s) => s.stackName === 'AllowlistSyncPipeline-support-us-east-1')!;
    expect(support.environment).toMatchObject({ account: STAGING, region: 'us-east-1' });
    expect(resourcesOf(support.template, 'AWS::KMS::Key')).toHaveLength(1);
  });

  it.each([
    ['staging', STAGING, 'eu-west-1'],
    ['prod', PROD, 'eu-west-1'],
    ['prod-us', PROD, 'us-east-1'],
  ])('puts %s in account %s, %s, with its own filters', (name, account, region) => {
    const stage = stages.find((s) => s.environment.name === name)!;
    const artifact = assembly.getNestedAssembly(stage.artifactId).getStackByName(`AllowlistSync-${name}`);
    expect(artifact.environment).toMatchObject({ account, region });
    const template = artifact.template as Json;
    const stackName = `AllowlistSync-${name}`;
    expect(resourcesOf(template, 'AWS::WAFv2::IPSet').map((r) => r.Properties.Name)).toEqual([
      `${stackName}-partners-ipv4-1`,
      `${stackName}-partners-ipv6-1`,
    ]);
    const [list] = resourcesOf(template, 'AWS::EC2::PrefixList');
    expect(list!.Properties.PrefixListName).toBe(`${stackName}-offices-ipv4`);
    const [share] = resourcesOf(template, 'AWS::RAM::ResourceShare');
    expect(share!.Properties.Principals).toEqual([OU]);
    expect(resourcesOf(template, 'AWS::EC2::SecurityGroup')).toHaveLength(2);
    const fn = resourcesOf(template, 'AWS::Lambda::Function').filter((f) =>
      String(f.Properties.Description).startsWith('allowlist-sync:'),
    );
    expect(fn).toHaveLength(1);
  });

  describe.skipIf(!cfnLintTool.available)('cfn-lint', () => {
    it('finds no error in the pipeline stack, its support stack, or any stage stack', () => {
      const templates = [
        ...assembly.stacks.map((s) => ({ name: s.stackName, region: s.environment.region, template: s.template })),
        ...stages.map((stage) => {
          const a = assembly.getNestedAssembly(stage.artifactId).stacks[0]!;
          return { name: a.stackName, region: a.environment.region, template: a.template };
        }),
      ];
      expect(templates.map((t) => t.name).sort()).toEqual([
        'AllowlistSync-prod',
        'AllowlistSync-prod-us',
        'AllowlistSync-staging',
        'AllowlistSyncPipeline',
        'AllowlistSyncPipeline-support-us-east-1',
      ]);
      const errors = templates.flatMap((t) =>
        lintTemplate(t.template, [t.region])
          .filter((f) => f.level === 'Error')
          .map((f) => `${t.name}: ${f.rule} at ${f.path}: ${f.message}`),
      );
      expect(errors).toEqual([]);
    }, 600_000);
  });
});

describe('AllowlistSyncStage', () => {
  it('takes the environment by name and deploys the stack the standalone app names', () => {
    const app = new App({ context: appContext() });
    const stage = new AllowlistSyncStage(app, 'Prod', { config, environment: 'prod-us', deployRunId: 'test' });
    expect(stage.account).toBe(PROD);
    expect(stage.region).toBe('us-east-1');
    expect(stage.stack.stackName).toBe('AllowlistSync-prod-us');
    expect(stage.stack.environment).toBe(`aws://${PROD}/us-east-1`);
  });

  it('names a missing environment, where, and the fix', () => {
    const app = new App({ context: appContext() });
    const make = () => new AllowlistSyncStage(app, 'Qa', { config, environment: 'qa' });
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(
      'AllowlistSyncStage Qa is invalid:\n  ✖ environment: "qa" is not in the deployment config\'s environments ("staging", "prod", "prod-us"): add it to "environments", or pass one of those names',
    );
  });

  it('refuses an environment object that differs from the config', () => {
    const app = new App({ context: appContext() });
    const environment = { name: 'prod', account: STAGING, region: 'eu-west-1' };
    expect(() => new AllowlistSyncStage(app, 'Prod', { config, environment })).toThrow(
      `environment: "prod" is given as ${STAGING}/eu-west-1, but the deployment config has it in ${PROD}/eu-west-1`,
    );
  });
});

describe('the example pipeline settings', () => {
  it('refuses waves that miss, repeat or invent an environment, listing each', () => {
    const app = new App({ context: appContext() });
    const waves = [
      { name: 'One', environments: ['staging', 'qa'] },
      { name: 'Two', environments: ['staging'] },
    ];
    expect(() => allowlistSyncPipeline(app, config, { ...settings, waves })).toThrow(
      [
        'pipeline settings is invalid:',
        '  ✖ waves[0].environments[1]: "qa" is not an environment of the deployment config: remove it, or add it there',
        '  ✖ waves[1].environments[0]: "staging" is already in an earlier wave: deploy each environment once',
        '  ✖ waves: environment "prod" is in no wave: add it to one',
        '  ✖ waves: environment "prod-us" is in no wave: add it to one',
      ].join('\n'),
    );
  });
});

describe('docs/deploying.md "Pipelines"', () => {
  it('shows examples/pipeline.ts as it is', () => {
    expect(docExample('docs/deploying.md', 'examples/pipeline.ts')).toBe(
      readFileSync(path.join(ROOT, 'examples', 'pipeline.ts'), 'utf8'),
    );
  });

  it("synthesizes the example's app with the cdk.json context the page shows", () => {
    const work = mkdtempSync(path.join(tmpdir(), 'pipeline-app-'));
    try {
      const shown = JSON.parse(docExample('docs/deploying.md', 'pipeline-context')) as Record<string, unknown>;
      expect(shown.allowlistSyncPipeline).toEqual(settings);
      const configFile = path.join(work, 'organisation.json');
      writeFileSync(configFile, JSON.stringify(configValue));
      // What `cdk synth` hands the app, without bundling (docs/aws-behaviour.md §11); the config file is ours.
      const context = { ...appContext(), ...shown, allowlistSyncConfig: configFile };
      const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['examples/pipeline.ts'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, CDK_OUTDIR: path.join(work, 'out'), CDK_CONTEXT_JSON: JSON.stringify(context) },
      });
      // Nothing but the one line that says the function was bundled (lib/bundling-options.ts): no warning, no error.
      expect(r.stderr.replace(/^Bundling asset \S+\.\.\.\n/m, '')).toBe('');
      expect(r.status).toBe(0);
      const manifest = JSON.parse(readFileSync(path.join(work, 'out', 'manifest.json'), 'utf8')) as {
        artifacts: Record<string, { type: string }>;
      };
      const artifacts = Object.entries(manifest.artifacts).map(([id, a]) => `${a.type} ${id}`);
      const deployed = artifacts.filter((a) => /^(aws:cloudformation:stack|cdk:cloud-assembly) /.test(a));
      expect(deployed.sort()).toEqual([
        'aws:cloudformation:stack AllowlistSyncPipeline',
        'aws:cloudformation:stack cross-region-stack-222222222222_us-east-1',
        'cdk:cloud-assembly assembly-prod',
        'cdk:cloud-assembly assembly-prod-us',
        'cdk:cloud-assembly assembly-staging',
      ]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});
