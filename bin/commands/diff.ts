/**
 * `allowlist-sync diff OLD NEW`: what changing the list from OLD to NEW changes, by address. Both lists are read
 * exactly as a sync reads them (any location `validate` reads, the same format, parsing and policy flags), then
 * compared as address sets (lambda/core/list-diff.ts): the minimal prefixes added and removed with their entries'
 * notes and owners, and the address counts per family. A re-aggregation is no change.
 *
 * Exit codes like `plan`: 0 same addresses, 2 different, 1 error (nothing on stdout).
 */
import { parseArgs } from 'node:util';
import { type DiffPrefix, diffAllowlists, type ListDiff } from '../../lambda/core/list-diff';
import type { EntryNote } from '../../lambda/core/model';
import { buildFromArgs, POLICY_HELP, POLICY_OPTIONS, reportError, UsageError } from './args';
import { AWS_OPTIONS, awsHelp, awsSettingsFromFlags } from './aws-settings';
import { wantsJson } from './cli-error';
import { type Command, Exit, type Io } from './io';

/** At most this many rows in the Markdown table: a pull-request comment is capped at 65,536 characters. */
export const MARKDOWN_ROWS_MAX = 200;

const help = `Usage: allowlist-sync diff [options] OLD NEW

Compares two allowlists by address, each read exactly as a sync reads it (files, "-" for standard input,
s3://, https://, ssm:). Prints the minimal prefixes added ("+ PREFIX") and removed ("- PREFIX"), with the
note and owner of the entries behind them where the format carries them, then the addresses added and removed
per family. Two lists that admit the same addresses are the same (a /24 written as two /25s is no change).

Options:
${POLICY_HELP}
      --json                  print the difference as JSON (on an error: the JSON error object, see docs/cli-errors.md)
      --markdown              print a Markdown table (for a pull-request comment)
For s3:// and ssm: lists:
${awsHelp(30)}

Exit codes: 0 same addresses, 2 different, 1 error or bad usage (the problems on stderr; nothing on stdout, or with
--json the JSON error object).
`;

/** What `diff --json` prints. */
export interface DiffOutput extends ListDiff {
  readonly old: string;
  readonly new: string;
}

/** The `diff` command. */
export const command: Command = {
  name: 'diff',
  summary: 'compare two lists by address (exit 0 same, 2 different, 1 error)',
  async run(argv: string[], io: Io): Promise<number> {
    try {
      const { values, positionals } = parseArgs({
        args: argv,
        options: { ...POLICY_OPTIONS, ...AWS_OPTIONS, json: { type: 'boolean' }, markdown: { type: 'boolean' } },
        allowPositionals: true,
      });
      if (values.help) {
        io.stdout.write(help);
        return Exit.OK;
      }
      if (positionals.length !== 2) {
        throw new UsageError(`expected two lists, OLD and NEW; got ${positionals.length}`);
      }
      if (positionals[0] === '-' && positionals[1] === '-') {
        throw new UsageError('OLD and NEW are both "-": standard input can be only one of them');
      }
      if (values.json && values.markdown) throw new UsageError('--json and --markdown: choose one');
      const [oldArg, newArg] = positionals as [string, string];
      // Both are read and checked before anything is printed: a bad NEW leaves stdout empty.
      const aws = awsSettingsFromFlags(values);
      const before = await buildFromArgs([oldArg], values, io, aws);
      const after = await buildFromArgs([newArg], values, io, aws);
      const diff = diffAllowlists(before, after);
      const labels = { old: label(oldArg), new: label(newArg) };
      if (values.json) io.stdout.write(`${JSON.stringify({ ...labels, ...diff } satisfies DiffOutput, null, 2)}\n`);
      else if (values.markdown) io.stdout.write(renderMarkdown(labels, diff));
      else io.stdout.write(renderText(labels, diff));
      return diff.same ? Exit.OK : Exit.CHANGES;
    } catch (error) {
      return reportError('diff', error, io, wantsJson(argv));
    }
  },
};

function label(arg: string): string {
  return arg === '-' ? '<stdin>' : arg;
}

const n = (x: string) => BigInt(x).toLocaleString('en-US');

function noteText(notes: readonly EntryNote[]): string {
  return notes
    .map((x) => [x.note, x.owner !== undefined ? `owner: ${x.owner}` : undefined].filter(Boolean).join(', '))
    .join('; ');
}

/** The text form: `+ PREFIX  # note, owner: who` lines, then the counts per family. */
export function renderText(labels: { old: string; new: string }, diff: ListDiff): string {
  const line = (sign: string, p: DiffPrefix) => {
    const note = noteText(p.notes);
    return `${sign} ${p.prefix}${note ? `  # ${note}` : ''}`;
  };
  const a = diff.addresses;
  return `${[
    `--- ${labels.old}`,
    `+++ ${labels.new}`,
    ...diff.added.map((p) => line('+', p)),
    ...diff.removed.map((p) => line('-', p)),
    `IPv4: ${n(a.ipv4.added)} addresses added, ${n(a.ipv4.removed)} removed`,
    `IPv6: ${n(a.ipv6.added)} addresses added, ${n(a.ipv6.removed)} removed`,
    diff.same
      ? 'No change: both lists admit the same addresses.'
      : `Diff: ${diff.added.length} prefix(es) added, ${diff.removed.length} removed.`,
  ].join('\n')}\n`;
}

/** The Markdown form for a pull-request comment: a table of the prefixes, then the counts. */
export function renderMarkdown(labels: { old: string; new: string }, diff: ListDiff): string {
  const cell = (s: string) =>
    s
      .replace(/\\/g, '\\\\')
      .replace(/\|/g, '\\|')
      .replace(/[\r\n]+/g, ' ');
  const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
  const out = [`### Allowlist diff: ${code(labels.old)} → ${code(labels.new)}`, ''];
  if (diff.same) {
    out.push('No change: both lists admit the same addresses.');
    return `${out.join('\n')}\n`;
  }
  const rows = [...diff.added.map((p) => ['added', p] as const), ...diff.removed.map((p) => ['removed', p] as const)];
  out.push('| change | prefix | addresses | note | owner |', '|---|---|--:|---|---|');
  for (const [change, p] of rows.slice(0, MARKDOWN_ROWS_MAX)) {
    const notes = p.notes.flatMap((x) => (x.note !== undefined ? [x.note] : [])).join('; ');
    const owners = p.notes.flatMap((x) => (x.owner !== undefined ? [x.owner] : [])).join('; ');
    out.push(
      `| ${change === 'added' ? '+ added' : '− removed'} | ${code(p.prefix)} | ${n(p.addresses)} | ${cell(notes)} | ${cell(owners)} |`,
    );
  }
  if (rows.length > MARKDOWN_ROWS_MAX) {
    out.push('', `… and ${rows.length - MARKDOWN_ROWS_MAX} more row(s); run \`allowlist-sync diff\` for all of them.`);
  }
  const a = diff.addresses;
  out.push(
    '',
    `**${diff.added.length}** prefix(es) added, **${diff.removed.length}** removed. ` +
      `IPv4: +${n(a.ipv4.added)} / −${n(a.ipv4.removed)} addresses; IPv6: +${n(a.ipv6.added)} / −${n(a.ipv6.removed)}.`,
  );
  return `${out.join('\n')}\n`;
}
