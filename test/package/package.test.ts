/**
 * The npm package as a user gets it (docs/design.md §9, tier 4): pack the tarball, install it beside aws-cdk-lib and
 * constructs into a temporary project, synthesize a TypeScript and a JavaScript CDK app that use the construct (the
 * examples of docs/package.md), and run the CLI from a second install of the tarball alone.
 *
 * The installs use npm's cache first (`--prefer-offline`). The file took 160 s and 310 s on a 2-core machine at load
 * average 16 and 20 (pack 6 s, the two installs in parallel 33 s, tsc over aws-cdk-lib's types 77 s beside the
 * JavaScript synth, then the TypeScript apps 37 s). `npm pack --ignore-scripts`: `npm test` has just built, and the prepack's second build
 * would rewrite dist/ under the test files running beside this one.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../cli/built-cli';
import { docExample } from '../support/doc-examples';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  exports: Record<string, unknown>;
};

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: Array<{ path: string }>;
}

let work = '';
let packed: Packed;
/** The template of the README's example. */
let readmeTemplate: Template;
/** `tsc --listFiles` of the TypeScript app. */
let tsFiles: string[] = [];

/**
 * The environment of every child: no npm script variables, the repository's node_modules/.bin off the PATH, and
 * stand-ins for esbuild and docker first on it, which leave a mark and fail if anything calls them.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('npm_') && key !== 'INIT_CWD' && key !== 'NODE_OPTIONS') env[key] = value;
  }
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => !d.includes('node_modules'));
  env.PATH = [path.join(work, 'stubs'), path.dirname(process.execPath), ...dirs].join(path.delimiter);
  return env;
}

function writeStubs(): void {
  mkdirSync(path.join(work, 'stubs'));
  mkdirSync(path.join(work, 'marks'));
  for (const tool of ['esbuild', 'docker']) {
    const file = path.join(work, 'stubs', tool);
    writeFileSync(file, `#!/bin/sh\necho "$@" > '${path.join(work, 'marks', tool)}'\nexit 1\n`);
    chmodSync(file, 0o755);
  }
}

async function npmInstall(dir: string, specs: string[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: path.basename(dir), private: true }));
  await run('npm', ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', ...specs], {
    cwd: dir,
    env: childEnv(),
  });
}

/** Synthesizes `app` (a .js file) into its own cloud assembly; returns the PartnerApi stack's template. */
async function synth(app: string, outdir: string): Promise<Template> {
  await run(process.execPath, [app], { cwd: path.dirname(app), env: { ...childEnv(), CDK_OUTDIR: outdir } }).catch(
    (e: unknown) => {
      throw new Error(`${app} failed: ${(e as { stderr: string }).stderr}`);
    },
  );
  return template(outdir);
}

/** The PartnerApi stack's template in a cloud assembly. */
function template(outdir: string): Template {
  return JSON.parse(readFileSync(path.join(outdir, 'PartnerApi.template.json'), 'utf8')) as Template;
}

/** A CDK app's usual compiler settings (strict, Node's module resolution, the package's exports honoured). */
const TS_CONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2022'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: true,
    types: [],
    outDir: 'out',
  },
  include: ['*.ts'],
};

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}
interface Template {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: unknown }>;
}

const templates = {} as Record<'TypeScript' | 'JavaScript', { template: Template; outdir: string }>;

beforeAll(async () => {
  ensureBuilt();
  if (!existsSync(path.join(ROOT, 'dist/function/index.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT });
  work = mkdtempSync(path.join(tmpdir(), 'allowlist-sync-package-'));
  writeStubs();
  const pack = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
    cwd: ROOT,
    env: childEnv(),
    encoding: 'utf8',
  });
  packed = (JSON.parse(pack) as Packed[])[0]!;
  const tarball = path.join(work, packed.filename);
  const consumer = path.join(work, 'partner-api');
  await Promise.all([
    // The app's own aws-cdk-lib and constructs are the versions this repository pins, linked from its node_modules:
    // unpacking aws-cdk-lib (160 MB, ~40,000 files) again on every run cost minutes of disk on a shared machine.
    npmInstall(consumer, [
      tarball,
      path.join(ROOT, 'node_modules/aws-cdk-lib'),
      path.join(ROOT, 'node_modules/constructs'),
    ]),
    npmInstall(path.join(work, 'cli-user'), [tarball]),
  ]);

  const tsApp = path.join(consumer, 'ts-app');
  mkdirSync(tsApp);
  writeFileSync(path.join(tsApp, 'app.ts'), docExample('docs/package.md', 'package-ts-app'));
  // Not in the page: proves the props are typed. If they were `any`, the directive would be unused, an error.
  writeFileSync(
    path.join(tsApp, 'typed-props.ts'),
    [
      "import type { AllowlistSyncProps } from 'allowlist-sync';",
      '// @ts-expect-error scheduleMinutes is a number',
      "export const wrong: AllowlistSyncProps = { allowlists: [], scheduleMinutes: 'often' };",
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(tsApp, 'readme.ts'), docExample('README.md', 'readme-construct'));
  writeFileSync(path.join(tsApp, 'tsconfig.json'), JSON.stringify(TS_CONFIG));
  const jsApp = path.join(consumer, 'js-app');
  mkdirSync(jsApp);
  writeFileSync(path.join(jsApp, 'app.js'), docExample('docs/package.md', 'package-js-app'));

  // The JavaScript app synthesizes while the TypeScript one compiles: two processes for two cores.
  const typescript = (async () => {
    const tsc = [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', tsApp, '--listFiles'];
    const compiled = await run(process.execPath, tsc, { env: childEnv(), encoding: 'utf8' }).catch((e: unknown) => {
      const { stdout, stderr } = e as { stdout: string; stderr: string };
      throw new Error(`tsc failed on the TypeScript app:\n${stdout}${stderr}`);
    });
    tsFiles = compiled.stdout.split('\n').filter(Boolean);
    // Both TypeScript apps in one process: loading aws-cdk-lib is most of a synth.
    const both = path.join(tsApp, 'out', 'both.js');
    writeFileSync(
      both,
      [
        `process.env.CDK_OUTDIR = ${JSON.stringify(path.join(work, 'out-ts'))}; require('./app.js');`,
        `process.env.CDK_OUTDIR = ${JSON.stringify(path.join(work, 'out-readme'))}; require('./readme.js');`,
      ].join('\n'),
    );
    await run(process.execPath, [both], { cwd: path.dirname(both), env: childEnv() }).catch((e: unknown) => {
      throw new Error(`the TypeScript apps failed: ${(e as { stderr: string }).stderr}`);
    });
    return [template(path.join(work, 'out-ts')), template(path.join(work, 'out-readme'))] as const;
  })();
  const javascript = synth(path.join(jsApp, 'app.js'), path.join(work, 'out-js'));
  const [[ts, readme], js] = await Promise.all([typescript, javascript]);
  readmeTemplate = readme;
  templates.TypeScript = { outdir: path.join(work, 'out-ts'), template: ts };
  templates.JavaScript = { outdir: path.join(work, 'out-js'), template: js };
}, 600_000);

afterAll(() => {
  if (work && !process.env.KEEP_PACKAGE_TEST) rmSync(work, { recursive: true, force: true });
}, 300_000);

describe('the packed tarball', () => {
  it('holds built JavaScript with type definitions, the prebuilt function, docs and the licence text: no tests, no TypeScript sources', () => {
    const files = packed.files.map((f) => f.path);
    for (const expected of [
      'dist/lib/index.js',
      'dist/lib/index.d.ts',
      'dist/lambda/core/index.js',
      'dist/lambda/core/index.d.ts',
      'dist/function/index.js',
      'dist/bin/allowlist-sync.js',
      'dist/bin/commands/aggregate.js',
      'package.json',
      'README.md',
      'LICENSE',
    ]) {
      expect(files).toContain(expected);
    }
    const unexpected = files.filter(
      (f) =>
        f.startsWith('test/') ||
        f.startsWith('dist/bench/') ||
        f.endsWith('.map') ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')),
    );
    expect(unexpected).toEqual([]);
  });

  it('exports the construct and the core, with aws-cdk-lib and constructs as peer dependencies only', () => {
    expect(Object.keys(pkg.exports)).toEqual(['.', './core', './package.json']);
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    expect(pkg.dependencies['aws-cdk-lib']).toBeUndefined();
    expect(pkg.dependencies.constructs).toBeUndefined();
  });
});

describe.each(['TypeScript', 'JavaScript'] as const)('a CDK app in %s with the installed package', (language) => {
  const resourcesOf = (type: string) =>
    Object.entries(templates[language].template.Resources).filter(([, r]) => r.Type === type);

  it('keeps its own API and puts the web ACL the construct created in front of it', () => {
    expect(resourcesOf('AWS::ApiGateway::RestApi')).toHaveLength(1);
    const [webAclId] = resourcesOf('AWS::WAFv2::WebACL')[0]!;
    const [, association] = resourcesOf('AWS::WAFv2::WebACLAssociation')[0]!;
    expect(association.Properties?.WebACLArn).toEqual({ 'Fn::GetAtt': [webAclId, 'Arn'] });
  });

  it('declares the IP sets empty, one per family', () => {
    const sets = resourcesOf('AWS::WAFv2::IPSet').map(([, r]) => [
      r.Properties?.IPAddressVersion,
      r.Properties?.Addresses,
    ]);
    expect(sets.sort()).toEqual([
      ['IPV4', []],
      ['IPV6', []],
    ]);
  });

  it("deploys the package's prebuilt function, byte for byte, without calling esbuild or docker", () => {
    const functions = resourcesOf('AWS::Lambda::Function').filter(([, r]) => r.Properties?.Handler === 'index.handler');
    const sync = functions.find(([, r]) => String(r.Properties?.Description).startsWith('allowlist-sync'));
    expect(sync).toBeDefined();
    const [, fn] = sync!;
    expect(fn.Properties?.Runtime).toBe('nodejs24.x');
    expect(fn.Properties?.ReservedConcurrentExecutions).toBe(1);
    const key = String((fn.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key);
    const asset = path.join(templates[language].outdir, `asset.${key.replace(/\.zip$/, '')}`);
    expect(readdirSync(asset)).toEqual(['index.js']);
    const shipped = path.join(work, 'partner-api/node_modules/allowlist-sync/dist/function/index.js');
    expect(readFileSync(path.join(asset, 'index.js')).equals(readFileSync(shipped))).toBe(true);
    expect(readdirSync(path.join(work, 'marks'))).toEqual([]);
    expect(existsSync(path.join(work, 'partner-api/node_modules/esbuild'))).toBe(false);
  });
});

describe('the TypeScript app', () => {
  it("reads the package's type definitions only, never its sources", () => {
    const ours = tsFiles.filter((f) => f.includes('/node_modules/allowlist-sync/'));
    expect(ours.some((f) => f.endsWith('/dist/lib/index.d.ts'))).toBe(true);
    expect(ours.some((f) => f.endsWith('/dist/lambda/core/index.d.ts'))).toBe(true);
    expect(ours.filter((f) => !f.endsWith('.d.ts'))).toEqual([]);
  });

  it("compiles and synthesizes the README's example: the construct's web ACL and function in the user's stack", () => {
    const types = Object.values(readmeTemplate.Resources).map((r) => r.Type);
    expect(types).toContain('AWS::WAFv2::WebACL');
    expect(types.filter((t) => t === 'AWS::WAFv2::IPSet')).toHaveLength(2);
    const handlers = Object.values(readmeTemplate.Resources).map((r) => r.Properties?.Handler);
    expect(handlers).toContain('index.handler');
  });

  it('uses the core as a library: the office output is the aggregate of its two halves', () => {
    expect(templates.TypeScript.template.Outputs?.OfficeRanges?.Value).toBe('203.0.113.0/24');
  });
});

describe('the CLI installed alone (npm install --omit=dev of the tarball)', () => {
  const dir = () => path.join(work, 'cli-user');

  it('comes without aws-cdk-lib or constructs (optional peers)', () => {
    expect(existsSync(path.join(dir(), 'node_modules/allowlist-sync/dist/bin/allowlist-sync.js'))).toBe(true);
    expect(existsSync(path.join(dir(), 'node_modules/aws-cdk-lib'))).toBe(false);
    expect(existsSync(path.join(dir(), 'node_modules/constructs'))).toBe(false);
  });

  it('runs the example of docs/package.md and prints what it says', () => {
    const example = docExample('docs/package.md', 'package-cli').split('\n');
    const commands = example.filter((l) => l && !l.startsWith('#') && !l.startsWith('npm install'));
    const expected = example.filter((l) => l.startsWith('# ')).map((l) => l.slice(2));
    const result = spawnSync('sh', ['-ec', commands.join('\n')], { cwd: dir(), env: childEnv(), encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n').filter(Boolean)).toEqual(expected);
    expect(result.status).toBe(0);
  });

  it('gives allowlist-sync/core without loading any AWS SDK or CDK module', () => {
    const script = [
      "const core = require('allowlist-sync/core');",
      "const set = core.PrefixSet.parse(['8.8.8.0/25', '8.8.8.128/25']).union(core.PrefixSet.parse(['1.1.1.1/32']));",
      'const loaded = Object.keys(require.cache).filter((f) => /node_modules\\/(@aws-sdk|@smithy|aws-cdk-lib)\\//.test(f));',
      'console.log(JSON.stringify({ cidrs: set.toCidrs(), loaded }));',
    ].join('\n');
    const result = spawnSync(process.execPath, ['-e', script], { cwd: dir(), env: childEnv(), encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ cidrs: ['1.1.1.1/32', '8.8.8.0/24'], loaded: [] });
  });
});
