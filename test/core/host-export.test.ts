import { describe, expect, it } from 'vitest';
import {
  checkNginxOptions,
  checkSetName,
  HostExportError,
  ipsetHashsize,
  ipsetMaxelem,
  renderIpset,
  renderNftables,
  renderNginx,
} from '../../lambda/core/host-export';
import { type Cidr, parseCidr } from '../../lambda/core/prefix';
import { PrefixSet } from '../../lambda/core/prefix-set';

// Two /25s re-aggregate to one /24; the IPv6 /48 stays; 9.9.9.9 is a host.
const SET = PrefixSet.parse(['198.51.100.0/25', '198.51.100.128/25', '9.9.9.9/32', '2001:db8:1::/48']);
const HEADER = { from: ['partners.txt'], serial: 7 };
const cidrs = (...texts: string[]): Cidr[] => texts.map((t) => parseCidr(t));

describe('renderIpset', () => {
  it('fills a _next set per family and swaps it with the live one, creating the live one if missing', () => {
    expect(renderIpset(SET, { name: 'partners' }, HEADER)).toBe(
      [
        '# allowlist-sync export --to ipset: 2 IPv4 and 1 IPv6 prefixes',
        '# from partners.txt',
        '# serial 7',
        '# generated: edits are overwritten by the next export',
        'create partners_v4 hash:net family inet hashsize 1024 maxelem 1048576 -exist',
        'create partners_v4_next hash:net family inet hashsize 1024 maxelem 1048576 -exist',
        'flush partners_v4_next',
        'add partners_v4_next 9.9.9.9/32',
        'add partners_v4_next 198.51.100.0/24',
        'swap partners_v4_next partners_v4',
        'destroy partners_v4_next',
        'create partners_v6 hash:net family inet6 hashsize 1024 maxelem 1048576 -exist',
        'create partners_v6_next hash:net family inet6 hashsize 1024 maxelem 1048576 -exist',
        'flush partners_v6_next',
        'add partners_v6_next 2001:db8:1::/48',
        'swap partners_v6_next partners_v6',
        'destroy partners_v6_next',
        '',
      ].join('\n'),
    );
  });

  it('still swaps in an empty set for a family that left the list, so the host drops it too', () => {
    const text = renderIpset(PrefixSet.parse(['9.9.9.9/32']), { name: 'p' }, { from: [] });
    expect(text).toContain('flush p_v6_next\nswap p_v6_next p_v6\ndestroy p_v6_next\n');
    expect(text).not.toContain('add p_v6_next');
    expect(text).not.toContain('# from');
  });

  it.each([
    [0, 1024, 1_048_576],
    [4096, 1024, 1_048_576],
    [4097, 2048, 1_048_576],
    [1_000_000, 262_144, 1_048_576],
    [1_048_577, 524_288, 2_097_152],
  ])('sizes %i prefixes with hashsize %i and maxelem %i', (count, hashsize, maxelem) => {
    expect(ipsetHashsize(count)).toBe(hashsize);
    expect(ipsetMaxelem(count)).toBe(maxelem);
  });
});

describe('renderNftables', () => {
  it('declares the table and interval sets if missing, then flushes and refills each set', () => {
    expect(renderNftables(SET, { name: 'partners', table: 'filter' }, { from: ['s3://b/k'] })).toBe(
      [
        '# allowlist-sync export --to nftables: 2 IPv4 and 1 IPv6 prefixes',
        '# from s3://b/k',
        '# generated: edits are overwritten by the next export',
        'add table inet filter',
        'add set inet filter partners_v4 { type ipv4_addr; flags interval; }',
        'add set inet filter partners_v6 { type ipv6_addr; flags interval; }',
        'flush set inet filter partners_v4',
        'add element inet filter partners_v4 {',
        '  9.9.9.9/32,',
        '  198.51.100.0/24,',
        '}',
        'flush set inet filter partners_v6',
        'add element inet filter partners_v6 {',
        '  2001:db8:1::/48,',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('leaves a family with no prefix flushed (nft refuses an empty element list)', () => {
    const text = renderNftables(PrefixSet.parse(['2001:db8::/32']), { name: 'x', table: 't' }, { from: [] });
    expect(text).toContain('flush set inet t x_v4\nflush set inet t x_v6\nadd element inet t x_v6 {');
  });
});

describe('renderNginx', () => {
  it('allows each prefix and denies the rest', () => {
    expect(renderNginx(SET, { realIpFrom: [] }, { from: ['a.txt', 'b.txt'] })).toBe(
      [
        '# allowlist-sync export --to nginx: 2 IPv4 and 1 IPv6 prefixes',
        '# from a.txt, b.txt',
        '# generated: edits are overwritten by the next export',
        'allow 9.9.9.9/32;',
        'allow 198.51.100.0/24;',
        'allow 2001:db8:1::/48;',
        'deny all;',
        '',
      ].join('\n'),
    );
  });

  it.each([
    [{ realIpFrom: cidrs('10.0.0.0/16') }, ['set_real_ip_from 10.0.0.0/16;', 'real_ip_header X-Forwarded-For;']],
    [
      { realIpFrom: cidrs('10.0.0.0/16', 'fd00::/8'), realIpHeader: 'X-Real-IP', realIpRecursive: true },
      [
        'set_real_ip_from 10.0.0.0/16;',
        'set_real_ip_from fd00::/8;',
        'real_ip_header X-Real-IP;',
        'real_ip_recursive on;',
      ],
    ],
    [
      { realIpFrom: cidrs('127.0.0.1/32'), realIpHeader: 'proxy_protocol' },
      ['set_real_ip_from 127.0.0.1/32;', 'real_ip_header proxy_protocol;'],
    ],
  ])('writes the realip lines before the allow lines (%j)', (options, lines) => {
    const text = renderNginx(SET, options, { from: [] });
    const body = text.split('\n').filter((l) => !l.startsWith('#'));
    expect(body.slice(0, lines.length)).toEqual(lines);
    expect(body.slice(lines.length, -1)).toEqual([
      'allow 9.9.9.9/32;',
      'allow 198.51.100.0/24;',
      'allow 2001:db8:1::/48;',
      'deny all;',
    ]);
  });

  it('refuses a trusted proxy range that the allowlist admits: a request without the header would pass', () => {
    expect(() => renderNginx(SET, { realIpFrom: cidrs('198.51.100.64/26') }, { from: [] })).toThrow(
      '--real-ip-from "198.51.100.64/26": the allowlist admits 198.51.100.64/26 inside this trusted proxy range',
    );
  });
});

describe('option checks', () => {
  it.each([
    ['ipset', 'partners', undefined],
    ['ipset', 'a'.repeat(23), undefined],
    ['ipset', 'a'.repeat(24), '24 characters; ipset names are at most 31'],
    ['nftables', 'a'.repeat(24), undefined],
    ['ipset', 'partners-eu', 'a set name is a letter followed by letters, digits or "_"; e.g. --name partners_eu'],
    ['nftables', '1st', 'e.g. --name st'],
    ['ipset', 'x;rm', 'e.g. --name x_rm'],
  ] as const)('checkSetName(%s, %s) → %s', (format, name, problem) => {
    const check = () => checkSetName(format, name);
    if (problem === undefined) expect(check).not.toThrow();
    else expect(check).toThrow(problem);
  });

  it.each([
    [{ realIpFrom: cidrs('0.0.0.0/0') }, '--real-ip-from "0.0.0.0/0": trusting every address'],
    [{ realIpFrom: cidrs('::/0') }, '--real-ip-from "::/0"'],
    [{ realIpFrom: [], realIpHeader: 'X-Forwarded-For' }, '--real-ip-header "X-Forwarded-For": a header is only read'],
    [{ realIpFrom: cidrs('10.0.0.0/8'), realIpHeader: 'X Forwarded' }, '--real-ip-header "X Forwarded": not a header'],
  ])('checkNginxOptions refuses %j', (options, message) => {
    expect(() => checkNginxOptions(options)).toThrow(HostExportError);
    expect(() => checkNginxOptions(options)).toThrow(message);
  });

  it('renders the same bytes for the same list (no time in the output), so a hook can reload on change only', () => {
    const again = PrefixSet.parse(['2001:db8:1::/48', '9.9.9.9/32', '198.51.100.0/24']);
    expect(renderNginx(again, { realIpFrom: [] }, HEADER)).toBe(renderNginx(SET, { realIpFrom: [] }, HEADER));
    expect(renderIpset(again, { name: 'p' }, HEADER)).toBe(renderIpset(SET, { name: 'p' }, HEADER));
  });
});
