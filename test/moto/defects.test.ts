/**
 * Issue 10's defects where they show at runtime, against moto through the built CLI: each case reproduced the defect
 * before its fix landed on main. docs/verification.md lists which defects the moto tier covers.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli/built-cli';
import { MOTO_CASE_TIMEOUT_MS, type MotoServer, moto, startMoto } from '../support/moto';
import { createPrefixList, putObject } from '../support/moto-resources';
import { runCli, writeConfigFile } from './cli-run';
import {
  BUCKET,
  createWorld,
  expectApplyWrites,
  KEY,
  listText,
  targetState,
  targetWrites,
  type World,
  worldConfig,
} from './world';

const dir = mkdtempSync(path.join(tmpdir(), 'allowlist-sync-moto-defects-'));
let server: MotoServer;

beforeAll(async () => {
  if (!moto.available) return;
  ensureBuilt();
  server = await startMoto();
}, MOTO_CASE_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
});

describe.skipIf(!moto.available)("issue 10's defects against moto", { timeout: MOTO_CASE_TIMEOUT_MS }, () => {
  let world: World;
  beforeEach(async () => {
    await server.reset();
    world = await createWorld(server.clients);
  });

  it('defect 4: a mistyped group id fails plan naming it, and apply writes to no target', async () => {
    // moto, like AWS, answers DescribeSecurityGroupRules filtered by a group that does not exist with no rules.
    const missing = 'sg-0123456789abcdef9';
    const config = worldConfig(world);
    (config.allowlists[0]?.targets[0] as { groupIds: string[] }).groupIds = [...world.groupIds, missing];
    const file = writeConfigFile(dir, config);

    const plan = await runCli(server, ['plan', '--config', file]);
    expect(plan.status).toBe(1);
    expect(plan.stdout + plan.stderr).toContain(missing);
    expect(plan.calls.filter((c) => c.write)).toEqual([]);

    const apply = await runCli(server, ['apply', '--config', file, '--json']);
    expect(apply.status).toBe(1);
    expect(apply.stdout + apply.stderr).toContain(missing);
    expect(targetWrites(apply.calls)).toEqual([]);
    // Its one write besides the run lock's is the change event: the target failed at observe (docs/expiry-and-events.md).
    const [event] = expectApplyWrites(apply.report, apply.calls, [
      { allowlist: 'partners', detailType: 'Allowlist Failed' },
    ]);
    expect(JSON.stringify(event?.targets)).toContain(missing);
    expect(await targetState(server.clients, world)).toEqual({ groups: [], waf: [], prefixLists: [] });
  });

  it.each([
    {
      what: 'a WAF IP set id',
      error: 'IpSetNotFoundError',
      edit: (targets: Record<string, unknown>[]) => {
        targets[1]!.ipv6 = [{ name: 'partners-v6', id: '00000000-0000-4000-8000-00000000beef' }];
      },
      says: '(id 00000000-0000-4000-8000-00000000beef) does not exist in scope REGIONAL',
    },
    {
      what: 'a prefix list id',
      error: 'PrefixListNotFoundError',
      edit: (targets: Record<string, unknown>[]) => {
        targets[2]!.ipv4 = 'pl-0000000000000beef';
      },
      says: 'prefix list ipv4 pl-0000000000000beef does not exist',
    },
  ])(
    'a mistyped $what fails plan and apply naming it, and apply writes to no target',
    async ({ error, edit, says }) => {
      const config = worldConfig(world);
      edit((config.allowlists[0] as { targets: Record<string, unknown>[] }).targets);
      const file = writeConfigFile(dir, config);

      const plan = await runCli(server, ['plan', '--config', file]);
      expect(plan.status).toBe(1);
      expect(plan.stdout + plan.stderr).toContain(says);
      expect(plan.calls.filter((c) => c.write)).toEqual([]);

      const apply = await runCli(server, ['apply', '--config', file, '--json']);
      expect(apply.status).toBe(1);
      expect(JSON.stringify(apply.report)).toContain(error);
      expect(targetWrites(apply.calls)).toEqual([]);
      expect(await targetState(server.clients, world)).toEqual({ groups: [], waf: [], prefixLists: [] });
    },
  );

  /**
   * A config whose security-group target fails at apply after the others were written. moto counts its 60-rule quota
   * over both families together (docs/verification.md, `sg-quota-families`): 40 IPv4 and 30 IPv6 prefixes fit AWS's
   * 60 + 60 in one group, so the planner sends them, and moto refuses the authorize. Every other /24 and /32, so
   * nothing merges.
   */
  async function configWithFailingTarget(): Promise<string> {
    const v4 = Array.from({ length: 40 }, (_, i) => `52.94.${2 * i}.0/24`);
    const v6 = Array.from({ length: 30 }, (_, i) => `2a05:d0${(16 + 2 * i).toString(16)}::/32`);
    await putObject(server.clients, BUCKET, KEY, listText([...v4, ...v6]));
    const config = worldConfig({ ...world, groupIds: world.groupIds.slice(0, 1) });
    const allowlist = config.allowlists[0] as { targets: unknown[] };
    const [groups, waf] = allowlist.targets as [Record<string, unknown>, unknown];
    groups.rulesPerGroup = { ipv4: 60, ipv6: 60 };
    const prefixLists = {
      kind: 'prefix-lists',
      ipv4: await createPrefixList(server.clients, 'big-v4', 4, 100),
      ipv6: await createPrefixList(server.clients, 'big-v6', 6, 100),
    };
    allowlist.targets = [groups, waf, prefixLists];
    return writeConfigFile(dir, config);
  }

  it('defect 5: a run with a failed target reports it failed and counts only what was written', async () => {
    const json = await runCli(server, ['apply', '--config', await configWithFailingTarget(), '--json']);
    expect(json.status).toBe(1);
    expect(json.report?.status).toBe('failed');
    // Written: 70 addresses in the IP sets, 70 entries in the prefix lists, nothing in the group (not 210).
    expect(json.report?.summary.add).toBe(140);
    expect(targetWrites(json.calls).length).toBe(
      json.report?.allowlists[0]?.targets.reduce((sum, t) => sum + t.writeCalls, 0),
    );
    // Its change event says it failed, with the same per-target write calls moto recorded.
    const [event] = expectApplyWrites(json.report, json.calls, [
      { allowlist: 'partners', detailType: 'Allowlist Failed' },
    ]);
    expect((event?.targets as { status: string }[] | undefined)?.map((t) => t.status)).toEqual([
      'failed',
      'changed',
      'changed',
    ]);
  });

  it('defect 5: the text of a run with a failed target does not say it applied the failed target', async () => {
    const text = await runCli(server, ['apply', '--config', await configWithFailingTarget(), '--no-color']);
    expect(text.status).toBe(1);
    expect(text.stdout).not.toContain('Applied:');
    expect(text.stdout).toContain('Written before the run stopped');
  });

  it('item 7: a missing Region says how to set it, before any call; --region sets it', async () => {
    const file = writeConfigFile(dir, worldConfig(world));
    const missing = await runCli(server, ['plan', '--config', file], { AWS_REGION: undefined });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('--region');
    expect(missing.calls).toEqual([]);

    const given = await runCli(server, ['plan', '--config', file, '--region', 'eu-west-1'], { AWS_REGION: undefined });
    expect(given.status, given.stderr).toBe(2);
  });

  it('item 7: --json with a config error prints a JSON error object, exit 1, before any call', async () => {
    const bad = await runCli(server, ['plan', '--config', writeConfigFile(dir, { version: 2 }), '--json']);
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout)).toHaveProperty('error');
    expect(bad.calls).toEqual([]);
  });
});
