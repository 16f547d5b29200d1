/**
 * `npm run bench`: the core's speed and memory against the reference tools, side by side in one run, on the real
 * lists of test/fixtures/lists (or of the folder given with `--data DIR`) and on generated ones; then the Lambda
 * bundle's size and cold-load time. A real list missing from the folder is skipped, and the report says so.
 *
 * Every tool is timed as a whole process by hyperfine (median of BENCH_RUNS runs, default 5, after one warm-up),
 * and every tool's output is compared with ours before its time is trusted. Ratios are ours / theirs (below 1 is
 * faster), measured in the same run because these machines are shared and noisy. Results are printed as a Markdown
 * table and written to .bench/results.md.
 *
 * Usage: `npm run bench [-- --data DIR] [--only large-run|aggregate|synth-scale|config-load]`.
 * Then the large run (bench/large-run.ts, docs/performance-large-run.md): 25 allowlists and 100,000 entries through
 * the engine against the stateful fakes, in its own process (run with --expose-gc, so its memory is its own), written
 * to .bench/large-run.md and appended here.
 *
 * Environment: BENCH_RUNS (default 5), BENCH_QUICK=1 (small inputs, no Python on the 1M list: for trying it out).
 * Then the synth time of the standalone app for 1, 10 and 50 environments (bench/synth-scale.ts, docs/performance.md
 * "Synth time"): wall time, templates, and how many times the function was bundled; then the RuntimeConfig's sizes
 * and loading cost (bench/config-load.ts, docs/runtime-config-delivery.md).
 *
 * `--only large-run` runs only the large run; `--only aggregate` only the comparison and the bundle; `--only
 * synth-scale` only the synth times; `--only config-load` only the RuntimeConfig's sizes and loading cost.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateV4, generateV6 } from './generate';
import { BENCH_PARTS, type BenchPart } from './parts';
import { synthScaleMarkdown } from './synth-scale';

const root = resolve(__dirname, '..', '..');
const { values: flags } = parseArgs({ options: { data: { type: 'string' }, only: { type: 'string' } } });
/** The real lists: the repository's own copies unless `--data DIR` names another folder of the same layout. */
const data = resolve(flags.data ?? join(root, 'test', 'fixtures', 'lists'));
const work = join(root, '.bench');
const runs = Number(process.env.BENCH_RUNS ?? 5);
const quick = process.env.BENCH_QUICK === '1';
const cli = join(root, 'dist', 'bin', 'allowlist-sync.js');

interface Case {
  readonly name: string;
  /** Lines for the reference tools (text, one prefix a line). */
  readonly text: string;
  /** Arguments of our `aggregate` (the file, its format, and the policy relaxation the list needs). */
  readonly ours: string[];
  readonly hasV6: boolean;
  readonly python: boolean;
}

interface Timing {
  readonly tool: string;
  readonly median: number;
  readonly ok: boolean;
}

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/** The real lists' cases whose file is missing from the data folder, named in the report. */
const skipped: string[] = [];

function prepare(): Case[] {
  mkdirSync(work, { recursive: true });
  const v4 = join(work, quick ? 'ipv4-100k.txt' : 'ipv4-1m.txt');
  if (!existsSync(v4)) writeFileSync(v4, generateV4(quick ? 100_000 : 1_000_000));
  const v6 = join(work, quick ? 'ipv6-20k.txt' : 'ipv6-200k.txt');
  if (!existsSync(v6)) writeFileSync(v6, generateV6(quick ? 20_000 : 200_000));
  const relaxed = ['--allow-private', '--allow-special', '--min-prefix-length4', '1', '--min-prefix-length6', '1'];
  const generated: Case[] = [
    { name: `generated IPv4, ${quick ? '100k' : '1M'} lines`, text: v4, ours: [v4], hasV6: false, python: true },
    { name: `generated IPv6, ${quick ? '20k' : '200k'} lines`, text: v6, ours: [v6], hasV6: true, python: true },
  ];
  const real: Case[] = [
    {
      name: 'stopforumspam_90d (138k hosts)',
      text: join(data, 'blocklists', 'stopforumspam_90d.ipset'),
      ours: [join(data, 'blocklists', 'stopforumspam_90d.ipset'), ...relaxed],
      hasV6: false,
      python: true,
    },
    {
      name: 'microsoft-azure (56k, both families)',
      text: join(data, 'cloud', 'microsoft-azure.txt'),
      ours: [join(data, 'cloud', 'microsoft-azure.txt'), ...relaxed],
      hasV6: true,
      python: true,
    },
    {
      name: 'aws-ip-ranges.json (17k, both families)',
      text: join(work, 'aws-ip-ranges.txt'),
      ours: [join(data, 'aws-ip-ranges.json'), '--format', 'aws-ip-ranges', ...relaxed],
      hasV6: true,
      python: true,
    },
  ];
  const present = real.filter((c) => {
    const file = c.ours[0]!;
    if (existsSync(file)) return true;
    skipped.push(`${c.name}: ${file} is missing`);
    return false;
  });
  const awsJson = join(data, 'aws-ip-ranges.json');
  if (existsSync(awsJson)) {
    // The references read text; ours reads the JSON feed itself (parsing JSON is part of its job).
    const aws = JSON.parse(readFileSync(awsJson, 'utf8')) as {
      prefixes: Array<{ ip_prefix: string }>;
      ipv6_prefixes: Array<{ ipv6_prefix: string }>;
    };
    writeFileSync(
      join(work, 'aws-ip-ranges.txt'),
      `${[...aws.prefixes.map((p) => p.ip_prefix), ...aws.ipv6_prefixes.map((p) => p.ipv6_prefix)].join('\n')}\n`,
    );
  }
  for (const line of skipped) process.stderr.write(`bench: skipped ${line}\n`);
  return [...generated, ...present];
}

function commandsFor(c: Case): Array<{ tool: string; argv: string[] }> {
  const list = [{ tool: 'allowlist-sync', argv: ['node', cli, 'aggregate', ...c.ours] }];
  if (!c.hasV6 && has('iprange')) list.push({ tool: 'iprange', argv: ['iprange', c.text] });
  list.push({ tool: 'cidr-tools 11', argv: ['node', join(root, 'bench', 'reference', 'cidr-tools.mjs'), c.text] });
  if (c.python && has('python3') && !(quick && c.name.includes('IPv4'))) {
    list.push({ tool: 'python ipaddress', argv: ['python3', join(root, 'bench', 'reference', 'collapse.py'), c.text] });
  }
  return list;
}

/** Runs a command once; returns its output lines sorted, normalised for comparison (iprange prints bare /32s). */
function outputOf(argv: string[]): string[] {
  const out = execFileSync(argv[0]!, argv.slice(1), { maxBuffer: 1 << 30, encoding: 'latin1' });
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => (l.includes('/') ? l : `${l}/${l.includes(':') ? 128 : 32}`))
    .sort();
}

function time(c: Case): Timing[] {
  const commands = commandsFor(c);
  const expected = outputOf(commands[0]!.argv);
  const ok = commands.map((cmd, i) => {
    if (i === 0) return true;
    const got = outputOf(cmd.argv);
    return got.length === expected.length && got.every((line, k) => line === expected[k]);
  });
  const json = join(work, 'hyperfine.json');
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  execFileSync(
    'hyperfine',
    [
      '-N',
      '--style',
      'none',
      '--warmup',
      '1',
      '--runs',
      String(runs),
      '--export-json',
      json,
      ...commands.map((cmd) => cmd.argv.map(quote).join(' ')),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const results = (JSON.parse(readFileSync(json, 'utf8')) as { results: Array<{ median: number }> }).results;
  return commands.map((cmd, i) => ({ tool: cmd.tool, median: results[i]!.median, ok: ok[i]! }));
}

function peakMemoryMb(argv: string[]): number {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { encoding: 'latin1', maxBuffer: 1 << 30 });
  const kb = Number(r.stderr.trim().split('\n').pop());
  return Math.round(kb / 1024);
}

/** Runs bench/large-run.js in a fresh process and returns the Markdown it wrote. */
function largeRun(): string {
  const r = spawnSync(process.execPath, ['--expose-gc', join(__dirname, 'large-run.js')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`the large run failed (exit ${r.status})`);
  return readFileSync(join(work, 'large-run.md'), 'utf8');
}

function only(): BenchPart | undefined {
  const value = flags.only;
  if (value === undefined) return undefined;
  const part = BENCH_PARTS.find((p) => p === value);
  if (part === undefined) {
    throw new Error(`--only ${value}: expected one of ${BENCH_PARTS.map((p) => `"${p}"`).join(', ')}`);
  }
  return part;
}

async function main(): Promise<void> {
  const part = only();
  if (part === 'config-load') {
    const { measureConfigLoad } = require(join(__dirname, 'config-load.js')) as typeof import('./config-load');
    process.stdout.write(`${await measureConfigLoad(work)}\n`);
    return;
  }
  if (part === 'large-run') {
    process.stdout.write(largeRun());
    return;
  }
  if (part === 'synth-scale') {
    process.stdout.write(`${synthScaleMarkdown()}\n`);
    return;
  }
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run 'npm run build' first (npm run bench does)`);
  if (!has('hyperfine')) throw new Error('hyperfine is not installed: apt-get install hyperfine iprange');
  const cases = prepare();
  const lines: string[] = [
    `Whole process, median of ${runs} runs (hyperfine, 1 warm-up), ${new Date().toISOString().slice(0, 10)}, node ${process.version}.`,
    'Ratio = allowlist-sync time / tool time (below 1: allowlist-sync is faster). ✓ = output identical to ours.',
    '',
    '| input | tool | median (s) | ratio | same output |',
    '|---|---|---:|---:|:---:|',
  ];
  for (const c of cases) {
    process.stderr.write(`bench: ${c.name}\n`);
    const timings = time(c);
    const ours = timings[0]!.median;
    for (const t of timings) {
      lines.push(
        `| ${c.name} | ${t.tool} | ${t.median.toFixed(3)} | ${t === timings[0] ? '1.00' : (ours / t.median).toFixed(3)} | ${t.ok ? '✓' : '✗'} |`,
      );
    }
  }
  if (skipped.length > 0) lines.push('', `Skipped (not in ${data}): ${skipped.join('; ')}.`);
  const first = cases[0]!;
  lines.push(
    '',
    `Peak memory (max RSS) of allowlist-sync on ${first.name}: ${peakMemoryMb(['node', cli, 'aggregate', ...first.ours])} MB.`,
  );
  const bundle = join(__dirname, 'bundle.js');
  if (existsSync(bundle)) {
    const { measureBundle } = require(bundle) as { measureBundle: () => Promise<{ table: string }> };
    lines.push('', (await measureBundle()).table);
  }
  if (part === undefined) {
    lines.push('', largeRun(), '', synthScaleMarkdown());
    const { measureConfigLoad } = require(join(__dirname, 'config-load.js')) as typeof import('./config-load');
    lines.push('', await measureConfigLoad(work));
  }
  const table = lines.join('\n');
  writeFileSync(join(work, 'results.md'), `${table}\n`);
  process.stdout.write(`${table}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
