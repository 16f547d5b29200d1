/**
 * The CDK side of the change events (docs/expiry-and-events.md): rules that react to them and an archive that keeps
 * them, both on the account's default bus, where the function puts them. Patterns match the source
 * `allowlist-sync` AND this construct's allowlist names, so two syncs in one account do not see each other's events.
 */
import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { CHANGE_EVENT_SOURCE, type ChangeDetailType } from '../lambda/core/change-event';
import { ConfigError } from '../lambda/core/errors';

/** The longest archive retention accepted, in days (ten years); EventBridge itself also allows "forever" (0). */
export const MAX_ARCHIVE_DAYS = 3650;

/** The event pattern of the change events of these allowlists, optionally of some detail types only. */
export function changeEventPattern(
  allowlists: readonly string[],
  detailTypes?: readonly ChangeDetailType[],
): events.EventPattern {
  return {
    source: [CHANGE_EVENT_SOURCE],
    ...(detailTypes ? { detailType: [...detailTypes] } : {}),
    detail: { allowlist: [...allowlists] },
  };
}

/**
 * A rule on the default bus for these allowlists' change events of the given detail types, in the style of CDK's
 * `onEvent` methods: `options.eventPattern` narrows the pattern further, `options.target` is added when given.
 */
export function changeEventRule(
  scope: Construct,
  id: string,
  allowlists: readonly string[],
  detailTypes: readonly ChangeDetailType[],
  options: events.OnEventOptions,
): events.Rule {
  const { target, ...ruleOptions } = options;
  const rule = new events.Rule(scope, id, {
    description: `allowlist-sync: ${detailTypes.join(' / ')} events of ${allowlists.join(', ')}`,
    ...ruleOptions,
  });
  rule.addEventPattern(changeEventPattern(allowlists, detailTypes));
  if (target) rule.addTarget(target);
  return rule;
}

/** Keeps these allowlists' change events on the default bus for `days` days, so they can be replayed. */
export function changeEventArchive(
  scope: Construct,
  id: string,
  allowlists: readonly string[],
  days: number,
): events.Archive {
  const issue = archiveDaysIssue(days);
  if (issue) throw new ConfigError('AllowlistSync props', [issue]);
  const bus = events.EventBus.fromEventBusName(scope, `${id}Bus`, 'default');
  return new events.Archive(scope, id, {
    sourceEventBus: bus,
    eventPattern: changeEventPattern(allowlists),
    retention: Duration.days(days),
    description: `allowlist-sync change events of ${allowlists.join(', ')} in ${Stack.of(scope).stackName}`.slice(
      0,
      512,
    ),
  });
}

/** The problem with an archive retention, naming the value and the range, or undefined when it is 1–3650 days. */
export function archiveDaysIssue(days: number): string | undefined {
  if (Token.isUnresolved(days)) return undefined;
  if (Number.isInteger(days) && days >= 1 && days <= MAX_ARCHIVE_DAYS) return undefined;
  return `changeEventArchiveDays: ${days} is not a whole number of days from 1 to ${MAX_ARCHIVE_DAYS}; leave it out for no archive`;
}
