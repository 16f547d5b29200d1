/**
 * FakeWafv2: a stateful fake of WAFv2 IP sets behind a real `WAFV2Client`, stubbed per instance with
 * aws-sdk-client-mock. Pass `fake.client` to the code under test.
 *
 * Sources: WAFv2 API reference for GetIPSet, UpdateIPSet ("completely replaces the mutable specifications"; the
 * description is one of them, so omitting it clears it), ListIPSets, the IPSet data type (CIDR notation, all ranges
 * except /0, one IPAddressVersion per set) and the WAF quotas page (10,000 addresses per set; one Create/Put/Update
 * call per second per account and Region); docs/aws-behaviour.md §20–24. Host bits are rejected, not masked
 * (aws/aws-cdk #20003). Going over the call rate surfaces as `ThrottlingException: Rate exceeded` (observed on WAFv2 in
 * aws-solutions/aws-waf-security-automations issue #152), not as `WAFLimitsExceededException`, which is the resource
 * limit error; the SDK retries the former and not the latter.
 */
import {
  GetIPSetCommand,
  ListIPSetsCommand,
  UpdateIPSetCommand,
  WAFInternalErrorException,
  WAFInvalidParameterException,
  WAFLimitsExceededException,
  WAFNonexistentItemException,
  WAFOptimisticLockException,
  WAFV2Client,
  WAFV2ServiceException,
} from '@aws-sdk/client-wafv2';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { parseCidr, type Range, rangesOfCidrs } from './cidr';
import { FakeService, type FakeServiceOptions } from './faults';

type Input = Record<string, unknown>;

/** An IP set as stored. Addresses keep the text that was sent (WAF compares them by value; so must callers). */
interface StoredIpSet {
  id: string;
  name: string;
  scope: 'REGIONAL' | 'CLOUDFRONT';
  arn: string;
  family: 'IPV4' | 'IPV6';
  addresses: string[];
  description?: string;
  lockToken: string;
}

/** The whole WAF fake state (plain data). */
export interface WafState {
  counter: number;
  accountId: string;
  region: string;
  sets: Record<string, StoredIpSet>;
}

/** Options of FakeWafv2. */
export interface FakeWafv2Options extends FakeServiceOptions {
  /** @default 'eu-west-1'; scope CLOUDFRONT needs 'us-east-1' (docs/aws-behaviour.md §24). */
  region?: string;
  /** @default '123456789012' */
  accountId?: string;
  /** The clock for the one-write-per-second rule, in milliseconds. @default Date.now */
  now?: () => number;
  /** Enforce one Create/Put/Update per second per account and Region. @default true */
  enforceWriteRate?: boolean;
}

/** What `createIpSet` returns. */
export interface IpSetRef {
  Id: string;
  Name: string;
  ARN: string;
}

const META = { httpStatusCode: 400, requestId: 'fake-request', attempts: 1, totalRetryDelay: 0 };
/** IPSet and summary descriptions (API reference, IPSet.Description). */
const DESCRIPTION = /^[\w+=:#@/\-,.][\w+=:#@/\-,.\s]+[\w+=:#@/\-,.]$/;
const NAME = /^[\w-]{1,128}$/;
const MAX_ADDRESSES = 10_000;

function invalid(parameter: string, reason: string): WAFInvalidParameterException {
  return new WAFInvalidParameterException({
    $metadata: META,
    message: `Error reason: ${reason}, field: ${parameter}`,
    Parameter: parameter,
    Reason: reason,
  });
}

/** A read-only view of the WAF state. */
export class WafView {
  constructor(private readonly state: WafState) {}

  /** The addresses of a set, as stored. */
  addresses(id: string): string[] {
    return [...this.set(id).addresses];
  }

  /** The addresses of a set as sorted merged address intervals. */
  addressRanges(id: string): Range[] {
    const set = this.set(id);
    return rangesOfCidrs(set.addresses, set.family === 'IPV4' ? 4 : 6);
  }

  /** Name, description, family and current lock token of a set. */
  ipSet(id: string): { name: string; description?: string; family: 'IPV4' | 'IPV6'; lockToken: string } {
    const { name, description, family, lockToken } = this.set(id);
    return { name, family, lockToken, ...(description === undefined ? {} : { description }) };
  }

  private set(id: string): StoredIpSet {
    const set = this.state.sets[id];
    if (set === undefined) throw new Error(`no IP set ${id} in the fake`);
    return set;
  }
}

function token(state: WafState): string {
  state.counter += 1;
  const hex = state.counter.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

function requireSet(state: WafState, input: Input): StoredIpSet {
  for (const field of ['Name', 'Scope', 'Id'] as const) {
    if (typeof input[field] !== 'string' || input[field] === '') throw invalid(field, `${field} is required`);
  }
  const set = state.sets[input.Id as string];
  if (set === undefined || set.name !== input.Name || set.scope !== input.Scope) {
    throw new WAFNonexistentItemException({
      $metadata: META,
      message: "AWS WAF couldn't perform the operation because your resource doesn't exist.",
    });
  }
  return set;
}

/** Validates a full address list for a set: CIDR notation, the set's family, no /0, no host bits, no repeats. */
function checkAddresses(family: 'IPV4' | 'IPV6', addresses: unknown): string[] {
  if (!Array.isArray(addresses)) throw invalid('ADDRESSES', 'Addresses is required');
  const seen = new Set<string>();
  for (const text of addresses) {
    const parsed = typeof text === 'string' ? parseCidr(text) : undefined;
    if (parsed === undefined) throw invalid('IP_ADDRESS', `"${String(text)}" is not in CIDR notation`);
    if ((parsed.family === 4 ? 'IPV4' : 'IPV6') !== family) {
      throw invalid('IP_ADDRESS_VERSION', `"${text}" does not match the set's IPAddressVersion ${family}`);
    }
    if (parsed.length === 0) throw invalid('IP_ADDRESS', `"${text}": /0 is not supported`);
    if (parsed.hostBitsSet) throw invalid('IP_ADDRESS', `"${text}" has host bits set`);
    const key = `${parsed.network}/${parsed.length}`;
    // Unverified against AWS: a repeated address is rejected rather than silently merged.
    if (seen.has(key)) throw invalid('IP_ADDRESS', `"${text}" appears more than once`);
    seen.add(key);
  }
  if (addresses.length > MAX_ADDRESSES) {
    throw new WAFLimitsExceededException({
      $metadata: META,
      message: `An IP set holds at most ${MAX_ADDRESSES} addresses; got ${addresses.length}.`,
      SourceType: 'IPSet',
    });
  }
  return [...(addresses as string[])];
}

function checkDescription(description: unknown): string | undefined {
  if (description === undefined) return undefined;
  if (typeof description !== 'string' || description.length > 256 || !DESCRIPTION.test(description)) {
    throw invalid('DESCRIPTION', `"${String(description)}" is not a valid description`);
  }
  return description;
}

/** A stateful fake of WAFv2 IP sets. */
export class FakeWafv2 extends FakeService<WafState, WafView> {
  /** A real WAFV2Client whose `send` is served by this fake. */
  readonly client: WAFV2Client;
  /** The aws-sdk-client-mock stub. */
  readonly stub: AwsClientStub<WAFV2Client>;
  private readonly now: () => number;
  private readonly enforceWriteRate: boolean;
  private lastWriteAt: number | undefined;
  /** Time the emulated SDK retries spent waiting (backoff, timeouts), added to `now()`; see `onRetry`. */
  private retryDelay = 0;

  constructor(options: FakeWafv2Options = {}) {
    const region = options.region ?? 'eu-west-1';
    super('wafv2', { counter: 0, accountId: options.accountId ?? '123456789012', region, sets: {} }, options);
    this.now = options.now ?? Date.now;
    this.enforceWriteRate = options.enforceWriteRate ?? true;
    this.client = new WAFV2Client({
      region,
      credentials: { accessKeyId: 'FAKE', secretAccessKey: 'FAKE' },
      maxAttempts: options.maxAttempts ?? 3,
    });
    const stub = mockClient(this.client);
    this.stub = stub;
    stub.onAnyCommand().callsFake(() => {
      throw new Error('UnsupportedByFake: this WAFv2 command is not modelled by FakeWafv2');
    });
    stub
      .on(GetIPSetCommand)
      .callsFake((input: Input) => this.send('GetIPSet', input, { write: false, run: (s, i) => this.get(s, i) }));
    stub
      .on(ListIPSetsCommand)
      .callsFake((input: Input) => this.send('ListIPSets', input, { write: false, run: (s, i) => this.list(s, i) }));
    stub.on(UpdateIPSetCommand).callsFake((input: Input) =>
      this.send('UpdateIPSet', input, {
        write: true,
        run: (s, i) => this.update(s, i),
        // Someone else updates the set just before this call: same content, new lock token.
        conflict: (s, i) => {
          const set = s.sets[String(i.Id)];
          if (set !== undefined) set.lockToken = token(s);
        },
      }),
    );
  }

  /**
   * The real SDK waits before a retry (jittered exponential backoff from 100 ms, 500 ms for throttling) and a timed-out
   * request has already waited for its timeout. The fake does not sleep; it advances its own clock by the expected
   * backoff (half the jitter ceiling) and, after a timeout, by one second, so the write-rate rule sees plausible gaps.
   */
  protected override onRetry(error: Error, attempt: number): void {
    const base = error.name === 'ThrottlingException' ? 500 : 100;
    this.retryDelay += (base * 2 ** attempt) / 2 + (error.name === 'TimeoutError' ? 1000 : 0);
  }

  protected view(state: WafState): WafView {
    return new WafView(state);
  }

  protected throttleError(): Error {
    return new WAFV2ServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: META,
      message: 'Rate exceeded',
    });
  }

  protected serverError(): Error {
    return new WAFInternalErrorException({
      $metadata: { ...META, httpStatusCode: 500 },
      message: 'Your request is valid, but AWS WAF couldn’t perform the operation because of a system problem.',
    });
  }

  /** Creates an IP set without recording a call (CloudFormation would). */
  createIpSet(options: {
    scope: 'REGIONAL' | 'CLOUDFRONT';
    name: string;
    family: 'IPV4' | 'IPV6';
    addresses?: string[];
    description?: string;
  }): IpSetRef {
    if (options.scope === 'CLOUDFRONT' && this.state.region !== 'us-east-1') {
      throw new Error('createIpSet: scope CLOUDFRONT exists only in us-east-1');
    }
    if (!NAME.test(options.name)) throw new Error(`createIpSet: invalid name "${options.name}"`);
    if (Object.values(this.state.sets).some((s) => s.name === options.name && s.scope === options.scope)) {
      throw new Error(`createIpSet: a ${options.scope} IP set named ${options.name} exists`);
    }
    const addresses = checkAddresses(options.family, options.addresses ?? []);
    const description = checkDescription(options.description);
    const id = token(this.state);
    const { accountId, region } = this.state;
    const arn = `arn:aws:wafv2:${region}:${accountId}:${options.scope === 'REGIONAL' ? 'regional' : 'global'}/ipset/${options.name}/${id}`;
    this.state.sets[id] = {
      id,
      name: options.name,
      scope: options.scope,
      arn,
      family: options.family,
      addresses,
      ...(description === undefined ? {} : { description }),
      lockToken: token(this.state),
    };
    return { Id: id, Name: options.name, ARN: arn };
  }

  /** The addresses of a set, as stored. */
  addresses(id: string): string[] {
    return new WafView(this.state).addresses(id);
  }

  /** The addresses of a set as sorted merged address intervals. */
  addressRanges(id: string): Range[] {
    return new WafView(this.state).addressRanges(id);
  }

  /** Name, description, family and lock token of a set. */
  ipSet(id: string): ReturnType<WafView['ipSet']> {
    return new WafView(this.state).ipSet(id);
  }

  private checkScope(input: Input): void {
    if (input.Scope !== 'REGIONAL' && input.Scope !== 'CLOUDFRONT') throw invalid('SCOPE_VALUE', 'Scope is invalid');
    if (input.Scope === 'CLOUDFRONT' && this.state.region !== 'us-east-1') {
      throw invalid('SCOPE_VALUE', 'Scope CLOUDFRONT is valid only in us-east-1');
    }
  }

  private get(state: WafState, input: Input): unknown {
    this.checkScope(input);
    const set = requireSet(state, input);
    return {
      IPSet: {
        Name: set.name,
        Id: set.id,
        ARN: set.arn,
        ...(set.description === undefined ? {} : { Description: set.description }),
        IPAddressVersion: set.family,
        Addresses: [...set.addresses],
      },
      LockToken: set.lockToken,
    };
  }

  private list(state: WafState, input: Input): unknown {
    this.checkScope(input);
    const limit = input.Limit ?? 100;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw invalid('LIMIT', 'Limit must be 1-100');
    }
    const sets = Object.values(state.sets).filter((s) => s.scope === input.Scope);
    let offset = 0;
    if (input.NextMarker !== undefined) {
      const match = /^marker-(\d+)$/.exec(String(input.NextMarker));
      if (match === null) throw invalid('NEXT_MARKER', 'NextMarker is invalid');
      offset = Number(match[1]);
    }
    const page = sets.slice(offset, offset + limit);
    return {
      IPSets: page.map((s) => ({
        Name: s.name,
        Id: s.id,
        ...(s.description === undefined ? {} : { Description: s.description }),
        LockToken: s.lockToken,
        ARN: s.arn,
      })),
      ...(offset + limit < sets.length ? { NextMarker: `marker-${offset + limit}` } : {}),
    };
  }

  private update(state: WafState, input: Input): unknown {
    this.checkScope(input);
    // The rate rule counts every write that reaches the service, whether or not it then fails validation.
    const now = this.now() + this.retryDelay;
    if (this.enforceWriteRate && this.lastWriteAt !== undefined && now - this.lastWriteAt < 1000) {
      throw this.throttleError();
    }
    this.lastWriteAt = now;
    if (typeof input.LockToken !== 'string' || input.LockToken === '')
      throw invalid('LOCK_TOKEN', 'LockToken is required');
    const description = checkDescription(input.Description);
    const set = requireSet(state, input);
    const addresses = checkAddresses(set.family, input.Addresses);
    if (input.LockToken !== set.lockToken) {
      throw new WAFOptimisticLockException({
        $metadata: META,
        message:
          'AWS WAF couldn’t save your changes because someone changed the resource after you started to edit it.',
      });
    }
    set.addresses = addresses;
    // UpdateIPSet replaces every mutable field: no Description in the request means no description afterwards.
    if (description === undefined) delete set.description;
    else set.description = description;
    set.lockToken = token(state);
    return { NextLockToken: set.lockToken };
  }
}
