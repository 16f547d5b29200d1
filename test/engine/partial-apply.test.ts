/**
 * Issue 10, defect 5: a run with a target that failed mid-apply said `Applied: 198 added, 0 removed` (the failed
 * target's planned adds counted) and then `Run failed.` The real engine and drivers over the stateful fakes: a prefix
 * list whose second modify (adds 101–150) fails after the first (adds 1–100) took effect, next to a WAF IP set that
 * is written in full. The report, its text, the function's one-line summary and its log line must count only what
 * AWS holds.
 */
import { describe, expect, it } from 'vitest';
import { parseRuntimeConfig } from '../../lambda/config';
import { formatPlanText } from '../../lambda/core/report';
import { runEngine } from '../../lambda/engine';
import { runLogEntry } from '../../lambda/function/observability';
import { summaryLine } from '../../lambda/function/response';
import { loadAllowlist } from '../../lambda/sources';
import { createDriver } from '../../lambda/targets';
import { FakeEc2, FakeWafv2 } from '../fakes';

/** 150 /24s: a prefix list takes at most 100 adds per modify, so the driver makes two calls. */
const WANTED = Array.from({ length: 150 }, (_, i) => `11.${Math.floor(i / 100)}.${(i % 100) * 2}.0/24`);

async function runWithSecondModifyFailing() {
  const ec2 = new FakeEc2();
  const waf = new FakeWafv2({ enforceWriteRate: false });
  const listId = ec2.createPrefixList({ family: 4, maxEntries: 200 });
  const setId = waf.createIpSet({ scope: 'REGIONAL', name: 'partners-v4', family: 'IPV4', addresses: [] }).Id;
  // Every attempt of the second modify fails with a 5xx: the SDK's retries run out and the target fails.
  let modifies = 0;
  ec2.inject({
    command: 'ModifyManagedPrefixList',
    when: (call) => call.attempt > 1 || ++modifies > 1,
    fault: 'server',
    times: Number.POSITIVE_INFINITY,
  });
  const config = parseRuntimeConfig({
    version: 1,
    allowlists: [
      {
        name: 'partners',
        sources: [{ kind: 'inline', entries: WANTED }],
        targets: [
          { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [{ name: 'partners-v4', id: setId }] },
          { kind: 'prefix-lists', ipv4: listId },
        ],
      },
    ],
  });
  const report = await runEngine(
    config,
    { dryRun: false, trigger: 'manual' },
    {
      now: Date.now,
      sleep: async () => {},
      load: (allowlist) => loadAllowlist(allowlist, { now: Date.now }),
      drivers: (target, allowlist) => createDriver(target, allowlist, { ec2: ec2.client, wafv2: () => waf.client }),
    },
  );
  const held = ec2.snapshot().entries(listId);
  return { report, held, waf, setId };
}

describe('a run with a target that failed mid-apply counts only what was written', () => {
  it('reports the failed target with what AWS holds, and keeps its plan apart', async () => {
    const { report, held } = await runWithSecondModifyFailing();
    expect(held).toHaveLength(100);
    const [waf, list] = report.allowlists[0]?.targets ?? [];
    expect(waf).toMatchObject({ status: 'changed', added: { count: 150 } });
    expect(waf).not.toHaveProperty('planned');
    expect(list).toMatchObject({
      status: 'failed',
      added: { count: 100 },
      removed: { count: 0 },
      planned: { added: { count: 150 }, removed: { count: 0 } },
    });
    // The listed prefixes (capped at 50) are ones the list holds, not the plan's.
    expect(list?.added.prefixes).toHaveLength(50);
    expect(list?.added.prefixes.filter((p) => !held.includes(p))).toEqual([]);
    expect(report.status).toBe('failed');
    expect(report.summary).toEqual({ add: 250, remove: 0, unchanged: 0, planned: { add: 300, remove: 0 } });
  });

  it('says in the text that the run failed and what was and was not written, never "Applied"', async () => {
    const { report } = await runWithSecondModifyFailing();
    const text = formatPlanText(report, { color: false });
    expect(text).not.toContain('Applied:');
    expect(text).toContain('    written: 100 of 150 additions, 0 of 0 removals (2 write calls)');
    expect(text).toMatch(
      /^Written before the run stopped: 250 added, 0 removed, 0 unchanged; not written: 50 to add, 0 to remove\.\nRun failed\.\n$/m,
    );
  });

  it("gives the function's summary line and log line the written totals", async () => {
    const { report } = await runWithSecondModifyFailing();
    expect(summaryLine(report)).toMatch(/ Written: 250 added, 0 removed; not written: 50 to add, 0 to remove\.$/);
    const entry = runLogEntry(report);
    expect(entry).toMatchObject({ add: 250, remove: 0, planned: { add: 300, remove: 0 } });
    const [, list] = (entry.allowlists as { targets: unknown[] }[])[0]?.targets ?? [];
    expect(list).toMatchObject({ status: 'failed', added: 100, planned: { added: 150, removed: 0 } });
  });
});
