/**
 * The allowlist builder: every source's bytes in, the canonical aggregated set out. Parse every source (collecting
 * the problems of all of them), check the policy over all entries together, then aggregate. This is exactly what a
 * sync applies and what the CLI's `aggregate` and `validate` show, so what they accept is what would be applied.
 *
 * Pure: no I/O, no clock (the caller passes `now`).
 */

import { ParseError, type Problem } from './errors';
import type { DatedEntry } from './expiry';
import type { Format } from './format';
import { type ExpiredEntry, type ParsedSource, parseSource } from './formats';
import type { EntryNote } from './model';
import type { Policy } from './policy';
import { enforcePolicy, type PolicyRelaxations } from './policy';
import type { Cidr } from './prefix';
import { PrefixSet } from './prefix-set';

/** One source to build from. An `inline` source is label `inline`, its entries joined by "\n", format text. */
export interface AllowlistInput {
  readonly label: string;
  readonly bytes: Uint8Array;
  readonly format: Format;
}

/** Counts per family. */
export interface FamilyCounts {
  readonly 4: number;
  readonly 6: number;
}

/** The built allowlist: the set, its minimal CIDR lists, notes, counts and what was left out. */
export interface BuiltAllowlist {
  /** Every address the allowlist admits. */
  readonly set: PrefixSet;
  /** The minimal CIDR list per family, ascending (computed on first access: `aggregate` prints `set.toText()`). */
  readonly cidrs: { readonly 4: Cidr[]; readonly 6: Cidr[] };
  /** Notes and owners by canonical entry prefix (structured sources). */
  readonly notes: Map<Cidr, EntryNote>;
  readonly counts: {
    /** Entries read per family (expired entries not included). */
    readonly read: FamilyCounts;
    /** Prefixes after aggregation per family. */
    readonly prefixes: FamilyCounts;
    /** Entries left out because they expired. */
    readonly expired: number;
  };
  /** The entries left out because they expired. */
  readonly expired: ExpiredEntry[];
  /** The entries kept that carry an expiry (for expiry warnings: `findExpiring`). */
  readonly dated: DatedEntry[];
  /** The highest serial among structured sources. */
  readonly serial?: number;
  /** The latest generation time among structured sources. */
  readonly generatedAt?: string;
}

/** Options of {@link buildAllowlist} beyond the policy. */
export interface BuildOptions {
  /** CLI-only relaxations (never set by a sync). */
  readonly relax?: PolicyRelaxations;
}

/**
 * Parses, checks and aggregates the sources of one allowlist. Throws one `ParseError` for all malformed sources, or
 * a `PolicyError` listing every violation; otherwise returns the canonical set.
 */
export function buildAllowlist(
  inputs: ReadonlyArray<AllowlistInput>,
  policy: Policy,
  now: Date,
  options: BuildOptions = {},
): BuiltAllowlist {
  const parsed: ParsedSource[] = [];
  const errors: ParseError[] = [];
  for (const input of inputs) {
    try {
      parsed.push(parseSource(input.label, input.bytes, input.format, { maskHostBits: policy.maskHostBits, now }));
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    const problems: Problem[] = errors.flatMap((e) => e.problems);
    const source = errors.map((e) => e.source).join(', ');
    throw new ParseError(
      source,
      problems,
      errors.some((e) => e.truncated),
    );
  }
  enforcePolicy(
    parsed.map((p) => ({
      label: p.label,
      entries: p.entries,
      describe: p.describe,
      expiredCount: p.expired.length,
    })),
    policy,
    options.relax,
  );
  const set = PrefixSet.fromEntries(parsed.map((p) => p.entries));
  return assemble(set, parsed);
}

function assemble(set: PrefixSet, parsed: readonly ParsedSource[]): BuiltAllowlist {
  const notes = new Map<Cidr, EntryNote>();
  const expired: ExpiredEntry[] = [];
  const dated: DatedEntry[] = [];
  let read4 = 0;
  let read6 = 0;
  let serial: number | undefined;
  let generatedAt: string | undefined;
  for (const p of parsed) {
    read4 += p.entries.v4Count;
    read6 += p.entries.v6Count;
    for (const [cidr, note] of p.notes) if (!notes.has(cidr)) notes.set(cidr, note);
    expired.push(...p.expired);
    if (p.dated) dated.push(...p.dated);
    if (p.serial !== undefined && (serial === undefined || p.serial > serial)) serial = p.serial;
    if (
      p.generatedAt !== undefined &&
      (generatedAt === undefined || Date.parse(p.generatedAt) > Date.parse(generatedAt))
    )
      generatedAt = p.generatedAt;
  }
  let cidrs: { 4: Cidr[]; 6: Cidr[] } | undefined;
  // Counted on first use: counting splits every range into CIDRs, which `aggregate` does once more to print them.
  let prefixes: { 4: number; 6: number } | undefined;
  return {
    set,
    get cidrs() {
      cidrs ??= { 4: set.toCidrs(4), 6: set.toCidrs(6) };
      return cidrs;
    },
    notes,
    counts: {
      read: { 4: read4, 6: read6 },
      get prefixes() {
        prefixes ??= { 4: set.prefixCount(4), 6: set.prefixCount(6) };
        return prefixes;
      },
      expired: expired.length,
    },
    expired,
    dated,
    ...(serial !== undefined ? { serial } : {}),
    ...(generatedAt !== undefined ? { generatedAt } : {}),
  };
}

/** The bytes of an `inline` source: its entries joined by newlines, parsed as text with label `inline`. */
export function inlineInput(entries: readonly string[]): AllowlistInput {
  return { label: 'inline', bytes: new TextEncoder().encode(entries.join('\n')), format: { type: 'text' } };
}
