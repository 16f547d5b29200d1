/**
 * The world every end-to-end case against moto starts from: a pool of security groups, a WAF IP set per family and a
 * managed prefix list per family, and the allowlist in an S3 object; plus the RuntimeConfig that syncs the list to all
 * of them, and the checks that read every target back from moto.
 */
import { expect } from 'vitest';
import type { RunReport } from '../../lambda/core/model';
import { isPutEvents, type MotoClients, type RecordedCall, recordedEvents } from '../support/moto';
import {
  createBucket,
  createGroupPool,
  createIpSet,
  createPrefixList,
  type IpSetRef,
  ingressRules,
  ipSetAddresses,
  prefixListEntries,
} from '../support/moto-resources';

/** The bucket and key the allowlist is read from. */
export const BUCKET = 'acme-allowlists';
/** The allowlist object. */
export const KEY = 'partners.txt';

/** The first list: 4 IPv4 and 2 IPv6 prefixes (public ranges: the default policy refuses private ones). */
export const LIST_V1 = [
  '52.94.76.0/22',
  '52.95.0.0/24',
  '54.239.0.0/24',
  '3.5.140.0/22',
  '2a05:d018::/36',
  '2a05:d050:8000::/40',
];

/**
 * The changed list: 54.239.0.0/24 removed, 18.200.0.0/24 and an IPv6 /36 added, and 52.94.76.0/22 re-split (its last
 * /24 dropped, so it becomes a /23 and a /24: the make-before-break case of docs/design.md P5).
 */
export const LIST_V2 = [
  '52.94.76.0/23',
  '52.94.78.0/24',
  '52.95.0.0/24',
  '3.5.140.0/22',
  '18.200.0.0/24',
  '2a05:d018::/36',
  '2a05:d050:8000::/40',
  '2a05:d07c::/36',
];

/** The resources of one case. */
export interface World {
  readonly groupIds: string[];
  readonly ipv4Set: IpSetRef;
  readonly ipv6Set: IpSetRef;
  readonly prefixList4: string;
  readonly prefixList6: string;
}

/** Creates the world in moto (after a reset) with the list `entries` in S3. */
export async function createWorld(clients: MotoClients, entries: readonly string[] = LIST_V1): Promise<World> {
  const groupIds = await createGroupPool(clients, 2);
  const ipv4Set = await createIpSet(clients, 'partners-v4', 'IPV4');
  const ipv6Set = await createIpSet(clients, 'partners-v6', 'IPV6');
  const prefixList4 = await createPrefixList(clients, 'partners-v4', 4, 20);
  const prefixList6 = await createPrefixList(clients, 'partners-v6', 6, 20);
  await createBucket(clients, BUCKET, { [KEY]: listText(entries) });
  return { groupIds, ipv4Set, ipv6Set, prefixList4, prefixList6 };
}

/** A list as the text format reads it. */
export function listText(entries: readonly string[]): string {
  return `# partners\n${entries.join('\n')}\n`;
}

/**
 * The RuntimeConfig syncing the S3 list to every target of the world. Four IPv4 and three IPv6 rules per group: room
 * for the old and the new list at once during a change (with less, the run is rightly `degraded`, docs/design.md P5),
 * and far under moto's 60-rule quota, which moto counts over both families together (see docs/verification.md).
 */
export function worldConfig(world: World, guardrails: Record<string, unknown> = {}) {
  return {
    version: 1,
    allowlists: [
      {
        name: 'partners',
        sources: [{ kind: 's3', bucket: BUCKET, key: KEY }],
        guardrails,
        targets: [
          {
            kind: 'security-groups',
            groupIds: world.groupIds,
            ports: [{ protocol: 'tcp', from: 443, to: 443 }],
            rulesPerGroup: { ipv4: 4, ipv6: 3 },
          },
          { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [world.ipv4Set], ipv6: [world.ipv6Set] },
          { kind: 'prefix-lists', ipv4: world.prefixList4, ipv6: world.prefixList6 },
        ],
      },
    ],
  };
}

/** Every prefix each target holds, read back from moto. */
export async function targetState(clients: MotoClients, world: World) {
  const rules = (await Promise.all(world.groupIds.map((id) => ingressRules(clients, id)))).flat();
  return {
    groups: rules.map((r) => `${r.cidr} ${r.port} ${r.owner ?? 'unowned'}`).sort(),
    waf: [...(await ipSetAddresses(clients, world.ipv4Set)), ...(await ipSetAddresses(clients, world.ipv6Set))],
    prefixLists: [
      ...(await prefixListEntries(clients, world.prefixList4)),
      ...(await prefixListEntries(clients, world.prefixList6)),
    ],
  };
}

/** What every target holds when it equals `entries` (groups owned by `partners` on port 443). */
export function expectedState(entries: readonly string[], unowned: readonly string[] = []) {
  const sorted = [...entries].sort();
  return {
    groups: [...entries.map((e) => `${e} 443 partners`), ...unowned.map((e) => `${e} 443 unowned`)].sort(),
    waf: [...sorted.filter((e) => !e.includes(':')), ...sorted.filter((e) => e.includes(':'))],
    prefixLists: [...sorted.filter((e) => !e.includes(':')), ...sorted.filter((e) => e.includes(':'))],
  };
}

/** The target write calls a report counts. */
export function reportedWrites(report: RunReport): number {
  return report.allowlists.flatMap((a) => a.targets).reduce((sum, t) => sum + t.writeCalls, 0);
}

/** The write calls moto recorded on the targets' services (EC2 and WAF; the run lock's SSM writes are not targets). */
export function targetWrites(calls: readonly RecordedCall[]): RecordedCall[] {
  return calls.filter((c) => c.write && (c.service === 'ec2' || c.service === 'wafv2'));
}

/** The change event a run is expected to put for an allowlist (issue 13; docs/expiry-and-events.md). */
export interface ExpectedEvent {
  readonly allowlist: string;
  readonly detailType: 'Allowlist Applied' | 'Allowlist Refused' | 'Allowlist Failed';
}

/** The allowlist's status an event of each detail type carries. */
const STATUS_OF: Record<ExpectedEvent['detailType'], readonly string[]> = {
  'Allowlist Applied': ['changed', 'degraded'],
  'Allowlist Refused': ['refused'],
  'Allowlist Failed': ['failed'],
};

/**
 * Asserts, by content, that the run's `events:PutEvents` calls carried exactly the `expected` change events, in
 * order: each from source `allowlist-sync` on the default bus, naming its allowlist, with the status its detail type
 * means, in the fewest calls PutEvents' 10 entries a call allow; and, given the run's report, that the report records
 * each one as delivered (and no event for any other allowlist). Returns the events' details.
 */
export function expectChangeEvents(
  calls: readonly RecordedCall[],
  expected: readonly ExpectedEvent[],
  report?: RunReport,
): Record<string, unknown>[] {
  const events = recordedEvents(calls);
  expect(events.map((e) => `${e.source} ${e.eventBusName} ${e.detailType}: ${e.detail.allowlist}`)).toEqual(
    expected.map((e) => `allowlist-sync default ${e.detailType}: ${e.allowlist}`),
  );
  expect(calls.filter(isPutEvents).length).toBe(Math.ceil(expected.length / 10));
  events.forEach((e, i) => {
    expect(STATUS_OF[expected[i]?.detailType as ExpectedEvent['detailType']]).toContain(e.detail.status);
    expect(e.detail.version).toBe(1);
    if (report) expect(e.detail.runId).toBe(report.runId);
  });
  if (report) {
    const byName = new Map(expected.map((e) => [e.allowlist, e.detailType]));
    for (const a of report.allowlists) {
      const detailType = byName.get(a.name);
      expect(a.event, a.name).toEqual(detailType ? { detailType, delivered: true } : undefined);
    }
  }
  return events.map((e) => e.detail);
}

/**
 * Asserts an applying run's writes against moto's recorder: the report's write calls equal the EC2 and WAF writes
 * moto recorded; every other write is the run lock's (SSM) or one of the `expected` change events; and an Applied
 * event's per-target write calls add up to the same recorded writes. Returns the events' details.
 */
export function expectApplyWrites(
  report: RunReport | undefined,
  calls: readonly RecordedCall[],
  expected: readonly ExpectedEvent[],
): Record<string, unknown>[] {
  expect(report).toBeDefined();
  const run = report as RunReport;
  expect(targetWrites(calls).length).toBe(reportedWrites(run));
  const others = calls.filter((c) => c.write && !['ec2', 'wafv2', 'ssm'].includes(c.service) && !isPutEvents(c));
  expect(others.map((c) => `${c.service} ${c.action}`)).toEqual([]);
  const details = expectChangeEvents(calls, expected, run);
  const eventWrites = details
    .flatMap((d) => d.targets as { writeCalls: number }[])
    .reduce((sum, t) => sum + t.writeCalls, 0);
  expect(eventWrites).toBe(targetWrites(calls).length);
  return details;
}

/**
 * Asserts that a refused run made no call at all to the targets' services and wrote nothing but its change events
 * (`events:PutEvents`: a notification on the account's default bus, not a write to any filter), which must be exactly
 * `expected`; every target in them wrote nothing. Returns the events' details.
 */
export function expectNoTargetCalls(
  calls: readonly RecordedCall[],
  expected: readonly ExpectedEvent[],
  report?: RunReport,
): Record<string, unknown>[] {
  expect(
    calls
      .filter((c) => c.service === 'ec2' || c.service === 'wafv2' || (c.write && !isPutEvents(c)))
      .map((c) => `${c.service} ${c.action}`),
  ).toEqual([]);
  const details = expectChangeEvents(calls, expected, report);
  for (const d of details) {
    for (const t of d.targets as { writeCalls: number; added: number; removed: number }[]) {
      expect([t.writeCalls, t.added, t.removed]).toEqual([0, 0, 0]);
    }
  }
  return details;
}

/** The change event of an allowlist the run refused. */
export const refusedEvent = (allowlist: string): ExpectedEvent => ({ allowlist, detailType: 'Allowlist Refused' });
/** The change event of an allowlist the run changed. */
export const appliedEvent = (allowlist: string): ExpectedEvent => ({ allowlist, detailType: 'Allowlist Applied' });
