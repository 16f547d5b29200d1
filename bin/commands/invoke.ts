/**
 * `allowlist-sync invoke`: runs the deployed function synchronously and prints its report like `plan`/`apply`.
 * Without `--apply` it sends `{"dryRun": true}` (a plan); with it `{"dryRun": false}`.
 *
 * A long synchronous invoke must never be sent twice by a client-side read timeout (docs/aws-behaviour.md §31: the AWS
 * CLI does exactly that after 60 s): the client waits up to 16 minutes, longer than Lambda's 15-minute maximum, and
 * makes a single attempt, so a run is never started again by the client.
 */

import { parseArgs } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { RunReport } from '../../lambda/core/model';
import type { InvokeResponse } from '../../lambda/function/response';
import {
  AWS_OPTIONS,
  type AwsSettings,
  awsHelp,
  awsSettingsFromFlags,
  nodeVersionNotice,
  requireRegion,
} from './aws-settings';
import { failCommand, KindedError, UsageError, wantsJson } from './cli-error';
import { type Command, Exit, type Io } from './io';
import { exitCodeOf, printReport } from './render';

/** Client-side limit for one synchronous invoke: longer than the 15-minute Lambda maximum. */
export const INVOKE_TIMEOUT_MS = 16 * 60 * 1000;

const usage = `Usage: allowlist-sync invoke --function NAME [--apply] [--force REASON] [--allowlist NAME]... [--json] [--no-color]
       [--region REGION] [--profile NAME]

Invokes the deployed function synchronously and prints its report.
Without --apply the function plans only (it sends {"dryRun": true}).
Exit: plan 0 no changes, 2 changes planned; apply 0 applied; 1 error, refused, or a function error.

Options:
  --function NAME    the function's name or ARN (the stack's output)
  --apply            apply the changes (sends {"dryRun": false})
  --force REASON     lift the change-size guardrail (never the entry policy), with a reason
  --allowlist NAME   run only this allowlist (repeatable; default all)
  --json             print the run report as JSON (on an error: the JSON error object, see docs/cli-errors.md)
  --no-color         no ANSI colour
${awsHelp(21)}
`;

/** The manual payload the command sends (see lambda/function/events.ts). */
export interface ManualPayload {
  dryRun: boolean;
  allowlists?: string[];
  force?: { reason: string };
}

/** Builds the invoke command over a client factory (tests point it at a local endpoint through the environment). */
export function createInvokeCommand(client: (aws: AwsSettings) => LambdaClient = defaultClient): Command {
  return {
    name: 'invoke',
    summary: 'run the deployed function (plan, or --apply) and print its report',
    async run(argv: string[], io: Io): Promise<number> {
      let args: ReturnType<typeof parse>;
      try {
        args = parse(argv);
      } catch (error) {
        return failCommand(io, 'invoke', error, { json: wantsJson(argv), hint: `\n${usage}` });
      }
      if (args.help) {
        io.stdout.write(usage);
        return Exit.OK;
      }
      const payload: ManualPayload = {
        dryRun: !args.apply,
        ...(args.allowlists.length > 0 ? { allowlists: args.allowlists } : {}),
        ...(args.force !== undefined ? { force: { reason: args.force } } : {}),
      };
      try {
        nodeVersionNotice(io);
        const lambda = client(args.aws);
        await requireRegion(lambda, args.aws, io.env);
        const result = await lambda.send(
          new InvokeCommand({
            FunctionName: args.functionName,
            InvocationType: 'RequestResponse',
            Payload: new TextEncoder().encode(JSON.stringify(payload)),
          }),
        );
        const text = result.Payload ? new TextDecoder().decode(result.Payload) : '';
        if (result.FunctionError) {
          const failure = new KindedError(
            'function',
            'FunctionError',
            `the function failed (${result.FunctionError}): ${describeFunctionError(text)}`,
          );
          return failCommand(io, 'invoke', failure, {
            json: args.json,
            hint: "The run's report is in the function's log (one JSON line per run).\n",
          });
        }
        const report = reportOf(text);
        printReport(io, report, args);
        return exitCodeOf(report);
      } catch (error) {
        return failCommand(io, 'invoke', explain(error), { json: args.json });
      }
    },
  };
}

function defaultClient(aws: AwsSettings): LambdaClient {
  // One attempt: a retry after a timeout or a dropped connection could start a second run.
  return new LambdaClient({ ...aws, maxAttempts: 1, requestHandler: { requestTimeout: INVOKE_TIMEOUT_MS } });
}

/** Extracts the RunReport from the function's response (`{ summary, report }`). */
function reportOf(text: string): RunReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`the function returned something that is not JSON: ${text.slice(0, 200)}`);
  }
  const report = (value as Partial<InvokeResponse> | null)?.report;
  if (!report || typeof report !== 'object' || !Array.isArray(report.allowlists)) {
    throw new Error(`the function returned no run report: ${text.slice(0, 200)}`);
  }
  return report;
}

/** `errorType: errorMessage` from Lambda's error payload, or the raw text. */
function describeFunctionError(text: string): string {
  try {
    const value = JSON.parse(text) as { errorType?: string; errorMessage?: string };
    if (value.errorMessage !== undefined) return `${value.errorType ?? 'Error'}: ${value.errorMessage}`;
  } catch {
    // not JSON: print as is
  }
  return text || '(no error payload)';
}

function explain(error: unknown): unknown {
  if ((error as { name?: string }).name === 'TooManyRequestsException') {
    return new Error(
      'the function is busy (reserved concurrency 1: a run is in progress). Nothing was started; try again in a minute.',
    );
  }
  return error;
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      function: { type: 'string', short: 'f' },
      apply: { type: 'boolean', default: false },
      force: { type: 'string' },
      allowlist: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      'no-color': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      ...AWS_OPTIONS,
    },
  });
  const help = values.help === true;
  if (!help && typeof values.function !== 'string') throw new UsageError('--function NAME is required');
  if (values.force !== undefined && values.force.trim() === '')
    throw new UsageError('--force needs a reason: --force "why"');
  return {
    help,
    functionName: String(values.function ?? ''),
    apply: values.apply === true,
    force: values.force,
    allowlists: values.allowlist ?? [],
    json: values.json === true,
    noColor: values['no-color'] === true,
    aws: awsSettingsFromFlags(values),
  };
}

/** `allowlist-sync invoke`. */
export const command: Command = createInvokeCommand();
