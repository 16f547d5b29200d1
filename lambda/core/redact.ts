/**
 * Redaction of what a log line, a report or a change event may carry from a source's location or an error message:
 * URL query strings (pre-signed URLs and tokens live there), credentials in URLs, signature parameters, PEM blocks and
 * AWS access key ids. Pure.
 */

/** Returns a deep copy of `value` with every string passed through {@link redactText}. */
export function redact(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map(redact);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v)]));
  }
  return value;
}

const PATTERNS: readonly [RegExp, string][] = [
  // A URL's query string (pre-signed URLs and tokens live there): keep the scheme, host and path.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*)\?[^\s#"'<>]*/gi, '$1?[redacted]'],
  // user:password@ in a URL.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@"'<>]+@/gi, '$1[redacted]@'],
  // Signature-like parameters outside a URL.
  [
    /\b(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|AWSAccessKeyId|sig|token)=[^\s&"']+/gi,
    '$1=[redacted]',
  ],
  // PEM blocks (keys, certificates).
  [/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g, '[redacted PEM]'],
  // AWS access key ids.
  [/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, '[redacted key id]'],
];

/** Strips URL query strings, credentials in URLs, signature parameters, PEM blocks and AWS access key ids. */
export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
