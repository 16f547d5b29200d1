import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DiffSide, diffAllowlists } from '../../lambda/core/list-diff';
import type { EntryNote } from '../../lambda/core/model';
import { type Cidr, parseCidr } from '../../lambda/core/prefix';
import { cidrRange, PrefixSet } from '../../lambda/core/prefix-set';

const side = (cidrs: string[], notes: Record<string, EntryNote> = {}): DiffSide => ({
  set: PrefixSet.parse(cidrs),
  notes: new Map(Object.entries(notes).map(([k, v]) => [parseCidr(k), v])),
});

describe('diffAllowlists', () => {
  it.each([
    ['a re-aggregation (a /24 written as two /25s)', ['11.0.0.0/24'], ['11.0.0.0/25', '11.0.0.128/25']],
    ['duplicates and nesting', ['11.0.0.0/16', '11.0.1.0/24'], ['11.0.0.0/16']],
    ['IPv6 split in four', ['2a00::/32'], ['2a00::/34', '2a00:0:4000::/34', '2a00:0:8000::/34', '2a00:0:c000::/34']],
  ])('sees no change in %s', (_, a, b) => {
    const diff = diffAllowlists(side(a), side(b));
    expect(diff.same).toBe(true);
    expect(diff.added).toEqual([]);
    expect(diff.removed).toEqual([]);
  });

  it('lists the minimal prefixes added and removed, with the notes of the entries behind them', () => {
    const diff = diffAllowlists(
      side(['11.0.0.0/24', '52.94.5.0/24', '2a00::/32'], { '11.0.0.0/24': { note: 'Initech', owner: 'dave' } }),
      side(['11.0.0.0/25', '52.94.4.0/23', '2a00::/33'], {
        '52.94.4.0/23': { note: 'Acme', owner: 'alice' },
        '52.94.4.0/24': { owner: 'alice' },
      }),
    );
    expect(diff.same).toBe(false);
    expect(diff.added).toEqual([
      { prefix: '52.94.4.0/24', addresses: '256', notes: [{ note: 'Acme', owner: 'alice' }, { owner: 'alice' }] },
    ]);
    expect(diff.removed).toEqual([
      { prefix: '11.0.0.128/25', addresses: '128', notes: [{ note: 'Initech', owner: 'dave' }] },
      { prefix: '2a00:0:8000::/33', addresses: (1n << 95n).toString(), notes: [] },
    ]);
    expect(diff.addresses).toEqual({
      ipv4: { added: '256', removed: '128' },
      ipv6: { added: '0', removed: (1n << 95n).toString() },
    });
  });
});

/** The reference: the addresses of a list as merged BigInt intervals, and interval difference, written plainly. */
function intervals(cidrs: readonly string[], family: 4 | 6): Array<[bigint, bigint]> {
  const rs = cidrs
    .map((x) => cidrRange(parseCidr(x)))
    .filter(([, , f]) => f === family)
    .map(([s, e]) => [s, e] as [bigint, bigint])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Array<[bigint, bigint]> = [];
  for (const [s, e] of rs) {
    const last = out[out.length - 1];
    if (last && s <= last[1] + 1n) last[1] = e > last[1] ? e : last[1];
    else out.push([s, e]);
  }
  return out;
}

function minus(a: Array<[bigint, bigint]>, b: Array<[bigint, bigint]>): Array<[bigint, bigint]> {
  let rest = a.map(([s, e]) => [s, e] as [bigint, bigint]);
  for (const [bs, be] of b) {
    rest = rest.flatMap(([s, e]): Array<[bigint, bigint]> => {
      if (be < s || bs > e) return [[s, e]];
      const parts: Array<[bigint, bigint]> = [];
      if (bs > s) parts.push([s, bs - 1n]);
      if (be < e) parts.push([be + 1n, e]);
      return parts;
    });
  }
  return rest;
}

const count = (rs: Array<[bigint, bigint]>) => rs.reduce((n, [s, e]) => n + e - s + 1n, 0n);

const prefixArb = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 20, max: 32 })).map(([x, len]) => {
    const a = ((11 << 24) | (x << 6)) >>> 0;
    const n = (a & (len === 0 ? 0 : (~0 << (32 - len)) >>> 0)) >>> 0;
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${len}`;
  }),
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 40, max: 48 })).map(([x, len]) => {
    const start = ((0x2a00n << 112n) | (BigInt(x) << 80n)) & ~((1n << BigInt(128 - len)) - 1n);
    const groups = Array.from({ length: 8 }, (_, k) => ((start >> BigInt(112 - 16 * k)) & 0xffffn).toString(16));
    return `${groups.join(':')}/${len}`;
  }),
);

describe('diffAllowlists (properties, against a BigInt reference)', () => {
  it('added is exactly NEW \\ OLD and removed exactly OLD \\ NEW, by address, as minimal disjoint prefixes', () => {
    fc.assert(
      fc.property(fc.array(prefixArb, { maxLength: 25 }), fc.array(prefixArb, { maxLength: 25 }), (a, b) => {
        const diff = diffAllowlists(side(a), side(b));
        for (const family of [4, 6] as const) {
          const added = minus(intervals(b, family), intervals(a, family));
          const removed = minus(intervals(a, family), intervals(b, family));
          const of = (ps: readonly { prefix: Cidr }[]) =>
            intervals(
              ps.map((p) => p.prefix),
              family,
            );
          expect(of(diff.added)).toEqual(added);
          expect(of(diff.removed)).toEqual(removed);
          const key = family === 4 ? 'ipv4' : 'ipv6';
          expect(diff.addresses[key]).toEqual({ added: count(added).toString(), removed: count(removed).toString() });
        }
        // Minimal: disjoint, and no two are the halves of one larger prefix (they could be written as one).
        for (const ps of [diff.added, diff.removed]) {
          const ranges = ps.map((p) => cidrRange(p.prefix));
          for (const [i, [s, e, f]] of ranges.entries()) {
            for (const [s2, e2, f2] of ranges.slice(i + 1)) {
              if (f !== f2) continue;
              expect(e2 < s || s2 > e).toBe(true);
              const size = e - s + 1n;
              const siblings = e2 - s2 + 1n === size && (s2 === e + 1n || e2 + 1n === s);
              expect(siblings && (s < s2 ? s : s2) % (2n * size) === 0n).toBe(false);
            }
          }
        }
        const total = (ps: readonly { addresses: string }[]) => ps.reduce((n, p) => n + BigInt(p.addresses), 0n);
        expect(total(diff.added)).toBe(
          count(minus(intervals(b, 4), intervals(a, 4))) + count(minus(intervals(b, 6), intervals(a, 6))),
        );
        expect(diff.same).toBe(diff.added.length === 0 && diff.removed.length === 0);
      }),
    );
  });
});
