/** Shared helpers of the source tests: allowlists from sources, signed documents, a pinned clock. */
import { type Allowlist, AllowlistSchema, type Source } from '../../lambda/config';
import { generateSigningKeys, signBytes } from '../../lambda/sources';

/** A fixed "now" for every source test: 2026-06-01T12:00:00Z. */
export const NOW = Date.parse('2026-06-01T12:00:00Z');

/** An allowlist named `partners` with these sources, a default policy and a placeholder target. */
export function allowlistOf(sources: unknown[], policy: Record<string, unknown> = {}): Allowlist {
  return AllowlistSchema.parse({
    name: 'partners',
    sources,
    policy,
    targets: [{ kind: 'prefix-lists', ipv4: 'pl-0123456789abcdef0' }],
    guardrails: {},
  });
}

/** One parsed source. */
export function sourceOf(value: unknown): Source {
  return allowlistOf([value]).sources[0]!;
}

/** A key pair made once per test file. */
export const keys = generateSigningKeys();
/** Another key pair, for "signed by the wrong key". */
export const otherKeys = generateSigningKeys();

/** An allowlist document with a serial and generatedAt, as bytes, and its signature by `privateKeyPem`. */
export function signedDoc(
  options: { serial?: number; generatedAt?: number; entries?: string[]; privateKeyPem?: string } = {},
): { body: Buffer; sig: string } {
  const doc = {
    version: 1,
    serial: options.serial ?? 7,
    generatedAt: new Date(options.generatedAt ?? NOW - 3_600_000).toISOString(),
    entries: (options.entries ?? ['52.94.76.0/22', '2a05:d018:400::/40']).map((prefix) => ({
      prefix,
      note: 'partner',
    })),
  };
  const body = Buffer.from(`${JSON.stringify(doc, null, 2)}\n`);
  return { body, sig: signBytes(body, options.privateKeyPem ?? keys.privateKeyPem) };
}
