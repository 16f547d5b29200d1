/**
 * A real HTTPS server on 127.0.0.1 for the source tests, with a self-signed certificate made at setup by `openssl`
 * (Node cannot issue X.509 certificates itself). Made per run rather than committed: no private key lives in the
 * repository, and no certificate can expire under the tests. The certificate names IP 127.0.0.1 and DNS localhost,
 * so `https://127.0.0.1:PORT` verifies against it, and tests pass it as the extra CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A route handler. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The running server. */
export interface TestServer {
  /** `https://127.0.0.1:PORT` */
  readonly origin: string;
  readonly ca: string;
  /** Handlers by path (without query); unknown paths answer 404. */
  readonly routes: Map<string, Handler>;
  /** Requests seen, in order: path with query and the conditional headers. */
  readonly requests: Array<{ url: string; ifNoneMatch?: string; ifModifiedSince?: string }>;
  close(): Promise<void>;
}

/** Makes a self-signed certificate for 127.0.0.1 and starts the server on an ephemeral port. */
export async function startTestServer(): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'allowlist-sync-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    const key = readFileSync(join(dir, 'key.pem'), 'utf8');
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const routes = new Map<string, Handler>();
    const requests: TestServer['requests'] = [];
    const server: Server = createServer({ key, cert }, (req, res) => {
      const url = req.url ?? '/';
      requests.push({
        url,
        ...(typeof req.headers['if-none-match'] === 'string' ? { ifNoneMatch: req.headers['if-none-match'] } : {}),
        ...(typeof req.headers['if-modified-since'] === 'string'
          ? { ifModifiedSince: req.headers['if-modified-since'] }
          : {}),
      });
      const handler = routes.get(url.split('?')[0]!);
      if (handler) return handler(req, res);
      res.writeHead(404).end('not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      origin: `https://127.0.0.1:${port}`,
      ca: cert,
      routes,
      requests,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A handler that serves `body` with an ETag and honours If-None-Match. */
export function serve(body: string | Uint8Array, etag?: string, headers: Record<string, string> = {}): Handler {
  return (req, res) => {
    if (etag && req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    res.writeHead(200, { 'content-length': String(Buffer.byteLength(body)), ...(etag ? { etag } : {}), ...headers });
    res.end(body);
  };
}
