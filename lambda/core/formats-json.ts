/**
 * The JSON formats: the project's own structured allowlist document, AWS `ip-ranges.json`, Google
 * `goog.json`/`cloud.json` and GitHub's `meta` document. Each entry's origin is its JSON path
 * (`prefixes[12].ip_prefix`), so every error points at it; a document that is not JSON, or not the expected shape,
 * fails as a whole with the position or the field named.
 *
 * Pure: no I/O, no clock (expiry is judged against the `now` passed in).
 */
import * as z from 'zod';
import { EntryBuffer } from './entries';
import { type Origin, ParseError, type Problem } from './errors';
import type { DatedEntry } from './expiry';
import {
  type ExpiredEntry,
  type ParsedSource,
  type ParseOptions,
  ProblemList,
  pushPrefixText,
  shown,
} from './formats-common';
import type { EntryNote } from './model';
import { type Cidr, type Family, formatScratch } from './prefix';

/** The JSON formats' schemas. */
function buildSchemas() {
  /** RFC 3339 date-time with a `Z` or numeric offset. */
  const rfc3339 = z.iso.datetime({
    offset: true,
    message: 'expected an RFC 3339 date-time, e.g. 2026-01-31T00:00:00Z',
  });
  return {
    /** The project's own structured allowlist document (format `allowlist`). Unknown fields are errors. */
    document: z.strictObject({
      version: z.literal(1),
      /** Increases with every published version; signed sources refuse a serial that goes backwards. */
      serial: z.int().min(0).optional(),
      /** When the document was generated (RFC 3339). */
      generatedAt: rfc3339.optional(),
      entries: z.array(
        z.strictObject({
          /** An IPv4 or IPv6 address or prefix. */
          prefix: z.string().min(1),
          /** Why the entry is there; carried to rule descriptions. */
          note: z.string().max(255).optional(),
          /** Who asked for it. */
          owner: z.string().max(255).optional(),
          /** From this instant on the entry is left out (RFC 3339). */
          expires: rfc3339.optional(),
        }),
      ),
    }),
    // Providers' feeds: fields beyond these are accepted and not copied (z.object strips; z.looseObject would copy
    // every unknown field of every entry, ~10 ms more on ip-ranges.json).
    aws: z.object({
      prefixes: z.array(z.object({ ip_prefix: z.string(), region: z.string(), service: z.string() })),
      ipv6_prefixes: z
        .array(z.object({ ipv6_prefix: z.string(), region: z.string(), service: z.string() }))
        .default([]),
    }),
    google: z.object({
      prefixes: z.array(
        z.object({
          ipv4Prefix: z.string().optional(),
          ipv6Prefix: z.string().optional(),
          scope: z.string().optional(),
        }),
      ),
    }),
    github: z.record(z.string(), z.unknown()),
  };
}

type Schemas = ReturnType<typeof buildSchemas>;
let built: Schemas | undefined;

/** The JSON formats' schemas, built on first use: a plain-text list never pays for them at start-up. */
function schemas(): Schemas {
  built ??= buildSchemas();
  return built;
}

/** The zod schema of the structured allowlist document (format `allowlist`). */
export function allowlistDocumentSchema(): Schemas['document'] {
  return schemas().document;
}

/** A structured allowlist document. */
export type AllowlistDocument = z.infer<Schemas['document']>;

const decoder = new TextDecoder('utf-8');
const NO_NOTES: ReadonlyMap<Cidr, EntryNote> = new Map<Cidr, EntryNote>();

/** Parses JSON text, or throws a {@link ParseError} that names the line and column where it broke. */
function parseJson(label: string, bytes: Uint8Array): unknown {
  const text = decoder.decode(bytes); // drops a UTF-8 BOM
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const match = /position (\d+)/.exec(message);
    const ended = endsEarly(message, text.length);
    const position = match ? Number(match[1]) : ended ? text.length : locateJsonError(text);
    const before = text.slice(0, position);
    const line = before.split('\n').length;
    const column = position - before.lastIndexOf('\n');
    const truncated = !ended ? '' : ' (the document ends too early: is it truncated?)';
    throw new ParseError(label, [
      {
        origin: { source: label, line },
        value: shown(text.slice(position, position + 40)),
        message: `not valid JSON at line ${line}, column ${column}: ${message.replace(/\r?\n/g, '\\n')}${truncated}`,
        code: 'json',
      },
    ]);
  }
}

/** True when a JSON.parse message says the text of this length ended too early (rather than held a bad token). */
function endsEarly(message: string, length: number): boolean {
  const match = /position (\d+)/.exec(message);
  return /end of JSON input/.test(message) || (match !== null && Number(match[1]) >= length);
}

/**
 * Where JSON.parse failed, when its message does not say (Node 20 often does not): the shortest prefix of the text
 * that fails for another reason than ending early ends just after the bad character. Binary search: error path only.
 */
function locateJsonError(text: string): number {
  const failsInside = (k: number): boolean => {
    try {
      JSON.parse(text.slice(0, k));
      return false;
    } catch (error) {
      return !endsEarly((error as Error).message, k);
    }
  };
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (failsInside(mid)) hi = mid;
    else lo = mid + 1;
  }
  return Math.max(0, lo - 1);
}

function jsonPath(path: readonly PropertyKey[]): string {
  return (
    path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('') || '(root)'
  );
}

/** Validates `value` with `schema`, or throws a {@link ParseError} with one problem per issue, at its JSON path. */
function shape<T>(label: string, schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = new ProblemList(label);
  for (const issue of result.error.issues) {
    const path = jsonPath(issue.path);
    problems.add({
      origin: { source: label, path },
      value: '',
      message: `${path}: ${issue.message} (expected ${what})`,
      code: 'shape',
    });
  }
  problems.throwIfAny();
  throw new Error('unreachable');
}

/** Checks that every filter value occurs in the document; names the values that do. */
function checkFilter(
  problems: ProblemList,
  label: string,
  path: string,
  field: string,
  wanted: readonly string[] | undefined,
  present: ReadonlySet<string>,
): void {
  if (!wanted) return;
  const all = [...present].sort();
  for (const value of wanted) {
    if (present.has(value)) continue;
    problems.add({
      origin: { source: label, path },
      value,
      message: `${field} "${value}" does not occur in this document; it has: ${all.join(', ') || '(none)'}`,
      code: 'filter',
    });
  }
}

/** Parses the structured allowlist document; expired entries are left out and listed. */
export function parseAllowlistDocument(label: string, bytes: Uint8Array, options: ParseOptions): ParsedSource {
  const doc = shape(label, schemas().document, parseJson(label, bytes), 'an allowlist document, version 1');
  const entries = new EntryBuffer(Math.max(16, doc.entries.length));
  const problems = new ProblemList(label);
  const notes = new Map<Cidr, EntryNote>();
  const expired: ExpiredEntry[] = [];
  const dated: DatedEntry[] = [];
  const now = options.now.getTime();
  const scratchBuffer = new EntryBuffer(1);
  const describe = (origin: number): Origin => ({ source: label, path: `entries[${origin}].prefix` });
  doc.entries.forEach((entry, i) => {
    // Parse into a scratch buffer first: an expired entry must still be well-formed, but it is not kept.
    scratchBuffer.v4Count = 0;
    scratchBuffer.v6Count = 0;
    const family = pushPrefixText(scratchBuffer, entry.prefix, i, describe, options, problems);
    if (family === 0) return;
    const cidr = formatScratch(family);
    if (entry.expires !== undefined && Date.parse(entry.expires) <= now) {
      expired.push({ prefix: cidr, where: `${label}:entries[${i}]`, expires: entry.expires });
      return;
    }
    entries.append(scratchBuffer);
    if (entry.expires !== undefined) {
      dated.push({
        prefix: cidr,
        expires: entry.expires,
        where: `${label}:entries[${i}]`,
        ...(entry.owner !== undefined ? { owner: entry.owner } : {}),
        ...(entry.note !== undefined ? { note: entry.note } : {}),
      });
    }
    if ((entry.note !== undefined || entry.owner !== undefined) && !notes.has(cidr)) {
      notes.set(cidr, {
        ...(entry.note !== undefined ? { note: entry.note } : {}),
        ...(entry.owner !== undefined ? { owner: entry.owner } : {}),
      });
    }
  });
  problems.throwIfAny();
  return {
    label,
    entries,
    describe,
    notes,
    expired,
    dated,
    ...(doc.serial !== undefined ? { serial: doc.serial } : {}),
    ...(doc.generatedAt !== undefined ? { generatedAt: doc.generatedAt } : {}),
  };
}

/** Filters of the `aws-ip-ranges` format. */
export interface AwsIpRangesFilter {
  readonly services?: readonly string[];
  readonly regions?: readonly string[];
}

/** Parses AWS `ip-ranges.json`, keeping the entries whose service and region pass the filters (both families). */
export function parseAwsIpRanges(
  label: string,
  bytes: Uint8Array,
  filter: AwsIpRangesFilter,
  options: ParseOptions,
): ParsedSource {
  const doc = shape(label, schemas().aws, parseJson(label, bytes), 'AWS ip-ranges.json');
  const problems = new ProblemList(label);
  const services = new Set<string>();
  const regions = new Set<string>();
  for (const p of [...doc.prefixes, ...doc.ipv6_prefixes]) {
    services.add(p.service);
    regions.add(p.region);
  }
  checkFilter(problems, label, 'prefixes[*].service', 'service', filter.services, services);
  checkFilter(problems, label, 'prefixes[*].region', 'region', filter.regions, regions);
  problems.throwIfAny();
  const wantService = filter.services ? new Set(filter.services) : undefined;
  const wantRegion = filter.regions ? new Set(filter.regions) : undefined;
  const keep = (p: { service: string; region: string }) =>
    (!wantService || wantService.has(p.service)) && (!wantRegion || wantRegion.has(p.region));
  const entries = new EntryBuffer(Math.max(16, doc.prefixes.length));
  const describe = (origin: number): Origin =>
    origin >= 0
      ? { source: label, path: `prefixes[${origin}].ip_prefix` }
      : { source: label, path: `ipv6_prefixes[${-1 - origin}].ipv6_prefix` };
  doc.prefixes.forEach((p, i) => {
    if (keep(p)) pushFamily(entries, p.ip_prefix, i, describe, 4, options, problems);
  });
  doc.ipv6_prefixes.forEach((p, i) => {
    if (keep(p)) pushFamily(entries, p.ipv6_prefix, -1 - i, describe, 6, options, problems);
  });
  return feed(label, entries, describe, problems);
}

/** Parses Google's `goog.json` or `cloud.json`; `scopes` keeps only the cloud.json entries of those scopes. */
export function parseGoogle(
  label: string,
  bytes: Uint8Array,
  scopes: readonly string[] | undefined,
  options: ParseOptions,
): ParsedSource {
  const doc = shape(label, schemas().google, parseJson(label, bytes), 'Google goog.json or cloud.json');
  const problems = new ProblemList(label);
  const present = new Set<string>();
  for (const p of doc.prefixes) if (p.scope !== undefined) present.add(p.scope);
  checkFilter(problems, label, 'prefixes[*].scope', 'scope', scopes, present);
  problems.throwIfAny();
  const want = scopes ? new Set(scopes) : undefined;
  const entries = new EntryBuffer(Math.max(16, doc.prefixes.length));
  const fieldOf = (i: number) => (doc.prefixes[i]?.ipv4Prefix !== undefined ? 'ipv4Prefix' : 'ipv6Prefix');
  const describe = (origin: number): Origin => ({ source: label, path: `prefixes[${origin}].${fieldOf(origin)}` });
  doc.prefixes.forEach((p, i) => {
    if (want && (p.scope === undefined || !want.has(p.scope))) return;
    if ((p.ipv4Prefix === undefined) === (p.ipv6Prefix === undefined)) {
      problems.add({
        origin: { source: label, path: `prefixes[${i}]` },
        value: shown(JSON.stringify(p)),
        message: `prefixes[${i}] must have exactly one of "ipv4Prefix" and "ipv6Prefix"`,
        code: 'shape',
      });
      return;
    }
    const text = (p.ipv4Prefix ?? p.ipv6Prefix)!;
    pushFamily(entries, text, i, describe, p.ipv4Prefix !== undefined ? 4 : 6, options, problems);
  });
  return feed(label, entries, describe, problems);
}

const KEY_SHIFT = 2 ** 20;

/** Parses GitHub's `meta` document, keeping the arrays of the chosen keys (`hooks`, `actions`, …). */
export function parseGithubMeta(
  label: string,
  bytes: Uint8Array,
  keys: readonly string[],
  options: ParseOptions,
): ParsedSource {
  const doc = shape(label, schemas().github, parseJson(label, bytes), 'the GitHub meta document (an object)');
  const problems = new ProblemList(label);
  // A key holds addresses when it is an array of strings; ssh_keys is one too, but holds keys, not addresses.
  const addressKeys = Object.keys(doc)
    .filter(
      (k) => k !== 'ssh_keys' && Array.isArray(doc[k]) && (doc[k] as unknown[]).every((v) => typeof v === 'string'),
    )
    .sort();
  for (const key of keys) {
    if (addressKeys.includes(key)) continue;
    problems.add({
      origin: { source: label, path: key },
      value: key,
      message: `key "${key}" is not a list of addresses in this document; the keys that are: ${addressKeys.join(', ') || '(none)'}`,
      code: 'filter',
    });
  }
  problems.throwIfAny();
  const entries = new EntryBuffer(256);
  const describe = (origin: number): Origin => ({
    source: label,
    path: `${keys[Math.floor(origin / KEY_SHIFT)]}[${origin % KEY_SHIFT}]`,
  });
  keys.forEach((key, k) => {
    (doc[key] as string[]).forEach((text, i) => {
      pushPrefixText(entries, text, k * KEY_SHIFT + i, describe, options, problems);
    });
  });
  return feed(label, entries, describe, problems);
}

/** A provider feed's entries (feeds carry no notes and no expiry), or every problem found in them at once. */
function feed(
  label: string,
  entries: EntryBuffer,
  describe: (origin: number) => Origin,
  problems: ProblemList,
): ParsedSource {
  problems.throwIfAny();
  return { label, entries, describe, notes: NO_NOTES, expired: [] };
}

/** Parses a prefix that must be of `family` (AWS and Google keep the families in separate fields). */
function pushFamily(
  entries: EntryBuffer,
  text: string,
  origin: number,
  describe: (origin: number) => Origin,
  family: Family,
  options: ParseOptions,
  problems: ProblemList,
): void {
  const looksV6 = text.includes(':');
  if (looksV6 !== (family === 6)) {
    const problem: Problem = {
      origin: describe(origin),
      value: shown(text),
      message: `"${shown(text)}" is an IPv${looksV6 ? 6 : 4} prefix in a field for IPv${family} prefixes`,
      code: 'family',
    };
    problems.add(problem);
    return;
  }
  pushPrefixText(entries, text, origin, describe, options, problems);
}
