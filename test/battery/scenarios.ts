/**
 * Seeded scenario generation for the battery: an (old, new) pair of lists drawn from a shared pool of blocks, so the
 * pairs overlap, re-aggregate (`/24` ↔ two `/25`s ↔ a `/23`), shrink, grow and swap families, and a random target
 * layout (security-group pools of 1–3 groups with 1–2 port ranges and small quotas so the near-quota cases are
 * common, WAF pools of 1–2 sets per family, prefix lists), with unowned security-group rules.
 */
import { seededRandom } from '../fakes';
import type { Layout } from './world';

/** One battery scenario. */
export interface Scenario {
  readonly seed: number;
  readonly layout: Layout;
  readonly old: string[];
  readonly next: string[];
  /** A third list from the same blocks (battery D's older concurrent run). */
  readonly other: string[];
}

/** How many scenarios each suite runs: small under `npm test`, full under `npm run battery` (BATTERY=full). */
export function count(small: number, full: number): number {
  return process.env.BATTERY === 'full' ? full : small;
}

/**
 * The one seed to replay, from `BATTERY_SEED` (e.g. `BATTERY_SEED=20807 npx vitest run test/battery/battery-b.test.ts`),
 * or `undefined` to run the suite's whole range. Add `BATTERY_TRACE=1` to print the replayed run's calls.
 */
export function replaySeed(): number | undefined {
  const text = process.env.BATTERY_SEED;
  if (text === undefined || text === '') return undefined;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`BATTERY_SEED="${text}": expected a non-negative integer seed, e.g. BATTERY_SEED=20807`);
  }
  return seed;
}

/** The seeds a suite runs: `count(small, full)` seeds from `first`, or only the replayed seed (see {@link replaySeed}). */
export function seeds(first: number, small: number, full: number): number[] {
  const only = replaySeed();
  if (only !== undefined) return [only];
  return Array.from({ length: count(small, full) }, (_, i) => first + i);
}

const PORTS = [
  { protocol: 'tcp', from: 443, to: 443 },
  { protocol: 'tcp', from: 8000, to: 8010 },
  { protocol: 'udp', from: 53, to: 53 },
] as const;

/** A deterministic scenario from a seed. */
export function scenario(seed: number): Scenario {
  const rnd = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const big = rnd() < 0.12;
  const blocks = Array.from({ length: big ? int(60, 160) : int(1, 10) }, () => block(rnd, big ? 0.1 : 0.4));
  const list = () => blocks.flatMap((b) => variant(b, rnd));
  const old = list();
  const next = rnd() < 0.05 ? [] : list();
  const other = list();
  const kinds = big ? pickSome(rnd, ['waf', 'pl']) : pickSome(rnd, ['sg', 'waf', 'pl']);
  const layout: { sg?: Layout['sg']; waf?: Layout['waf']; pl?: Layout['pl'] } = {};
  if (kinds.includes('sg')) {
    const ports = pickSome(rnd, [...PORTS]).slice(0, 2);
    const groups = int(1, 3);
    const unowned = Array.from({ length: int(0, 3) }, () => {
      const p = PORTS[int(0, PORTS.length - 1)] ?? PORTS[0];
      const b = blocks[int(0, blocks.length - 1)] ?? block(rnd, 0.4);
      return { group: int(0, groups - 1), cidr: rnd() < 0.5 ? b.whole : otherBlock(rnd), ...p };
    });
    // Quotas from "everything fits with room" down to "the union does not fit" and "the list does not fit".
    const quota = { ipv4: int(2, 14), ipv6: int(2, 14) };
    layout.sg = { groups, ports, quota, unowned: dedupe(unowned) };
  }
  if (kinds.includes('waf')) layout.waf = { sets4: int(1, 2), sets6: int(1, 2) };
  if (kinds.includes('pl')) {
    const max = () => (big ? int(150, 400) : int(3, 20));
    layout.pl = rnd() < 0.8 ? { maxEntries4: max(), maxEntries6: max() } : { maxEntries4: max() };
  }
  return { seed, layout, old, next, other };
}

interface Block {
  readonly whole: string;
  readonly halves: [string, string];
  readonly parent: string;
}

function block(rnd: () => number, v6Share: number): Block {
  const n = (k: number) => Math.floor(rnd() * k);
  if (rnd() < v6Share) {
    const head = `${(0x2a00 + n(0x100)).toString(16)}:${(1 + n(0xfff0)).toString(16)}`;
    const c = (2 * (1 + n(0x7ff0))).toString(16);
    return {
      whole: `${head}:${c}::/48`,
      halves: [`${head}:${c}::/49`, `${head}:${c}:8000::/49`],
      parent: `${head}:${c}::/47`,
    };
  }
  const x = 11 + n(80);
  const y = n(256);
  const z = n(128) * 2;
  return {
    whole: `${x}.${y}.${z}.0/24`,
    halves: [`${x}.${y}.${z}.0/25`, `${x}.${y}.${z}.128/25`],
    parent: `${x}.${y}.${z}.0/23`,
  };
}

function otherBlock(rnd: () => number): string {
  return `${100 + Math.floor(rnd() * 20)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.0/24`;
}

function variant(b: Block, rnd: () => number): string[] {
  const r = rnd();
  if (r < 0.25) return [];
  if (r < 0.6) return [b.whole];
  if (r < 0.8) return [...b.halves];
  if (r < 0.9) return [b.halves[rnd() < 0.5 ? 0 : 1]];
  return [b.parent];
}

function pickSome<T>(rnd: () => number, items: readonly T[]): T[] {
  const out = items.filter(() => rnd() < 0.5);
  return out.length > 0 ? out : [items[Math.floor(rnd() * items.length)] as T];
}

function dedupe<T extends { group: number; cidr: string; protocol: string; from: number }>(rules: T[]): T[] {
  const seen = new Set<string>();
  return rules.filter((r) => {
    const k = `${r.group} ${r.cidr} ${r.protocol} ${r.from}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
