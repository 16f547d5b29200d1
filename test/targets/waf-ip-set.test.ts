import { GetIPSetCommand, UpdateIPSetCommand, WAFOptimisticLockException, WAFV2Client } from '@aws-sdk/client-wafv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambda/core/errors';
import { PrefixSet } from '../../lambda/core/prefix-set';
import { StateConflictError } from '../../lambda/targets/types';
import { WafIpSetDriver, type WafIpSetsTarget, WafWriteLimiter } from '../../lambda/targets/waf-ip-set';
import { desiredOf, fakeClock, violation } from '../core/target-plan-helpers';
import { FakeWafv2 } from '../fakes';

const target: WafIpSetsTarget = {
  kind: 'waf-ip-sets',
  scope: 'REGIONAL',
  ipv4: [{ name: 'partners-v4', id: 'id-4' }],
  ipv6: [{ name: 'partners-v6', id: 'id-6' }],
};

describe('WafIpSetDriver with a mocked client', () => {
  const waf = mockClient(WAFV2Client);
  beforeEach(() => waf.reset());

  function answerGets(v4: string[], v6: string[]) {
    waf.on(GetIPSetCommand, { Id: 'id-4' }).resolves({
      IPSet: {
        Name: 'partners-v4',
        Id: 'id-4',
        ARN: 'arn:4',
        IPAddressVersion: 'IPV4',
        Addresses: v4,
        Description: 'v4 partners',
      },
      LockToken: 'lock-4',
    });
    waf.on(GetIPSetCommand, { Id: 'id-6' }).resolves({
      IPSet: { Name: 'partners-v6', Id: 'id-6', ARN: 'arn:6', IPAddressVersion: 'IPV6', Addresses: v6 },
      LockToken: 'lock-6',
    });
  }

  it('reads every set and canonicalises what AWS returns by value', async () => {
    answerGets(['11.0.0.0/24'], ['2001:DB8:0:0::/32']);
    const driver = new WafIpSetDriver(target, 'partners', { wafv2: new WAFV2Client({}) });
    const observed = await driver.observe();
    expect(waf.commandCalls(GetIPSetCommand).map((c) => c.args[0].input)).toEqual([
      { Name: 'partners-v4', Scope: 'REGIONAL', Id: 'id-4' },
      { Name: 'partners-v6', Scope: 'REGIONAL', Id: 'id-6' },
    ]);
    expect(observed[6][0]).toMatchObject({ addresses: ['2001:db8::/32'], lockToken: 'lock-6' });
    expect(observed[4][0]).toMatchObject({ description: 'v4 partners' });
    expect(driver.plan(desiredOf(['11.0.0.0/24', '2001:db8::/32']), observed).writes).toEqual([]);
  });

  it('refuses a set of the wrong family as a config error that names it', async () => {
    answerGets([], []);
    const swapped: WafIpSetsTarget = { ...target, ipv4: target.ipv6, ipv6: [] };
    const driver = new WafIpSetDriver(swapped, 'partners', { wafv2: new WAFV2Client({}) });
    await expect(driver.observe()).rejects.toThrow(ConfigError);
    await expect(driver.observe()).rejects.toThrow(/ipv4\[0\]: IP set "partners-v6" \(id-6\) holds IPV6/);
  });

  it('sends one UpdateIPSet per changed set with the full list, the description and the lock token read', async () => {
    answerGets(['11.0.0.0/24'], ['2001:db8::/32']);
    waf.on(UpdateIPSetCommand).resolves({ NextLockToken: 'next' });
    const driver = new WafIpSetDriver(target, 'partners', { wafv2: new WAFV2Client({}) });
    const plan = driver.plan(desiredOf(['11.0.0.0/24', '12.0.0.0/16', '2001:db8::/32']), await driver.observe());
    const { context } = fakeClock();
    await expect(driver.apply(plan, context)).resolves.toEqual({ writeCalls: 1 });
    expect(waf.commandCalls(UpdateIPSetCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: 'partners-v4',
        Scope: 'REGIONAL',
        Id: 'id-4',
        Addresses: ['11.0.0.0/24', '12.0.0.0/16'],
        Description: 'v4 partners',
        LockToken: 'lock-4',
      },
    ]);
  });

  it('waits a second between writes and passes the next lock token to a second write of the same set', async () => {
    answerGets(['11.0.0.0/24'], ['2001:db8::/32']);
    waf.on(UpdateIPSetCommand, { Id: 'id-4' }).resolves({ NextLockToken: 'lock-4b' });
    waf.on(UpdateIPSetCommand, { Id: 'id-6' }).resolves({ NextLockToken: 'lock-6b' });
    const driver = new WafIpSetDriver(target, 'partners', { wafv2: new WAFV2Client({}) });
    const plan = driver.plan(desiredOf(['12.0.0.0/24', '2001:db9::/32']), await driver.observe());
    const { context, sleeps } = fakeClock();
    await driver.apply(plan, context);
    const sent = waf.commandCalls(UpdateIPSetCommand).map((c) => c.args[0].input);
    expect(sent.map((i) => [i.Id, i.LockToken])).toEqual([
      ['id-4', 'lock-4'],
      ['id-6', 'lock-6'],
      ['id-4', 'lock-4b'],
    ]);
    expect(sent[1]).not.toHaveProperty('Description');
    expect(sleeps).toEqual([1000, 1000]);
  });

  it('turns WAFOptimisticLockException into a StateConflictError and lets other errors through', async () => {
    answerGets([], []);
    waf
      .on(UpdateIPSetCommand)
      .rejectsOnce(new WAFOptimisticLockException({ $metadata: {}, message: 'stale token' }))
      .rejects(Object.assign(new Error('boom'), { name: 'WAFInternalErrorException' }));
    const driver = new WafIpSetDriver(target, 'partners', { wafv2: new WAFV2Client({}) });
    const plan = driver.plan(desiredOf(['11.0.0.0/24']), await driver.observe());
    const { context } = fakeClock();
    const conflict = await driver.apply(plan, context).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(StateConflictError);
    expect(conflict).toMatchObject({ awsError: 'WAFOptimisticLockException', targetId: driver.targetId });
    await expect(driver.apply(plan, context)).rejects.toMatchObject({ name: 'WAFInternalErrorException' });
  });

  it('shares the one-write-per-second pace across drivers through one limiter', async () => {
    answerGets([], []);
    waf.on(UpdateIPSetCommand).resolves({ NextLockToken: 'n' });
    const limiter = new WafWriteLimiter();
    const a = new WafIpSetDriver(target, 'a', { wafv2: new WAFV2Client({}) }, { limiter });
    const b = new WafIpSetDriver(target, 'b', { wafv2: new WAFV2Client({}) }, { limiter });
    const { context, sleeps } = fakeClock();
    await a.apply(a.plan(desiredOf(['11.0.0.0/24']), await a.observe()), context);
    await b.apply(b.plan(desiredOf(['12.0.0.0/24']), await b.observe()), context);
    expect(sleeps).toEqual([1000]);
  });
});

describe('WafIpSetDriver against FakeWafv2', () => {
  function setup(v4: string[][], v6: string[][] = []) {
    const clock = fakeClock();
    const fake = new FakeWafv2({ now: clock.now });
    const make = (family: 'IPV4' | 'IPV6', lists: string[][]) =>
      lists.map((addresses, i) => {
        const ref = fake.createIpSet({
          scope: 'REGIONAL',
          name: `pool-${family}-${i}`,
          family,
          addresses,
          description: 'managed by allowlist-sync',
        });
        return { name: ref.Name, id: ref.Id };
      });
    const t: WafIpSetsTarget = {
      kind: 'waf-ip-sets',
      scope: 'REGIONAL',
      ipv4: make('IPV4', v4),
      ipv6: make('IPV6', v6),
    };
    const driver = new WafIpSetDriver(t, 'partners', { wafv2: fake.client });
    /** What the whole pool admits now, by address, from the fake's own ranges. */
    const admitted = (): PrefixSet =>
      PrefixSet.parse([
        ...t.ipv4.flatMap((s) => fake.addressRanges(s.id).flatMap(([a, b]) => splitRange(a, b, 4))),
        ...t.ipv6.flatMap((s) => fake.addressRanges(s.id).flatMap(([a, b]) => splitRange(a, b, 6))),
      ]);
    return { fake, driver, clock, t, admitted };
  }

  it('re-aggregates across sets without ever admitting less than the old or the new list', async () => {
    const { fake, driver, clock, t, admitted } = setup(
      [['10.0.0.128/25', '30.0.0.0/24'], ['10.0.0.0/25']],
      [['2001:db8::/32']],
    );
    const desired = desiredOf(['10.0.0.0/24', '30.0.0.0/24', '2001:db8::/48']);
    const old = PrefixSet.parse(['10.0.0.0/24', '30.0.0.0/24', '2001:db8::/32']);
    const checked: (string | undefined)[] = [];
    fake.onWrite(() => checked.push(violation(old, desired.set, admitted())));
    const plan = driver.plan(desired, await driver.observe());
    await driver.apply(plan, clock.context);
    expect(fake.writes().map((c) => c.command)).toEqual(['UpdateIPSet', 'UpdateIPSet', 'UpdateIPSet']);
    expect(checked).toEqual([undefined, undefined, undefined]);
    expect(admitted().equals(desired.set)).toBe(true);
    expect(driver.plan(desired, await driver.observe()).writes).toEqual([]);
    for (const s of [...t.ipv4, ...t.ipv6]) expect(fake.ipSet(s.id).description).toBe('managed by allowlist-sync');
  });

  it('raises a conflict when another writer changed the set after the read', async () => {
    const { fake, driver, clock } = setup([['11.0.0.0/24']]);
    const plan = driver.plan(desiredOf(['12.0.0.0/24']), await driver.observe());
    fake.inject({ command: 'UpdateIPSet', fault: 'lock-conflict' });
    await expect(driver.apply(plan, clock.context)).rejects.toBeInstanceOf(StateConflictError);
    const again = driver.plan(desiredOf(['12.0.0.0/24']), await driver.observe());
    await expect(driver.apply(again, clock.context)).resolves.toEqual({ writeCalls: 1 });
  });

  it('keeps to the one-write-per-second rate the fake enforces', async () => {
    const { fake, driver, clock } = setup([['11.0.0.0/24'], []], [['2001:db8::/32']]);
    const plan = driver.plan(desiredOf(['12.0.0.0/24', '2001:db9::/32']), await driver.observe());
    await driver.apply(plan, clock.context);
    expect(fake.writes().every((c) => c.outcome === 'ok')).toBe(true);
    expect(fake.writes().length).toBeGreaterThanOrEqual(2);
  });
});

function splitRange(s: bigint, e: bigint, family: 4 | 6): string[] {
  const bits = family === 4 ? 32 : 128;
  const out: string[] = [];
  while (s <= e) {
    let size = 1n;
    while ((s & (size * 2n - 1n)) === 0n && s + size * 2n - 1n <= e && size * 2n <= 1n << BigInt(bits)) size *= 2n;
    const length = bits - (size.toString(2).length - 1);
    out.push(`${format(s, family)}/${length}`);
    s += size;
  }
  return out;
}

function format(value: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((sh) => String((value >> sh) & 255n)).join('.');
  return Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':');
}
