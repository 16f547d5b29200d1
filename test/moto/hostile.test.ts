/**
 * Every hostile list of test/sources/hostile-cases.ts refused with ZERO calls to any target service and no write but
 * its one change event, as counted by moto's recorder, while the targets (a security group, a WAF IP set and a prefix
 * list holding a previously applied list) live in moto. The change event (issue 13: `events:PutEvents` on the default
 * bus, detail type `Allowlist Refused`, source `allowlist-sync`) is a notification, not a write to any filter; it is
 * checked by its content, from the body moto recorded. A list refused by the config schema never starts a run: zero
 * calls, no event.
 *
 * - Through the engine, every case: the sources are arranged as in test/sources/hostile.test.ts (the HTTPS test
 *   server, and the S3/SSM fakes where a case needs a fault moto cannot inject: a truncated or dripping body, a 500,
 *   an access denial), while the targets, the run lock, the generation store and the event bus are moto's, as the
 *   function wires them (lambda/engine/aws-deps.ts).
 * - Through the function's bundle, as the stack builds it: every case whose sources are inline or a file (the ones
 *   a cold container can be given through its config alone), each as one allowlist of one container's run.
 *
 * A control case (a good list through the same world) proves the recorder does see the run's calls.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRuntimeConfig, type RuntimeConfig } from '../../lambda/config';
import { runEngine } from '../../lambda/engine';
import { SsmGenerationStore, SsmRunLock } from '../../lambda/engine/run-lock';
import type { RunFailedError } from '../../lambda/function/response';
import { MemorySerialStore, SourceCache, type SourceDeps } from '../../lambda/sources';
import { FakeS3 } from '../fakes/fake-s3';
import { FakeSsm } from '../fakes/fake-ssm';
import { NOW } from '../sources/helpers';
import { type Arranged, type CaseContext, HOSTILE_CASES, type HostileCase } from '../sources/hostile-cases';
import { startTestServer, type TestServer } from '../sources/https-server';
import { freePort, isPutEvents, MOTO_CASE_TIMEOUT_MS, type MotoServer, moto, startMoto } from '../support/moto';
import { prefixListEntries } from '../support/moto-resources';
import { buildFunctionBundle, type FunctionBundle, lambdaContext } from './function-bundle';
import {
  casesOfKinds,
  createHostileWorld,
  expectAppliedListKept,
  type HostileWorld,
  hostileAllowlist,
  MILLION_LINES_NAME,
  writeMillionLines,
} from './hostile-world';
import { appliedEvent, expectApplyWrites, expectNoTargetCalls, refusedEvent, targetWrites } from './world';

let server: MotoServer;
let https: TestServer;
let bundle: FunctionBundle;
let millionLines: string;
let closedPort: number;
let checkedCalls = 0;
let world: HostileWorld;

beforeAll(async () => {
  if (!moto.available) return;
  [server, https, bundle, closedPort] = await Promise.all([
    startMoto(),
    startTestServer(),
    buildFunctionBundle(),
    freePort(),
  ]);
  millionLines = join(mkdtempSync(join(tmpdir(), 'allowlist-sync-moto-hostile-')), MILLION_LINES_NAME);
  writeMillionLines(millionLines);
}, MOTO_CASE_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all([server?.stop(), https?.close()]);
  bundle?.remove();
  if (moto.available) {
    console.log(
      `moto tier (hostile lists): ${checkedCalls} recorded API calls checked; ${HOSTILE_CASES.length} cases through the engine, ${CONFIG_ONLY.length} in one cold container of the bundle`,
    );
  }
});

function configOf(arranged: Arranged): unknown {
  return { version: 1, allowlists: [hostileAllowlist('partners', arranged, world.targets)] };
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
    return { error, report: undefined, calls: await server.calls() };
  }
  const { ec2, wafv2, ssm: motoSsm, events } = server.clients;
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
      eventBridge: events,
    },
  );
  const calls = await server.calls();
  checkedCalls += calls.length;
  return { error: report.allowlists[0]?.error, report, calls };
}

const CONFIG_ONLY = casesOfKinds(['inline', 'file']).filter(([, c]) => c.error !== 'ConfigError');

describe.skipIf(!moto.available)(
  'hostile lists against moto: zero target calls, one change event',
  { timeout: MOTO_CASE_TIMEOUT_MS },
  () => {
    it('writes a good list through the same world (the control case: the recorder sees the run)', async () => {
      await server.reset();
      world = await createHostileWorld(server.clients);
      const { error, report, calls } = await runThroughEngine(
        { arrange: () => ({ sources: [{ kind: 'inline', entries: ['52.94.76.0/22'] }] }) },
        9999,
      );
      expect(error).toBeUndefined();
      expect(targetWrites(calls).length).toBeGreaterThan(0);
      expectApplyWrites(report, calls, [appliedEvent('partners')]);
      expect(await prefixListEntries(server.clients, world.prefixList)).toEqual(['52.94.76.0/22']);
      // The hostile cases start from the previously applied list again.
      await server.reset();
      world = await createHostileWorld(server.clients);
    });

    it.each(HOSTILE_CASES.map((c, i) => [c.name, c, i] as const))(
      'refuses %s through the engine: zero target calls, only its Refused change event',
      async (_name, c, i) => {
        const { error, report, calls } = await runThroughEngine(c, i);
        expect((error as { name?: string } | undefined)?.name).toBe(c.error);
        if (c.error === 'ConfigError') {
          // Refused before a run exists: nothing is called, not even the bus.
          expect(calls).toEqual([]);
        } else {
          // The one call is the change event; the sources are the test server's and the fakes'.
          expect(calls.map((call) => `${call.service} ${call.action}`)).toEqual(['events PutEvents']);
          const [event] = expectNoTargetCalls(calls, [refusedEvent('partners')], report);
          expect(event).toMatchObject({ status: 'refused', trigger: 'cli', error: { name: c.error } });
        }
        await expectAppliedListKept(server.clients, world);
      },
    );

    it("refuses every config-only case in one cold container of the function's bundle: zero target calls, one Refused event each", async () => {
      // None of these is a ConfigError (one would fail the container's init for all); each is one allowlist.
      expect(CONFIG_ONLY.length).toBeGreaterThanOrEqual(20);
      const allowlists = CONFIG_ONLY.map(([, c, i]) => {
        const ctx: CaseContext = {
          server: https,
          s3: new FakeS3(() => NOW),
          ssm: new FakeSsm(() => NOW),
          path: `/moto-bundle/${i}`,
          millionLines,
          closedPort,
        };
        return hostileAllowlist(`case-${i}`, c.arrange(ctx), world.targets);
      });
      const handler = await bundle.load({ version: 1, allowlists }, server.env, server.clients.ssm);
      await server.clearCalls();
      const error = await handler({ dryRun: false }, lambdaContext('hostile')).then(
        () => undefined,
        (e: RunFailedError) => e,
      );
      const calls = await server.calls();
      checkedCalls += calls.length;
      expect(error?.name).toBe('RunFailedError');
      const got = error?.report.allowlists.map((a) => `${a.name} ${a.error?.name}`);
      expect(got).toEqual(CONFIG_ONLY.map(([, c, i]) => `case-${i} ${c.error}`));
      // Every call but the reads of the RuntimeConfig (GetParametersByPath, 10 parameters a call) is a PutEvents (the
      // events of one run go in calls of at most 10), one Refused event per case.
      const configReads = calls.filter((call) => call.action === 'GetParametersByPath');
      // At least one call per 10; moto, like SSM ("best-effort"), may end with an empty page after a NextToken.
      expect(configReads.length).toBeGreaterThanOrEqual(Math.ceil(allowlists.length / 10));
      expect(configReads.length).toBeLessThanOrEqual(Math.ceil(allowlists.length / 10) + 1);
      expect(calls.filter((call) => !isPutEvents(call) && !configReads.includes(call))).toEqual([]);
      const events = expectNoTargetCalls(
        calls,
        CONFIG_ONLY.map(([, , i]) => refusedEvent(`case-${i}`)),
        error?.report,
      );
      expect(events.map((e) => `${e.allowlist} ${(e.error as { name?: string } | undefined)?.name}`)).toEqual(got);
      await expectAppliedListKept(server.clients, world);
    });
  },
);
