/**
 * docs/expiry-and-events.md stays true: its `validate` output, its three change events and its CDK routing example
 * are each compared with what the code produces now (the blocks after `<!-- checked: … -->`), and the routing
 * example synthesizes with cdk-nag's checks and makes the rules, topics and Chatbot channel it describes.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { command as validate } from '../../bin/commands/validate';
import { routeChangeEvents } from '../../examples/change-event-routing';
import { AllowlistSync } from '../../lib/allowlist-sync';
import { memoryIo } from '../cli/local-aws';
import { captureStdout } from '../handler/helpers';
import { appContext, FIXTURE_ENTRY } from '../infra/synth';
import { EXAMPLE_NOW, runExampleEvents } from './change-event-examples';

const ROOT = resolve(__dirname, '../..');
const DOC = readFileSync(resolve(ROOT, 'docs/expiry-and-events.md'), 'utf8');

/** The fenced block right after `<!-- checked: NAME -->`. */
function block(name: string): string {
  const at = DOC.indexOf(`<!-- checked: ${name} -->`);
  expect(at, `docs/expiry-and-events.md has no block "${name}"`).toBeGreaterThanOrEqual(0);
  const match = /```[a-z]*\n([\s\S]*?)```/.exec(DOC.slice(at));
  return match?.[1] ?? '';
}

async function runValidate(...args: string[]): Promise<string> {
  const io = { ...memoryIo(), now: () => EXAMPLE_NOW };
  const code = await validate.run(['--format', 'allowlist', ...args, 'examples/partners-expiring.json'], io);
  expect(io.err()).toBe('');
  expect(code).toBe(0);
  return io.out();
}

describe('docs/expiry-and-events.md', () => {
  it('shows the validate output the code gives', async () => {
    const shown = block('validate text').replace(/^\$ .*\n/, '');
    expect(await runValidate()).toBe(shown);
  });

  it('shows the expiring part of validate --json', async () => {
    const summary = JSON.parse(await runValidate('--expiry-warning-days', '30', '--json'));
    expect({ expiring: summary.expiring }).toEqual(JSON.parse(block('validate json expiring')));
  });

  it('shows exactly the events a run puts, one of each detail type', async () => {
    // The runs' log lines are not what this test checks.
    const out = captureStdout();
    const events = await runExampleEvents().finally(() => out.restore());
    expect(events.refused).toEqual(JSON.parse(block('event Allowlist Refused')));
    expect(events.applied).toEqual(JSON.parse(block('event Allowlist Applied')));
    expect(events.failed).toEqual(JSON.parse(block('event Allowlist Failed')));
  });

  it('shows the routing example as it is in examples/change-event-routing.ts', () => {
    expect(block('examples/change-event-routing.ts')).toBe(
      readFileSync(resolve(ROOT, 'examples/change-event-routing.ts'), 'utf8'),
    );
  });

  it('routes every change to e-mail and refusals and failures to Slack, and passes cdk-nag', () => {
    const app = new App({ context: appContext() });
    const stack = new Stack(app, 'Routing', { env: { account: '111122223333', region: 'eu-west-1' } });
    const sync = new AllowlistSync(stack, 'AllowlistSync', {
      allowlists: [
        {
          name: 'partners',
          sources: [{ kind: 'ssm', name: '/lists/partners' }],
          prefixLists: { ipv4: { maxEntries: 20 } },
        },
      ],
      entry: FIXTURE_ENTRY,
      deployRunId: 'test',
      changeEventArchiveDays: 365,
    });
    routeChangeEvents(sync, {
      email: 'netops@example.com',
      slack: { workspaceId: 'T0123ABCD', channelId: 'C0456EFGH' },
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'netops@example.com' });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['allowlist-sync'],
        'detail-type': ['Allowlist Applied', 'Allowlist Refused', 'Allowlist Failed'],
        detail: { allowlist: ['partners'] },
      },
      Targets: [Match.objectLike({ InputTransformer: Match.objectLike({ InputPathsMap: Match.anyValue() }) })],
    });
    for (const type of ['Allowlist Refused', 'Allowlist Failed']) {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: Match.objectLike({ 'detail-type': [type] }),
      });
    }
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T0123ABCD',
      SlackChannelId: 'C0456EFGH',
      SnsTopicArns: [Match.anyValue()],
    });
    template.resourceCountIs('AWS::Events::Archive', 1);
  }, 120_000);
});
