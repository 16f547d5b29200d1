import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAllowlist } from '../../lambda/core/allowlist';
import { commonPrefix, documentEntryMeta, explainPrefix, type SearchSource } from '../../lambda/core/explain';
import { explainLive } from '../../lambda/core/explain-live';
import type { Format } from '../../lambda/core/format';
import { parseSource } from '../../lambda/core/formats';
import { DEFAULT_POLICY } from '../../lambda/core/policy';
import { parseCidr } from '../../lambda/core/prefix';
import { cidrRange, PrefixSet } from '../../lambda/core/prefix-set';

const now = new Date('2026-12-01T00:00:00Z');
const enc = (s: string) => new TextEncoder().encode(s);

/** Builds the set and the search sources from labelled texts, as the explain command does. */
function lists(inputs: Array<{ label: string; text: string; format?: Format }>) {
  const withFormat = inputs.map((i) => ({ label: i.label, bytes: enc(i.text), format: i.format ?? { type: 'text' } }));
  const built = buildAllowlist(withFormat, { ...DEFAULT_POLICY, minPrefixLength: { ipv4: 8, ipv6: 16 } }, now);
  const sources = withFormat.map((i): SearchSource => {
    const p = parseSource(i.label, i.bytes, i.format, { now });
    return {
      entries: p.entries,
      describe: p.describe,
      expired: p.expired,
      ...(i.format.type === 'allowlist' ? { meta: documentEntryMeta(i.bytes) } : {}),
    };
  });
  return { set: built.set, sources };
}

const c = (s: string) => parseCidr(s);

describe('explainPrefix', () => {
  const partners = lists([
    { label: 'partners.txt', text: '# partners\n11.22.33.0/24\n52.94.5.0/25  # east\n52.94.5.128/25\n' },
    { label: 'inline', text: '11.22.33.7\n2a00:1450::/32' },
    {
      label: 'doc.json',
      format: { type: 'allowlist' },
      text: JSON.stringify({
        version: 1,
        entries: [
          { prefix: '81.2.69.0/28', note: 'Acme VPN', owner: 'alice', expires: '2027-06-30T00:00:00Z' },
          { prefix: '81.2.69.64/26', note: 'old office', owner: 'bob', expires: '2020-01-01T00:00:00Z' },
        ],
      }),
    },
  ]);

  it.each([
    ['11.22.33.7', 'yes', ['partners.txt:2 11.22.33.0/24 whole', 'inline:1 11.22.33.7/32 whole'], ['11.22.33.0/24']],
    [
      '52.94.5.0/24',
      'yes',
      ['partners.txt:3 52.94.5.0/25 part', 'partners.txt:4 52.94.5.128/25 part'],
      ['52.94.5.0/24'],
    ],
    [
      '52.94.4.0/23',
      'partly',
      ['partners.txt:3 52.94.5.0/25 part', 'partners.txt:4 52.94.5.128/25 part'],
      ['52.94.5.0/24'],
    ],
    ['2a00:1450:4001::5', 'yes', ['inline:2 2a00:1450::/32 whole'], ['2a00:1450::/32']],
    ['81.2.69.3', 'yes', ['doc.json:entries[0].prefix 81.2.69.0/28 whole'], ['81.2.69.0/28']],
  ])('%s: admitted %s, by the entries as written, held as the aggregated prefix', (q, admitted, entries, held) => {
    const answer = explainPrefix(c(q), partners.set, partners.sources);
    expect(answer.admitted).toBe(admitted);
    expect(answer.entries.map((e) => `${e.where} ${e.prefix} ${e.covers}`)).toEqual(entries);
    expect(answer.held).toEqual(held);
    expect(answer.nearest).toEqual([]);
  });

  it("carries a structured entry's note, owner and expiry", () => {
    const [entry] = explainPrefix(c('81.2.69.1'), partners.set, partners.sources).entries;
    expect(entry).toMatchObject({ note: 'Acme VPN', owner: 'alice', expires: '2027-06-30T00:00:00Z' });
  });

  it('names an expired entry that would have covered the address, and the nearest live entries', () => {
    const answer = explainPrefix(c('81.2.69.70'), partners.set, partners.sources);
    expect(answer.admitted).toBe('no');
    expect(answer.entries).toEqual([
      {
        prefix: '81.2.69.64/26',
        where: 'doc.json:entries[1]',
        covers: 'whole',
        expires: '2020-01-01T00:00:00Z',
        expired: true,
      },
    ]);
    expect(answer.held).toEqual([]);
    expect(answer.nearest[0]).toEqual({
      prefix: '81.2.69.0/28',
      where: 'doc.json:entries[0].prefix',
      distance: String(70 - 15),
      commonPrefix: '81.2.69.0/25',
      note: 'Acme VPN',
      owner: 'alice',
      expires: '2027-06-30T00:00:00Z',
    });
  });

  it('shows a too-narrow range: the neighbour one address away and the prefix that would hold both', () => {
    const answer = explainPrefix(c('11.22.34.0'), partners.set, partners.sources, { nearest: 1 });
    expect(answer.nearest).toEqual([
      { prefix: '11.22.33.0/24', where: 'partners.txt:2', distance: '1', commonPrefix: '11.22.32.0/22' },
    ]);
  });

  it('finds no nearest entry in a family the list does not have', () => {
    const v4only = lists([{ label: 'a', text: '11.0.0.0/24' }]);
    expect(explainPrefix(c('2a00::1'), v4only.set, v4only.sources).nearest).toEqual([]);
  });

  it.each([
    [4, '10.0.0.0', '10.0.0.255', '10.0.0.0/24'],
    [4, '10.0.0.0', '10.0.0.0', '10.0.0.0/32'],
    [4, '0.0.0.0', '128.0.0.0', '0.0.0.0/0'],
    [6, '2001:db8::', '2001:db8::1:0', '2001:db8::/111'],
  ] as const)('commonPrefix(IPv%s %s, %s) is %s', (family, a, b, expected) => {
    const bits = family === 4 ? 32 : 128;
    const [sa] = cidrRange(c(`${a}/${bits}`));
    const [sb] = cidrRange(c(`${b}/${bits}`));
    expect(commonPrefix(family, sa, sb)).toBe(expected);
  });
});

describe('explainPrefix (properties, against a BigInt reference)', () => {
  const v4 = fc.tuple(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 20, max: 32 })).map(([x, len]) => {
    const address = (11 << 24) + ((x << 8) >>> 0);
    const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
    const n = (address & mask) >>> 0;
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${len}`;
  });

  it('admits exactly what the set admits, and lists exactly the entries that overlap the query', () => {
    fc.assert(
      fc.property(fc.array(v4, { minLength: 1, maxLength: 30 }), v4, (entries, query) => {
        const { set, sources } = lists([{ label: 'l', text: entries.join('\n') }]);
        const q = c(query);
        const answer = explainPrefix(q, set, sources);
        const [qs, qe] = cidrRange(q);
        const overlapping = entries
          .map((e, i) => ({ e: c(e), line: i + 1 }))
          .filter(({ e }) => {
            const [s, en] = cidrRange(e);
            return en >= qs && s <= qe;
          })
          .map(({ e, line }) => `l:${line} ${e}`);
        expect(answer.entries.map((x) => `${x.where} ${x.prefix}`)).toEqual(overlapping);
        const within = PrefixSet.parse(entries.map((e) => c(e))).intersection(PrefixSet.fromCidrs([q]));
        const expected = within.isEmpty ? 'no' : within.equals(PrefixSet.fromCidrs([q])) ? 'yes' : 'partly';
        expect(answer.admitted).toBe(expected);
        // The held prefixes are in the set's minimal list and together hold every admitted address of the query.
        const minimal = new Set(set.toCidrs());
        for (const h of answer.held) expect(minimal.has(h)).toBe(true);
        expect(PrefixSet.fromCidrs(answer.held).contains(within)).toBe(true);
        if (expected === 'no') expect(answer.nearest.length).toBe(Math.min(3, entries.length));
      }),
    );
  });
});

describe('explainLive', () => {
  const plan = { targetId: 'security-groups:sg-1', add: [c('11.22.33.0/24')], remove: [c('52.94.5.0/24')] };

  it('names the rule that admits the address, ours or drift, and what the next apply does', () => {
    const finding = explainLive(
      c('11.22.33.7'),
      'partners',
      {
        kind: 'security-groups',
        observed: {
          rules: [
            { ruleId: 'sgr-1', groupId: 'sg-1', protocol: 'tcp', fromPort: 443, toPort: 443, cidr: c('11.22.0.0/16') },
            {
              ruleId: 'sgr-2',
              groupId: 'sg-1',
              protocol: 'tcp',
              fromPort: 443,
              toPort: 443,
              cidr: c('11.22.33.0/25'),
              owner: 'partners',
            },
            { ruleId: 'sgr-3', groupId: 'sg-1', protocol: 'tcp', fromPort: 443, toPort: 443, cidr: c('9.9.9.0/24') },
            { ruleId: 'sgr-4', groupId: 'sg-1', protocol: 'tcp', fromPort: 443, toPort: 443, peer: 'pl-1' },
          ],
        },
      },
      plan,
    );
    expect(finding.admits).toBe('yes');
    expect(finding.matches.map((m) => `${m.ruleId} ${m.cidr} ${m.ports} ${m.ours}`)).toEqual([
      'sgr-1 11.22.0.0/16 tcp 443-443 false',
      'sgr-2 11.22.33.0/25 tcp 443-443 true',
    ]);
    expect(finding.nextApply).toEqual({ add: ['11.22.33.0/24'], remove: [] });
  });

  it('reads WAF IP sets and prefix lists of the right family, all ours', () => {
    const waf = explainLive(
      c('52.94.5.9'),
      'partners',
      {
        kind: 'waf-ip-sets',
        observed: {
          scope: 'REGIONAL',
          4: [{ name: 'p4', id: 'id-4', family: 4, addresses: [c('52.94.5.0/24')], lockToken: 't' }],
          6: [{ name: 'p6', id: 'id-6', family: 6, addresses: [c('2a00::/16')], lockToken: 't' }],
        },
      },
      plan,
    );
    expect(waf.matches).toEqual([{ resource: 'p4 (id-4)', cidr: '52.94.5.0/24', ours: true }]);
    expect(waf.nextApply).toEqual({ add: [], remove: ['52.94.5.0/24'] });
    const pl = explainLive(
      c('2a00:1::/32'),
      'partners',
      {
        kind: 'prefix-lists',
        observed: {
          6: {
            id: 'pl-6',
            family: 6,
            state: 'create-complete',
            version: 2,
            maxEntries: 10,
            entries: [{ cidr: c('2a00:1::/48') }],
          },
        },
      },
      plan,
    );
    expect(pl.admits).toBe('partly');
    expect(pl.matches).toEqual([{ resource: 'pl-6', cidr: '2a00:1::/48', ours: true }]);
    const none = explainLive(c('8.8.8.8'), 'partners', { kind: 'prefix-lists', observed: {} }, plan);
    expect(none).toEqual({ targetId: plan.targetId, admits: 'no', matches: [], nextApply: { add: [], remove: [] } });
  });
});
