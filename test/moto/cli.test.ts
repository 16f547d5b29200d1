/**
 * The built CLI (`dist/bin/allowlist-sync.js`, a separate process) against moto: plan → apply → plan converged over a
 * pool of security groups, WAF IP sets and prefix lists in both families; a changed list; an unowned rule kept and
 * reported as drift; the change-size guardrail and a forced apply. Every count of write calls in a report is checked
 * against the writes moto recorded, and every change event the run put (`events:PutEvents`, issue 13) by its content.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../../lambda/core/model';
import { ensureBuilt } from '../cli/built-cli';
import { MOTO_CASE_TIMEOUT_MS, type MotoServer, moto, type RecordedCall, startMoto } from '../support/moto';
import { addIngressRule, putObject } from '../support/moto-resources';
import { type CliRun, runCli, writeConfigFile } from './cli-run';
import {
  appliedEvent,
  BUCKET,
  createWorld,
  expectApplyWrites,
  expectChangeEvents,
  expectedState,
  expectNoTargetCalls,
  KEY,
  LIST_V1,
  LIST_V2,
  listText,
  refusedEvent,
  reportedWrites,
  targetState,
  targetWrites,
  type World,
  worldConfig,
} from './world';

const dir = mkdtempSync(path.join(tmpdir(), 'allowlist-sync-moto-cli-'));
let server: MotoServer;
/** API calls checked against moto's recorder in this file (printed at the end). */
let checkedCalls = 0;

beforeAll(async () => {
  if (!moto.available) return;
  ensureBuilt();
  server = await startMoto();
}, MOTO_CASE_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
  if (moto.available) console.log(`moto tier (built CLI): ${checkedCalls} recorded API calls checked`);
});

/** Runs the built CLI against moto with `--json`; counts the calls moto recorded. */
async function run(args: string[]): Promise<CliRun> {
  const result = await runCli(server, [...args, '--json']);
  checkedCalls += result.calls.length;
  return result;
}

function writeConfig(world: World, guardrails: Record<string, unknown> = {}): string {
  return writeConfigFile(dir, worldConfig(world, guardrails));
}

describe.skipIf(!moto.available)('the built CLI against moto', { timeout: MOTO_CASE_TIMEOUT_MS }, () => {
  let world: World;
  beforeEach(async () => {
    await server.reset();
    world = await createWorld(server.clients);
  });

  it('plans, applies, then plans converged, with the report counting exactly the writes moto recorded', async () => {
    const config = writeConfig(world);

    const plan = await run(['plan', '--config', config]);
    expect(plan.status, plan.stderr).toBe(2);
    expect(plan.report?.summary).toEqual({ add: 18, remove: 0, unchanged: 0 });
    expectNoWrites(plan.calls);

    const apply = await run(['apply', '--config', config]);
    expect(apply.status, apply.stderr).toBe(0);
    expect(apply.report?.status).toBe('ok');
    expectApplyWrites(apply.report, apply.calls, [appliedEvent('partners')]);
    expect(reportedWrites(apply.report as RunReport)).toBeGreaterThan(0);
    expect(await targetState(server.clients, world)).toEqual(expectedState(LIST_V1));

    const again = await run(['plan', '--config', config]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.report?.summary).toEqual({ add: 0, remove: 0, unchanged: 18 });
    expectNoWrites(again.calls);
    // A plan is a dry run: no change event.
    expectChangeEvents(again.calls, []);
  });

  it('applies a changed list (adds, removes, a re-split prefix) and converges', async () => {
    const config = writeConfig(world);
    expect((await run(['apply', '--config', config])).status).toBe(0);
    await putObject(server.clients, BUCKET, KEY, listText(LIST_V2));

    const plan = await run(['plan', '--config', config]);
    expect(plan.status, plan.stderr).toBe(2);
    // Per target: 4 added (18.200.0.0/24, the /23 and /24 of the re-split, an IPv6 /36), 2 removed (54.239.0.0/24
    // and the old /22); 3 targets.
    expect(plan.report?.summary).toEqual({ add: 12, remove: 6, unchanged: 12 });

    const apply = await run(['apply', '--config', config]);
    expect(apply.status, apply.stderr).toBe(0);
    expect(apply.report?.status).toBe('ok');
    const [event] = expectApplyWrites(apply.report, apply.calls, [appliedEvent('partners')]);
    expect(event?.added).toMatchObject({ count: 4, omitted: 0 });
    expect(event?.removed).toMatchObject({ count: 2, omitted: 0 });
    expect(await targetState(server.clients, world)).toEqual(expectedState(LIST_V2));
    expect((await run(['plan', '--config', config])).status).toBe(0);
  });

  it('keeps a rule it does not own and reports it as drift', async () => {
    await addIngressRule(server.clients, world.groupIds[0] as string, '81.2.69.160/27');
    const config = writeConfig(world);

    const apply = await run(['apply', '--config', config]);
    expect(apply.status, apply.stderr).toBe(0);
    const groups = apply.report?.allowlists[0]?.targets.find((t) => t.kind === 'security-groups');
    expect(JSON.stringify(groups?.drift)).toContain('81.2.69.160/27');
    expect(await targetState(server.clients, world)).toEqual(expectedState(LIST_V1, ['81.2.69.160/27']));
    expectApplyWrites(apply.report, apply.calls, [appliedEvent('partners')]);
    // No write named the unowned rule's CIDR: it was never revoked.
    expect((await run(['plan', '--config', config])).status).toBe(0);
  });

  it('refuses a change over the guardrail with zero writes, and applies it with --force and a reason', async () => {
    const config = writeConfig(world, { maxRemovedShare: 0.3, removalsAlwaysAllowed: 0 });
    expect((await run(['apply', '--config', config])).status).toBe(0);
    // 3 of the 4 IPv4 prefixes removed: 75% of each IPv4 filter, over the 30% allowed.
    const shrunk = ['3.5.140.0/22', '2a05:d018::/36', '2a05:d050:8000::/40'];
    await putObject(server.clients, BUCKET, KEY, listText(shrunk));

    const refused = await run(['apply', '--config', config]);
    expect(refused.status).toBe(1);
    expect(refused.report?.status).toBe('refused');
    expect(JSON.stringify(refused.report)).toContain('GuardrailError');
    expect(targetWrites(refused.calls)).toEqual([]);
    const [refusal] = expectApplyWrites(refused.report, refused.calls, [refusedEvent('partners')]);
    expect(refusal?.removed).toMatchObject({ count: 3 });
    expect(await targetState(server.clients, world)).toEqual(expectedState(LIST_V1));

    const forced = await run(['apply', '--config', config, '--force', 'partner offboarding, ticket 4711']);
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.report?.forced).toEqual({ reason: 'partner offboarding, ticket 4711' });
    const [applied] = expectApplyWrites(forced.report, forced.calls, [appliedEvent('partners')]);
    expect(applied?.forced).toEqual({ reason: 'partner offboarding, ticket 4711' });
    expect(await targetState(server.clients, world)).toEqual(expectedState(shrunk));
  });

  it('refuses a hostile list from S3 before any call to a target; its one write is the Refused change event', async () => {
    const config = writeConfig(world);
    await putObject(server.clients, BUCKET, KEY, '52.94.76.0/22\n0.0.0.0/0\n');
    const apply = await run(['apply', '--config', config]);
    expect(apply.status).toBe(1);
    expect(apply.report?.allowlists[0]?.error?.name).toBe('PolicyError');
    // The source read, then the change event (a notification on the default bus, not a write to any filter).
    expect(apply.calls.map((c) => `${c.service} ${c.action}`)).toEqual([
      `s3 GET /${BUCKET}/${KEY}`,
      'events PutEvents',
    ]);
    const [event] = expectNoTargetCalls(apply.calls, [refusedEvent('partners')], apply.report);
    expect(event?.error).toMatchObject({ name: 'PolicyError' });
    expect(JSON.stringify(event?.error)).toContain('0.0.0.0/0');
  });
});

function expectNoWrites(calls: readonly RecordedCall[]): void {
  expect(calls.length).toBeGreaterThan(0);
  expect(calls.filter((c) => c.write)).toEqual([]);
}
