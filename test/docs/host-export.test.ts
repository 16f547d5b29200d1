/**
 * Every example of docs/host-export.md, checked: the `console` sessions are run by the built CLI and compared line for
 * line; the nginx hook is run with a stand-in for nginx that records its calls; the export commands of the hook and of
 * the ipset/nftables lines run against examples/runtime-config.json with its S3 source served by the S3 fake; and the
 * timer, the service, the cron line and the hook refer to each other.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createExportCommand } from '../../bin/commands/export';
import { CLI, ensureBuilt, ROOT } from '../cli/built-cli';
import { memoryIo } from '../cli/local-aws';
import { FakeS3 } from '../fakes/fake-s3';
import { keys, NOW, signedDoc } from '../sources/helpers';

const DOC = readFileSync(path.join(ROOT, 'docs/host-export.md'), 'utf8');
const HOOK_PATH = '/usr/local/sbin/allowlist-export-nginx';

/** The fenced blocks of the doc: their info string and text. */
const blocks = [...DOC.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({
  lang: m[1] ?? '',
  text: m[2] ?? '',
  at: m.index ?? 0,
}));

/** The first block of `lang` after the line that names `marker`. */
function blockAfter(marker: string, lang: string): string {
  const at = DOC.indexOf(`\`${marker}\`:`);
  const block = blocks.find((b) => b.lang === lang && b.at > at);
  if (at < 0 || !block) throw new Error(`docs/host-export.md has no ${lang} block after "${marker}"`);
  return block.text;
}

let dir = '';
let shims = '';
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'host-doc-'));
  shims = path.join(dir, 'bin');
  mkdirSync(shims);
  writeFileSync(path.join(shims, 'allowlist-sync'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(path.join(shims, 'allowlist-sync'), 0o755);
  writeFileSync(path.join(dir, 'partners.txt'), blockAfter('partners.txt', 'text'));
  writeFileSync(path.join(dir, 'broken.txt'), '10.1\n');
}, 120_000);

function sh(script: string, env: Record<string, string> = {}) {
  const run = spawnSync('sh', ['-c', script], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${shims}:${process.env.PATH}`, ...env },
  });
  return { status: run.status, out: run.stdout + run.stderr };
}

describe('docs/host-export.md', { timeout: 120_000 }, () => {
  it('shows console sessions whose every command prints exactly what the doc says', () => {
    const sessions = blocks.filter((b) => b.lang === 'console');
    expect(sessions.length).toBeGreaterThanOrEqual(5);
    let commands = 0;
    for (const session of sessions) {
      for (const step of session.text.split(/^\$ /m).slice(1)) {
        const [command = '', ...expected] = step.split('\n');
        const run = sh(command);
        expect(run.out, `$ ${command}`).toBe(expected.join('\n'));
        commands++;
      }
    }
    expect(commands).toBe(6);
  });

  it('has a hook that reloads nginx after a change only, and never after a refused export', () => {
    const hook = path.join(dir, 'allowlist-export-nginx');
    writeFileSync(hook, blockAfter(HOOK_PATH, 'sh'));
    chmodSync(hook, 0o755);
    const calls = path.join(dir, 'nginx-calls');
    writeFileSync(path.join(shims, 'nginx'), `#!/bin/sh\necho "nginx $*" >> "${calls}"\n`);
    chmodSync(path.join(shims, 'nginx'), 0o755);
    const list = path.join(dir, 'hook-list.txt');
    const config = path.join(dir, 'hook-config.json');
    writeFileSync(
      config,
      JSON.stringify({
        version: 1,
        allowlists: [
          {
            name: 'partners',
            sources: [{ kind: 'file', path: list }],
            targets: [{ kind: 'prefix-lists', ipv4: 'pl-0123456789abcdef0' }],
          },
        ],
      }),
    );
    const include = path.join(dir, 'hook-include.conf');
    const env = { ALLOWLIST_CONFIG: config, ALLOWLIST_INCLUDE: include };
    const reloads = () => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : []);

    writeFileSync(list, '81.2.69.160/27\n');
    expect(sh(hook, env)).toEqual({ status: 0, out: `wrote ${include}: nginx, 1 IPv4 + 0 IPv6 prefixes\n` });
    expect(reloads()).toEqual(['nginx -t -q', 'nginx -s reload']);
    expect(readFileSync(include, 'utf8')).toContain('set_real_ip_from 10.0.0.0/16;\n');

    expect(sh(hook, env).status).toBe(0);
    expect(reloads()).toHaveLength(2);

    writeFileSync(list, '81.2.69.160/27\n52.94.76.0/22\n');
    expect(sh(hook, env).status).toBe(0);
    expect(reloads()).toEqual(['nginx -t -q', 'nginx -s reload', 'nginx -t -q', 'nginx -s reload']);

    const good = readFileSync(include, 'utf8');
    writeFileSync(list, '81.2.69.160/27\n52.0.0.0/6\n');
    const refused = sh(hook, env);
    expect(refused.status).toBe(1);
    expect(refused.out).toContain('is broader than the IPv4 floor /16');
    expect(reloads()).toHaveLength(4);
    expect(readFileSync(include, 'utf8')).toBe(good);
  });

  it('exports from the S3 source of the function config: the hook and the ipset and nftables lines', async () => {
    const example = JSON.parse(readFileSync(path.join(ROOT, 'examples/runtime-config.json'), 'utf8'));
    const s3Source = example.allowlists[0].sources[0];
    // The example pins a key whose private half nobody has: the test signs with its own and pins that instead.
    s3Source.integrity.ed25519PublicKey = keys.publicKeyPem;
    const config = path.join(dir, 'runtime.json');
    writeFileSync(config, JSON.stringify(example));
    const s3 = new FakeS3(() => NOW).createBucket(s3Source.bucket, s3Source.expectedBucketOwner);
    const doc = signedDoc({ serial: 9, entries: ['52.94.76.0/22'] });
    s3.putObject(s3Source.bucket, s3Source.key, doc.body);
    s3.putObject(s3Source.bucket, `${s3Source.key}.sig`, doc.sig);

    const texts = [blockAfter(HOOK_PATH, 'sh'), ...blocks.filter((b) => b.lang === 'sh').map((b) => b.text)];
    const lines = [...new Set(texts.flatMap((t) => t.replace(/\\\n\s*/g, '').split('\n')))]
      .map((l) => l.trim())
      .filter((l) => /^(result=\$\()?allowlist-sync export /.test(l));
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      const out = path.join(dir, `from-s3-${lines.indexOf(line)}`);
      const argv = line
        .replace(/^result=\$\(/, '')
        .replace(/\)$/, '')
        .split(/\s+&&\s+/)[0]!
        .split(/\s+/)
        .slice(2)
        .map((a) => a.replace(/^"\$config"$|^\/etc\/allowlist-sync\/runtime\.json$/, config))
        .map((a) => a.replace(/^"\$include"$|^\/var\/lib\/allowlist-sync\/partners\.\w+$/, out));
      const io = memoryIo();
      const status = await createExportCommand({ sources: () => ({ s3: s3.client, now: () => NOW }) }).run(argv, io);
      expect(io.err(), line).toBe('');
      expect(status).toBe(0);
      const text = readFileSync(out, 'utf8');
      expect(text).toContain('# from s3://acme-allowlists/partners.json, inline\n# serial 9\n');
      expect(text).toMatch(/52\.94\.76\.0\/22/);
    }
  });

  it('has a timer that runs the service, a service and a cron line that run the hook', () => {
    const service = blockAfter('/etc/systemd/system/allowlist-export.service', 'ini');
    const timer = blockAfter('/etc/systemd/system/allowlist-export.timer', 'ini');
    expect(service).toMatch(/^Type=oneshot$/m);
    expect(service).toMatch(new RegExp(`^ExecStart=${HOOK_PATH}$`, 'm'));
    // No Unit= in the timer: systemd runs the service of the same name, allowlist-export.service.
    expect(timer).not.toMatch(/^Unit=/m);
    expect(timer).toMatch(/^OnUnitActiveSec=\d+min$/m);
    expect(timer).toMatch(/^WantedBy=timers\.target$/m);
    expect(DOC).toContain('systemctl enable --now allowlist-export.timer');
    const cron = blocks.find((b) => b.lang === 'sh' && /^\*\/5 /.test(b.text));
    expect(cron?.text.trim().split(/\s+/).slice(5)).toEqual(['root', 'AWS_REGION=eu-west-1', HOOK_PATH]);
  });
});
