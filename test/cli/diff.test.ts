import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ensureBuilt } from './built-cli';

let dir = '';
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const doc = (entries: object[]) => JSON.stringify({ version: 1, entries });

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'diff-'));
}, 120_000);

describe('allowlist-sync diff (built CLI)', () => {
  it('exits 0 for a re-aggregation: the same addresses written differently', () => {
    const run = cli(['diff', file('a.txt', '11.0.0.0/24\n'), file('b.txt', '11.0.0.128/25\n11.0.0.0/25 # split\n')]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('No change: both lists admit the same addresses.');
    expect(run.stdout).not.toMatch(/^[+-] /m);
  });

  it('exits 2 with + and - lines carrying note and owner, then the addresses per family', () => {
    const old = file(
      'old.json',
      doc([{ prefix: '11.22.33.0/24', note: 'Initech', owner: 'dave' }, { prefix: '2a00:1450::/32' }]),
    );
    const next = file(
      'new.json',
      doc([{ prefix: '81.2.69.128/25', note: 'Globex', owner: 'carol' }, { prefix: '2a00:1450::/32' }]),
    );
    const run = cli(['diff', '--format', 'allowlist', old, next]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(2);
    expect(run.stdout).toBe(
      [
        `--- ${old}`,
        `+++ ${next}`,
        '+ 81.2.69.128/25  # Globex, owner: carol',
        '- 11.22.33.0/24  # Initech, owner: dave',
        'IPv4: 128 addresses added, 256 removed',
        'IPv6: 0 addresses added, 0 removed',
        'Diff: 1 prefix(es) added, 1 removed.',
        '',
      ].join('\n'),
    );
  });

  it('prints the difference as JSON with --json', () => {
    const run = cli(['diff', '--json', file('j1.txt', '11.0.0.0/24\n'), '-'], '11.0.0.0/25\n2a00::/32\n');
    expect(run.status).toBe(2);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({
      new: '<stdin>',
      same: false,
      added: [{ prefix: '2a00::/32', addresses: (1n << 96n).toString(), notes: [] }],
      removed: [{ prefix: '11.0.0.128/25', addresses: '128', notes: [] }],
      addresses: { ipv4: { added: '0', removed: '128' }, ipv6: { added: (1n << 96n).toString(), removed: '0' } },
    });
  });

  it('prints a Markdown table for a pull-request comment, escaping | in notes', () => {
    const old = file('m1.json', doc([{ prefix: '11.22.33.0/24', note: 'Initech', owner: 'dave' }]));
    const next = file('m2.json', doc([{ prefix: '81.2.69.128/25', note: 'Globex | DC', owner: 'carol' }]));
    const run = cli(['diff', '--markdown', '-f', 'allowlist', old, next]);
    expect(run.status).toBe(2);
    expect(run.stdout).toContain('| change | prefix | addresses | note | owner |\n|---|---|--:|---|---|\n');
    expect(run.stdout).toContain('| + added | `81.2.69.128/25` | 128 | Globex \\| DC | carol |\n');
    expect(run.stdout).toContain('| − removed | `11.22.33.0/24` | 256 | Initech | dave |\n');
    const same = cli(['diff', '--markdown', '-f', 'allowlist', old, old]);
    expect(same.status).toBe(0);
    expect(same.stdout).toContain('No change: both lists admit the same addresses.');
  });

  it.each([
    ['a malformed NEW names its line', ['OLD', 'BAD'], /bad\.txt:2: "10\.1" is not an IPv4 address/],
    ['a policy violation names its line', ['OLD', 'BROAD'], /broad\.txt:1: .*11\.0\.0\.0\/8/],
    ['one list only', ['OLD'], /expected two lists, OLD and NEW; got 1/],
    ['stdin twice', ['-', '-'], /standard input can be only one of them/],
    ['a missing file', ['OLD', 'MISSING'], /cannot read .*missing\.txt/],
  ])('exits 1 with nothing on stdout for %s', (_, args, message) => {
    const paths: Record<string, string> = {
      OLD: file('ok.txt', '11.0.0.0/24\n'),
      BAD: file('bad.txt', '11.0.0.0/24\n10.1\n'),
      BROAD: file('broad.txt', '11.0.0.0/8\n'),
      MISSING: path.join(dir, 'missing.txt'),
    };
    const run = cli(['diff', ...args.map((a) => paths[a] ?? a)]);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });

  it('answers --json with --markdown with the JSON error object (exit 1), as every --json error', () => {
    const run = cli(['diff', '--json', '--markdown', file('ok.txt', '11.0.0.0/24\n'), file('ok.txt', '11.0.0.0/24\n')]);
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { command: 'diff', kind: 'usage' }, exitCode: 1 });
    expect(run.stderr).toMatch(/choose one/);
  });

  it('has --help', () => {
    const run = cli(['diff', '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: allowlist-sync diff \[options\] OLD NEW/);
  });
});
