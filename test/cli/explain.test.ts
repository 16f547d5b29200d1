import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExplainCommand, type ExplainDeps } from '../../bin/commands/explain';
import type { AddressReport } from '../../bin/commands/explain-render';
import { OWNER_TAG_KEY } from '../../lambda/config';
import { driverFactory } from '../../lambda/targets';
import { FakeEc2, FakeWafv2 } from '../fakes';
import { CLI, cli, ensureBuilt } from './built-cli';
import { type LocalEndpoint, memoryIo, startWafEndpoint } from './local-aws';

const dir = mkdtempSync(path.join(tmpdir(), 'explain-'));
const file = (name: string, value: unknown) => {
  const p = path.join(dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
};

const partnersTxt = file('partners.txt', '# partners\n11.22.33.0/24\n52.94.5.0/25   # east\n52.94.5.128/25\n');
const docJson = file(
  'doc.json',
  JSON.stringify({
    version: 1,
    entries: [
      { prefix: '81.2.69.0/28', note: 'Acme VPN', owner: 'alice', expires: '2099-06-30T00:00:00Z' },
      { prefix: '81.2.69.64/26', note: 'old office', owner: 'bob', expires: '2020-01-01T00:00:00Z' },
    ],
  }),
);

function configWith(targets: { partners: unknown[]; office: unknown[] }) {
  return {
    version: 1,
    allowlists: [
      {
        name: 'partners',
        sources: [
          { kind: 'file', path: partnersTxt },
          { kind: 'inline', entries: ['11.22.33.7', '2a00:1450::/32'] },
          { kind: 'file', path: docJson, format: { type: 'allowlist' } },
        ],
        targets: targets.partners,
      },
      { name: 'office', sources: [{ kind: 'inline', entries: ['11.22.33.0/26'] }], targets: targets.office },
    ],
  };
}

const offline = file(
  'config.json',
  configWith({
    partners: [{ kind: 'prefix-lists', ipv4: 'pl-0123456789abcdef0' }],
    office: [{ kind: 'prefix-lists', ipv4: 'pl-0123456789abcdef1' }],
  }),
);

describe('allowlist-sync explain (built CLI)', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('exits 0 when every address is admitted, naming each entry by FILE:LINE or inline:N and the held prefix', () => {
    const run = cli(['explain', '11.22.33.7', '52.94.5.0/24', '--config', offline]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      [
        '11.22.33.7/32: admitted',
        '  partners: admitted by 2 entries; targets hold 11.22.33.0/24',
        `    ${partnersTxt}:2  11.22.33.0/24  (covers it)`,
        '    inline:1  11.22.33.7/32  (covers it)',
        '  office: admitted by 1 entry; targets hold 11.22.33.0/26',
        '    inline:1  11.22.33.0/26  (covers it)',
      ].join('\n'),
    );
    expect(run.stdout).toContain(`    ${partnersTxt}:3  52.94.5.0/25  (covers part)\n`);
    expect(run.stdout).toContain('Every address is admitted by at least one allowlist.');
  });

  it('exits 3 when an address is not admitted: the expired entry and the nearest entries are named', () => {
    const run = cli(['explain', '81.2.69.70', '81.2.69.3', '--config', offline, '--allowlist', 'partners']);
    expect(run.status).toBe(3);
    expect(run.stdout).toContain(
      [
        '81.2.69.70/32: NOT admitted',
        '  partners: not admitted',
        `    ${docJson}:entries[1]  81.2.69.64/26  (expired, left out)  expires: 2020-01-01T00:00:00Z`,
        '    nearest entries:',
        `      ${docJson}:entries[0].prefix  81.2.69.0/28  (55 address(es) away; 81.2.69.0/25 would hold both)  note: Acme VPN; owner: alice; expires: 2099-06-30T00:00:00Z`,
      ].join('\n'),
    );
    expect(run.stdout).not.toContain('office');
    expect(run.stdout).toContain('Not admitted by any selected allowlist: 81.2.69.70/32.');
  });

  it('says when an allowlist has no entry of the address family at all', () => {
    const run = cli(['explain', '2a00:1450:4001::5', '--config', offline]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('  office: not admitted\n    no entries of this address family in force\n');
    expect(run.stdout).toContain('  partners: admitted by 1 entry; targets hold 2a00:1450::/32\n');
  });

  it('prints the answer as JSON with --json', () => {
    const run = cli(['explain', '--json', '81.2.69.3', '--config', offline]);
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as { admitted: boolean; addresses: AddressReport[] };
    expect(out.admitted).toBe(true);
    expect(out.addresses[0]?.allowlists[0]).toEqual({
      name: 'partners',
      admitted: 'yes',
      entries: [
        {
          prefix: '81.2.69.0/28',
          where: `${docJson}:entries[0].prefix`,
          covers: 'whole',
          note: 'Acme VPN',
          owner: 'alice',
          expires: '2099-06-30T00:00:00Z',
        },
      ],
      held: ['81.2.69.0/28'],
      nearest: [],
    });
    expect(out.addresses[0]?.allowlists[1]).toMatchObject({ name: 'office', admitted: 'no', entries: [], held: [] });
  });

  it.each([
    [
      'a malformed address, named',
      ['explain', '11.22.33.7', '10.1', '--config', offline],
      /ADDRESS 2: "10\.1" is not an IPv4 address/,
    ],
    ['host bits, with the fix', ['explain', '11.22.33.7/24', '--config', offline], /did you mean 11\.22\.33\.0\/24/],
    ['no address', ['explain', '--config', offline], /no ADDRESS given/],
    ['no --config', ['explain', '11.22.33.7'], /--config FILE is required/],
    [
      'an unknown allowlist',
      ['explain', '11.22.33.7', '--config', offline, '--allowlist', 'nope'],
      /no allowlist named "nope"/,
    ],
  ])('exits 1 with nothing on stdout for %s', (_, args, message) => {
    const run = cli(args);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });

  it('refuses a list the sync would refuse, naming its line (exit 1, nothing on stdout)', () => {
    const bad = file('bad-config.json', {
      version: 1,
      allowlists: [
        {
          name: 'x',
          sources: [{ kind: 'inline', entries: ['11.0.0.0/24', '11.0.0.0/8'] }],
          targets: [{ kind: 'prefix-lists', ipv4: 'pl-0123456789abcdef0' }],
        },
      ],
    });
    const run = cli(['explain', '11.0.0.1', '--config', bad]);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/inline:2: .*11\.0\.0\.0\/8/);
  });

  it('has --help', () => {
    const run = cli(['explain', '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: allowlist-sync explain ADDRESS\.\.\. --config FILE/);
  });
});

describe('explain --live against the stateful fakes (in process)', () => {
  const ec2 = new FakeEc2();
  const waf = new FakeWafv2();
  const group = ec2.createSecurityGroup();
  const tags = { [OWNER_TAG_KEY]: 'partners' };
  ec2.seedRule(group, { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '11.22.33.0/24', tags });
  ec2.seedRule(group, { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '11.22.0.0/16', description: 'by hand' });
  ec2.seedRule(group, { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '81.2.69.64/26', tags });
  const list = ec2.createPrefixList({ family: 4, maxEntries: 20, entries: ['11.22.33.0/26'] });
  const set = waf.createIpSet({ scope: 'REGIONAL', name: 'partners-v4', family: 'IPV4', addresses: ['52.94.5.0/24'] });
  const config = file(
    'live.json',
    configWith({
      partners: [
        { kind: 'security-groups', groupIds: [group], ports: [{ protocol: 'tcp', from: 443, to: 443 }] },
        { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [{ name: 'partners-v4', id: set.Id }] },
      ],
      office: [{ kind: 'prefix-lists', ipv4: list }],
    }),
  );
  const deps = async (): Promise<ExplainDeps> => ({
    sources: { now: () => Date.now() },
    drivers: driverFactory({ ec2: ec2.client, wafv2: () => waf.client }),
  });
  const explain = createExplainCommand(deps);

  it('says which rule, IP set or prefix-list entry admits the address now, ours or drift, and what the next apply does', async () => {
    const io = memoryIo();
    expect(await explain.run(['11.22.33.7', '81.2.69.70', '--live', '--config', config], io)).toBe(3);
    expect(io.err()).toBe('');
    const out = io.out();
    expect(out).toMatch(
      new RegExp(
        [
          `    live security-groups:${group}: admits it now`,
          `      ${group} rule sgr-\\w+ tcp 443-443 11\\.22\\.33\\.0/24 \\(ours\\)`,
          `      ${group} rule sgr-\\w+ tcp 443-443 11\\.22\\.0\\.0/16 \\(drift: not written by allowlist-sync\\)`,
          '      next apply: no change for this address',
          `    live waf-ip-sets:REGIONAL:partners-v4: does not admit it now`,
          '      next apply: adds 11.22.33.0/24',
        ].join('\n'),
      ),
    );
    expect(out).toContain(`    live prefix-lists:${list}: admits it now\n      ${list} 11.22.33.0/26 (ours)\n`);
    // The expired entry's rule is still in the group: the next apply removes it.
    expect(out).toMatch(/81\.2\.69\.64\/26 \(ours\)\n {6}next apply: removes 81\.2\.69\.64\/26\n/);
    // Read-only: not one write call to either fake.
    expect(ec2.writes()).toEqual([]);
    expect(waf.writes()).toEqual([]);
  });

  it('gives the live findings in --json', async () => {
    const io = memoryIo();
    expect(
      await explain.run(['52.94.5.9', '--live', '--json', '--allowlist', 'partners', '--config', config], io),
    ).toBe(0);
    const out = JSON.parse(io.out()) as { addresses: AddressReport[] };
    const live = out.addresses[0]?.allowlists[0]?.live;
    expect(
      live?.map((t) => [t.kind, t.admits, t.matches.map((m) => `${m.resource} ${m.cidr} ${m.ours}`), t.nextApply]),
    ).toEqual([
      ['security-groups', 'no', [], { add: ['52.94.5.0/24'], remove: [] }],
      ['waf-ip-sets', 'yes', [`partners-v4 (${set.Id}) 52.94.5.0/24 true`], { add: [], remove: [] }],
    ]);
  });
});

describe('explain --live, the built CLI as a process against a local WAFv2 endpoint backed by FakeWafv2', () => {
  let endpoint: LocalEndpoint & { operations: string[] };
  const waf = new FakeWafv2({ maxAttempts: 1 });
  const set = waf.createIpSet({ scope: 'REGIONAL', name: 'partners-v4', family: 'IPV4', addresses: ['45.60.1.0/24'] });
  beforeAll(async () => {
    ensureBuilt();
    endpoint = await startWafEndpoint(waf);
  }, 120_000);
  afterAll(() => endpoint.close());

  it('reads the IP set (GetIPSet only) and says the next apply removes what the list no longer has', async () => {
    const config = file('waf.json', {
      version: 1,
      allowlists: [
        {
          name: 'partners',
          sources: [{ kind: 'inline', entries: ['11.22.33.0/24'] }],
          targets: [{ kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [{ name: 'partners-v4', id: set.Id }] }],
        },
      ],
    });
    const run = await promisify(execFile)(
      process.execPath,
      [CLI, 'explain', '45.60.1.1', '--live', '--config', config, '--region', 'eu-west-1'],
      {
        env: {
          PATH: process.env.PATH,
          AWS_ENDPOINT_URL: endpoint.url,
          AWS_ACCESS_KEY_ID: 'AKIDTEST',
          AWS_SECRET_ACCESS_KEY: 'secret',
          NODE_NO_WARNINGS: '1',
        },
      },
    ).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(3);
    expect(run.stdout).toContain(
      [
        '  partners: not admitted',
        '    nearest entries:',
        // 45.60.1.1 − 11.22.33.255 and their common leading bits, checked with Python's ipaddress.
        '      inline:1  11.22.33.0/24  (572,907,266 address(es) away; 0.0.0.0/2 would hold both)',
        '    live waf-ip-sets:REGIONAL:partners-v4: admits it now',
        `      partners-v4 (${set.Id}) 45.60.1.0/24 (ours)`,
        '      next apply: removes 45.60.1.0/24',
      ].join('\n'),
    );
    expect(endpoint.operations).toEqual(['GetIPSet']);
    expect(waf.addresses(set.Id)).toEqual(['45.60.1.0/24']);
  });
});
