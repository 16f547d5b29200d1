/**
 * Deterministic synthetic lists for `npm run bench`: the same seed gives the same bytes on every machine.
 * Addresses are drawn from public space only (IPv4 11.0.0.0–99.255.255.255, IPv6 2400::/6-ish), so the default
 * entry policy accepts them and every tool aggregates the same input.
 */

/** A small, fast, seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const V4_LOW = 11 * 2 ** 24;
const V4_SPAN = 89 * 2 ** 24;

/**
 * `count` IPv4 lines: 70% single hosts (bare), 30% prefixes /16–/31, with host bits cleared, plus ~5% exact
 * duplicates and many overlaps (hosts inside prefixes), in random order.
 */
export function generateV4(count: number, seed = 1): string {
  const next = rng(seed);
  const lines: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    if (i > 0 && next() < 0.05) {
      lines[i] = lines[Math.floor(next() * i)]!;
      continue;
    }
    const address = V4_LOW + Math.floor(next() * V4_SPAN);
    if (next() < 0.7) {
      lines[i] = dotted(address);
    } else {
      const length = 16 + Math.floor(next() * 16);
      const size = 2 ** (32 - length);
      lines[i] = `${dotted(address - (address % size))}/${length}`;
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `count` IPv6 lines: prefixes /32–/64 and /128 hosts under 2400::–2fff::, with duplicates and overlaps. */
export function generateV6(count: number, seed = 2): string {
  const next = rng(seed);
  const lines: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    if (i > 0 && next() < 0.05) {
      lines[i] = lines[Math.floor(next() * i)]!;
      continue;
    }
    // Few distinct /32s so that prefixes overlap and merge.
    const top = (0x2400 + Math.floor(next() * 0x40)).toString(16);
    const second = Math.floor(next() * 64).toString(16);
    const roll = next();
    if (roll < 0.3) {
      const length = 32 + Math.floor(next() * 17); // /32–/48
      const g3 = Math.floor(next() * 65536) & (length >= 48 ? 0xffff : (0xffff << (48 - length)) & 0xffff);
      lines[i] = `${top}:${second}:${g3.toString(16)}::/${length}`;
    } else if (roll < 0.7) {
      lines[i] = `${top}:${second}:${hex16(next)}:${hex16(next)}::/64`;
    } else {
      lines[i] = `${top}:${second}:${hex16(next)}:${hex16(next)}::${hex16(next)}`;
    }
  }
  return `${lines.join('\n')}\n`;
}

function hex16(next: () => number): string {
  return Math.floor(next() * 65536).toString(16);
}

function dotted(a: number): string {
  return `${Math.floor(a / 16777216)}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}
