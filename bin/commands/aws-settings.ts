/**
 * What every command that calls AWS shares: `--region` and `--profile`, the check that a Region is set before the
 * first call (the SDK's own answer is a bare "Region is missing", deep inside a run), and the one-line Node.js notice
 * that replaces the AWS SDK's eight-line one. The SDK resolves the rest (environment, ~/.aws/config, credentials).
 */
import { AllowlistSyncError } from '../../lambda/core/errors';
import { UsageError } from './cli-error';
import type { Io } from './io';

/** `--region` and `--profile` as given; absent means "as the SDK resolves it". */
export interface AwsSettings {
  readonly region?: string;
  readonly profile?: string;
}

/** The `util.parseArgs` options of `--region` and `--profile`. */
export const AWS_OPTIONS = {
  region: { type: 'string' },
  profile: { type: 'string' },
} as const;

/** Help lines of `--region` and `--profile`, their descriptions starting at column `width`. */
export function awsHelp(width: number): string {
  const line = (flag: string, text: string) => `  ${flag.padEnd(width - 2)}${text}`;
  return [
    line('--region REGION', "the AWS Region (default: AWS_REGION, then the profile's region in ~/.aws/config)"),
    line('--profile NAME', 'the AWS profile for credentials and Region (default: AWS_PROFILE, then "default")'),
  ].join('\n');
}

/** A Region code as AWS spells them: `eu-west-1`, `us-gov-west-1`, `cn-north-1`. */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** Reads and checks `--region`/`--profile` from parsed flags; a malformed Region is a UsageError naming it. */
export function awsSettingsFromFlags(values: { region?: unknown; profile?: unknown }): AwsSettings {
  const { region, profile } = values;
  if (typeof region === 'string' && !REGION.test(region)) {
    throw new UsageError(`--region "${region}" is not an AWS Region code; write it like eu-west-1 or us-east-1`);
  }
  if (typeof profile === 'string' && profile.trim() === '') throw new UsageError('--profile needs a profile name');
  return {
    ...(typeof region === 'string' ? { region } : {}),
    ...(typeof profile === 'string' ? { profile } : {}),
  };
}

/** No AWS Region could be resolved: nothing was sent to AWS. */
export class MissingRegionError extends AllowlistSyncError {
  override name = 'MissingRegionError';
  constructor(
    /** The profile that was read, if any (a profile without `region = …`). */
    readonly profile: string | undefined,
  ) {
    super(
      `no AWS Region is set${profile ? ` (profile "${profile}" has no region)` : ''}; nothing was sent to AWS. ` +
        'Set one with --region REGION, the AWS_REGION environment variable, or a profile with "region = REGION" in ' +
        '~/.aws/config (--profile NAME or AWS_PROFILE)',
    );
  }
}

/**
 * Resolves the Region the way the SDK will (its client's own `config.region` provider: `region` given, AWS_REGION,
 * the profile in ~/.aws/config) and turns "Region is missing" into {@link MissingRegionError}. Call it before the
 * first request, so a run without a Region stops before it reads anything.
 */
export async function requireRegion(
  client: { config: { region: () => Promise<string> } },
  settings: AwsSettings,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  try {
    const region = await client.config.region();
    if (region) return region;
  } catch (error) {
    if (!/region is missing/i.test((error as Error).message ?? '')) throw error;
  }
  throw new MissingRegionError(settings.profile ?? env.AWS_PROFILE);
}

let noticeShown = false;

/**
 * On Node.js before 22, says once, in one line, what the AWS SDK would say in eight (it warns on every run that its
 * releases after the first week of January 2027 need Node.js 22), and turns the SDK's notice off. Call it before the
 * first SDK client is built. Silent when the user already silenced the SDK's notice or Node's warnings.
 */
export function nodeVersionNotice(io: Io, version: string = process.version): void {
  const major = Number(/^v(\d+)/.exec(version)?.[1] ?? 'NaN');
  if (!(major < 22) || noticeShown) return;
  noticeShown = true;
  const silenced =
    io.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === 'true' || io.env.NODE_NO_WARNINGS === '1';
  // The SDK reads this from the process environment when it builds its first client.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  if (silenced) return;
  io.stderr.write(
    `allowlist-sync: Node.js ${version} reached end of life in April 2026 and the AWS SDK drops it in January 2027; use Node.js 22 or later.\n`,
  );
}
