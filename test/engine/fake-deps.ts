/** The engine's deps over the stateful fakes with the real drivers, and a config file for the CLI: shared by tests. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuntimeConfig } from '../../lambda/config';
import type { EngineDeps } from '../../lambda/engine';
import { createDriver } from '../../lambda/targets';
import type { FakeEc2, FakeWafv2 } from '../fakes';

/** Real drivers over the fakes' clients; no sleeping. */
export function fakeEngineDeps(ec2: FakeEc2, waf: FakeWafv2): EngineDeps {
  const clients = { ec2: ec2.client, wafv2: () => waf.client };
  return {
    ...clients,
    now: Date.now,
    sleep: async () => {},
    drivers: (target, allowlist) => createDriver(target, allowlist, clients),
  };
}

/** Writes `config` to a fresh temporary file for `--config`. */
export async function writeConfigFile(config: RuntimeConfig): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'allowlist-sync-engine-')), 'config.json');
  await writeFile(file, JSON.stringify(config));
  return file;
}
