/**
 * The stack's side of expiry warnings and change events, from a synthesized template (cdk-nag's AwsSolutions checks
 * on, cfn-lint over the template where it is installed): the role's one EventBridge grant (PutEvents on the default
 * bus, our source and detail types only), the `on…` rules and the archive with their patterns, the two new alarms per
 * allowlist, and `expiryWarningDays` carried into the function's RuntimeConfig.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { AllowlistSync } from '../../lib/allowlist-sync';
import { AllowlistSyncStack, stackNameOf } from '../../lib/allowlist-sync-stack';
import { parseDeploymentConfig } from '../../lib/deployment-config';
import { cfnLintTool, lintTemplate } from '../support/cfn-lint';
import { deployedParameters } from './config-parameters';
import { appContext, FIXTURE_ENTRY, fullConfig, policyStatements } from './synth';

const LONG = 120_000;
const PATTERN_ALLOWLISTS = ['partners', 'offices'];

function synthWith(extra: Record<string, unknown>, react?: (sync: AllowlistSync, stack: Stack) => void) {
  const base = fullConfig();
  const config = parseDeploymentConfig({
    ...base,
    ...extra,
    allowlists: (base.allowlists as Record<string, unknown>[]).map((a, i) =>
      i === 0 ? { ...a, expiryWarningDays: 30 } : a,
    ),
  });
  const app = new App({ context: appContext() });
  const environment = config.environments[0]!;
  const stack = new AllowlistSyncStack(app, stackNameOf(environment), {
    config,
    environment,
    entry: FIXTURE_ENTRY,
    deployRunId: 'test-run',
  });
  react?.(stack.sync, stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  return Template.fromStack(stack);
}

describe('change events and expiry warnings in the stack', () => {
  let template: Template;
  beforeAll(() => {
    template = synthWith({ changeEventArchiveDays: 90 }, (sync, stack) => {
      const topic = new sns.Topic(stack, 'ChatTopic', { enforceSSL: true });
      sync.onFailed('OnFailed', { target: new targets.SnsTopic(topic) });
      sync.onChange('OnChange', { description: 'every change' });
      sync.onApplied('OnForcedApplied', { eventPattern: { detail: { forced: { reason: [{ exists: true }] } } } });
      sync.onRefused('OnRefused');
    });
  }, LONG);

  it('grants PutEvents on the default bus only, for our source and detail types only', () => {
    const statements = policyStatements(template).filter(({ statement }) =>
      JSON.stringify(statement.Action).includes('events:'),
    );
    expect(statements).toHaveLength(1);
    expect(statements[0]?.statement).toEqual({
      Sid: 'PutChangeEventsOnDefaultBus',
      Effect: 'Allow',
      Action: 'events:PutEvents',
      Resource: 'arn:aws:events:us-east-1:111122223333:event-bus/default',
      Condition: {
        StringEquals: {
          'events:source': 'allowlist-sync',
          'events:detail-type': ['Allowlist Applied', 'Allowlist Refused', 'Allowlist Failed'],
        },
      },
    });
  });

  it.each([
    ['onFailed', ['Allowlist Failed']],
    ['onRefused', ['Allowlist Refused']],
    ['onChange', ['Allowlist Applied', 'Allowlist Refused', 'Allowlist Failed']],
  ])('%s makes a default-bus rule on our source, detail types and allowlist names', (_, detailTypes) => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['allowlist-sync'],
        'detail-type': detailTypes,
        detail: { allowlist: PATTERN_ALLOWLISTS },
      },
      EventBusName: Match.absent(),
    });
  });

  it('sends onFailed to its target and narrows onApplied by the pattern given', () => {
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { 'detail-type': ['Allowlist Failed'] } },
    });
    const [failed] = Object.values(rules);
    expect(failed?.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { Ref: expect.stringMatching(/^ChatTopic/) } }),
    ]);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['allowlist-sync'],
        'detail-type': ['Allowlist Applied'],
        detail: { allowlist: PATTERN_ALLOWLISTS, forced: { reason: [{ exists: true }] } },
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', { Description: 'every change' });
  });

  it('archives the change events of these allowlists on the default bus for the days asked', () => {
    template.resourceCountIs('AWS::Events::Archive', 1);
    const [archive] = Object.values(template.findResources('AWS::Events::Archive'));
    expect(archive?.Properties.RetentionDays).toBe(90);
    expect(archive?.Properties.SourceArn).toBe('arn:aws:events:us-east-1:111122223333:event-bus/default');
    expect(archive?.Properties.EventPattern).toEqual({
      source: ['allowlist-sync'],
      detail: { allowlist: PATTERN_ALLOWLISTS },
    });
  });

  it.each([
    ['ExpiringEntries', 'Maximum', 900, 'ignore'],
    ['ChangeEventFailed', 'Sum', 300, 'notBreaching'],
  ])('alarms on %s per allowlist through the alarm topic', (metric, statistic, period, missing) => {
    for (const allowlist of PATTERN_ALLOWLISTS) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AllowlistSync',
        MetricName: metric,
        Dimensions: [{ Name: 'Allowlist', Value: allowlist }],
        Statistic: statistic,
        Period: period,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        TreatMissingData: missing,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmTopic') }],
      });
    }
  });

  it("carries an allowlist's expiryWarningDays into the function's RuntimeConfig, and no default for the others", () => {
    // Each allowlist's RuntimeConfig entry is its own SSM parameter (docs/runtime-config-delivery.md).
    const values = Object.fromEntries(
      deployedParameters(template).map((p) => [p.name.replace(/^.*\//, ''), p.value] as const),
    );
    expect(Object.keys(values)).toEqual(['partners', 'offices']);
    expect(values.partners).toContain('"expiryWarningDays":30,');
    expect(values.offices).not.toContain('expiryWarningDays');
  });

  describe.skipIf(!cfnLintTool.available)('cfn-lint', () => {
    it(
      'finds no error in the template with the rules and the archive',
      () => {
        const errors = lintTemplate(template.toJSON()).filter((f) => f.level === 'Error');
        expect(errors).toEqual([]);
      },
      LONG,
    );
  });
});

describe('without an archive, and with a bad one', () => {
  it(
    'makes no archive and no rule unless asked',
    () => {
      const template = synthWith({});
      template.resourceCountIs('AWS::Events::Archive', 0);
      expect(
        Object.values(template.findResources('AWS::Events::Rule')).filter((r) =>
          JSON.stringify(r.Properties.EventPattern ?? {}).includes('allowlist-sync'),
        ),
      ).toHaveLength(0);
    },
    LONG,
  );

  it.each([0, 2.5, 4000])('refuses changeEventArchiveDays %s naming the value and the range', (days) => {
    const stack = new Stack(new App({ context: appContext() }), 'S', {
      env: { account: '111122223333', region: 'eu-west-1' },
    });
    expect(
      () =>
        new AllowlistSync(stack, 'Sync', {
          allowlists: [
            {
              name: 'partners',
              sources: [{ kind: 'ssm', name: '/lists/partners' }],
              prefixLists: { ipv4: { maxEntries: 10 } },
            },
          ],
          entry: FIXTURE_ENTRY,
          deployRunId: 't',
          changeEventArchiveDays: days,
        }),
    ).toThrow(`changeEventArchiveDays: ${days} is not a whole number of days from 1 to 3650`);
  });
});
