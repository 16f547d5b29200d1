import { describe, expect, it } from 'vitest';
import { parseRuntimeConfig } from '../../lambda/config';
import { runEngine } from '../../lambda/engine';
import { type Layout, World } from './world';

const EVERY_KIND: Layout = {
  sg: { groups: 2, ports: [{ protocol: 'tcp', from: 443, to: 443 }], quota: { ipv4: 20, ipv6: 20 }, unowned: [] },
  waf: { sets4: 1, sets6: 1 },
  pl: { maxEntries4: 40, maxEntries6: 10 },
};
const FORTY = Array.from({ length: 40 }, (_, i) => `12.0.${2 * i}.0/24`);

/** A world with FORTY applied and default guardrails (0.3 and 10). */
async function applied(layout: Layout = EVERY_KIND, allowEmpty = false) {
  const w = new World(layout, { allowEmpty, guardrails: { maxRemovedShare: 0.3, removalsAlwaysAllowed: 10 } });
  const setup = await w.run(FORTY, { force: undefined });
  expect(setup.status).toBe('ok');
  return w;
}

describe('guardrails against the fakes: each refuses and makes zero write calls', () => {
  it.each([
    ['an empty list', [] as string[], 'empty'],
    ['removing 35 of 40 entries', FORTY.slice(0, 5), 'removal-share'],
  ])('%s is refused everywhere', async (_, list, guardrail) => {
    const w = await applied();
    const before = w.writeCalls().length;
    const report = await w.run(list, { force: undefined });
    expect(w.writeCalls().length - before).toBe(0);
    expect(report.status).toBe('refused');
    const errors = [report.allowlists[0]?.error, ...(report.allowlists[0]?.targets.map((t) => t.error) ?? [])];
    expect(errors.some((e) => e?.name === 'GuardrailError' && e.message.length > 0)).toBe(true);
    expect(w.mismatches(FORTY)).toEqual([]);
    expect(guardrail).toMatch(/empty|removal-share/);
  });

  it('a forced run with a reason passes the removal-share guardrail', async () => {
    const w = await applied();
    const report = await w.run(FORTY.slice(0, 5), { force: { reason: 'CHG-7: partners offboarded' } });
    expect(report.status).toBe('ok');
    expect(w.mismatches(FORTY.slice(0, 5))).toEqual([]);
  });

  it('a forced run never passes the empty-list guardrail', async () => {
    const w = await applied();
    const before = w.writeCalls().length;
    const report = await w.run([], { force: { reason: 'try' } });
    expect(report.status).toBe('refused');
    expect(w.writeCalls().length - before).toBe(0);
  });

  it('a pool that cannot hold the list is refused, forced or not, naming the groups to add', async () => {
    const small: Layout = {
      sg: { groups: 1, ports: [{ protocol: 'tcp', from: 443, to: 443 }], quota: { ipv4: 3, ipv6: 3 }, unowned: [] },
      pl: { maxEntries4: 40 },
    };
    const fresh = new World(small);
    const report = await fresh.run(FORTY, { force: { reason: 'try' } });
    expect(fresh.writeCalls()).toEqual([]);
    const sg = report.allowlists[0]?.targets[0];
    expect(sg?.status).toBe('refused');
    expect(sg?.error?.override).toMatch(/group/);
    expect(report.allowlists[0]?.targets[1]?.status).toBe('refused');
  });

  it('a forced run never passes the entry policy (the real loader refuses a too-broad prefix)', async () => {
    const w = new World(EVERY_KIND);
    const config = parseRuntimeConfig({
      version: 1,
      allowlists: [{ ...w.config.allowlists[0], sources: [{ kind: 'inline', entries: ['12.0.0.0/8'] }] }],
    });
    const report = await runEngine(
      config,
      { dryRun: false, trigger: 'cli', force: { reason: 'try' } },
      { ec2: w.ec2.client, wafv2: () => w.waf.client, now: () => w.clock, sleep: async () => {} },
    );
    expect(report.status).toBe('refused');
    expect(report.allowlists[0]?.error?.name).toBe('PolicyError');
    expect(w.writeCalls()).toEqual([]);
  });
});
