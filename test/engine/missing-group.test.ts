/**
 * Issue 10, defect 4: a security group of the pool that does not exist. Before the fix, DescribeSecurityGroupRules
 * filtered on a mistyped id matched nothing, so `plan` showed the pool as empty ("2 to add", exit 2) and only `apply`
 * failed, with InvalidGroup.NotFound, after the other targets had been written. Now the run fails static at
 * pre-flight, like a missing WAF IP set or prefix list (missing-resource.test.ts): the engine and the CLI, over the real
 * drivers and the fakes.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createPlanCommand } from '../../bin/commands/plan';
import { parseRuntimeConfig, type RuntimeConfig } from '../../lambda/config';
import { runEngine } from '../../lambda/engine';
import { memoryIo } from '../cli/local-aws';
import { FakeEc2, FakeWafv2 } from '../fakes';
import { fakeEngineDeps, writeConfigFile } from './fake-deps';

const TYPO = 'sg-0000000000000beef';
const WANT = ['11.22.33.0/24', '52.94.5.0/24'];

let ec2: FakeEc2;
let waf: FakeWafv2;
let config: RuntimeConfig;
let realGroup: string;
let setId: string;

beforeEach(() => {
  ec2 = new FakeEc2();
  waf = new FakeWafv2({ enforceWriteRate: false });
  realGroup = ec2.createSecurityGroup();
  setId = waf.createIpSet({ scope: 'REGIONAL', name: 'partners-v4', family: 'IPV4', addresses: [] }).Id;
  // The WAF target comes first, so before the fix its writes happened before the pool's apply failed.
  config = parseRuntimeConfig({
    version: 1,
    allowlists: [
      {
        name: 'partners',
        sources: [{ kind: 'inline', entries: WANT }],
        targets: [
          { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [{ name: 'partners-v4', id: setId }] },
          { kind: 'security-groups', groupIds: [realGroup, TYPO], ports: [{ protocol: 'tcp', from: 443, to: 443 }] },
        ],
      },
    ],
  });
});

const deps = () => fakeEngineDeps(ec2, waf);

const writes = () => ec2.writes().length + waf.calls.filter((c) => c.write).length;

describe('a pool naming a security group that does not exist', () => {
  it.each([true, false])('fails the run at pre-flight and writes nothing anywhere (dryRun %s)', async (dryRun) => {
    const report = await runEngine(config, { dryRun, trigger: 'manual' }, deps());
    expect(report.status).toBe('failed');
    const [waf4, pool] = report.allowlists[0]!.targets;
    expect(pool).toMatchObject({ kind: 'security-groups', status: 'failed', writeCalls: 0 });
    expect(pool?.error?.name).toBe('SecurityGroupNotFoundError');
    expect(pool?.error?.message).toContain(`security group ${TYPO} of the pool does not exist`);
    // The WAF target was planned but not applied: pre-flight failed elsewhere in the run.
    expect(waf4?.writeCalls).toBe(0);
    expect(writes()).toBe(0);
    expect(waf.addresses(setId)).toEqual([]);
    expect(ec2.rules(realGroup).filter((r) => !r.isEgress)).toEqual([]);
  });

  it.each(['plan', 'apply'] as const)('makes `%s` exit 1 naming the missing group and the fix', async (mode) => {
    const command = createPlanCommand(mode, async () => ({ engine: runEngine, engineDeps: deps }));
    const io = memoryIo();
    const file = await writeConfigFile(config);
    expect(await command.run(['--config', file], io)).toBe(1);
    const text = io.out() + io.err();
    expect(text).toContain(TYPO);
    expect(text).toContain('does not exist');
    expect(text).toContain('correct the group id');
    expect(text).toMatch(/security-groups:\S+ \[failed\]/);
    expect(writes()).toBe(0);
  });
});
