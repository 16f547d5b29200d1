/**
 * The function's bundle exactly as the stack bundles it (esbuild with `esbuildOptions()` and `FUNCTION_ENTRY` from
 * lib/bundling-options.ts), built once per test file into a temp dir, and its handler loaded in this process the way
 * Lambda loads it: the RuntimeConfig written to SSM as the stack writes it (one parameter per allowlist under the
 * config path, lambda/engine/config-store.ts), the path, the names and the AWS environment in `process.env` at require
 * time, a fresh module for each load (a new container).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { build } from 'esbuild';
import { CONFIG_ALLOWLISTS_ENV, CONFIG_PATH_ENV, configParameterName } from '../../lambda/engine/config-store';
import type { AllowlistSyncHandler, InvocationContext } from '../../lambda/function/invocation';
import { esbuildOptions, FUNCTION_ENTRY } from '../../lib/bundling-options';
import { ROOT } from '../cli/built-cli';

/** A built bundle on disk. */
export interface FunctionBundle {
  readonly file: string;
  /**
   * Writes the RuntimeConfig's allowlists into SSM as the stack does, then loads the handler as a cold container
   * would, with the config path and the names in its environment.
   */
  load(config: unknown, env: Record<string, string>, ssm: SSMClient): Promise<AllowlistSyncHandler>;
  /** Removes the temp dir. */
  remove(): void;
}

/** Bundles the function's entry as the stack does. */
export async function buildFunctionBundle(): Promise<FunctionBundle> {
  const dir = mkdtempSync(path.join(tmpdir(), 'allowlist-sync-bundle-'));
  const file = path.join(dir, 'index.js');
  await build({
    ...esbuildOptions(),
    entryPoints: [path.join(ROOT, FUNCTION_ENTRY)],
    outfile: file,
    logLevel: 'warning',
  });
  const load = async (config: unknown, env: Record<string, string>, ssm: SSMClient) => {
    const allowlists = (config as { allowlists: { name: string }[] }).allowlists;
    await writeConfigParameters(ssm, allowlists);
    delete process.env.ALLOWLIST_SYNC_CONFIG;
    Object.assign(process.env, env, {
      [CONFIG_PATH_ENV]: TEST_CONFIG_PATH,
      [CONFIG_ALLOWLISTS_ENV]: allowlists.map((a) => a.name).join(','),
      // The function's one log line and its EMF metrics are not what these tests read; the report is.
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      // Lambda runs Node 22 or later; this test process may be Node 20, where the SDK prints an 8-line notice per load.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    const requireBundle = createRequire(file);
    delete requireBundle.cache[file];
    return (requireBundle(file) as { handler: AllowlistSyncHandler }).handler;
  };
  return { file, load, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The config path of the tests' stand-in stack. */
export const TEST_CONFIG_PATH = '/allowlist-sync/AllowlistSync-moto/config';

/** Writes each allowlist's RuntimeConfig entry to its parameter, as the stack's AWS::SSM::Parameter resources do. */
export async function writeConfigParameters(ssm: SSMClient, allowlists: readonly { name: string }[]): Promise<void> {
  for (const allowlist of allowlists) {
    await ssm.send(
      new PutParameterCommand({
        Name: configParameterName(TEST_CONFIG_PATH, allowlist.name),
        Value: JSON.stringify(allowlist),
        Type: 'String',
        Tier: 'Standard',
        Overwrite: true,
      }),
    );
  }
}

/** A Lambda context with a request id and 14 minutes left (the stack's timeout is 15). */
export function lambdaContext(requestId: string): InvocationContext {
  return { awsRequestId: requestId, getRemainingTimeInMillis: () => 14 * 60 * 1000 };
}

/** The EventBridge event S3 sends for a new object (as documented for `Object Created`, trimmed of nothing). */
export function s3ObjectCreatedEvent(bucket: string, key: string, region: string): Record<string, unknown> {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2026-12-03T08:00:00Z',
    region,
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, size: 120, etag: 'b1946ac92492d2347c6235b4d2611184', sequencer: '00617F08299329D189' },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '123456789012',
      'source-ip-address': '1.2.3.4',
      reason: 'PutObject',
    },
  };
}

/** The classic EventBridge scheduled event (a rate/cron rule's), as documented. */
export function scheduledEvent(region: string): Record<string, unknown> {
  return {
    version: '0',
    id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: '2026-12-03T08:00:00Z',
    region,
    resources: [`arn:aws:events:${region}:123456789012:rule/allowlist-sync`],
    detail: {},
  };
}
