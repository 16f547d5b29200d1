/**
 * `explain` and targets that take one address family (docs/design.md P14): the answer names the targets that leave
 * the query's family out, and `--live` plans each target on its own part of the list, as a run does, so it never
 * says a one-family target's next apply would add a prefix of the other family.
 */
import { describe, expect, it } from 'vitest';
import { createExplainCommand, type ExplainDeps } from '../../bin/commands/explain';
import type { AddressReport } from '../../bin/commands/explain-render';
import { parseRuntimeConfig } from '../../lambda/config';
import { driverFactory } from '../../lambda/targets';
import { writeConfigFile } from '../engine/fake-deps';
import { FakeEc2, FakeWafv2 } from '../fakes';
import { memoryIo } from './local-aws';

describe('explain with a one-family target', () => {
  const ec2 = new FakeEc2();
  const waf = new FakeWafv2();
  const list = ec2.createPrefixList({ family: 4, maxEntries: 20 });
  const set4 = waf.createIpSet({ scope: 'REGIONAL', name: 'p-v4', family: 'IPV4', addresses: [] }).Id;
  const set6 = waf.createIpSet({ scope: 'REGIONAL', name: 'p-v6', family: 'IPV6', addresses: [] }).Id;
  const config = {
    version: 1,
    allowlists: [
      {
        name: 'partners',
        sources: [{ kind: 'inline', entries: ['11.22.33.0/24', '2a00:1450::/32'] }],
        targets: [
          { kind: 'prefix-lists', ipv4: list, families: ['ipv4'] },
          {
            kind: 'waf-ip-sets',
            scope: 'REGIONAL',
            ipv4: [{ name: 'p-v4', id: set4 }],
            ipv6: [{ name: 'p-v6', id: set6 }],
          },
        ],
      },
    ],
  };
  const deps = async (): Promise<ExplainDeps> => ({
    sources: { now: () => Date.now() },
    drivers: driverFactory({ ec2: ec2.client, wafv2: () => waf.client }),
  });
  const explain = createExplainCommand(deps);
  const configFile = () => writeConfigFile(parseRuntimeConfig(config));

  it('says which target does not take the address family, and that its next apply leaves it alone', async () => {
    const io = memoryIo();
    expect(await explain.run(['2a00:1450:4001::1', '--live', '--config', await configFile()], io)).toBe(0);
    const out = io.out();
    expect(out).toContain('    left out by targets[0] (prefix-lists): it takes ipv4 only\n');
    expect(out).toContain(
      `    live prefix-lists:${list}: does not admit it now; it takes ipv4 only, so this family is left out here\n      next apply: no change for this address\n`,
    );
    expect(out).toContain(
      `    live waf-ip-sets:REGIONAL:p-v4,p-v6: does not admit it now\n      next apply: adds 2a00:1450::/32\n`,
    );
    expect(ec2.writes()).toEqual([]);
  });

  it('names no target for an address of a family every target takes, and says so in --json', async () => {
    const io = memoryIo();
    const file = await configFile();
    expect(await explain.run(['11.22.33.7', '2a00:1450::1', '--json', '--config', file], io)).toBe(0);
    const out = JSON.parse(io.out()) as { addresses: AddressReport[] };
    expect(out.addresses.map((a) => a.allowlists[0]?.leftOutBy)).toEqual([
      undefined,
      [{ target: 0, kind: 'prefix-lists', families: ['ipv4'] }],
    ]);
  });
});
