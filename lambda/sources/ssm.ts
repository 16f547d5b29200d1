/**
 * SSM Parameter Store transport: GetParameter with decryption, so String, StringList and SecureString all read as
 * text. A StringList is comma-separated; it becomes one entry a line so the text format reads it. SSM has no
 * conditional read, so an unchanged parameter is recognised later by its hash (and its Version is provenance).
 */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { budgetExceeded } from './body';
import { SourceError } from './errors';
import type { TransportResult } from './transport';

/** How to read one parameter. */
export interface SsmFetchOptions {
  readonly maxBytes: number;
  readonly signal: AbortSignal;
}

/** Reads a parameter as bytes; throws {@link SourceError} for every failure. */
export async function fetchSsm(client: SSMClient, name: string, options: SsmFetchOptions): Promise<TransportResult> {
  const label = `ssm:${name}`;
  let parameter: { Type?: string; Value?: string; Version?: number; LastModifiedDate?: Date } | undefined;
  try {
    const output = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }), {
      abortSignal: options.signal,
    });
    parameter = output.Parameter;
  } catch (error) {
    if (options.signal.aborted) throw budgetExceeded(label, options.signal);
    const e = error as { name?: string; message?: string };
    const detail = `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`;
    if (e?.name === 'ParameterNotFound' || e?.name === 'ParameterVersionNotFound') {
      throw new SourceError(label, 'not-found', detail, 'check the parameter name (and its Region)', { cause: error });
    }
    if (e?.name === 'AccessDeniedException' || /KMS/.test(e?.name ?? '')) {
      throw new SourceError(
        label,
        'access-denied',
        detail,
        "check the function's role may ssm:GetParameter (and kms:Decrypt for a SecureString)",
        { cause: error },
      );
    }
    throw new SourceError(label, 'unreachable', detail, 'check SSM is reachable from the function; retry later', {
      cause: error,
    });
  }
  const value = parameter?.Value ?? '';
  const text = parameter?.Type === 'StringList' ? value.split(',').join('\n') : value;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.byteLength > options.maxBytes) {
    throw new SourceError(
      label,
      'too-large',
      `${bytes.byteLength} bytes, over the ${options.maxBytes}-byte cap`,
      'shrink the parameter',
    );
  }
  return {
    notModified: false,
    bytes,
    ...(parameter?.Version !== undefined ? { versionId: String(parameter.Version) } : {}),
    ...(parameter?.LastModifiedDate instanceof Date ? { lastModified: parameter.LastModifiedDate.toUTCString() } : {}),
  };
}
