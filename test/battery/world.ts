/**
 * A battery world: the stateful AWS fakes holding one allowlist's targets (a security-group pool, a WAF IP set pool,
 * prefix lists), the engine wired to them with the real drivers, a virtual clock, and an invariant checker that runs
 * after EVERY write call the fakes see.
 *
 * What a target admits, S(t), is computed by ADDRESS from the fakes' state, per unit: a security-group pool per port
 * range and family (any rule in any group of the pool that covers the port range, ours or not), a WAF pool per
 * family (the union of its sets), a prefix list per family. U is what the units admitted before we wrote anything.
 *
 * Every applying run takes the real SSM run lock and generation store (lambda/engine/run-lock.ts) over one FakeSsm per
 * world, as the function and the CLI do, so overlapping runs (battery D) serialise through it.
 */

import { parseRuntimeConfig, type RuntimeConfig } from '../../lambda/config';
import type { RunReport } from '../../lambda/core/model';
import type { Family } from '../../lambda/core/prefix';
import { PrefixSet } from '../../lambda/core/prefix-set';
import { type EngineOptions, runEngine } from '../../lambda/engine';
import { type GenerationStore, type RunLock, SsmGenerationStore, SsmRunLock } from '../../lambda/engine/run-lock';
import type { Ec2View, FakeEc2, FakeWafv2, WafView } from '../fakes';
import { type CallRecord, FakeEc2 as Ec2, SimulatedCrash, FakeWafv2 as Waf } from '../fakes';
import { FakeSsm } from '../fakes/fake-ssm';

/** Inclusive address intervals, sorted. */
export type Ranges = ReadonlyArray<readonly [bigint, bigint]>;

/** The shape of one scenario's targets. */
export interface Layout {
  readonly sg?: {
    readonly groups: number;
    readonly ports: ReadonlyArray<{ protocol: 'tcp' | 'udp'; from: number; to: number }>;
    readonly quota: { readonly ipv4: number; readonly ipv6: number };
    /** Rules we do not own, seeded before anything runs: group index, cidr, ports. */
    readonly unowned: ReadonlyArray<{ group: number; cidr: string; protocol: 'tcp' | 'udp'; from: number; to: number }>;
  };
  readonly waf?: { readonly sets4: number; readonly sets6: number };
  readonly pl?: { readonly maxEntries4?: number; readonly maxEntries6?: number };
}

/** One failed invariant. */
export interface Violation {
  readonly property: 'P3' | 'P4' | 'P5';
  readonly unit: string;
  readonly targetId: string;
  readonly call: string;
}

interface Unit {
  readonly key: string;
  readonly targetId: string;
  readonly family: Family;
  readonly admitted: (ec2: Ec2View, waf: WafView) => Ranges;
  /** What we do not own: what the unit admitted before the first write. */
  unowned: Ranges;
}

/** The allowlist name every battery world uses. */
export const ALLOWLIST = 'battery';

/** Fakes, config and checker for one scenario. */
export class World {
  clock = 1_700_000_000_000;
  readonly ec2: FakeEc2;
  readonly waf: FakeWafv2;
  /** Holds the run lock and the last applied generation. */
  readonly ssm = new FakeSsm(() => this.clock);
  /** The run lock every run of this world shares (replaceable, e.g. wrapped to watch who holds it). */
  lock: RunLock = new SsmRunLock(this.ssm.client, () => this.clock);
  generations: GenerationStore = new SsmGenerationStore(this.ssm.client);
  /** How a run waits: it only advances the virtual clock (battery D also yields, so the other run progresses). */
  sleep = async (ms: number): Promise<void> => {
    this.clock += ms;
  };
  readonly config: RuntimeConfig;
  readonly units: Unit[] = [];
  /** Invariant checks made (one per write call that changed state, per unit). */
  checks = 0;
  readonly violations: Violation[] = [];
  /** P5 misses, forgiven when the run reports the target `degraded` (the quota could not hold both lists). */
  readonly p5: Violation[] = [];
  private bounds?: { old: PrefixSet; next: PrefixSet };
  /** Set after a SimulatedCrash: the "process" is dead and every later call fails. */
  dead = false;

  constructor(
    readonly layout: Layout,
    /** The allowlist's policy and guardrails; the battery default lets every change through (guardrails apart). */
    settings: { allowEmpty?: boolean; guardrails?: { maxRemovedShare: number; removalsAlwaysAllowed: number } } = {},
  ) {
    const quota = layout.sg?.quota ?? { ipv4: 60, ipv6: 60 };
    this.ec2 = new Ec2({ rulesPerGroup: quota });
    this.waf = new Waf({ now: () => this.clock });
    const targets: unknown[] = [];
    if (layout.sg) {
      const groupIds = Array.from({ length: layout.sg.groups }, () => this.ec2.createSecurityGroup());
      for (const u of layout.sg.unowned) {
        const groupId = groupIds[u.group % groupIds.length] as string;
        // Unowned rules use quota too; a group already full of them gets no more (AWS would refuse the rule).
        const family = u.cidr.includes(':') ? 6 : 4;
        if (this.ec2.ingressCount(groupId, family) >= (family === 4 ? quota.ipv4 : quota.ipv6)) continue;
        this.ec2.seedRule(groupId, { protocol: u.protocol, fromPort: u.from, toPort: u.to, cidr: u.cidr });
      }
      targets.push({ kind: 'security-groups', groupIds, ports: layout.sg.ports, rulesPerGroup: layout.sg.quota });
      const targetId = `security-groups:${groupIds.join(',')}`;
      for (const p of layout.sg.ports) {
        for (const family of [4, 6] as const) {
          const query = { protocol: p.protocol, fromPort: p.from, toPort: p.to };
          this.units.push({
            key: `${targetId} ${p.protocol} ${p.from}-${p.to} v${family}`,
            targetId,
            family,
            admitted: (ec2) => ec2.admittedRanges(groupIds, query, family),
            unowned: [],
          });
        }
      }
    }
    if (layout.waf) {
      const sets = (family: 'IPV4' | 'IPV6', n: number) =>
        Array.from({ length: n }, (_, i) => {
          const ref = this.waf.createIpSet({ scope: 'REGIONAL', name: `battery-${family}-${i}`, family });
          return { name: ref.Name, id: ref.Id };
        });
      const ipv4 = sets('IPV4', layout.waf.sets4);
      const ipv6 = sets('IPV6', layout.waf.sets6);
      targets.push({ kind: 'waf-ip-sets', scope: 'REGIONAL', ipv4, ipv6 });
      for (const [family, refs] of [
        [4, ipv4],
        [6, ipv6],
      ] as const) {
        if (refs.length === 0) continue;
        this.units.push({
          key: `waf v${family}`,
          targetId: 'waf-ip-sets:',
          family,
          admitted: (_, waf) => mergeAll(refs.map((r) => waf.addressRanges(r.id))),
          unowned: [],
        });
      }
    }
    if (layout.pl) {
      const target: Record<string, unknown> = { kind: 'prefix-lists' };
      for (const [family, max] of [
        [4, layout.pl.maxEntries4],
        [6, layout.pl.maxEntries6],
      ] as const) {
        if (max === undefined) continue;
        const id = this.ec2.createPrefixList({ family, maxEntries: max });
        target[`ipv${family}`] = id;
        this.units.push({
          key: `${id} v${family}`,
          targetId: id,
          family,
          admitted: (ec2) => ec2.entryRanges(id),
          unowned: [],
        });
      }
      targets.push(target);
    }
    this.config = parseRuntimeConfig({
      version: 1,
      allowlists: [
        {
          name: ALLOWLIST,
          sources: [{ kind: 'inline', entries: ['192.0.2.0/24'] }],
          policy: { allowEmpty: settings.allowEmpty ?? true },
          guardrails: settings.guardrails ?? { maxRemovedShare: 1, removalsAlwaysAllowed: 0 },
          targets,
        },
      ],
    });
    const ec2 = this.ec2.snapshot();
    const waf = this.waf.snapshot();
    for (const u of this.units) u.unowned = merge(u.admitted(ec2, waf));
    this.ec2.onWrite((view, call) => this.check(view, this.waf.snapshot(), call));
    this.waf.onWrite((view, call) => this.check(this.ec2.snapshot(), view, call));
  }

  /** Runs the engine once to apply `list` (prefix texts). */
  run(list: readonly string[], options: Partial<EngineOptions> = {}): Promise<RunReport> {
    const set = PrefixSet.parse(list);
    return runEngine(
      this.config,
      { dryRun: false, trigger: 'manual', force: { reason: 'battery' }, ...options },
      {
        ec2: this.ec2.client,
        wafv2: () => this.waf.client,
        now: () => this.clock++,
        sleep: (ms) => this.sleep(ms),
        lock: this.lock,
        generations: this.generations,
        load: async () => ({
          desired: { allowlist: ALLOWLIST, set, cidrs: { 4: set.toCidrs(4), 6: set.toCidrs(6) }, notes: new Map() },
          provenance: [],
          counts: { read: { 4: 0, 6: 0 }, prefixes: { 4: set.prefixCount(4), 6: set.prefixCount(6) }, expired: 0 },
        }),
      },
    );
  }

  /** From now on, check P3–P5 with these as O (last applied) and N (new desired). */
  expect(old: readonly string[], next: readonly string[]): void {
    this.bounds = { old: PrefixSet.parse(old), next: PrefixSet.parse(next) };
  }

  /** Units whose state is not exactly `list` plus what we do not own. */
  mismatches(list: readonly string[]): string[] {
    const set = PrefixSet.parse(list);
    const ec2 = this.ec2.snapshot();
    const waf = this.waf.snapshot();
    return this.units
      .filter((u) => !equal(merge(u.admitted(ec2, waf)), union(set.ranges(u.family), u.unowned)))
      .map((u) => u.key);
  }

  /** Converged: every unit admits exactly `list` ∪ U by address, and a dry run plans no write (no leftover rule). */
  async converged(list: readonly string[]): Promise<boolean> {
    if (this.mismatches(list).length > 0) return false;
    const plan = await this.run(list, { dryRun: true });
    return plan.allowlists.every((a) => a.targets.every((t) => t.status === 'unchanged'));
  }

  /** Write calls (attempts) recorded by both fakes. */
  writeCalls(): CallRecord[] {
    return [...this.ec2.writes(), ...this.waf.writes()];
  }

  /**
   * After a SimulatedCrash, every later EC2 and WAF call of this world fails the same way, as if the process had died.
   * SSM stays up, so the crashed run still releases its lock and the next run need not wait out its expiry (taking
   * over an expired lock is tested in test/engine/run-lock.test.ts).
   */
  killOnCrash(): void {
    for (const client of [this.ec2.client, this.waf.client] as const) {
      const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
      (client as { send: unknown }).send = async (...args: unknown[]) => {
        if (this.dead) throw new SimulatedCrash('any', 'before');
        try {
          return await send(...args);
        } catch (error) {
          if (error instanceof SimulatedCrash) this.dead = true;
          throw error;
        }
      };
    }
  }

  /** Makes every call (EC2, WAF and SSM) yield to other runs first, `pick()` times, so two runs interleave (battery D). */
  interleave(pick: () => number): void {
    for (const client of [this.ec2.client, this.waf.client, this.ssm.client] as const) {
      const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
      (client as { send: unknown }).send = async (...args: unknown[]) => {
        for (let i = pick(); i > 0; i--) await new Promise((resolve) => setImmediate(resolve));
        return send(...args);
      };
    }
  }

  /** Forgives the P5 misses of targets the run reported `degraded`; the rest become violations. */
  settleP5(report: RunReport, alsoDegraded: readonly string[] = []): void {
    const degraded = new Set([...degradedTargets(report), ...alsoDegraded]);
    for (const v of this.p5.splice(0)) {
      // Unit ids are the report's target id (security groups), a prefix of it (WAF) or part of it (prefix list id).
      if (![...degraded].some((d) => d.includes(v.targetId))) this.violations.push(v);
    }
  }

  private check(ec2: Ec2View, waf: WafView, call: CallRecord): void {
    const bounds = this.bounds;
    if (!bounds) return;
    for (const u of this.units) {
      this.checks++;
      const s = merge(u.admitted(ec2, waf));
      const o = bounds.old.ranges(u.family);
      const n = bounds.next.ranges(u.family);
      const site = `${call.command}#${call.seq}`;
      const on = { unit: u.key, targetId: u.targetId, call: site };
      if (!subset(s, union(union(o, n), u.unowned))) this.violations.push({ property: 'P3', ...on });
      const both = bounds.old.intersection(bounds.next).ranges(u.family);
      if (!subset(union(both, u.unowned), s)) this.violations.push({ property: 'P4', ...on });
      if (!subset(union(o, u.unowned), s) && !subset(union(n, u.unowned), s)) this.p5.push({ property: 'P5', ...on });
    }
  }
}

/**
 * The targets a run reported degraded: status `degraded`, or the `degraded` flag on a target that started a degraded
 * plan and then failed or was refused after a conflict. Nothing else forgives a P5 miss.
 */
export function degradedTargets(report: RunReport): string[] {
  return report.allowlists.flatMap((a) =>
    a.targets.filter((t) => t.status === 'degraded' || t.degraded === true).map((t) => t.targetId),
  );
}

/** Sorts and merges overlapping or adjacent intervals. */
export function merge(ranges: Ranges): Array<[bigint, bigint]> {
  const sorted = [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Array<[bigint, bigint]> = [];
  for (const [s, e] of sorted) {
    const last = out.at(-1);
    if (last && s <= last[1] + 1n) last[1] = e > last[1] ? e : last[1];
    else out.push([s, e]);
  }
  return out;
}

function mergeAll(lists: Ranges[]): Array<[bigint, bigint]> {
  return merge(lists.flat());
}

function union(a: Ranges, b: Ranges): Array<[bigint, bigint]> {
  return merge([...a, ...b]);
}

/** True when every address of `a` is in `b` (`b` merged). */
export function subset(a: Ranges, b: Ranges): boolean {
  const mb = merge(b);
  let j = 0;
  for (const [s, e] of merge(a)) {
    while (j < mb.length && (mb[j] as [bigint, bigint])[1] < s) j++;
    const r = mb[j];
    if (!r || r[0] > s || r[1] < e) return false;
  }
  return true;
}

function equal(a: Ranges, b: Ranges): boolean {
  return subset(a, b) && subset(b, a);
}
