/**
 * What the hostile-list cases against moto share: the targets holding a previously applied list, the check that it
 * is kept, the RuntimeConfig of a case, and which cases a separate process can be given through its config alone.
 */
import { writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { FakeS3 } from '../fakes/fake-s3';
import { FakeSsm } from '../fakes/fake-ssm';
import { NOW } from '../sources/helpers';
import { type Arranged, HOSTILE_CASES, type HostileCase } from '../sources/hostile-cases';
import type { MotoClients } from '../support/moto';
import {
  addIngressRule,
  createGroupPool,
  createIpSet,
  createPrefixList,
  type IpSetRef,
  ingressRules,
  ipSetAddresses,
  prefixListEntries,
} from '../support/moto-resources';

/** The list the last good run applied. */
export const APPLIED = '52.94.0.0/16';

/** A security group, a WAF IP set and a prefix list holding {@link APPLIED}, and the targets naming them. */
export interface HostileWorld {
  readonly groupId: string;
  readonly set: IpSetRef;
  readonly prefixList: string;
  readonly targets: unknown[];
}

/** Creates the world in moto, as the last good run of the allowlist `partners` left it. */
export async function createHostileWorld(clients: MotoClients): Promise<HostileWorld> {
  const [groupId] = (await createGroupPool(clients, 1)) as [string];
  await addIngressRule(clients, groupId, APPLIED, { owner: 'partners' });
  const set = await createIpSet(clients, 'partners-v4', 'IPV4', [APPLIED]);
  const prefixList = await createPrefixList(clients, 'partners-v4', 4, 10, [APPLIED]);
  const targets = [
    { kind: 'security-groups', groupIds: [groupId], ports: [{ protocol: 'tcp', from: 443, to: 443 }] },
    { kind: 'prefix-lists', ipv4: prefixList },
    { kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4: [set] },
  ];
  return { groupId, set, prefixList, targets };
}

/** Asserts that every target still holds exactly the previously applied list. */
export async function expectAppliedListKept(clients: MotoClients, world: HostileWorld): Promise<void> {
  expect(await ingressRules(clients, world.groupId)).toEqual([{ cidr: APPLIED, port: 443, owner: 'partners' }]);
  expect(await ipSetAddresses(clients, world.set)).toEqual([APPLIED]);
  expect(await prefixListEntries(clients, world.prefixList)).toEqual([APPLIED]);
}

/** One allowlist of a case's config: its sources and policy, and the targets (the world's). */
export function hostileAllowlist(name: string, arranged: Arranged, targets: readonly unknown[]) {
  return { name, sources: arranged.sources, policy: arranged.policy ?? {}, targets, guardrails: {} };
}

/** The file name of the 1,000,001-line list. */
export const MILLION_LINES_NAME = 'million.txt';

/** Writes 1,000,001 distinct public hosts from 1.0.0.0 up (one more than the default maxEntries) to `file`. */
export function writeMillionLines(file: string): void {
  const lines: string[] = [];
  for (let i = 0; i <= 1_000_000; i++) lines.push(`1.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/**
 * The cases whose sources are of `kinds` and need no injected limits or last serial: the ones a separate process or a
 * cold container can be given through its config alone. Decided at collection time with a stand-in context, where
 * `arrange` only records routes and objects.
 */
export function casesOfKinds(kinds: readonly string[]): (readonly [string, HostileCase, number])[] {
  return HOSTILE_CASES.flatMap((c, i) => {
    const standIn = { origin: 'https://127.0.0.1:9', ca: '', routes: new Map(), requests: [], close: async () => {} };
    const arranged = c.arrange({
      server: standIn,
      s3: new FakeS3(() => NOW).createBucket('lists', '111122223333'),
      ssm: new FakeSsm(() => NOW),
      path: `/stand-in/${i}`,
      millionLines: MILLION_LINES_NAME,
      closedPort: 9,
    });
    const configOnly =
      arranged.limits === undefined &&
      arranged.lastSerial === undefined &&
      arranged.sources.every((s) => kinds.includes((s as { kind: string }).kind));
    return configOnly ? [[c.name, c, i] as const] : [];
  });
}
