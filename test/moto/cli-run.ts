/**
 * The built CLI run as a separate process against moto, with what moto recorded during the run. The process gets only
 * PATH and moto's environment (endpoint, Region, dummy credentials), so nothing of the developer's AWS setup leaks in.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RunReport } from '../../lambda/core/model';
import { CLI, ROOT } from '../cli/built-cli';
import type { MotoServer, RecordedCall } from '../support/moto';

/** One CLI run: its exit status and output, the parsed `--json` report, and moto's calls. */
export interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly report?: RunReport;
  /** What moto recorded during this run. */
  readonly calls: RecordedCall[];
}

/** Runs `allowlist-sync ARGS` against moto; `env` entries override moto's (undefined removes one). */
export async function runCli(
  server: MotoServer,
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<CliRun> {
  await server.clearCalls();
  const merged = Object.fromEntries(
    Object.entries({ PATH: process.env.PATH, ...server.env, ...env }).filter(([, v]) => v !== undefined),
  ) as Record<string, string>;
  const result = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd: ROOT, env: merged }).then(
    (r) => ({ status: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ status: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
  const calls = await server.calls();
  const report =
    args.includes('--json') && result.stdout.includes('"allowlists"')
      ? (JSON.parse(result.stdout) as RunReport)
      : undefined;
  return { ...result, ...(report ? { report } : {}), calls };
}

/** Writes a RuntimeConfig file into `dir` under a fresh name. */
export function writeConfigFile(dir: string, value: unknown): string {
  const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(value));
  return file;
}
