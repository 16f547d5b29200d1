import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGeneral, parseV4Line, parseV6Line, scratch } from '../../lambda/core/prefix';

const encoder = new TextEncoder();

/** What the general parser (no fast path) makes of `text`, or null when it refuses it. */
function reference(text: string): string | null {
  const bytes = encoder.encode(text);
  const code = bytes.length === 0 ? -1 : parseGeneral(bytes, 0, bytes.length);
  if (code < 0) return null;
  return JSON.stringify({
    code,
    v4: code === 4 ? scratch.v4 : 0,
    v6: code === 6 ? [...scratch.v6] : [],
    length: scratch.length,
    hostBits: scratch.hostBits,
  });
}

/** What a line fast path makes of `text` + `ending`, or null when it hands the line to the full path. */
function fast(parse: typeof parseV4Line, family: 4 | 6, text: string, ending: string): string | null {
  const bytes = encoder.encode(text + ending);
  const stop = parse(bytes, 0, bytes.length);
  if (stop < 0) return null;
  expect(stop).toBe(ending === '' ? bytes.length : bytes.length - 1);
  const v4 = family === 4 ? scratch.v4 : 0;
  const v6 = family === 6 ? [...scratch.v6] : [];
  return JSON.stringify({ code: family, v4, v6, length: scratch.length, hostBits: scratch.hostBits });
}

const hex = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
const v6Text = fc.oneof(
  fc.array(hex, { minLength: 8, maxLength: 8 }).map((g) => g.join(':')),
  fc
    .tuple(fc.array(hex, { maxLength: 4 }), fc.array(hex, { maxLength: 3 }))
    .map(([a, b]) => `${a.join(':')}::${b.join(':')}`),
);
const v4Text = fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 3, maxLength: 5 }).map((p) => p.join('.'));
const withLength = (address: fc.Arbitrary<string>) =>
  fc
    .tuple(address, fc.option(fc.oneof(fc.integer({ min: 0, max: 140 }).map(String), fc.constantFrom('', '08', '033'))))
    .map(([a, l]) => (l === null ? a : `${a}/${l}`));
/** Valid forms, then mutated: a character dropped, or one of the parser's separators inserted (CR is a line ending, tested as such). */
const mutated = (base: fc.Arbitrary<string>) =>
  fc.tuple(base, fc.nat(), fc.constantFrom('', ':', '.', '/', '0', 'f', 'g', ' ', '#', '%')).map(([t, at, c]) => {
    const k = at % (t.length + 1);
    return t.slice(0, k) + c + t.slice(k + (c === '' ? 1 : 0));
  });

describe('the line fast paths', () => {
  it.each([
    ['IPv4', parseV4Line, 4, withLength(v4Text)],
    ['IPv6', parseV6Line, 6, withLength(v6Text)],
  ] as const)('%s: accept only what the general parser accepts, with the same result', (_name, parse, family, gen) => {
    fc.assert(
      fc.property(fc.oneof(gen, mutated(gen)), fc.constantFrom('', '\n', '\r\n'), (text, ending) => {
        const got = fast(parse, family, text, ending);
        if (got !== null) expect(got).toBe(reference(text));
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['1.2.3.4', parseV4Line],
    ['10.0.0.0/8', parseV4Line],
    ['2001:db8::/32', parseV6Line],
    ['::', parseV6Line],
    ['::1', parseV6Line],
    ['1:2:3:4:5:6:7:8/128', parseV6Line],
  ] as const)('takes the common line %s itself', (text, parse) => {
    const bytes = encoder.encode(`${text}\n`);
    expect(parse(bytes, 0, bytes.length)).toBe(bytes.length - 1);
  });

  it.each([
    ['1.2.3.4 # office', parseV4Line],
    ['010.0.0.1', parseV4Line],
    ['1.2.3.4/033', parseV4Line],
    ['::ffff:1.2.3.4', parseV6Line],
    ['fe80::1%eth0', parseV6Line],
    ['1::2::3', parseV6Line],
    ['1:2:3:4:5:6:7::8', parseV6Line],
    ['2001:db8::/129', parseV6Line],
    ['2001:db8:: ', parseV6Line],
  ] as const)('hands %s to the full path', (text, parse) => {
    const bytes = encoder.encode(`${text}\n`);
    expect(parse(bytes, 0, bytes.length)).toBe(-1);
  });
});
