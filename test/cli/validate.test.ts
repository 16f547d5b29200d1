import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ensureBuilt } from './built-cli';

let dir = '';
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'validate-'));
}, 120_000);

describe('allowlist-sync validate (built CLI)', () => {
  it('prints counts and target needs as JSON with --json', () => {
    const hosts = Array.from({ length: 130 }, (_, i) => `8.8.${i}.1`);
    const run = cli(
      ['validate', '--json', '-'],
      [...hosts, '8.8.200.0/25', '8.8.200.128/25', '2a00:1450::/32'].join('\n'),
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.files).toEqual(['<stdin>']);
    expect(summary.entries).toEqual({ ipv4: 132, ipv6: 1 });
    expect(summary.prefixes).toEqual({ ipv4: 131, ipv6: 1 });
    expect(summary.addresses).toEqual({ ipv4: '386', ipv6: (1n << 96n).toString() });
    expect(summary.needs.securityGroups).toEqual({
      rulesPerPortRange: { ipv4: 131, ipv6: 1 },
      rulesPerGroup: 60,
      groups: 3,
    });
    expect(summary.needs.wafIpSets.sets).toEqual({ ipv4: 1, ipv6: 1 });
    expect(summary.needs.prefixLists.fits).toEqual({ ipv4: true, ipv6: true });
  });

  it('reports expired entries of a structured list, left out of the counts', () => {
    const doc = path.join(dir, 'doc.json');
    writeFileSync(
      doc,
      JSON.stringify({
        version: 1,
        serial: 12,
        entries: [
          { prefix: '8.8.8.8', note: 'dns' },
          { prefix: '9.9.9.9', expires: '2000-01-01T00:00:00Z' },
        ],
      }),
    );
    const summary = JSON.parse(cli(['validate', '--json', '--format', 'allowlist', doc]).stdout);
    expect(summary.entries).toEqual({ ipv4: 1, ipv6: 0 });
    expect(summary.expired).toEqual([
      { prefix: '9.9.9.9/32', where: `${doc}:entries[1]`, expires: '2000-01-01T00:00:00Z' },
    ]);
    expect(summary.serial).toBe(12);
    const text = cli(['validate', '--format', 'allowlist', doc]).stdout;
    expect(text).toContain('expired entries left out: 1');
    expect(text).toContain(`${doc}:entries[1]: 9.9.9.9/32 expired 2000-01-01T00:00:00Z`);
  });

  it('says a list too long for one prefix list does not fit', () => {
    const hosts = Array.from({ length: 1001 }, (_, i) => `8.${8 + (i >> 8)}.${i & 255}.${i & 1 ? 1 : 3}`);
    const summary = JSON.parse(cli(['validate', '--json', '-'], hosts.join('\n')).stdout);
    expect(summary.needs.prefixLists).toMatchObject({ entries: { ipv4: 1001 }, fits: { ipv4: false, ipv6: true } });
    expect(cli(['validate', '-'], hosts.join('\n')).stdout).toContain('1,001 IPv4 entries (does not fit 1000)');
  });

  it('prints the policy violations as FILE:JSONPATH: message, exit 1, and with --json the JSON error object', () => {
    const doc = path.join(dir, 'bad.json');
    writeFileSync(doc, JSON.stringify({ version: 1, entries: [{ prefix: '8.8.8.8' }, { prefix: '169.254.169.254' }] }));
    const run = cli(['validate', '--json', '--format', 'allowlist', doc]);
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      error: {
        command: 'validate',
        kind: 'input',
        name: 'PolicyError',
        message: expect.stringContaining('breaks the entry policy in 1 place;'),
        problems: [
          {
            where: `${doc}:entries[1].prefix`,
            message: expect.stringContaining('"169.254.169.254/32" is inside 169.254.0.0/16'),
            value: '169.254.169.254/32',
            code: 'special-purpose',
          },
        ],
      },
      exitCode: 1,
    });
    expect(cli(['validate', '--format', 'allowlist', doc]).stdout).toBe('');
    expect(run.stderr.split('\n')[0]).toMatch(
      new RegExp(
        `^${doc.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:entries\\[1\\]\\.prefix: "169\\.254\\.169\\.254/32" is inside 169\\.254\\.0\\.0/16`,
      ),
    );
  });

  it('prints its help with --help', () => {
    const run = cli(['validate', '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('--json');
  });
});
