import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCidrs, sortCidrs } from '../../lambda/core/cidr-order';
import { type Cidr, parseCidr } from '../../lambda/core/prefix';

/** A canonical prefix of either family, drawn so that equal starts with different lengths and word edges are common. */
const cidrArb: fc.Arbitrary<Cidr> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(0, 0x0a000000, 0xffffff00, 0x80000000),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 32 }),
    )
    .map(([base, d, length]) => {
      const a = (base + d) >>> 0;
      const net = length === 0 ? 0 : (a & (0xffffffff << (32 - length))) >>> 0;
      return parseCidr(`${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${length}`);
    }),
  fc
    .tuple(
      fc.array(fc.constantFrom(0, 1, 0xffff, 0x2001, 0xdb8), { minLength: 8, maxLength: 8 }),
      fc.integer({ min: 0, max: 128 }),
    )
    .map(([groups, length]) => {
      const value = groups.reduce((n, g) => (n << 16n) | BigInt(g), 0n);
      const host = BigInt(128 - length);
      const net = (value >> host) << host;
      const text = Array.from({ length: 8 }, (_, k) => ((net >> BigInt(112 - 16 * k)) & 0xffffn).toString(16)).join(
        ':',
      );
      return parseCidr(`${text}/${length}`);
    }),
);

describe('sortCidrs (numeric keys)', () => {
  it('orders as compareCidrs does (family, start, then the wider block first) and drops duplicates', () => {
    fc.assert(
      fc.property(fc.array(cidrArb, { maxLength: 60 }), (cidrs) => {
        const expected = [...new Set(cidrs)].sort(compareCidrs);
        expect(sortCidrs(cidrs)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('orders by address value, not text, and puts IPv4 before IPv6', () => {
    const list = ['2001:db8::/32', '10.0.0.0/8', '9.0.0.0/8', '10.0.0.0/7', '::/0', '10.0.0.0/32'].map((t) =>
      parseCidr(t),
    );
    expect(sortCidrs(list)).toEqual(['9.0.0.0/8', '10.0.0.0/7', '10.0.0.0/8', '10.0.0.0/32', '::/0', '2001:db8::/32']);
  });
});
