import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseText } from '../../lambda/core/formats';
import { cidrRange, PrefixSet, RADIX_THRESHOLD } from '../../lambda/core/prefix-set';

/** A prefix as the reference sees it: family, network (host bits cleared) and length. */
interface Ref {
  family: 4 | 6;
  network: bigint;
  length: number;
}

const bits = (family: 4 | 6) => (family === 4 ? 32 : 128);

function refText({ family, network, length }: Ref): string {
  if (family === 4) {
    const n = Number(network);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${length}`;
  }
  const groups = Array.from({ length: 8 }, (_, k) => ((network >> BigInt(112 - 16 * k)) & 0xffffn).toString(16));
  return `${groups.join(':')}/${length}`;
}

/** The obviously correct reference: sort [start, end] ranges and merge those that overlap or touch. */
function merge(ranges: Array<[bigint, bigint]>): Array<[bigint, bigint]> {
  const sorted = [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Array<[bigint, bigint]> = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1] + 1n) {
      if (e > last[1]) last[1] = e;
    } else out.push([s, e]);
  }
  return out;
}

function refRanges(prefixes: readonly Ref[], family: 4 | 6): Array<[bigint, bigint]> {
  return merge(
    prefixes
      .filter((p) => p.family === family)
      .map((p) => [p.network, p.network + (1n << BigInt(bits(family) - p.length)) - 1n] as [bigint, bigint]),
  );
}

/** Membership of one address in merged ranges. */
function inRanges(ranges: Array<[bigint, bigint]>, x: bigint): boolean {
  return ranges.some(([s, e]) => s <= x && x <= e);
}

function prefixArb(family: 4 | 6): fc.Arbitrary<Ref> {
  const width = bits(family);
  const max = (1n << BigInt(width)) - 1n;
  // Edges (the first and last address, the middle) and a small neighbourhood, so prefixes overlap and touch often.
  const bases = family === 4 ? [0n, max, 1n << 31n, 0x0a000000n] : [0n, max, 1n << 127n, 0x20010db8n << 96n];
  const address = fc.oneof(
    fc.tuple(fc.constantFrom(...bases), fc.bigInt({ min: -4096n, max: 4096n })).map(([b, d]) => {
      const x = b + d;
      return x < 0n ? 0n : x > max ? max : x;
    }),
    fc.bigInt({ min: 0n, max }),
  );
  const length = fc.oneof(fc.integer({ min: width - 14, max: width }), fc.integer({ min: 0, max: width }));
  return fc.tuple(address, length).map(([a, length]) => {
    const hostBits = BigInt(width - length);
    return { family, network: (a >> hostBits) << hostBits, length };
  });
}

const listArb = fc.array(fc.oneof(prefixArb(4), prefixArb(6)), { maxLength: 40 });

/** Builds a set through the hot path: text bytes → parseText → EntryBuffer → PrefixSet.fromEntries. */
function viaEntries(prefixes: readonly Ref[]): PrefixSet {
  const bytes = new TextEncoder().encode(prefixes.map(refText).join('\n'));
  return PrefixSet.fromEntries([parseText('prop', bytes, { now: new Date(0) }).entries]);
}

const text = (set: PrefixSet) => new TextDecoder().decode(set.toText());
const viaCidrs = (prefixes: readonly Ref[]) => PrefixSet.parse(prefixes.map(refText));

describe('aggregation (properties)', () => {
  it('covers exactly the addresses of its input, in both families, by both construction paths', () => {
    fc.assert(
      fc.property(listArb, (prefixes) => {
        for (const set of [viaEntries(prefixes), viaCidrs(prefixes)]) {
          expect(set.ranges(4)).toEqual(refRanges(prefixes, 4));
          expect(set.ranges(6)).toEqual(refRanges(prefixes, 6));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('prints a sorted, minimal list: no prefix contains another and no two siblings could merge', () => {
    fc.assert(
      fc.property(listArb, (prefixes) => {
        const cidrs = viaEntries(prefixes).toCidrs();
        const ranges = cidrs.map((c) => cidrRange(c));
        for (let i = 1; i < ranges.length; i++) {
          const [ps, pe, pf] = ranges[i - 1]!;
          const [s, e, f] = ranges[i]!;
          if (pf !== f) {
            expect([pf, f]).toEqual([4, 6]);
            continue;
          }
          expect(s).toBeGreaterThan(pe);
          const size = pe - ps + 1n;
          const siblings = e - s + 1n === size && s === pe + 1n && ps % (2n * size) === 0n;
          expect(siblings).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is idempotent: aggregating the aggregate changes nothing', () => {
    fc.assert(
      fc.property(listArb, (prefixes) => {
        const once = viaEntries(prefixes);
        const twice = PrefixSet.parse(once.toCidrs());
        // The printed CIDRs cover exactly the set's ranges (which the first property checks against the reference).
        expect(twice.equals(once)).toBe(true);
        expect(twice.toCidrs()).toEqual(once.toCidrs());
        expect(text(twice)).toBe(text(once));
      }),
    );
  });

  it('does not depend on input order', () => {
    fc.assert(
      fc.property(
        listArb.chain((l) => fc.tuple(fc.constant(l), fc.shuffledSubarray(l, { minLength: l.length }))),
        ([a, b]) => {
          expect(viaEntries(b).toCidrs()).toEqual(viaEntries(a).toCidrs());
        },
      ),
    );
  });

  it('writes toText() as the CIDR list, one a line, IPv4 first', () => {
    fc.assert(
      fc.property(listArb, (prefixes) => {
        const set = viaEntries(prefixes);
        const cidrs = set.toCidrs();
        expect(text(set)).toBe(cidrs.map((c) => `${c}\n`).join(''));
        expect(set.prefixCount()).toBe(cidrs.length);
      }),
    );
  });

  it('counts addresses as the reference does', () => {
    fc.assert(
      fc.property(listArb, (prefixes) => {
        const set = viaEntries(prefixes);
        for (const family of [4, 6] as const) {
          const expected = refRanges(prefixes, family).reduce((n, [s, e]) => n + e - s + 1n, 0n);
          expect(set.addressCount(family)).toBe(expected);
        }
      }),
    );
  });
});

describe('aggregation of long lists (the IPv4 radix sort, the IPv6 run sort)', () => {
  const LONG = RADIX_THRESHOLD + 1000;
  /** Entries from two sources, so the concatenating path runs too. */
  function viaTwoBuffers(prefixes: readonly Ref[]): PrefixSet {
    const half = prefixes.length >> 1;
    const parse = (part: readonly Ref[]) =>
      parseText('prop', new TextEncoder().encode(part.map(refText).join('\n')), { now: new Date(0) }).entries;
    return PrefixSet.fromEntries([parse(prefixes.slice(0, half)), parse(prefixes.slice(half))]);
  }
  const check = (prefixes: readonly Ref[]) => {
    for (const set of [viaEntries(prefixes), viaTwoBuffers(prefixes)]) {
      expect(set.ranges(4)).toEqual(refRanges(prefixes, 4));
      expect(set.ranges(6)).toEqual(refRanges(prefixes, 6));
      expect(PrefixSet.parse(set.toCidrs()).equals(set)).toBe(true);
    }
  };

  // No shrinking: shrinking a counterexample of thousands of entries takes minutes; the seed and the first failure
  // are enough.
  /**
   * Long lists that stay fragmented (the short arbitrary lists above often hold a /0 or a /1, which would make a long
   * list one range and its order irrelevant): prefixes of /20 and longer in a few /8s, or IPv6 hosts and /56–/64s
   * in 256 /40s of one /32, so that runs of entries share their sort key (word 0 and the top bits of word 1), some
   * short (sorted by insertion), some longer than 32 (the comparison sort).
   */
  const fragmented = (family: 4 | 6): fc.Arbitrary<Ref> => {
    const width = bits(family);
    const base =
      family === 4
        ? fc.constantFrom(0x0b000000n, 0x2d000000n, 0xc0000000n).chain((b) => fc.bigInt({ min: b, max: b + 0xffffffn }))
        : fc
            .tuple(fc.integer({ min: 0, max: 255 }), fc.bigInt({ min: 0n, max: 0xffffn }))
            .map(([net, host]) => (0x20010db8n << 96n) | (BigInt(net) << 88n) | host);
    const length =
      family === 4
        ? fc.integer({ min: 20, max: 32 })
        : fc.oneof(fc.constant(128), fc.integer({ min: 56, max: 64 }), fc.integer({ min: 120, max: 128 }));
    return fc.tuple(base, length).map(([a, length]) => {
      const hostBits = BigInt(width - length);
      return { family, network: (a >> hostBits) << hostBits, length };
    });
  };

  it('covers exactly the addresses of its input: IPv4 above the radix threshold', () => {
    const long = fc.array(fragmented(4), { minLength: LONG, maxLength: LONG + 500 });
    fc.assert(fc.property(long, check), { numRuns: 3, endOnFailure: true });
  });

  it('covers exactly the addresses of its input: IPv6 with long runs of equal sort keys', () => {
    const long = fc.array(fragmented(6), { minLength: 4000, maxLength: 5000 });
    fc.assert(fc.property(long, check), { numRuns: 8, endOnFailure: true });
  });

  it('sorts lists whose entries all share one 16-bit half (a radix pass that moves nothing)', () => {
    const high = (x: number) => ({ family: 4 as const, network: BigInt(0x0b0c0000 + (x % 65536)), length: 32 });
    const low = (x: number) => ({
      family: 4 as const,
      network: BigInt((((x % 60000) + 11) * 0x10000 + 0x0102) >>> 0),
      length: 32,
    });
    const shuffled = (n: number) => Array.from({ length: n }, (_, i) => (i * 7919) % n);
    check(shuffled(LONG).map(high)); // every entry in 11.12.0.0/16
    check(shuffled(LONG).map(low)); // every entry ends in .1.2
    check(Array.from({ length: LONG }, () => high(7))); // one address again and again
  });
});

describe('set algebra (properties)', () => {
  const three = fc.tuple(listArb, listArb, listArb).map(([a, b, c]) => [viaCidrs(a), viaCidrs(b), viaCidrs(c)]);
  // Addresses to probe membership with: every range edge and its neighbours.
  const probes = (...sets: PrefixSet[]) =>
    sets.flatMap((s) =>
      ([4, 6] as const).flatMap((f) =>
        s.ranges(f).flatMap(([a, b]) => [a - 1n, a, b, b + 1n].map((x) => [f, x] as const)),
      ),
    );
  const has = (s: PrefixSet, f: 4 | 6, x: bigint) => inRanges(s.ranges(f), x);

  it('union and intersection are commutative and associative', () => {
    fc.assert(
      fc.property(three, ([a, b, c]) => {
        expect(a!.union(b!).equals(b!.union(a!))).toBe(true);
        expect(a!.intersection(b!).equals(b!.intersection(a!))).toBe(true);
        expect(
          a!
            .union(b!)
            .union(c!)
            .equals(a!.union(b!.union(c!))),
        ).toBe(true);
        expect(
          a!
            .intersection(b!)
            .intersection(c!)
            .equals(a!.intersection(b!.intersection(c!))),
        ).toBe(true);
      }),
    );
  });

  it('gives each address the membership the boolean operators say', () => {
    fc.assert(
      fc.property(three, ([a, b]) => {
        const u = a!.union(b!);
        const i = a!.intersection(b!);
        const d = a!.difference(b!);
        for (const [f, x] of probes(a!, b!)) {
          const inA = has(a!, f, x);
          const inB = has(b!, f, x);
          expect(has(u, f, x)).toBe(inA || inB);
          expect(has(i, f, x)).toBe(inA && inB);
          expect(has(d, f, x)).toBe(inA && !inB);
        }
      }),
    );
  });

  it('keeps the De Morgan identities relative to a universe: C∖(A∪B) = (C∖A)∩(C∖B), C∖(A∩B) = (C∖A)∪(C∖B)', () => {
    fc.assert(
      fc.property(three, ([a, b, c]) => {
        expect(c!.difference(a!.union(b!)).equals(c!.difference(a!).intersection(c!.difference(b!)))).toBe(true);
        expect(c!.difference(a!.intersection(b!)).equals(c!.difference(a!).union(c!.difference(b!)))).toBe(true);
      }),
    );
  });

  it('has A ⊆ A∪B, A∩B ⊆ A, and contains() agrees with an empty difference', () => {
    fc.assert(
      fc.property(three, ([a, b]) => {
        expect(a!.union(b!).contains(a!)).toBe(true);
        expect(a!.contains(a!.intersection(b!))).toBe(true);
        expect(a!.contains(b!)).toBe(b!.difference(a!).isEmpty);
        expect(a!.difference(b!).intersection(b!).isEmpty).toBe(true);
        expect(a!.difference(b!).union(a!.intersection(b!)).equals(a!)).toBe(true);
      }),
    );
  });
});

describe('aggregation at the edges of the address space', () => {
  it.each([
    [['0.0.0.0/1', '128.0.0.0/1'], ['0.0.0.0/0']],
    [['255.255.255.255', '255.255.255.254'], ['255.255.255.254/31']],
    [['0.0.0.0', '0.0.0.1', '0.0.0.2/31'], ['0.0.0.0/30']],
    [['::/1', '8000::/1'], ['::/0']],
    [
      ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe'],
      ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127'],
    ],
    [['::', '::1'], ['::/127']],
    [['10.0.0.0/24', '10.0.0.0/25', '10.0.0.128/25', '10.0.1.0/24'], ['10.0.0.0/23']],
    [
      ['2001:db8::/33', '2001:db8:8000::/33', '1.2.3.4'],
      ['1.2.3.4/32', '2001:db8::/32'],
    ],
  ])('aggregates %j to %j', (input, output) => {
    expect(PrefixSet.parse(input).toCidrs()).toEqual(output);
  });
});
