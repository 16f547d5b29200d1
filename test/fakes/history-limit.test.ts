import { GetManagedPrefixListEntriesCommand, ModifyManagedPrefixListCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { FakeEc2 } from './index';

/** Adds one entry to version `version` of a list, then reads the entries with a stale-read fault. */
async function staleReadAfterOneWrite(ec2: FakeEc2): Promise<string[]> {
  const id = ec2.createPrefixList({ family: 4, maxEntries: 5 });
  await ec2.client.send(
    new ModifyManagedPrefixListCommand({ PrefixListId: id, CurrentVersion: 1, AddEntries: [{ Cidr: '11.0.0.0/24' }] }),
  );
  ec2.inject({ command: 'GetManagedPrefixListEntries', fault: 'stale-read' });
  const out = await ec2.client.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: id }));
  return (out.Entries ?? []).map((e) => e.Cidr ?? '');
}

describe('the fakes keep past states only for stale reads', () => {
  it('serves the state before the last write by default', async () => {
    expect(await staleReadAfterOneWrite(new FakeEc2())).toEqual([]);
  });

  it('refuses a stale-read fault when built to keep no history, rather than serve the current state as stale', async () => {
    await expect(staleReadAfterOneWrite(new FakeEc2({ historyLimit: 0 }))).rejects.toThrow(/historyLimit: 0/);
  });

  it('still enforces AWS behaviour without history (a stale version is refused)', async () => {
    const ec2 = new FakeEc2({ historyLimit: 0 });
    const id = ec2.createPrefixList({ family: 4, maxEntries: 5 });
    const add = (cidr: string) =>
      ec2.client.send(
        new ModifyManagedPrefixListCommand({ PrefixListId: id, CurrentVersion: 1, AddEntries: [{ Cidr: cidr }] }),
      );
    await add('11.0.0.0/24');
    await expect(add('11.0.1.0/24')).rejects.toMatchObject({ name: 'PrefixListVersionMismatch' });
    expect(ec2.entries(id)).toEqual(['11.0.0.0/24']);
  });
});
