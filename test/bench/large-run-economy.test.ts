/**
 * API economy of the large-run bench's deployment at 2 % of its size (2,000 entries over the same 25 allowlists and
 * the same pools, so it runs in seconds): the write calls of each run against their lower bound (docs/design.md
 * section 7). Times stay out of tests; they are measured by `npm run bench` (docs/performance-large-run.md).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { largeDeployment } from '../../bench/large-deployment';
import { measureLargeRuns, type RunFigures } from '../../bench/large-run-measure';

describe('the large run makes no more API calls than it must', () => {
  let runs: RunFigures[] = [];
  // One measurement for every case below: three runs over 2,000 entries (seconds, more on a loaded machine).
  beforeAll(async () => {
    runs = (await measureLargeRuns({ scale: 0.02 })).runs;
  }, 180_000);
  const run = (name: string): RunFigures => {
    const found = runs.find((r) => r.name === name);
    if (!found) throw new Error(`no run named ${name}`);
    return found;
  };

  it('spreads 25 allowlists over every kind of target, several WAF sets per family where a list needs them', () => {
    const shapes = largeDeployment();
    expect(shapes).toHaveLength(25);
    expect(shapes.reduce((sum, s) => sum + s.v4 + s.v6, 0)).toBe(100_000);
    expect(new Set(shapes.map((s) => s.kind))).toEqual(new Set(['security-groups', 'waf-ip-sets', 'prefix-lists']));
    // Every target holds its list within AWS's quotas (docs/aws-behaviour.md §12, §22, §27).
    for (const s of shapes) {
      if (s.kind === 'security-groups') expect(s.v4).toBeLessThanOrEqual(s.size[0] * 200);
      if (s.kind === 'waf-ip-sets') expect(s.v4).toBeLessThanOrEqual(s.size[0] * 10_000);
      if (s.kind === 'prefix-lists')
        expect([s.v4 <= s.size[0], s.v6 <= s.size[1], s.size[0] <= 1000]).toEqual([true, true, true]);
    }
    expect(shapes.some((s) => s.kind === 'waf-ip-sets' && s.v4 > 10_000)).toBe(true);
  });

  it('from empty: exactly one authorize per group, one update per set and ⌈entries/100⌉ modifies per list', () => {
    const r = run('from empty');
    expect(r.report.status).toBe('ok');
    expect(r.changes).toEqual({ add: 2_000, remove: 0 });
    for (const e of r.economy) expect({ kind: e.kind, writes: e.writes }).toEqual({ kind: e.kind, writes: e.bound });
    expect(r.economy.every((e) => e.bound > 0)).toBe(true);
  });

  it('with 1 % changed: within the lower bound plus the make-before-break allowance, and never below it', () => {
    const r = run('1 % changed');
    expect(r.report.status).toBe('ok');
    expect(r.changes.add).toBe(r.changes.remove);
    expect(r.changes.add).toBeGreaterThan(0);
    for (const e of r.economy) {
      expect(e.writes, e.kind).toBeGreaterThanOrEqual(e.bound);
      expect(e.writes, e.kind).toBeLessThanOrEqual(e.allowed);
    }
    // Verify found every target converged right after its apply.
    expect(r.report.allowlists.flatMap((a) => a.targets.filter((t) => t.note !== undefined))).toEqual([]);
  });

  it('converged: zero writes to any target, while still reading every target twice (observe and verify)', () => {
    const r = run('converged');
    expect(r.report.status).toBe('ok');
    expect(r.economy.map((e) => e.writes)).toEqual([0, 0, 0]);
    expect(r.phases.apply.writes + r.phases.verify.writes + r.phases.observe.writes).toBe(0);
    expect(r.phases.observe.reads).toBeGreaterThan(0);
    expect(r.phases.verify.reads).toBe(r.phases.observe.reads);
    // The unchanged sources came from the function's cache: no parse.
    expect(r.report.allowlists.every((a) => a.provenance.every((p) => p.notModified === true))).toBe(true);
  });

  it('fills the report with the time of every phase', () => {
    const r = run('1 % changed');
    expect(Object.keys(r.report.phases ?? {})).toEqual(['fetch', 'parse', 'observe', 'plan', 'apply', 'verify']);
    expect(r.report.phases?.plan).toBeGreaterThan(0);
  });
});
