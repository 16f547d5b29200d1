/**
 * FakeEventBridge: a stateful fake of PutEvents on an account's event buses, behind a real `EventBridgeClient`
 * stubbed per instance with aws-sdk-client-mock. It keeps every accepted event and enforces what PutEvents does
 * (EventBridge API reference, PutEvents and PutEventsRequestEntry; "Calculating PutEvents event entry size"):
 *
 * - 1 to 10 entries a call, else the whole call fails with `ValidationException`;
 * - the entries' total size (Time 14 bytes + UTF-8 bytes of Source, DetailType, Detail and each Resource) under
 *   256 KB, else the whole call fails with `ValidationException` ("Total size of the entries in the request is over
 *   the limit"), so one oversized entry fails its call;
 * - per entry, answered in the result (`FailedEntryCount`, `ErrorCode`) while the others are accepted: Source,
 *   DetailType and Detail required (`InvalidArgument`), DetailType at most 128 characters, Detail a JSON object
 *   (`MalformedDetail`), a Source starting with `aws.` (`NotAuthorizedForSourceException`), an event bus that does not
 *   exist (`ResourceNotFoundException`; only `default`, its ARN, and buses made with `createBus` exist);
 * - an IAM grant, optionally: with `grantedBuses`, a call naming another bus is `AccessDeniedException` (the role of
 *   the stack may put on the default bus only).
 *
 * Faults: `failNextCall(name)` throws that error from the next call; `failNextEntries(code, n)` answers the next n
 * entries with that ErrorCode (e.g. `ThrottlingException`, which a caller may retry).
 */
import {
  AccessDeniedException,
  EventBridgeClient,
  EventBridgeServiceException,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { FAKE_CLIENT_CONFIG, recordCall } from './faults';

/** PutEvents' largest request, summed over its entries (bytes). */
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;
/** PutEvents' most entries a call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

/** An event the fake accepted. */
export interface StoredEvent {
  readonly id: string;
  readonly bus: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  readonly time: Date | undefined;
  readonly resources: readonly string[];
}

/** One recorded PutEvents call. */
export interface EventBridgeCall {
  readonly command: 'PutEvents';
  readonly input: Record<string, unknown>;
  outcome: string;
}

/** Options of the fake. */
export interface FakeEventBridgeOptions {
  /** The account of the default bus's ARN. @default 123456789012 */
  readonly account?: string;
  /** When set, the caller's role may put events only on these bus names (IAM); others are AccessDenied. */
  readonly grantedBuses?: readonly string[];
}

/** The fake; pass `fake.client` to the code under test. */
export class FakeEventBridge {
  readonly client = new EventBridgeClient(FAKE_CLIENT_CONFIG);
  readonly stub: AwsClientStub<EventBridgeClient>;
  readonly calls: EventBridgeCall[] = [];
  /** Every accepted event, in order. */
  readonly events: StoredEvent[] = [];
  private readonly buses = new Set(['default']);
  private nextCallError: string | undefined;
  private entryFaults: { code: string; left: number } | undefined;
  private seq = 0;

  constructor(private readonly options: FakeEventBridgeOptions = {}) {
    this.stub = mockClient(this.client);
    this.stub
      .on(PutEventsCommand)
      .callsFake((input) => recordCall(this.calls, 'PutEvents', input, () => this.putEvents(input)));
  }

  /** Creates a custom event bus (for tests that check events go to the default bus only). */
  createBus(name: string): this {
    this.buses.add(name);
    return this;
  }

  /** The next PutEvents call throws this error (e.g. `AccessDeniedException`, `InternalException`). */
  failNextCall(name: string): this {
    this.nextCallError = name;
    return this;
  }

  /** The next `count` entries are answered with this ErrorCode instead of being accepted. */
  failNextEntries(code: string, count: number): this {
    this.entryFaults = { code, left: count };
    return this;
  }

  /** The accepted events of one detail type. */
  eventsOf(detailType: string): StoredEvent[] {
    return this.events.filter((e) => e.detailType === detailType);
  }

  private async putEvents(input: { Entries?: PutEventsRequestEntry[] }): Promise<unknown> {
    if (this.nextCallError) {
      const name = this.nextCallError;
      this.nextCallError = undefined;
      throw callError(name, `injected ${name}`);
    }
    const entries = input.Entries ?? [];
    if (entries.length < 1 || entries.length > PUT_EVENTS_MAX_ENTRIES) {
      throw callError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${PUT_EVENTS_MAX_ENTRIES}, and greater than or equal to 1`,
      );
    }
    const total = entries.reduce((sum, e) => sum + entrySize(e), 0);
    if (total >= PUT_EVENTS_MAX_BYTES) {
      throw callError('ValidationException', 'Total size of the entries in the request is over the limit.');
    }
    const granted = this.options.grantedBuses;
    if (granted) {
      for (const e of entries) {
        const bus = busName(e.EventBusName);
        if (!granted.includes(bus)) {
          throw new AccessDeniedException({
            message: `User is not authorized to perform: events:PutEvents on resource: arn:aws:events:eu-west-1:${this.account}:event-bus/${bus}`,
            $metadata: { httpStatusCode: 400 },
          });
        }
      }
    }
    const results: PutEventsResultEntry[] = entries.map((e) => this.accept(e));
    return {
      FailedEntryCount: results.filter((r) => r.ErrorCode).length,
      Entries: results,
      $metadata: { httpStatusCode: 200 },
    };
  }

  private get account(): string {
    return this.options.account ?? '123456789012';
  }

  private accept(e: PutEventsRequestEntry): PutEventsResultEntry {
    if (this.entryFaults && this.entryFaults.left > 0) {
      this.entryFaults.left--;
      return { ErrorCode: this.entryFaults.code, ErrorMessage: `injected ${this.entryFaults.code}` };
    }
    if (!e.Source || !e.DetailType || e.Detail === undefined) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source, DetailType and Detail are required.' };
    }
    if (e.DetailType.length > 128) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'DetailType is longer than 128 characters.' };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(e.Detail);
    } catch {
      detail = undefined;
    }
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (e.Source.startsWith('aws.')) {
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
    }
    const bus = busName(e.EventBusName);
    if (!this.buses.has(bus)) {
      return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${bus} does not exist.` };
    }
    const id = `00000000-0000-4000-8000-${(++this.seq).toString(16).padStart(12, '0')}`;
    this.events.push({
      id,
      bus,
      source: e.Source,
      detailType: e.DetailType,
      detail: detail as Record<string, unknown>,
      time: e.Time,
      resources: e.Resources ?? [],
    });
    return { EventId: id };
  }
}

/** The entry size EventBridge counts (see the module comment). */
export function entrySize(e: PutEventsRequestEntry): number {
  let size = e.Time ? 14 : 0;
  for (const text of [e.Source, e.DetailType, e.Detail, ...(e.Resources ?? [])]) {
    if (text !== undefined) size += Buffer.byteLength(text, 'utf8');
  }
  return size;
}

/** The bus an entry names: absent is `default`; an ARN names the bus after `event-bus/`. */
function busName(name: string | undefined): string {
  if (name === undefined || name === '') return 'default';
  const arn = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/(.+)$/.exec(name);
  return arn?.[1] ?? name;
}

function callError(name: string, message: string): EventBridgeServiceException {
  return new EventBridgeServiceException({
    name,
    message,
    $fault: name.startsWith('Internal') ? 'server' : 'client',
    $metadata: { httpStatusCode: name.startsWith('Internal') ? 500 : 400 },
  });
}
