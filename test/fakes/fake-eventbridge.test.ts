/**
 * FakeEventBridge enforces PutEvents' documented limits, so the sender is tested against what AWS refuses: 1-10
 * entries a call, 256 KB of entries a call, a JSON-object Detail, no `aws.` source, existing buses only, and the
 * role's grant. The sender (lambda/engine/change-events.ts) batches to fit.
 */
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../lambda/core/change-event';
import { sendChangeEvents } from '../../lambda/engine/change-events';
import { FakeEventBridge } from './fake-eventbridge';

const entry = (over: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  Source: 'allowlist-sync',
  DetailType: 'Allowlist Applied',
  Detail: '{"allowlist":"a"}',
  ...over,
});

describe('FakeEventBridge', () => {
  it('refuses a call of 0 or 11 entries as a whole', async () => {
    const fake = new FakeEventBridge();
    await expect(fake.client.send(new PutEventsCommand({ Entries: [] }))).rejects.toThrow(/length/);
    const eleven = Array.from({ length: 11 }, () => entry());
    await expect(fake.client.send(new PutEventsCommand({ Entries: eleven }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    expect(fake.events).toHaveLength(0);
  });

  it('refuses a call whose entries add up to 256 KB or more', async () => {
    const fake = new FakeEventBridge();
    const big = entry({ Detail: JSON.stringify({ x: 'a'.repeat(256 * 1024) }) });
    await expect(fake.client.send(new PutEventsCommand({ Entries: [big] }))).rejects.toThrow(/over the limit/);
  });

  it('answers bad entries one by one and accepts the rest', async () => {
    const fake = new FakeEventBridge().createBus('audit');
    const out = await fake.client.send(
      new PutEventsCommand({
        Entries: [
          entry(),
          entry({ Detail: '[1]' }),
          entry({ Source: 'aws.ec2' }),
          entry({ EventBusName: 'nope' }),
          entry({ EventBusName: 'arn:aws:events:eu-west-1:123456789012:event-bus/audit' }),
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(3);
    expect(out.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'ok',
      'MalformedDetail',
      'NotAuthorizedForSourceException',
      'ResourceNotFoundException',
      'ok',
    ]);
    expect(fake.events.map((e) => e.bus)).toEqual(['default', 'audit']);
  });

  it('denies a bus the role was not granted', async () => {
    const fake = new FakeEventBridge({ grantedBuses: ['default'] }).createBus('audit');
    await expect(
      fake.client.send(new PutEventsCommand({ Entries: [entry({ EventBusName: 'audit' })] })),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('sendChangeEvents against the fake', () => {
  const event = (i: number, bytes = 100): ChangeEvent =>
    ({
      source: 'allowlist-sync',
      detailType: 'Allowlist Applied',
      detail: { allowlist: `a${i}`, pad: 'p'.repeat(bytes) },
    }) as unknown as ChangeEvent;

  it('sends 23 events in calls of at most 10, and 3 large ones in calls under 256 KB', async () => {
    const fake = new FakeEventBridge({ grantedBuses: ['default'] });
    const deps = { client: fake.client, now: () => 0, sleep: async () => {} };
    const small = await sendChangeEvents(
      Array.from({ length: 23 }, (_, i) => event(i)),
      deps,
    );
    expect(small.every((d) => d.delivered)).toBe(true);
    expect(fake.calls.map((c) => (c.input.Entries as unknown[]).length)).toEqual([10, 10, 3]);
    const large = await sendChangeEvents(
      Array.from({ length: 3 }, (_, i) => event(i, 100_000)),
      deps,
    );
    expect(large.every((d) => d.delivered)).toBe(true);
    expect(fake.calls.slice(3).map((c) => (c.input.Entries as unknown[]).length)).toEqual([2, 1]);
    expect(fake.events.map((e) => e.detail.allowlist).slice(-3)).toEqual(['a0', 'a1', 'a2']);
  });

  it('redacts a URL query string and a key id in the detail, as in the log line', async () => {
    const fake = new FakeEventBridge();
    const leaky = {
      source: 'allowlist-sync',
      detailType: 'Allowlist Failed',
      detail: {
        error: { message: 'GET https://lists.example.com/p.txt?X-Amz-Signature=abc failed for AKIAABCDEFGHIJKLMNOP' },
      },
    } as unknown as ChangeEvent;
    await sendChangeEvents([leaky], { client: fake.client, now: () => 0, sleep: async () => {} });
    const text = JSON.stringify(fake.events[0]?.detail);
    expect(text).not.toContain('abc');
    expect(text).not.toContain('AKIAABCDEFGHIJKLMNOP');
    expect(text).toContain('https://lists.example.com/p.txt?[redacted]');
  });
});
