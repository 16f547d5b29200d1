/**
 * Every hostile list of test/sources/hostile-cases.ts refused with ZERO calls to AWS, as counted by moto's recorder,
 * while the targets (a security group, a WAF IP set and a prefix list holding a previously applied list) live in moto.
 *
 * - Through the engine, every case: the sources are arranged as in test/sources/hostile.test.ts (the HTTPS test
 *   server, and the S3/SSM fakes where a case needs a fault moto cannot inject: a truncated or dripping body, a 500,
 *   an access denial), while the targets, the run lock and the generation store are moto's, as the function wires
 *   them (lambda/aws-deps.ts).
 * - Through the function's bundle, as the stack builds it: every case whose sources are inline or a file (the ones
 *   a cold container can be given through its config alone).
 *
 * A control case (a good list through the same world) proves the recorder does see the run's calls.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER_TAG_KEY, parseRuntimeConfig, type RuntimeConfig } from '../../lambda/config';
import { runEngine } from '../../lambda/engine';
import type { RunFailedError } from '../../lambda/response';
import { SsmGenerationStore, SsmRunLock } from '../../lambda/run-lock';
import { MemorySerialStore, SourceCache, type SourceDeps } from '../../lambda/sources';
import { FakeS3 } from '../fakes/fake-s3';
import { FakeSsm } from '../fakes/fake-ssm';
import { NOW } from '../sources/helpers';
import { type Arranged, type CaseContext, HOSTILE_CASES, type HostileCase } from '../sources/hostile-cases';
import { startTestServer, type TestServer } from '../sources/https-server';
import { freePort, type MotoServer, moto, startMoto } from '../support/moto';
import {
  addUnownedRule,
  createGroupPool,
  createIpSet,
  createPrefixList,
  type IpSetRef,
  ingressRules,
  ipSetAddresses,
  prefixListEntries,
} from '../support/moto-resources';
import { buildFunctionBundle, type FunctionBundle, lambdaContext } from './function-bundle';

const APPLIED = '52.94.0.0/16';
let server: MotoServer;
let https: TestServer;
let bundle: FunctionBundle;
let millionLines: string;
let closedPort: number;
let checkedCalls = 0;

interface HostileWorld {
  readonly groupId: string;
  readonly set: IpSetRef;
  readonly prefixList: string;
  readonly targets: unknown[];
}
let world: HostileWorld;

beforeAll(async () => {
  if (!moto.available) return;
  [server, https, bundle, closedPort] = await Promise.all([
    startMoto(),
    startTestServer(),
    buildFunctionBundle(),
    freePort(),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'allowlist-sync-moto-hostile-'));
  millionLines = join(dir, MILLION_LINES_NAME);
  // 1,000,001 distinct public hosts from 1.0.0.0 up: one more than the default maxEntries.
  const lines: string[] = [];
  for (let i = 0; i <= 1_000_000; i++) lines.push(`1.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`);
  writeFileSync(millionLines, `${lines.join('\n')}\n`);
});

afterAll(async () => {
  await Promise.all([server?.stop(), https?.close()]);
  bundle?.remove();
  if (moto.available) console.log(`moto tier (hostile lists): ${checkedCalls} recorded API calls checked`);
});

/** The previously applied list in every target, as the last good run left it (the owned rule carries the tag). */
async function createHostileWorld(): Promise<HostileWorld> {
  const { clients } = server;
  const [groupId] = (await createGroupPool(clients, 1)) as [string];
  // An owned rule is one with the owner tag; moto keeps the tags given at authorize time, as AWS does.
  await addUnownedRule(clients, groupId, APPLIED);
  const { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand } = await import(
    '@aws-sdk/client-ec2'
  );
  await clients.ec2.send(
    new RevokeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: APPLIED }] }],
    }),
  );
  await clients.ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: APPLIED }] }],
      TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: [{ Key: OWNER_TAG_KEY, Value: 'partners' }] }],
    }),
  );
  const set = await createIpSet(clients, 'partners-v4', 'IPV4', [APPLIED]);
  const prefixList = await createPrefixList(clients, 'partners-v4', 4, 10, [APPLIED]);
  const targets = [
    { kind: 'security-groups', groupIds: [groupId], ports: [{ protocol: 'tcp', from: 443, to: 443 }] },
    { kind: 'prefix-lists', ipv4: prefixList },
    { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [set] },
  ];
  return { groupId, set, prefixList, targets };
}

async function expectAppliedListKept(): Promise<void> {
  const rules = await ingressRules(server.clients, world.groupId);
  expect(rules).toEqual([{ cidr: APPLIED, port: 443, owner: 'partners' }]);
  expect(await ipSetAddresses(server.clients, world.set)).toEqual([APPLIED]);
  expect(await prefixListEntries(server.clients, world.prefixList)).toEqual([APPLIED]);
}

function configOf(arranged: Arranged): unknown {
  return {
    version: 1,
    allowlists: [
      {
        name: 'partners',
        sources: arranged.sources,
        policy: arranged.policy ?? {},
        targets: world.targets,
        guardrails: {},
      },
    ],
  };
}

/** Runs one case through the engine, targets and run lock in moto; returns the run's error and moto's calls. */
async function runThroughEngine(c: Pick<HostileCase, 'arrange'>, index: number) {
  const s3 = new FakeS3(() => NOW).createBucket('lists', '111122223333');
  const ssm = new FakeSsm(() => NOW);
  const ctx: CaseContext = { server: https, s3, ssm, path: `/moto-case/${index}`, millionLines, closedPort };
  const arranged = c.arrange(ctx);
  const serialStore = new MemorySerialStore();
  if (arranged.lastSerial !== undefined) await serialStore.put('partners', arranged.lastSerial);
  const sources: SourceDeps = {
    s3: s3.client,
    ssm: ssm.client,
    now: () => NOW,
    cache: new SourceCache(),
    serialStore,
    https: { ca: https.ca },
    ...(arranged.limits ? { limits: arranged.limits } : {}),
  };
  await server.clearCalls();
  let config: RuntimeConfig;
  try {
    config = parseRuntimeConfig(configOf(arranged));
  } catch (error) {
    // Refused by the config schema: the engine never starts.
    return { error, calls: await server.calls() };
  }
  const { ec2, wafv2, ssm: motoSsm } = server.clients;
  const report = await runEngine(
    config,
    { dryRun: false, trigger: 'cli' },
    {
      ec2,
      wafv2: () => wafv2,
      sources,
      now: () => NOW,
      sleep: async () => undefined,
      lock: new SsmRunLock(motoSsm, () => NOW),
      generations: new SsmGenerationStore(motoSsm),
    },
  );
  const calls = await server.calls();
  checkedCalls += calls.length;
  return { error: report.allowlists[0]?.error, report, calls };
}

/**
 * Whether a case can be given to a cold container through its config alone: inline or file sources, no limits, no
 * last serial. Decided at collection time with a stand-in context: `arrange` only records routes and objects there.
 */
function isConfigOnly(c: HostileCase, index: number): boolean {
  const standIn = { origin: 'https://127.0.0.1:9', ca: '', routes: new Map(), requests: [], close: async () => {} };
  const arranged = c.arrange({
    server: standIn,
    s3: new FakeS3(() => NOW).createBucket('lists', '111122223333'),
    ssm: new FakeSsm(() => NOW),
    path: `/stand-in/${index}`,
    millionLines: MILLION_LINES_NAME,
    closedPort: 9,
  });
  return (
    arranged.limits === undefined &&
    arranged.lastSerial === undefined &&
    arranged.sources.every((s) => ['inline', 'file'].includes((s as { kind: string }).kind))
  );
}

const MILLION_LINES_NAME = 'million.txt';
const CONFIG_ONLY = HOSTILE_CASES.flatMap((c, i) => (isConfigOnly(c, i) ? [[c.name, c, i] as const] : []));

describe.skipIf(!moto.available)('hostile lists against moto: zero AWS calls', () => {
  it('writes a good list through the same world (the control case: the recorder sees the run)', async () => {
    await server.reset();
    world = await createHostileWorld();
    const { error, calls } = await runThroughEngine(
      { arrange: () => ({ sources: [{ kind: 'inline', entries: ['52.94.76.0/22'] }] }) },
      9999,
    );
    expect(error).toBeUndefined();
    expect(calls.filter((c) => c.write && c.service !== 'ssm').length).toBeGreaterThan(0);
    expect(await prefixListEntries(server.clients, world.prefixList)).toEqual(['52.94.76.0/22']);
    // The hostile cases start from the previously applied list again.
    await server.reset();
    world = await createHostileWorld();
  });

  it.each(HOSTILE_CASES.map((c, i) => [c.name, c, i] as const))(
    'refuses %s through the engine with zero calls to moto',
    async (_name, c, i) => {
      const { error, calls } = await runThroughEngine(c, i);
      expect((error as { name?: string } | undefined)?.name).toBe(c.error);
      expect(calls).toEqual([]);
      await expectAppliedListKept();
    },
  );

  it('gives the bundle at least 20 config-only cases', () => {
    expect(CONFIG_ONLY.length).toBeGreaterThanOrEqual(20);
  });

  it.each(CONFIG_ONLY)("refuses %s through the function's bundle with zero calls to moto", async (_name, c, i) => {
    const ctx: CaseContext = {
      server: https,
      s3: new FakeS3(() => NOW),
      ssm: new FakeSsm(() => NOW),
      path: `/moto-bundle/${i}`,
      millionLines,
      closedPort,
    };
    await server.clearCalls();
    let name: string | undefined;
    try {
      // A config the schema refuses fails the container's init: the handler is never called.
      const handler = bundle.load(configOf(c.arrange(ctx)), server.env);
      await handler({ dryRun: false }, lambdaContext(`hostile-${i}`));
    } catch (error) {
      const e = error as RunFailedError | Error;
      name = 'report' in e ? e.report.allowlists[0]?.error?.name : e.name;
    }
    const calls = await server.calls();
    checkedCalls += calls.length;
    expect(name).toBe(c.error);
    expect(calls).toEqual([]);
  });
});
