/**
 * `allowlist-sync sign` and `allowlist-sync keygen`: what a publisher needs to feed a source that pins an Ed25519
 * public key. `keygen` writes a key pair; `sign` writes the detached signature (base64) of a list's exact bytes, and
 * with `--stamp` first sets the document's `serial` (previous + 1, or `--serial N`) and `generatedAt` (now), which is
 * what a sync checks to refuse replays and stale lists. Thin: the crypto is lambda/sources/integrity.ts.
 */
import { constants } from 'node:fs';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateSigningKeys, readSignedHeader, signBytes, stampDocument } from '../../lambda/sources/integrity';
import { type Command, Exit, type Io } from './io';

const signUsage = `Usage: allowlist-sync sign --key PRIVATE.pem FILE [--out FILE.sig] [--stamp] [--serial N]

Writes the Ed25519 signature of FILE's exact bytes (base64) to FILE.sig, or --out.
  --stamp       first rewrite FILE's "serial" to the previous serial + 1 and "generatedAt" to now
  --serial N    with --stamp: set the serial to N instead (it must not be lower than the last applied one)
Publish FILE and FILE.sig together (FILE.sig next to FILE, or where integrity.signatureLocation says).
`;

const keygenUsage = `Usage: allowlist-sync keygen --out-dir DIR

Writes an Ed25519 key pair: DIR/private.pem (keep it secret; mode 0600) and DIR/public.pem (paste it into the
source's integrity.ed25519PublicKey). Refuses to overwrite existing keys.
`;

/** `allowlist-sync sign`. */
export const signCommand: Command = {
  name: 'sign',
  summary: 'sign a list with an Ed25519 key, for sources that pin a public key',
  async run(argv: string[], io: Io): Promise<number> {
    let values: { key?: string; out?: string; stamp?: boolean; serial?: string; help?: boolean };
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          key: { type: 'string' },
          out: { type: 'string' },
          stamp: { type: 'boolean' },
          serial: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      }));
    } catch (error) {
      return fail(io, `${(error as Error).message}\n\n${signUsage}`);
    }
    if (values.help) {
      io.stdout.write(signUsage);
      return Exit.OK;
    }
    const file = positionals[0];
    if (!values.key || !file || positionals.length > 1) return fail(io, signUsage);
    if (values.serial !== undefined && !values.stamp) return fail(io, '--serial needs --stamp');
    const serial = values.serial === undefined ? undefined : Number(values.serial);
    if (serial !== undefined && (!Number.isSafeInteger(serial) || serial < 0 || !/^\d+$/.test(values.serial ?? ''))) {
      return fail(io, `--serial must be an integer ≥ 0, not "${values.serial}"`);
    }
    try {
      const privateKey = await readFile(values.key, 'utf8');
      let bytes: Buffer = await readFile(file);
      if (values.stamp) {
        const stamped = stampDocument(bytes.toString('utf8'), new Date(), serial);
        bytes = Buffer.from(stamped.text);
        await writeFile(file, bytes);
      }
      const signature = signBytes(bytes, privateKey);
      const out = values.out ?? `${file}.sig`;
      await writeFile(out, signature);
      const header = safeHeader(file, bytes);
      io.stdout.write(
        `signed ${file} (${bytes.byteLength} bytes${header ? `, serial ${header.serial}, generatedAt ${new Date(header.generatedAt).toISOString()}` : ''}) → ${out}\n`,
      );
      return Exit.OK;
    } catch (error) {
      return fail(io, (error as Error).message);
    }
  },
};

/** `allowlist-sync keygen`. */
export const keygenCommand: Command = {
  name: 'keygen',
  summary: 'make an Ed25519 key pair for signing',
  async run(argv: string[], io: Io): Promise<number> {
    let values: { 'out-dir'?: string; help?: boolean };
    try {
      ({ values } = parseArgs({
        args: argv,
        options: { 'out-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      }));
    } catch (error) {
      return fail(io, `${(error as Error).message}\n\n${keygenUsage}`);
    }
    if (values.help) {
      io.stdout.write(keygenUsage);
      return Exit.OK;
    }
    const dir = values['out-dir'];
    if (!dir) return fail(io, keygenUsage);
    const privatePath = join(dir, 'private.pem');
    const publicPath = join(dir, 'public.pem');
    for (const path of [privatePath, publicPath]) {
      if (await exists(path)) return fail(io, `${path} exists; refusing to overwrite a key (move it away first)`);
    }
    try {
      await mkdir(dir, { recursive: true });
      const { publicKeyPem, privateKeyPem } = generateSigningKeys();
      await writeFile(privatePath, privateKeyPem, { mode: 0o600, flag: 'wx' });
      await writeFile(publicPath, publicKeyPem, { flag: 'wx' });
      io.stdout.write(
        `wrote ${privatePath} (secret) and ${publicPath}\nPin the public key in the source's config:\n  "integrity": { "ed25519PublicKey": ${JSON.stringify(publicKeyPem)} }\n`,
      );
      return Exit.OK;
    } catch (error) {
      return fail(io, (error as Error).message);
    }
  },
};

function safeHeader(file: string, bytes: Uint8Array) {
  try {
    return readSignedHeader(file, bytes);
  } catch {
    // Not an allowlist document: still signed, but a sync pinning a key will refuse it; say nothing here.
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

function fail(io: Io, message: string): number {
  io.stderr.write(`allowlist-sync: ${message.endsWith('\n') ? message : `${message}\n`}`);
  return Exit.ERROR;
}
