/**
 * What `explain` prints: the answer's shape (which `--json` emits as is) and its text form, one block per address,
 * one paragraph per allowlist, entries with their place first so an operator can go straight to the line to edit.
 */
import type { EntryMeta, Explanation } from '../../lambda/core/explain';
import type { LiveFinding } from '../../lambda/core/explain-live';
import type { FamilyName } from '../../lambda/core/families';
import type { Cidr } from '../../lambda/core/prefix';

/** One target's live answer. */
export interface LiveAnswer extends LiveFinding {
  readonly kind: string;
  /** Present when the target does not take the query's family: the families it takes (docs/design.md P14). */
  readonly takes?: readonly FamilyName[];
}

/** A target whose `families` leave the query's family out. */
export interface LeftOutBy {
  /** Its index in the allowlist's `targets`. */
  readonly target: number;
  readonly kind: string;
  readonly families: readonly FamilyName[];
}

/** One allowlist's answer about one address. */
export interface AllowlistAnswer extends Explanation {
  readonly name: string;
  /** The targets that never hold the query because they do not take its family; absent when every target does. */
  readonly leftOutBy?: readonly LeftOutBy[];
  /** With `--live`: one answer per target, in config order. */
  readonly live?: readonly LiveAnswer[];
}

/** The answer about one address or prefix. */
export interface AddressReport {
  readonly query: Cidr;
  /** True when at least one selected allowlist admits every address of the query. */
  readonly admitted: boolean;
  readonly allowlists: readonly AllowlistAnswer[];
}

/** The text form of `explain`'s answers. */
export function renderExplainText(reports: readonly AddressReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    out.push(`${r.query}: ${r.admitted ? 'admitted' : 'NOT admitted'}`);
    for (const a of r.allowlists) out.push(...allowlistLines(a));
    out.push('');
  }
  const missing = reports.filter((r) => !r.admitted).map((r) => r.query);
  out.push(
    missing.length === 0
      ? `Every address is admitted by at least one allowlist.`
      : `Not admitted by any selected allowlist: ${missing.join(', ')}.`,
  );
  return `${out.join('\n')}\n`;
}

function allowlistLines(a: AllowlistAnswer): string[] {
  const lines: string[] = [];
  const live = a.entries.filter((e) => !e.expired);
  if (a.admitted === 'no') {
    lines.push(`  ${a.name}: not admitted`);
  } else {
    const how = a.admitted === 'yes' ? 'admitted' : 'partly admitted';
    lines.push(
      `  ${a.name}: ${how} by ${live.length} entr${live.length === 1 ? 'y' : 'ies'}; targets hold ${a.held.join(', ')}`,
    );
  }
  for (const e of a.entries) {
    const what = e.expired ? 'expired, left out' : e.covers === 'whole' ? 'covers it' : 'covers part';
    lines.push(`    ${e.where}  ${e.prefix}  (${what})${meta(e)}`);
  }
  // Nearest is empty for an address nothing admits only when the allowlist has no entry of its family at all.
  if (a.admitted === 'no' && a.nearest.length === 0 && live.length === 0)
    lines.push('    no entries of this address family in force');
  if (a.nearest.length > 0) {
    lines.push('    nearest entries:');
    for (const x of a.nearest) {
      const away = x.distance === '0' ? 'overlaps' : `${BigInt(x.distance).toLocaleString('en-US')} address(es) away`;
      lines.push(`      ${x.where}  ${x.prefix}  (${away}; ${x.commonPrefix} would hold both)${meta(x)}`);
    }
  }
  for (const t of a.leftOutBy ?? []) {
    lines.push(`    left out by targets[${t.target}] (${t.kind}): it takes ${t.families.join(', ')} only`);
  }
  for (const t of a.live ?? []) lines.push(...liveLines(t));
  return lines;
}

function liveLines(t: LiveAnswer): string[] {
  const now = { yes: 'admits it now', partly: 'admits part of it now', no: 'does not admit it now' }[t.admits];
  const takes = t.takes ? `; it takes ${t.takes.join(', ')} only, so this family is left out here` : '';
  const lines = [`    live ${t.targetId}: ${now}${takes}`];
  for (const m of t.matches) {
    const rule = m.ruleId ? ` rule ${m.ruleId}` : '';
    const ports = m.ports ? ` ${m.ports}` : '';
    lines.push(
      `      ${m.resource}${rule}${ports} ${m.cidr} (${m.ours ? 'ours' : 'drift: not written by allowlist-sync'})`,
    );
  }
  const next = [...t.nextApply.add.map((c) => `adds ${c}`), ...t.nextApply.remove.map((c) => `removes ${c}`)];
  lines.push(`      next apply: ${next.length === 0 ? 'no change for this address' : next.join(', ')}`);
  return lines;
}

function meta(e: EntryMeta): string {
  const parts = [
    e.note !== undefined ? `note: ${e.note}` : undefined,
    e.owner !== undefined ? `owner: ${e.owner}` : undefined,
    e.expires !== undefined ? `expires: ${e.expires}` : undefined,
  ].filter(Boolean);
  return parts.length > 0 ? `  ${parts.join('; ')}` : '';
}
