/**
 * What a CLI command gets from the shell: its streams and environment, injected so tests can run commands in
 * process as well as through the built binary.
 */

/** The streams and environment a command runs with. */
export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
  /** The clock that expiry is judged against (ms since the epoch); tests pass a fixed one. @default Date.now */
  readonly now?: () => number;
}

/** One CLI command. `run` returns the exit code; it never calls `process.exit`. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  run(argv: string[], io: Io): Promise<number>;
}

/** Exit codes shared by every command (plan and apply follow `terraform plan -detailed-exitcode`). */
export const Exit = {
  /** Success; for plan/apply: no changes. */
  OK: 0,
  /** An error, a refusal, bad input. */
  ERROR: 1,
  /** plan: changes are pending. */
  CHANGES: 2,
} as const;
