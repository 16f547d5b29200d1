import {
  GetIPSetCommand,
  ListIPSetsCommand,
  UpdateIPSetCommand,
  type UpdateIPSetCommandInput,
  WAFInternalErrorException,
  WAFInvalidParameterException,
  WAFLimitsExceededException,
  WAFNonexistentItemException,
  WAFOptimisticLockException,
} from '@aws-sdk/client-wafv2';
import { describe, expect, it } from 'vitest';
import { FakeWafv2, type FakeWafv2Options, SimulatedCrash } from './index';

async function errorOf(promise: Promise<unknown>): Promise<Error & { $fault?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

function setup(options: FakeWafv2Options = {}, family: 'IPV4' | 'IPV6' = 'IPV4') {
  let clock = 1_000_000;
  const waf = new FakeWafv2({ now: () => clock, ...options });
  const ref = waf.createIpSet({
    scope: 'REGIONAL',
    name: 'partners-v4',
    family,
    addresses: family === 'IPV4' ? ['192.0.2.0/24'] : ['2001:db8::/32'],
    description: 'managed by allowlist-sync',
  });
  const key = { Name: ref.Name, Scope: 'REGIONAL' as const, Id: ref.Id };
  const get = () => waf.client.send(new GetIPSetCommand(key));
  const update = (input: Partial<UpdateIPSetCommandInput>) =>
    waf.client.send(new UpdateIPSetCommand({ ...key, Addresses: [], LockToken: '', ...input }));
  const tick = (ms = 1000) => {
    clock += ms;
  };
  return { waf, ref, key, get, update, tick };
}

describe('FakeWafv2', () => {
  it('returns the set with its description and a lock token', async () => {
    const { get, ref } = setup();
    const out = await get();
    expect(out.IPSet).toEqual({
      Name: 'partners-v4',
      Id: ref.Id,
      ARN: ref.ARN,
      Description: 'managed by allowlist-sync',
      IPAddressVersion: 'IPV4',
      Addresses: ['192.0.2.0/24'],
    });
    expect(out.LockToken).toBeTruthy();
  });

  it('replaces the whole list and hands out a new lock token after each update', async () => {
    const { waf, ref, get, update, tick } = setup();
    const { LockToken } = await get();
    const out = await update({ Addresses: ['198.51.100.0/24', '203.0.113.7/32'], LockToken, Description: 'kept' });
    expect(out.NextLockToken).toBeTruthy();
    expect(out.NextLockToken).not.toBe(LockToken);
    expect(waf.addresses(ref.Id)).toEqual(['198.51.100.0/24', '203.0.113.7/32']);
    tick();
    const error = await errorOf(update({ Addresses: [], LockToken, Description: 'kept' }));
    expect(error).toBeInstanceOf(WAFOptimisticLockException);
    expect(waf.addresses(ref.Id)).toHaveLength(2);
  });

  it('clears the description when an update omits it', async () => {
    const { waf, ref, get, update } = setup();
    const { LockToken } = await get();
    await update({ Addresses: ['192.0.2.0/24'], LockToken });
    expect(waf.ipSet(ref.Id).description).toBeUndefined();
    expect((await get()).IPSet?.Description).toBeUndefined();
  });

  it('holds 10,000 addresses and refuses 10,001', async () => {
    const { waf, ref, get, update, tick } = setup();
    const many = Array.from({ length: 10_001 }, (_, i) => `10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`);
    const error = await errorOf(update({ Addresses: many, LockToken: (await get()).LockToken }));
    expect(error).toBeInstanceOf(WAFLimitsExceededException);
    tick();
    await update({ Addresses: many.slice(0, 10_000), LockToken: (await get()).LockToken });
    expect(waf.addresses(ref.Id)).toHaveLength(10_000);
  });

  it.each([
    ['host bits', '192.0.2.1/24'],
    ['/0', '0.0.0.0/0'],
    ['the other family', '2001:db8::/32'],
    ['a bare address', '192.0.2.1'],
    ['a lenient short address', '10.1/16'],
    ['a prefix length over 32', '10.0.0.0/33'],
    ['garbage', 'not-an-ip'],
  ])('rejects %s in an IPv4 set and keeps the set as it was', async (_name, address) => {
    const { waf, ref, get, update } = setup();
    const error = await errorOf(
      update({ Addresses: ['198.51.100.0/24', address], LockToken: (await get()).LockToken }),
    );
    expect(error).toBeInstanceOf(WAFInvalidParameterException);
    expect(waf.addresses(ref.Id)).toEqual(['192.0.2.0/24']);
  });

  it.each([
    ['host bits', '2001:db8::1/32'],
    ['/0', '::/0'],
    ['the other family', '192.0.2.0/24'],
  ])('rejects %s in an IPv6 set', async (_name, address) => {
    const { get, update } = setup({}, 'IPV6');
    const error = await errorOf(update({ Addresses: [address], LockToken: (await get()).LockToken }));
    expect(error).toBeInstanceOf(WAFInvalidParameterException);
  });

  it('rejects a description outside the documented pattern', async () => {
    const { get, update } = setup();
    const error = await errorOf(update({ Addresses: [], LockToken: (await get()).LockToken, Description: 'a <b>' }));
    expect(error).toBeInstanceOf(WAFInvalidParameterException);
  });

  it('rejects the same address twice', async () => {
    const { get, update } = setup();
    const error = await errorOf(
      update({ Addresses: ['10.0.0.0/8', '10.0.0.0/8'], LockToken: (await get()).LockToken }),
    );
    expect(error).toBeInstanceOf(WAFInvalidParameterException);
  });

  it('allows one write per second per account and Region', async () => {
    const { waf, ref, get, update, tick } = setup({ maxAttempts: 1 });
    const second = waf.createIpSet({ scope: 'REGIONAL', name: 'partners-b', family: 'IPV4' });
    await update({ Addresses: ['10.0.0.0/8'], LockToken: (await get()).LockToken });
    const other = await waf.client.send(new GetIPSetCommand({ Name: second.Name, Scope: 'REGIONAL', Id: second.Id }));
    const write = () =>
      waf.client.send(
        new UpdateIPSetCommand({
          Name: second.Name,
          Scope: 'REGIONAL',
          Id: second.Id,
          Addresses: [],
          LockToken: other.LockToken,
        }),
      );
    tick(999);
    const error = await errorOf(write());
    expect(error.name).toBe('ThrottlingException');
    tick(1);
    await expect(write()).resolves.toBeDefined();
    expect(waf.addresses(ref.Id)).toEqual(['10.0.0.0/8']);
  });

  it('lets the emulated SDK retries back off past the write-rate window', async () => {
    const { waf, get, update } = setup();
    await update({ Addresses: ['10.0.0.0/8'], LockToken: (await get()).LockToken });
    await update({ Addresses: ['10.0.0.0/9'], LockToken: (await get()).LockToken });
    expect(waf.callsOf('UpdateIPSet').map((c) => c.errorName ?? 'ok')).toEqual([
      'ok',
      'ThrottlingException',
      'ThrottlingException',
      'ok',
    ]);
  });

  it.each([
    ['an unknown id', { Id: 'ffffffff-0000-4000-8000-000000000000' }],
    ['a name that does not match the id', { Name: 'someone-else' }],
    ['the other scope', { Scope: 'CLOUDFRONT' as const }],
  ])('answers WAFNonexistentItemException (or a scope error) for %s', async (_name, override) => {
    const { waf, key } = setup({ region: 'us-east-1' });
    const error = await errorOf(waf.client.send(new GetIPSetCommand({ ...key, ...override })));
    expect(error).toBeInstanceOf(WAFNonexistentItemException);
  });

  it('accepts scope CLOUDFRONT only in us-east-1', async () => {
    const { waf, key } = setup();
    const error = await errorOf(waf.client.send(new GetIPSetCommand({ ...key, Scope: 'CLOUDFRONT' })));
    expect(error).toBeInstanceOf(WAFInvalidParameterException);
    expect(() => waf.createIpSet({ scope: 'CLOUDFRONT', name: 'cf', family: 'IPV4' })).toThrow(/us-east-1/);
  });

  it('lists IP sets page by page', async () => {
    const { waf } = setup();
    for (const name of ['b', 'c', 'd', 'e']) waf.createIpSet({ scope: 'REGIONAL', name, family: 'IPV4' });
    const names: string[] = [];
    let NextMarker: string | undefined;
    do {
      const out = await waf.client.send(new ListIPSetsCommand({ Scope: 'REGIONAL', Limit: 2, NextMarker }));
      names.push(...(out.IPSets ?? []).map((s) => s.Name as string));
      NextMarker = out.NextMarker;
    } while (NextMarker);
    expect(names).toEqual(['partners-v4', 'b', 'c', 'd', 'e']);
    const error = await errorOf(waf.client.send(new ListIPSetsCommand({ Scope: 'REGIONAL', Limit: 101 })));
    expect(error).toBeInstanceOf(WAFInvalidParameterException);
  });

  it('gives what a set admits as merged address ranges', () => {
    const waf = new FakeWafv2();
    const ref = waf.createIpSet({
      scope: 'REGIONAL',
      name: 'x',
      family: 'IPV4',
      addresses: ['10.0.0.128/25', '10.0.0.0/25'],
    });
    expect(waf.addressRanges(ref.Id)).toEqual([[0x0a000000n, 0x0a0000ffn]]);
  });
});

describe('FakeWafv2 faults', () => {
  it('makes the lock token stale with lock-conflict and changes no address', async () => {
    const { waf, ref, get, update } = setup();
    const { LockToken } = await get();
    waf.inject({ command: 'UpdateIPSet', fault: 'lock-conflict' });
    const error = await errorOf(update({ Addresses: [], LockToken }));
    expect(error).toBeInstanceOf(WAFOptimisticLockException);
    expect(waf.addresses(ref.Id)).toEqual(['192.0.2.0/24']);
    expect(waf.calls).toHaveLength(2);
  });

  it('throttles with ThrottlingException and fails with WAFInternalErrorException, both retried by the SDK', async () => {
    const { waf, ref, get, update } = setup();
    waf.inject({ command: 'UpdateIPSet', fault: 'throttle' }).inject({ command: 'UpdateIPSet', fault: 'server' });
    await update({ Addresses: ['10.0.0.0/8'], LockToken: (await get()).LockToken, Description: 'kept' });
    expect(waf.callsOf('UpdateIPSet').map((c) => c.errorName ?? 'ok')).toEqual([
      'ThrottlingException',
      'WAFInternalErrorException',
      'ok',
    ]);
    expect(waf.addresses(ref.Id)).toEqual(['10.0.0.0/8']);
  });

  it('surfaces a server fault as a WAFInternalErrorException with $fault server', async () => {
    const { waf, get } = setup({ maxAttempts: 1 });
    waf.inject({ fault: 'server' });
    const error = await errorOf(get());
    expect(error).toBeInstanceOf(WAFInternalErrorException);
    expect(error.$fault).toBe('server');
  });

  it('applies an update that then times out, so the SDK retry holds a stale lock token', async () => {
    const { waf, ref, get, update } = setup();
    waf.inject({ command: 'UpdateIPSet', fault: 'timeout-after-write' });
    const error = await errorOf(update({ Addresses: ['10.0.0.0/8'], LockToken: (await get()).LockToken }));
    expect(error).toBeInstanceOf(WAFOptimisticLockException);
    expect(waf.addresses(ref.Id)).toEqual(['10.0.0.0/8']);
  });

  it('crashes after the write took effect, and observers see the write', async () => {
    const { waf, ref, get, update } = setup();
    const seen: string[][] = [];
    waf.onWrite((snapshot) => seen.push(snapshot.addresses(ref.Id)));
    waf.inject({ fault: 'crash-after', command: 'UpdateIPSet' });
    expect(await errorOf(update({ Addresses: ['10.0.0.0/8'], LockToken: (await get()).LockToken }))).toBeInstanceOf(
      SimulatedCrash,
    );
    expect(seen).toEqual([['10.0.0.0/8']]);
  });

  it('serves a stale read with the old addresses and the old lock token', async () => {
    const { waf, get, update } = setup();
    const before = await get();
    await update({ Addresses: ['10.0.0.0/8'], LockToken: before.LockToken });
    waf.inject({ fault: 'stale-read' });
    const stale = await get();
    expect(stale.IPSet?.Addresses).toEqual(['192.0.2.0/24']);
    expect(stale.LockToken).toBe(before.LockToken);
  });
});
