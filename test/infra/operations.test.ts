import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { fullConfig, synth } from './synth';

const LONG = 120_000;

describe('operations: alarms, dashboard, outputs and checks', () => {
  let template: Template;
  let app: App;
  beforeAll(() => {
    ({ template, app } = synth(fullConfig()));
  }, LONG);

  it('sends every alarm to an encrypted, SSL-only topic with the configured e-mail subscription', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    // Errors, two DLQs, and per allowlist: no success, refused, expiring entries, undelivered change event, headroom.
    expect(alarms).toHaveLength(3 + 2 * 5);
    for (const alarm of alarms)
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/AlarmTopic/) }]);
  });

  it("lets CloudWatch publish to the topic for exactly this stack's alarms, in this account (issue 10, defect 1)", () => {
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
    expect(policies).toHaveLength(1);
    const statements = policies[0]!.Properties.PolicyDocument.Statement as Record<string, unknown>[];
    const allow = statements.filter((s) => s.Effect === 'Allow');
    const alarmNames = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties.AlarmName as string)
      .sort();
    expect(alarmNames).toHaveLength(3 + 2 * 5);
    expect(alarmNames).toContain('AllowlistSync-test-FunctionErrors');
    expect(allow).toEqual([
      {
        Sid: 'AllowThisStacksAlarmsToPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: expect.stringMatching(/AlarmTopic/) },
        Condition: {
          StringEquals: { 'aws:SourceAccount': '111122223333' },
          ArnLike: { 'aws:SourceArn': expect.any(Array) },
        },
      },
    ]);
    const arns = (allow[0]!.Condition as { ArnLike: { 'aws:SourceArn': string[] } }).ArnLike['aws:SourceArn'];
    expect([...arns].sort()).toEqual(alarmNames.map((n) => `arn:aws:cloudwatch:us-east-1:111122223333:alarm:${n}`));
    // The TLS Deny stays: publishing over plain HTTP is still refused, to CloudWatch too.
    expect(statements.filter((s) => s.Effect === 'Deny')).toHaveLength(1);
  });

  it.each([
    ['RunSucceeded', 'LessThanThreshold', 1, 'breaching', 2],
    ['Refused', 'GreaterThanThreshold', 0, 'notBreaching', 1],
    ['QuotaHeadroom', 'LessThanThreshold', 10, 'notBreaching', 1],
  ])('alarms on %s per allowlist (%s %d, missing data %s)', (metric, operator, threshold, missing, periods) => {
    for (const allowlist of ['partners', 'offices']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AllowlistSync',
        MetricName: metric,
        // Exactly the one dimension the function emits (lambda/function/observability.ts): an alarm matches the exact set.
        Dimensions: [{ Name: 'Allowlist', Value: allowlist }],
        ComparisonOperator: operator,
        Threshold: threshold,
        TreatMissingData: missing,
        EvaluationPeriods: periods,
      });
    }
  });

  it('alarms when no run succeeded in two schedule periods', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'RunSucceeded',
      Period: 900,
      EvaluationPeriods: 2,
    });
  });

  it('alarms on function errors and on messages in either dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Lambda', MetricName: 'Errors' });
    const dlq = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { MetricName: 'ApproximateNumberOfMessagesVisible' },
      }),
    );
    expect(dlq).toHaveLength(2);
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  it('builds a dashboard of the run metrics', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    for (const metric of ['EntriesDesired', 'Added', 'Removed', 'DriftFound', 'QuotaHeadroom', 'SourceAgeSeconds']) {
      expect(body).toContain(metric);
    }
  });

  it('outputs ready-to-copy plan and apply commands that survive long runs', () => {
    const outputs = template.findOutputs('*');
    const command = (id: string) => JSON.stringify(Object.entries(outputs).find(([k]) => k.includes(id))![1].Value);
    for (const [id, payload] of [
      ['PlanCommand', `'{\\"dryRun\\":true}'`],
      ['ApplyCommand', `'{\\"dryRun\\":false}'`],
    ] as const) {
      expect(command(id)).toContain('--cli-binary-format raw-in-base64-out --cli-read-timeout 0');
      expect(command(id)).toContain(payload);
    }
    const ids = Object.keys(outputs);
    for (const id of [
      'FunctionName',
      'Allowlist1SecurityGroupIds',
      'Allowlist1IpSetArns',
      'Allowlist1WebAclArn',
      'Allowlist2PrefixListIds',
    ]) {
      expect(ids.some((k) => k.includes(id))).toBe(true);
    }
  });

  it('passes cdk-nag AwsSolutions with every acknowledgement carrying a reason', () => {
    const acknowledged = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ id, reason })));
    expect(acknowledged.map((a) => a.id)).toEqual(
      expect.arrayContaining(['AwsSolutions::AwsSolutions-IAM5[Resource::*]']),
    );
    // nodejs24.x is the newest runtime CDK knows, so cdk-nag's L1 passes without an acknowledgement (issue 10).
    expect(acknowledged.map((a) => a.id)).not.toContain('AwsSolutions::AwsSolutions-L1');
    for (const a of acknowledged) expect(a.reason.length).toBeGreaterThan(40);
  });

  it(
    'makes cdk-nag fail a stack with an unacknowledged finding, so the check above can fail',
    () => {
      const other = new App();
      const stack = new Stack(other, 'Bad');
      new iam.Role(stack, 'R', { assumedBy: new iam.AnyPrincipal() }).addToPolicy(
        new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }),
      );
      Validations.of(other).addPlugins(new AwsSolutionsChecks(other));
      expect(() => other.synth()).toThrow(/IAM5/);
    },
    LONG,
  );
});
