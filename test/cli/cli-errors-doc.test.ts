/**
 * Every example of docs/cli-errors.md, checked against the built CLI: the JSON error objects, the missing-Region
 * message, the missing-file lines of a refused run, and the Node.js notice.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from './built-cli';
import { runCli, TEST_CREDENTIALS } from './process';

const doc = readFileSync(path.join(ROOT, 'docs/cli-errors.md'), 'utf8');
/** The fenced blocks of the page with the given info string (`json`, `` for none), in order, each line ending in \n. */
function blocks(info: string): string[] {
  const found: string[] = [];
  let current: string[] | undefined;
  let kind = '';
  for (const line of doc.split('\n')) {
    if (current === undefined && line.startsWith('```')) {
      current = [];
      kind = line.slice(3);
    } else if (current !== undefined && line === '```') {
      if (kind === info) found.push(current.map((l) => `${l}\n`).join(''));
      current = undefined;
    } else current?.push(line);
  }
  return found;
}

const dir = mkdtempSync(path.join(tmpdir(), 'allowlist-sync-doc-'));
const HOME = path.join(dir, 'home');
mkdirSync(HOME);
/** No Region anywhere, and no endpoint: a request would fail loudly, and none is made. */
const env = { HOME, NODE_NO_WARNINGS: '1', ...TEST_CREDENTIALS };

function runtimeConfig(where: string, sources: unknown[]): string {
  const file = path.join(where, 'runtime.json');
  writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      allowlists: [{ name: 'partners', sources, targets: [{ kind: 'prefix-lists', ipv4: 'pl-0123456789abcdef0' }] }],
    }),
  );
  return file;
}

beforeAll(() => ensureBuilt(), 180_000);

describe('docs/cli-errors.md', () => {
  it('shows the JSON error object of plan without a Region, exactly', async () => {
    runtimeConfig(dir, [{ kind: 'inline', entries: ['11.22.33.0/24'] }]);
    const run = await runCli(['plan', '--config', 'runtime.json', '--json'], env, { cwd: dir });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual(JSON.parse(blocks('json')[0] ?? ''));
    // The text example is the same message on stderr.
    expect(blocks('')[0]).toBe(run.stderr);
  });

  it('shows the JSON error object of validate on a policy violation, exactly', async () => {
    const run = await runCli(['validate', '--json', '-'], env, { input: '11.0.0.0/16\n127.0.0.1\n' });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual(JSON.parse(blocks('json')[1] ?? ''));
  });

  it('shows the refused run of a missing relative file as printed', async () => {
    const where = path.join(dir, 'srv', 'sync');
    mkdirSync(where, { recursive: true });
    runtimeConfig(where, [{ kind: 'file', path: 'lists/nope.txt' }]);
    const run = await runCli(['plan', '--config', path.join(where, 'runtime.json'), '--region', 'eu-west-1'], env);
    expect(run.code).toBe(1);
    const example = (blocks('')[1] ?? '').replaceAll('/srv/sync', where);
    expect(run.stdout.startsWith(example)).toBe(true);
  });

  it('shows the Node.js notice as printed on Node.js before 22', async () => {
    const example = blocks('')[2] ?? '';
    expect(example).toMatch(/^allowlist-sync: Node\.js v20\.\d+\.\d+ reached end of life/);
    if (Number(process.versions.node.split('.')[0]) >= 22) return;
    const { NODE_NO_WARNINGS: _, ...loud } = env;
    const run = await runCli(['plan', '--config', 'runtime.json', '--region', 'eu-west-1'], loud, { cwd: dir });
    expect(run.stderr.split('\n')[0]).toBe(example.replace(/v20\.\d+\.\d+/, process.version).trimEnd());
  });
});
