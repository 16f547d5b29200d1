import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { keygenCommand, signCommand } from '../../bin/commands/sign';
import { fetchSource, parsePublicKey, readSignedHeader, SourceCache } from '../../lambda/sources';
import { checkSignature } from '../../lambda/sources/integrity';
import { sourceOf } from './helpers';

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const text = { out: '', err: '' };
  stdout.on('data', (d) => {
    text.out += String(d);
  });
  stderr.on('data', (d) => {
    text.err += String(d);
  });
  return { io: { stdout, stderr, stdin: new PassThrough(), env: {} }, text };
}

const DOC = { version: 1, serial: 41, generatedAt: '2020-01-01T00:00:00Z', entries: [{ prefix: '52.94.76.0/22' }] };

describe('allowlist-sync keygen and sign', () => {
  it('makes a key pair, stamps and signs a document that a pinned-key file source then accepts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sign-'));
    const k = io();
    expect(await keygenCommand.run(['--out-dir', dir], k.io)).toBe(0);
    expect(statSync(join(dir, 'private.pem')).mode & 0o777).toBe(0o600);
    const file = join(dir, 'list.json');
    writeFileSync(file, JSON.stringify(DOC));
    const s = io();
    const before = Date.now();
    expect(await signCommand.run(['--key', join(dir, 'private.pem'), '--stamp', file], s.io)).toBe(0);
    const header = readSignedHeader(file, readFileSync(file));
    expect(header.serial).toBe(42);
    expect(header.generatedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(s.text.out).toContain('serial 42');
    const publicKey = readFileSync(join(dir, 'public.pem'), 'utf8');
    const source = sourceOf({
      kind: 'file',
      path: file,
      format: { type: 'allowlist' },
      integrity: { ed25519PublicKey: publicKey },
    });
    const fetched = await fetchSource(source, { now: () => Date.now(), cache: new SourceCache() });
    expect(fetched.provenance.serial).toBe(42);
  });

  it('sets the serial given with --serial and writes the signature where --out says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sign-'));
    await keygenCommand.run(['--out-dir', dir], io().io);
    const file = join(dir, 'list.json');
    writeFileSync(file, JSON.stringify(DOC));
    const out = join(dir, 'detached.sig');
    expect(
      await signCommand.run(
        ['--key', join(dir, 'private.pem'), '--stamp', '--serial', '100', '--out', out, file],
        io().io,
      ),
    ).toBe(0);
    const bytes = readFileSync(file);
    expect(readSignedHeader(file, bytes).serial).toBe(100);
    const key = parsePublicKey('t', readFileSync(join(dir, 'public.pem'), 'utf8'));
    expect(() => checkSignature('t', bytes, readFileSync(out), key)).not.toThrow();
  });

  it.each([
    [['--key', 'k.pem', '--serial', '3', 'x.json'], '--serial needs --stamp'],
    [['x.json'], 'Usage'],
    [['--key', 'k.pem', '--stamp', '--serial=-1', 'x.json'], 'integer'],
  ])('refuses %j', async (argv, message) => {
    const s = io();
    expect(await signCommand.run(argv, s.io)).toBe(1);
    expect(s.text.err).toContain(message);
  });

  it('refuses to overwrite an existing key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sign-'));
    await keygenCommand.run(['--out-dir', dir], io().io);
    const again = io();
    expect(await keygenCommand.run(['--out-dir', dir], again.io)).toBe(1);
    expect(again.text.err).toContain('refusing to overwrite');
  });
});
