import { describe, expect, it } from 'vitest';
import { ParseError } from '../../lambda/core/errors';
import { MAX_PROBLEMS, type ParsedSource, parseSource, parseText } from '../../lambda/core/formats';
import { formatScratch, formatV6, parsePrefixBytes } from '../../lambda/core/prefix';
import { PrefixSet } from '../../lambda/core/prefix-set';

const now = new Date('2026-06-01T00:00:00Z');
const bytes = (text: string) => new TextEncoder().encode(text);
const cidrsOf = (parsed: ParsedSource) => PrefixSet.fromEntries([parsed.entries]).toCidrs();

function parseError(run: () => unknown): ParseError {
  try {
    run();
  } catch (error) {
    if (error instanceof ParseError) return error;
    throw error;
  }
  throw new Error('expected a ParseError');
}

/** The prefixes of a buffer in input order, with their origins. */
function entriesOf(parsed: ParsedSource): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const e = parsed.entries;
  for (let i = 0; i < e.v4Count; i++) {
    const n = e.v4Address[i]!;
    const where = parsed.describe(e.v4Origin[i]!);
    out.push([
      `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${e.v4Length[i]}`,
      String(where.line ?? where.path),
    ]);
  }
  for (let i = 0; i < e.v6Count; i++) {
    const where = parsed.describe(e.v6Origin[i]!);
    out.push([`${formatV6(e.v6Words.subarray(4 * i, 4 * i + 4))}/${e.v6Length[i]}`, String(where.line ?? where.path)]);
  }
  return out;
}

describe('text format', () => {
  it.each([
    [
      'comments, blanks and trailing comments',
      '# header\n\n1.2.3.4 # office\n  # indented comment\n5.6.7.0/24\n',
      ['1.2.3.4/32', '5.6.7.0/24'],
    ],
    ['CRLF line ends', '1.2.3.4\r\n5.6.7.8\r\n', ['1.2.3.4/32', '5.6.7.8/32']],
    ['a UTF-8 BOM', '\uFEFF1.2.3.4\n', ['1.2.3.4/32']],
    ['spaces and tabs around entries', ' \t1.2.3.4\t \n\t2001:db8::/32  \r\n', ['1.2.3.4/32', '2001:db8::/32']],
    ['no final newline', '1.2.3.4', ['1.2.3.4/32']],
    ['a comment straight after the prefix', '1.2.3.4/32#x\n', ['1.2.3.4/32']],
    ['only comments', '# nothing\n#\n', []],
    ['an empty file', '', []],
  ])('reads %s', (_what, text, expected) => {
    expect(cidrsOf(parseText('t', bytes(text), { now }))).toEqual(expected);
  });

  it('keeps every IPv6 line of a mixed file, with its line number', () => {
    const lines = ['1.2.3.4', '2001:db8::1', '# c', '5.6.7.8', '2001:db8:1::/48', '::ffff:1.2.3.4', 'fe80::/10'];
    const parsed = parseText('mixed', bytes(lines.join('\n')), { now });
    expect(parsed.entries.v4Count).toBe(2);
    expect(parsed.entries.v6Count).toBe(4);
    expect(Array.from(parsed.entries.v6Origin.subarray(0, 4))).toEqual([2, 5, 6, 7]);
    expect(entriesOf(parsed).map(([, line]) => line)).toEqual(['1', '4', '2', '5', '6', '7']);
  });

  it('lists every bad line at once, each with its line number and message, and keeps nothing', () => {
    const text = '1.2.3.4\n64.0.0.0/35\n10.1\n# fine\n11.0.0.5/24\n2001:db8::/32\n1::2::3\n';
    const error = parseError(() => parseText('list.txt', bytes(text), { now }));
    expect(error.problems.map((p) => [p.origin.line, p.code])).toEqual([
      [2, 'length-range'],
      [3, 'ipv4-parts'],
      [5, 'host-bits'],
      [7, 'ipv6-syntax'],
    ]);
    expect(error.problems[0]!.message).toBe('"64.0.0.0/35" is not a prefix: IPv4 prefix length is 0–32');
    expect(error.problems[2]!.message).toContain('did you mean 11.0.0.0/24');
    expect(error.truncated).toBe(false);
  });

  it('masks host bits when asked', () => {
    expect(cidrsOf(parseText('t', bytes('11.0.0.5/24\n'), { now, maskHostBits: true }))).toEqual(['11.0.0.0/24']);
  });

  it(`stops at ${MAX_PROBLEMS} problems and says the list was truncated`, () => {
    const text = Array.from({ length: 500 }, (_, i) => `bad${i}`).join('\n');
    const error = parseError(() => parseText('big', bytes(text), { now }));
    expect(error.problems).toHaveLength(MAX_PROBLEMS);
    expect(error.truncated).toBe(true);
    expect(error.message).toContain(`${MAX_PROBLEMS}+ malformed entries`);
  });

  it.each([
    ['a NUL byte', '1.2.3.4\n1.2.\u00003.4\n', 2, 'NUL'],
    ['a stray CR inside a line', '1.2.3.4\r5.6.7.8\n', 1, 'CR'],
    ['an escape character', '\u001b[31m1.2.3.4\n', 1, '0x1b'],
  ])('refuses %s, naming the line', (_what, text, line, name) => {
    const error = parseError(() => parseText('bin', bytes(text), { now }));
    expect(error.problems[0]!.origin.line).toBe(line);
    expect(error.problems[0]!.code).toBe('control-character');
    expect(error.problems[0]!.message).toContain(`control character ${name}`);
  });

  it('refuses a UTF-16 file with a clear message', () => {
    const error = parseError(() => parseText('u16', Uint8Array.of(0xff, 0xfe, 0x31, 0), { now }));
    expect(error.problems[0]!.message).toContain('UTF-16');
  });

  it('agrees with parsePrefixBytes on a single line', () => {
    const line = bytes('2001:DB8:0:0::/64');
    expect(parsePrefixBytes(line, 0, line.length)).toBe(6);
    expect(cidrsOf(parseText('t', line, { now }))).toEqual([formatScratch(6)]);
  });
});

describe('allowlist (structured) format', () => {
  const doc = (value: unknown) => bytes(JSON.stringify(value));
  const parse = (value: unknown) => parseSource('doc.json', doc(value), { type: 'allowlist' }, { now });

  it('keeps entries, notes and owners by canonical prefix, and the serial and generation time', () => {
    const parsed = parse({
      version: 1,
      serial: 7,
      generatedAt: '2026-05-31T12:00:00+02:00',
      entries: [
        { prefix: '203.0.113.7', note: 'partner A', owner: 'team-a' },
        { prefix: '2001:DB8::/48', note: 'partner B' },
        { prefix: '198.51.100.0/24' },
      ],
    });
    expect(cidrsOf(parsed)).toEqual(['198.51.100.0/24', '203.0.113.7/32', '2001:db8::/48']);
    expect(parsed.notes.get('203.0.113.7/32' as never)).toEqual({ note: 'partner A', owner: 'team-a' });
    expect(parsed.notes.get('2001:db8::/48' as never)).toEqual({ note: 'partner B' });
    expect(parsed.serial).toBe(7);
    expect(parsed.generatedAt).toBe('2026-05-31T12:00:00+02:00');
  });

  it('leaves out expired entries (expires ≤ now) and reports prefix, where and when', () => {
    const parsed = parse({
      version: 1,
      entries: [
        { prefix: '1.2.3.4', expires: '2026-06-01T00:00:00Z' },
        { prefix: '5.6.7.8', expires: '2026-06-01T00:00:01Z' },
        { prefix: '9.9.9.0/24', expires: '2020-01-01T00:00:00-05:00' },
      ],
    });
    expect(cidrsOf(parsed)).toEqual(['5.6.7.8/32']);
    expect(parsed.expired).toEqual([
      { prefix: '1.2.3.4/32', where: 'doc.json:entries[0]', expires: '2026-06-01T00:00:00Z' },
      { prefix: '9.9.9.0/24', where: 'doc.json:entries[2]', expires: '2020-01-01T00:00:00-05:00' },
    ]);
  });

  it.each([
    ['an unknown top-level field', { version: 1, entries: [], extra: 1 }, '(root)'],
    ['an unknown entry field', { version: 1, entries: [{ prefix: '1.2.3.4', comment: 'x' }] }, 'entries[0]'],
    ['a wrong version', { version: 2, entries: [] }, 'version'],
    [
      'an expiry that is not RFC 3339',
      { version: 1, entries: [{ prefix: '1.2.3.4', expires: 'tomorrow' }] },
      'entries[0].expires',
    ],
    ['a missing prefix', { version: 1, entries: [{ note: 'x' }] }, 'entries[0].prefix'],
  ])('refuses %s, naming the field', (_what, value, path) => {
    const error = parseError(() => parse(value));
    expect(error.problems.map((p) => p.origin.path)).toContain(path);
  });

  it('refuses a bad prefix at its JSON path, even in an expired entry', () => {
    const error = parseError(() =>
      parse({ version: 1, entries: [{ prefix: '1.2.3.4' }, { prefix: '10.1', expires: '2020-01-01T00:00:00Z' }] }),
    );
    expect(error.problems.map((p) => [p.origin.path, p.code])).toEqual([['entries[1].prefix', 'ipv4-parts']]);
  });

  it.each([
    ['truncated JSON', '{"version": 1, "entries": [', 'truncated'],
    ['a syntax error', '{"version": 1,\n "entries": [}\n', 'line 2'],
  ])('refuses %s, naming the position', (_what, text, mentions) => {
    const error = parseError(() => parseSource('doc.json', bytes(text), { type: 'allowlist' }, { now }));
    expect(error.problems[0]!.code).toBe('json');
    expect(error.problems[0]!.message).toContain(mentions);
  });
});

describe('aws-ip-ranges format', () => {
  const doc = bytes(
    JSON.stringify({
      syncToken: '1',
      createDate: '2026-01-01-00-00-00',
      prefixes: [
        { ip_prefix: '3.5.140.0/22', region: 'ap-northeast-2', service: 'AMAZON', network_border_group: 'x' },
        { ip_prefix: '3.5.140.0/22', region: 'ap-northeast-2', service: 'EC2', network_border_group: 'x' },
        { ip_prefix: '15.230.0.0/24', region: 'us-east-1', service: 'EC2', network_border_group: 'x' },
      ],
      ipv6_prefixes: [
        { ipv6_prefix: '2600:1f00::/40', region: 'us-east-1', service: 'EC2', network_border_group: 'x' },
        { ipv6_prefix: '2a05:d000::/40', region: 'eu-west-1', service: 'AMAZON', network_border_group: 'x' },
      ],
    }),
  );

  it.each([
    [{}, ['3.5.140.0/22', '15.230.0.0/24', '2600:1f00::/40', '2a05:d000::/40']],
    [{ services: ['EC2'] }, ['3.5.140.0/22', '15.230.0.0/24', '2600:1f00::/40']],
    [{ services: ['EC2'], regions: ['us-east-1'] }, ['15.230.0.0/24', '2600:1f00::/40']],
    [{ regions: ['eu-west-1'] }, ['2a05:d000::/40']],
  ])('filters by %j in both families', (filter, expected) => {
    const parsed = parseSource('ip-ranges.json', doc, { type: 'aws-ip-ranges', ...filter }, { now });
    expect(cidrsOf(parsed)).toEqual(expected);
  });

  it('names a service that does not occur and lists those that do', () => {
    const error = parseError(() => parseSource('r.json', doc, { type: 'aws-ip-ranges', services: ['ec2'] }, { now }));
    expect(error.problems[0]!.message).toBe('service "ec2" does not occur in this document; it has: AMAZON, EC2');
  });

  it('points a bad prefix at its JSON path', () => {
    const bad = bytes(
      JSON.stringify({
        prefixes: [{ ip_prefix: '3.5.140.1/22', region: 'r', service: 's' }],
        ipv6_prefixes: [{ ipv6_prefix: '1.2.3.4/32', region: 'r', service: 's' }],
      }),
    );
    const error = parseError(() => parseSource('r.json', bad, { type: 'aws-ip-ranges' }, { now }));
    expect(error.problems.map((p) => [p.origin.path, p.code])).toEqual([
      ['prefixes[0].ip_prefix', 'host-bits'],
      ['ipv6_prefixes[0].ipv6_prefix', 'family'],
    ]);
  });
});

describe('google format', () => {
  const cloud = bytes(
    JSON.stringify({
      prefixes: [
        { ipv4Prefix: '34.80.0.0/15', service: 'Google Cloud', scope: 'asia-east1' },
        { ipv6Prefix: '2600:1900:4030::/44', service: 'Google Cloud', scope: 'asia-east1' },
        { ipv4Prefix: '35.185.128.0/19', service: 'Google Cloud', scope: 'us-east1' },
      ],
    }),
  );

  it('reads both families and filters by scope', () => {
    expect(cidrsOf(parseSource('c.json', cloud, { type: 'google' }, { now }))).toHaveLength(3);
    expect(cidrsOf(parseSource('c.json', cloud, { type: 'google', scopes: ['asia-east1'] }, { now }))).toEqual([
      '34.80.0.0/15',
      '2600:1900:4030::/44',
    ]);
  });

  it('refuses an entry with both or neither prefix field, and an unknown scope', () => {
    const bad = bytes(JSON.stringify({ prefixes: [{ ipv4Prefix: '1.2.3.4/32', ipv6Prefix: '::1/128' }, {}] }));
    expect(parseError(() => parseSource('g', bad, { type: 'google' }, { now })).problems).toHaveLength(2);
    const error = parseError(() => parseSource('c', cloud, { type: 'google', scopes: ['mars-1'] }, { now }));
    expect(error.problems[0]!.message).toContain('it has: asia-east1, us-east1');
  });

  it('names the field of a bad prefix by its JSON path, and each entry keeps its origin', () => {
    const bad = bytes(JSON.stringify({ prefixes: [{ ipv6Prefix: '10.0.0.0/8' }, { ipv4Prefix: '10.1/16' }] }));
    const error = parseError(() => parseSource('g', bad, { type: 'google' }, { now }));
    expect(error.problems.map((p) => [p.origin.path, p.code])).toEqual([
      ['prefixes[0].ipv6Prefix', 'family'],
      ['prefixes[1].ipv4Prefix', 'ipv4-parts'],
    ]);
    const parsed = parseSource('c.json', cloud, { type: 'google' }, { now });
    expect(parsed.describe(parsed.entries.v6Origin[0]!)).toEqual({ source: 'c.json', path: 'prefixes[1].ipv6Prefix' });
  });
});

describe('github-meta format', () => {
  const meta = bytes(
    JSON.stringify({
      verifiable_password_authentication: false,
      ssh_keys: ['ssh-ed25519 AAAA'],
      hooks: ['192.30.252.0/22', '2a0a:a440::/29'],
      web: ['140.82.112.0/20'],
      actions: ['4.148.0.0/16'],
      domains: { website: ['*.github.com'] },
    }),
  );

  it('keeps the chosen keys, each entry with its key and index as origin', () => {
    const parsed = parseSource('meta.json', meta, { type: 'github-meta', keys: ['hooks', 'actions'] }, { now });
    expect(cidrsOf(parsed)).toEqual(['4.148.0.0/16', '192.30.252.0/22', '2a0a:a440::/29']);
    expect(parsed.describe(parsed.entries.v6Origin[0]!)).toEqual({ source: 'meta.json', path: 'hooks[1]' });
    expect(parsed.describe(parsed.entries.v4Origin[1]!)).toEqual({ source: 'meta.json', path: 'actions[0]' });
  });

  it('names an unknown key and the keys that exist', () => {
    const error = parseError(() => parseSource('meta.json', meta, { type: 'github-meta', keys: ['hook'] }, { now }));
    expect(error.problems[0]!.message).toBe(
      'key "hook" is not a list of addresses in this document; the keys that are: actions, hooks, web',
    );
  });
});
