/**
 * Where the last applied serial of a signed allowlist lives, so a replayed or rolled-back document is refused (P7).
 *
 * Why an SSM parameter per allowlist (`/allowlist-sync/<name>/serial`) and not a tag on a target: an allowlist has
 * several targets of different kinds (security groups, IP sets, prefix lists), and a tag on one of them would be
 * one more write per target, split across services, with no single answer when they disagree after a partial run.
 * One parameter is one read before the run and one write after it, readable by an operator (`aws ssm
 * get-parameter`), and covered by the same least-privilege role (ssm:GetParameter/PutParameter on
 * `/allowlist-sync/*`). It is written only AFTER every target of the allowlist applied (the engine calls `put`), so a
 * failed run never advances it; and `put` never lowers it.
 */
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { SourceError } from './errors';

/** The last applied serial per allowlist. */
export interface SerialStore {
  /** The last applied serial, or undefined when none was ever recorded. */
  get(allowlist: string): Promise<number | undefined>;
  /** Records `serial` as applied (never lowers the stored value). */
  put(allowlist: string, serial: number): Promise<void>;
}

/** The SSM parameter name of an allowlist's serial. */
export function serialParameterName(allowlist: string, prefix = '/allowlist-sync'): string {
  return `${prefix}/${allowlist}/serial`;
}

/** A serial store for tests and the CLI: a map in memory. */
export class MemorySerialStore implements SerialStore {
  readonly values = new Map<string, number>();
  async get(allowlist: string): Promise<number | undefined> {
    return this.values.get(allowlist);
  }
  async put(allowlist: string, serial: number): Promise<void> {
    this.values.set(allowlist, Math.max(serial, this.values.get(allowlist) ?? serial));
  }
}

/** The production serial store: one String parameter per allowlist. */
export class SsmSerialStore implements SerialStore {
  constructor(
    private readonly client: SSMClient,
    private readonly prefix = '/allowlist-sync',
  ) {}

  async get(allowlist: string): Promise<number | undefined> {
    const name = serialParameterName(allowlist, this.prefix);
    let value: string | undefined;
    try {
      value = (await this.client.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
    } catch (error) {
      if ((error as { name?: string }).name === 'ParameterNotFound') return undefined;
      // Fail static: without the last serial a rollback cannot be told from an update.
      throw new SourceError(
        `ssm:${name}`,
        'serial-store',
        `cannot read the last applied serial: ${(error as Error).message}`,
        `let the function's role ssm:GetParameter on ${name}`,
        { cause: error },
      );
    }
    const serial = Number(value);
    if (value === undefined || !/^\d+$/.test(value) || !Number.isSafeInteger(serial)) {
      throw new SourceError(
        `ssm:${name}`,
        'serial-store',
        `the stored serial "${value}" is not an integer`,
        `put the last applied serial into ${name}, or delete the parameter to trust the next signed list`,
      );
    }
    return serial;
  }

  async put(allowlist: string, serial: number): Promise<void> {
    const current = await this.get(allowlist);
    if (current !== undefined && current >= serial) return;
    await this.client.send(
      new PutParameterCommand({
        Name: serialParameterName(allowlist, this.prefix),
        Value: String(serial),
        Type: 'String',
        Overwrite: true,
        Description: `last applied serial of allowlist ${allowlist} (allowlist-sync)`,
      }),
    );
  }
}
