/**
 * Operations: the alarm topic, the alarms and the dashboard.
 *
 * The metric contract with the function (lambda/function/observability.ts): namespace {@link METRICS_NAMESPACE}, ONE dimension
 * `Allowlist` = the allowlist name (the function clears Powertools' default `service` dimension, and a CloudWatch
 * alarm matches only the exact dimension set); metrics EntriesDesired, Added, Removed, DriftFound, Refused, Failed,
 * SourceAgeSeconds, DurationMs, QuotaHeadroom (free entries left in the fullest target), RunSucceeded (1 per
 * successful apply run), ExpiringEntries (entries within the allowlist's expiry warning window) and ChangeEventFailed
 * (1 when a run's change event was not delivered).
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** The CloudWatch namespace of the function's metrics. */
export const METRICS_NAMESPACE = 'AllowlistSync';
/** The Powertools service name on the function's log lines. */
export const SERVICE_NAME = 'allowlist-sync';

/** Props of {@link SyncOperations}. */
export interface SyncOperationsProps {
  readonly fn: lambda.IFunction;
  readonly allowlists: readonly string[];
  readonly deadLetterQueues: readonly sqs.IQueue[];
  readonly schedule: Duration;
  readonly quotaHeadroomAlarmBelow: number;
  readonly alarmEmail?: string;
  /**
   * Every alarm is named `<alarmNamePrefix>-<construct id>` (e.g. `AllowlistSync-prod-FunctionErrors`), so the topic
   * policy can admit exactly these alarms. Alarm names are unique per account and Region.
   */
  readonly alarmNamePrefix: string;
}

/** The alarm topic, the alarms and a dashboard of the run metrics. */
export class SyncOperations extends Construct {
  /** The topic every alarm notifies. */
  readonly topic: sns.Topic;
  /** Every alarm, by construct id. */
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: SyncOperationsProps) {
    super(scope, id);
    // CloudWatch cannot publish to a topic under the AWS-managed aws/sns key: a customer key lets it.
    const key = new kms.Key(this, 'TopicKey', {
      enableKeyRotation: true,
      description: 'Encrypts the allowlist-sync alarm topic',
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', { masterKey: key, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const notify = new actions.SnsAction(this.topic);
    const alarmNames: string[] = [];
    const add = (alarm: cloudwatch.Alarm) => {
      // The topic admits only the alarms it knows by name (allowAlarmsToPublish): an alarm without its name would
      // fire into nothing, so refuse to build one.
      if (!alarmNames.includes(`${props.alarmNamePrefix}-${alarm.node.id}`)) {
        throw new Error(
          `alarm ${alarm.node.path} has no alarmName from alarmName(id): the alarm topic would refuse it`,
        );
      }
      alarm.addAlarmAction(notify);
      this.alarms.push(alarm);
    };
    const alarmName = (id: string) => {
      const name = `${props.alarmNamePrefix}-${id}`;
      alarmNames.push(name);
      return name;
    };

    add(
      new cloudwatch.Alarm(this, 'FunctionErrors', {
        alarmName: alarmName('FunctionErrors'),
        alarmDescription: 'The sync function failed a run (a target failed or was refused, or the run crashed).',
        metric: props.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    props.deadLetterQueues.forEach((queue, i) => {
      add(
        new cloudwatch.Alarm(this, `DeadLetters${i + 1}`, {
          alarmName: alarmName(`DeadLetters${i + 1}`),
          alarmDescription: 'An invocation of the sync function was given up and sits in a dead-letter queue.',
          metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
          threshold: 0,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    });

    const widgets: cloudwatch.IWidget[] = [];
    props.allowlists.forEach((allowlist, i) => {
      const metric = (metricName: string, statistic: string, period = Duration.minutes(5)) =>
        new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName,
          dimensionsMap: { Allowlist: allowlist },
          statistic,
          period,
        });
      const n = i + 1;
      // Two schedule periods without a success: missing data is a breach, since silence is the failure here.
      add(
        new cloudwatch.Alarm(this, `NoSuccessfulRun${n}`, {
          alarmName: alarmName(`NoSuccessfulRun${n}`),
          alarmDescription: `Allowlist ${allowlist}: no successful run in two schedule periods.`,
          metric: metric('RunSucceeded', 'Sum', props.schedule),
          threshold: 1,
          evaluationPeriods: 2,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        }),
      );
      add(
        new cloudwatch.Alarm(this, `Refused${n}`, {
          alarmName: alarmName(`Refused${n}`),
          alarmDescription: `Allowlist ${allowlist}: a run was refused (bad source, policy or guardrail); nothing was written.`,
          metric: metric('Refused', 'Sum'),
          threshold: 0,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      // Every run reports the count, dry or not. Missing data keeps the state (IGNORE), and the period is the schedule's,
      // so the alarm stays in ALARM between runs and notifies once, when the first entry enters the window.
      add(
        new cloudwatch.Alarm(this, `ExpiringEntries${n}`, {
          alarmName: alarmName(`ExpiringEntries${n}`),
          alarmDescription: `Allowlist ${allowlist}: entries expire within its expiry warning window; the run's log line and report name them and their owners (docs/expiry-and-events.md).`,
          metric: metric('ExpiringEntries', 'Maximum', props.schedule),
          threshold: 0,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.IGNORE,
        }),
      );
      add(
        new cloudwatch.Alarm(this, `ChangeEventFailed${n}`, {
          alarmName: alarmName(`ChangeEventFailed${n}`),
          alarmDescription: `Allowlist ${allowlist}: a run's change event was not put on the default event bus (the run itself kept its status; its log line says why).`,
          metric: metric('ChangeEventFailed', 'Sum'),
          threshold: 0,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      add(
        new cloudwatch.Alarm(this, `LowQuotaHeadroom${n}`, {
          alarmName: alarmName(`LowQuotaHeadroom${n}`),
          alarmDescription: `Allowlist ${allowlist}: a target has fewer than ${props.quotaHeadroomAlarmBelow} free entries.`,
          metric: metric('QuotaHeadroom', 'Minimum'),
          threshold: props.quotaHeadroomAlarmBelow,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      widgets.push(
        new cloudwatch.GraphWidget({
          title: `${allowlist}: entries and changes`,
          left: [metric('EntriesDesired', 'Maximum')],
          right: [metric('Added', 'Sum'), metric('Removed', 'Sum'), metric('DriftFound', 'Sum')],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: `${allowlist}: health`,
          left: [
            metric('RunSucceeded', 'Sum'),
            metric('Refused', 'Sum'),
            metric('Failed', 'Sum'),
            metric('ExpiringEntries', 'Maximum'),
            metric('ChangeEventFailed', 'Sum'),
          ],
          right: [
            metric('QuotaHeadroom', 'Minimum'),
            metric('SourceAgeSeconds', 'Maximum'),
            metric('DurationMs', 'Maximum'),
          ],
          width: 12,
        }),
      );
    });
    widgets.push(
      new cloudwatch.GraphWidget({
        title: 'Function',
        left: [props.fn.metricInvocations(), props.fn.metricErrors(), props.fn.metricThrottles()],
        right: [props.fn.metricDuration({ statistic: 'Maximum' })],
        width: 24,
      }),
    );
    new cloudwatch.Dashboard(this, 'Dashboard', { widgets: widgets.map((w) => [w]) });
    this.allowAlarmsToPublish(alarmNames);
  }

  /**
   * `enforceSSL` gives the topic a policy, which replaces SNS's default one: without this statement CloudWatch may not
   * publish and every alarm fires into nothing (issue 10, defect 1). It admits CloudWatch for this account's alarms
   * of this construct only, by exact ARN (`aws:SourceArn`) and account (`aws:SourceAccount`), against the confused
   * deputy; the TLS Deny stays.
   */
  private allowAlarmsToPublish(alarmNames: readonly string[]): void {
    const stack = Stack.of(this);
    const alarmArns = alarmNames.map((name) =>
      stack.formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: name,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisStacksAlarmsToPublish',
        actions: ['sns:Publish'],
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': alarmArns },
        },
      }),
    );
  }
}
