/**
 * Runs the built CLI as a separate process with an exact environment and working directory (nothing inherited but
 * PATH), for tests that depend on the environment: Region and profile resolution, the Node.js notice, relative paths.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI, ROOT } from './built-cli';

/** Fake credentials: the local endpoints never check them, and they never reach AWS. */
export const TEST_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret' } as const;

/** The built CLI's exit status and output for `args`, run with exactly `env` (plus PATH) in `cwd`. */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  options: { cwd?: string; input?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = promisify(execFile)(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    cwd: options.cwd ?? ROOT,
  });
  if (options.input !== undefined) {
    child.child.stdin?.end(options.input);
  }
  return child.then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}
