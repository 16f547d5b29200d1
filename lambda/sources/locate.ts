/**
 * Turns a location written on a command line (or a signature location in the config) into a Source:
 * `s3://bucket/key[?versionId=…]`, `https://…`, `ssm:/name` (or `ssm:name`), anything else a local file path.
 * `http://` is refused here already: a list is never read in clear text.
 */
import type { Format, Source } from '../config';
import { SourceError } from './errors';

/** The Source a location names, read in `format`. */
export function sourceFromLocation(arg: string, format: Format = { type: 'text' }): Source {
  if (arg.startsWith('s3://')) {
    const rest = arg.slice('s3://'.length);
    const [path = '', query = ''] = rest.split('?', 2);
    const slash = path.indexOf('/');
    const bucket = slash < 0 ? path : path.slice(0, slash);
    const key = slash < 0 ? '' : path.slice(slash + 1);
    if (bucket.length < 3 || key.length === 0) {
      throw new SourceError(arg, 'bad-location', 'an S3 location needs a bucket and a key', 'write s3://BUCKET/KEY');
    }
    const versionId = new URLSearchParams(query).get('versionId');
    return { kind: 's3', bucket, key, ...(versionId ? { versionId } : {}), format };
  }
  if (/^https:\/\//i.test(arg)) return { kind: 'https', url: arg, format };
  if (/^http:\/\//i.test(arg)) {
    throw new SourceError(arg, 'not-https', 'the scheme is http:', 'serve the list over https');
  }
  if (arg.startsWith('ssm:')) {
    const name = arg.slice('ssm:'.length);
    if (name.length === 0) {
      throw new SourceError(arg, 'bad-location', 'an SSM location needs a parameter name', 'write ssm:/NAME');
    }
    return { kind: 'ssm', name, format };
  }
  return { kind: 'file', path: arg, format };
}

/** True when `arg` names a remote location (S3, HTTPS, SSM) rather than a local file. */
export function isRemoteLocation(arg: string): boolean {
  return /^(s3:\/\/|https?:\/\/|ssm:)/i.test(arg);
}
