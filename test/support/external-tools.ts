/**
 * Tools from outside npm that some tests need (moto, cfn-lint, ipset, nft, nginx...). Where one is missing, its tests
 * are skipped with one line saying how to install it; with ALLOWLIST_SYNC_REQUIRE_TOOLS=1 (which `.ci/run` sets) a
 * missing tool fails the test file instead, so CI always runs them.
 */
import { spawnSync } from 'node:child_process';

/** The variable that turns a missing tool from a skip into a failure. */
export const REQUIRE_TOOLS_VARIABLE = 'ALLOWLIST_SYNC_REQUIRE_TOOLS';

/** Whether `command args...` runs and exits 0 (a quick probe such as `cfn-lint --version`). */
export function commandRuns(command: string, args: readonly string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 });
  return result.error === undefined && result.status === 0;
}

/** An external tool a test file needs: whether it is here, and the one line said when it is not. */
export interface ExternalTool {
  readonly name: string;
  readonly available: boolean;
}

/**
 * Probes a tool once. When it is missing: throws if ALLOWLIST_SYNC_REQUIRE_TOOLS=1, otherwise prints one line naming
 * the tool and how to install it, and returns `available: false` for `describe.skipIf(!tool.available)`.
 */
export function externalTool(name: string, probe: () => boolean, install: string): ExternalTool {
  const available = probe();
  if (!available) {
    const line = `${name} is not installed: its tests are skipped (install: ${install})`;
    if (process.env[REQUIRE_TOOLS_VARIABLE] === '1') {
      throw new Error(`${line.replace(': its tests are skipped', '')}; ${REQUIRE_TOOLS_VARIABLE}=1 requires it`);
    }
    console.warn(`skip: ${line}`);
  }
  return { name, available };
}
