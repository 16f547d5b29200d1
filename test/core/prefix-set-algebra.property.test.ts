import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PrefixSet } from '../../lambda/core/prefix-set';

/**
 * The set algebra's merging kernels (prefix-set-v4.ts, prefix-set-v6.ts) against the plainest model there is: every
 * boundary of both operands as a BigInt, sorted, and membership tested per interval between two boundaries. The
 * ranges are drawn around the places the four-word arithmetic carries or borrows (each 32-bit word's edge, the first
 * and last address), where an off-by-one would show.
 */
type Range = [bigint, bigint];

const WIDTH = { 4: 32, 6: 128 } as const;

function model(a: Range[], b: Range[], keep: (inA: boolean, inB: boolean) => boolean): Range[] {
  const points = [...new Set([...a, ...b].flatMap(([s, e]) => [s, e + 1n]))].sort((x, y) => (x < y ? -1 : 1));
  const has = (rs: Range[], x: bigint) => rs.some(([s, e]) => s <= x && x <= e);
  const out: Range[] = [];
  for (let k = 0; k + 1 < points.length; k++) {
    const lo = points[k]!;
    if (!keep(has(a, lo), has(b, lo))) continue;
    const last = out[out.length - 1];
    if (last && last[1] + 1n === lo) last[1] = points[k + 1]! - 1n;
    else out.push([lo, points[k + 1]! - 1n]);
  }
  return out;
}

function rangesArb(family: 4 | 6): fc.Arbitrary<Range[]> {
  const max = (1n << BigInt(WIDTH[family])) - 1n;
  const edges = [0n, max];
  for (let w = 32; w < WIDTH[family]; w += 32) edges.push(1n << BigInt(w));
  const address = fc.oneof(
    fc.tuple(fc.constantFrom(...edges), fc.bigInt({ min: -6n, max: 6n })).map(([base, d]) => {
      const x = base + d;
      return x < 0n ? 0n : x > max ? max : x;
    }),
    fc.bigInt({ min: 0n, max }),
  );
  const range = fc
    .tuple(address, fc.oneof(fc.bigInt({ min: 0n, max: 4n }), fc.bigInt({ min: 0n, max })))
    .map(([s, len]): Range => [s, s + len > max ? max : s + len]);
  return fc.array(range, { maxLength: 12 });
}

const operand = fc.record({ 4: rangesArb(4), 6: rangesArb(6) });
const build = (r: { 4: Range[]; 6: Range[] }) => PrefixSet.fromRanges(r[4], r[6]);

describe('set algebra against a BigInt model (the linear merging kernels)', () => {
  const ops = [
    ['union', (a: PrefixSet, b: PrefixSet) => a.union(b), (x: boolean, y: boolean) => x || y],
    ['intersection', (a: PrefixSet, b: PrefixSet) => a.intersection(b), (x: boolean, y: boolean) => x && y],
    ['difference', (a: PrefixSet, b: PrefixSet) => a.difference(b), (x: boolean, y: boolean) => x && !y],
  ] as const;

  it.each(ops)('gives the exact canonical ranges of the model for %s, in both families', (_, op, keep) => {
    fc.assert(
      fc.property(operand, operand, (ra, rb) => {
        const a = build(ra);
        const b = build(rb);
        const result = op(a, b);
        for (const family of [4, 6] as const) {
          expect(result.ranges(family)).toEqual(model(a.ranges(family), b.ranges(family), keep));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('answers contains() as the model does', () => {
    fc.assert(
      fc.property(operand, operand, (ra, rb) => {
        const a = build(ra);
        const b = build(rb);
        const expected = ([4, 6] as const).every(
          (f) => model(b.ranges(f), a.ranges(f), (x, y) => x && !y).length === 0,
        );
        expect(a.contains(b)).toBe(expected);
        expect(a.union(b).contains(b)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  /** An IPv6 address in text (full or with one "::") as a BigInt, for writing the edge cases readably. */
  const big = (text: string): bigint => {
    const [head = '', tail = ''] = text.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = text.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
    return groups.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
  };
  const v6 = (...rs: Array<[string, string]>) =>
    PrefixSet.fromRanges(
      [],
      rs.map(([s, e]): Range => [big(s), big(e)]),
    );
  const TOP = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';

  it.each([
    // A range ending at the last address, whose end + 1 would be 2^128: a hole cut in it, and a union reaching it.
    ['difference', v6(['::', TOP]), v6(['::1', '::1']), v6(['::', '::'], ['::2', TOP])],
    ['union', v6(['::', '::5']), v6(['::6', TOP]), v6(['::', TOP])],
    ['intersection', v6(['::', TOP]), v6(['::ffff:ffff', '::1:0:0']), v6(['::ffff:ffff', '::1:0:0'])],
    // Touching across a word boundary (…:ffff:ffff, then the next word's first address) merges into one range.
    ['union', v6(['::', '::ffff:ffff']), v6(['::1:0:0', '::1:0:0']), v6(['::', '::1:0:0'])],
    // A borrow through three words: the difference closes one address before 0:0:1::.
    ['difference', v6(['::', '0:0:1::ff']), v6(['0:0:1::', '0:0:1::ff']), v6(['::', '0:0:0:ffff:ffff:ffff:ffff:ffff'])],
    // A carry through three words: the difference opens one address after 0:0:0:ffff:ffff:ffff:ffff:ffff.
    ['difference', v6(['::', '0:0:1::']), v6(['::', '0:0:0:ffff:ffff:ffff:ffff:ffff']), v6(['0:0:1::', '0:0:1::'])],
  ] as const)('computes the %s at the four-word carries exactly (case %#)', (op, a, b, expected) => {
    const result = op === 'union' ? a.union(b) : op === 'intersection' ? a.intersection(b) : a.difference(b);
    expect(result.ranges(6)).toEqual(expected.ranges(6));
    expect(result.equals(expected)).toBe(true);
  });
});
