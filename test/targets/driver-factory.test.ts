/**
 * The driver factory's wiring: drivers get the run's clock and waits (a busy prefix list in `observe` must not sleep
 * for real), and every WAF driver of one run shares one write pace per Region (one write per second per account and
 * Region, docs/aws-behaviour.md §23), through the engine's default factory.
 */
import { ModifyManagedPrefixListCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { parseRuntimeConfig, type Target } from '../../lambda/config';
import { PrefixSet } from '../../lambda/core/prefix-set';
import { runEngine } from '../../lambda/engine';
import { createDriver, driverFactory, WafPacers } from '../../lambda/targets';
import { WAF_WRITE_INTERVAL_MS } from '../../lambda/targets/waf-ip-set';
import { FakeEc2, FakeWafv2 } from '../fakes';

/** A virtual clock: `sleep` advances it and records the wait; `now` ticks by 1 ms per reading. */
function virtualClock(start = 1_700_000_000_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now++,
    peek: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

function loaded(texts: string[]) {
  const set = PrefixSet.parse(texts);
  return async () => ({
    desired: { allowlist: 'partners', set, cidrs: { 4: set.toCidrs(4), 6: set.toCidrs(6) }, notes: new Map() },
    provenance: [],
    counts: { read: { 4: texts.length, 6: 0 }, prefixes: { 4: set.prefixCount(4), 6: set.prefixCount(6) }, expired: 0 },
  });
}

/** A prefix list that stays `modify-in-progress` for the next `describes` DescribeManagedPrefixLists calls. */
async function busyPrefixList(ec2: FakeEc2, describes: number): Promise<string> {
  const id = ec2.createPrefixList({ family: 4, maxEntries: 10, settleAfterDescribes: describes });
  await ec2.client.send(
    new ModifyManagedPrefixListCommand({ PrefixListId: id, CurrentVersion: 1, AddEntries: [{ Cidr: '11.0.0.0/24' }] }),
  );
  return id;
}

describe('prefix lists observe on the run clock', () => {
  it('waits out a busy list with the sleep the factory was given, never with a real timer', async () => {
    const ec2 = new FakeEc2();
    const id = await busyPrefixList(ec2, 3);
    const clock = virtualClock();
    const driver = driverFactory({ ec2: ec2.client, sleep: clock.sleep, now: clock.now })(
      { kind: 'prefix-lists', ipv4: id } as Target,
      'partners',
    );
    const started = Date.now();
    const observed = await driver.observe();
    expect(clock.sleeps).toEqual([250, 500, 1000]);
    expect(Date.now() - started).toBeLessThan(250);
    expect(observed).toMatchObject({ 4: { id, state: 'modify-complete' } });
  });

  it('gets the engine’s injected sleep through the engine’s default factory', async () => {
    const ec2 = new FakeEc2();
    const id = await busyPrefixList(ec2, 2);
    const clock = virtualClock();
    const config = parseRuntimeConfig({
      version: 1,
      allowlists: [
        {
          name: 'partners',
          sources: [{ kind: 'inline', entries: ['11.0.0.0/24'] }],
          targets: [{ kind: 'prefix-lists', ipv4: id }],
        },
      ],
    });
    const report = await runEngine(
      config,
      { dryRun: true, trigger: 'manual' },
      { ec2: ec2.client, now: clock.now, sleep: clock.sleep, load: loaded(['11.0.0.0/24']) },
    );
    expect(report.allowlists[0]?.targets[0]?.status).toBe('unchanged');
    expect(clock.sleeps).toEqual([250, 500]);
  });
});

describe('WAF writes of one run share one pace per Region', () => {
  function twoWafTargets(waf: FakeWafv2) {
    const set = (name: string, family: 'IPV4' | 'IPV6') => {
      const ref = waf.createIpSet({ scope: 'REGIONAL', name, family });
      return { name: ref.Name, id: ref.Id };
    };
    return parseRuntimeConfig({
      version: 1,
      allowlists: [
        {
          name: 'partners',
          sources: [{ kind: 'inline', entries: ['11.0.0.0/24'] }],
          targets: [
            { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [set('edge-v4', 'IPV4')], ipv6: [] },
            { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [set('api-v4', 'IPV4')], ipv6: [] },
          ],
        },
      ],
    });
  }

  it('paces two WAF targets of one run together: a second apart, never throttled', async () => {
    const clock = virtualClock();
    const waf = new FakeWafv2({ now: clock.peek });
    const config = twoWafTargets(waf);
    const writesAt: number[] = [];
    waf.onWrite(() => writesAt.push(clock.peek()));
    const report = await runEngine(
      config,
      { dryRun: false, trigger: 'manual' },
      { wafv2: () => waf.client, now: clock.now, sleep: clock.sleep, load: loaded(['11.0.0.0/24', '11.0.2.0/24']) },
    );
    expect(report.allowlists[0]?.targets.map((t) => t.status)).toEqual(['changed', 'changed']);
    expect(waf.calls.filter((c) => c.errorName === 'ThrottlingException')).toEqual([]);
    expect(writesAt).toHaveLength(2);
    expect((writesAt[1] ?? 0) - (writesAt[0] ?? 0)).toBeGreaterThanOrEqual(WAF_WRITE_INTERVAL_MS);
    expect(clock.sleeps.some((ms) => ms > 0)).toBe(true);
  });

  it('gives drivers on the same client one pacer, and drivers on another client (Region) their own', () => {
    const waf = new FakeWafv2();
    const us = new FakeWafv2({ region: 'us-east-1' });
    const pacers = new WafPacers();
    expect(pacers.for(waf.client)).toBe(pacers.for(waf.client));
    expect(pacers.for(us.client)).not.toBe(pacers.for(waf.client));
  });

  it('builds a WAF driver with createDriver alone (its own pacer) for a single target', async () => {
    const waf = new FakeWafv2();
    const config = twoWafTargets(waf);
    const target = config.allowlists[0]?.targets[0] as Target;
    const driver = createDriver(target, 'partners', { wafv2: () => waf.client });
    expect(driver.targetId).toBe('waf-ip-sets:REGIONAL:edge-v4');
    await expect(driver.observe()).resolves.toMatchObject({ 4: [{ name: 'edge-v4', addresses: [] }] });
  });
});
