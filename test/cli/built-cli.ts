/**
 * The built CLI as the tests run it: a process running dist/bin/allowlist-sync.js, built first when it is missing or
 * older than its sources (`npm test` builds before the tests; this covers running vitest alone).
 */
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '../..');
/** The built CLI's entry point. */
export const CLI = path.join(ROOT, 'dist/bin/allowlist-sync.js');

/** Builds the CLI (`npm run build`: a dispatcher plus one bundle per command) unless it is newer than its sources. */
export function ensureBuilt(): void {
  const newest = [
    'bin',
    'bin/commands',
    'lambda',
    'lambda/core',
    'lambda/config',
    'lambda/engine',
    'lambda/function',
    'lambda/sources',
    'lambda/targets',
  ]
    .flatMap((dir) => readdirSync(path.join(ROOT, dir)).map((f) => statSync(path.join(ROOT, dir, f)).mtimeMs))
    .reduce((a, b) => Math.max(a, b), 0);
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newest) return;
  execSync('npm run build --silent', { cwd: ROOT, stdio: 'pipe' });
}

/** Runs the built CLI with `args` (and `input` on stdin); returns its exit status and output. */
export function cli(args: string[], input?: string) {
  const run = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', cwd: ROOT });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
