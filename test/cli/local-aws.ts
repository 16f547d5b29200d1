/**
 * Local stand-ins for AWS endpoints, on 127.0.0.1, for tests that run the CLI (in process or as a built process
 * pointed at them through AWS_ENDPOINT_URL): the Lambda Invoke REST API, and the WAFv2 JSON API backed by a FakeWafv2
 * (so a separate process drives the same stateful fake the in-process tests use), with the SSM JSON API backed by a
 * FakeSsm on the same endpoint (an applying run takes its run lock there) and, optionally, EventBridge's PutEvents
 * backed by a FakeEventBridge (an applying run puts its change events there). Plus an in-memory `Io`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { GetIPSetCommand, ListIPSetsCommand, UpdateIPSetCommand } from '@aws-sdk/client-wafv2';
import type { Io } from '../../bin/commands/io';
import type { FakeEventBridge, FakeWafv2 } from '../fakes';
import type { FakeSsm } from '../fakes/fake-ssm';

/** A started local server. */
export interface LocalEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<LocalEndpoint> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** One received Lambda invoke. */
export interface ReceivedInvoke {
  readonly functionName: string;
  readonly invocationType: string | undefined;
  readonly payload: unknown;
}

/**
 * Emulates Lambda `Invoke` (POST /2015-03-31/functions/NAME/invocations): the function is `fn`; a throw becomes
 * Lambda's error payload `{errorType, errorMessage, trace}` with the `X-Amz-Function-Error: Unhandled` header.
 */
export async function startLambdaEndpoint(
  fn: (event: unknown) => Promise<unknown>,
): Promise<LocalEndpoint & { received: ReceivedInvoke[] }> {
  const received: ReceivedInvoke[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match?.[1]) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
      return;
    }
    const text = await body(req);
    const payload: unknown = text ? JSON.parse(text) : {};
    received.push({
      functionName: decodeURIComponent(match[1]),
      invocationType: req.headers['x-amz-invocation-type'] as string | undefined,
      payload,
    });
    try {
      const result = await fn(payload);
      res.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' });
      res.end(JSON.stringify(result));
    } catch (error) {
      const e = error as Error;
      res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
      res.end(JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] }));
    }
  });
  return { ...(await listen(server)), received };
}

const WAF_COMMANDS: Record<string, new (input: never) => unknown> = {
  GetIPSet: GetIPSetCommand,
  ListIPSets: ListIPSetsCommand,
  UpdateIPSet: UpdateIPSetCommand,
};

const SSM_COMMANDS: Record<string, new (input: never) => unknown> = {
  GetParameter: GetParameterCommand,
  PutParameter: PutParameterCommand,
  DeleteParameter: DeleteParameterCommand,
};

const EVENTS_COMMANDS: Record<string, new (input: never) => unknown> = { PutEvents: PutEventsCommand };

/**
 * Emulates the WAFv2 JSON 1.1 API (POST / with `X-Amz-Target: AWSWAF_20190729.<Operation>`) by sending each request
 * through `fake.client`, so the fake's semantics (lock tokens, limits, write rate) apply to a separate process too.
 * Errors are AWS JSON errors: `{"__type": name, "Message": …}` with the fake's HTTP status. With `ssm`, SSM's JSON API
 * (`X-Amz-Target: AmazonSSM.<Operation>`) is served the same way from it, and with `events`, EventBridge's
 * (`AWSEvents.PutEvents`).
 */
export async function startWafEndpoint(
  fake: FakeWafv2,
  ssm?: FakeSsm,
  events?: FakeEventBridge,
): Promise<LocalEndpoint & { operations: string[] }> {
  const operations: string[] = [];
  const server = createServer(async (req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const isSsm = ssm !== undefined && target.startsWith('AmazonSSM.');
    const isEvents = events !== undefined && target.startsWith('AWSEvents.');
    const operation = target.replace(/^(AWSWAF_20190729|AmazonSSM|AWSEvents)\./, '');
    const Command = (isEvents ? EVENTS_COMMANDS : isSsm ? SSM_COMMANDS : WAF_COMMANDS)[operation];
    const client = (isEvents ? events.client : isSsm ? ssm.client : fake.client) as {
      send(command: never): Promise<unknown>;
    };
    const input = JSON.parse((await body(req)) || '{}') as never;
    operations.push(operation);
    if (!Command) {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'UnknownOperationException', Message: `not emulated: ${target}` }));
      return;
    }
    try {
      const output = (await client.send(new Command(input) as never)) as unknown as Record<string, unknown>;
      const { $metadata: _, ...rest } = output;
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(rest, epochSeconds));
    } catch (error) {
      const e = error as Error & { $metadata?: { httpStatusCode?: number } };
      res.writeHead(e.$metadata?.httpStatusCode ?? 400, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': e.name,
      });
      res.end(JSON.stringify({ __type: e.name, Message: e.message }));
    }
  });
  return { ...(await listen(server)), operations };
}

/** JSON protocols carry timestamps as epoch seconds (the SDK rejects an ISO string there). */
function epochSeconds(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Date ? raw.getTime() / 1000 : value;
}

/** An in-memory Io: what a command wrote to stdout and stderr. */
export function memoryIo(env: NodeJS.ProcessEnv = {}, tty = false): Io & { out: () => string; err: () => string } {
  const sink = () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    }) as Writable & { isTTY?: boolean };
    stream.isTTY = tty;
    return { stream, text: () => chunks.join('') };
  };
  const stdout = sink();
  const stderr = sink();
  return {
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdin: process.stdin,
    env,
    out: stdout.text,
    err: stderr.text,
  };
}
