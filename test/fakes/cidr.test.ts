import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { canonicalCidr, formatAddress, mergeRanges, parseAddress, parseCidr } from './cidr';

describe('fake CIDR helpers', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['100.68.0.18/18', '100.68.0.0/18'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8::1/32', '2001:db8::/32'],
    ['::ffff:192.0.2.1/128', '::ffff:c000:201/128'],
    ['2001:db8:0:0:1:0:0:1/128', '2001:db8::1:0:0:1/128'],
    ['::/0', '::/0'],
  ])('canonicalises %s as %s', (text, canonical) => {
    expect(canonicalCidr(text)).toBe(canonical);
  });

  it.each([
    '10.1/16',
    '10.0.0.1',
    '010.0.0.0/8',
    '10.0.0.0/33',
    '10.0.0.0/08',
    '256.0.0.0/8',
    '2001:db8::/129',
    '2001:db8:::/32',
    '1:2:3:4:5:6:7:8:9/128',
    'fe80::1%eth0/64',
    '',
  ])('rejects %s', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });

  it('flags host bits without rejecting them', () => {
    expect(parseCidr('10.0.0.5/24')?.hostBitsSet).toBe(true);
    expect(parseCidr('10.0.0.0/24')?.hostBitsSet).toBe(false);
  });

  it('formats IPv6 addresses as ipaddr.js does (RFC 5952) and parses them back', () => {
    fc.assert(
      // Groups biased towards zero, so runs of zeros (where RFC 5952 has its rules) are common.
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }),
        (groups) => {
          const value = groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
          const text = formatAddress(6, value);
          expect(parseAddress(text)).toEqual({ family: 6, value });
          expect(text).toBe(ipaddr.parse(text).toString());
        },
      ),
    );
  });

  it('merges overlapping and adjacent ranges', () => {
    expect(
      mergeRanges([
        [10n, 20n],
        [0n, 4n],
        [5n, 7n],
        [15n, 30n],
        [40n, 41n],
      ]),
    ).toEqual([
      [0n, 7n],
      [10n, 30n],
      [40n, 41n],
    ]);
  });
});
