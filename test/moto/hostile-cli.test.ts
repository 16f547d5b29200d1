/**
 * The hostile lists through the built CLI against moto: every case whose sources a config file can carry (inline,
 * file, and https served by the test server, whose CA the CLI process trusts through NODE_EXTRA_CA_CERTS), each as one
 * allowlist of ONE `apply` run. The run must refuse every allowlist with its case's error, make zero calls to any
 * target service (an allowlist that loaded would be observed: EC2 and WAF reads, so one stray case shows in the
 * recorder), and write nothing but one change event per allowlist (issue 13: `events:PutEvents`, detail type
 * `Allowlist Refused`, source `allowlist-sync`; a notification on the default bus, not a write to any filter), read
 * back by content from the bodies moto recorded. A list the config schema refuses never starts a run: zero calls.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../lambda/core/model';
import { CLI, ensureBuilt, ROOT } from '../cli/built-cli';
import { FakeS3 } from '../fakes/fake-s3';
import { FakeSsm } from '../fakes/fake-ssm';
import { NOW } from '../sources/helpers';
import { startTestServer, type TestServer } from '../sources/https-server';
import { freePort, isPutEvents, MOTO_CASE_TIMEOUT_MS, type MotoServer, moto, startMoto } from '../support/moto';
import {
  casesOfKinds,
  createHostileWorld,
  expectAppliedListKept,
  hostileAllowlist,
  MILLION_LINES_NAME,
  writeMillionLines,
} from './hostile-world';
import { expectNoTargetCalls, refusedEvent } from './world';

// A case the config schema refuses would refuse the whole file: those run on their own below.
const CASES = casesOfKinds(['inline', 'file', 'https']).filter(([, c]) => c.error !== 'ConfigError');
const CONFIG_CASES = casesOfKinds(['inline', 'file', 'https']).filter(([, c]) => c.error === 'ConfigError');
let server: MotoServer;
let https: TestServer;
let dir: string;
let checkedCalls = 0;

beforeAll(async () => {
  if (!moto.available) return;
  ensureBuilt();
  [server, https] = await Promise.all([startMoto(), startTestServer()]);
  dir = mkdtempSync(join(tmpdir(), 'allowlist-sync-moto-hostile-cli-'));
  writeMillionLines(join(dir, MILLION_LINES_NAME));
}, MOTO_CASE_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all([server?.stop(), https?.close()]);
  if (moto.available) console.log(`moto tier (hostile lists, built CLI): ${checkedCalls} recorded API calls checked`);
});

describe.skipIf(!moto.available)(
  'hostile lists through the built CLI against moto',
  { timeout: MOTO_CASE_TIMEOUT_MS },
  () => {
    it('carries at least 40 cases', () => {
      expect(CASES.length).toBeGreaterThanOrEqual(40);
      console.log(
        `moto tier (hostile lists, built CLI): ${CASES.length} cases in one apply, ${CONFIG_CASES.length} refused at the config`,
      );
    });

    it('refuses every case, each with its error, in one apply: zero target calls, one Refused event each', async () => {
      await server.reset();
      const world = await createHostileWorld(server.clients);
      const closedPort = await freePort();
      const allowlists = CASES.map(([, c, i]) => {
        const arranged = c.arrange({
          server: https,
          // The S3 and SSM fakes are never read: these cases have none of those sources.
          s3: new FakeS3(() => NOW),
          ssm: new FakeSsm(() => NOW),
          path: `/cli-case/${i}`,
          millionLines: join(dir, MILLION_LINES_NAME),
          closedPort,
        });
        return hostileAllowlist(`case-${i}`, arranged, world.targets);
      });
      const config = join(dir, 'hostile.json');
      writeFileSync(config, JSON.stringify({ version: 1, allowlists }));
      const ca = join(dir, 'ca.pem');
      writeFileSync(ca, https.ca);
      await server.clearCalls();

      const run = await promisify(execFile)(process.execPath, [CLI, 'apply', '--config', config, '--json'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: ca, ...server.env },
        maxBuffer: 64 * 1024 * 1024,
      }).then(
        () => undefined,
        (e: { code: number; stdout: string; stderr: string }) => e,
      );

      expect(run?.code, run?.stderr).toBe(1);
      const report = JSON.parse(run?.stdout ?? '{}') as RunReport;
      const got = report.allowlists.map((a) => `${a.name} ${a.error?.name}`);
      expect(got).toEqual(CASES.map(([, c, i]) => `case-${i} ${c.error}`));
      const calls = await server.calls();
      checkedCalls += calls.length;
      // Every call is a PutEvents (the events of one run go in calls of at most 10), one Refused event per case.
      expect(calls.filter((call) => !isPutEvents(call))).toEqual([]);
      const events = expectNoTargetCalls(
        calls,
        CASES.map(([, , i]) => refusedEvent(`case-${i}`)),
        report,
      );
      expect(events.map((e) => `${e.allowlist} ${(e.error as { name?: string } | undefined)?.name}`)).toEqual(got);
      expect(new Set(events.map((e) => e.trigger))).toEqual(new Set(['cli']));
      await expectAppliedListKept(server.clients, world);
    });

    it.each(CONFIG_CASES)('refuses %s at the config, with zero calls to moto', async (_name, c, i) => {
      const arranged = c.arrange({
        server: https,
        s3: new FakeS3(() => NOW),
        ssm: new FakeSsm(() => NOW),
        path: `/cli-config-case/${i}`,
        millionLines: join(dir, MILLION_LINES_NAME),
        closedPort: 9,
      });
      const config = join(dir, `config-case-${i}.json`);
      // The schema refuses the source before it looks at the targets; these are never read.
      const targets = [{ kind: 'prefix-lists', ipv4: 'pl-0123456789abcdef0' }];
      writeFileSync(
        config,
        JSON.stringify({ version: 1, allowlists: [hostileAllowlist('partners', arranged, targets)] }),
      );
      await server.clearCalls();
      const run = await promisify(execFile)(process.execPath, [CLI, 'apply', '--config', config], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, ...server.env },
      }).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      expect(run?.code).toBe(1);
      expect(run?.stderr).toContain(config);
      // Refused before a run exists: nothing is called, not even the bus.
      expect(await server.calls()).toEqual([]);
    });
  },
);
