/**
 * The hostile-input table: each case arranges a source (served by the real HTTPS test server, the S3 or SSM fake, a
 * file, or inline) and names the error it must end in. hostile.test.ts runs every case through `loadAllowlist` and
 * through the engine against the EC2 and WAF fakes, and checks for 0 write calls.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type SourceDeps, signBytes } from '../../lambda/sources';
import type { FakeS3 } from '../fakes/fake-s3';
import type { FakeSsm } from '../fakes/fake-ssm';
import { keys, NOW, otherKeys, signedDoc } from './helpers';
import { serve, type TestServer } from './https-server';

/** What a case may use. */
export interface CaseContext {
  readonly server: TestServer;
  readonly s3: FakeS3;
  readonly ssm: FakeSsm;
  /** A route path unique to the case. */
  readonly path: string;
  /** The path of a 1,000,001-line text file. */
  readonly millionLines: string;
  /** A 127.0.0.1 port nothing listens on. */
  readonly closedPort: number;
}

/** What a case arranges: the sources (raw config), and optional policy, limits and last applied serial. */
export interface Arranged {
  readonly sources: unknown[];
  readonly policy?: Record<string, unknown>;
  readonly limits?: SourceDeps['limits'];
  readonly lastSerial?: number;
}

/** One hostile case. */
export interface HostileCase {
  readonly name: string;
  /** Error class name. */
  readonly error: 'SourceError' | 'ParseError' | 'PolicyError' | 'ConfigError';
  /** SourceError reason, or the first problem's code for parse and policy errors. */
  readonly reason?: string;
  readonly arrange: (ctx: CaseContext) => Arranged;
}

const signed = (format = 'allowlist') => ({
  format: { type: format },
  integrity: { ed25519PublicKey: keys.publicKeyPem, maxAgeSeconds: 7 * 24 * 3600 },
});

/** Serves `text` at the case's path and returns an https source for it. */
function httpsText(ctx: CaseContext, text: string | Uint8Array, extra: Record<string, unknown> = {}): Arranged {
  ctx.server.routes.set(ctx.path, serve(text));
  return { sources: [{ kind: 'https', url: `${ctx.server.origin}${ctx.path}`, ...extra }] };
}

function route(ctx: CaseContext, handler: (req: IncomingMessage, res: ServerResponse) => void, extra = {}): Arranged {
  ctx.server.routes.set(ctx.path, handler);
  return { sources: [{ kind: 'https', url: `${ctx.server.origin}${ctx.path}`, ...extra }] };
}

function redirect(ctx: CaseContext, location: string): Arranged {
  return route(ctx, (_req, res) => void res.writeHead(302, { location }).end());
}

/** Publishes a signed document (and its .sig) in S3 and returns the signed source. */
function s3Signed(ctx: CaseContext, key: string, body: Buffer, sig: string, lastSerial?: number): Arranged {
  ctx.s3.putObject('lists', key, body);
  ctx.s3.putObject('lists', `${key}.sig`, sig);
  return {
    sources: [{ kind: 's3', bucket: 'lists', key, ...signed() }],
    ...(lastSerial !== undefined ? { lastSerial } : {}),
  };
}

const inline = (...entries: string[]): Arranged => ({ sources: [{ kind: 'inline', entries }] });
const SLOW = { idleTimeoutMs: 300, connectTimeoutMs: 2000, fetchBudgetMs: 3000 };
const DAY = 24 * 3600 * 1000;

/** The battery. */
export const HOSTILE_CASES: readonly HostileCase[] = [
  // Entry policy and strict parsing.
  { name: '/0 (IPv4)', error: 'PolicyError', reason: 'slash-zero', arrange: () => inline('0.0.0.0/0') },
  { name: '/0 (IPv6)', error: 'PolicyError', reason: 'slash-zero', arrange: () => inline('::/0') },
  { name: 'too-wide IPv4 prefix /8', error: 'PolicyError', reason: 'too-broad', arrange: () => inline('11.0.0.0/8') },
  { name: 'too-wide IPv6 prefix /16', error: 'PolicyError', reason: 'too-broad', arrange: () => inline('2a00::/16') },
  { name: 'short form 52.94', error: 'ParseError', reason: 'ipv4-parts', arrange: () => inline('52.94') },
  { name: 'octal form 052.094.076.001', error: 'ParseError', arrange: () => inline('052.094.076.001') },
  { name: 'hex form 0x34.0.0.1', error: 'ParseError', arrange: () => inline('0x34.0.0.1') },
  { name: 'integer form 878071809', error: 'ParseError', arrange: () => inline('878071809') },
  { name: 'prefix length 35', error: 'ParseError', arrange: () => inline('64.0.0.0/35') },
  { name: 'host bits set', error: 'ParseError', reason: 'host-bits', arrange: () => inline('52.94.76.5/22') },
  { name: 'IPv6 zone id', error: 'ParseError', arrange: () => inline('fe80::1%eth0') },
  { name: 'trailing garbage', error: 'ParseError', arrange: () => inline('52.94.76.0/22; rm -rf /') },
  { name: 'private 10.0.0.0/16', error: 'PolicyError', reason: 'private', arrange: () => inline('10.0.0.0/16') },
  { name: 'private 192.168.1.0/24', error: 'PolicyError', reason: 'private', arrange: () => inline('192.168.1.0/24') },
  {
    name: 'unique-local fd12:3456::/32',
    error: 'PolicyError',
    reason: 'private',
    arrange: () => inline('fd12:3456::/32'),
  },
  {
    name: 'metadata 169.254.169.254',
    error: 'PolicyError',
    reason: 'special-purpose',
    arrange: () => inline('169.254.169.254'),
  },
  {
    name: 'IPv6 metadata fd00:ec2::254',
    error: 'PolicyError',
    reason: 'private',
    arrange: () => inline('fd00:ec2::254'),
  },
  { name: 'loopback 127.0.0.1', error: 'PolicyError', reason: 'special-purpose', arrange: () => inline('127.0.0.1') },
  {
    name: 'IPv4-mapped ::ffff:52.94.76.1',
    error: 'PolicyError',
    reason: 'special-purpose',
    arrange: () => inline('::ffff:52.94.76.1'),
  },
  {
    name: 'NUL bytes in the body',
    error: 'ParseError',
    reason: 'control-character',
    arrange: (ctx) => httpsText(ctx, Buffer.from('52.94.76.0/22\n\0\0\0\n52.95.0.0/16\n')),
  },
  {
    name: 'UTF-16 body (byte-order mark)',
    error: 'ParseError',
    reason: 'encoding',
    arrange: (ctx) => httpsText(ctx, Buffer.from('\ufeff52.94.76.0/22\n', 'utf16le')),
  },
  {
    name: 'invalid UTF-8 bytes',
    error: 'ParseError',
    reason: 'syntax',
    arrange: (ctx) => httpsText(ctx, Buffer.from([0x35, 0x32, 0xff, 0xfe, 0x0a])),
  },
  {
    name: 'only comments (an empty list)',
    error: 'PolicyError',
    reason: 'empty',
    arrange: (ctx) => httpsText(ctx, '# nothing here\n\n'),
  },
  {
    name: '1,000,001-line file (over maxEntries)',
    error: 'PolicyError',
    reason: 'too-many',
    arrange: (ctx) => ({ sources: [{ kind: 'file', path: ctx.millionLines }] }),
  },
  {
    name: 'truncated JSON',
    error: 'ParseError',
    reason: 'json',
    arrange: (ctx) =>
      httpsText(ctx, '{"version":1,"entries":[{"prefix":"52.94.76.0/22"},{"pre', { format: { type: 'allowlist' } }),
  },
  {
    name: 'JSON with an unknown field',
    error: 'ParseError',
    reason: 'shape',
    arrange: (ctx) =>
      httpsText(ctx, '{"version":1,"entries":[{"prefix":"52.94.76.0/22","allow":"everything"}]}', {
        format: { type: 'allowlist' },
      }),
  },
  {
    name: 'JSON document version 2',
    error: 'ParseError',
    reason: 'shape',
    arrange: (ctx) =>
      httpsText(ctx, '{"version":2,"entries":[{"prefix":"52.94.76.0/22"}]}', { format: { type: 'allowlist' } }),
  },
  // Transport: HTTPS.
  {
    name: 'huge body (no Content-Length) over maxBytes',
    error: 'SourceError',
    reason: 'too-large',
    arrange: (ctx) =>
      route(
        ctx,
        (_req, res) => {
          res.writeHead(200);
          const line = Buffer.from('52.94.76.0/22\n'.repeat(1000));
          let sent = 0;
          const pump = () => {
            while (sent < 200 && res.write(line)) sent++;
            if (sent < 200) res.once('drain', pump);
            else res.end();
          };
          res.on('close', () => {
            sent = 200;
          });
          pump();
        },
        { maxBytes: 65536 },
      ),
  },
  {
    name: 'huge Content-Length announced',
    error: 'SourceError',
    reason: 'too-large',
    arrange: (ctx) =>
      route(ctx, (_req, res) => {
        res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
        res.write('52.94.76.0/22\n');
      }),
  },
  {
    name: 'slow-drip body',
    error: 'SourceError',
    reason: 'timeout',
    arrange: (ctx) => ({
      ...route(ctx, (_req, res) => {
        res.writeHead(200);
        res.write('52.94.76.0/22\n');
        const timer = setInterval(() => res.write('#'), 1000);
        res.on('close', () => clearInterval(timer));
      }),
      limits: SLOW,
    }),
  },
  {
    name: 'no response headers (hung server)',
    error: 'SourceError',
    reason: 'timeout',
    arrange: (ctx) => ({ ...route(ctx, () => undefined), limits: SLOW }),
  },
  {
    name: 'redirect to 169.254.169.254',
    error: 'SourceError',
    reason: 'redirect-refused',
    arrange: (ctx) => redirect(ctx, 'https://169.254.169.254/latest/meta-data/iam/security-credentials/'),
  },
  {
    name: 'redirect to another host',
    error: 'SourceError',
    reason: 'redirect-refused',
    arrange: (ctx) => redirect(ctx, `https://localhost:${new URL(ctx.server.origin).port}/list.txt`),
  },
  {
    name: 'redirect to plain http on the same host',
    error: 'SourceError',
    reason: 'redirect-refused',
    arrange: (ctx) => redirect(ctx, `http://${new URL(ctx.server.origin).host}/list.txt`),
  },
  {
    name: 'redirect loop',
    error: 'SourceError',
    reason: 'too-many-redirects',
    arrange: (ctx) => redirect(ctx, ctx.path),
  },
  {
    name: 'plain http URL in the config',
    error: 'ConfigError',
    arrange: () => ({ sources: [{ kind: 'https', url: 'http://lists.example.com/partners.txt' }] }),
  },
  {
    name: 'https URL at the metadata address',
    error: 'SourceError',
    reason: 'bad-location',
    arrange: () => ({ sources: [{ kind: 'https', url: 'https://169.254.169.254/latest/user-data' }] }),
  },
  {
    name: 'HTTP 500',
    error: 'SourceError',
    reason: 'http-status',
    arrange: (ctx) => route(ctx, (_req, res) => void res.writeHead(500).end('oops')),
  },
  {
    name: 'HTTP 403',
    error: 'SourceError',
    reason: 'http-status',
    arrange: (ctx) => route(ctx, (_req, res) => void res.writeHead(403).end('no')),
  },
  {
    name: 'HTTP 404',
    error: 'SourceError',
    reason: 'http-status',
    arrange: (ctx) => ({ sources: [{ kind: 'https', url: `${ctx.server.origin}/nothing-here` }] }),
  },
  {
    name: 'Content-Length mismatch (connection cut)',
    error: 'SourceError',
    reason: 'truncated',
    arrange: (ctx) =>
      route(ctx, (req, res) => {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('52.94.76.0/22\n52.95.0.0/16\n');
        setTimeout(() => req.socket.destroy(), 20);
      }),
  },
  { name: 'empty body', error: 'SourceError', reason: 'empty', arrange: (ctx) => httpsText(ctx, '') },
  {
    name: 'gzip Content-Encoding',
    error: 'SourceError',
    reason: 'bad-encoding',
    arrange: (ctx) => route(ctx, (_req, res) => void res.writeHead(200, { 'content-encoding': 'gzip' }).end('x')),
  },
  {
    name: 'connection refused',
    error: 'SourceError',
    reason: 'unreachable',
    arrange: (ctx) => ({ sources: [{ kind: 'https', url: `https://127.0.0.1:${ctx.closedPort}/list.txt` }] }),
  },
  {
    name: 'total fetch budget exceeded',
    error: 'SourceError',
    reason: 'budget',
    arrange: (ctx) => {
      ctx.server.routes.set(ctx.path, (_req, res) => {
        res.writeHead(200);
        const timer = setInterval(() => res.write('#\n'), 100);
        res.on('close', () => clearInterval(timer));
      });
      return {
        sources: [{ kind: 'https', url: `${ctx.server.origin}${ctx.path}` }],
        limits: { idleTimeoutMs: 5000, fetchBudgetMs: 400 },
      };
    },
  },
  // Transport: S3 and SSM.
  {
    name: 'S3 NoSuchKey',
    error: 'SourceError',
    reason: 'not-found',
    arrange: () => ({ sources: [{ kind: 's3', bucket: 'lists', key: 'missing.txt' }] }),
  },
  {
    name: 'S3 bucket owned by another account',
    error: 'SourceError',
    reason: 'access-denied',
    arrange: (ctx) => {
      ctx.s3.putObject('lists', 'p.txt', '52.94.76.0/22\n');
      return { sources: [{ kind: 's3', bucket: 'lists', key: 'p.txt', expectedBucketOwner: '999999999999' }] };
    },
  },
  {
    name: 'S3 pinned version that does not exist',
    error: 'SourceError',
    reason: 'not-found',
    arrange: (ctx) => {
      ctx.s3.putObject('lists', 'p.txt', '52.94.76.0/22\n');
      return { sources: [{ kind: 's3', bucket: 'lists', key: 'p.txt', versionId: 'v999' }] };
    },
  },
  {
    name: 'S3 body shorter than its Content-Length',
    error: 'SourceError',
    reason: 'truncated',
    arrange: (ctx) => {
      ctx.s3.putObject('lists', 'cut.txt', '52.94.76.0/22\n52.95.0.0/16\n');
      ctx.s3.setFault('lists', 'cut.txt', { kind: 'truncate', missing: 10 });
      return { sources: [{ kind: 's3', bucket: 'lists', key: 'cut.txt' }] };
    },
  },
  {
    name: 'S3 slow-drip body',
    error: 'SourceError',
    reason: 'timeout',
    arrange: (ctx) => {
      ctx.s3.putObject('lists', 'slow.txt', '52.94.76.0/22\n52.95.0.0/16\n');
      ctx.s3.setFault('lists', 'slow.txt', { kind: 'drip', chunk: 4, delayMs: 1000 });
      return { sources: [{ kind: 's3', bucket: 'lists', key: 'slow.txt' }], limits: SLOW };
    },
  },
  {
    name: 'S3 InternalError',
    error: 'SourceError',
    reason: 'unreachable',
    arrange: (ctx) => {
      ctx.s3.putObject('lists', 'p.txt', '52.94.76.0/22\n');
      ctx.s3.setFault('lists', 'p.txt', { kind: 'error', name: 'InternalError', status: 500 });
      return { sources: [{ kind: 's3', bucket: 'lists', key: 'p.txt' }] };
    },
  },
  {
    name: 'S3 object over maxBytes',
    error: 'SourceError',
    reason: 'too-large',
    arrange: (ctx) => {
      ctx.s3.putObject('lists', 'big.txt', '52.94.76.0/22\n'.repeat(100));
      return { sources: [{ kind: 's3', bucket: 'lists', key: 'big.txt', maxBytes: 1024 }] };
    },
  },
  {
    name: 'SSM ParameterNotFound',
    error: 'SourceError',
    reason: 'not-found',
    arrange: () => ({ sources: [{ kind: 'ssm', name: '/lists/none' }] }),
  },
  {
    name: 'SSM AccessDenied',
    error: 'SourceError',
    reason: 'access-denied',
    arrange: (ctx) => {
      ctx.ssm.seed('/lists/locked', 'SecureString', '52.94.76.0/22');
      ctx.ssm.failReads('/lists/locked', { name: 'AccessDeniedException', status: 400 });
      return { sources: [{ kind: 'ssm', name: '/lists/locked' }] };
    },
  },
  {
    name: 'SSM empty StringList entry',
    error: 'ParseError',
    arrange: (ctx) => {
      ctx.ssm.seed('/lists/sl', 'StringList', '52.94.76.0/22,52.95.0.0/16x');
      return { sources: [{ kind: 'ssm', name: '/lists/sl' }] };
    },
  },
  // Integrity.
  {
    name: 'wrong SHA-256',
    error: 'SourceError',
    reason: 'bad-hash',
    arrange: (ctx) => httpsText(ctx, '52.94.76.0/22\n', { integrity: { sha256: '0'.repeat(64) } }),
  },
  {
    name: 'signed by another key',
    error: 'SourceError',
    reason: 'bad-signature',
    arrange: (ctx) => {
      const { body, sig } = signedDoc({ privateKeyPem: otherKeys.privateKeyPem });
      return s3Signed(ctx, 'other-key.json', body, sig);
    },
  },
  {
    name: 'body changed after signing',
    error: 'SourceError',
    reason: 'bad-signature',
    arrange: (ctx) => {
      const { body, sig } = signedDoc();
      const tampered = Buffer.from(body.toString().replace('52.94.76.0/22', '0.0.0.0/1'));
      return s3Signed(ctx, 'tampered.json', tampered, sig);
    },
  },
  {
    name: 'signature not base64',
    error: 'SourceError',
    reason: 'bad-signature',
    arrange: (ctx) => s3Signed(ctx, 'garbage-sig.json', signedDoc().body, '<html>not a signature</html>'),
  },
  {
    name: 'missing signature file',
    error: 'SourceError',
    reason: 'missing-signature',
    arrange: (ctx) => {
      ctx.s3.putObject('lists', 'unsigned.json', signedDoc().body);
      return { sources: [{ kind: 's3', bucket: 'lists', key: 'unsigned.json', ...signed() }] };
    },
  },
  {
    name: 'replayed older signed list (serial 5 after 7)',
    error: 'SourceError',
    reason: 'serial-rollback',
    arrange: (ctx) => {
      const { body, sig } = signedDoc({ serial: 5 });
      return s3Signed(ctx, 'replayed.json', body, sig, 7);
    },
  },
  {
    name: 'stale signed list (30 days old)',
    error: 'SourceError',
    reason: 'stale',
    arrange: (ctx) => {
      const { body, sig } = signedDoc({ generatedAt: NOW - 30 * DAY });
      return s3Signed(ctx, 'stale.json', body, sig);
    },
  },
  {
    name: 'signed list from the future (1 day ahead)',
    error: 'SourceError',
    reason: 'future',
    arrange: (ctx) => {
      const { body, sig } = signedDoc({ generatedAt: NOW + DAY });
      return s3Signed(ctx, 'future.json', body, sig);
    },
  },
  {
    name: 'signed source in the text format',
    error: 'SourceError',
    reason: 'unsigned-format',
    arrange: () => ({ sources: [{ kind: 's3', bucket: 'lists', key: 'x.txt', ...signed('text') }] }),
  },
  {
    name: 'signed document without a serial',
    error: 'SourceError',
    reason: 'bad-document',
    arrange: (ctx) => {
      const body = Buffer.from(JSON.stringify({ version: 1, entries: [{ prefix: '52.94.76.0/22' }] }));
      return s3Signed(ctx, 'no-serial.json', body, signBytes(body, keys.privateKeyPem));
    },
  },
  {
    name: 'pinned key that is not Ed25519',
    error: 'SourceError',
    reason: 'bad-key',
    arrange: (ctx) => {
      const { body, sig } = signedDoc();
      ctx.s3.putObject('lists', 'k.json', body);
      ctx.s3.putObject('lists', 'k.json.sig', sig);
      return {
        sources: [
          {
            kind: 's3',
            bucket: 'lists',
            key: 'k.json',
            format: { type: 'allowlist' },
            integrity: { ed25519PublicKey: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE'.padEnd(120, 'A') },
          },
        ],
      };
    },
  },
];
