import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { docExample } from '../support/doc-examples';
import { cli, ensureBuilt, ROOT } from './built-cli';

const DATA = path.resolve(ROOT, 'test/fixtures/lists');

let dir = '';
function file(name: string, body: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, body);
  return p;
}

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'aggregate-'));
}, 120_000);

describe('allowlist-sync aggregate (built CLI)', () => {
  it('prints the canonical aggregate, IPv4 ascending then IPv6 ascending, one a line', () => {
    const a = file('a.txt', '# partners\n8.8.8.128/25\n2a00:1450:4001::/48\n8.8.8.0/25\n');
    const b = file('b.txt', '1.1.1.1\r\n2a00:1450:4000::/48\n8.8.8.7\n');
    const run = cli(['aggregate', a, b]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('1.1.1.1/32\n8.8.8.0/24\n2a00:1450:4000::/47\n');
    expect(run.status).toBe(0);
  });

  it('reads standard input for "-"', () => {
    const run = cli(['aggregate', '-'], '9.9.9.9\n9.9.9.8\n');
    expect(run.stdout).toBe('9.9.9.8/31\n');
    expect(run.status).toBe(0);
  });

  it('prints every bad line as FILE:LINE: message, exits 1, and prints nothing on stdout', () => {
    const bad = file('bad.txt', '8.8.8.8\n64.0.0.0/35\n10.1\n');
    const run = cli(['aggregate', bad]);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines.slice(0, 2)).toEqual([
      `${bad}:2: "64.0.0.0/35" is not a prefix: IPv4 prefix length is 0–32`,
      `${bad}:3: "10.1" is not an IPv4 address: it needs exactly four decimal parts (a.b.c.d); short forms like "10.1" are not accepted`,
    ]);
  });

  it('applies the sync policy, and relaxes it only by flag', () => {
    const priv = file('private.txt', '10.1.0.0/16\n8.8.8.0/24\n');
    const refused = cli(['aggregate', priv]);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`${priv}:1: "10.1.0.0/16" is inside 10.0.0.0/8, Private-Use (RFC 1918)`);
    const allowed = cli(['aggregate', '--allow-private', priv]);
    expect(allowed.stdout).toBe('8.8.8.0/24\n10.1.0.0/16\n');
  });

  it('refuses a comment-only list unless --allow-empty', () => {
    const empty = file('empty.txt', '# nothing yet\n');
    expect(cli(['aggregate', empty]).stderr).toContain('the allowlist is empty');
    const run = cli(['aggregate', '--allow-empty', empty]);
    expect([run.status, run.stdout]).toEqual([0, '']);
  });

  it.each([
    [['--format', 'aws-ip-ranges:service=EC2,region=us-east-1'], 'aws-ip-ranges.json'],
    [['--format', 'google'], 'goog.json'],
  ])('reads %j with --min-prefix-length flags', (flags, name) => {
    const run = cli([
      'aggregate',
      ...flags,
      '--min-prefix-length4',
      '8',
      '--min-prefix-length6',
      '16',
      path.join(DATA, name),
    ]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n').length).toBeGreaterThan(10);
  });

  it.each([
    [['--format', 'csv'], 'unknown format "csv"'],
    [['--format', 'aws-ip-ranges:zone=x'], '"zone" is not an option of aws-ip-ranges'],
    [['--format', 'github-meta'], 'keys'],
    [['--min-prefix-length4', '0'], '--min-prefix-length4 "0": expected a whole number 1–32'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('names the bad value of %j and exits 1', (flags, message) => {
    const run = cli(['aggregate', ...flags, '-'], '8.8.8.8\n');
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
  });

  it('says which file it cannot read', () => {
    const run = cli(['aggregate', path.join(dir, 'missing.txt')]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('cannot read');
  });

  it('prints its help with --help', () => {
    const run = cli(['aggregate', '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Usage: allowlist-sync aggregate');
    expect(run.stdout).toContain('--min-prefix-length4');
  });
});

describe("the README's quickstart on real lists", () => {
  it('runs as shown: the first command refuses with the message in its comment, the others succeed', () => {
    // One command a line once the "\\" continuations are joined; a "#" line is the output of the command before it.
    const lines = docExample('README.md', 'readme-quickstart-lists')
      .replace(/\\\n\s*/g, '')
      .split('\n');
    const commands = lines.filter((l) => l.startsWith('npx allowlist-sync '));
    expect(commands.length).toBeGreaterThan(1);
    for (const command of commands) {
      const run = cli(command.slice('npx allowlist-sync '.length).split(/\s+/));
      const comment = lines[lines.indexOf(command) + 1];
      if (comment?.startsWith('#')) {
        const shown = comment.replace(/^#\s*/, '').split(' …')[0]!;
        expect([run.status, run.stdout, run.stderr.slice(0, shown.length)]).toEqual([1, '', shown]);
      } else {
        expect([run.status, run.stderr]).toEqual([0, '']);
      }
    }
  });
});
