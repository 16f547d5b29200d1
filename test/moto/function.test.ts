/**
 * The function's bundle, built exactly as the stack builds it, its handler invoked in this process with real events
 * against moto: the EventBridge Scheduler payload and a classic scheduled event, an S3 `Object Created` event, a
 * manual dry run, the change-size guardrail and a forced apply, a payload refused before any call. Every report's
 * write calls are checked against the writes moto recorded, and every change event the run put (`events:PutEvents`,
 * issue 13) by its content.
 */
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { planCommand } from '../../bin/commands/plan';
import type { RunReport } from '../../lambda/core/model';
import { configAllowlistsParameterName } from '../../lambda/engine/config-store';
import type { InvokeResponse } from '../../lambda/function/response';
import { serialParameterName } from '../../lambda/sources';
import { memoryIo } from '../cli/local-aws';
import { keys, signedDoc } from '../sources/helpers';
import {
  MOTO_CASE_TIMEOUT_MS,
  MOTO_REGION,
  type MotoServer,
  moto,
  type RecordedCall,
  startMoto,
} from '../support/moto';
import { addIngressRule, putObject } from '../support/moto-resources';
import {
  buildFunctionBundle,
  type FunctionBundle,
  lambdaContext,
  s3ObjectCreatedEvent,
  scheduledEvent,
  writeConfigParameters,
} from './function-bundle';
import {
  appliedEvent,
  BUCKET,
  createWorld,
  type ExpectedEvent,
  expectApplyWrites,
  expectedState,
  expectNoTargetCalls,
  KEY,
  LIST_V1,
  LIST_V2,
  listText,
  refusedEvent,
  targetState,
  targetWrites,
  type World,
  worldConfig,
} from './world';

let server: MotoServer;
let bundle: FunctionBundle;
let checkedCalls = 0;
let invocations = 0;

beforeAll(async () => {
  if (!moto.available) return;
  bundle = await buildFunctionBundle();
  server = await startMoto();
}, MOTO_CASE_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
  bundle?.remove();
  if (moto.available) console.log(`moto tier (function bundle): ${checkedCalls} recorded API calls checked`);
});

/** Invokes a cold copy of the bundle's handler with `event`; returns its response or thrown error, and moto's calls. */
async function invoke(world: World, event: unknown, guardrails: Record<string, unknown> = {}) {
  const handler = await bundle.load(worldConfig(world, guardrails), server.env, server.clients.ssm);
  await server.clearCalls();
  invocations += 1;
  const outcome = await handler(event, lambdaContext(`request-${invocations}`)).then(
    (response) => ({ response: response as InvokeResponse, error: undefined }),
    (error: Error & { report?: RunReport }) => ({ response: undefined, error }),
  );
  const calls = await server.calls();
  checkedCalls += calls.length;
  return { ...outcome, report: outcome.response?.report ?? outcome.error?.report, calls };
}

/** The report's write calls against moto's recorder, and the run's change events by content (see world.ts). */
function expectWritesRecorded(
  report: RunReport | undefined,
  calls: readonly RecordedCall[],
  events: readonly ExpectedEvent[] = [appliedEvent('partners')],
) {
  return expectApplyWrites(report, calls, events);
}

describe.skipIf(!moto.available)("the function's bundle against moto", { timeout: MOTO_CASE_TIMEOUT_MS }, () => {
  let world: World;
  beforeEach(async () => {
    await server.reset();
    world = await createWorld(server.clients);
  });

  it('applies on the Scheduler payload, then a classic scheduled event finds it converged', async () => {
    const first = await invoke(world, { trigger: 'schedule' });
    expect(first.error).toBeUndefined();
    expect(first.response?.summary).toBe('Applied: 18 added, 0 removed, 0 unchanged.');
    expect(first.report?.trigger).toBe('schedule');
    expectWritesRecorded(first.report, first.calls);
    expect(await targetState(server.clients, world)).toEqual(expectedState(LIST_V1));

    const second = await invoke(world, scheduledEvent(MOTO_REGION));
    expect(second.response?.summary).toBe('Applied: 0 added, 0 removed, 18 unchanged.');
    expect(targetWrites(second.calls)).toEqual([]);
    // Converged: no change event either.
    expectWritesRecorded(second.report, second.calls, []);
  });

  it('applies a changed list on the S3 Object Created event, and ignores an object no allowlist reads', async () => {
    await invoke(world, { trigger: 'schedule' });
    await putObject(server.clients, BUCKET, KEY, listText(LIST_V2));

    const changed = await invoke(world, s3ObjectCreatedEvent(BUCKET, KEY, MOTO_REGION));
    expect(changed.error).toBeUndefined();
    expect(changed.report?.trigger).toBe('s3');
    expect(changed.response?.summary).toBe('Applied: 12 added, 6 removed, 12 unchanged.');
    const [event] = expectWritesRecorded(changed.report, changed.calls);
    expect(event).toMatchObject({ trigger: 's3', added: { count: 4 }, removed: { count: 2 } });
    expect(await targetState(server.clients, world)).toEqual(expectedState(LIST_V2));

    const other = await invoke(world, s3ObjectCreatedEvent(BUCKET, 'someone-else.txt', MOTO_REGION));
    expect(other.response?.summary).toBe(`Ignored: no allowlist reads s3://${BUCKET}/someone-else.txt; nothing to do.`);
    // Only the run's read of its RuntimeConfig, before the event can be matched against the allowlists' sources.
    expect(other.calls.map((c) => c.action)).toEqual(['GetParametersByPath']);
  });

  it('plans a manual invoke without dryRun, writing nothing, and reports drift it will never touch', async () => {
    await addIngressRule(server.clients, world.groupIds[1] as string, '81.2.69.160/27');
    const plan = await invoke(world, {});
    expect(plan.error).toBeUndefined();
    expect(plan.report?.dryRun).toBe(true);
    expect(plan.response?.summary).toBe('Plan: 18 to add, 0 to remove, 0 unchanged.');
    expect(plan.calls.length).toBeGreaterThan(0);
    expect(plan.calls.filter((c) => c.write)).toEqual([]);
    const groups = plan.report?.allowlists[0]?.targets.find((t) => t.kind === 'security-groups');
    expect(JSON.stringify(groups?.drift)).toContain('81.2.69.160/27');

    const apply = await invoke(world, { dryRun: false });
    expectWritesRecorded(apply.report, apply.calls);
    expect(await targetState(server.clients, world)).toEqual(expectedState(LIST_V1, ['81.2.69.160/27']));
  });

  it('throws on a change over the guardrail with zero target writes, and applies it when forced', async () => {
    const guardrails = { maxRemovedShare: 0.3, removalsAlwaysAllowed: 0 };
    await invoke(world, { trigger: 'schedule' }, guardrails);
    const shrunk = ['3.5.140.0/22', '2a05:d018::/36', '2a05:d050:8000::/40'];
    await putObject(server.clients, BUCKET, KEY, listText(shrunk));

    const refused = await invoke(world, { trigger: 'schedule' }, guardrails);
    expect(refused.error?.name).toBe('RunFailedError');
    expect(refused.error?.message).toMatch(/^Refused: /);
    expect(refused.report?.status).toBe('refused');
    expect(targetWrites(refused.calls)).toEqual([]);
    expectWritesRecorded(refused.report, refused.calls, [refusedEvent('partners')]);
    expect(await targetState(server.clients, world)).toEqual(expectedState(LIST_V1));

    const forced = await invoke(world, { dryRun: false, force: { reason: 'partner offboarding' } }, guardrails);
    expect(forced.error).toBeUndefined();
    expect(forced.response?.summary).toBe('Applied: 0 added, 9 removed, 9 unchanged. Forced: partner offboarding.');
    const [event] = expectWritesRecorded(forced.report, forced.calls);
    expect(event?.forced).toEqual({ reason: 'partner offboarding' });
    expect(await targetState(server.clients, world)).toEqual(expectedState(shrunk));
  });

  it('rejects a mistyped payload with no AWS call but the read of its RuntimeConfig', async () => {
    const rejected = await invoke(world, { dryrun: false });
    expect(rejected.error?.name).toBe('ConfigError');
    expect(rejected.error?.message).toContain('"dryrun"');
    // The payload is checked against the config (its allowlist names), so the config is read first; nothing else.
    expect(rejected.calls.map((c) => `${c.service} ${c.action}`)).toEqual(['ssm GetParametersByPath']);
  });

  it('refuses a hostile list in S3 with no call to a target; its one write is the Refused change event', async () => {
    await putObject(server.clients, BUCKET, KEY, '52.94.76.0/22\n52.94.76.5/22\n');
    const refused = await invoke(world, s3ObjectCreatedEvent(BUCKET, KEY, MOTO_REGION));
    expect(refused.error?.name).toBe('RunFailedError');
    expect(refused.report?.allowlists[0]?.error?.name).toBe('ParseError');
    // The config read, the source read, then the change event (a notification on the default bus, not a write to any
    // filter).
    expect(refused.calls.map((c) => `${c.service} ${c.action}`)).toEqual([
      'ssm GetParametersByPath',
      `s3 GET /${BUCKET}/${KEY}`,
      'events PutEvents',
    ]);
    const [event] = expectNoTargetCalls(refused.calls, [refusedEvent('partners')], refused.report);
    expect(event).toMatchObject({ trigger: 's3', error: { name: 'ParseError' } });
  });

  it('applies a signed list when its signature lands, keeps its serial in SSM, and refuses a replayed older one', async () => {
    const source = {
      kind: 's3',
      bucket: BUCKET,
      key: 'signed.json',
      format: { type: 'allowlist' },
      integrity: { ed25519PublicKey: keys.publicKeyPem, maxAgeSeconds: 7 * 24 * 3600 },
    };
    const config = worldConfig(world);
    (config.allowlists[0] as { sources: unknown[] }).sources = [source];
    const publish = async (serial: number) => {
      // The handler's clock is the real one: the document is fresh now.
      const { body, sig } = signedDoc({ serial, generatedAt: Date.now() - 60_000, entries: LIST_V1 });
      await putObject(server.clients, BUCKET, 'signed.json', body.toString('utf8'));
      await putObject(server.clients, BUCKET, 'signed.json.sig', sig);
    };
    const run = async () => {
      const handler = await bundle.load(config, server.env, server.clients.ssm);
      await server.clearCalls();
      const outcome = await handler(
        s3ObjectCreatedEvent(BUCKET, 'signed.json.sig', MOTO_REGION),
        lambdaContext('signed'),
      ).then(
        (response) => ({ response: response as InvokeResponse, error: undefined }),
        (error: Error & { report?: RunReport }) => ({ response: undefined, error }),
      );
      const calls = await server.calls();
      checkedCalls += calls.length;
      return { ...outcome, report: outcome.response?.report ?? outcome.error?.report, calls };
    };

    await publish(8);
    const applied = await run();
    expect(applied.error).toBeUndefined();
    expectWritesRecorded(applied.report, applied.calls);
    expect(await targetState(server.clients, world)).toEqual(expectedState(LIST_V1));
    const stored = await server.clients.ssm.send(new GetParameterCommand({ Name: serialParameterName('partners') }));
    expect(stored.Parameter?.Value).toBe('8');

    await publish(7);
    const replayed = await run();
    expect(replayed.error?.name).toBe('RunFailedError');
    expect(replayed.report?.allowlists[0]?.error?.name).toBe('SourceError');
    expect(targetWrites(replayed.calls)).toEqual([]);
    const [event] = expectNoTargetCalls(replayed.calls, [refusedEvent('partners')], replayed.report);
    expect(event).toMatchObject({ error: { name: 'SourceError' } });
  });

  it('plans from a deployed stack with plan --stack, reading the parameters the function reads', async () => {
    // The parameters as the stack writes them: one per allowlist, and the list of names.
    const config = worldConfig(world);
    await writeConfigParameters(server.clients.ssm, config.allowlists as { name: string }[]);
    await server.clients.ssm.send(
      new PutParameterCommand({
        Name: configAllowlistsParameterName('AllowlistSync-moto'),
        Value: 'partners',
        Type: 'String',
        Overwrite: true,
      }),
    );
    Object.assign(process.env, server.env);
    await server.clearCalls();
    const io = memoryIo({ ...server.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
    const code = await planCommand.run(['--stack', 'AllowlistSync-moto', '--json'], io);
    expect(io.err()).toBe('');
    expect(code).toBe(2);
    const report = JSON.parse(io.out()) as RunReport;
    expect(report.dryRun).toBe(true);
    expect(report.allowlists.map((a) => a.name)).toEqual(['partners']);
    // What the function's first run applies (18 added), planned from the same parameters.
    expect(report.summary).toMatchObject({ add: 18, remove: 0 });
    const calls = await server.calls();
    checkedCalls += calls.length;
    expect(
      calls
        .filter((c) => c.service === 'ssm')
        .map((c) => c.action)
        .slice(0, 2),
    ).toEqual(['GetParameter', 'GetParametersByPath']);
    expect(targetWrites(calls)).toEqual([]);

    const missing = memoryIo({ ...server.env });
    expect(await planCommand.run(['--stack', 'AllowlistSync-nope', '--json'], missing)).toBe(1);
    expect(missing.out()).toContain(
      'no allowlist-sync stack \\"AllowlistSync-nope\\" is deployed here: check the stack name',
    );
  });
});
