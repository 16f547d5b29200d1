/**
 * Helpers of the handler tests: a captured stdout (Powertools Logger and Metrics write there), parsed into JSON lines,
 * and a small report builder for stub engines.
 */
import { vi } from 'vitest';
import type { AllowlistReport, RunReport, TargetReport } from '../../lambda/core/model';

/**
 * Captures what is written to stdout and stderr (Powertools writes ERROR lines to stderr) until `restore()`, as raw
 * text and as parsed JSON lines.
 */
export function captureStdout(): { text: () => string; json: () => Record<string, unknown>[]; restore: () => void } {
  const chunks: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  const text = () => chunks.join('');
  return {
    text,
    json: () =>
      text()
        .split('\n')
        .filter((l) => l.trim().startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

/** A target report with sensible defaults. */
export function targetReport(overrides: Partial<TargetReport> = {}): TargetReport {
  return {
    kind: 'prefix-lists',
    targetId: 'prefix-lists:pl-0123456789abcdef0',
    status: 'changed',
    added: { count: 2, prefixes: ['198.51.100.0/24', '203.0.113.0/24'] },
    removed: { count: 1, prefixes: ['192.0.2.0/24'] },
    unchanged: 5,
    drift: [],
    capacity: { fits: true, needed: 7, available: 20, unit: 'entries' },
    writeCalls: 1,
    durationMs: 12,
    ...overrides,
  };
}

/** An allowlist report with one target. */
export function allowlistReport(overrides: Partial<AllowlistReport> = {}): AllowlistReport {
  return {
    name: 'partners',
    status: 'changed',
    provenance: [
      {
        kind: 'https',
        location: 'https://lists.example.com/partners.txt',
        sha256: 'a'.repeat(64),
        bytes: 120,
        lastModified: '2026-01-01T00:00:00.000Z',
        fetchedAt: '2026-01-01T01:00:00.000Z',
      },
    ],
    entries: { read: { 4: 7, 6: 0 }, prefixes: { 4: 7, 6: 0 }, expired: 0 },
    targets: [targetReport()],
    ...overrides,
  };
}

/** A run report with one allowlist. */
export function runReport(overrides: Partial<RunReport> = {}): RunReport {
  return {
    runId: 'run-1',
    dryRun: false,
    trigger: 'schedule',
    startedAt: '2026-01-01T01:00:00.000Z',
    durationMs: 40,
    status: 'ok',
    summary: { add: 2, remove: 1, unchanged: 5 },
    allowlists: [allowlistReport()],
    ...overrides,
  };
}

/** A run refused by a guardrail on its one target, with no write made and the override that would allow it. */
export function refusedRunReport(message: string): RunReport {
  return runReport({
    status: 'refused',
    allowlists: [
      allowlistReport({
        status: 'refused',
        targets: [
          targetReport({
            status: 'refused',
            writeCalls: 0,
            error: { name: 'GuardrailError', message, override: '--force REASON' },
          }),
        ],
      }),
    ],
  });
}
