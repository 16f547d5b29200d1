import { describe, expect, it } from 'vitest';
import { type Policy, PolicySchema } from '../../lambda/config';
import { parseText } from '../../lambda/core/formats';
import { findPolicyViolations, MAX_VIOLATIONS, type PolicyRelaxations } from '../../lambda/core/policy';
import { SPECIAL_RANGES_V4, SPECIAL_RANGES_V6 } from '../../lambda/core/special-ranges';

const now = new Date('2026-06-01T00:00:00Z');
const defaults = PolicySchema.parse({});

function violations(lines: string[], policy: Partial<Policy> = {}, relax: PolicyRelaxations = {}) {
  const parsed = parseText('list.txt', new TextEncoder().encode(lines.join('\n')), { now });
  return findPolicyViolations([{ ...parsed, expiredCount: 0 }], { ...defaults, ...policy }, relax).violations;
}

const codes = (lines: string[], policy: Partial<Policy> = {}) => violations(lines, policy).map((v) => v.code);

describe('entry policy', () => {
  it.each([
    ['0.0.0.0/0', ['slash-zero']],
    ['::/0', ['slash-zero']],
    ['11.0.0.0/8', ['too-broad']],
    ['11.0.0.0/16', []],
    ['2600::/31', ['too-broad']],
    ['2600::/32', []],
    ['0.0.0.0/1', ['too-broad', 'special-purpose']],
    ['10.0.0.0/8', ['too-broad', 'private']],
    ['10.1.0.0/16', ['private']],
    ['172.16.5.0/24', ['private']],
    ['192.168.1.1', ['private']],
    ['fd00::/8', ['too-broad', 'private']],
    ['fd12:3456::/32', ['private']],
    ['127.0.0.1', ['special-purpose']],
    ['169.254.169.254', ['special-purpose']],
    ['224.0.0.1', ['special-purpose']],
    ['240.0.0.0/16', ['special-purpose']],
    ['255.255.255.255', ['special-purpose']],
    ['192.0.2.10', ['special-purpose']],
    ['198.51.100.0/24', ['special-purpose']],
    ['203.0.113.99', ['special-purpose']],
    ['198.18.0.0/16', ['special-purpose']],
    ['100.64.1.1', ['special-purpose']],
    ['192.0.0.8', ['special-purpose']],
    ['0.1.2.3', ['special-purpose']],
    ['::', ['special-purpose']],
    ['::1', ['special-purpose']],
    ['::ffff:1.2.3.4', ['special-purpose']],
    ['fe80::1', ['special-purpose']],
    ['ff02::1', ['special-purpose']],
    ['100::/64', ['special-purpose']],
    ['2001:db8::/32', ['special-purpose']],
    ['3fff:1::/32', ['special-purpose']],
    ['2001:2::/48', ['special-purpose']],
    ['8.8.8.8', []],
    ['172.32.0.0/16', []],
    ['100.128.0.0/16', []],
    ['64:ff9b::/96', []],
    ['2001:4860::/32', []],
  ])('%s → %j', (line, expected) => {
    expect(codes([line])).toEqual(expected);
  });

  it('admits private ranges when allowPrivate is set, and nothing else special', () => {
    expect(codes(['10.1.0.0/16', 'fd12:3456::/32', '192.168.0.1'], { allowPrivate: true })).toEqual([]);
    expect(codes(['127.0.0.1', '169.254.169.254'], { allowPrivate: true })).toEqual([
      'special-purpose',
      'special-purpose',
    ]);
  });

  it('lowers the floors when told, but never admits /0', () => {
    const cdn = { minPrefixLength: { ipv4: 8, ipv6: 12 } };
    expect(codes(['11.0.0.0/8', '2600::/12'], cdn)).toEqual([]);
    expect(codes(['0.0.0.0/0', '::/0'], { minPrefixLength: { ipv4: 1, ipv6: 1 } })).toEqual([
      'slash-zero',
      'slash-zero',
    ]);
  });

  it('names the metadata address, the range, its registry name and the line', () => {
    const [v] = violations(['8.8.8.8', '169.254.169.254/32']);
    expect(v!.origin).toEqual({ source: 'list.txt', line: 2 });
    expect(v!.message).toContain('"169.254.169.254/32" is inside 169.254.0.0/16, Link Local (RFC 3927)');
    expect(v!.message).toContain('169.254.169.254, the EC2 instance metadata service');
  });

  it('tells the writer of an IPv4-mapped address to write the IPv4 address instead', () => {
    const [v] = violations(['::ffff:203.0.113.9']);
    expect(v!.message).toContain('IPv4-mapped');
    expect(v!.message).toContain('write 203.0.113.9/32 in the list instead');
  });

  // Issue 10: the advice used to suggest 192.0.2.1/32, a documentation range this very policy refuses.
  it.each([
    ['::ffff:52.94.76.1', '52.94.76.1/32'],
    ['::ffff:52.94.76.0/120', '52.94.76.0/24'],
    ['::ffff:8.8.0.0/112', '8.8.0.0/16'],
  ])('advises for %s a value the policy accepts (%s)', (entry, expected) => {
    const [v] = violations([entry]);
    const advised = /write (\S+) in the list instead/.exec(v!.message)?.[1];
    expect(advised).toBe(expected);
    expect(violations([advised!])).toEqual([]);
  });

  it('never advises a documentation range for a mapped range it cannot translate', () => {
    const [v] = violations(['::fffe:0:0/95'], { minPrefixLength: { ipv4: 16, ipv6: 1 } });
    expect(v!.message).toContain('IPv4-mapped');
    expect(v!.message).not.toMatch(/192\.0\.2|198\.51\.100|203\.0\.113/);
  });

  it('explains how to lower a floor', () => {
    const [v] = violations(['104.16.0.0/13']);
    expect(v!.message).toBe(
      '"104.16.0.0/13" is broader than the IPv4 floor /16 (policy minPrefixLength.ipv4): it admits 524,288 addresses; if that is meant (a CDN feed), lower the floor',
    );
  });

  it('refuses an empty or comment-only list unless allowEmpty', () => {
    expect(codes([])).toEqual(['empty']);
    expect(codes(['# only a comment', ''])).toEqual(['empty']);
    expect(violations(['# x'])[0]!.message).toContain(
      'the allowlist is empty: refusing, because applying it would remove every entry; set allowEmpty if you mean it',
    );
    expect(codes([], { allowEmpty: true })).toEqual([]);
  });

  it('refuses one empty source among several', () => {
    const a = parseText('a.txt', new TextEncoder().encode('8.8.8.8'), { now });
    const b = parseText('b.txt', new TextEncoder().encode('# emptied'), { now });
    const found = findPolicyViolations([a, b], defaults).violations;
    expect(found.map((v) => [v.origin.source, v.code])).toEqual([['b.txt', 'empty']]);
  });

  it('counts entries before aggregation against maxEntries', () => {
    expect(codes(['8.8.8.8', '8.8.8.8', '8.8.8.9'], { maxEntries: 2 })).toEqual(['too-many']);
    expect(codes(['8.8.8.8', '8.8.8.9'], { maxEntries: 2 })).toEqual([]);
  });

  it(`lists at most ${MAX_VIOLATIONS} violations and says so`, () => {
    const parsed = parseText(
      'big',
      new TextEncoder().encode(Array.from({ length: 300 }, (_, i) => `10.0.${i % 256}.${i >> 8}`).join('\n')),
      { now },
    );
    const result = findPolicyViolations([parsed], defaults);
    expect(result.violations).toHaveLength(MAX_VIOLATIONS);
    expect(result.truncated).toBe(true);
  });

  it('lets the CLI relax special-purpose ranges explicitly, never /0 or the floors', () => {
    expect(violations(['127.0.0.1', '10.0.0.0/16'], {}, { allowSpecialPurpose: true })).toEqual([]);
    expect(violations(['0.0.0.0/0', '11.0.0.0/8'], {}, { allowSpecialPurpose: true }).map((v) => v.code)).toEqual([
      'slash-zero',
      'too-broad',
    ]);
  });

  it('builds its table from canonical CIDRs whose bounds match their text', () => {
    for (const r of SPECIAL_RANGES_V4) {
      const length = Number(r.cidr.split('/')[1]);
      expect(r.end[0]! - r.start[0]! + 1).toBe(2 ** (32 - length));
    }
    for (const r of SPECIAL_RANGES_V6) {
      const length = Number(r.cidr.split('/')[1]);
      const big = (w: Uint32Array) => w.reduce((n, x) => (n << 32n) | BigInt(x), 0n);
      expect(big(r.end) - big(r.start) + 1n).toBe(1n << BigInt(128 - length));
    }
  });
});
