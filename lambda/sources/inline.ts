/**
 * Inline source: entries written in the config itself, parsed as the text format with the same strict rules as any
 * other source. The bytes are exactly those `buildAllowlist`'s `inlineInput` makes, so the CLI and the function hash
 * an inline list the same way.
 */
import { inlineInput } from '../core/allowlist';
import type { TransportResult } from './transport';

/** The inline entries as text-format bytes. */
export function fetchInline(entries: readonly string[]): TransportResult {
  return { notModified: false, bytes: inlineInput(entries).bytes };
}
