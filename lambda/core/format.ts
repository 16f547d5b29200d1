/**
 * The source formats and their options: the `format` of a source in the RuntimeConfig and the `--format` of the CLI.
 * In a module of its own so that `allowlist-sync aggregate` validates a format without building every RuntimeConfig
 * schema (lambda/config re-exports it).
 *
 * Pure: no I/O.
 */
import * as z from 'zod';

/** How a source's bytes are read. */
export const FormatSchema = z.discriminatedUnion('type', [
  /** One address or prefix a line; `#` comments; blank lines; CRLF; a BOM. */
  z.strictObject({ type: z.literal('text') }),
  /** The project's own document: `{ version: 1, entries: [{ prefix, note?, owner?, expires? }] }`. */
  z.strictObject({ type: z.literal('allowlist') }),
  /** AWS `ip-ranges.json`, filtered by service and region (both families). */
  z.strictObject({
    type: z.literal('aws-ip-ranges'),
    services: z.array(z.string().min(1)).min(1).optional(),
    regions: z.array(z.string().min(1)).min(1).optional(),
  }),
  /** Google `goog.json` / `cloud.json`. `scopes` filters cloud.json by scope (region). */
  z.strictObject({ type: z.literal('google'), scopes: z.array(z.string().min(1)).min(1).optional() }),
  /** GitHub `meta` API document, by the chosen keys (`hooks`, `actions`, …). */
  z.strictObject({ type: z.literal('github-meta'), keys: z.array(z.string().min(1)).min(1) }),
]);
/** A source format with its options. */
export type Format = z.infer<typeof FormatSchema>;
