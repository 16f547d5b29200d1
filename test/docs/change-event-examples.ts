/**
 * The change events that docs/expiry-and-events.md shows, produced by running the handler, the real engine, the S3
 * loader and the drivers over the stateful fakes with a fixed clock and request id: one of each detail type.
 */
import { parseRuntimeConfig } from '../../lambda/config';
import { type EngineDeps, runEngine } from '../../lambda/engine';
import { createHandler } from '../../lambda/function/invocation';
import { createLogger, createMetrics } from '../../lambda/function/observability';
import { createDriver } from '../../lambda/targets';
import { FakeEc2, FakeEventBridge, FakeWafv2 } from '../fakes';
import { FakeS3 } from '../fakes/fake-s3';

/** The clock of the examples. */
export const EXAMPLE_NOW = Date.parse('2026-12-03T08:00:00Z');

/** One event as a rule sees its main fields. */
export interface ExampleEvent {
  readonly source: string;
  readonly 'detail-type': string;
  readonly time: string;
  readonly detail: Record<string, unknown>;
}

/** Runs: a guardrail refusal, the forced apply of the same change, then a run whose prefix list write fails. */
export async function runExampleEvents(): Promise<{
  applied: ExampleEvent;
  refused: ExampleEvent;
  failed: ExampleEvent;
}> {
  const ec2 = new FakeEc2();
  const waf = new FakeWafv2({ enforceWriteRate: false });
  const s3 = new FakeS3(() => EXAMPLE_NOW).createBucket('lists-bucket');
  const bus = new FakeEventBridge({ grantedBuses: ['default'] });
  const old = ['11.22.33.0/24', '45.60.1.0/24', '52.94.5.0/24', '34.1.0.0/16', '81.2.69.160/27'];
  const listId = ec2.createPrefixList({ family: 4, maxEntries: 20, entries: old });
  const setId = waf.createIpSet({ scope: 'REGIONAL', name: 'partners-v4', family: 'IPV4', addresses: old }).Id;
  s3.putObject('lists-bucket', 'partners.txt', '11.22.33.0/24\n81.2.69.160/27\n99.1.2.0/24\n');
  const config = parseRuntimeConfig({
    version: 1,
    allowlists: [
      {
        name: 'partners',
        sources: [{ kind: 's3', bucket: 'lists-bucket', key: 'partners.txt' }],
        targets: [
          { kind: 'prefix-lists', ipv4: listId },
          { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [{ name: 'partners-v4', id: setId }] },
        ],
        guardrails: { maxRemovedShare: 0.3, removalsAlwaysAllowed: 2 },
      },
    ],
  });
  const deps: EngineDeps = {
    ec2: ec2.client,
    wafv2: () => waf.client,
    eventBridge: bus.client,
    now: () => EXAMPLE_NOW,
    sleep: async () => {},
    sources: { s3: s3.client, now: () => EXAMPLE_NOW },
    drivers: (target, allowlist) => createDriver(target, allowlist, { ec2: ec2.client, wafv2: () => waf.client }),
  };
  const handler = createHandler({
    config,
    engine: runEngine,
    engineDeps: deps,
    logger: createLogger(),
    metrics: createMetrics(),
    now: () => EXAMPLE_NOW,
  });
  const context = (id: string) => ({ awsRequestId: id });
  await handler({ trigger: 'schedule' }, context('6f1c2a9e-0b7d-4d2e-9a51-3c8e2b7f4a10')).catch(() => undefined);
  await handler(
    { dryRun: false, force: { reason: 'partners 45.60.1.0/24 and 52.94.5.0/24 offboarded, ticket OPS-1234' } },
    context('0d9b6c4e-7f21-4a3b-8c55-2e6f1a9d7b32'),
  );
  s3.putObject('lists-bucket', 'partners.txt', '11.22.33.0/24\n81.2.69.160/27\n99.1.2.0/24\n99.1.3.0/24\n');
  ec2.inject({ command: 'ModifyManagedPrefixList', fault: 'server', times: Number.POSITIVE_INFINITY });
  await handler({ trigger: 'schedule' }, context('a3e5f7c9-1b2d-4e6f-8a0b-c2d4e6f8a0b1')).catch(() => undefined);
  const shape = (detailType: string): ExampleEvent => {
    const e = bus.eventsOf(detailType)[0];
    if (!e) throw new Error(`no "${detailType}" event was put`);
    return { source: e.source, 'detail-type': e.detailType, time: e.time?.toISOString() ?? '', detail: e.detail };
  };
  return {
    refused: shape('Allowlist Refused'),
    applied: shape('Allowlist Applied'),
    failed: shape('Allowlist Failed'),
  };
}
