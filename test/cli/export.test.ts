import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createExportCommand, lastExportedSerial } from '../../bin/commands/export';
import { FakeS3 } from '../fakes/fake-s3';
import { keys, NOW, otherKeys, signedDoc } from '../sources/helpers';
import { cli, ensureBuilt } from './built-cli';
import { memoryIo } from './local-aws';

const OLD = '# the last good export\nallow 192.0.2.0/24;\ndeny all;\n';

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let dir = '';
let s3: FakeS3;
let deadPort = 0;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'export-'));
  deadPort = await closedPort();
});

function freshS3(): FakeS3 {
  s3 = new FakeS3(() => NOW).createBucket('acme-allowlists', '111122223333');
  return s3;
}

/** Writes a RuntimeConfig with one allowlist `partners` of these sources, returns its path. */
function configWith(sources: unknown[], policy: Record<string, unknown> = {}): string {
  const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  const config = {
    version: 1,
    allowlists: [
      { name: 'partners', sources, policy, targets: [{ kind: 'prefix-lists', ipv4: 'pl-0123456789abcdef0' }] },
    ],
  };
  writeFileSync(file, JSON.stringify(config));
  return file;
}

const signedS3 = {
  kind: 's3',
  bucket: 'acme-allowlists',
  key: 'partners.json',
  expectedBucketOwner: '111122223333',
  format: { type: 'allowlist' },
  integrity: { ed25519PublicKey: keys.publicKeyPem },
};

async function run(argv: string[]) {
  const io = memoryIo();
  const command = createExportCommand({ sources: () => ({ s3: s3.client, now: () => NOW }) });
  const status = await command.run(argv, io);
  return { status, stdout: io.out(), stderr: io.err() };
}

function outputDir(): { out: string; dir: string } {
  const d = mkdtempSync(path.join(dir, 'out-'));
  const out = path.join(d, 'partners.conf');
  writeFileSync(out, OLD);
  return { out, dir: d };
}

describe('export --config: the sync sources, integrity and policy', () => {
  it('exports a signed S3 list with its serial, through the same checks as the function', async () => {
    freshS3();
    const doc = signedDoc({ serial: 42, entries: ['52.94.76.0/22', '2a05:d018:400::/40'] });
    s3.putObject('acme-allowlists', 'partners.json', doc.body);
    s3.putObject('acme-allowlists', 'partners.json.sig', doc.sig);
    const config = configWith([signedS3, { kind: 'inline', entries: ['81.2.69.160/27'] }]);
    const r = await run(['--config', config, '--allowlist', 'partners', '--to', 'nftables']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('# from s3://acme-allowlists/partners.json, inline\n# serial 42\n');
    expect(r.stdout).toContain('add element inet filter partners_v4 {\n  52.94.76.0/22,\n  81.2.69.160/27,\n}');
    expect(r.stdout).toContain('add element inet filter partners_v6 {\n  2a05:d018:400::/40,\n}');
    expect(s3.calls.map((c) => [c.command, c.input.Key, c.input.ExpectedBucketOwner])).toEqual([
      ['GetObject', 'partners.json', '111122223333'],
      ['GetObject', 'partners.json.sig', '111122223333'],
    ]);
  });

  it('writes --output atomically and says what it wrote, then "unchanged" on the same list', async () => {
    freshS3();
    const { out, dir: d } = outputDir();
    const config = configWith([{ kind: 'inline', entries: ['81.2.69.160/27', '2a02:8108:1000::/40'] }]);
    const argv = ['--config', config, '--allowlist', 'partners', '--to', 'nginx', '--output', out];
    const first = await run(argv);
    expect(first).toMatchObject({ status: 0, stderr: '' });
    expect(first.stdout).toBe(`wrote ${out}: nginx, 1 IPv4 + 1 IPv6 prefixes\n`);
    expect(readFileSync(out, 'utf8')).toContain('allow 81.2.69.160/27;\nallow 2a02:8108:1000::/40;\ndeny all;\n');
    const second = await run([...argv, '--json']);
    expect(JSON.parse(second.stdout)).toMatchObject({
      format: 'nginx',
      output: out,
      changed: false,
      prefixes: { ipv4: 1, ipv6: 1 },
      from: ['inline'],
    });
    expect(readdirSync(d)).toEqual(['partners.conf']);
  });

  it.each([
    ['unreachable', () => [{ kind: 'https', url: `https://127.0.0.1:${deadPort}/list.txt` }], 'unreachable'],
    [
      'malformed',
      () => {
        writeFileSync(path.join(dir, 'bad.txt'), '52.94.76.0/22\n10.1\n');
        return [{ kind: 'file', path: path.join(dir, 'bad.txt') }];
      },
      'bad.txt:2: "10.1" is not',
    ],
    ['over-broad', () => [{ kind: 'inline', entries: ['52.0.0.0/6'] }], 'broader than the IPv4 floor /16'],
    [
      'stale',
      () => {
        const doc = signedDoc({ generatedAt: NOW - 30 * 86_400_000 });
        s3.putObject('acme-allowlists', 'partners.json', doc.body);
        s3.putObject('acme-allowlists', 'partners.json.sig', doc.sig);
        return [signedS3];
      },
      'stale',
    ],
    [
      'badly signed',
      () => {
        const doc = signedDoc({ privateKeyPem: otherKeys.privateKeyPem });
        s3.putObject('acme-allowlists', 'partners.json', doc.body);
        s3.putObject('acme-allowlists', 'partners.json.sig', doc.sig);
        return [signedS3];
      },
      'bad-signature',
    ],
    ['missing', () => [signedS3], 'not-found'],
    [
      'empty',
      () => {
        writeFileSync(path.join(dir, 'empty.txt'), '');
        return [{ kind: 'file', path: path.join(dir, 'empty.txt') }];
      },
      'empty',
    ],
  ])('a source that is %s writes nothing: exit 1, the old file kept byte for byte', async (_kind, sources, reason) => {
    freshS3();
    const { out, dir: d } = outputDir();
    const config = configWith(sources());
    for (const to of ['ipset', 'nftables', 'nginx']) {
      const r = await run(['--config', config, '--allowlist', 'partners', '--to', to, '--output', out]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(reason);
      expect(r.stderr).toContain(`export: ${out} was left as it was`);
      expect(readFileSync(out, 'utf8')).toBe(OLD);
      expect(readdirSync(d)).toEqual(['partners.conf']);
    }
  });

  it('refuses a signed list older than the serial in the header of the last export it wrote (a rollback)', async () => {
    freshS3();
    const { out } = outputDir();
    const publish = (serial: number) => {
      const doc = signedDoc({ serial, entries: [`52.94.${76 + serial - 41}.0/24`] });
      s3.putObject('acme-allowlists', 'partners.json', doc.body);
      s3.putObject('acme-allowlists', 'partners.json.sig', doc.sig);
    };
    const argv = ['--config', configWith([signedS3]), '--allowlist', 'partners', '--to', 'ipset', '--output', out];
    publish(42);
    expect((await run(argv)).stdout).toBe(`wrote ${out}: ipset, 1 IPv4 + 0 IPv6 prefixes, serial 42\n`);
    const good = readFileSync(out, 'utf8');
    expect(lastExportedSerial(out)).toBe(42);
    publish(41);
    const rollback = await run(argv);
    expect(rollback.status).toBe(1);
    expect(rollback.stderr).toContain('serial-rollback: serial 41 is older than the last applied serial 42');
    expect(readFileSync(out, 'utf8')).toBe(good);
    publish(43);
    expect((await run(argv)).stdout).toBe(`wrote ${out}: ipset, 1 IPv4 + 0 IPv6 prefixes, serial 43\n`);
    expect(readFileSync(out, 'utf8')).toContain('add partners_v4_next 52.94.78.0/24\n');
  });

  it.each([
    ['# allowlist-sync export --to nginx: 1 IPv4 and 0 IPv6 prefixes\n# from x\n# serial 7\nallow 1.2.3.4/32;\n', 7],
    ['# allowlist-sync export --to nginx: 1 IPv4 and 0 IPv6 prefixes\nallow 1.2.3.4/32;\n# serial 7\n', undefined],
    ['# hand-written\n# serial 7\n', undefined],
  ])('reads the serial of a previous export only from its header comment (%j)', (text, serial) => {
    const file = path.join(dir, `serial-${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, text);
    expect(lastExportedSerial(file)).toBe(serial);
  });

  it('names the allowlists the config has when --allowlist is unknown', async () => {
    const r = await run([
      '--config',
      configWith([{ kind: 'inline', entries: ['8.8.8.8'] }]),
      '--allowlist',
      'x',
      '--to',
      'ipset',
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--allowlist: no allowlist named "x"; the config has "partners"');
  });
});

describe('export FILE...: plain lists with validate flags', () => {
  it('reads the lists through the same policy, relaxed by the same flags', async () => {
    const list = path.join(dir, 'office.txt');
    writeFileSync(list, '10.20.0.0/16\n81.2.69.7\n');
    const refused = await run(['--to', 'ipset', list]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`${list}:1: "10.20.0.0/16"`);
    const r = await run(['--to', 'ipset', '--allow-private', '--name', 'office', list]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('add office_v4_next 10.20.0.0/16\nadd office_v4_next 81.2.69.7/32\n');
  });

  it.each([
    [['x.txt'], '--to FORMAT is required: ipset, nftables, nginx'],
    [['--to', 'iptables', 'x.txt'], '--to "iptables": unknown format'],
    [['--to', 'ipset', '--config', 'c.json', 'x.txt'], '"x.txt": with --config the lists come from the config'],
    [['--to', 'ipset', '--config', 'c.json', '--allowlist', 'a', '--allow-private'], '--allow-private: with --config'],
    [['--to', 'ipset', '--config', 'c.json'], '--allowlist NAME is required with --config'],
    [['--to', 'ipset', '--allowlist', 'a', 'x.txt'], '--allowlist "a" needs --config FILE'],
    [['--to', 'nginx', '--name', 'p', 'x.txt'], '--name: an nginx include has no set name'],
    [['--to', 'ipset', '--real-ip-from', '10.0.0.0/8', 'x.txt'], '--real-ip-from applies to --to nginx only'],
    [['--to', 'ipset', '--table', 't', 'x.txt'], '--table applies to --to nftables only'],
    [['--to', 'nginx', '--json', 'x.txt'], '--json describes the file written: add --output FILE'],
    [
      ['--to', 'nginx', '--real-ip-from', '10.0.0.5/8', 'x.txt'],
      '--real-ip-from "10.0.0.5/8": "10.0.0.5/8" has host bits',
    ],
    [['--to', 'nginx', '--real-ip-from', '0.0.0.0/0', '-'], '--real-ip-from "0.0.0.0/0": trusting every address'],
    [['--to', 'ipset', '--name', 'a-b', '-'], '--name "a-b": a set name is a letter'],
    [['--to', 'ipset', '--bogus', 'x.txt'], "Unknown option '--bogus'"],
  ])('refuses %j before reading anything: %s', async (argv, message) => {
    const r = await run(argv);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });
});

describe('allowlist-sync export (built CLI)', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('is listed in the usage, and prints its help with --help', () => {
    expect(cli(['--help']).stdout).toContain('export     render an allowlist for a host');
    const help = cli(['export', '--help']);
    expect(help.status).toBe(0);
    for (const flag of ['--config FILE', '--allowlist NAME', '--to FORMAT', '--output FILE', '--real-ip-from CIDR']) {
      expect(help.stdout).toContain(flag);
    }
  });
});
