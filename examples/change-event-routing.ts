import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { AllowlistSync } from '../lib/allowlist-sync';

/** Where the change events go: an e-mail address, and optionally a Slack channel through AWS Chatbot. */
export interface ChangeRouting {
  readonly email: string;
  readonly slack?: { readonly workspaceId: string; readonly channelId: string };
}

/** Mails every change event of `sync`; posts refusals and failures to Slack. Returns the two topics. */
export function routeChangeEvents(sync: AllowlistSync, routing: ChangeRouting): sns.Topic[] {
  // EventBridge can publish to an encrypted topic only under a customer key whose policy lets it use the key.
  const key = new kms.Key(sync, 'ChangeTopicKey', { enableKeyRotation: true });
  key.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
  const field = (path: string) => events.EventField.fromPath(path);

  const mail = new sns.Topic(sync, 'ChangeMail', { masterKey: key, enforceSSL: true });
  mail.addSubscription(new subscriptions.EmailSubscription(routing.email));
  sync.onChange('ChangesToMail', {
    target: new targets.SnsTopic(mail, {
      message: events.RuleTargetInput.fromText(
        `${field('$.detail-type')}: ${field('$.detail.allowlist')} run ${field('$.detail.runId')} ` +
          `(${field('$.detail.trigger')}), status ${field('$.detail.status')}, ` +
          `+${field('$.detail.added.count')} -${field('$.detail.removed.count')}`,
      ),
    }),
  });

  const chat = new sns.Topic(sync, 'ChangeChat', { masterKey: key, enforceSSL: true });
  // AWS Chatbot renders SNS messages in its custom-notification shape.
  const notification = events.RuleTargetInput.fromObject({
    version: '1.0',
    source: 'custom',
    content: {
      title: `${field('$.detail-type')}: ${field('$.detail.allowlist')}`,
      description: `run ${field('$.detail.runId')} (${field('$.detail.trigger')}), status ${field('$.detail.status')}`,
    },
  });
  sync.onRefused('RefusalsToChat', { target: new targets.SnsTopic(chat, { message: notification }) });
  sync.onFailed('FailuresToChat', { target: new targets.SnsTopic(chat, { message: notification }) });
  if (routing.slack) {
    new chatbot.SlackChannelConfiguration(sync, 'ChangeChatChannel', {
      slackChannelConfigurationName: `${sync.node.addr.slice(0, 20)}-changes`,
      slackWorkspaceId: routing.slack.workspaceId,
      slackChannelId: routing.slack.channelId,
      notificationTopics: [chat],
    });
  }
  return [mail, chat];
}
