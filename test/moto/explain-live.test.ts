/**
 * `allowlist-sync explain ADDRESS... --live` (issue 13; docs/explain.md), the built CLI as a separate process against
 * moto: a pool of security groups holding the rules a real `apply` wrote plus one rule added by hand (drift), WAF IP
 * sets in both families and a prefix list per family; then the list in S3 changed after the apply, so the next apply
 * has something to add and remove. For an address the list admits and the targets hold, one only the drift rule
 * admits, one the next apply adds, one it removes and one nothing admits, the exit code and the JSON are checked by
 * content (which rule, IP set or prefix-list entry admits it, ours or drift, what the next apply does), and moto's
 * recorder must show reads only: not one write call while explain runs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressReport, LiveAnswer } from '../../bin/commands/explain-render';
import { ensureBuilt } from '../cli/built-cli';
import { MOTO_CASE_TIMEOUT_MS, type MotoServer, moto, type RecordedCall, startMoto } from '../support/moto';
import { addIngressRule, putObject } from '../support/moto-resources';
import { type CliRun, runCli, writeConfigFile } from './cli-run';
import {
  appliedEvent,
  BUCKET,
  createWorld,
  expectApplyWrites,
  expectedState,
  KEY,
  LIST_V1,
  LIST_V2,
  listText,
  targetState,
  type World,
  worldConfig,
} from './world';

const dir = mkdtempSync(path.join(tmpdir(), 'allowlist-sync-moto-explain-'));
/** The rule someone added by hand to the first group of the pool: not in the list, not tagged as ours. */
const DRIFT = '81.2.69.160/27';
/**
 * The reads a plan's observe makes (and the S3 source's read): all an explain --live may call. DescribeSecurityGroups
 * is the security-group driver's check that every group of the pool exists (docs/permissions.md, docs/targets.md).
 */
const READS = [
  `s3 GET /${BUCKET}/${KEY}`,
  'ec2 DescribeSecurityGroups',
  'ec2 DescribeSecurityGroupRules',
  'ec2 DescribeManagedPrefixLists',
  'ec2 GetManagedPrefixListEntries',
  'wafv2 GetIPSet',
];

let server: MotoServer;
let world: World;
let config: string;
/** The setup apply's recorded calls and, below, every explain run's, for the summary printed at the end. */
let applyCalls: readonly RecordedCall[] = [];
/** Recorded calls of every explain run. */
const explainCalls: { readonly name: string; readonly calls: readonly RecordedCall[] }[] = [];

interface ExplainOutput {
  readonly admitted: boolean;
  readonly addresses: AddressReport[];
}

beforeAll(async () => {
  if (!moto.available) return;
  ensureBuilt();
  server = await startMoto();
  world = await createWorld(server.clients, LIST_V1);
  config = writeConfigFile(dir, worldConfig(world));
  // The rules allowlist-sync owns are written by a real apply through the built CLI.
  const apply = await runCli(server, ['apply', '--config', config, '--json']);
  expect(apply.status, apply.stderr).toBe(0);
  expectApplyWrites(apply.report, apply.calls, [appliedEvent('partners')]);
  applyCalls = apply.calls;
  // Then drift: a rule added directly, untagged.
  await addIngressRule(server.clients, world.groupIds[0] as string, DRIFT);
  expect(await targetState(server.clients, world)).toEqual(expectedState(LIST_V1, [DRIFT]));
  // Then the list changes (54.239.0.0/24 removed, 18.200.0.0/24 added, 52.94.76.0/22 re-split...): not applied.
  await putObject(server.clients, BUCKET, KEY, listText(LIST_V2));
}, MOTO_CASE_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
  if (moto.available) {
    const lines = explainCalls.map(({ name, calls }) => `  ${name}: ${calls.length} (${summary(calls)})`);
    const writes = applyCalls.filter((c) => c.write).length;
    console.log(
      `moto tier (explain --live): the setup apply made ${applyCalls.length} calls (${writes} writes); ` +
        `recorded calls per explain run, all reads:\n${lines.join('\n')}`,
    );
  }
});

/** Runs the built `explain ADDRESS --live` against moto; asserts moto recorded reads only, and what they were. */
async function explain(name: string, address: string, json = true): Promise<CliRun> {
  // NODE_NO_WARNINGS silences the one-line Node.js 20 notice, so stderr must be empty.
  const args = ['explain', address, '--live', '--config', config, ...(json ? ['--json'] : [])];
  const run = await runCli(server, args, { NODE_NO_WARNINGS: '1' });
  explainCalls.push({ name, calls: run.calls });
  expect(run.stderr, run.stderr).toBe('');
  expect(run.calls.filter((c) => c.write).map((c) => `${c.service} ${c.action}`)).toEqual([]);
  // Every call is one of a plan's reads; each target and the source were read.
  const actions = new Set(run.calls.map((c) => `${c.service} ${c.action}`));
  expect([...actions].sort()).toEqual([...READS].sort());
  // Both IP sets (IPv4 and IPv6) were read.
  expect(run.calls.filter((c) => c.action === 'GetIPSet').length).toBeGreaterThanOrEqual(2);
  return run;
}

function parse(run: CliRun): ExplainOutput {
  return JSON.parse(run.stdout) as ExplainOutput;
}

/** The one allowlist's answer about the one address asked. */
function partners(out: ExplainOutput) {
  expect(out.addresses).toHaveLength(1);
  const answer = out.addresses[0]?.allowlists[0];
  expect(answer?.name).toBe('partners');
  return answer as NonNullable<typeof answer>;
}

/** One target's live answer, found by kind. */
function live(answers: readonly LiveAnswer[] | undefined, kind: string): LiveAnswer {
  const found = answers?.filter((t) => t.kind === kind) ?? [];
  expect(found, kind).toHaveLength(1);
  return found[0] as LiveAnswer;
}

/** A live answer's matches as `resource cidr ours|drift`, sorted. */
function matches(t: LiveAnswer): string[] {
  return t.matches.map((m) => `${m.resource} ${m.cidr} ${m.ours ? 'ours' : 'drift'}`).sort();
}

/** Matches in the pool's groups, with the group id replaced by `sg` (the rule may sit in either group of the pool). */
function groupMatches(t: LiveAnswer): string[] {
  for (const m of t.matches) expect(world.groupIds).toContain(m.resource);
  for (const m of t.matches) expect(m.ruleId).toMatch(/^sgr-/);
  for (const m of t.matches) expect(m.ports).toBe('tcp 443-443');
  return t.matches.map((m) => `sg ${m.cidr} ${m.ours ? 'ours' : 'drift'}`).sort();
}

function summary(calls: readonly RecordedCall[]): string {
  const counts = new Map<string, number>();
  for (const c of calls) counts.set(`${c.service} ${c.action}`, (counts.get(`${c.service} ${c.action}`) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ×${n}`).join(', ');
}

describe.skipIf(!moto.available)(
  'explain --live, the built CLI against moto',
  { timeout: MOTO_CASE_TIMEOUT_MS },
  () => {
    it('an address the list admits and every target holds as ours: exit 0, no change next apply', async () => {
      const run = await explain('ours (IPv4)', '52.95.0.7');
      expect(run.status, run.stdout).toBe(0);
      const out = parse(run);
      expect(out.admitted).toBe(true);
      const answer = partners(out);
      expect(answer.admitted).toBe('yes');
      expect(answer.entries.map((e) => [e.prefix, e.where, e.covers])).toEqual([
        ['52.95.0.0/24', expect.stringMatching(new RegExp(`${BUCKET}/${KEY}:4$`)), 'whole'],
      ]);
      expect(answer.held).toEqual(['52.95.0.0/24']);
      expect(answer.live?.map((t) => t.kind)).toEqual(['security-groups', 'waf-ip-sets', 'prefix-lists']);
      for (const t of answer.live ?? []) {
        expect(t.admits, t.kind).toBe('yes');
        expect(t.nextApply, t.kind).toEqual({ add: [], remove: [] });
      }
      expect(groupMatches(live(answer.live, 'security-groups'))).toEqual(['sg 52.95.0.0/24 ours']);
      expect(matches(live(answer.live, 'waf-ip-sets'))).toEqual([
        `${world.ipv4Set.name} (${world.ipv4Set.id}) 52.95.0.0/24 ours`,
      ]);
      expect(matches(live(answer.live, 'prefix-lists'))).toEqual([`${world.prefixList4} 52.95.0.0/24 ours`]);
    });

    it('an IPv6 address held as ours: the IPv6 IP set and prefix list admit it', async () => {
      const run = await explain('ours (IPv6)', '2a05:d050:8000::1');
      expect(run.status, run.stdout).toBe(0);
      const answer = partners(parse(run));
      expect(answer.admitted).toBe('yes');
      expect(answer.held).toEqual(['2a05:d050:8000::/40']);
      expect(groupMatches(live(answer.live, 'security-groups'))).toEqual(['sg 2a05:d050:8000::/40 ours']);
      expect(matches(live(answer.live, 'waf-ip-sets'))).toEqual([
        `${world.ipv6Set.name} (${world.ipv6Set.id}) 2a05:d050:8000::/40 ours`,
      ]);
      expect(matches(live(answer.live, 'prefix-lists'))).toEqual([`${world.prefixList6} 2a05:d050:8000::/40 ours`]);
      for (const t of answer.live ?? [])
        expect([t.kind, t.admits, t.nextApply]).toEqual([t.kind, 'yes', { add: [], remove: [] }]);
    });

    it('an address only the hand-added rule admits: exit 3, the group admits it through drift, no change next apply', async () => {
      const run = await explain('drift only', '81.2.69.170');
      expect(run.status, run.stdout).toBe(3);
      const out = parse(run);
      expect(out.admitted).toBe(false);
      const answer = partners(out);
      expect(answer.admitted).toBe('no');
      expect(answer.entries).toEqual([]);
      const groups = live(answer.live, 'security-groups');
      expect(groups.admits).toBe('yes');
      expect(groupMatches(groups)).toEqual([`sg ${DRIFT} drift`]);
      expect(groups.matches[0]?.resource).toBe(world.groupIds[0]);
      // A sync never changes someone else's rule (docs/design.md P12).
      expect(groups.nextApply).toEqual({ add: [], remove: [] });
      for (const kind of ['waf-ip-sets', 'prefix-lists']) {
        expect(live(answer.live, kind)).toMatchObject({
          admits: 'no',
          matches: [],
          nextApply: { add: [], remove: [] },
        });
      }
    });

    it('says the same in text: the drift rule named with its group and rule id', async () => {
      const run = await explain('drift only (text)', '81.2.69.170', false);
      expect(run.status, run.stdout).toBe(3);
      const group = world.groupIds[0] as string;
      expect(run.stdout).toMatch(
        new RegExp(
          [
            '81\\.2\\.69\\.170/32: NOT admitted',
            '  partners: not admitted',
            '    nearest entries:',
            '(?:      .*\\n)+? {4}live security-groups:[^\\n]*: admits it now',
            `      ${group} rule sgr-\\w+ tcp 443-443 81\\.2\\.69\\.160/27 \\(drift: not written by allowlist-sync\\)`,
            '      next apply: no change for this address',
            '    live waf-ip-sets:REGIONAL:[^\\n]*: does not admit it now',
            '      next apply: no change for this address',
          ].join('\\n'),
        ),
      );
      expect(run.stdout).toContain('Not admitted by any selected allowlist: 81.2.69.170/32.');
    });

    it('an address the changed list adds: exit 0, no target admits it yet, and the next apply adds it everywhere', async () => {
      const run = await explain('next apply adds', '18.200.0.9');
      expect(run.status, run.stdout).toBe(0);
      const answer = partners(parse(run));
      expect(answer.admitted).toBe('yes');
      expect(answer.entries.map((e) => [e.prefix, e.covers])).toEqual([['18.200.0.0/24', 'whole']]);
      expect(answer.live?.map((t) => [t.kind, t.admits, t.matches, t.nextApply])).toEqual([
        ['security-groups', 'no', [], { add: ['18.200.0.0/24'], remove: [] }],
        ['waf-ip-sets', 'no', [], { add: ['18.200.0.0/24'], remove: [] }],
        ['prefix-lists', 'no', [], { add: ['18.200.0.0/24'], remove: [] }],
      ]);
    });

    it('an address the changed list dropped: exit 3, every target still admits it as ours, the next apply removes it', async () => {
      const run = await explain('next apply removes', '54.239.0.5');
      expect(run.status, run.stdout).toBe(3);
      const answer = partners(parse(run));
      expect(answer.admitted).toBe('no');
      expect(groupMatches(live(answer.live, 'security-groups'))).toEqual(['sg 54.239.0.0/24 ours']);
      for (const t of answer.live ?? []) {
        expect([t.kind, t.admits, t.nextApply]).toEqual([t.kind, 'yes', { add: [], remove: ['54.239.0.0/24'] }]);
        expect(
          t.matches.every((m) => m.ours && m.cidr === '54.239.0.0/24'),
          t.kind,
        ).toBe(true);
      }
    });

    it('a re-split prefix: held in the old /22 now, the next apply adds its /24 and removes the /22', async () => {
      const run = await explain('re-split', '52.94.78.1');
      expect(run.status, run.stdout).toBe(0);
      const answer = partners(parse(run));
      expect(answer.held).toEqual(['52.94.78.0/24']);
      for (const t of answer.live ?? []) {
        expect([t.kind, t.admits, t.nextApply]).toEqual([
          t.kind,
          'yes',
          { add: ['52.94.78.0/24'], remove: ['52.94.76.0/22'] },
        ]);
      }
    });

    it('an address nothing admits: exit 3, the nearest entries named, no target admits it', async () => {
      const run = await explain('nobody', '45.60.1.1');
      expect(run.status, run.stdout).toBe(3);
      const out = parse(run);
      expect(out.admitted).toBe(false);
      const answer = partners(out);
      expect(answer.admitted).toBe('no');
      expect(answer.entries).toEqual([]);
      expect(answer.nearest.length).toBeGreaterThan(0);
      expect(answer.live?.map((t) => [t.kind, t.admits, t.matches, t.nextApply])).toEqual([
        ['security-groups', 'no', [], { add: [], remove: [] }],
        ['waf-ip-sets', 'no', [], { add: [], remove: [] }],
        ['prefix-lists', 'no', [], { add: [], remove: [] }],
      ]);
    });

    it('left every target as the apply wrote it', async () => {
      expect(await targetState(server.clients, world)).toEqual(expectedState(LIST_V1, [DRIFT]));
    });
  },
);
