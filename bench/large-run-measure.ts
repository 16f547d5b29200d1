/**
 * Runs the large deployment through the engine as the function runs it (lambda/engine/index.ts with the real sources,
 * drivers, source cache, SSM run lock and generation store; only the SDK clients are the fakes'), three times: from
 * empty targets, after 1 % of the entries changed, and converged. Per phase it records the time, the part of it spent
 * inside the fakes, the API calls, and the process's memory at the end of each interval; per target kind the write
 * calls against their lower bound (docs/design.md section 7), computed from the fakes' state before and after.
 */

import type { RunReport } from '../lambda/core/model';
import { type EngineDeps, runEngine } from '../lambda/engine';
import { PHASES, type Phase } from '../lambda/engine/phases';
import { SsmGenerationStore, SsmRunLock } from '../lambda/engine/run-lock';
import { loadAllowlist, SourceCache, type SourceDeps } from '../lambda/sources';
import { driverFactory } from '../lambda/targets';
import {
  type AllowlistShape,
  buildLargeWorld,
  changedEntries,
  type LargeWorld,
  largeDeployment,
} from './large-deployment';

/** Where a call or a moment falls: a phase, or none (the run lock, pre-flight, the report). */
export type Slot = Phase | 'other';
/** The slots in table order. */
export const SLOTS: readonly Slot[] = [...PHASES, 'other'];

/** One phase of one run. */
export interface PhaseFigures {
  ms: number;
  /** CPU time of the process (user + system) in this phase's intervals: steadier than `ms` on a shared machine. */
  cpuMs: number;
  /** Of `ms`, the time inside the fakes' `send` (their CPU: validation, all-or-nothing copies). */
  fakeMs: number;
  /** EC2 and WAF calls (first attempts and SDK retries alike; the fakes inject no faults here). */
  reads: number;
  writes: number;
  /** S3 and SSM calls: the sources' GetObject, the run lock and the generation store. */
  store: number;
  /** The highest RSS and V8 heap in use seen at the end of this phase's intervals (bytes). */
  rss: number;
  heap: number;
}

/** Write calls of one target kind in one run, and their lower bound. */
export interface Economy {
  readonly kind: 'security groups' | 'WAF IP sets' | 'prefix lists';
  readonly writes: number;
  readonly bound: number;
  /**
   * The bound plus what make-before-break may cost (docs/design.md P5), as the battery's economy check allows it: in a
   * pool of several IP sets one set may be written twice (old ∪ new, then new), and with both families one prefix
   * list may take one more modify (its removes wait until the other list admits its whole new list).
   */
  readonly allowed: number;
  /** How the bound is counted, e.g. `1 authorize + 1 revoke per changed group (30 groups)`. */
  readonly rule: string;
}

/** One run's figures. */
export interface RunFigures {
  readonly name: string;
  readonly report: RunReport;
  readonly wallMs: number;
  readonly phases: Record<Slot, PhaseFigures>;
  readonly economy: readonly Economy[];
  /** Entries added and removed over all targets. */
  readonly changes: { readonly add: number; readonly remove: number };
  /** The process's RSS high-water mark so far (bytes, from getrusage). */
  readonly maxRss: number;
  /** The V8 heap in use after the run and a full GC (bytes), when the bench runs with --expose-gc. */
  readonly liveHeap?: number;
  /** Time spent reading the memory figures (ms), left out of every phase and of `other`. */
  readonly samplingMs: number;
}

const WRITES = new Set([
  'AuthorizeSecurityGroupIngress',
  'RevokeSecurityGroupIngress',
  'ModifyManagedPrefixList',
  'UpdateIPSet',
  'PutParameter',
  'DeleteParameter',
  'PutObject',
]);

interface Meter {
  slot: Slot;
  cpuAt: number;
  figures: Record<Slot, PhaseFigures>;
  samplingMs: number;
}

function emptyFigures(): Record<Slot, PhaseFigures> {
  const out = {} as Record<Slot, PhaseFigures>;
  for (const s of SLOTS) out[s] = { ms: 0, cpuMs: 0, fakeMs: 0, reads: 0, writes: 0, store: 0, rss: 0, heap: 0 };
  return out;
}

/** Wraps a fake's client `send` to attribute each call, and the time spent inside the fake, to the current slot. */
function instrument(client: object, meter: Meter, store: boolean): void {
  const c = client as { send: (...args: unknown[]) => Promise<unknown> };
  const send = c.send.bind(client);
  c.send = async (...args: unknown[]) => {
    const f = meter.figures[meter.slot];
    const command = (args[0] as object).constructor.name.replace(/Command$/, '');
    if (store) f.store++;
    else if (WRITES.has(command)) f.writes++;
    else f.reads++;
    const start = performance.now();
    try {
      return await send(...args);
    } finally {
      f.fakeMs += performance.now() - start;
    }
  };
}

/** The state a lower bound is computed from: every owned rule, set address and list entry, by resource id. */
function stateOf(world: LargeWorld): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of world.resources.values()) {
    for (const g of r.groups) {
      const rules = world.ec2.rules(g).filter((x) => !x.isEgress);
      out.set(g, new Set(rules.map((x) => `${x.protocol} ${x.fromPort}-${x.toPort} ${x.cidr}`)));
    }
    for (const s of r.sets) out.set(s, new Set(world.waf.addresses(s)));
    for (const l of r.lists) out.set(l, new Set(world.ec2.entries(l)));
  }
  return out;
}

function diff(before: Set<string> | undefined, after: Set<string> | undefined): { add: number; remove: number } {
  const b = before ?? new Set<string>();
  const a = after ?? new Set<string>();
  let add = 0;
  let remove = 0;
  for (const x of a) if (!b.has(x)) add++;
  for (const x of b) if (!a.has(x)) remove++;
  return { add, remove };
}

function economyOf(world: LargeWorld, before: Map<string, Set<string>>, since: { ec2: number; waf: number }) {
  const after = stateOf(world);
  const first = (calls: typeof world.ec2.calls, from: number, command: string) =>
    calls.slice(from).filter((c) => c.command === command && c.attempt === 1).length;
  let groups = 0;
  let sets = 0;
  let lists = 0;
  let sgBound = 0;
  let wafBound = 0;
  let plBound = 0;
  let wafAllowed = 0;
  let plAllowed = 0;
  for (const r of world.resources.values()) {
    for (const g of r.groups) {
      const d = diff(before.get(g), after.get(g));
      groups++;
      sgBound += (d.add > 0 ? 1 : 0) + (d.remove > 0 ? 1 : 0);
    }
    for (const s of r.sets) {
      const d = diff(before.get(s), after.get(s));
      sets++;
      const changed = d.add + d.remove > 0 ? 1 : 0;
      wafBound += changed;
      wafAllowed += changed * (r.sets.length > 1 ? 2 : 1);
    }
    for (const l of r.lists) {
      const d = diff(before.get(l), after.get(l));
      lists++;
      const modifies = Math.ceil((d.add + d.remove) / 100);
      plBound += modifies;
      plAllowed += modifies + (modifies > 0 && r.lists.length > 1 ? 1 : 0);
    }
  }
  const economy: Economy[] = [
    {
      kind: 'security groups',
      writes:
        first(world.ec2.calls, since.ec2, 'AuthorizeSecurityGroupIngress') +
        first(world.ec2.calls, since.ec2, 'RevokeSecurityGroupIngress'),
      bound: sgBound,
      allowed: sgBound,
      rule: `1 authorize if a group gains a rule + 1 revoke if it loses one (${groups} groups)`,
    },
    {
      kind: 'WAF IP sets',
      writes: first(world.waf.calls, since.waf, 'UpdateIPSet'),
      bound: wafBound,
      allowed: wafAllowed,
      rule: `1 UpdateIPSet per set whose addresses change (${sets} sets)`,
    },
    {
      kind: 'prefix lists',
      writes: first(world.ec2.calls, since.ec2, 'ModifyManagedPrefixList'),
      bound: plBound,
      allowed: plAllowed,
      rule: `⌈(adds + removes) / 100⌉ modifies per list (${lists} lists)`,
    },
  ];
  let add = 0;
  let remove = 0;
  for (const [id, set] of after) {
    const d = diff(before.get(id), set);
    add += d.add;
    remove += d.remove;
  }
  return { economy, changes: { add, remove } };
}

/** Options of {@link measureLargeRuns}. */
export interface MeasureOptions {
  /** 1 = 100,000 entries. */
  readonly scale?: number;
  /** A full GC (global.gc under --expose-gc): run before each run, and to read the live heap after it. */
  readonly gc?: () => void;
  /** Told when each run starts (progress on stderr). */
  readonly onRun?: (name: string) => void;
}

/** Builds the deployment and runs it three times: from empty, with 1 % of entries changed, converged. */
export async function measureLargeRuns(options: MeasureOptions = {}): Promise<{
  shapes: readonly AllowlistShape[];
  runs: RunFigures[];
}> {
  const world = buildLargeWorld(largeDeployment(options.scale ?? 1));
  const now = () => world.clock;
  const sleep = async (ms: number) => {
    world.clock += ms;
  };
  const meter: Meter = { slot: 'other', cpuAt: 0, figures: emptyFigures(), samplingMs: 0 };
  instrument(world.ec2.client, meter, false);
  instrument(world.waf.client, meter, false);
  instrument(world.s3.client, meter, true);
  instrument(world.ssm.client, meter, true);
  // As lambda/engine/aws-deps.ts builds them for the function (a warm container keeps the source cache), with the fakes'
  // clients and the virtual clock.
  const sources: SourceDeps = { s3: world.s3.client, ssm: world.ssm.client, now, cache: new SourceCache() };
  const clients = { ec2: world.ec2.client, wafv2: () => world.waf.client };
  const deps: EngineDeps = {
    ...clients,
    sources,
    now,
    sleep,
    load: (allowlist, onFetched) => loadAllowlist(allowlist, sources, onFetched ? { onFetched } : {}),
    drivers: driverFactory({ ...clients, sleep, now }),
    lock: new SsmRunLock(world.ssm.client, now),
    generations: new SsmGenerationStore(world.ssm.client),
    phaseObserver: {
      start: (phase) => {
        meter.slot = phase;
        meter.cpuAt = cpuMs();
      },
      end: (phase, ms) => {
        const f = meter.figures[phase];
        f.ms += ms;
        f.cpuMs += cpuMs() - meter.cpuAt;
        // After the phase's clock stopped; its own cost (~0.4 ms a call) is kept out of `other` below.
        const t = performance.now();
        const m = process.memoryUsage();
        f.rss = Math.max(f.rss, m.rss);
        f.heap = Math.max(f.heap, m.heapUsed);
        meter.slot = 'other';
        meter.samplingMs += performance.now() - t;
      },
    },
  };
  const runs: RunFigures[] = [];
  const changed = new Map(world.shapes.map((s) => [s.name, changedEntries(s)]));
  const steps: Array<[string, () => void]> = [
    ['from empty', () => undefined],
    ['1 % changed', () => world.publish(changed)],
    ['converged', () => undefined],
  ];
  for (const [name, prepare] of steps) {
    prepare();
    options.gc?.();
    options.onRun?.(name);
    meter.figures = emptyFigures();
    meter.samplingMs = 0;
    const before = stateOf(world);
    const since = { ec2: world.ec2.calls.length, waf: world.waf.calls.length };
    const start = performance.now();
    const cpuStart = cpuMs();
    const report = await runEngine(world.config, { dryRun: false, trigger: 'schedule', runId: name }, deps);
    const wallMs = performance.now() - start;
    const other = meter.figures.other;
    const phased = PHASES.reduce((sum, p) => sum + meter.figures[p].ms, 0);
    other.ms = Math.max(0, wallMs - phased - meter.samplingMs);
    other.cpuMs = Math.max(0, cpuMs() - cpuStart - PHASES.reduce((sum, p) => sum + meter.figures[p].cpuMs, 0));
    const m = process.memoryUsage();
    other.rss = Math.max(other.rss, m.rss);
    other.heap = Math.max(other.heap, m.heapUsed);
    const { economy, changes } = economyOf(world, before, since);
    let liveHeap: number | undefined;
    if (options.gc) {
      options.gc();
      liveHeap = process.memoryUsage().heapUsed;
    }
    runs.push({
      name,
      report,
      wallMs,
      phases: meter.figures,
      economy,
      changes,
      maxRss: process.resourceUsage().maxRSS * 1024,
      samplingMs: meter.samplingMs,
      ...(liveHeap !== undefined ? { liveHeap } : {}),
    });
  }
  return { shapes: world.shapes, runs };
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
