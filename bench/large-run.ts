/**
 * `npm run bench` part 2 (also `npm run bench -- --only large-run`, or `node --expose-gc dist/bench/large-run.js`):
 * one deployment of 25 allowlists and 100,000 entries run through the engine against the stateful AWS fakes, from
 * empty, with 1 % changed, and converged. Prints a Markdown table per run (phase times, the fakes' share, API calls,
 * memory) and the write calls against their lower bound, and writes them to .bench/large-run.md.
 * See docs/performance-large-run.md.
 *
 * Environment: LARGE_RUN_SCALE (default 1 = 100,000 entries; 0.1 for trying it out).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AllowlistShape } from './large-deployment';
import { measureLargeRuns, type RunFigures, SLOTS } from './large-run-measure';

const MB = 1024 * 1024;
const mb = (bytes: number) => (bytes / MB).toFixed(0);
const ms = (x: number) => x.toFixed(0);
const n = (x: number) => x.toLocaleString('en-US');

/** The deployment's split as a Markdown table. */
export function shapeTable(shapes: readonly AllowlistShape[]): string {
  const rows = new Map<string, { lists: number; v4: number; v6: number; size: string }>();
  for (const s of shapes) {
    const key = s.name.replace(/-\d+$/, '');
    const size =
      s.kind === 'security-groups'
        ? `${s.size[0]} groups`
        : s.kind === 'waf-ip-sets'
          ? `${s.size[0]} IPv4 + ${s.size[1]} IPv6 sets`
          : `MaxEntries ${s.size[0]} + ${s.size[1]}`;
    const r = rows.get(key) ?? { lists: 0, v4: 0, v6: 0, size: `${s.kind}, ${size}` };
    r.lists++;
    r.v4 += s.v4;
    r.v6 += s.v6;
    rows.set(key, r);
  }
  const lines = ['| allowlists | target each | IPv4 entries | IPv6 entries |', '|---|---|---:|---:|'];
  let v4 = 0;
  let v6 = 0;
  for (const [key, r] of rows) {
    lines.push(`| ${r.lists} × ${key} | ${r.size} | ${n(r.v4)} | ${n(r.v6)} |`);
    v4 += r.v4;
    v6 += r.v6;
  }
  lines.push(`| ${shapes.length} | | ${n(v4)} | ${n(v6)} (total ${n(v4 + v6)}) |`);
  return lines.join('\n');
}

/** One run as Markdown: per phase, then the write calls against their lower bound. */
export function runTable(run: RunFigures): string {
  const r = run.report;
  const lines = [
    `### ${run.name}: ${r.status}, +${n(run.changes.add)} −${n(run.changes.remove)} entries on the targets, ${ms(run.wallMs - run.samplingMs)} ms`,
    '',
    '| phase | time (ms) | CPU (ms) | of which in the fakes (ms) | EC2/WAF reads | EC2/WAF writes | S3/SSM calls | peak RSS (MB) | peak heap used (MB) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const total = { ms: 0, cpuMs: 0, fakeMs: 0, reads: 0, writes: 0, store: 0 };
  for (const slot of SLOTS) {
    const f = run.phases[slot];
    total.ms += f.ms;
    total.cpuMs += f.cpuMs;
    total.fakeMs += f.fakeMs;
    total.reads += f.reads;
    total.writes += f.writes;
    total.store += f.store;
    const name = slot === 'other' ? 'other (lock, pre-flight, report)' : slot;
    const mem = f.rss > 0 ? `| ${mb(f.rss)} | ${mb(f.heap)} |` : '| – | – |';
    lines.push(
      `| ${name} | ${ms(f.ms)} | ${ms(f.cpuMs)} | ${ms(f.fakeMs)} | ${n(f.reads)} | ${n(f.writes)} | ${n(f.store)} ${mem}`,
    );
  }
  lines.push(
    `| **run** | **${ms(total.ms)}** | **${ms(total.cpuMs)}** | **${ms(total.fakeMs)}** | **${n(total.reads)}** | **${n(total.writes)}** | **${n(total.store)}** | max RSS ${mb(run.maxRss)} | ${run.liveHeap !== undefined ? `live after GC ${mb(run.liveHeap)}` : '–'} |`,
    '',
    '| target kind | write calls | lower bound | bound + make-before-break allowance | lower bound counted as |',
    '|---|---:|---:|---:|---|',
  );
  for (const e of run.economy) {
    lines.push(`| ${e.kind} | ${n(e.writes)} | ${n(e.bound)} | ${n(e.allowed)} | ${e.rule} |`);
  }
  return lines.join('\n');
}

/** Runs the large-run bench and returns its Markdown. */
export async function largeRunMarkdown(scale = Number(process.env.LARGE_RUN_SCALE ?? 1)): Promise<string> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const { shapes, runs } = await measureLargeRuns({
    scale,
    ...(gc ? { gc } : {}),
    onRun: (name) => process.stderr.write(`bench: large run, ${name}\n`),
  });
  return [
    `## Large run: 25 allowlists, in process against the stateful fakes (${new Date().toISOString().slice(0, 10)}, node ${process.version}${gc ? '' : ', without --expose-gc'})`,
    '',
    shapeTable(shapes),
    '',
    ...runs.flatMap((run) => [runTable(run), '']),
  ].join('\n');
}

async function main(): Promise<void> {
  const text = await largeRunMarkdown();
  const dir = resolve(__dirname, '..', '..', '.bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'large-run.md'), text);
  process.stdout.write(text);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
