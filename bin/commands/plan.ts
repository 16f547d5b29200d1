/**
 * `allowlist-sync plan` and `allowlist-sync apply`: the function's engine, run locally with the operator's
 * credentials (the standard SDK credential chain and region, or `--region`/`--profile`; `AWS_ENDPOINT_URL` is honoured
 * by the SDK, so it runs against a local emulator too). Plan is a dry run: zero write calls. A relative `file` source
 * path is read from the config file's directory.
 *
 * Exit codes (like `terraform plan -detailed-exitcode`): plan 0 no changes, 2 changes planned, 1 error or refused;
 * apply 0 success (changed or unchanged), 1 error or refused.
 */
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { RuntimeConfig } from '../../lambda/config';
import type { EngineDeps } from '../../lambda/engine';
import type { RunEngine, RunOptions } from '../../lambda/function/invocation';
import {
  AWS_OPTIONS,
  type AwsSettings,
  awsHelp,
  awsSettingsFromFlags,
  nodeVersionNotice,
  requireRegion,
} from './aws-settings';
import { failCommand, UsageError, wantsJson } from './cli-error';
import { readRuntimeConfigFile } from './config-file';
import { type Command, Exit, type Io } from './io';
import { exitCodeOf, printReport } from './render';
import { readStackConfig } from './stack-config';

/** What the engine's deps are built from, besides the config. */
export interface EngineDepsContext {
  /** The config file's directory: relative `file` source paths are read from it. */
  readonly baseDir: string;
  readonly aws: AwsSettings;
}

/** What plan and apply run with; tests inject the engine and its deps, the CLI uses the real ones. */
export interface PlanCommandDeps<D> {
  readonly engine: RunEngine<D>;
  /** Builds the engine's deps (SDK clients from the environment, clock, sleep) for this config. */
  readonly engineDeps: (config: RuntimeConfig, io: Io, context: EngineDepsContext) => D;
  /** Checks, before the run, that the deps can reach AWS (a Region is set). @default no check */
  readonly ready?: (deps: D, context: EngineDepsContext, io: Io) => Promise<void>;
  /** Reads a deployed stack's RuntimeConfig (`--stack`). @default SSM with the standard SDK settings */
  readonly stackConfig?: (stack: string, aws: AwsSettings, io: Io) => Promise<RuntimeConfig>;
}

const usage = (
  mode: 'plan' | 'apply',
) => `Usage: allowlist-sync ${mode} (--config FILE | --stack NAME) [--allowlist NAME]...${
  mode === 'apply' ? ' [--force REASON]' : ''
} [--full] [--json] [--no-color]
       [--region REGION] [--profile NAME]

${
  mode === 'plan'
    ? 'Shows what a sync would change, writing nothing.\nExit: 0 no changes, 2 changes planned, 1 error or refused.'
    : 'Makes the targets equal to the allowlists.\nExit: 0 applied (changed or unchanged), 1 error or refused.'
}

Options:
  --config FILE      RuntimeConfig (JSON, or YAML by extension .yaml/.yml); relative "file" source paths in it
                     are read from its directory
  --stack NAME       the RuntimeConfig a deployed stack wrote to SSM (its ids included), read as its function
                     reads it; NAME is the stack name, or the construct's namePrefix
  --allowlist NAME   run only this allowlist (repeatable; default all)${
    mode === 'apply'
      ? '\n  --force REASON     lift the change-size guardrail (never the entry policy), with a reason'
      : ''
  }
  --full             list every prefix added and removed (default: the first 50 per target)
  --json             print the run report as JSON (on an error: the JSON error object, see docs/cli-errors.md)
  --no-color         no ANSI colour (also: NO_COLOR, or output not a terminal)
${awsHelp(21)}

Credentials, Region and AWS_ENDPOINT_URL come from the standard AWS SDK environment and profiles.
`;

// Its home is config-file.ts (a bundle that imports it from here would carry the engine); re-exported for callers
// written before the move.
export { readRuntimeConfigFile } from './config-file';

/** Builds the plan or apply command over the given engine (the CLI passes the real one). */
export function createPlanCommand<D>(mode: 'plan' | 'apply', deps: () => Promise<PlanCommandDeps<D>>): Command {
  return {
    name: mode,
    summary: mode === 'plan' ? 'show what a sync would change' : 'make the targets equal to the allowlists',
    async run(argv: string[], io: Io): Promise<number> {
      let args: ReturnType<typeof parse>;
      try {
        args = parse(argv, mode);
      } catch (error) {
        return failCommand(io, mode, error, { json: wantsJson(argv), hint: `\n${usage(mode)}` });
      }
      if (args.help) {
        io.stdout.write(usage(mode));
        return Exit.OK;
      }
      try {
        const { engine, engineDeps, ready, stackConfig = defaultStackConfig } = await deps();
        const config =
          args.stack !== undefined
            ? await stackConfig(args.stack, args.aws, io)
            : await readRuntimeConfigFile(args.config);
        const baseDir = args.stack !== undefined ? process.cwd() : dirname(resolve(args.config));
        const context: EngineDepsContext = { baseDir, aws: args.aws };
        const built = engineDeps(config, io, context);
        await ready?.(built, context, io);
        const options: RunOptions = {
          dryRun: mode === 'plan',
          trigger: 'cli',
          ...(args.allowlists.length > 0 ? { allowlists: args.allowlists } : {}),
          ...(args.force !== undefined ? { force: { reason: args.force } } : {}),
          ...(args.full ? { fullReport: true } : {}),
        };
        const report = await engine(config, options, built);
        printReport(io, report, { ...args, ...(args.full ? {} : { moreHint: '--full lists them' }) });
        return exitCodeOf(report);
      } catch (error) {
        return failCommand(io, mode, error, { json: args.json });
      }
    },
  };
}

function parse(argv: string[], mode: 'plan' | 'apply') {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      config: { type: 'string', short: 'c' },
      stack: { type: 'string' },
      allowlist: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      'no-color': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      ...AWS_OPTIONS,
      ...(mode === 'apply' ? { force: { type: 'string' as const } } : {}),
    },
  });
  const help = values.help === true;
  const stack = values.stack as string | undefined;
  if (!help && (typeof values.config === 'string') === (stack !== undefined)) {
    throw new UsageError('give either --config FILE or --stack NAME (one of the two)');
  }
  const force = (values as { force?: string }).force;
  if (force !== undefined && force.trim() === '') throw new UsageError('--force needs a reason: --force "why"');
  return {
    help,
    config: String(values.config ?? ''),
    stack,
    allowlists: (values.allowlist as string[] | undefined) ?? [],
    json: values.json === true,
    full: values.full === true,
    noColor: values['no-color'] === true,
    force,
    aws: awsSettingsFromFlags(values),
  };
}

/** `--stack` with the real SSM client, in the Region and profile of the other clients. */
async function defaultStackConfig(stack: string, aws: AwsSettings, io: Io): Promise<RuntimeConfig> {
  nodeVersionNotice(io);
  const { SSMClient } = await import('@aws-sdk/client-ssm');
  return readStackConfig(new SSMClient({ ...aws }), stack, aws.region);
}

const realDeps = async (): Promise<PlanCommandDeps<EngineDeps>> => {
  const [{ runEngine }, { createEngineDeps }] = await Promise.all([
    import('../../lambda/engine/index.js'),
    import('../../lambda/engine/aws-deps.js'),
  ]);
  return {
    engine: runEngine as RunEngine<EngineDeps>,
    engineDeps: (config, io, { baseDir, aws }) => {
      // Before the first SDK client: the SDK's eight-line Node.js notice becomes one line.
      nodeVersionNotice(io);
      return createEngineDeps(config, { runner: 'cli', baseDir, aws });
    },
    // Every client shares the Region: one check before the run, so nothing is read without one.
    ready: async (built, { aws }, io) => {
      if (built.ec2) await requireRegion(built.ec2, aws, io.env);
    },
  };
};

/** `allowlist-sync plan`. */
export const planCommand: Command = createPlanCommand('plan', realDeps);
/** `allowlist-sync apply`. */
export const applyCommand: Command = createPlanCommand('apply', realDeps);
