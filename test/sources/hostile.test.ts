/**
 * The hostile-input battery (issue 4): every case must end in its typed error from `loadAllowlist`, and a full engine
 * run over the same config, against the EC2 and WAF fakes holding a previously applied list, must make 0 write
 * calls and keep that list. A control case (a good list) proves the same world does write when the input is sound,
 * so "0 writes" cannot pass by accident. The results are printed as a table at the end.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER_TAG_KEY, parseRuntimeConfig, type RuntimeConfig } from '../../lambda/config';
import { runEngine } from '../../lambda/engine';
import { loadAllowlist, MemorySerialStore, SourceCache, type SourceDeps } from '../../lambda/sources';
import { FakeEc2, FakeWafv2 } from '../fakes';
import { FakeS3 } from '../fakes/fake-s3';
import { FakeSsm } from '../fakes/fake-ssm';
import { NOW } from './helpers';
import { type Arranged, type CaseContext, HOSTILE_CASES, type HostileCase } from './hostile-cases';
import { startTestServer, type TestServer } from './https-server';

let server: TestServer;
let millionLines: string;
let closedPort: number;
const results: Array<{ name: string; expected: string; got: string; writes: number | string }> = [];

beforeAll(async () => {
  server = await startTestServer();
  const dir = mkdtempSync(join(tmpdir(), 'hostile-'));
  millionLines = join(dir, 'million.txt');
  // 1,000,001 distinct public hosts from 1.0.0.0 up: one more than the default maxEntries.
  const lines: string[] = [];
  for (let i = 0; i <= 1_000_000; i++) lines.push(`1.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`);
  writeFileSync(millionLines, `${lines.join('\n')}\n`);
  closedPort = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
});

afterAll(async () => {
  await server.close();
  const rows = results.map((r, i) => `| ${i + 1} | ${r.name} | ${r.expected} | ${r.got} | ${r.writes} |`);
  const passed = results.filter((r) => r.expected === r.got && r.writes === 0).length;
  console.log(
    [
      `hostile-input battery: ${results.length} cases, ${passed} ended in the expected error with 0 writes`,
      '| # | case | expected | got | writes |',
      '|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
});

/** A world with a previously applied list in a security group, a prefix list and a WAF IP set. */
function world() {
  const ec2 = new FakeEc2();
  const waf = new FakeWafv2({ now: () => NOW });
  const groupId = ec2.createSecurityGroup();
  ec2.seedRule(groupId, {
    protocol: 'tcp',
    fromPort: 443,
    toPort: 443,
    cidr: '52.94.0.0/16',
    tags: { [OWNER_TAG_KEY]: 'partners' },
  });
  const prefixListId = ec2.createPrefixList({ family: 4, maxEntries: 10, entries: ['52.94.0.0/16'] });
  const set = waf.createIpSet({ scope: 'REGIONAL', name: 'partners-v4', family: 'IPV4', addresses: ['52.94.0.0/16'] });
  const targets = [
    { kind: 'security-groups', groupIds: [groupId], ports: [{ protocol: 'tcp', from: 443, to: 443 }] },
    { kind: 'prefix-lists', ipv4: prefixListId },
    { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [{ name: set.Name, id: set.Id }] },
  ];
  return { ec2, waf, targets, prefixListId, setId: set.Id };
}

function config(arranged: Arranged, targets: unknown[]): RuntimeConfig {
  return parseRuntimeConfig({
    version: 1,
    allowlists: [
      { name: 'partners', sources: arranged.sources, policy: arranged.policy ?? {}, targets, guardrails: {} },
    ],
  });
}

async function runCase(c: HostileCase | { name: string; arrange: HostileCase['arrange'] }, index: number) {
  const s3 = new FakeS3(() => NOW).createBucket('lists', '111122223333');
  const ssm = new FakeSsm(() => NOW);
  const ctx: CaseContext = { server, s3, ssm, path: `/case/${index}`, millionLines, closedPort };
  const arranged = c.arrange(ctx);
  const w = world();
  const serialStore = new MemorySerialStore();
  if (arranged.lastSerial !== undefined) await serialStore.put('partners', arranged.lastSerial);
  const deps: SourceDeps = {
    s3: s3.client,
    ssm: ssm.client,
    now: () => NOW,
    cache: new SourceCache(),
    serialStore,
    https: { ca: server.ca },
    ...(arranged.limits ? { limits: arranged.limits } : {}),
  };
  let cfg: RuntimeConfig;
  try {
    cfg = config(arranged, w.targets);
  } catch (error) {
    // Refused by the config schema: the engine never starts, so nothing can be written.
    return { error, engineError: error, writes: 0, w };
  }
  const error = await loadAllowlist(cfg.allowlists[0]!, deps).then(
    () => undefined,
    (e: unknown) => e,
  );
  const report = await runEngine(
    cfg,
    { dryRun: false, trigger: 'cli' },
    { ec2: w.ec2.client, wafv2: () => w.waf.client, sources: deps, now: () => NOW, sleep: async () => undefined },
  );
  const writes = w.ec2.writes().length + w.waf.writes().length;
  return { error, engineError: report.allowlists[0]?.error, report, writes, w };
}

function describeError(error: unknown): string {
  if (error === undefined) return 'no error';
  const e = error as { name?: string; reason?: string; problems?: { code: string }[]; violations?: { code: string }[] };
  const code = e.reason ?? e.problems?.[0]?.code ?? e.violations?.[0]?.code;
  return code ? `${e.name} ${code}` : String(e.name);
}

describe('hostile sources', () => {
  it('has at least 40 cases', () => {
    expect(HOSTILE_CASES.length).toBeGreaterThanOrEqual(40);
  });

  it('writes the good list through the same world (the control case)', async () => {
    const { error, writes, w } = await runCase(
      { name: 'control', arrange: () => ({ sources: [{ kind: 'inline', entries: ['52.94.76.0/22'] }] }) },
      9999,
    );
    expect(error).toBeUndefined();
    expect(writes).toBeGreaterThan(0);
    expect(w.ec2.entries(w.prefixListId)).toEqual(['52.94.76.0/22']);
  });

  it.each(HOSTILE_CASES.map((c, i) => [c.name, c, i] as const))(
    'refuses %s with its typed error and writes nothing',
    async (_name, c, i) => {
      const { error, engineError, writes, w } = await runCase(c, i);
      const expected = c.reason ? `${c.error} ${c.reason}` : c.error;
      const got = describeError(error);
      results.push({ name: c.name, expected, got: c.reason ? got : got.split(' ')[0]!, writes });
      expect(got.startsWith(expected)).toBe(true);
      expect((engineError as { name?: string } | undefined)?.name).toBe(c.error);
      expect(writes).toBe(0);
      expect(w.ec2.entries(w.prefixListId)).toEqual(['52.94.0.0/16']);
      expect(w.waf.addresses(w.setId)).toEqual(['52.94.0.0/16']);
    },
  );
});
