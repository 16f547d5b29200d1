/**
 * How a command that cannot produce its output says why: one `allowlist-sync <command>: …` text on stderr, and with
 * `--json` also one JSON error object on stdout (as terraform's `-json` does), so a script that parses stdout always
 * gets JSON. The exit code is the same either way. The object's shape is defined here once; docs/cli-errors.md
 * documents it.
 */
import { ConfigError, formatOrigin, ParseError, PolicyError } from '../../lambda/core/errors';
import { SourceError } from '../../lambda/sources/errors';
import type { Io } from './io';

/** A usage error: bad flag or value. Printed as one line with a hint to run --help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** What kind of problem stopped the command; scripts branch on it. */
export type CliErrorKind = 'usage' | 'config' | 'input' | 'environment' | 'aws' | 'function' | 'internal';

/** One problem of many (a config field, a list's line). */
export interface CliProblem {
  /** Where: `config.json: allowlists[0].targets[0].ipv4`, `list.txt:14`, `s3://bucket/key`. */
  readonly where: string;
  readonly message: string;
  /** The value seen, when there is one. */
  readonly value?: string;
  /** Machine-readable kind of a list problem (`syntax`, `too-broad`, `not-found`, …). */
  readonly code?: string;
}

/** The JSON error object printed on stdout by `--json` commands that fail before (or instead of) their output. */
export interface CliErrorObject {
  readonly error: {
    /** `plan`, `apply`, `invoke`, `validate`. */
    readonly command: string;
    readonly kind: CliErrorKind;
    /** The error class: `ConfigError`, `ParseError`, `PolicyError`, `SourceError`, `UsageError`, … */
    readonly name: string;
    /** The whole human-readable message (the same text as on stderr). */
    readonly message: string;
    /** Every problem found, each with its place; empty when the message is the whole story. */
    readonly problems: readonly CliProblem[];
  };
  /** The command's exit code (also its process exit status). */
  readonly exitCode: number;
}

/** An error that carries its own kind (invoke's function error, for one). */
export class KindedError extends Error {
  constructor(
    readonly kind: CliErrorKind,
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

/** Maps any thrown value to the JSON error object. */
export function toCliErrorObject(command: string, error: unknown, exitCode = 1): CliErrorObject {
  const e = normalise(error);
  return {
    error: { command, kind: kindOf(e), name: e.name, message: e.message, problems: problemsOf(e) },
    exitCode,
  };
}

/**
 * Prints a command's failure: the text on stderr (`allowlist-sync <command>: message`, plus `hint` lines), and with
 * `json` the error object on stdout. Returns the exit code.
 */
export function failCommand(
  io: Io,
  command: string,
  error: unknown,
  options: { json: boolean; hint?: string; exitCode?: number },
): number {
  const exitCode = options.exitCode ?? 1;
  const e = normalise(error);
  io.stderr.write(`allowlist-sync ${command}: ${e.message}\n${options.hint ?? ''}`);
  if (options.json) io.stdout.write(`${JSON.stringify(toCliErrorObject(command, e, exitCode), null, 2)}\n`);
  return exitCode;
}

/** Whether the raw arguments ask for JSON: needed when they could not be parsed. */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json');
}

function normalise(error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) return new UsageError((error as Error).message);
  return error instanceof Error ? error : new Error(String(error));
}

function kindOf(e: Error): CliErrorKind {
  if (e instanceof KindedError) return e.kind;
  if (e instanceof UsageError) return 'usage';
  if (e instanceof ConfigError) return 'config';
  // By name: aws-settings.ts imports this module.
  if (e.name === 'MissingRegionError') return 'environment';
  if (e instanceof ParseError || e instanceof PolicyError || e instanceof SourceError) return 'input';
  if ((e as { $metadata?: unknown }).$metadata !== undefined) return 'aws';
  if (e.name === 'AllowlistSyncError') return 'input';
  return 'internal';
}

function problemsOf(e: Error): CliProblem[] {
  if (e instanceof ConfigError) return e.issues.map((issue) => ({ where: e.subject, message: issue }));
  const listed = e instanceof ParseError ? e.problems : e instanceof PolicyError ? e.violations : undefined;
  if (listed) {
    return listed.map((p) => ({ where: formatOrigin(p.origin), message: p.message, value: p.value, code: p.code }));
  }
  if (e instanceof SourceError) return [{ where: e.source, message: e.detail, code: e.reason }];
  return [];
}
