/**
 * The GitOps example's shell steps (examples/gitops/publish.sh) run as a CI job would run them: the built CLI for
 * validate, diff, keygen and sign, and the upload against moto's S3 on 127.0.0.1 (through AWS_ENDPOINT_URL). The
 * uploaded list is then read back by the sync's own S3 source with the public key pinned, so what the script
 * publishes is what a sync accepts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { fetchSource } from '../../lambda/sources/fetch';
import { CLI, ensureBuilt, ROOT } from '../cli/built-cli';
import { MOTO_CASE_TIMEOUT_MS, MOTO_REGION, type MotoServer, moto, startMoto } from '../support/moto';

const SCRIPT = path.join(ROOT, 'examples/gitops/publish.sh');
const BUCKET = 'corp-allowlists';

describe.skipIf(!moto.available)('examples/gitops/publish.sh against moto S3', () => {
  let server: MotoServer;
  let s3: S3Client;
  const dir = mkdtempSync(path.join(tmpdir(), 'gitops-'));
  const write = (name: string, value: unknown) => {
    const p = path.join(dir, name);
    writeFileSync(p, typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`);
    return p;
  };
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync('bash', [SCRIPT, ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        ALLOWLIST_SYNC: `${process.execPath} ${CLI}`,
        NODE_PATH: path.join(ROOT, 'node_modules'),
        NODE_NO_WARNINGS: '1',
        ...env,
      },
    });

  beforeAll(async () => {
    ensureBuilt();
    // The project's moto harness: a free port on 127.0.0.1, the request recorder, stopped by its pid in afterAll.
    server = await startMoto();
    s3 = server.clients.s3;
    await s3.send(
      new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: MOTO_REGION } }),
    );
    await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
  }, MOTO_CASE_TIMEOUT_MS);
  afterAll(async () => {
    await server?.stop();
  });

  const base = { version: 1, serial: 1, entries: [{ prefix: '11.22.33.0/24', note: 'Initech', owner: 'dave' }] };
  const next = {
    version: 1,
    serial: 1,
    entries: [
      { prefix: '11.22.33.0/25', note: 'Initech', owner: 'dave' },
      { prefix: '81.2.69.128/25', note: 'Globex DC', owner: 'carol' },
    ],
  };

  it('check: validates the list and writes the address diff as a Markdown table', () => {
    const result = run(['check', write('base.json', base), write('allowlist.json', next), 'diff.md']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const md = readFileSync(path.join(dir, 'diff.md'), 'utf8');
    expect(md).toContain('| + added | `81.2.69.128/25` | 128 | Globex DC | carol |');
    expect(md).toContain('| − removed | `11.22.33.128/25` | 128 | Initech | dave |');
  });

  it('check: fails on a malformed list, naming its place, and writes no diff', () => {
    const bad = write('bad.json', { version: 1, entries: [{ prefix: '10.1' }] });
    const result = run(['check', write('base2.json', base), bad, 'bad.md']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${bad}:entries[0].prefix: "10.1" is not an IPv4 address`);
    expect(existsSync(path.join(dir, 'bad.md'))).toBe(false);
  });

  it('publish: stamps and signs the list, uploads it and then its signature, and a sync with the key pinned accepts it', async () => {
    const keygen = spawnSync(process.execPath, [CLI, 'keygen', '--out-dir', path.join(dir, 'keys')], {
      encoding: 'utf8',
    });
    expect(keygen.status).toBe(0);
    const privateKey = readFileSync(path.join(dir, 'keys/private.pem'), 'utf8');
    const publicKey = readFileSync(path.join(dir, 'keys/public.pem'), 'utf8');
    const list = write('publish.json', next);
    const result = run(['publish', list], {
      ...server.env,
      ALLOWLIST_BUCKET: BUCKET,
      ALLOWLIST_KEY: 'partners.json',
      ALLOWLIST_SIGNING_KEY_PEM: privateKey,
      ALLOWLIST_SERIAL: '1764748800',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    // The list first, then the signature: the stack's S3 rule fires on the signature object.
    const uploads = result.stdout.split('\n').filter((l) => l.startsWith('uploaded '));
    expect(uploads.map((l) => l.split(' ')[1])).toEqual([
      `s3://${BUCKET}/partners.json`,
      `s3://${BUCKET}/partners.json.sig`,
    ]);
    // The committed file is left as reviewed.
    expect(JSON.parse(readFileSync(list, 'utf8'))).toEqual(next);

    const fetched = await fetchSource(
      {
        kind: 's3',
        bucket: BUCKET,
        key: 'partners.json',
        format: { type: 'allowlist' },
        integrity: { ed25519PublicKey: publicKey, maxAgeSeconds: 3600 },
      },
      { s3, now: () => Date.now() },
      { lastSerial: 1 },
    );
    expect(fetched.signed?.serial).toBe(1764748800);
    expect(fetched.provenance.versionId).toBeTruthy();
    const doc = JSON.parse(Buffer.from(fetched.bytes).toString('utf8'));
    expect(doc.entries).toEqual(next.entries);
  });

  it('publish: refuses to run without a signing key, uploading nothing', async () => {
    await server.clearCalls();
    const result = run(['publish', write('nokey.json', next)], {
      ...server.env,
      ALLOWLIST_BUCKET: BUCKET,
      ALLOWLIST_KEY: 'nokey.json',
    });
    expect(result.status).toBe(64);
    expect(result.stderr).toContain('set ALLOWLIST_SIGNING_KEY_PEM or ALLOWLIST_SIGNING_KEY');
    expect(result.stdout).not.toContain('uploaded');
    // moto's recorder: the script sent nothing at all.
    expect(await server.calls()).toEqual([]);
  });
});

describe('the GitOps workflow', () => {
  const workflow = readFileSync(path.join(ROOT, 'examples/gitops/allowlist.yml'), 'utf8');

  it('is the workflow docs/gitops.md shows, word for word', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/gitops.md'), 'utf8');
    expect(doc).toContain(`\`\`\`yaml\n${workflow}\`\`\``);
  });

  it('runs exactly the two publish.sh steps the test above runs, check on a pull request and publish on merge', () => {
    const parsed = parseYaml(workflow) as { jobs: Record<string, { if: string; steps: Array<{ run?: string }> }> };
    const runs = (job: string) =>
      (parsed.jobs[job]?.steps ?? []).flatMap((s) => (s.run?.includes('publish.sh') ? [s.run] : []));
    expect(parsed.jobs.check?.if).toBe("github.event_name == 'pull_request'");
    expect(runs('check')).toEqual(['./gitops/publish.sh check base.json allowlist.json diff.md']);
    expect(parsed.jobs.publish?.if).toBe("github.event_name == 'push'");
    expect(runs('publish')).toEqual(['./gitops/publish.sh publish allowlist.json']);
  });
});
