#!/usr/bin/env node
/**
 * The allowlist-sync CLI: a thin shell over lambda/. Each command lives in bin/commands/<name>.ts, is built into a
 * bundle of its own and is loaded only when it runs, so `aggregate` on a million lines loads neither the AWS SDK nor
 * the other commands.
 */
import { join } from 'node:path';
import { loadBundle, writeCodeCache } from './code-cache';
import type { Command, Io } from './commands/io';

// Each command is its own bundle in dist/bin/commands, loaded on demand, with its V8 code cache (code-cache.ts). Not
// a dynamic import(): that would start Node's ESM loader, ~25 ms of start-up for nothing.
const BUNDLES = ['aggregate', 'validate', 'export', 'plan', 'invoke', 'sign', 'explain', 'diff'] as const;
const loaded = new Map<string, unknown>();
const bundle = (name: (typeof BUNDLES)[number]): unknown => {
  if (!loaded.has(name)) loaded.set(name, loadBundle(join(__dirname, 'commands', `${name}.js`)).exports);
  return loaded.get(name);
};

const commands: Record<string, () => Command> = {
  aggregate: () => (bundle('aggregate') as typeof import('./commands/aggregate')).command,
  validate: () => (bundle('validate') as typeof import('./commands/validate')).command,
  export: () => (bundle('export') as typeof import('./commands/export')).command,
  plan: () => (bundle('plan') as typeof import('./commands/plan')).planCommand,
  apply: () => (bundle('plan') as typeof import('./commands/plan')).applyCommand,
  invoke: () => (bundle('invoke') as typeof import('./commands/invoke')).command,
  sign: () => (bundle('sign') as typeof import('./commands/sign')).signCommand,
  keygen: () => (bundle('sign') as typeof import('./commands/sign')).keygenCommand,
  explain: () => (bundle('explain') as typeof import('./commands/explain')).command,
  diff: () => (bundle('diff') as typeof import('./commands/diff')).command,
};

/** Writes every command bundle's code cache (`npm run build` calls it). */
export function writeCodeCaches(): void {
  for (const name of BUNDLES) writeCodeCache(join(__dirname, 'commands', `${name}.js`));
}

const usage = `Usage: allowlist-sync <command> [options]

Commands:
  aggregate  print the canonical aggregated prefixes of one or more lists
  validate   check lists with the sync's exact parsing and policy, and summarise them
  export     render an allowlist for a host's ipset, nftables or nginx (written atomically)
  plan       show what a sync would change (exit 0 no changes, 2 changes, 1 error)
  apply      make the targets equal to the allowlists
  invoke     run the deployed function (plan, or --apply) and print its report
  sign       sign a list with an Ed25519 key, for sources that pin a public key
  keygen     make an Ed25519 key pair for signing
  explain    say which entries admit an address, and where (exit 0 admitted, 3 not, 1 error)
  diff       compare two lists by address (exit 0 same, 2 different, 1 error)

Run 'allowlist-sync <command> --help' for a command's options.
`;

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(usage);
    return name === undefined ? 1 : 0;
  }
  if (name === '--version') {
    io.stdout.write(`${require('../package.json').version}\n`);
    return 0;
  }
  const load = commands[name];
  if (!load) {
    io.stderr.write(`allowlist-sync: unknown command "${name}"\n\n${usage}`);
    return 1;
  }
  const command = load();
  return command.run(rest, io);
}

if (require.main === module) {
  main(process.argv.slice(2), process).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`allowlist-sync: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
