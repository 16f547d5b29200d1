/**
 * The ipset export run by the real `ipset`, inside a network namespace of the test's own: a first export creates the
 * live sets, a second, changed export is then restored one command at a time, and after every command `ipset test`
 * probes every edge of every prefix of both lists. At every step each live set must admit exactly the old list or
 * exactly the new one: every address both lists admit stays admitted throughout, the live set switches from the
 * whole old list to the whole new one at its swap, and nothing neither list admits is ever admitted (docs/design.md
 * P3, P4, P5).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrefixSet } from '../../lambda/core/prefix-set';
import { cli, ensureBuilt } from '../cli/built-cli';
import { externalTool } from '../support/external-tools';
import { Netns, probeNetnsTool } from '../support/netns';
import { holds, type ProbePoint, probePoints } from './probe-points';

const ipset = externalTool(
  'ipset (in a network namespace)',
  () => probeNetnsTool('ipset', ['create', 'probe', 'hash:net']),
  'apt-get install -y ipset iproute2, and run the tests as root',
);

// Re-aggregations both ways (a /24 split into a /25 and a /26, two IPv6 /40s merged into a /39), a host removed, a
// prefix added, one halved, one unchanged.
const OLD = ['81.2.69.0/24', '52.94.76.0/22', '9.9.9.9', '2a02:8108:1000::/40', '2a05:d018:400::/40'];
const NEW = [
  '81.2.69.0/25',
  '81.2.69.128/26',
  '52.94.76.0/22',
  '8.8.8.0/24',
  '2a02:8108:1000::/41',
  '2a05:d018:400::/40',
  '2a05:d018:500::/40',
];

// One `ipset test` a line of input; prints 1 (in the set) or 0. A missing set also prints 0.
const PROBE = 'while read set addr; do if ipset -q test "$set" "$addr"; then echo 1; else echo 0; fi; done';

describe.skipIf(!ipset.available)('ipset restore of an export, in a network namespace', { timeout: 180_000 }, () => {
  let ns: Netns;
  let dir = '';
  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'ipset-'));
    ns = Netns.create('ipset');
  }, 120_000);
  afterAll(() => ns?.delete());

  function exportOf(entries: string[], name: string): string {
    const file = path.join(dir, `${name}.txt`);
    writeFileSync(file, `${entries.join('\n')}\n`);
    const run = cli(['export', '--to', 'ipset', '--name', 'partners', file]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    return run.stdout;
  }

  /** What the live sets admit, by `ipset test`, for each probe. */
  function admitted(points: readonly ProbePoint[]): boolean[] {
    const input = points.map((p) => `partners_v${p.family} ${p.text}`).join('\n');
    const out = ns.run('sh', ['-c', PROBE], `${input}\n`);
    return out
      .trim()
      .split('\n')
      .map((l) => l === '1');
  }

  /**
   * Restores `steps` one command at a time; after each, every probe is tested. Returns the steps after which a family's
   * live set admitted neither exactly the old list nor exactly the new one, and the step where each switched to new.
   */
  function restoreStepByStep(steps: string[], points: ProbePoint[], inOld: boolean[], inNew: boolean[]) {
    const violations: string[] = [];
    const switchedAt: Record<number, number> = {};
    steps.forEach((line, step) => {
      ns.run('ipset', ['restore'], `${line}\n`);
      const now = admitted(points);
      for (const family of [4, 6] as const) {
        const idx = points.flatMap((p, i) => (p.family === family ? [i] : []));
        const isOld = idx.every((i) => now[i] === inOld[i]);
        const isNew = idx.every((i) => now[i] === inNew[i]);
        if (!isOld && !isNew) violations.push(`after step ${step + 1} "${line}", IPv${family} is neither list`);
        // Implied by the line above, and the property a partner sees: what both lists admit is never cut off.
        const cut = idx.filter((i) => inOld[i] && inNew[i] && !now[i]).map((i) => points[i]!.text);
        if (cut.length > 0) violations.push(`after step ${step + 1} "${line}", cut off: ${cut.join(' ')}`);
        if (isNew && !isOld && switchedAt[family] === undefined) switchedAt[family] = step;
      }
    });
    return { violations, switchedAt };
  }

  it('swaps the old list for the new one: at every step each live set admits exactly one of them, never less', () => {
    const oldSet = PrefixSet.parse(OLD.map((e) => (e.includes('/') ? e : `${e}/32`)));
    const newSet = PrefixSet.parse(NEW);
    const points = probePoints([oldSet, newSet]);
    const inOld = points.map((p) => holds(oldSet, p));
    const inNew = points.map((p) => holds(newSet, p));
    // The probes can tell the lists apart in both families, and include addresses neither list admits.
    expect(inOld).not.toEqual(inNew);
    expect(points.some((_, i) => !inOld[i] && !inNew[i])).toBe(true);

    ns.run('ipset', ['restore'], exportOf(OLD, 'old'));
    expect(admitted(points)).toEqual(inOld);

    const steps = exportOf(NEW, 'new')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'));
    const { violations, switchedAt } = restoreStepByStep(steps, points, inOld, inNew);
    expect(violations).toEqual([]);
    // The live set changed exactly at its swap, and ends equal to the new list.
    expect(steps[switchedAt[4]!]).toBe('swap partners_v4_next partners_v4');
    expect(steps[switchedAt[6]!]).toBe('swap partners_v6_next partners_v6');
    expect(admitted(points)).toEqual(inNew);
    expect(ns.run('ipset', ['list', '-n']).trim().split('\n').sort()).toEqual(['partners_v4', 'partners_v6']);
    console.info(
      `ipset swap: ${points.length} addresses probed (${points.filter((p) => p.family === 4).length} IPv4, ` +
        `${points.filter((p) => p.family === 6).length} IPv6) after each of ${steps.length} restore commands: ` +
        `${points.length * (steps.length + 1)} ipset tests`,
    );
  });

  it('finishes after a restore was interrupted halfway (the _next set left behind is flushed and reused)', () => {
    const script = exportOf(OLD, 'again').split('\n');
    const cut = script.findIndex((l) => l.startsWith('add partners_v4_next')) + 1;
    ns.run('ipset', ['restore'], `${script.slice(0, cut).join('\n')}\n`);
    expect(ns.run('ipset', ['list', '-n'])).toContain('partners_v4_next');
    ns.run('ipset', ['restore'], script.join('\n'));
    const oldSet = PrefixSet.parse(OLD.map((e) => (e.includes('/') ? e : `${e}/32`)));
    const points = probePoints([oldSet]);
    expect(admitted(points)).toEqual(points.map((p) => holds(oldSet, p)));
    expect(ns.run('ipset', ['list', '-n']).trim().split('\n').sort()).toEqual(['partners_v4', 'partners_v6']);
  });

  it('restores a long list (20,000 prefixes) into sets of the size it declares', () => {
    const hosts = Array.from({ length: 20_000 }, (_, i) => `${11 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.1`);
    ns.run('ipset', ['restore'], exportOf(hosts, 'long'));
    const header = ns.run('ipset', ['list', '-t', 'partners_v4']);
    expect(header).toContain('Number of entries: 20000');
    expect(header).toContain('maxelem 1048576');
    const points = probePoints([PrefixSet.parse(hosts.slice(0, 50).map((h) => `${h}/32`))]);
    const set = PrefixSet.parse(hosts.map((h) => `${h}/32`));
    expect(admitted(points)).toEqual(points.map((p) => holds(set, p)));
  });

  it('catches a naive in-place reload (flush the live set, then add): the check above can fail', () => {
    ns.run('ipset', ['restore'], exportOf(OLD, 'naive-old'));
    const oldSet = PrefixSet.parse(OLD.map((e) => (e.includes('/') ? e : `${e}/32`)));
    const newSet = PrefixSet.parse(NEW);
    const points = probePoints([oldSet, newSet]);
    const naive = ['flush partners_v4', ...newSet.toCidrs(4).map((c) => `add partners_v4 ${c}`)];
    const { violations } = restoreStepByStep(
      naive,
      points,
      points.map((p) => holds(oldSet, p)),
      points.map((p) => holds(newSet, p)),
    );
    expect(violations[0]).toBe('after step 1 "flush partners_v4", IPv4 is neither list');
    expect(violations[1]).toMatch(/^after step 1 "flush partners_v4", cut off: 52\.94\.76\.0 /);
  });
});
