/**
 * How a source is named in errors, logs and provenance. A location never carries a query string, a fragment or
 * credentials (docs/design.md P13): a pre-signed URL's signature or a token in `?key=` must not reach a log.
 */
import type { Source } from '../config';

/** The printable location of a source: `s3://bucket/key`, `https://host/path`, `ssm:/name`, `inline`, a path. */
export function locationOf(source: Source): string {
  switch (source.kind) {
    case 's3':
      return `s3://${source.bucket}/${source.key}`;
    case 'https':
      return redactUrl(source.url);
    case 'ssm':
      return `ssm:${source.name}`;
    case 'inline':
      return 'inline';
    case 'file':
      return source.path;
  }
}

/** A URL without user info, query string or fragment. Text that is not a URL is returned up to its first `?`. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return text.split(/[?#]/, 1)[0]!.replace(/\/\/[^/@]*@/, '//');
  }
}
