/**
 * Source formats: bytes in, parsed entries out. One entry point, {@link parseSource}, picks the parser for a
 * {@link Format} of the RuntimeConfig. Every parser is strict and all-or-nothing: a malformed source throws one
 * `ParseError` listing every bad entry (up to {@link MAX_PROBLEMS}) with its line or JSON path, never a partial list.
 *
 * Pure: no I/O, no clock (the caller passes `now`).
 */
import type { Format } from './format';
import type { ParsedSource, ParseOptions } from './formats-common';
import { parseAllowlistDocument, parseAwsIpRanges, parseGithubMeta, parseGoogle } from './formats-json';
import { parseText } from './formats-text';

export { type ExpiredEntry, MAX_PROBLEMS, type ParsedSource, type ParseOptions } from './formats-common';
export {
  type AllowlistDocument,
  allowlistDocumentSchema,
  parseAllowlistDocument,
  parseAwsIpRanges,
  parseGithubMeta,
  parseGoogle,
} from './formats-json';
export { parseText } from './formats-text';

/** Parses the bytes of one source in its format. Throws `ParseError` when anything in it is malformed. */
export function parseSource(label: string, bytes: Uint8Array, format: Format, options: ParseOptions): ParsedSource {
  switch (format.type) {
    case 'text':
      return parseText(label, bytes, options);
    case 'allowlist':
      return parseAllowlistDocument(label, bytes, options);
    case 'aws-ip-ranges':
      return parseAwsIpRanges(
        label,
        bytes,
        {
          ...(format.services ? { services: format.services } : {}),
          ...(format.regions ? { regions: format.regions } : {}),
        },
        options,
      );
    case 'google':
      return parseGoogle(label, bytes, format.scopes, options);
    case 'github-meta':
      return parseGithubMeta(label, bytes, format.keys, options);
  }
}
