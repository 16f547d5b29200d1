import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInput } from '../../bin/commands/args';
import { serve, startTestServer, type TestServer } from './https-server';

const io = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {} };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.close());

describe('the CLI reads remote locations with the sync checks', () => {
  it('refuses an http:// location', async () => {
    await expect(readInput('http://lists.example.com/a.txt', io)).rejects.toMatchObject({ reason: 'not-https' });
  });

  it('checks the certificate of an https:// location (this one is self-signed, so it is refused)', async () => {
    server.routes.set('/a.txt', serve('52.94.76.0/22\n'));
    await expect(readInput(`${server.origin}/a.txt`, io)).rejects.toMatchObject({ name: 'SourceError', reason: 'tls' });
    expect(server.requests).toHaveLength(0);
  });

  it('still reads a local file as before', async () => {
    const read = await readInput(__filename, io);
    expect(read.label).toBe(__filename);
  });
});
