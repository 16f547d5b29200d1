/**
 * The change-event builder: which allowlists get an event and of which detail type (table), and the sizing that keeps
 * an entry under PutEvents' 256 KB: prefixes capped (count exact, `omitted` says how many are left out), then cut
 * further, with long messages shortened, until the entry fits.
 */
import { describe, expect, it } from 'vitest';
import {
  buildChangeEvent,
  type ChangeEventRun,
  changeDetailType,
  changeEventSize,
  EVENT_PREFIX_CAP,
  MAX_EVENT_ENTRY_BYTES,
} from '../../lambda/core/change-event';
import type { AllowlistReport, TargetReport } from '../../lambda/core/model';
import { allowlistReport, targetReport } from '../handler/helpers';

const RUN: ChangeEventRun = { runId: 'r-1', trigger: 'schedule', startedAt: '2026-12-03T08:00:00.000Z', dryRun: false };
const none = { added: [], removed: [] };
const target = (status: TargetReport['status'], extra: Partial<TargetReport> = {}) =>
  targetReport({ status, ...extra });
const notApplied = { name: 'NotApplied', message: 'nothing was written' };

describe('changeDetailType', () => {
  it.each<[string, Partial<AllowlistReport>, boolean, string | undefined]>([
    ['a changed target', { status: 'changed', targets: [target('changed')] }, false, 'Allowlist Applied'],
    ['a degraded target', { status: 'degraded', targets: [target('degraded')] }, false, 'Allowlist Applied'],
    [
      'a converged allowlist',
      { status: 'unchanged', targets: [target('unchanged', { added: { count: 0, prefixes: [] } })] },
      false,
      undefined,
    ],
    ['a dry run with changes', { status: 'planned', targets: [target('planned')] }, true, undefined],
    ['a refused target', { status: 'refused', targets: [target('refused')] }, false, 'Allowlist Refused'],
    [
      'a refused allowlist (its source)',
      { status: 'refused', targets: [], error: { name: 'SourceError', message: 'x' } },
      false,
      'Allowlist Refused',
    ],
    [
      'a failed target beside a changed one',
      { targets: [target('changed'), target('failed')] },
      false,
      'Allowlist Failed',
    ],
    [
      'held back by another allowlist, with a change of its own',
      { status: 'refused', targets: [target('refused', { error: notApplied })] },
      false,
      'Allowlist Refused',
    ],
    [
      'held back by another allowlist, with nothing to change',
      {
        status: 'refused',
        targets: [
          target('refused', {
            error: notApplied,
            added: { count: 0, prefixes: [] },
            removed: { count: 0, prefixes: [] },
          }),
        ],
      },
      false,
      undefined,
    ],
  ])('%s → %s', (_, overrides, dryRun, expected) => {
    expect(changeDetailType(allowlistReport(overrides), dryRun)).toBe(expected);
  });
});

describe('buildChangeEvent', () => {
  it('lists at most EVENT_PREFIX_CAP prefixes a direction, with the exact count and how many were left out', () => {
    const added = Array.from({ length: 450 }, (_, i) => `2a00:1450:${i.toString(16)}::/48`);
    const event = buildChangeEvent(allowlistReport(), RUN, { added, removed: ['11.0.0.0/24'] });
    expect(event?.detail.added).toEqual({ count: 450, prefixes: added.slice(0, EVENT_PREFIX_CAP), omitted: 250 });
    expect(event?.detail.removed).toEqual({ count: 1, prefixes: ['11.0.0.0/24'], omitted: 0 });
  });

  it('cuts prefixes and long messages further until the entry is under 256 KB', () => {
    const message = 'x'.repeat(1500);
    const targets = Array.from({ length: 200 }, (_, i) =>
      target('failed', { targetId: `security-groups:sg-${i}`, error: { name: 'Error', message } }),
    );
    const added = Array.from({ length: 5000 }, (_, i) => `2a00:1450:4000:${i.toString(16)}::/64`);
    const report = allowlistReport({ status: 'failed', targets, error: { name: 'E', message: 'y'.repeat(50_000) } });
    const event = buildChangeEvent(report, RUN, { added, removed: [] });
    expect(event).toBeDefined();
    if (!event) return;
    expect(changeEventSize(event)).toBeLessThan(MAX_EVENT_ENTRY_BYTES);
    expect(event.detail.added.count).toBe(5000);
    expect(event.detail.added.prefixes.length + event.detail.added.omitted).toBe(5000);
    expect(event.detail.targets).toHaveLength(200);
    expect(event.detail.error?.message.length).toBeLessThanOrEqual(2001);
  });

  it('carries the forced reason and the provenance (SHA-256, version, ETag, serial)', () => {
    const report = allowlistReport({
      provenance: [
        {
          kind: 's3',
          location: 's3://lists/partners.json',
          sha256: 'b'.repeat(64),
          bytes: 10,
          versionId: 'v7',
          etag: '"e"',
          serial: 42,
          generatedAt: '2026-12-01T00:00:00Z',
          fetchedAt: '2026-12-03T08:00:00Z',
        },
      ],
    });
    const event = buildChangeEvent(report, { ...RUN, forced: { reason: 'OPS-42' } }, none);
    expect(event?.detail.forced).toEqual({ reason: 'OPS-42' });
    expect(event?.detail.provenance).toEqual([
      {
        kind: 's3',
        location: 's3://lists/partners.json',
        sha256: 'b'.repeat(64),
        versionId: 'v7',
        etag: '"e"',
        serial: 42,
        generatedAt: '2026-12-01T00:00:00Z',
      },
    ]);
  });
});
