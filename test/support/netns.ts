/**
 * A network namespace a test creates and deletes (`ip netns add` / `ip netns del`), so kernel filters (ipset,
 * nftables) are loaded into a ruleset of the test's own and never the machine's. Needs iproute2 and root (or
 * CAP_SYS_ADMIN); {@link probeNetnsTool} tells whether a tool works inside one, for `externalTool`.
 */
import { spawnSync } from 'node:child_process';
import { commandRuns } from './external-tools';

/** The result of one command run in the namespace. */
export interface NetnsRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A network namespace of the test's own. Always `delete()` it (in `afterAll`). */
export class Netns {
  private constructor(readonly name: string) {}

  /** Creates a namespace with a name unique to this process. */
  static create(label: string): Netns {
    const name = `as-${label}-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
    const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`ip netns add ${name} failed: ${add.stderr}`);
    return new Netns(name);
  }

  /** Runs `command args...` inside the namespace, with `input` on stdin. */
  exec(command: string, args: readonly string[], input?: string): NetnsRun {
    const run = spawnSync('ip', ['netns', 'exec', this.name, command, ...args], {
      input,
      encoding: 'utf8',
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  /** Like {@link exec}, but throws with the command's stderr unless it exits 0. */
  run(command: string, args: readonly string[], input?: string): string {
    const r = this.exec(command, args, input);
    if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  }

  /** Deletes the namespace, and with it every set and table loaded into it. */
  delete(): void {
    spawnSync('ip', ['netns', 'del', this.name]);
  }
}

/**
 * Whether `tool` is installed and works inside a fresh namespace: `check` runs there (e.g. creates a set), so a
 * kernel without ip_set or nf_tables support, or a user who may not create namespaces, counts as missing.
 */
export function probeNetnsTool(tool: string, check: readonly string[]): boolean {
  if (!commandRuns('ip', ['-V']) || !commandRuns(tool, ['--version'])) return false;
  let ns: Netns | undefined;
  try {
    ns = Netns.create('probe');
    return ns.exec(tool, check).status === 0;
  } catch {
    return false;
  } finally {
    ns?.delete();
  }
}
