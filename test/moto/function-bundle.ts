/**
 * The function's bundle exactly as the stack bundles it (esbuild with `esbuildOptions()` and `FUNCTION_ENTRY` from
 * lib/bundling-options.ts), built once per test file into a temp dir, and its handler loaded in this process the way
 * Lambda loads it: the RuntimeConfig and the AWS environment in `process.env` at require time (the handler reads its
 * config and builds its SDK clients at init), a fresh module for each config (a new container).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { AllowlistSyncHandler, InvocationContext } from '../../lambda/function/invocation';
import { esbuildOptions, FUNCTION_ENTRY } from '../../lib/bundling-options';
import { ROOT } from '../cli/built-cli';

/** A built bundle on disk. */
export interface FunctionBundle {
  readonly file: string;
  /** Loads the handler as a cold container would, with this RuntimeConfig and environment. */
  load(config: unknown, env: Record<string, string>): AllowlistSyncHandler;
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
  const load = (config: unknown, env: Record<string, string>) => {
    Object.assign(process.env, env, {
      ALLOWLIST_SYNC_CONFIG: JSON.stringify(config),
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
