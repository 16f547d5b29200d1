/**
 * Integrity of a source's bytes (docs/design.md P7): an expected SHA-256, or a detached Ed25519 signature by a pinned
 * public key over the exact bytes, on an `allowlist`-format document whose `serial` never goes backwards and whose
 * `generatedAt` is recent. The signature covers the serial and the time, so a replayed older document fails the
 * serial check and a withheld update fails the age check. Everything here is node:crypto; no I/O.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { SourceError } from './errors';

/** Hex SHA-256 of the bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Throws `bad-hash` unless the bytes hash to `expected`. */
export function checkSha256(label: string, bytes: Uint8Array, expected: string): string {
  const actual = sha256Hex(bytes);
  if (actual !== expected) {
    throw new SourceError(
      label,
      'bad-hash',
      `SHA-256 ${actual}, expected ${expected}`,
      'publish the expected bytes, or update integrity.sha256 if the list changed on purpose',
    );
  }
  return actual;
}

/** Parses a pinned Ed25519 public key: PEM (`-----BEGIN PUBLIC KEY-----`) or base64 of the SPKI DER. */
export function parsePublicKey(label: string, text: string): KeyObject {
  let key: KeyObject;
  try {
    key = text.includes('-----BEGIN')
      ? createPublicKey(text)
      : createPublicKey({ key: Buffer.from(text.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
  } catch (error) {
    throw new SourceError(
      label,
      'bad-key',
      `the pinned public key does not parse: ${(error as Error).message}`,
      'paste the PEM written by `allowlist-sync keygen` (public.pem)',
      { cause: error },
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new SourceError(
      label,
      'bad-key',
      `the pinned key is ${key.asymmetricKeyType ?? 'unknown'}, not ed25519`,
      'make an Ed25519 pair with `allowlist-sync keygen`',
    );
  }
  return key;
}

/** Throws `bad-signature` unless `signatureText` (base64) is a valid Ed25519 signature of `bytes` by `key`. */
export function checkSignature(label: string, bytes: Uint8Array, signatureText: Uint8Array, key: KeyObject): void {
  const text = Buffer.from(signatureText).toString('utf8').trim();
  const signature = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (signature.byteLength !== 64) {
    throw new SourceError(
      label,
      'bad-signature',
      `the signature is not 64 bytes of base64 (${signature.byteLength} bytes decoded)`,
      'publish the .sig file written by `allowlist-sync sign` next to the list',
    );
  }
  if (!verify(null, bytes, key, signature)) {
    throw new SourceError(
      label,
      'bad-signature',
      'the Ed25519 signature does not match the bytes and the pinned key',
      'sign the exact published bytes with the private key of the pinned public key (`allowlist-sync sign`)',
    );
  }
}

/** The signed fields of an `allowlist` document. */
export interface SignedHeader {
  readonly serial: number;
  /** Milliseconds since the epoch. */
  readonly generatedAt: number;
}

/** Reads `serial` and `generatedAt` from a (verified) `allowlist` JSON document. */
export function readSignedHeader(label: string, bytes: Uint8Array): SignedHeader {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new SourceError(
      label,
      'bad-document',
      `not JSON: ${(error as Error).message}`,
      'publish a valid allowlist document',
      {
        cause: error,
      },
    );
  }
  const record = (doc ?? {}) as { serial?: unknown; generatedAt?: unknown };
  const { serial, generatedAt } = record;
  if (typeof serial !== 'number' || !Number.isSafeInteger(serial) || serial < 0) {
    throw new SourceError(
      label,
      'bad-document',
      `a signed document needs an integer "serial" ≥ 0 (saw ${JSON.stringify(serial) ?? 'nothing'})`,
      'stamp it with `allowlist-sync sign --stamp`',
    );
  }
  const time = typeof generatedAt === 'string' ? Date.parse(generatedAt) : Number.NaN;
  if (!Number.isFinite(time) || !/^\d{4}-\d\d-\d\dT/.test(String(generatedAt))) {
    throw new SourceError(
      label,
      'bad-document',
      `a signed document needs an ISO 8601 "generatedAt" (saw ${JSON.stringify(generatedAt) ?? 'nothing'})`,
      'stamp it with `allowlist-sync sign --stamp`',
    );
  }
  return { serial, generatedAt: time };
}

/** What a signed document is checked against. */
export interface FreshnessRules {
  /** The serial last applied for this allowlist, if any. */
  readonly lastSerial: number | undefined;
  readonly now: number;
  readonly maxAgeSeconds: number;
  readonly clockSkewMs: number;
}

/**
 * Throws unless the document is not older than the last applied one (`serial-rollback`; an equal serial is the same
 * document re-applied), was generated within `maxAgeSeconds` (`stale`), and not in the future beyond the skew
 * (`future`).
 */
export function checkFreshness(label: string, header: SignedHeader, rules: FreshnessRules): void {
  if (rules.lastSerial !== undefined && header.serial < rules.lastSerial) {
    throw new SourceError(
      label,
      'serial-rollback',
      `serial ${header.serial} is older than the last applied serial ${rules.lastSerial} (a replayed or rolled-back list)`,
      `publish a list signed with serial ≥ ${rules.lastSerial} (\`allowlist-sync sign --stamp\` bumps it)`,
    );
  }
  const age = rules.now - header.generatedAt;
  if (age > rules.maxAgeSeconds * 1000) {
    throw new SourceError(
      label,
      'stale',
      `generated ${new Date(header.generatedAt).toISOString()}, ${Math.round(age / 1000)} s ago, over maxAgeSeconds ${rules.maxAgeSeconds}`,
      're-stamp and re-sign the list (`allowlist-sync sign --stamp`) on a schedule shorter than maxAgeSeconds',
    );
  }
  if (-age > rules.clockSkewMs) {
    throw new SourceError(
      label,
      'future',
      `generatedAt ${new Date(header.generatedAt).toISOString()} is ${Math.round(-age / 1000)} s in the future`,
      "fix the publisher's clock and re-stamp the list",
    );
  }
}

/** Signs bytes with an Ed25519 private key (PEM); returns the base64 signature with a trailing newline. */
export function signBytes(bytes: Uint8Array, privateKeyPem: string): string {
  return `${sign(null, bytes, privateKeyPem).toString('base64')}\n`;
}

/** A new Ed25519 key pair, PEM-encoded (PKCS#8 private, SPKI public). */
export function generateSigningKeys(): { publicKeyPem: string; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519', {
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

/**
 * Rewrites an `allowlist` JSON document's `serial` (to `serial`, or the document's own plus one) and `generatedAt`
 * (to `now`), keeping every other field. The publisher's one step before signing.
 */
export function stampDocument(text: string, now: Date, serial?: number): { text: string; serial: number } {
  const doc = JSON.parse(text) as Record<string, unknown>;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new Error('the document is not a JSON object');
  const previous = typeof doc.serial === 'number' && Number.isSafeInteger(doc.serial) ? doc.serial : 0;
  const next = serial ?? previous + 1;
  if (!Number.isSafeInteger(next) || next < 0) throw new Error(`--serial must be an integer ≥ 0, not ${next}`);
  const stamped = { ...doc, serial: next, generatedAt: now.toISOString() };
  return { text: `${JSON.stringify(stamped, null, 2)}\n`, serial: next };
}
