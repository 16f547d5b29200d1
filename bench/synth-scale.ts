/**
 * `npm run bench` part 3 (alone: `npm run bench -- --only synth-scale`, or `node dist/bench/synth-scale.js`): the
 * standalone app (`bin/app.ts`) synthesized for 1, 10 and 50 environments, each in its own account and one of eight
 * Regions, each the sample config's first environment. Each synth runs the app the way `cdk synth` does (a child process
 * with `CDK_OUTDIR` and `CDK_CONTEXT_JSON`: cdk.json's context, bundling on, metadata on), without the CDK CLI's own
 * start-up, so the figure is the app's. Reports wall time, peak memory, the templates written, how many times CDK
 * bundled the function (its `Bundling asset` line) and how many distinct code assets the functions point at.
 * See docs/performance.md "Synth time".
 *
 * Environment: SYNTH_SCALE_COUNTS (default `1,10,50`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository: this file runs compiled from dist/bench/, and as TypeScript from bench/ in the tests. */
const root = existsSync(join(__dirname, '..', 'package.json'))
  ? resolve(__dirname, '..')
  : resolve(__dirname, '..', '..');
const REGIONS = [
  'eu-west-1',
  'eu-central-1',
  'us-east-1',
  'us-west-2',
  'ap-southeast-2',
  'ap-northeast-1',
  'sa-east-1',
  'ca-central-1',
];

/** One synth's figures. */
export interface SynthFigures {
  readonly environments: number;
  readonly wallMs: number;
  readonly maxRssMb: number;
  readonly templates: number;
  /** `Bundling asset …` lines: esbuild runs. */
  readonly bundlings: number;
  /** Distinct code assets (S3 keys) of the sync functions over all templates. */
  readonly functionCodeAssets: number;
  /** `asset.*` entries in the cloud assembly folder (the function's code and CDK's own custom resource handlers). */
  readonly stagedAssets: number;
}

/**
 * The sample config in `n` environments: each is the sample's first environment (its allowlists and their
 * per-environment values) in its own account, Regions taken in turn.
 */
export function deploymentConfigFor(n: number): Record<string, unknown> {
  const sample = JSON.parse(readFileSync(join(root, 'config', 'sample.json'), 'utf8')) as {
    environments: Record<string, unknown>[];
  };
  const environments = Array.from({ length: n }, (_, i) => ({
    ...sample.environments[0],
    name: `env-${i + 1}`,
    account: String(100_000_000_000 + i + 1),
    region: REGIONS[i % REGIONS.length]!,
  }));
  return { ...sample, environments };
}

/** Synthesizes `bin/app.ts` for `n` environments in a fresh folder and measures it. */
export function synthesize(n: number): SynthFigures {
  const work = mkdtempSync(join(tmpdir(), `synth-scale-${n}-`));
  try {
    const configFile = join(work, 'config.json');
    writeFileSync(configFile, JSON.stringify(deploymentConfigFor(n)));
    const outdir = join(work, 'cdk.out');
    mkdirSync(outdir);
    const cdkJson = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
    // What the CDK CLI hands the app for `cdk synth` (bundling every stack, path and asset metadata, version reporting).
    const context = {
      ...cdkJson.context,
      allowlistSyncConfig: configFile,
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:enable-asset-metadata': true,
      'aws:cdk:version-reporting': true,
      'aws:cdk:bundling-stacks': ['**'],
    };
    const tsx = join(root, 'node_modules', '.bin', 'tsx');
    const started = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', 'maxrss %M', tsx, 'bin/app.ts'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
    });
    const wallMs = performance.now() - started;
    if (r.status !== 0) throw new Error(`synth of ${n} environments failed (exit ${r.status}):\n${r.stderr}`);
    const maxRssKb = Number(/maxrss (\d+)/.exec(r.stderr)?.[1] ?? Number.NaN);
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
    };
    const stacks = Object.values(manifest.artifacts).filter((a) => a.type === 'aws:cloudformation:stack');
    const codeAssets = new Set<string>();
    for (const stack of stacks) {
      const template = JSON.parse(readFileSync(join(outdir, stack.properties!.templateFile!), 'utf8')) as {
        Resources: Record<string, { Type: string; Properties: { Description?: string; Code?: { S3Key?: string } } }>;
      };
      for (const resource of Object.values(template.Resources)) {
        if (
          resource.Type === 'AWS::Lambda::Function' &&
          resource.Properties.Description?.startsWith('allowlist-sync:')
        ) {
          codeAssets.add(String(resource.Properties.Code?.S3Key));
        }
      }
    }
    return {
      environments: n,
      wallMs,
      maxRssMb: Math.round(maxRssKb / 1024),
      templates: stacks.length,
      bundlings: (r.stderr.match(/^Bundling asset /gm) ?? []).length,
      functionCodeAssets: codeAssets.size,
      stagedAssets: readdirSync(outdir).filter((f) => f.startsWith('asset.')).length,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The figures as Markdown. */
export function synthScaleTable(figures: readonly SynthFigures[]): string {
  const lines = [
    `## Synth time by environments (bin/app.ts with the sample's allowlists, ${new Date().toISOString().slice(0, 10)}, node ${process.version})`,
    '',
    '| environments | wall time (s) | per environment (s) | peak RSS (MB) | templates | function bundlings | function code assets | staged assets |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const f of figures) {
    lines.push(
      `| ${f.environments} | ${(f.wallMs / 1000).toFixed(1)} | ${(f.wallMs / 1000 / f.environments).toFixed(2)} | ${f.maxRssMb} | ${f.templates} | ${f.bundlings} | ${f.functionCodeAssets} | ${f.stagedAssets} |`,
    );
  }
  return lines.join('\n');
}

/** Runs every count in turn and returns the Markdown. */
export function synthScaleMarkdown(counts = (process.env.SYNTH_SCALE_COUNTS ?? '1,10,50').split(',').map(Number)) {
  const figures = counts.map((n) => {
    process.stderr.write(`bench: synth of ${n} environment(s)\n`);
    return synthesize(n);
  });
  return synthScaleTable(figures);
}

if (require.main === module) {
  try {
    process.stdout.write(`${synthScaleMarkdown()}\n`);
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
