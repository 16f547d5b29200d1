/**
 * The nginx export checked by the real nginx: `nginx -t` on a config that includes it, then a real nginx on
 * 127.0.0.1 (its own temporary prefix and config, a free port, stopped by its pid) trusting 127.0.0.1 as the load
 * balancer, asked with X-Forwarded-For values inside and outside the list, forged ones, and none at all.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ensureBuilt } from '../cli/built-cli';
import { commandRuns, externalTool } from '../support/external-tools';

const nginx = externalTool('nginx', () => commandRuns('nginx', ['-v']), 'apt-get install -y nginx-light');

const LIST = ['81.2.69.160/27', '52.94.76.0/22', '2a02:8108:1000::/40'];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** GET / with an optional X-Forwarded-For; the status and the client address nginx settled on. */
function get(port: number, xff?: string): Promise<{ status: number; seen: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/', headers: xff === undefined ? {} : { 'X-Forwarded-For': xff } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, seen: String(res.headers['x-seen'] ?? '') }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}`);
    const up = await get(port).then(
      () => true,
      () => false,
    );
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on ${port}`);
}

describe.skipIf(!nginx.available)('the nginx include in a real nginx', { timeout: 120_000 }, () => {
  let prefix = '';
  let port = 0;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    ensureBuilt();
    prefix = mkdtempSync(path.join(tmpdir(), 'nginx-'));
    // Readable by nginx's worker user too, whichever user that is.
    chmodSync(prefix, 0o755);
    mkdirSync(path.join(prefix, 'html'));
    writeFileSync(path.join(prefix, 'html', 'index.html'), 'ok\n');
    mkdirSync(path.join(prefix, 'tmp'));
    writeFileSync(path.join(prefix, 'list.txt'), `${LIST.join('\n')}\n`);
    port = await freePort();
    const run = cli([
      'export',
      '--to',
      'nginx',
      '--real-ip-from',
      '127.0.0.1/32',
      '--output',
      path.join(prefix, 'allowlist.conf'),
      path.join(prefix, 'list.txt'),
    ]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
      .map((t) => `${t}_temp_path ${prefix}/tmp/${t};`)
      .join('\n    ');
    writeFileSync(
      path.join(prefix, 'nginx.conf'),
      `daemon off;
master_process off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events { worker_connections 64; }
http {
    access_log off;
    ${temp}
    server {
        listen 127.0.0.1:${port};
        root ${prefix}/html;
        # The address nginx settled on, also on a 403, for the request table.
        add_header X-Seen $remote_addr always;
        location / {
            include ${prefix}/allowlist.conf;
        }
    }
}
`,
    );
  }, 120_000);
  afterAll(() => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
  });

  it('passes nginx -t', () => {
    const t = spawnSync('nginx', ['-t', '-p', prefix, '-e', `${prefix}/error.log`, '-c', `${prefix}/nginx.conf`], {
      encoding: 'utf8',
    });
    expect(t.stderr).toContain('syntax is ok');
    expect(t.stderr).toContain('test is successful');
    expect(t.status).toBe(0);
  });

  it('answers 200 or 403 by the X-Forwarded-For the trusted proxy appended, and 403 without it', async () => {
    child = spawn('nginx', ['-p', prefix, '-e', `${prefix}/error.log`, '-c', `${prefix}/nginx.conf`], {
      stdio: 'ignore',
    });
    await waitForPort(port, child);
    const table: Array<[string, string | undefined, number]> = [
      ['no header (the proxy itself)', undefined, 403],
      ['first address of 81.2.69.160/27', '81.2.69.160', 200],
      ['last address of 81.2.69.160/27', '81.2.69.191', 200],
      ['just before 81.2.69.160/27', '81.2.69.159', 403],
      ['just after 81.2.69.160/27', '81.2.69.192', 403],
      ['inside 52.94.76.0/22', '52.94.78.9', 200],
      ['inside 2a02:8108:1000::/40', '2a02:8108:10ff::1', 200],
      ['just after 2a02:8108:1000::/40', '2a02:8108:1100::', 403],
      ['forged allowed address, then the real one', '81.2.69.170, 9.9.9.9', 403],
      ['other address, then an allowed one appended', '9.9.9.9, 81.2.69.170', 200],
      ['not an address', 'garbage', 403],
      ['the trusted proxy address', '127.0.0.1', 403],
    ];
    const rows: string[] = [];
    for (const [what, xff, expected] of table) {
      const { status, seen } = await get(port, xff);
      rows.push(`| ${what} | ${xff ?? '(none)'} | ${seen} | ${status} |`);
      expect(status, `${what}: X-Forwarded-For ${xff ?? '(none)'}, nginx saw ${seen}`).toBe(expected);
    }
    console.info(['| request | X-Forwarded-For | $remote_addr | status |', '|---|---|---|---|', ...rows].join('\n'));
  });
});
