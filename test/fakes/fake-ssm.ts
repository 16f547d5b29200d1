/**
 * FakeSsm: a stateful fake of SSM Parameter Store's GetParameter, GetParametersByPath, PutParameter and DeleteParameter behind a real
 * `SSMClient`, stubbed per instance with aws-sdk-client-mock. It enforces (SSM API reference): `ParameterNotFound`
 * (on a read and on a delete of a missing name); a SecureString read without `WithDecryption` returns ciphertext, not
 * the value; `PutParameter` on an existing name without `Overwrite` is `ParameterAlreadyExists`, checked and applied
 * in one step as SSM does (the run lock relies on that create-if-absent); each put increments `Version`; values are
 * at most 4 KB (Standard) or 8 KB (Advanced tier), else `ValidationException`. Any read, or any write (put, delete),
 * of a name can be made to fail with an injected error. GetParametersByPath (SSM API reference): the path must begin
 * with "/"; `MaxResults` is 1–10 (default 10), else `ValidationException`; without `Recursive` it returns only the
 * parameters one level below the path; results come in name order, a page at a time with a `NextToken`, and a page
 * may hold fewer than `MaxResults` ("best-effort": `byPathPageSize` makes the fake return fewer); a read fault set
 * on the path fails the call.
 */
import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  PutParameterCommand,
  SSMClient,
  SSMServiceException,
} from '@aws-sdk/client-ssm';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { FAKE_CLIENT_CONFIG, recordCall } from './faults';

type ParameterType = 'String' | 'StringList' | 'SecureString';

interface Parameter {
  readonly type: ParameterType;
  readonly value: string;
  readonly version: number;
  readonly lastModified: Date;
  readonly tier: 'Standard' | 'Advanced';
}

/** One recorded call. */
export interface SsmCall {
  readonly command: 'GetParameter' | 'GetParametersByPath' | 'PutParameter' | 'DeleteParameter';
  readonly input: Record<string, unknown>;
  outcome: string;
}

/** The fake; pass `fake.client` to the code under test. */
export class FakeSsm {
  readonly client = new SSMClient(FAKE_CLIENT_CONFIG);
  readonly stub: AwsClientStub<SSMClient>;
  readonly calls: SsmCall[] = [];
  readonly parameters = new Map<string, Parameter>();
  private readonly faults = new Map<string, { name: string; status: number }>();
  private readonly writeFaults = new Map<string, { name: string; status: number }>();
  /** The most parameters one GetParametersByPath page holds, when SSM returns fewer than asked. @default MaxResults */
  byPathPageSize?: number;

  constructor(private readonly clock: () => number = () => Date.now()) {
    this.stub = mockClient(this.client);
    this.stub
      .on(GetParameterCommand)
      .callsFake((input) => recordCall(this.calls, 'GetParameter', input, () => this.get(input)));
    this.stub
      .on(GetParametersByPathCommand)
      .callsFake((input) => recordCall(this.calls, 'GetParametersByPath', input, () => this.getByPath(input)));
    this.stub
      .on(PutParameterCommand)
      .callsFake((input) => recordCall(this.calls, 'PutParameter', input, () => this.put(input)));
    this.stub
      .on(DeleteParameterCommand)
      .callsFake((input) => recordCall(this.calls, 'DeleteParameter', input, () => this.delete(input)));
  }

  /** Seeds a parameter without recording a call. */
  seed(name: string, type: ParameterType, value: string): this {
    const previous = this.parameters.get(name);
    this.parameters.set(name, {
      type,
      value,
      version: (previous?.version ?? 0) + 1,
      lastModified: new Date(this.clock()),
      tier: value.length > 4096 ? 'Advanced' : 'Standard',
    });
    return this;
  }

  /** Makes every later GetParameter of `name` fail with this error. */
  failReads(name: string, error: { name: string; status: number } | undefined): void {
    if (error) this.faults.set(name, error);
    else this.faults.delete(name);
  }

  /** Makes every later PutParameter and DeleteParameter of `name` fail with this error. */
  failWrites(name: string, error: { name: string; status: number } | undefined): void {
    if (error) this.writeFaults.set(name, error);
    else this.writeFaults.delete(name);
  }

  /** Calls of one command. */
  callsOf(command: SsmCall['command']): SsmCall[] {
    return this.calls.filter((c) => c.command === command);
  }

  private get(input: { Name?: string; WithDecryption?: boolean }): unknown {
    const name = input.Name ?? '';
    const fault = this.faults.get(name);
    if (fault) throw ssmError(fault.name, fault.status, `injected ${fault.name}`);
    const p = this.parameters.get(name);
    if (!p) throw ssmError('ParameterNotFound', 400, `Parameter ${name} not found.`);
    const value =
      p.type === 'SecureString' && !input.WithDecryption
        ? `AQICAHfake${Buffer.from(p.value).toString('base64')}`
        : p.value;
    return {
      Parameter: {
        Name: name,
        Type: p.type,
        Value: value,
        Version: p.version,
        LastModifiedDate: p.lastModified,
        ARN: `arn:aws:ssm:eu-west-1:123456789012:parameter${name.startsWith('/') ? '' : '/'}${name}`,
        DataType: 'text',
      },
      $metadata: { httpStatusCode: 200 },
    };
  }

  private getByPath(input: { Path?: string; Recursive?: boolean; MaxResults?: number; NextToken?: string }): unknown {
    const path = (input.Path ?? '').replace(/\/$/, '');
    const fault = this.faults.get(input.Path ?? '');
    if (fault) throw ssmError(fault.name, fault.status, `injected ${fault.name}`);
    if (!(input.Path ?? '').startsWith('/')) {
      throw ssmError('ValidationException', 400, 'The parameter path must begin with a forward slash (/).');
    }
    const max = input.MaxResults ?? 10;
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw ssmError('ValidationException', 400, `MaxResults ${max} must be between 1 and 10.`);
    }
    const below = [...this.parameters.keys()]
      .filter((name) => name.startsWith(`${path}/`) && (input.Recursive || !name.slice(path.length + 1).includes('/')))
      .sort();
    const start = input.NextToken ? Number(input.NextToken) : 0;
    const size = Math.min(max, this.byPathPageSize ?? max);
    const page = below.slice(start, start + size);
    const next = start + size < below.length ? String(start + size) : undefined;
    return {
      Parameters: page.map((name) => {
        const p = this.parameters.get(name)!;
        return { Name: name, Type: p.type, Value: p.value, Version: p.version, LastModifiedDate: p.lastModified };
      }),
      ...(next ? { NextToken: next } : {}),
      $metadata: { httpStatusCode: 200 },
    };
  }

  private put(input: { Name?: string; Value?: string; Type?: string; Overwrite?: boolean; Tier?: string }): unknown {
    const name = input.Name ?? '';
    const value = input.Value ?? '';
    this.writeFault(name);
    const previous = this.parameters.get(name);
    if (previous && !input.Overwrite) {
      throw ssmError(
        'ParameterAlreadyExists',
        400,
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      );
    }
    const tier = input.Tier === 'Advanced' ? 'Advanced' : 'Standard';
    if (value.length === 0 || value.length > (tier === 'Advanced' ? 8192 : 4096)) {
      throw ssmError('ValidationException', 400, `Value length ${value.length} is outside the ${tier} tier limits`);
    }
    const type = (input.Type ?? previous?.type ?? 'String') as ParameterType;
    const version = (previous?.version ?? 0) + 1;
    this.parameters.set(name, { type, value, version, lastModified: new Date(this.clock()), tier });
    return { Version: version, Tier: tier, $metadata: { httpStatusCode: 200 } };
  }

  private delete(input: { Name?: string }): unknown {
    const name = input.Name ?? '';
    this.writeFault(name);
    if (!this.parameters.delete(name)) throw ssmError('ParameterNotFound', 400, `Parameter ${name} not found.`);
    return { $metadata: { httpStatusCode: 200 } };
  }

  private writeFault(name: string): void {
    const fault = this.writeFaults.get(name);
    if (fault) throw ssmError(fault.name, fault.status, `injected ${fault.name}`);
  }
}

/** An SSM error as SDK v3 raises it. */
export function ssmError(name: string, status: number, message: string): SSMServiceException {
  return new SSMServiceException({
    name,
    message,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}
