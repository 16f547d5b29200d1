/**
 * Issue 10, item 7: the CLI friction a new user met, each through the built CLI against a local WAFv2 + SSM endpoint
 * backed by the fakes: the JSON error object of `--json`, a missing Region, `--region`/`--profile`, the one-line
 * Node.js notice, `--full`, relative `file` paths, counts in the singular, and advice the tool itself accepts.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../lambda/core/model';
import { FakeWafv2 } from '../fakes';
import { FakeSsm } from '../fakes/fake-ssm';
import { ensureBuilt } from './built-cli';
import { type LocalEndpoint, startLambdaEndpoint, startWafEndpoint } from './local-aws';
import { runCli, TEST_CREDENTIALS } from './process';

const dir = mkdtempSync(path.join(tmpdir(), 'allowlist-sync-friction-'));
/** A home with no ~/.aws: the SDK finds no profile and no Region there. */
const HOME = path.join(dir, 'home');
mkdirSync(HOME);

let waf: FakeWafv2;
let endpoint: LocalEndpoint & { operations: string[] };
let setId: string;

beforeAll(async () => {
  ensureBuilt();
  waf = new FakeWafv2({ maxAttempts: 1, enforceWriteRate: false });
  setId = waf.createIpSet({ scope: 'REGIONAL', name: 'partners-v4', family: 'IPV4', addresses: [] }).Id;
  endpoint = await startWafEndpoint(waf, new FakeSsm());
}, 180_000);
afterAll(() => endpoint.close());

/** The environment of a configured user: endpoint, Region, credentials; no ~/.aws. */
const env = (extra: Record<string, string> = {}) => ({
  HOME,
  AWS_ENDPOINT_URL: endpoint.url,
  AWS_REGION: 'eu-west-1',
  NODE_NO_WARNINGS: '1',
  ...TEST_CREDENTIALS,
  ...extra,
});
/** The same without any Region. */
const noRegion = (extra: Record<string, string> = {}) => {
  const { AWS_REGION: _, ...rest } = env(extra);
  return rest;
};

function writeConfig(name: string, sources: unknown[], where = dir): string {
  const file = path.join(where, name);
  const target = { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [{ name: 'partners-v4', id: setId }] };
  writeFileSync(file, JSON.stringify({ version: 1, allowlists: [{ name: 'partners', sources, targets: [target] }] }));
  return file;
}

const inline = (entries: string[]) => [{ kind: 'inline', entries }];
/** `n` public /24s, none adjacent (so aggregation keeps them apart). */
const many = (n: number) => Array.from({ length: n }, (_, i) => `11.${Math.floor(i / 100)}.${(i % 100) * 2}.0/24`);

describe('--json with a config or input error prints one JSON error object on stdout, same exit code', () => {
  it.each([
    ['plan, a missing config file', ['plan', '--config', path.join(dir, 'nope.json')], 'config', 'ConfigError'],
    ['apply, a config naming a bad field', ['apply', '--config', 'BAD'], 'config', 'ConfigError'],
    ['plan, an unknown option', ['plan', '--config', 'x', '--colour'], 'usage', 'UsageError'],
    ['invoke, no --function', ['invoke'], 'usage', 'UsageError'],
    ['validate, a malformed line', ['validate', '-'], 'input', 'ParseError'],
    ['diff, one list only', ['diff', '-'], 'usage', 'UsageError'],
    ['explain, no address', ['explain', '--config', 'BAD'], 'usage', 'UsageError'],
  ])('%s', async (_, argv, kind, name) => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ version: 1, allowlists: [{ name: 'x', sources: [], targets: [] }] }));
    const args = argv.map((a) => (a === 'BAD' ? bad : a));
    const input = '11.0.0.0/16\n10.1\n';
    const text = await runCli(args, env(), { input });
    const json = await runCli([...args, '--json'], env(), { input });
    expect(text.code).toBe(1);
    expect(json.code).toBe(text.code);
    expect(text.stdout).toBe('');
    const object = JSON.parse(json.stdout) as { error: Record<string, unknown>; exitCode: number };
    expect(object).toMatchObject({ error: { command: args[0], kind, name }, exitCode: 1 });
    expect(json.stderr).toBe(text.stderr);
    expect(String(object.error.message).length).toBeGreaterThan(10);
    expect(endpoint.operations.filter((o) => o !== 'GetIPSet' && o !== 'ListIPSets')).toEqual([]);
  });

  it('lists every problem of a config with its place', async () => {
    const bad = path.join(dir, 'bad-fields.json');
    writeFileSync(
      bad,
      JSON.stringify({
        version: 1,
        allowlists: [
          { name: 'x', sources: inline(['11.0.0.0/16']), targets: [{ kind: 'prefix-lists', ipv4: 'pl-x' }] },
        ],
      }),
    );
    const run = await runCli(['plan', '--config', bad, '--json'], env());
    const { error } = JSON.parse(run.stdout) as { error: { problems: { where: string; message: string }[] } };
    expect(error.problems).toEqual([
      { where: bad, message: expect.stringMatching(/^allowlists\[0\]\.targets\[0\]\.ipv4: /) },
    ]);
  });

  it('invoke: a function error is the JSON error object of kind "function"', async () => {
    const lambda = await startLambdaEndpoint(async () => {
      throw Object.assign(new Error('Refused: partners: the source is empty.'), { name: 'RunFailedError' });
    });
    try {
      const run = await runCli(['invoke', '--function', 'fn', '--json'], env({ AWS_ENDPOINT_URL: lambda.url }));
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout)).toMatchObject({
        error: {
          command: 'invoke',
          kind: 'function',
          message: 'the function failed (Unhandled): RunFailedError: Refused: partners: the source is empty.',
        },
        exitCode: 1,
      });
    } finally {
      await lambda.close();
    }
  });
});

describe('the AWS Region: a clear message, --region and --profile', () => {
  const config = () => writeConfig('region.json', inline(['11.22.33.0/24']));

  it.each([
    ['plan', () => ['plan', '--config', config()]],
    ['apply', () => ['apply', '--config', config()]],
    ['invoke', () => ['invoke', '--function', 'fn']],
    ['validate s3://', () => ['validate', 's3://lists/partners.txt']],
    ['aggregate ssm:', () => ['aggregate', 'ssm:/lists/partners']],
    ['explain --live', () => ['explain', '11.22.33.7', '--config', config(), '--live']],
  ])('%s without a Region says how to set one, and sends nothing', async (_, args) => {
    const before = endpoint.operations.length;
    const run = await runCli(args(), noRegion());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no AWS Region is set; nothing was sent to AWS.');
    expect(run.stderr).toContain('--region REGION, the AWS_REGION environment variable, or a profile');
    expect(run.stderr).not.toContain('Region is missing');
    expect(endpoint.operations.length).toBe(before);
  });

  it('says so in the JSON error object too (kind "environment")', async () => {
    const run = await runCli(['plan', '--config', config(), '--json'], noRegion());
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { kind: 'environment', name: 'MissingRegionError' } });
  });

  it('runs with --region', async () => {
    const run = await runCli(['plan', '--config', config(), '--region', 'eu-west-1'], noRegion());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('+ 11.22.33.0/24');
  });

  it("runs with --profile, taking the profile's Region and credentials", async () => {
    const awsConfig = path.join(dir, 'aws-config');
    writeFileSync(
      awsConfig,
      '[profile ops]\nregion = eu-west-1\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = secret\n',
    );
    const { AWS_ACCESS_KEY_ID: _, AWS_SECRET_ACCESS_KEY: __, ...rest } = noRegion({ AWS_CONFIG_FILE: awsConfig });
    const run = await runCli(['plan', '--config', config(), '--profile', 'ops'], rest);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(2);
    const noRegionProfile = path.join(dir, 'aws-config-2');
    writeFileSync(noRegionProfile, '[profile bare]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = x\n');
    const bare = await runCli(['plan', '--config', config(), '--profile', 'bare'], {
      ...rest,
      AWS_CONFIG_FILE: noRegionProfile,
    });
    expect(bare.code).toBe(1);
    expect(bare.stderr).toContain('no AWS Region is set (profile "bare" has no region)');
  });

  it('refuses a --region that is not a Region code, naming it', async () => {
    const run = await runCli(['plan', '--config', config(), '--region', 'Ireland'], env());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--region "Ireland" is not an AWS Region code; write it like eu-west-1');
  });
});

describe('the Node.js version notice', () => {
  const major = Number(process.versions.node.split('.')[0]);

  it(major < 22 ? "is one line on this Node.js, not the SDK's eight" : 'is absent on this Node.js', async () => {
    const { NODE_NO_WARNINGS: _, ...loud } = env();
    const run = await runCli(['plan', '--config', writeConfig('notice.json', inline(['11.22.33.0/24']))], loud);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toContain('NodeVersionSupportWarning');
    if (major < 22) {
      expect(run.stderr).toBe(
        `allowlist-sync: Node.js ${process.version} reached end of life in April 2026 and the AWS SDK drops it in January 2027; use Node.js 22 or later.\n`,
      );
    } else {
      expect(run.stderr).toBe('');
    }
  });

  it('is not printed by a command that does not call AWS', async () => {
    const { NODE_NO_WARNINGS: _, ...loud } = env();
    const run = await runCli(['aggregate', '-'], loud, { input: '11.0.0.0/24\n' });
    expect(run).toEqual({ code: 0, stdout: '11.0.0.0/24\n', stderr: '' });
  });
});

describe('--full', () => {
  const config = () => writeConfig('full.json', inline(many(60)));

  it('plan lists 50 prefixes per target and says how to see the rest; --full lists all', async () => {
    const capped = await runCli(['plan', '--config', config()], env());
    expect(capped.stdout.match(/^ {4}\+ 11\./gm)).toHaveLength(50);
    expect(capped.stdout).toContain('    + … and 10 more (--full lists them)\n');
    const full = await runCli(['plan', '--config', config(), '--full'], env());
    expect(full.stdout.match(/^ {4}\+ 11\./gm)).toHaveLength(60);
    expect(full.stdout).not.toContain('more');
    const json = await runCli(['plan', '--config', config(), '--full', '--json'], env());
    expect((JSON.parse(json.stdout) as RunReport).allowlists[0]?.targets[0]?.added.prefixes).toHaveLength(60);
  });
});

describe('a file source path is relative to the config file', () => {
  it("reads it from the config file's directory whatever the current directory", async () => {
    const home = path.join(dir, 'project');
    mkdirSync(path.join(home, 'lists'), { recursive: true });
    writeFileSync(path.join(home, 'lists', 'partners.txt'), '11.22.33.0/24\n');
    const config = writeConfig('relative.json', [{ kind: 'file', path: 'lists/partners.txt' }], home);
    const run = await runCli(['plan', '--config', config], env(), { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('allowlist partners (1 prefix, 1 source) [planned]');
  });

  it('names a missing file as written and as resolved, once, with the fix, and which source failed', async () => {
    const home = path.join(dir, 'project-missing');
    mkdirSync(home, { recursive: true });
    const config = writeConfig('missing.json', [{ kind: 'file', path: 'lists/nope.txt' }], home);
    const run = await runCli(['plan', '--config', config], env(), { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('ENOENT');
    expect(run.stdout).toContain('allowlist partners (0 prefixes, 1 source, failed: lists/nope.txt) [refused]');
    expect(run.stdout).toContain(
      `lists/nope.txt: not-found: no such file: ${path.join(home, 'lists/nope.txt')} (written "lists/nope.txt", read from the config file's directory); nothing was applied. Fix: create the file, or correct the path: a relative path is read from the config file's directory, not the current one`,
    );
  });
});

describe('counts in the singular, and advice the tool accepts', () => {
  it.each([
    ['one malformed entry', '11.0.0.0/16\n10.1\n', 'validate: refused: 1 malformed entry; nothing was printed'],
    ['one policy violation', '11.0.0.0/16\n127.0.0.1\n', 'validate: refused: 1 policy violation; nothing was printed'],
  ])('%s', async (_, input, line) => {
    const run = await runCli(['validate', '-'], env(), { input });
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe(line);
  });

  it('advises for an IPv4-mapped range the IPv4 prefix, which aggregate then accepts', async () => {
    const refused = await runCli(['aggregate', '-'], env(), { input: '::ffff:52.94.76.0/120\n' });
    expect(refused.code).toBe(1);
    const advised = /write (\S+) in the list instead/.exec(refused.stderr)?.[1];
    expect(advised).toBe('52.94.76.0/24');
    const accepted = await runCli(['aggregate', '-'], env(), { input: `${advised}\n` });
    expect(accepted).toEqual({ code: 0, stdout: '52.94.76.0/24\n', stderr: '' });
  });
});
