/**
 * A WAF IP set or a prefix list that the config names but AWS does not know (a mistyped id, a resource deleted outside
 * the stack, the wrong Region): like a missing security group (missing-group.test.ts), the run fails static at
 * pre-flight with an error that names the resource, the field and the fix, and nothing is written to any target.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createPlanCommand } from '../../bin/commands/plan';
import { parseRuntimeConfig, type RuntimeConfig } from '../../lambda/config';
import { runEngine } from '../../lambda/engine';
import { memoryIo } from '../cli/local-aws';
import { FakeEc2, FakeWafv2 } from '../fakes';
import { fakeEngineDeps, writeConfigFile } from './fake-deps';

const WANT = ['11.22.33.0/24', '2a00:1450:4001::/48'];
const MISSING_SET = '00000000-0000-4000-8000-00000000beef';
const MISSING_LIST = 'pl-0000000000000beef';

let ec2: FakeEc2;
let waf: FakeWafv2;
let groupId: string;
let setV4: string;
let listV6: string;

beforeEach(() => {
  ec2 = new FakeEc2();
  waf = new FakeWafv2({ enforceWriteRate: false });
  groupId = ec2.createSecurityGroup();
  setV4 = waf.createIpSet({ scope: 'REGIONAL', name: 'partners-v4', family: 'IPV4', addresses: [] }).Id;
  listV6 = ec2.createPrefixList({ family: 6, maxEntries: 10 });
});

const deps = () => fakeEngineDeps(ec2, waf);

/** One allowlist: a group pool first (so before pre-flight it would have been written), then `target`. */
function config(target: Record<string, unknown>): RuntimeConfig {
  return parseRuntimeConfig({
    version: 1,
    allowlists: [
      {
        name: 'partners',
        sources: [{ kind: 'inline', entries: WANT }],
        targets: [
          { kind: 'security-groups', groupIds: [groupId], ports: [{ protocol: 'tcp', from: 443, to: 443 }] },
          target,
        ],
      },
    ],
  });
}

const writes = () => ec2.writes().length + waf.calls.filter((c) => c.write).length;

const CASES = [
  {
    what: 'a WAF IP set (both families missing one set)',
    target: () => ({
      kind: 'waf-ip-sets',
      scope: 'REGIONAL',
      ipv4: [{ name: 'partners-v4', id: setV4 }],
      ipv6: [{ name: 'partners-v6', id: MISSING_SET }],
    }),
    error: 'IpSetNotFoundError',
    says: [
      `ipv6[0] "partners-v6" (id ${MISSING_SET}) does not exist in scope REGIONAL`,
      "correct the set's name and id",
    ],
  },
  {
    what: 'a prefix list',
    target: () => ({ kind: 'prefix-lists', ipv4: MISSING_LIST, ipv6: listV6 }),
    error: 'PrefixListNotFoundError',
    says: [`prefix list ipv4 ${MISSING_LIST} does not exist`, 'correct the id in the target'],
  },
  {
    what: 'both prefix lists',
    target: () => ({ kind: 'prefix-lists', ipv4: MISSING_LIST, ipv6: 'pl-00000000000000bad' }),
    error: 'PrefixListNotFoundError',
    says: [`prefix lists ipv4 ${MISSING_LIST}, ipv6 pl-00000000000000bad do not exist`],
  },
] as const;

describe.each(CASES)('a target naming $what that does not exist', ({ target, error, says }) => {
  it.each([true, false])(
    'fails the run at pre-flight, names it and the fix, and writes nothing (dryRun %s)',
    async (dryRun) => {
      const report = await runEngine(config(target()), { dryRun, trigger: 'manual' }, deps());
      expect(report.status).toBe('failed');
      const [pool, missing] = report.allowlists[0]!.targets;
      expect(missing).toMatchObject({ status: 'failed', writeCalls: 0 });
      expect(missing?.error?.name).toBe(error);
      for (const text of says) expect(missing?.error?.message).toContain(text);
      expect(missing?.error?.message).toContain('nothing was written');
      expect(pool?.writeCalls).toBe(0);
      expect(writes()).toBe(0);
      expect(ec2.rules(groupId).filter((r) => !r.isEgress)).toEqual([]);
    },
  );

  it('makes `apply` exit 1 with the same words', async () => {
    const command = createPlanCommand('apply', async () => ({ engine: runEngine, engineDeps: deps }));
    const io = memoryIo();
    const file = await writeConfigFile(config(target()));
    expect(await command.run(['--config', file], io)).toBe(1);
    for (const text of says) expect(io.out() + io.err()).toContain(text);
    expect(writes()).toBe(0);
  });
});
