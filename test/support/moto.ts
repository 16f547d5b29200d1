/**
 * moto (an independent Python implementation of the AWS APIs) as a test server: probed once through
 * {@link externalTool}, started on a free 127.0.0.1 port per test file, reset between cases, its request recorder read
 * to count the calls a run made, and stopped by its process id. See docs/verification.md for what moto does
 * differently from AWS and how the tests work around it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import { commandRuns, externalTool } from './external-tools';

/** moto's server, or a skip (or, under ALLOWLIST_SYNC_REQUIRE_TOOLS=1, a failure) with its install line. */
export const moto = externalTool(
  'moto',
  () => commandRuns('python3', ['-c', 'import moto.server']),
  "pip install 'moto[server]'",
);

/**
 * Room for one end-to-end case (several CLI processes or runs, the WAF driver pacing its writes at one per second) on
 * a shared, loaded machine: a limit that stops a hung case, not a timed assertion.
 */
export const MOTO_CASE_TIMEOUT_MS = 180_000;

/** The Region every moto test runs in. */
export const MOTO_REGION = 'eu-west-1';

/** One request moto received, as its recorder saw it. */
export interface RecordedCall {
  /** The SigV4 service name: `ec2`, `wafv2`, `ssm`, `s3`, `events`. */
  readonly service: string;
  /** The API action (`AuthorizeSecurityGroupIngress`, `UpdateIPSet`...); for S3, `GET /bucket/key` and the like. */
  readonly action: string;
  /** Whether the call can change state (anything but Describe/Get/List, or an S3 GET/HEAD). */
  readonly write: boolean;
  /** The request body as sent (decoded text; empty when there was none): the change events' content is read from it. */
  readonly body: string;
}

/** One entry of a recorded `events:PutEvents` call, as the run sent it (its Detail parsed). */
export interface RecordedEvent {
  readonly source: string;
  readonly detailType: string;
  /** The bus the entry names (`default` for the product's change events). */
  readonly eventBusName: string | undefined;
  readonly detail: Record<string, unknown>;
}

/** Whether a recorded call is an EventBridge PutEvents (the product's change events; docs/expiry-and-events.md). */
export function isPutEvents(call: RecordedCall): boolean {
  return call.service === 'events' && call.action === 'PutEvents';
}

/** Every entry of every recorded PutEvents call, in the order sent. */
export function recordedEvents(calls: readonly RecordedCall[]): RecordedEvent[] {
  return calls.filter(isPutEvents).flatMap((c) => {
    const { Entries = [] } = JSON.parse(c.body) as {
      Entries?: { Source: string; DetailType: string; EventBusName?: string; Detail: string }[];
    };
    return Entries.map((e) => ({
      source: e.Source,
      detailType: e.DetailType,
      eventBusName: e.EventBusName,
      detail: JSON.parse(e.Detail) as Record<string, unknown>,
    }));
  });
}

/** A running moto server and what the tests need from it. */
export interface MotoServer {
  readonly url: string;
  readonly pid: number;
  /** SDK clients pointed at the server (dummy credentials, {@link MOTO_REGION}). */
  readonly clients: MotoClients;
  /** The environment a separate process (the built CLI) needs to reach the server. */
  readonly env: Record<string, string>;
  /** Forgets every resource and every recorded call (between cases). */
  reset(): Promise<void>;
  /** The calls recorded since the last {@link MotoServer.reset} or {@link MotoServer.clearCalls}. */
  calls(): Promise<RecordedCall[]>;
  /** Forgets the recorded calls only (after a case's setup, so only the run is counted). */
  clearCalls(): Promise<void>;
  /** Stops the server by its process id and waits for it to exit. */
  stop(): Promise<void>;
}

/** The SDK clients of the services the product calls. */
export interface MotoClients {
  readonly ec2: EC2Client;
  readonly wafv2: WAFV2Client;
  readonly s3: S3Client;
  readonly ssm: SSMClient;
  readonly events: EventBridgeClient;
}

/** Dummy credentials: moto accepts any; they must never be real ones. */
const CREDENTIALS = { accessKeyId: 'AKIDMOTOTEST', secretAccessKey: 'moto-test-secret' };

/** Starts moto on a free port and waits until it answers; the caller stops it in afterAll. */
export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const recordings = mkdtempSync(path.join(tmpdir(), 'allowlist-sync-moto-'));
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    // The recorder writes every request to this file once started (moto 5: MOTO_RECORDER_FILEPATH; recording is
    // switched on with POST /moto-api/recorder/start-recording, or MOTO_ENABLE_RECORDING at start).
    env: { ...process.env, MOTO_RECORDER_FILEPATH: path.join(recordings, 'calls.jsonl') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcess(child);
    rmSync(recordings, { recursive: true, force: true });
  };
  try {
    await waitUntilAnswering(url, child, () => stderr);
    await post(url, '/moto-api/recorder/start-recording');
  } catch (error) {
    await stop();
    throw error;
  }
  const clients = createClients(url);
  const clearCalls = () => post(url, '/moto-api/recorder/reset-recording');
  return {
    url,
    pid: child.pid as number,
    clients,
    env: {
      AWS_ENDPOINT_URL: url,
      AWS_REGION: MOTO_REGION,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    },
    reset: async () => {
      await post(url, '/moto-api/reset');
      await clearCalls();
    },
    calls: async () => parseRecording(await (await fetch(`${url}/moto-api/recorder/download-recording`)).text()),
    clearCalls,
    stop,
  };
}

/** SDK clients for a moto endpoint. */
export function createClients(url: string): MotoClients {
  // The SDK's own retries stay on (3 attempts), as in the product; every attempt is a recorded call.
  const config = { endpoint: url, region: MOTO_REGION, credentials: CREDENTIALS };
  return {
    ec2: new EC2Client(config),
    wafv2: new WAFV2Client(config),
    // Path-style: the bucket is not a subdomain of 127.0.0.1.
    s3: new S3Client({ ...config, forcePathStyle: true }),
    ssm: new SSMClient(config),
    events: new EventBridgeClient(config),
  };
}

/** Parses moto's recording (one JSON request per line) into calls, leaving out moto's own `/moto-api/` requests. */
export function parseRecording(text: string): RecordedCall[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RawEntry)
    .filter((entry) => !new URL(entry.url).pathname.startsWith('/moto-api/'))
    .map(toCall);
}

interface RawEntry {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string | null;
  readonly body_encoded?: boolean;
}

function toCall(entry: RawEntry): RecordedCall {
  const header = (name: string) =>
    Object.entries(entry.headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(header('authorization') ?? '')?.[1] ?? 'unknown';
  const target = header('x-amz-target');
  const body = entry.body_encoded ? Buffer.from(entry.body ?? '', 'base64').toString('utf8') : (entry.body ?? '');
  if (target) {
    const action = target.slice(target.indexOf('.') + 1);
    return { service, action, write: !/^(Get|List|Describe)/.test(action), body };
  }
  const queryAction = new URLSearchParams(body).get('Action') ?? new URL(entry.url).searchParams.get('Action');
  if (queryAction) return { service, action: queryAction, write: !/^(Get|List|Describe)/.test(queryAction), body };
  const { pathname } = new URL(entry.url);
  return { service, action: `${entry.method} ${pathname}`, write: !['GET', 'HEAD'].includes(entry.method), body };
}

/** A 127.0.0.1 port nothing listens on now (the OS picks it; it is closed again before moto binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

async function post(url: string, route: string): Promise<void> {
  const response = await fetch(`${url}${route}`, { method: 'POST' });
  if (!response.ok) throw new Error(`moto: POST ${route} answered ${response.status}: ${await response.text()}`);
}

/** Polls moto until it answers; fails with its stderr if it exits first. Not a timed assertion: a start-up wait. */
async function waitUntilAnswering(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto exited with ${child.exitCode} at start:\n${stderr()}`);
    try {
      if ((await fetch(`${url}/moto-api/data.json`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto did not answer on ${url} within 30 s:\n${stderr()}`);
}

/** Sends SIGTERM to this process id (then SIGKILL after 5 s) and waits for it to exit. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, 5_000);
  await exited;
  clearTimeout(timer);
}
