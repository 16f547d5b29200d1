/**
 * `allowlist-sync plan` and `allowlist-sync apply`: the function's engine, run locally with the operator's
 * credentials (the standard SDK credential chain and region; `AWS_ENDPOINT_URL` is honoured by the SDK, so it runs
 * against a local emulator too). Plan is a dry run: zero write calls.
 *
 * Exit codes (like `terraform plan -detailed-exitcode`): plan 0 no changes, 2 changes planned, 1 error or refused;
 * apply 0 success (changed or unchanged), 1 error or refused.
 */
import { parseArgs } from 'node:util';
import type { RuntimeConfig } from '../../lambda/config';
import type { RunEngine, RunOptions } from '../../lambda/invocation';
import { readRuntimeConfigFile } from './config-file';
import { type Command, Exit, type Io } from './io';
import { exitCodeOf, printError, printReport } from './render';

/** What plan and apply run with; tests inject the engine and its deps, the CLI uses the real ones. */
export interface PlanCommandDeps<D> {
  readonly engine: RunEngine<D>;
  /** Builds the engine's deps (SDK clients from the environment, clock, sleep) for this config. */
  readonly engineDeps: (config: RuntimeConfig, io: Io) => D;
}

const usage = (mode: 'plan' | 'apply') => `Usage: allowlist-sync ${mode} --config FILE [--allowlist NAME]...${
  mode === 'apply' ? ' [--force REASON]' : ''
} [--json] [--no-color]

${
  mode === 'plan'
    ? 'Shows what a sync would change, writing nothing.\nExit: 0 no changes, 2 changes planned, 1 error or refused.'
    : 'Makes the targets equal to the allowlists.\nExit: 0 applied (changed or unchanged), 1 error or refused.'
}

Options:
  --config FILE      RuntimeConfig (JSON, or YAML by extension .yaml/.yml)
  --allowlist NAME   run only this allowlist (repeatable; default all)${
    mode === 'apply'
      ? '\n  --force REASON     lift the change-size guardrail (never the entry policy), with a reason'
      : ''
  }
  --json             print the run report as JSON
  --no-color         no ANSI colour (also: NO_COLOR, or output not a terminal)

Credentials, region and AWS_ENDPOINT_URL come from the standard AWS SDK environment and profiles.
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
        printError(io, mode, error);
        io.stderr.write(`\n${usage(mode)}`);
        return Exit.ERROR;
      }
      if (args.help) {
        io.stdout.write(usage(mode));
        return Exit.OK;
      }
      try {
        const config = await readRuntimeConfigFile(args.config);
        const { engine, engineDeps } = await deps();
        const options: RunOptions = {
          dryRun: mode === 'plan',
          trigger: 'cli',
          ...(args.allowlists.length > 0 ? { allowlists: args.allowlists } : {}),
          ...(args.force !== undefined ? { force: { reason: args.force } } : {}),
        };
        const report = await engine(config, options, engineDeps(config, io));
        printReport(io, report, args);
        return exitCodeOf(report);
      } catch (error) {
        printError(io, mode, error);
        return Exit.ERROR;
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
      allowlist: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      'no-color': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      ...(mode === 'apply' ? { force: { type: 'string' as const } } : {}),
    },
  });
  const help = values.help === true;
  if (!help && typeof values.config !== 'string') throw new Error('--config FILE is required');
  const force = (values as { force?: string }).force;
  if (force !== undefined && force.trim() === '') throw new Error('--force needs a reason: --force "why"');
  return {
    help,
    config: String(values.config ?? ''),
    allowlists: (values.allowlist as string[] | undefined) ?? [],
    json: values.json === true,
    noColor: values['no-color'] === true,
    force,
  };
}

const realDeps = async () => {
  const [{ runEngine }, { createEngineDeps }] = await Promise.all([
    import('../../lambda/engine.js'),
    import('../../lambda/aws-deps.js'),
  ]);
  return {
    engine: runEngine as RunEngine<ReturnType<typeof createEngineDeps>>,
    engineDeps: (config: RuntimeConfig) => createEngineDeps(config, { runner: 'cli' }),
  };
};

/** `allowlist-sync plan`. */
export const planCommand: Command = createPlanCommand('plan', realDeps);
/** `allowlist-sync apply`. */
export const applyCommand: Command = createPlanCommand('apply', realDeps);
