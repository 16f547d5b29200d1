import {
  DescribeManagedPrefixListsCommand,
  EC2Client,
  GetManagedPrefixListEntriesCommand,
  ModifyManagedPrefixListCommand,
  type PrefixListState,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambda/core/errors';
import { PrefixSet } from '../../lambda/core/prefix-set';
import {
  PrefixListBusyError,
  PrefixListDriver,
  PrefixListStateError,
  type PrefixListsTarget,
} from '../../lambda/targets/prefix-list';
import { StateConflictError } from '../../lambda/targets/types';
import { desiredOf, fakeClock, violation } from '../core/target-plan-helpers';
import { FakeEc2 } from '../fakes';

const V4 = 'pl-0123456789abcdef0';
const target: PrefixListsTarget = { kind: 'prefix-lists', ipv4: V4 };

function hosts(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, k) => `11.${((k + from) >> 7) & 255}.0.${((k + from) & 127) * 2}/32`);
}

describe('PrefixListDriver with a mocked client', () => {
  const ec2 = mockClient(EC2Client);
  beforeEach(() => ec2.reset());

  function describeAs(...states: PrefixListState[]) {
    let call = ec2.on(DescribeManagedPrefixListsCommand);
    for (const state of states) {
      call = call.resolvesOnce({
        PrefixLists: [{ PrefixListId: V4, AddressFamily: 'IPv4', State: state, Version: 3, MaxEntries: 20 }],
      });
    }
    call.resolves({
      PrefixLists: [{ PrefixListId: V4, AddressFamily: 'IPv4', State: 'modify-complete', Version: 3, MaxEntries: 20 }],
    });
  }

  function driver(clock = fakeClock(), growUpTo?: number) {
    const t = growUpTo === undefined ? target : { ...target, growUpTo };
    return new PrefixListDriver(
      t,
      'partners',
      { ec2: new EC2Client({}) },
      { sleep: clock.context.sleep, now: clock.context.now },
    );
  }

  it('waits out modify-in-progress, then reads every page of entries at the version described', async () => {
    describeAs('modify-in-progress', 'modify-in-progress');
    ec2
      .on(GetManagedPrefixListEntriesCommand)
      .resolvesOnce({ Entries: [{ Cidr: '11.0.0.0/24', Description: 'acme' }], NextToken: 'page-2' })
      .resolves({ Entries: [{ Cidr: '12.0.0.5/16' }] });
    const clock = fakeClock();
    const observed = await driver(clock).observe();
    expect(clock.sleeps).toEqual([250, 500]);
    expect(ec2.commandCalls(GetManagedPrefixListEntriesCommand).map((c) => c.args[0].input)).toEqual([
      { PrefixListId: V4, TargetVersion: 3, MaxResults: 100 },
      { PrefixListId: V4, TargetVersion: 3, MaxResults: 100, NextToken: 'page-2' },
    ]);
    expect(observed[4]).toEqual({
      id: V4,
      family: 4,
      state: 'modify-complete',
      version: 3,
      maxEntries: 20,
      entries: [{ cidr: '11.0.0.0/24', description: 'acme' }, { cidr: '12.0.0.0/16' }],
    });
  });

  it('names a failed list instead of writing to it', async () => {
    ec2.on(DescribeManagedPrefixListsCommand).resolves({
      PrefixLists: [
        { PrefixListId: V4, AddressFamily: 'IPv4', State: 'modify-failed', StateMessage: 'quota', Version: 3 },
      ],
    });
    await expect(driver().observe()).rejects.toThrow(PrefixListStateError);
    await expect(driver().observe()).rejects.toThrow(/pl-0123456789abcdef0 is in state modify-failed \(quota\)/);
  });

  it('gives up on a list that stays busy past the wait budget', async () => {
    ec2.on(DescribeManagedPrefixListsCommand).resolves({
      PrefixLists: [{ PrefixListId: V4, AddressFamily: 'IPv4', State: 'modify-in-progress', Version: 3 }],
    });
    await expect(driver().observe()).rejects.toBeInstanceOf(PrefixListBusyError);
  });

  it('refuses a list of the wrong family as a config error', async () => {
    ec2.on(DescribeManagedPrefixListsCommand).resolves({
      PrefixLists: [{ PrefixListId: V4, AddressFamily: 'IPv6', State: 'create-complete', Version: 1 }],
    });
    await expect(driver().observe()).rejects.toThrow(ConfigError);
  });

  it('grows MaxEntries first, then modifies with the version read and one more per call, waiting in between', async () => {
    describeAs();
    ec2.on(GetManagedPrefixListEntriesCommand).resolves({ Entries: [{ Cidr: '10.0.0.0/24' }] });
    ec2.on(ModifyManagedPrefixListCommand).resolves({});
    const clock = fakeClock();
    const d = driver(clock, 200);
    const desired = desiredOf(hosts(150), { '11.0.0.0/32': { note: 'Acme' } });
    const plan = d.plan(desired, await d.observe());
    const describesBefore = ec2.commandCalls(DescribeManagedPrefixListsCommand).length;
    await expect(d.apply(plan, clock.context)).resolves.toEqual({ writeCalls: 3 });
    const sent = ec2.commandCalls(ModifyManagedPrefixListCommand).map((c) => c.args[0].input);
    // 1 old + 100 adds, then 50 adds with the 1 remove: at most 150 entries at once.
    expect(sent[0]).toEqual({ PrefixListId: V4, MaxEntries: 150 });
    expect(sent[1]).toMatchObject({ CurrentVersion: 3 });
    expect(sent[1]).not.toHaveProperty('RemoveEntries');
    expect(sent[1]?.AddEntries).toHaveLength(100);
    expect(sent[1]?.AddEntries?.[0]).toEqual({ Cidr: '11.0.0.0/32', Description: 'Acme' });
    expect(sent[2]).toMatchObject({ CurrentVersion: 4, RemoveEntries: [{ Cidr: '10.0.0.0/24' }] });
    expect(sent[2]?.AddEntries).toHaveLength(50);
    // One describe before each call that follows another call to the same list.
    expect(ec2.commandCalls(DescribeManagedPrefixListsCommand).length - describesBefore).toBe(2);
  });

  it.each(['PrefixListVersionMismatch', 'IncorrectState'])('turns %s into a StateConflictError', async (code) => {
    describeAs();
    ec2.on(GetManagedPrefixListEntriesCommand).resolves({ Entries: [] });
    ec2.on(ModifyManagedPrefixListCommand).rejects(Object.assign(new Error(code), { name: code }));
    const clock = fakeClock();
    const d = driver(clock);
    const plan = d.plan(desiredOf(['11.0.0.0/24']), await d.observe());
    await expect(d.apply(plan, clock.context)).rejects.toMatchObject({
      name: 'StateConflictError',
      awsError: code,
    });
  });

  it('lets other errors through unchanged', async () => {
    describeAs();
    ec2.on(GetManagedPrefixListEntriesCommand).resolves({ Entries: [] });
    ec2
      .on(ModifyManagedPrefixListCommand)
      .rejects(Object.assign(new Error('x'), { name: 'PrefixListMaxEntriesExceeded' }));
    const clock = fakeClock();
    const d = driver(clock);
    const plan = d.plan(desiredOf(['11.0.0.0/24']), await d.observe());
    const error = await d.apply(plan, clock.context).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(StateConflictError);
    expect(error).toMatchObject({ name: 'PrefixListMaxEntriesExceeded' });
  });
});

describe('PrefixListDriver against FakeEc2', () => {
  function setup(v4: string[], v6: string[], maxEntries = 1000, settle = 2) {
    const fake = new FakeEc2();
    const ipv4 = fake.createPrefixList({ family: 4, maxEntries, entries: v4, settleAfterDescribes: settle });
    const ipv6 = fake.createPrefixList({ family: 6, maxEntries, entries: v6, settleAfterDescribes: settle });
    const clock = fakeClock();
    const t: PrefixListsTarget = { kind: 'prefix-lists', ipv4, ipv6 };
    const d = new PrefixListDriver(
      t,
      'partners',
      { ec2: fake.client },
      { sleep: clock.context.sleep, now: clock.context.now },
    );
    const admitted = () => PrefixSet.parse([...fake.entries(ipv4), ...fake.entries(ipv6)]);
    return { fake, d, clock, ipv4, ipv6, admitted };
  }

  it('converges in ⌈changes/100⌉ modifies per list, keeping P3, P4 and P5 after every one', async () => {
    const old = [...hosts(150, 1000), '10.0.0.0/24'];
    const { fake, d, clock, admitted } = setup(old, ['2001:db8::/32']);
    const desired = desiredOf([...hosts(250), '10.0.0.0/25', '10.0.0.128/25', '2001:db8::/32']);
    const before = admitted();
    const checked: (string | undefined)[] = [];
    fake.onWrite(() => checked.push(violation(before, desired.set, admitted())));
    await d.apply(d.plan(desired, await d.observe()), clock.context);
    // 250 adds (the /24 stays: its two halves aggregate back to it), 150 removes: ⌈400/100⌉ = 4 calls.
    expect(fake.callsOf('ModifyManagedPrefixList')).toHaveLength(4);
    expect(checked).toEqual([undefined, undefined, undefined, undefined]);
    expect(admitted().equals(desired.set)).toBe(true);
    expect(d.plan(desired, await d.observe()).writes).toEqual([]);
  });

  it('grows MaxEntries within growUpTo and then fits the list', async () => {
    const fake = new FakeEc2();
    const ipv4 = fake.createPrefixList({ family: 4, maxEntries: 10, entries: [] });
    const clock = fakeClock();
    const d = new PrefixListDriver(
      { kind: 'prefix-lists', ipv4, growUpTo: 50 },
      'p',
      { ec2: fake.client },
      {
        sleep: clock.context.sleep,
        now: clock.context.now,
      },
    );
    const desired = desiredOf(hosts(30));
    await d.apply(d.plan(desired, await d.observe()), clock.context);
    expect(fake.prefixList(ipv4)).toMatchObject({ maxEntries: 30 });
    expect(fake.entries(ipv4)).toHaveLength(30);
  });

  it('raises a conflict when another writer moved the version, and the re-plan converges', async () => {
    const { fake, d, clock, admitted } = setup(['11.0.0.0/24'], []);
    const desired = desiredOf(['12.0.0.0/24']);
    const stale = d.plan(desired, await d.observe());
    fake.inject({ command: 'ModifyManagedPrefixList', fault: 'lock-conflict' });
    await expect(d.apply(stale, clock.context)).rejects.toBeInstanceOf(StateConflictError);
    await d.apply(d.plan(desired, await d.observe()), clock.context);
    expect(admitted().equals(desired.set)).toBe(true);
  });
});
