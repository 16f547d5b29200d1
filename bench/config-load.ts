/**
 * `npm run bench -- --only config-load` (docs/runtime-config-delivery.md): what reading the RuntimeConfig of a
 * 25-allowlist deployment costs the function, and how big it is for each way of delivering it.
 *
 * - Sizes: the whole config in the environment (a, today's before), the static part in the code asset with only the
 *   deploy-time ids in the environment (b), and one SSM parameter per allowlist (c), all with the longest ids AWS
 *   issues (lib/runtime-config.ts LONGEST_ID) against Lambda's 4 KB environment and SSM's 4 KB Standard value.
 * - Parse: JSON.parse plus the function's zod schema, cold in a fresh Node process that requires the loader bundled
 *   exactly as the function is (esbuild, lib/bundling-options.ts), median of 7 processes; and warm, in process.
 * - SSM: the loader against moto on 127.0.0.1 (when installed), counting GetParametersByPath calls; moto's latency
 *   is a local Python server's, not AWS's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { buildSync } from 'esbuild';
import { parseRuntimeConfigJson, type RuntimeConfigInput } from '../lambda/config';
import { configParameterName, configParameterPath, SsmConfigStore } from '../lambda/engine/config-store';
import { esbuildOptions } from '../lib/bundling-options';
import {
  environmentSize,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  LONGEST_ID,
  PARAMETER_VALUE_LIMIT_BYTES,
} from '../lib/runtime-config';
import { moto, startMoto } from '../test/support/moto';

const ALLOWLISTS = 25;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f1 = (x: number) => x.toFixed(1);

/** The 25 allowlists of test/infra/large-deployment.test.ts, every filter each, with the longest ids. */
export function largeRuntimeConfig(count = ALLOWLISTS): RuntimeConfigInput {
  return {
    version: 1,
    allowlists: Array.from({ length: count }, (_, i) => ({
      name: `partner-network-${String(i + 1).padStart(2, '0')}`,
      sources: [{ kind: 's3', bucket: 'allowlists-111122223333', key: `partners/network-${i + 1}.txt` }],
      guardrails: {},
      targets: [
        {
          kind: 'security-groups',
          groupIds: [LONGEST_ID.securityGroup, LONGEST_ID.securityGroup],
          ports: [{ protocol: 'tcp', from: 443, to: 443 }],
        },
        {
          kind: 'waf-ip-sets',
          scope: 'REGIONAL',
          ipv4: [1, 2].map((n) => ({
            name: `AllowlistSync-large-partner-network-${i + 1}-v4-${n}`,
            id: LONGEST_ID.ipSetId,
          })),
          ipv6: [1, 2].map((n) => ({
            name: `AllowlistSync-large-partner-network-${i + 1}-v6-${n}`,
            id: LONGEST_ID.ipSetId,
          })),
        },
        { kind: 'prefix-lists', ipv4: LONGEST_ID.prefixList, ipv6: LONGEST_ID.prefixList },
      ],
    })),
  };
}

/** The sizes of the three ways, in bytes. */
function sizes(config: RuntimeConfigInput): string[] {
  const whole = environmentSize({ ALLOWLIST_SYNC_CONFIG: JSON.stringify(config) });
  // (b): only the ids stay in the environment, one variable per id (the shortest keys that could name them).
  const ids: Record<string, string> = {};
  config.allowlists.forEach((a, i) => {
    for (const t of a.targets) {
      const list =
        t.kind === 'security-groups'
          ? t.groupIds
          : t.kind === 'waf-ip-sets'
            ? [...(t.ipv4 ?? []), ...(t.ipv6 ?? [])].map((s) => s.id)
            : [t.ipv4, t.ipv6].filter((p): p is string => p !== undefined);
      list.forEach((id, j) => {
        ids[`A${i}${t.kind[0]}${j}`] = id;
      });
    }
  });
  const idsOnly = environmentSize(ids);
  const entries = config.allowlists.map((a) => Buffer.byteLength(JSON.stringify(a), 'utf8'));
  const names = config.allowlists.map((a) => a.name).join(',');
  const pathEnv = environmentSize({
    ALLOWLIST_SYNC_CONFIG_PATH: configParameterPath('AllowlistSync-large'),
    ALLOWLIST_SYNC_ALLOWLISTS: names,
  });
  const fits = (bytes: number, limit: number) => (bytes <= limit ? 'fits' : `over by ${bytes - limit}`);
  return [
    `| way (${config.allowlists.length} allowlists, longest ids) | bytes | limit | |`,
    '|---|---:|---:|---|',
    `| (a) whole RuntimeConfig in the environment | ${whole} | ${LAMBDA_ENVIRONMENT_LIMIT_BYTES} | ${fits(whole, LAMBDA_ENVIRONMENT_LIMIT_BYTES)} |`,
    `| (b) only the deploy-time ids in the environment | ${idsOnly} | ${LAMBDA_ENVIRONMENT_LIMIT_BYTES} | ${fits(idsOnly, LAMBDA_ENVIRONMENT_LIMIT_BYTES)} |`,
    `| (c) environment: path and names | ${pathEnv} | ${LAMBDA_ENVIRONMENT_LIMIT_BYTES} | ${fits(pathEnv, LAMBDA_ENVIRONMENT_LIMIT_BYTES)} |`,
    `| (c) largest parameter (one allowlist) | ${Math.max(...entries)} | ${PARAMETER_VALUE_LIMIT_BYTES} | ${fits(Math.max(...entries), PARAMETER_VALUE_LIMIT_BYTES)} |`,
  ];
}

/** Cold: a fresh process requires the bundled loader and parses the config once; median of 7 processes. */
function coldParse(dir: string, text: string): { requireMs: number; parseMs: number; bundleKb: number } {
  const loader = join(dir, 'config-loader.js');
  const result = buildSync({
    ...esbuildOptions(),
    stdin: {
      contents:
        "export { parseRuntimeConfigJson } from './lambda/config';\nexport { SsmConfigStore } from './lambda/engine/config-store';\n",
      resolveDir: repositoryRoot(),
      loader: 'ts',
    },
    outfile: loader,
    metafile: true,
  });
  const bundleKb = Object.values(result.metafile.outputs)[0]!.bytes / 1024;
  const config = join(dir, 'config.json');
  writeFileSync(config, text);
  const script = `const {performance}=require('node:perf_hooks');const t0=performance.now();const m=require(${JSON.stringify(loader)});const t1=performance.now();m.parseRuntimeConfigJson(require('node:fs').readFileSync(${JSON.stringify(config)},'utf8'));const t2=performance.now();process.stdout.write(JSON.stringify([t1-t0,t2-t1]))`;
  const samples = Array.from({ length: 7 }, () => {
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cold parse failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as [number, number];
  });
  return { requireMs: median(samples.map((s) => s[0])), parseMs: median(samples.map((s) => s[1])), bundleKb };
}

/** The repository root, from bench/ or dist/bench/. */
function repositoryRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'lambda', 'config', 'index.ts'))) {
    if (dirname(dir) === dir) throw new Error(`no repository root above ${__dirname}`);
    dir = dirname(dir);
  }
  return dir;
}

/** Warm: the same parse in this process, after 5 warm-ups; median of 50. */
function warmParse(text: string): number {
  for (let i = 0; i < 5; i++) parseRuntimeConfigJson(text);
  return median(
    Array.from({ length: 50 }, () => {
      const t = performance.now();
      parseRuntimeConfigJson(text);
      return performance.now() - t;
    }),
  );
}

/** The loader against moto: first read (parse included) and later reads (versions unchanged: calls only). */
async function ssmReads(config: RuntimeConfigInput): Promise<string[]> {
  if (!moto.available) return ['SSM: skipped, moto is not installed (pip install moto[server]).'];
  const server = await startMoto();
  try {
    const ssm = new SSMClient({
      endpoint: server.url,
      region: server.env.AWS_REGION!,
      credentials: { accessKeyId: server.env.AWS_ACCESS_KEY_ID!, secretAccessKey: server.env.AWS_SECRET_ACCESS_KEY! },
    });
    const path = configParameterPath('AllowlistSync-large');
    for (const a of config.allowlists) {
      await ssm.send(
        new PutParameterCommand({ Name: configParameterName(path, a.name), Value: JSON.stringify(a), Type: 'String' }),
      );
    }
    const store = new SsmConfigStore(ssm, { path, allowlists: config.allowlists.map((a) => a.name) });
    const t = performance.now();
    const first = await store.load();
    const firstMs = performance.now() - t;
    const later = Array.from({ length: 20 }, () => 0);
    for (let i = 0; i < later.length; i++) {
      const s = performance.now();
      await store.load();
      later[i] = performance.now() - s;
    }
    return [
      `| SSM read against moto on 127.0.0.1 (not AWS's latency) | calls | ms |`,
      '|---|---:|---:|',
      `| first read (parse included) | ${first.calls} GetParametersByPath | ${f1(firstMs)} |`,
      `| later run, nothing changed (no parse), median of 20 | ${first.calls} GetParametersByPath | ${f1(median(later))} |`,
    ];
  } finally {
    await server.stop();
  }
}

/** Runs the part and returns its Markdown. */
export async function measureConfigLoad(work: string): Promise<string> {
  mkdirSync(work, { recursive: true });
  const config = largeRuntimeConfig();
  const text = JSON.stringify(config);
  const cold = coldParse(work, text);
  const lines = [
    `RuntimeConfig delivery, ${ALLOWLISTS} allowlists with every filter (node ${process.version}):`,
    '',
    ...sizes(config),
    '',
    '| parse (JSON.parse + the zod schema) | ms |',
    '|---|---:|',
    `| cold: require the bundled loader (${cold.bundleKb.toFixed(0)} KiB), median of 7 fresh processes | ${f1(cold.requireMs)} |`,
    `| cold: first parse of the ${ALLOWLISTS} allowlists in that process | ${f1(cold.parseMs)} |`,
    `| warm: a later parse, median of 50 | ${warmParse(text).toFixed(2)} |`,
    '',
    ...(await ssmReads(config)),
  ];
  const table = lines.join('\n');
  writeFileSync(join(work, 'config-load.md'), `${table}\n`);
  return table;
}
