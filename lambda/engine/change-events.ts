/**
 * Puts the run's change events on the account's default EventBridge bus (lambda/core/change-event.ts builds them).
 *
 * Batches respect PutEvents' limits: at most 10 entries a call, and no call over 256 KB of entries (each entry is
 * already under it). A call that throws (access denied, throttling after the SDK's own retries, a network error)
 * fails its entries; an entry that PutEvents answers with an ErrorCode fails alone and, when the code is transient
 * (throttling, an internal error), is sent once more. Whatever fails is returned per event, never thrown: the
 * filters are already right, so an undelivered event must not fail the run, and the caller reports, logs and counts
 * it (the ChangeEventFailed metric and its alarm).
 */
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import {
  type ChangeEvent,
  changeEventSize,
  MAX_EVENT_ENTRIES_PER_CALL,
  MAX_EVENT_ENTRY_BYTES,
} from '../core/change-event';
import type { ChangeEventDelivery } from '../core/model';
import { redact } from '../core/redact';
import { reportError } from '../core/report';

/** Entry error codes worth one more try (EventBridge PutEventsResultEntry.ErrorCode). */
const TRANSIENT_CODES = new Set(['ThrottlingException', 'InternalException', 'InternalFailure']);

/** What sending needs: the client, the time to stamp on the events, and a sleep before the one retry. */
export interface SendChangeEventsDeps {
  readonly client: EventBridgeClient;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Sends the events (in order) and returns each one's delivery, in the same order. Never throws. */
export async function sendChangeEvents(
  events: readonly ChangeEvent[],
  deps: SendChangeEventsDeps,
): Promise<ChangeEventDelivery[]> {
  const time = new Date(deps.now());
  // Redacted like the log line (P13): a source URL's query string or a key id in an error message stays out.
  const entries = events.map(
    (e): PutEventsRequestEntry => ({
      Source: e.source,
      DetailType: e.detailType,
      Detail: JSON.stringify(redact(e.detail)),
      Time: time,
      EventBusName: 'default',
    }),
  );
  const results: Array<{ delivered: boolean; error?: { name: string; message: string } }> = events.map(() => ({
    delivered: false,
  }));
  let pending = entries.map((_, i) => i);
  for (let attempt = 1; attempt <= 2 && pending.length > 0; attempt++) {
    if (attempt > 1) await deps.sleep(500);
    const retry: number[] = [];
    for (const batch of batches(pending, (i) => changeEventSize(events[i]!))) {
      try {
        const out = await deps.client.send(new PutEventsCommand({ Entries: batch.map((i) => entries[i]!) }));
        batch.forEach((i, k) => {
          const r = out.Entries?.[k];
          if (r?.EventId && !r.ErrorCode) {
            results[i] = { delivered: true };
            return;
          }
          const name = r?.ErrorCode ?? 'NoEventId';
          results[i] = {
            delivered: false,
            error: { name, message: r?.ErrorMessage ?? 'PutEvents returned no event id for this entry' },
          };
          if (TRANSIENT_CODES.has(name)) retry.push(i);
        });
      } catch (e) {
        const { name, message } = reportError(e);
        for (const i of batch) results[i] = { delivered: false, error: { name, message } };
      }
    }
    pending = retry;
  }
  return events.map((e, i) => ({ detailType: e.detailType, ...results[i]! }));
}

/** Groups entry indexes into calls of at most 10 entries and 256 KB. */
function batches(indexes: readonly number[], size: (i: number) => number): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const i of indexes) {
    const s = size(i);
    if (current.length === MAX_EVENT_ENTRIES_PER_CALL || (current.length > 0 && bytes + s >= MAX_EVENT_ENTRY_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += s;
  }
  if (current.length > 0) out.push(current);
  return out;
}
