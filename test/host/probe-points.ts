/**
 * Addresses to probe a host filter with: for every prefix of some sets, its first and last address, one inside, and
 * the neighbours just outside it, with what each set says about them (computed from the sets' ranges, independently
 * of the filter being probed).
 */
import type { Family } from '../../lambda/core/prefix';
import { cidrRange, type PrefixSet } from '../../lambda/core/prefix-set';

/** One probe address and its family. */
export interface ProbePoint {
  readonly family: Family;
  readonly value: bigint;
  /** The address as text (IPv6 uncompressed: every tool reads it). */
  readonly text: string;
}

const MAX: Record<Family, bigint> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };

/** Formats an address: dotted quad, or eight hex groups. */
export function formatAddress(value: bigint, family: Family): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
  return Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':');
}

/** Every prefix's edges, a middle address and the neighbours just outside, of every set given; deduplicated. */
export function probePoints(sets: readonly PrefixSet[]): ProbePoint[] {
  const seen = new Map<string, ProbePoint>();
  for (const set of sets) {
    for (const cidr of set.toCidrs()) {
      const [start, end, family] = cidrRange(cidr);
      for (const value of [start - 1n, start, (start + end) / 2n, end, end + 1n]) {
        if (value < 0n || value > MAX[family]) continue;
        const key = `${family}:${value}`;
        if (!seen.has(key)) seen.set(key, { family, value, text: formatAddress(value, family) });
      }
    }
  }
  return [...seen.values()];
}

/** Whether `set` holds the address. */
export function holds(set: PrefixSet, point: ProbePoint): boolean {
  return set.ranges(point.family).some(([s, e]) => s <= point.value && point.value <= e);
}
