import { describe, expect, it } from 'vitest';
import { PolicySchema } from '../../lambda/config';
import { buildAllowlist, inlineInput } from '../../lambda/core/allowlist';
import { ParseError, PolicyError } from '../../lambda/core/errors';

const now = new Date('2026-06-01T00:00:00Z');
const policy = PolicySchema.parse({});
const text = (label: string, body: string) => ({
  label,
  bytes: new TextEncoder().encode(body),
  format: { type: 'text' as const },
});

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('buildAllowlist', () => {
  it('unions every source, aggregates, and counts per family', () => {
    const built = buildAllowlist(
      [
        text('a.txt', '8.8.8.0/25\n2001:4860::/33\n'),
        text('b.txt', '8.8.8.128/25\n2001:4860:8000::/33\n1.1.1.1\n'),
        {
          label: 'c.json',
          bytes: new TextEncoder().encode(
            JSON.stringify({
              version: 1,
              serial: 3,
              entries: [
                { prefix: '9.9.9.9', note: 'resolver', owner: 'net' },
                { prefix: '9.9.9.10', expires: '2026-01-01T00:00:00Z' },
              ],
            }),
          ),
          format: { type: 'allowlist' },
        },
      ],
      policy,
      now,
    );
    expect(built.cidrs).toEqual({ 4: ['1.1.1.1/32', '8.8.8.0/24', '9.9.9.9/32'], 6: ['2001:4860::/32'] });
    expect(built.counts).toEqual({ read: { 4: 4, 6: 2 }, prefixes: { 4: 3, 6: 1 }, expired: 1 });
    expect(built.notes.get('9.9.9.9/32' as never)).toEqual({ note: 'resolver', owner: 'net' });
    expect(built.expired).toEqual([
      { prefix: '9.9.9.10/32', where: 'c.json:entries[1]', expires: '2026-01-01T00:00:00Z' },
    ]);
    expect(built.serial).toBe(3);
    expect(built.set.addressCount(4)).toBe(258n);
  });

  it('reports the problems of every malformed source in one ParseError, and applies nothing', () => {
    const error = thrown(() =>
      buildAllowlist(
        [text('a.txt', '8.8.8.8\n10.1\n'), text('b.txt', '64.0.0.0/35\n'), text('c.txt', '1.1.1.1')],
        policy,
        now,
      ),
    );
    expect(error).toBeInstanceOf(ParseError);
    expect((error as ParseError).problems.map((p) => `${p.origin.source}:${p.origin.line}`)).toEqual([
      'a.txt:2',
      'b.txt:1',
    ]);
  });

  it('checks the policy over all sources together', () => {
    const error = thrown(() =>
      buildAllowlist([text('a.txt', '8.8.8.8\n127.0.0.1\n'), text('b.txt', '10.0.0.0/8')], policy, now),
    );
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).violations.map((v) => `${v.origin.source}:${v.origin.line}:${v.code}`)).toEqual([
      'a.txt:2:special-purpose',
      'b.txt:1:too-broad',
      'b.txt:1:private',
    ]);
  });

  it('refuses a list whose every entry expired, saying so', () => {
    const doc = {
      label: 'doc.json',
      bytes: new TextEncoder().encode(
        JSON.stringify({ version: 1, entries: [{ prefix: '8.8.8.8', expires: '2026-05-01T00:00:00Z' }] }),
      ),
      format: { type: 'allowlist' as const },
    };
    const error = thrown(() => buildAllowlist([doc], policy, now)) as PolicyError;
    expect(error.violations[0]!.message).toContain('the allowlist is empty (1 expired entry was left out)');
  });

  it('reads inline entries as text under the label "inline"', () => {
    const built = buildAllowlist([inlineInput(['203.0.114.0/24', '2a00:1450::/32'])], policy, now);
    expect([...built.cidrs[4], ...built.cidrs[6]]).toEqual(['203.0.114.0/24', '2a00:1450::/32']);
    const error = thrown(() => buildAllowlist([inlineInput(['1.2.3'])], policy, now)) as ParseError;
    expect(error.problems[0]!.origin).toEqual({ source: 'inline', line: 1 });
  });

  it('masks host bits only when the policy says so', () => {
    expect(thrown(() => buildAllowlist([text('a', '11.0.0.5/24')], policy, now))).toBeInstanceOf(ParseError);
    const built = buildAllowlist([text('a', '11.0.0.5/24')], { ...policy, maskHostBits: true }, now);
    expect(built.cidrs[4]).toEqual(['11.0.0.0/24']);
  });

  describe('regressions of earlier tools', () => {
    it('refuses 64.0.0.0/35 as an error, never reading it as /3', () => {
      const error = thrown(() => buildAllowlist([text('a', '64.0.0.0/35')], policy, now)) as ParseError;
      expect(error.problems[0]!.message).toBe('"64.0.0.0/35" is not a prefix: IPv4 prefix length is 0–32');
    });

    it('never drops an IPv6 line of a mixed file', () => {
      const lines = Array.from({ length: 50 }, (_, i) => (i % 2 ? `2a00:${i.toString(16)}::/32` : `8.${i}.0.0/16`));
      const built = buildAllowlist([text('mixed', lines.join('\n'))], policy, now);
      expect(built.counts.read).toEqual({ 4: 25, 6: 25 });
      expect(built.cidrs[6]).toHaveLength(25);
    });

    it.each([
      ['empty', ''],
      ['comment-only', '# all partners removed\n\n'],
      ['blank-only', '\n \n\t\n'],
    ])('refuses an %s source', (_what, body) => {
      const error = thrown(() => buildAllowlist([text('a', body)], policy, now));
      expect(error).toBeInstanceOf(PolicyError);
      expect((error as PolicyError).violations[0]!.code).toBe('empty');
    });
  });
});
