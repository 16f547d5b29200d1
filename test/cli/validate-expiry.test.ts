/**
 * `validate` and expiry warnings, in process with a fixed clock: the entries expiring within the window (default 14
 * days, `--expiry-warning-days N` overrides) listed with prefix, owner, expiry and place, in text and JSON; a bad
 * window is a usage error that names the value and prints nothing on stdout.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { command as validate } from '../../bin/commands/validate';
import { memoryIo } from './local-aws';

const NOW = Date.parse('2026-12-03T08:00:00Z');
let doc = '';

beforeAll(() => {
  doc = path.join(mkdtempSync(path.join(tmpdir(), 'validate-expiry-')), 'partners.json');
  writeFileSync(
    doc,
    JSON.stringify({
      version: 1,
      entries: [
        { prefix: '198.51.99.0/24', owner: 'carol@example.com', expires: '2027-02-01T00:00:00Z' },
        { prefix: '11.22.33.0/24', owner: 'alice@example.com', expires: '2026-12-10T00:00:00Z', note: 'audit' },
        { prefix: '45.60.1.0/24' },
        { prefix: '52.94.5.7', expires: '2026-12-05T12:00:00Z' },
        { prefix: '34.1.0.0/16', owner: 'bob@example.com', expires: '2026-11-30T00:00:00Z' },
      ],
    }),
  );
});

async function run(...args: string[]) {
  const io = { ...memoryIo(), now: () => NOW };
  const code = await validate.run(['--format', 'allowlist', ...args, doc], io);
  return { code, out: io.out(), err: io.err() };
}

describe('validate lists entries about to expire', () => {
  it('prints them in text, soonest first, with the default 14-day window', async () => {
    const { code, out, err } = await run();
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain('  expired entries left out: 1\n');
    expect(out).toContain(
      [
        '  expiring within 14 days: 2',
        `    ${doc}:entries[3]: 52.94.5.7/32 owner (none) expires 2026-12-05T12:00:00Z`,
        `    ${doc}:entries[1]: 11.22.33.0/24 owner alice@example.com expires 2026-12-10T00:00:00Z`,
        'needs:',
      ].join('\n'),
    );
    expect(out).not.toContain('carol@example.com');
  });

  it('gives them as JSON, and --expiry-warning-days widens the window', async () => {
    const { code, out } = await run('--json', '--expiry-warning-days', '90');
    expect(code).toBe(0);
    const summary = JSON.parse(out);
    expect(summary.expiring).toEqual({
      windowDays: 90,
      count: 3,
      entries: [
        { prefix: '52.94.5.7/32', owner: null, expires: '2026-12-05T12:00:00Z', where: `${doc}:entries[3]` },
        {
          prefix: '11.22.33.0/24',
          owner: 'alice@example.com',
          expires: '2026-12-10T00:00:00Z',
          where: `${doc}:entries[1]`,
        },
        {
          prefix: '198.51.99.0/24',
          owner: 'carol@example.com',
          expires: '2027-02-01T00:00:00Z',
          where: `${doc}:entries[0]`,
        },
      ],
    });
    expect(summary.expired).toHaveLength(1);
  });

  it('turns the warning off with 0 days', async () => {
    const summary = JSON.parse((await run('--json', '--expiry-warning-days', '0')).out);
    expect(summary.expiring).toEqual({ windowDays: 0, count: 0, entries: [] });
  });

  it.each(['-1', '3.5', '366', 'soon'])(
    'refuses --expiry-warning-days %s naming the value and the fix',
    async (bad) => {
      const { code, out, err } = await run(`--expiry-warning-days=${bad}`);
      expect(code).toBe(1);
      expect(out).toBe('');
      expect(err).toContain(`--expiry-warning-days "${bad}": expected a whole number of days 0–365`);
      expect(err).toContain("Run 'allowlist-sync validate --help'");
    },
  );
});
