import { describe, expect, it } from 'vitest';
import { cidrFamily, cidrLength, type PrefixSyntaxError, parseCidr } from '../../lambda/core/prefix';

function failure(text: string, options = {}): PrefixSyntaxError {
  try {
    parseCidr(text, options);
  } catch (error) {
    return error as PrefixSyntaxError;
  }
  throw new Error(`expected "${text}" to be refused`);
}

describe('parseCidr: IPv4 strictness', () => {
  it.each([
    ['10.1', 'ipv4-parts'],
    ['10.1.2', 'ipv4-parts'],
    ['1.2.3.4.5', 'ipv4-parts'],
    ['010.0.0.1', 'ipv4-leading-zero'],
    ['1.2.3.04', 'ipv4-leading-zero'],
    ['00.0.0.0', 'ipv4-leading-zero'],
    ['0x0a.0.0.1', 'syntax'],
    ['256.0.0.0', 'ipv4-octet'],
    ['1.2.3.256', 'ipv4-octet'],
    ['1.2.3.1000', 'ipv4-octet'],
    ['1.2..4', 'ipv4-parts'],
    ['.1.2.3', 'ipv4-parts'],
    ['1.2.3.', 'ipv4-parts'],
    ['1.2.3.4/', 'length-syntax'],
    ['/24', 'syntax'],
    ['1.2.3.4/033', 'length-syntax'],
    ['1.2.3.4/00', 'length-syntax'],
    ['1.2.3.4/33', 'length-range'],
    ['1.2.3.4/1000', 'length-syntax'],
    ['1.2.3.4/-1', 'length-syntax'],
    ['1.2.3.4/ 24', 'length-syntax'],
    [' 1.2.3.4', 'syntax'],
    ['1.2.3.4 ', 'syntax'],
    ['1.2. 3.4', 'syntax'],
    ['1.2.3.4%eth0', 'zone-id'],
    ['', 'empty'],
    ['hello', 'syntax'],
    ['1.2.3.4/24/8', 'length-syntax'],
  ])('refuses %j (%s)', (text, code) => {
    expect(failure(text).code).toBe(code);
  });

  it.each([
    ['0.0.0.0', '0.0.0.0/32'],
    ['255.255.255.255', '255.255.255.255/32'],
    ['1.2.3.4', '1.2.3.4/32'],
    ['1.2.3.4/32', '1.2.3.4/32'],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['128.0.0.0/1', '128.0.0.0/1'],
    ['100.64.0.0/10', '100.64.0.0/10'],
  ])('accepts %j as %s', (text, canonical) => {
    expect(parseCidr(text)).toBe(canonical);
  });

  it('says "64.0.0.0/35" is not a prefix, never reading it as /3', () => {
    expect(failure('64.0.0.0/35').message).toBe('"64.0.0.0/35" is not a prefix: IPv4 prefix length is 0–32');
  });
});

describe('parseCidr: IPv6 text forms (RFC 4291)', () => {
  it.each([
    ['::', '::/128'],
    ['::1', '::1/128'],
    ['1::', '1::/128'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8/128'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1/128'],
    ['2001:DB8::ABCD', '2001:db8::abcd/128'],
    ['0001:0002::', '1:2::/128'],
    ['::1.2.3.4', '::102:304/128'],
    ['64:ff9b::1.2.3.4', '64:ff9b::102:304/128'],
    ['::ffff:1.2.3.4', '::ffff:102:304/128'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304/128'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['::/0', '::/0'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128'],
    ['1:0:0:0:0:0:0:8', '1::8/128'],
  ])('accepts %j as %s', (text, canonical) => {
    expect(parseCidr(text)).toBe(canonical);
  });

  it.each([
    ['1::2::3', 'ipv6-syntax'],
    ['1:2:3:4:5:6:7:8:9', 'ipv6-syntax'],
    ['1:2:3:4:5:6:7', 'ipv6-syntax'],
    ['12345::', 'ipv6-syntax'],
    [':1', 'ipv6-syntax'],
    ['1:', 'ipv6-syntax'],
    [':::', 'ipv6-syntax'],
    ['1:2:3:4:5:6:7::8', 'ipv6-syntax'],
    ['fe80::1%eth0', 'zone-id'],
    ['g::', 'ipv6-syntax'],
    ['::1.2.3', 'ipv6-syntax'],
    ['::1.2.3.4.5', 'ipv6-syntax'],
    ['::01.2.3.4', 'ipv6-syntax'],
    ['1.2.3.4::', 'syntax'],
    ['::/129', 'length-range'],
    ['::/01', 'length-syntax'],
  ])('refuses %j (%s)', (text, code) => {
    expect(failure(text).code).toBe(code);
  });
});

describe('parseCidr: RFC 5952 printing', () => {
  it.each([
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1/128', 'the first of two equal zero runs is compressed'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1/128', 'the longest zero run is compressed'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1/128', 'a single zero group is not compressed'],
    ['2001:DB8::A', '2001:db8::a/128', 'hex digits are lower case'],
    ['0:0:0:0:0:0:0:0', '::/128', 'all zeros is ::'],
    ['0:0:0:0:0:0:0:1', '::1/128', 'a leading run is compressed'],
    ['1:0:0:0:0:0:0:0', '1::/128', 'a trailing run is compressed'],
    ['0:1:0:1:0:1:0:1', '0:1:0:1:0:1:0:1/128', 'no run of two'],
  ])('prints %j as %s (%s)', (text, canonical) => {
    expect(parseCidr(text)).toBe(canonical);
  });
});

describe('parseCidr: host bits and bare addresses', () => {
  it.each([
    ['11.0.0.5/24', '11.0.0.0/24'],
    ['2001:db8::1/32', '2001:db8::/32'],
    ['255.255.255.255/1', '128.0.0.0/1'],
    ['ffff::/1', '8000::/1'],
    ['1.2.3.4/0', '0.0.0.0/0'],
  ])('refuses %j by default and masks it to %s on request', (text, masked) => {
    const error = failure(text);
    expect(error.code).toBe('host-bits');
    expect(error.message).toContain(`did you mean ${masked}`);
    expect(parseCidr(text, { maskHostBits: true })).toBe(masked);
  });

  it.each([
    ['1.2.3.4', 4, 32],
    ['2001:db8::1', 6, 128],
  ] as const)('reads the bare address %j as a host prefix', (text, family, length) => {
    const cidr = parseCidr(text);
    expect(cidrFamily(cidr)).toBe(family);
    expect(cidrLength(cidr)).toBe(length);
  });
});
