/**
 * The Lambda bundle's size and cold-load time. Bundles lambda/function/handler.ts with esbuild using exactly the stack's
 * options (lib/bundling-options.ts: platform node, target node24, cjs, minified, no source map, the pinned SDK
 * clients bundled, main fields `module,main`), then times a cold `require()` of the bundle in a fresh `node` process
 * (median of 5), with a realistic RuntimeConfig in `ALLOWLIST_SYNC_CONFIG` so the cold start parses it as in Lambda.
 *
 * Called by bench/run.ts (`measureBundle`); runnable alone: `npm run build && node dist/bench/bundle.js`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { esbuildOptions, FUNCTION_ENTRY } from '../lib/bundling-options';

/** What {@link measureBundle} measured. */
export interface BundleFigures {
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Cold `require()` times, ms, one per fresh process. */
  readonly requireMs: readonly number[];
  readonly medianRequireMs: number;
  readonly outfile: string;
  /** A Markdown table for the bench report. */
  readonly table: string;
}

/** A RuntimeConfig like a deployed one: one allowlist, an S3 source, one target of each kind. */
export const SAMPLE_CONFIG = {
  version: 1,
  allowlists: [
    {
      name: 'partners',
      sources: [{ kind: 's3', bucket: 'allowlists-bucket', key: 'partners.txt' }],
      targets: [
        {
          kind: 'security-groups',
          groupIds: ['sg-0123456789abcdef0'],
          ports: [{ protocol: 'tcp', from: 443, to: 443 }],
        },
        { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [{ name: 'partners-v4-1', id: 'a1b2c3d4' }] },
        { kind: 'prefix-lists', ipv4: 'pl-0123456789abcdef0' },
      ],
    },
  ],
};

/** Bundles the handler as the stack does and measures it; also measures the alternative of the runtime's SDK. */
export async function measureBundle(options: { runs?: number } = {}): Promise<BundleFigures> {
  const runs = options.runs ?? 5;
  const root = repositoryRoot(__dirname);
  const stack = await bundleAndTime(root, 'bundle', [], runs);
  // The trade-off the stack did not take: leave @aws-sdk/* to the Lambda runtime's own copy (resolved here from
  // node_modules, as the runtime resolves its built-in SDK).
  const external = await bundleAndTime(root, 'bundle-sdk-external', ['@aws-sdk/*'], runs);
  const table = [
    `| Lambda bundle (esbuild, as the stack bundles it; node ${process.version}, median of ${runs} cold require()) | minified | gzip | cold require() |`,
    '|---|---|---|---|',
    `| SDK clients bundled (the stack's choice) | ${kib(stack.bytes)} | ${kib(stack.gzipBytes)} | ${stack.median.toFixed(0)} ms |`,
    `| @aws-sdk/* external (the runtime's SDK) | ${kib(external.bytes)} | ${kib(external.gzipBytes)} | ${external.median.toFixed(0)} ms |`,
  ].join('\n');
  return {
    bytes: stack.bytes,
    gzipBytes: stack.gzipBytes,
    requireMs: stack.requireMs,
    medianRequireMs: stack.median,
    outfile: stack.outfile,
    table,
  };
}

async function bundleAndTime(root: string, name: string, external: string[], runs: number) {
  const outdir = join(root, '.bench', name);
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'index.js');
  const base = esbuildOptions();
  await build({
    ...base,
    external: [...base.external, ...external],
    entryPoints: [join(root, FUNCTION_ENTRY)],
    outfile,
    logLevel: 'warning',
  });
  const code = readFileSync(outfile);
  const requireMs: number[] = [];
  for (let i = 0; i < runs; i++) requireMs.push(coldRequireMs(outfile));
  return { outfile, bytes: code.length, gzipBytes: gzipSync(code).length, requireMs, median: median(requireMs) };
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

/** Time of `require(file)` in a new node process, measured inside it (process start-up excluded). */
function coldRequireMs(file: string): number {
  const script =
    'const t=process.hrtime.bigint();require(process.argv[1]);' +
    'process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))';
  const out = execFileSync(process.execPath, ['--no-warnings', '-e', script, file], {
    env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', ALLOWLIST_SYNC_CONFIG: JSON.stringify(SAMPLE_CONFIG) },
    encoding: 'utf8',
  });
  return Number(out);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** The nearest directory above `from` holding both package.json and lambda/ (works from bench/ and dist/bench/). */
function repositoryRoot(from: string): string {
  let dir = from;
  while (!(existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'lambda')))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no repository root above ${from}`);
    dir = up;
  }
  return dir;
}

if (require.main === module) {
  measureBundle().then(
    (figures) => process.stdout.write(`${figures.table}\n`),
    (error: unknown) => {
      process.stderr.write(`bench/bundle: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
