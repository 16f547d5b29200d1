/**
 * Small helpers shared by `aggregate` and `validate`: the `--format` syntax, the policy flags, reading a FILE
 * argument, and printing `ParseError`/`PolicyError` as `FILE:LINE: message` lines.
 */
import { readFileSync } from 'node:fs';
import { styleText } from 'node:util';
import type { Policy } from '../../lambda/config';
import { zodIssues } from '../../lambda/config/zod-issues';
import type { AllowlistInput, BuiltAllowlist } from '../../lambda/core/allowlist';
import { buildAllowlist } from '../../lambda/core/allowlist';
import { AllowlistSyncError, formatProblem, ParseError, PolicyError } from '../../lambda/core/errors';
import { type Format, FormatSchema } from '../../lambda/core/format';
import { plural } from '../../lambda/core/plural';
import { DEFAULT_POLICY } from '../../lambda/core/policy';
import { type AwsSettings, nodeVersionNotice, requireRegion } from './aws-settings';
import { toCliErrorObject, UsageError } from './cli-error';
import type { Io } from './io';

export { UsageError };

/** The `util.parseArgs` options of the policy flags, shared by both commands. */
export const POLICY_OPTIONS = {
  format: { type: 'string', short: 'f' },
  'allow-private': { type: 'boolean' },
  'allow-special': { type: 'boolean' },
  'min-prefix-length4': { type: 'string' },
  'min-prefix-length6': { type: 'string' },
  'mask-host-bits': { type: 'boolean' },
  'allow-empty': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Help text of the shared flags. */
export const POLICY_HELP = `  -f, --format F              text (default) | allowlist | aws-ip-ranges[:service=EC2,region=us-east-1]
                              | google[:scope=us-east1] | github-meta:keys=hooks,actions
      --allow-private         admit RFC 1918 and fc00::/7 ranges (policy allowPrivate)
      --min-prefix-length4 N  shortest IPv4 prefix admitted, 1–32 (default 16)
      --min-prefix-length6 N  shortest IPv6 prefix admitted, 1–128 (default 32)
      --mask-host-bits        clear host bits instead of refusing (policy maskHostBits)
      --allow-empty           accept an empty list (policy allowEmpty)
      --allow-special         admit special-purpose ranges (loopback, bogons, …): CLI only, a sync never does;
                              /0 stays refused
  -h, --help                  this help`;

const FORMAT_KEYS: Record<string, Record<string, string>> = {
  text: {},
  allowlist: {},
  'aws-ip-ranges': { service: 'services', services: 'services', region: 'regions', regions: 'regions' },
  google: { scope: 'scopes', scopes: 'scopes' },
  'github-meta': { key: 'keys', keys: 'keys' },
};

/**
 * Parses `--format`: `NAME[:key=v1,v2,key2=v3]`. A comma-separated item with `=` starts a new key, one without adds
 * a value to the current key, so `aws-ip-ranges:service=EC2,S3,region=us-east-1` and `github-meta:keys=hooks,actions`
 * both read naturally.
 */
export function parseFormatSpec(spec: string): Format {
  const colon = spec.indexOf(':');
  const type = colon < 0 ? spec : spec.slice(0, colon);
  const keys = FORMAT_KEYS[type];
  if (!keys) {
    throw new UsageError(
      `--format "${spec}": unknown format "${type}"; expected one of ${Object.keys(FORMAT_KEYS).join(', ')}`,
    );
  }
  const format: Record<string, unknown> = { type };
  if (colon >= 0) {
    let current: string[] | undefined;
    for (const item of spec.slice(colon + 1).split(',')) {
      const eq = item.indexOf('=');
      if (eq >= 0) {
        const name = item.slice(0, eq);
        const field = keys[name];
        if (!field) {
          const allowed = Object.keys(keys);
          throw new UsageError(
            `--format "${spec}": "${name}" is not an option of ${type}; ${allowed.length ? `it takes ${allowed.join(', ')}` : 'it takes none'}`,
          );
        }
        current = (format[field] as string[] | undefined) ?? [];
        format[field] = current;
        if (item.slice(eq + 1) !== '') current.push(item.slice(eq + 1));
      } else if (current && item !== '') {
        current.push(item);
      } else {
        throw new UsageError(
          `--format "${spec}": "${item}" has no key; write KEY=VALUE, e.g. ${type}:${Object.keys(keys)[0] ?? 'key'}=…`,
        );
      }
    }
  }
  const result = FormatSchema.safeParse(format);
  if (!result.success) throw new UsageError(`--format "${spec}": ${zodIssues(result.error).join('; ')}`);
  return result.data;
}

/** The policy the flags ask for: the sync's defaults, relaxed only where a flag says so. */
export function policyFromFlags(values: Record<string, string | boolean | undefined>): Policy {
  const floor = (flag: string, max: number, fallback: number): number => {
    const text = values[flag];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (typeof text !== 'string' || !/^\d+$/.test(text) || n < 1 || n > max) {
      throw new UsageError(`--${flag} "${String(text)}": expected a whole number 1–${max}`);
    }
    return n;
  };
  const defaults = DEFAULT_POLICY.minPrefixLength;
  return {
    ...DEFAULT_POLICY,
    minPrefixLength: {
      ipv4: floor('min-prefix-length4', 32, defaults.ipv4),
      ipv6: floor('min-prefix-length6', 128, defaults.ipv6),
    },
    allowPrivate: values['allow-private'] === true,
    maskHostBits: values['mask-host-bits'] === true,
    allowEmpty: values['allow-empty'] === true,
  };
}

/**
 * Reads a FILE argument: `-` is standard input, anything else a local file (read whole into a Buffer, the fastest
 * way for large lists), or a remote location (`s3://bucket/key`, `https://…`, `ssm:/name`) read with the sync's own
 * transport, bounds and checks (`http://` is refused), with `--region`/`--profile` for S3 and SSM.
 */
export async function readInput(
  arg: string,
  io: Io,
  aws: AwsSettings = {},
): Promise<{ label: string; bytes: Uint8Array }> {
  if (arg === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return { label: '<stdin>', bytes: Buffer.concat(chunks) };
  }
  if (/^(s3:\/\/|https?:\/\/|ssm:)/i.test(arg)) {
    // Loaded only for remote locations: reading local files never pays for the AWS SDK.
    const { readLocation, locationClient } = await import('../../lambda/sources/read-location.js');
    // S3 and SSM go to AWS: the one-line Node.js notice before the SDK builds a client, then the Region check.
    if (/^(s3:|ssm:)/i.test(arg)) nodeVersionNotice(io);
    const remote = locationClient(arg, aws);
    if (remote) {
      await requireRegion(remote.client, aws, io.env);
      const { label, bytes } = await readLocation(arg, remote.deps);
      return { label, bytes };
    }
    const { label, bytes } = await readLocation(arg);
    return { label, bytes };
  }
  return { label: arg, bytes: readFileSync(arg) };
}

/** Reads every FILE and builds the allowlist exactly as a sync would (plus the explicit CLI relaxations). */
export async function buildFromArgs(
  files: readonly string[],
  values: Record<string, string | boolean | undefined>,
  io: Io,
  aws: AwsSettings = {},
): Promise<BuiltAllowlist> {
  if (files.length === 0) throw new UsageError('no FILE given; use "-" for standard input');
  const format = parseFormatSpec(typeof values.format === 'string' ? values.format : 'text');
  const policy = policyFromFlags(values);
  const inputs: AllowlistInput[] = [];
  for (const file of files) {
    let input: { label: string; bytes: Uint8Array };
    try {
      input = await readInput(file, io, aws);
    } catch (error) {
      // A missing Region is not about this file: say it as it is.
      if ((error as Error).name === 'MissingRegionError') throw error;
      throw new AllowlistSyncError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
    }
    inputs.push({ ...input, format });
  }
  return buildAllowlist(inputs, policy, new Date(io.now?.() ?? Date.now()), {
    relax: { allowSpecialPurpose: values['allow-special'] === true },
  });
}

/**
 * Writes an error to stderr: one `FILE:LINE: message` line per problem; with `json`, also the JSON error object on
 * stdout (cli-error.ts). Returns exit code 1.
 */
export function reportError(command: string, error: unknown, io: Io, json = false): number {
  const colour = io.stderr.isTTY === true && !io.env.NO_COLOR;
  const red = (s: string) => (colour ? styleText('red', s) : s);
  const lines: string[] = [];
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) error = new UsageError((error as Error).message);
  if (error instanceof ParseError || error instanceof PolicyError) {
    const problems = error instanceof ParseError ? error.problems : error.violations;
    for (const p of problems) lines.push(formatProblem(p));
    const kind =
      error instanceof ParseError
        ? plural(problems.length, 'malformed entry', 'malformed entries')
        : plural(problems.length, 'policy violation');
    const more = error.truncated ? ' (and more, not listed)' : '';
    lines.push(red(`${command}: refused: ${kind}${more}; nothing was printed`));
  } else if (error instanceof UsageError) {
    lines.push(red(`${command}: ${error.message}`), `Run 'allowlist-sync ${command} --help' for the options.`);
  } else if (error instanceof Error) {
    lines.push(red(`${command}: ${error.message}`));
  } else {
    lines.push(red(`${command}: ${String(error)}`));
  }
  io.stderr.write(`${lines.join('\n')}\n`);
  if (json) io.stdout.write(`${JSON.stringify(toCliErrorObject(command, error), null, 2)}\n`);
  return 1;
}
