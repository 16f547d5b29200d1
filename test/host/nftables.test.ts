/**
 * The nftables export loaded by the real `nft -f`, inside a network namespace of the test's own whose ruleset already
 * has a chain matching on the sets and a table of someone else's: the sets end up holding exactly the list (probed with
 * `nft get element` at the edges of, inside and just outside each prefix), and the rest of the ruleset is untouched.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrefixSet } from '../../lambda/core/prefix-set';
import { cli, ensureBuilt } from '../cli/built-cli';
import { externalTool } from '../support/external-tools';
import { Netns, probeNetnsTool } from '../support/netns';
import { holds, type ProbePoint, probePoints } from './probe-points';

const nft = externalTool(
  'nft (in a network namespace)',
  () => probeNetnsTool('nft', ['add', 'table', 'inet', 'probe']),
  'apt-get install -y nftables iproute2, and run the tests as root',
);

// What the host had before the first export: the sets (with an entry the list does not have), a chain that matches
// on them, and an unrelated table.
const RULESET = `table inet filter {
  set partners_v4 { type ipv4_addr; flags interval; elements = { 203.0.113.0/24 } }
  set partners_v6 { type ipv6_addr; flags interval; }
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 443 ip saddr @partners_v4 accept
    tcp dport 443 ip6 saddr @partners_v6 accept
    tcp dport 443 drop
  }
}
table ip other {
  chain output {
    type filter hook output priority 0; policy accept;
    counter
  }
}
`;

const FIRST = ['81.2.69.0/24', '52.94.76.0/22', '9.9.9.9', '2a02:8108:1000::/40', '2a05:d018:400::/40'];
// Changed: a re-aggregation, a prefix added and one removed, and no IPv6 at all (the IPv6 set must end up empty).
const SECOND = ['81.2.69.0/25', '81.2.69.128/26', '52.94.76.0/22', '8.8.8.0/24'];

// One `nft get element` a line of input; prints 1 (found) or 0.
const PROBE =
  'while read set addr; do if nft get element inet filter "$set" "{ $addr }" >/dev/null 2>&1; then echo 1; else echo 0; fi; done';

describe.skipIf(!nft.available)('nft -f of an export, in a network namespace', { timeout: 180_000 }, () => {
  let ns: Netns;
  let dir = '';
  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'nft-'));
    ns = Netns.create('nft');
    ns.run('nft', ['-f', '-'], RULESET);
  }, 120_000);
  afterAll(() => ns?.delete());

  function exportFile(entries: string[], name: string): string {
    const list = path.join(dir, `${name}.txt`);
    writeFileSync(list, `${entries.join('\n')}\n`);
    const out = path.join(dir, `${name}.nft`);
    const run = cli(['export', '--to', 'nftables', '--name', 'partners', '--output', out, list]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    return out;
  }

  function found(points: readonly ProbePoint[]): boolean[] {
    const input = points.map((p) => `partners_v${p.family} ${p.text}`).join('\n');
    return ns
      .run('sh', ['-c', PROBE], `${input}\n`)
      .trim()
      .split('\n')
      .map((l) => l === '1');
  }

  /** The ruleset without the sets' elements: what an export must leave as it was. */
  function rulesOnly(): string {
    return ns.run('nft', ['list', 'ruleset']).replace(/\s*elements = \{[^}]*\}/g, '');
  }

  const setOf = (entries: string[]) => PrefixSet.parse(entries.map((e) => (e.includes('/') ? e : `${e}/32`)));

  it('replaces the sets with exactly the list, probed inside, at the edges and outside each prefix', () => {
    const before = rulesOnly();
    const first = setOf(FIRST);
    const stale = setOf(['203.0.113.0/24']);
    const points = probePoints([first, stale]);
    expect(found(points)).toEqual(points.map((p) => holds(stale, p)));
    ns.run('nft', ['-f', exportFile(FIRST, 'first')]);
    expect(found(points)).toEqual(points.map((p) => holds(first, p)));
    expect(rulesOnly()).toBe(before);

    const second = setOf(SECOND);
    const all = probePoints([first, second, stale]);
    ns.run('nft', ['-f', exportFile(SECOND, 'second')]);
    const seen = found(all);
    expect(seen).toEqual(all.map((p) => holds(second, p)));
    expect(all.filter((p, i) => p.family === 6 && seen[i])).toEqual([]);
    expect(rulesOnly()).toBe(before);
    console.info(
      `nft: ${points.length} then ${all.length} addresses probed with nft get element (${all.filter((_, i) => seen[i]).length} inside the second list)`,
    );
  });

  it('is one transaction: a file that fails halfway changes nothing', () => {
    const good = setOf(SECOND);
    const points = probePoints([good, setOf(FIRST)]);
    const file = exportFile(FIRST, 'broken');
    // The export, then an element that overlaps one the file just added: the sets were already flushed and refilled
    // by the lines above it, yet nft rejects the whole file, and the sets keep the second list.
    writeFileSync(`${file}.bad`, `${readFileSync(file, 'utf8')}add element inet filter partners_v4 { 81.2.69.0/25 }\n`);
    const run = ns.exec('nft', ['-f', `${file}.bad`]);
    expect(run.status).not.toBe(0);
    expect(found(points)).toEqual(points.map((p) => holds(good, p)));
  });

  it('creates the table and sets on a host that has none', () => {
    const fresh = Netns.create('nft2');
    try {
      fresh.run('nft', ['-f', exportFile(FIRST, 'fresh')]);
      const listed = fresh.run('nft', ['list', 'set', 'inet', 'filter', 'partners_v4']);
      expect(listed).toContain('flags interval');
      expect(listed).toMatch(/elements = \{ 9\.9\.9\.9, 52\.94\.76\.0\/22,\s+81\.2\.69\.0\/24 \}/);
    } finally {
      fresh.delete();
    }
  });
});
