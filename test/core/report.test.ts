import { describe, expect, it } from 'vitest';
import { GuardrailError } from '../../lambda/core/guardrails';
import { REPORT_PREFIX_CAP, type TargetPlan, type TargetStatus } from '../../lambda/core/model';
import type { Cidr } from '../../lambda/core/prefix';
import { buildRunReport, buildTargetReport, formatPlanText, reportError, worstStatus } from '../../lambda/core/report';

function plan(add: string[], remove: string[], unchanged = 240): TargetPlan {
  return {
    kind: 'security-groups',
    targetId: 'security-groups:sg-1,sg-2',
    add: add as Cidr[],
    remove: remove as Cidr[],
    unchanged,
    current: unchanged + remove.length,
    drift: [{ resource: 'sg-1', cidr: '9.9.9.9/32', ports: 'tcp 443-443', description: 'by hand' }],
    capacity: { fits: true, needed: 10, available: 120, unit: 'rules' },
    degraded: false,
    writes: [{}],
  };
}

function report(status: TargetStatus, dryRun: boolean, error?: ReturnType<typeof reportError>) {
  const target = buildTargetReport(plan(['1.2.3.0/24', '1.2.4.0/24', '1.2.5.0/24'], ['5.6.0.0/16']), {
    status,
    // An applying run's refused target wrote nothing (pre-flight refused it): the engine says so with `written`.
    writeCalls: dryRun || status === 'refused' ? 0 : 2,
    durationMs: 12,
    ...(error ? { error } : {}),
    ...(!dryRun && status === 'refused' ? { written: { add: [], remove: [] } } : {}),
  });
  return buildRunReport({
    runId: 'run-1',
    dryRun,
    trigger: 'cli',
    startedAt: 0,
    durationMs: 20,
    allowlists: [
      {
        name: 'partners',
        status,
        provenance: [],
        entries: { read: { 4: 4, 6: 0 }, prefixes: { 4: 243, 6: 0 }, expired: 0 },
        targets: [target],
      },
    ],
  });
}

describe('worstStatus', () => {
  it.each<[TargetStatus[], TargetStatus]>([
    [[], 'unchanged'],
    [['unchanged', 'planned'], 'planned'],
    [['changed', 'unchanged'], 'changed'],
    [['changed', 'degraded'], 'degraded'],
    [['degraded', 'refused', 'changed'], 'refused'],
    [['refused', 'failed'], 'failed'],
  ])('the worst of %j is %s', (statuses, worst) => {
    expect(worstStatus(statuses)).toBe(worst);
  });
});

describe('buildRunReport', () => {
  it.each<[TargetStatus, string]>([
    ['changed', 'ok'],
    ['planned', 'ok'],
    ['degraded', 'degraded'],
    ['refused', 'refused'],
    ['failed', 'failed'],
  ])('a run whose worst target is %s has status %s', (status, run) => {
    expect(report(status, false).status).toBe(run);
  });

  it('totals the counts and stamps the start time', () => {
    const r = report('changed', false);
    expect(r.summary).toEqual({ add: 3, remove: 1, unchanged: 240 });
    expect(r.startedAt).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('buildTargetReport', () => {
  it(`lists at most ${REPORT_PREFIX_CAP} prefixes and always the exact count`, () => {
    const many = Array.from({ length: 120 }, (_, i) => `10.0.${i}.0/24`);
    const t = buildTargetReport(plan(many, []), { status: 'planned', writeCalls: 0, durationMs: 1 });
    expect(t.added.count).toBe(120);
    expect(t.added.prefixes).toEqual(many.slice(0, REPORT_PREFIX_CAP));
  });
});

describe('reportError', () => {
  it('keeps a typed error’s name and override', () => {
    const e = new GuardrailError('capacity', 'p', 't', {}, 'add 1 group', 'too big');
    expect(reportError(e)).toEqual({ name: 'GuardrailError', message: 'too big', override: 'add 1 group' });
  });

  it('keeps an SDK error’s name', () => {
    expect(reportError(Object.assign(new Error('x'), { name: 'ThrottlingException' })).name).toBe(
      'ThrottlingException',
    );
  });
});

describe('formatPlanText', () => {
  it('prints a dry run like a terraform plan', () => {
    expect(formatPlanText(report('planned', true), { color: false })).toBe(
      [
        'allowlist partners (243 prefixes, 0 sources) [planned]',
        '  security-groups:sg-1,sg-2 [planned]',
        '    + 1.2.3.0/24',
        '    + 1.2.4.0/24',
        '    + 1.2.5.0/24',
        '    - 5.6.0.0/16',
        '    ~ drift: sg-1 tcp 443-443 9.9.9.9/32 "by hand" (not ours; kept)',
        'Plan: 3 to add, 1 to remove, 240 unchanged.',
        '',
      ].join('\n'),
    );
  });

  it('prints what was applied after a real run', () => {
    expect(formatPlanText(report('changed', false), { color: false })).toMatch(
      /^Applied: 3 added, 1 removed, 240 unchanged\.$/m,
    );
  });

  it('prints a refusal with its override and says nothing was written', () => {
    const error = reportError(new GuardrailError('removal-share', 'p', 't', {}, '--force REASON', 'removes too much'));
    const text = formatPlanText(report('refused', false, error), { color: false });
    expect(text).toMatch(/! GuardrailError: removes too much\n {6}override: --force REASON/);
    expect(text).toMatch(/^Plan: 3 to add, 1 to remove, 240 unchanged\.$/m);
    expect(text).toMatch(/^Run refused: nothing was written\.$/m);
  });

  it('colours adds green and removes red only when asked', () => {
    const colour = formatPlanText(report('planned', true), { color: true });
    expect(colour).toContain('\x1b[32m    + 1.2.3.0/24\x1b[0m');
    expect(colour).toContain('\x1b[31m    - 5.6.0.0/16\x1b[0m');
    expect(formatPlanText(report('planned', true), { color: false })).not.toContain('\x1b[');
  });
});

describe('a run that stops part-way (issue 10, defect 5)', () => {
  const failedAfter = (written: { add: string[]; remove: string[] }, writeCalls: number) => {
    const target = buildTargetReport(plan(['1.2.3.0/24', '1.2.4.0/24', '1.2.5.0/24'], ['5.6.0.0/16']), {
      status: 'failed',
      writeCalls,
      durationMs: 12,
      error: { name: 'ThrottlingException', message: 'Rate exceeded' },
      written: { add: written.add as Cidr[], remove: written.remove as Cidr[] },
    });
    return buildRunReport({
      runId: 'run-1',
      dryRun: false,
      trigger: 'cli',
      startedAt: 0,
      durationMs: 20,
      allowlists: [
        {
          name: 'partners',
          status: 'failed',
          sources: 1,
          provenance: [],
          entries: { read: { 4: 4, 6: 0 }, prefixes: { 4: 243, 6: 0 }, expired: 0 },
          targets: [target],
        },
      ],
    });
  };

  it('counts what was written per target and in total, and keeps the plan apart', () => {
    const r = failedAfter({ add: ['1.2.3.0/24'], remove: [] }, 1);
    expect(r.allowlists[0]?.targets[0]).toMatchObject({
      added: { count: 1, prefixes: ['1.2.3.0/24'] },
      removed: { count: 0, prefixes: [] },
      planned: { added: { count: 3 }, removed: { count: 1 } },
    });
    expect(r.summary).toEqual({ add: 1, remove: 0, unchanged: 240, planned: { add: 3, remove: 1 } });
    const text = formatPlanText(r, { color: false });
    expect(text).toContain('    written: 1 of 3 additions, 0 of 1 removal (1 write call)\n');
    expect(text).toMatch(
      /^Written before the run stopped: 1 added, 0 removed, 240 unchanged; not written: 2 to add, 1 to remove\.\nRun failed\.\n$/m,
    );
    expect(text).not.toContain('Applied:');
  });

  it('shows the plan and says nothing was written when no write call was sent', () => {
    const text = formatPlanText(failedAfter({ add: [], remove: [] }, 0), { color: false });
    expect(text).toMatch(/^Plan: 3 to add, 1 to remove, 240 unchanged\.\nRun failed: nothing was written\.\n$/m);
  });

  it('names the configured sources and the one that failed in the header', () => {
    const r = buildRunReport({
      runId: 'run-1',
      dryRun: false,
      trigger: 'cli',
      startedAt: 0,
      durationMs: 1,
      allowlists: [
        {
          name: 'partners',
          status: 'refused',
          sources: 1,
          provenance: [],
          entries: { read: { 4: 0, 6: 0 }, prefixes: { 4: 0, 6: 0 }, expired: 0 },
          targets: [],
          error: { name: 'SourceError', message: 's3://b/k: not-found: …', source: 's3://b/k' },
        },
      ],
    });
    expect(formatPlanText(r, { color: false }).split('\n')[0]).toBe(
      'allowlist partners (0 prefixes, 1 source, failed: s3://b/k) [refused]',
    );
  });
});
