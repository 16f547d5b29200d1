import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  fetchSource,
  loadAllowlist,
  MemorySerialStore,
  readLocation,
  SourceCache,
  type SourceDeps,
  SourceError,
  SsmSerialStore,
  sha256Hex,
  sourceFromLocation,
} from '../../lambda/sources';
import { FakeS3 } from '../fakes/fake-s3';
import { FakeSsm } from '../fakes/fake-ssm';
import { allowlistOf, keys, NOW, signedDoc, sourceOf } from './helpers';
import { serve, startTestServer, type TestServer } from './https-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.close());

let s3: FakeS3;
let ssm: FakeSsm;
let deps: SourceDeps;
beforeEach(() => {
  server.routes.clear();
  server.requests.length = 0;
  s3 = new FakeS3(() => NOW).createBucket('lists', '111122223333');
  ssm = new FakeSsm(() => NOW);
  deps = { s3: s3.client, ssm: ssm.client, now: () => NOW, https: { ca: server.ca }, cache: new SourceCache() };
});

const LIST = '# partners\n52.94.76.0/22\n2a05:d018:400::/40\n';

describe('fetchSource', () => {
  it('reads an HTTPS list and records its provenance without the query string', async () => {
    server.routes.set('/list.txt', serve(LIST, '"v1"', { 'last-modified': 'Mon, 01 Jun 2026 10:00:00 GMT' }));
    const fetched = await fetchSource(sourceOf({ kind: 'https', url: `${server.origin}/list.txt?token=SECRET` }), deps);
    expect(Buffer.from(fetched.bytes).toString()).toBe(LIST);
    expect(fetched.provenance).toEqual({
      kind: 'https',
      location: `${server.origin}/list.txt`,
      sha256: sha256Hex(Buffer.from(LIST)),
      bytes: Buffer.byteLength(LIST),
      etag: '"v1"',
      lastModified: 'Mon, 01 Jun 2026 10:00:00 GMT',
      fetchedAt: new Date(NOW).toISOString(),
    });
    expect(JSON.stringify(fetched.provenance)).not.toContain('SECRET');
  });

  it('sends If-None-Match on the second fetch and reuses the cached bytes on 304', async () => {
    server.routes.set('/list.txt', serve(LIST, '"v1"'));
    const source = sourceOf({ kind: 'https', url: `${server.origin}/list.txt` });
    await fetchSource(source, deps);
    const second = await fetchSource(source, deps);
    expect(server.requests.map((r) => r.ifNoneMatch)).toEqual([undefined, '"v1"']);
    expect(second.provenance.notModified).toBe(true);
    expect(Buffer.from(second.bytes).toString()).toBe(LIST);
  });

  it('follows a redirect on the same host over https', async () => {
    server.routes.set('/old', (_req, res) => void res.writeHead(302, { location: '/new' }).end());
    server.routes.set('/new', serve(LIST));
    const fetched = await fetchSource(sourceOf({ kind: 'https', url: `${server.origin}/old` }), deps);
    expect(fetched.provenance.sha256).toBe(sha256Hex(Buffer.from(LIST)));
  });

  it('refuses a server whose certificate is not trusted', async () => {
    server.routes.set('/list.txt', serve(LIST));
    const { https: _, ...untrusting } = deps;
    await expect(
      fetchSource(sourceOf({ kind: 'https', url: `${server.origin}/list.txt` }), untrusting),
    ).rejects.toMatchObject({
      name: 'SourceError',
      reason: 'tls',
    });
  });

  it('reads an S3 object with the expected bucket owner and a pinned version', async () => {
    const v1 = s3.putObject('lists', 'partners.txt', LIST);
    s3.putObject('lists', 'partners.txt', '52.95.0.0/16\n');
    const source = sourceOf({
      kind: 's3',
      bucket: 'lists',
      key: 'partners.txt',
      versionId: v1.versionId,
      expectedBucketOwner: '111122223333',
    });
    const fetched = await fetchSource(source, deps);
    expect(Buffer.from(fetched.bytes).toString()).toBe(LIST);
    expect(fetched.provenance).toMatchObject({
      kind: 's3',
      location: 's3://lists/partners.txt',
      versionId: v1.versionId,
      etag: v1.etag,
    });
    expect(s3.callsOf('GetObject')[0]!.input).toMatchObject({
      ExpectedBucketOwner: '111122223333',
      VersionId: v1.versionId,
    });
  });

  it('answers an unchanged S3 object from the cache after a 304 NotModified', async () => {
    const v1 = s3.putObject('lists', 'p.txt', LIST);
    const source = sourceOf({ kind: 's3', bucket: 'lists', key: 'p.txt' });
    await fetchSource(source, deps);
    const second = await fetchSource(source, deps);
    expect(s3.callsOf('GetObject').map((c) => [c.input.IfNoneMatch, c.outcome])).toEqual([
      [undefined, 'ok'],
      [v1.etag, '304'],
    ]);
    expect(second.provenance).toMatchObject({ notModified: true, etag: v1.etag, versionId: v1.versionId });
  });

  it.each([
    ['String', '52.94.76.0/22', '52.94.76.0/22'],
    ['StringList', '52.94.76.0/22,2a05:d018:400::/40', '52.94.76.0/22\n2a05:d018:400::/40'],
    ['SecureString', '52.94.76.0/22', '52.94.76.0/22'],
  ] as const)('reads an SSM %s parameter as lines of text', async (type, value, text) => {
    ssm.seed('/lists/partners', type, value);
    const fetched = await fetchSource(sourceOf({ kind: 'ssm', name: '/lists/partners' }), deps);
    expect(Buffer.from(fetched.bytes).toString()).toBe(text);
    expect(ssm.callsOf('GetParameter')[0]!.input).toMatchObject({ WithDecryption: true });
    expect(fetched.provenance).toMatchObject({ kind: 'ssm', location: 'ssm:/lists/partners', versionId: '1' });
  });

  it('reads a local file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'src-'));
    writeFileSync(join(dir, 'list.txt'), LIST);
    const fetched = await fetchSource(sourceOf({ kind: 'file', path: join(dir, 'list.txt') }), deps);
    expect(fetched.provenance).toMatchObject({ kind: 'file', bytes: Buffer.byteLength(LIST) });
  });
});

describe('loadAllowlist', () => {
  it('unions every source into one canonical, aggregated desired set', async () => {
    s3.putObject('lists', 'a.txt', '52.94.76.0/23\n');
    ssm.seed('/b', 'StringList', '52.94.78.0/23,2a05:d018:400::/40');
    const loaded = await loadAllowlist(
      allowlistOf([
        { kind: 's3', bucket: 'lists', key: 'a.txt' },
        { kind: 'ssm', name: '/b' },
        { kind: 'inline', entries: ['52.94.76.0/24'] },
      ]),
      deps,
    );
    expect(loaded.desired.cidrs).toEqual({ 4: ['52.94.76.0/22'], 6: ['2a05:d018:400::/40'] });
    expect(loaded.counts).toEqual({ read: { 4: 3, 6: 1 }, prefixes: { 4: 1, 6: 1 }, expired: 0 });
    expect(loaded.provenance.map((p) => p.kind)).toEqual(['s3', 'ssm', 'inline']);
  });

  it('reuses the previous build when no source changed, and rebuilds when one did', async () => {
    s3.putObject('lists', 'a.txt', LIST);
    const allowlist = allowlistOf([{ kind: 's3', bucket: 'lists', key: 'a.txt' }]);
    expect((await loadAllowlist(allowlist, deps)).reused).toBe(false);
    const again = await loadAllowlist(allowlist, deps);
    expect(again.reused).toBe(true);
    expect(again.provenance[0]!.notModified).toBe(true);
    s3.putObject('lists', 'a.txt', '52.95.0.0/16\n');
    const changed = await loadAllowlist(allowlist, deps);
    expect([changed.reused, changed.desired.cidrs[4]]).toEqual([false, ['52.95.0.0/16']]);
  });

  it('applies a signed list, reports its serial, and accepts the same serial again', async () => {
    const { body, sig } = signedDoc({ serial: 9 });
    s3.putObject('lists', 'signed.json', body);
    s3.putObject('lists', 'signed.json.sig', sig);
    const serialStore = new MemorySerialStore();
    await serialStore.put('partners', 9);
    const allowlist = allowlistOf([
      {
        kind: 's3',
        bucket: 'lists',
        key: 'signed.json',
        format: { type: 'allowlist' },
        integrity: { ed25519PublicKey: keys.publicKeyPem },
      },
    ]);
    const loaded = await loadAllowlist(allowlist, { ...deps, serialStore });
    expect(loaded.serial).toBe(9);
    expect(loaded.provenance[0]).toMatchObject({ serial: 9, generatedAt: new Date(NOW - 3_600_000).toISOString() });
    expect(loaded.desired.notes.get(loaded.desired.cidrs[4][0]!)).toEqual({ note: 'partner' });
  });

  it('refuses two signed sources in one allowlist', async () => {
    const signed = { format: { type: 'allowlist' }, integrity: { ed25519PublicKey: keys.publicKeyPem } };
    const allowlist = allowlistOf([
      { kind: 's3', bucket: 'lists', key: 'a.json', ...signed },
      { kind: 's3', bucket: 'lists', key: 'b.json', ...signed },
    ]);
    await expect(loadAllowlist(allowlist, deps)).rejects.toMatchObject({ name: 'ConfigError' });
  });

  it('stops at the fetch budget with a budget error naming the source', async () => {
    server.routes.set('/hang', () => undefined);
    const allowlist = allowlistOf([{ kind: 'https', url: `${server.origin}/hang` }]);
    await expect(loadAllowlist(allowlist, { ...deps, limits: { fetchBudgetMs: 200 } })).rejects.toMatchObject({
      reason: 'budget',
      source: `${server.origin}/hang`,
    });
  });
});

describe('SsmSerialStore', () => {
  it('reads nothing before the first put, then never lowers the stored serial', async () => {
    const store = new SsmSerialStore(ssm.client);
    expect(await store.get('partners')).toBeUndefined();
    await store.put('partners', 5);
    await store.put('partners', 3);
    expect(await store.get('partners')).toBe(5);
    expect(ssm.callsOf('PutParameter').map((c) => [c.input.Name, c.input.Value])).toEqual([
      ['/allowlist-sync/partners/serial', '5'],
    ]);
  });

  it('fails static when the stored serial cannot be read', async () => {
    ssm.failReads('/allowlist-sync/partners/serial', { name: 'AccessDeniedException', status: 400 });
    await expect(new SsmSerialStore(ssm.client).get('partners')).rejects.toMatchObject({ reason: 'serial-store' });
  });
});

describe('sourceFromLocation', () => {
  it.each([
    ['s3://lists/a/b.txt', { kind: 's3', bucket: 'lists', key: 'a/b.txt' }],
    ['s3://lists/a.txt?versionId=abc', { kind: 's3', bucket: 'lists', key: 'a.txt', versionId: 'abc' }],
    ['https://example.com/x.txt', { kind: 'https', url: 'https://example.com/x.txt' }],
    ['ssm:/lists/partners', { kind: 'ssm', name: '/lists/partners' }],
    ['./list.txt', { kind: 'file', path: './list.txt' }],
  ])('reads %s as a source', (arg, expected) => {
    expect(sourceFromLocation(arg)).toEqual({ ...expected, format: { type: 'text' } });
  });

  it.each([['http://example.com/x'], ['s3://lists'], ['ssm:']])('refuses %s', (arg) => {
    expect(() => sourceFromLocation(arg)).toThrow(SourceError);
  });
});

describe('readLocation (the CLI door)', () => {
  it('reads an https location with the same checks as a sync', async () => {
    server.routes.set('/cli.txt', serve(LIST));
    const read = await readLocation(`${server.origin}/cli.txt?sig=SECRET`, { https: { ca: server.ca } });
    expect([read.label, Buffer.from(read.bytes).toString()]).toEqual([`${server.origin}/cli.txt`, LIST]);
  });

  it('reads an s3 location through the given client and refuses an empty object', async () => {
    s3.putObject('lists', 'empty.txt', '');
    await expect(readLocation('s3://lists/empty.txt', { s3: s3.client })).rejects.toMatchObject({ reason: 'empty' });
  });
});
