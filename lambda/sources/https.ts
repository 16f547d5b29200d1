/**
 * HTTPS transport on node:https, bounded (connect, idle and total time, size) and strict about where it goes: the URL
 * comes only from the config, certificates are checked, and a redirect is followed only to the same host over https
 * (at most `maxRedirects`). A redirect elsewhere (another host, plain http, an IP literal such as the instance
 * metadata endpoint 169.254.169.254) is refused, naming the Location: a source must not be able to steer the function
 * at internal endpoints.
 */
import type { IncomingMessage } from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { budgetExceeded, readBody } from './body';
import { SourceError } from './errors';
import type { FetchLimits } from './limits';
import { redactUrl } from './location';
import type { Conditional, TransportResult } from './transport';

/** How to fetch one HTTPS source. */
export interface HttpsFetchOptions {
  readonly limits: FetchLimits;
  readonly maxBytes: number;
  readonly signal: AbortSignal;
  /** Extra trusted CA certificates (PEM); tests pass their self-signed one. The system store is always used too. */
  readonly ca?: string | Buffer;
  readonly conditional?: Conditional;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** GETs an https URL within the limits; throws {@link SourceError} for every failure. */
export async function fetchHttps(url: string, options: HttpsFetchOptions): Promise<TransportResult> {
  const label = redactUrl(url);
  const start = checkUrl(url, label);
  let current = start;
  for (let hop = 0; ; hop++) {
    const response = await request(current, label, options);
    const status = response.statusCode ?? 0;
    if (REDIRECTS.has(status)) {
      response.destroy();
      const location = response.headers.location ?? '';
      if (hop >= options.limits.maxRedirects) {
        throw new SourceError(
          label,
          'too-many-redirects',
          `more than ${options.limits.maxRedirects} redirects (last Location: ${redactUrl(location)})`,
          'point the source at the final URL',
        );
      }
      current = checkRedirect(start, current, location, label);
      continue;
    }
    const validators = {
      ...header(response, 'etag', 'etag'),
      ...header(response, 'last-modified', 'lastModified'),
    };
    if (status === 304 && options.conditional) {
      response.destroy();
      return { notModified: true, ...validators };
    }
    if (status !== 200) {
      response.destroy();
      throw new SourceError(
        label,
        'http-status',
        `HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`,
        status >= 500 ? 'the server failed: retry later or fix the server' : 'check the URL and its access rules',
      );
    }
    const encoding = response.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') {
      response.destroy();
      throw new SourceError(
        label,
        'bad-encoding',
        `Content-Encoding ${encoding} though only identity was accepted`,
        'serve the list uncompressed',
      );
    }
    const lengthHeader = response.headers['content-length'];
    const bytes = await readBody(response, {
      source: label,
      maxBytes: options.maxBytes,
      idleTimeoutMs: options.limits.idleTimeoutMs,
      signal: options.signal,
      ...(lengthHeader !== undefined ? { expectedLength: Number(lengthHeader) } : {}),
      destroy: () => response.destroy(),
    });
    return { notModified: false, bytes, ...validators };
  }
}

function header<K extends string>(response: IncomingMessage, name: string, key: K): Partial<Record<K, string>> {
  const value = response.headers[name];
  return typeof value === 'string' ? ({ [key]: value } as Record<K, string>) : {};
}

/** Validates the configured URL: https, a host, and not a link-local or unspecified address. */
function checkUrl(text: string, label: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SourceError(label, 'bad-location', `"${label}" is not a URL`, 'write an absolute https:// URL');
  }
  if (url.protocol !== 'https:') {
    throw new SourceError(label, 'not-https', `the scheme is ${url.protocol}`, 'serve the list over https');
  }
  if (url.username || url.password) {
    throw new SourceError(
      label,
      'bad-location',
      'the URL carries credentials',
      'do not put credentials in the URL (they would be logged)',
    );
  }
  if (isForbiddenHost(url.hostname)) {
    throw new SourceError(
      label,
      'bad-location',
      `${url.hostname} is a link-local or unspecified address (instance metadata lives there)`,
      'use the public name of the list server',
    );
  }
  return url;
}

function checkRedirect(start: URL, current: URL, location: string, label: string): URL {
  const shown = redactUrl(location);
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    throw new SourceError(label, 'redirect-refused', `Location: ${shown} is not a URL`, 'fix the server');
  }
  if (next.protocol !== 'https:' || next.host !== start.host || next.username || next.password) {
    throw new SourceError(
      label,
      'redirect-refused',
      `Location: ${redactUrl(next.href)} (only https redirects to ${start.host} are followed)`,
      'point the source at the final URL, on the same host',
    );
  }
  return next;
}

/** 169.254.0.0/16, fe80::/10, the EC2 IPv6 metadata address, and unspecified addresses. */
function isForbiddenHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const family = isIP(host);
  if (family === 4) return host.startsWith('169.254.') || host === '0.0.0.0';
  if (family === 6) return /^fe[89ab]/.test(host) || host === '::' || host === 'fd00:ec2::254';
  return false;
}

// Building a context parses every root certificate (~100 ms); one per extra CA is enough.
const contexts = new Map<string, SecureContext>();
function contextWith(ca: string | Buffer): SecureContext {
  const key = ca.toString();
  let context = contexts.get(key);
  if (!context) {
    context = createSecureContext({ ca: [...rootCertificates, key] });
    contexts.set(key, context);
  }
  return context;
}

function request(url: URL, label: string, options: HttpsFetchOptions): Promise<IncomingMessage> {
  const { signal, limits, conditional } = options;
  return new Promise<IncomingMessage>((resolve, reject) => {
    if (signal.aborted) return reject(budgetExceeded(label, signal));
    const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'allowlist-sync' };
    if (conditional?.etag) headers['if-none-match'] = conditional.etag;
    if (conditional?.lastModified) headers['if-modified-since'] = conditional.lastModified;
    const req = https.request(url, {
      method: 'GET',
      headers,
      // A fresh connection per request: pooled sockets would skip the connect phase the timer measures.
      agent: false,
      ...(options.ca !== undefined ? { secureContext: contextWith(options.ca) } : {}),
    });
    let settled = false;
    const fail = (error: SourceError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      req.destroy();
      reject(error);
    };
    const onAbort = () => fail(budgetExceeded(label, signal));
    signal.addEventListener('abort', onAbort, { once: true });
    let timer = setTimeout(
      () =>
        fail(
          new SourceError(
            label,
            'timeout',
            `no TLS connection within ${limits.connectTimeoutMs} ms`,
            'check the host is reachable from the function (VPC egress, DNS), or raise limits.connectTimeoutMs',
          ),
        ),
      limits.connectTimeoutMs,
    );
    req.on('socket', (socket) => {
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        timer = setTimeout(
          () =>
            fail(
              new SourceError(
                label,
                'timeout',
                `no response headers within ${limits.idleTimeoutMs} ms`,
                'check the server is healthy, or raise limits.idleTimeoutMs',
              ),
            ),
          limits.idleTimeoutMs,
        );
      });
    });
    req.on('response', (response) => {
      if (settled) return void response.destroy();
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(response);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      const tls = /CERT|SELF_SIGNED|TLS|SSL|HOSTNAME|ALTNAME/i.test(`${error.code ?? ''} ${error.message}`);
      fail(
        new SourceError(
          label,
          tls ? 'tls' : 'unreachable',
          `${error.code ?? 'error'}: ${error.message}`,
          tls
            ? 'serve a certificate that a public CA issued for this host name'
            : 'check the host name, its DNS and the network path from the function',
          { cause: error },
        ),
      );
    });
    req.end();
  });
}
