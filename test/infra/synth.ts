/** Test helpers: synthesize the stack from a deployment config, the way `bin/app.ts` does, without bundling. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AllowlistSyncStack, stackNameOf } from '../../lib/allowlist-sync-stack';
import { parseDeploymentConfig } from '../../lib/deployment-config';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '../..');
/** The stand-in entry (bundling is skipped, but NodejsFunction needs the file). */
export const FIXTURE_ENTRY = path.join(__dirname, 'fixtures', 'handler.ts');

/** The feature flags of cdk.json, so tests synthesize what `cdk synth` does (AWS-FACTS.md 11: no bundling). */
export function appContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };
}

/** The sample deployment config of the repository, as JSON. */
export function sampleConfig(): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(ROOT, 'config', 'sample.json'), 'utf8')) as Record<string, unknown>;
}

/** Synthesizes the first environment's stack with cdk-nag's AwsSolutions checks; throws on any unacknowledged finding. */
export function synth(configValue: unknown): { template: Template; stack: AllowlistSyncStack; app: App } {
  const config = parseDeploymentConfig(configValue);
  const app = new App({ context: appContext() });
  const environment = config.environments[0]!;
  const stack = new AllowlistSyncStack(app, stackNameOf(environment), {
    config,
    environment,
    entry: FIXTURE_ENTRY,
    deployRunId: 'test-run',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  return { template: Template.fromStack(stack), stack, app };
}

/** A deployment config file of the repository (`config/<name>`), as JSON. */
export function repositoryConfig(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(ROOT, 'config', name), 'utf8')) as Record<string, unknown>;
}

/**
 * Synthesizes one stack per environment, as `bin/app.ts` does, with cdk-nag's checks; returns each stack's template
 * as CloudFormation JSON with its Region.
 */
export function synthAll(configValue: unknown): { stackName: string; region: string; template: unknown }[] {
  const config = parseDeploymentConfig(configValue);
  const app = new App({ context: appContext() });
  const stacks = config.environments.map(
    (environment) =>
      [
        environment,
        new AllowlistSyncStack(app, stackNameOf(environment), {
          config,
          environment,
          entry: FIXTURE_ENTRY,
          deployRunId: 'test-run',
        }),
      ] as const,
  );
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  return stacks.map(([environment, stack]) => ({
    stackName: stack.stackName,
    region: environment.region,
    template: assembly.getStackByName(stack.stackName).template,
  }));
}

/** Every IAM policy statement of the template, with the policy's logical id. */
export function policyStatements(template: Template): { policy: string; statement: Record<string, unknown> }[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.entries(policies).flatMap(([policy, resource]) =>
    (resource.Properties.PolicyDocument.Statement as Record<string, unknown>[]).map((statement) => ({
      policy,
      statement,
    })),
  );
}

/** A config with every feature on: both SG modes, WAF with forwarded IP, shared prefix lists, S3/SSM/signed sources. */
export function fullConfig(): Record<string, unknown> {
  return {
    environments: [{ name: 'test', account: '111122223333', region: 'us-east-1' }],
    alarmEmail: 'oncall@example.com',
    allowlists: [
      {
        name: 'partners',
        sources: [
          { kind: 's3', bucket: 'lists-bucket', key: 'partners.txt' },
          { kind: 's3', bucket: 'lists-bucket', key: 'pinned.txt', versionId: 'v1' },
          { kind: 'ssm', name: '/lists/partners' },
        ],
        kmsKeyArns: ['arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
        securityGroups: {
          create: { vpcId: 'vpc-0123456789abcdef0', count: 3, ports: [{ protocol: 'tcp', from: 443, to: 443 }] },
        },
        wafIpSets: {
          scope: 'CLOUDFRONT',
          setsPerFamily: { ipv4: 2, ipv6: 1 },
          ruleGroup: { forwardedIp: { headerName: 'X-Forwarded-For', fallbackBehavior: 'NO_MATCH', position: 'LAST' } },
          webAcl: true,
        },
      },
      {
        name: 'offices',
        sources: [
          {
            kind: 's3',
            bucket: 'signed-bucket',
            key: 'offices.json',
            format: { type: 'allowlist' },
            integrity: { ed25519PublicKey: 'MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=' },
          },
        ],
        securityGroups: {
          existing: { groupIds: ['sg-0aaaaaaaaaaaaaaa1'], ports: [{ protocol: 'tcp', from: 22, to: 22 }] },
        },
        prefixLists: {
          ipv4: {
            maxEntries: 50,
            share: { organizationArn: 'arn:aws:organizations::111122223333:organization/o-abcdefghij' },
          },
          ipv6: { maxEntries: 20 },
          growUpTo: 100,
        },
      },
    ],
  };
}
