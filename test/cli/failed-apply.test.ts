/**
 * Issue 10, defect 5, through the built CLI: with one target failed mid-apply, `apply` ended `Applied: 4 added, 0
 * removed` (the failed target's planned adds counted) and then `Run failed.` Two WAF IP sets as two targets of one
 * allowlist, served by FakeWafv2 over a local endpoint; every UpdateIPSet of the second set fails with a 5xx.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../lambda/core/model';
import { FakeWafv2 } from '../fakes';
import { FakeSsm } from '../fakes/fake-ssm';
import { ensureBuilt } from './built-cli';
import { type LocalEndpoint, startWafEndpoint } from './local-aws';
import { runCli, TEST_CREDENTIALS } from './process';

const WANTED = ['11.22.33.0/24', '52.94.5.0/24'];

describe('apply with a target that fails mid-apply (built CLI, FakeWafv2 endpoint)', () => {
  let waf: FakeWafv2;
  let endpoint: LocalEndpoint;
  const dir = mkdtempSync(path.join(tmpdir(), 'allowlist-sync-failed-'));

  beforeAll(async () => {
    ensureBuilt();
    waf = new FakeWafv2({ maxAttempts: 1, enforceWriteRate: false });
    endpoint = await startWafEndpoint(waf, new FakeSsm());
  }, 180_000);
  afterAll(() => endpoint.close());

  const env = () => ({
    AWS_ENDPOINT_URL: endpoint.url,
    AWS_REGION: 'eu-west-1',
    NODE_NO_WARNINGS: '1',
    // One attempt per call: the failing set fails at once instead of after the SDK's backoff.
    AWS_MAX_ATTEMPTS: '1',
    ...TEST_CREDENTIALS,
  });

  /** Two empty sets as two targets of one allowlist; every UpdateIPSet of the second fails with a 5xx. */
  function setup(name: string) {
    const good = waf.createIpSet({ scope: 'REGIONAL', name: `${name}-good`, family: 'IPV4', addresses: [] }).Id;
    const bad = waf.createIpSet({ scope: 'REGIONAL', name: `${name}-bad`, family: 'IPV4', addresses: [] }).Id;
    waf.inject({
      command: 'UpdateIPSet',
      when: (call) => (call.input as { Id?: string }).Id === bad,
      fault: 'server',
      times: Number.POSITIVE_INFINITY,
    });
    const config = path.join(dir, `${name}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        version: 1,
        allowlists: [
          {
            name: 'partners',
            sources: [{ kind: 'inline', entries: WANTED }],
            targets: [
              { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [{ name: `${name}-good`, id: good }] },
              { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [{ name: `${name}-bad`, id: bad }] },
            ],
          },
        ],
      }),
    );
    return { config, good, bad };
  }

  it('says the run failed and counts only what was written, per target and in total', async () => {
    const { config, good, bad } = setup('text');
    const run = await runCli(['apply', '--config', config], env());
    expect(run.code).toBe(1);
    expect(waf.addresses(good).sort()).toEqual(WANTED);
    expect(waf.addresses(bad)).toEqual([]);
    expect(run.stdout).not.toContain('Applied:');
    expect(run.stdout).toContain(
      '  waf-ip-sets:REGIONAL:text-good [changed]\n    + 11.22.33.0/24\n    + 52.94.5.0/24\n',
    );
    expect(run.stdout).toContain('  waf-ip-sets:REGIONAL:text-bad [failed]\n');
    expect(run.stdout).toContain('    written: 0 of 2 additions, 0 of 0 removals (1 write call)\n');
    expect(run.stdout).toMatch(
      /\nWritten before the run stopped: 2 added, 0 removed, 0 unchanged; not written: 2 to add, 0 to remove\.\nRun failed\.\n$/,
    );
  });

  it('gives the JSON report the written counts and the plan apart', async () => {
    const { config } = setup('json');
    const run = await runCli(['apply', '--config', config, '--json'], env());
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(report.status).toBe('failed');
    expect(report.summary).toEqual({ add: 2, remove: 0, unchanged: 0, planned: { add: 4, remove: 0 } });
    const [first, second] = report.allowlists[0]?.targets ?? [];
    expect(first).toMatchObject({ status: 'changed', added: { count: 2 } });
    expect(first).not.toHaveProperty('planned');
    expect(second).toMatchObject({
      status: 'failed',
      added: { count: 0, prefixes: [] },
      planned: { added: { count: 2, prefixes: WANTED } },
    });
  });
});
