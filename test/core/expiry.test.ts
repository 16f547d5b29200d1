/**
 * Expiry warnings in the core: which dated entries fall in the window (table), and the structured parser keeping
 * each entry's expiry, owner and place for them while expired entries stay left out.
 */
import { describe, expect, it } from 'vitest';
import { buildAllowlist } from '../../lambda/core/allowlist';
import { type DatedEntry, daysLeft, findExpiring, ownersOf } from '../../lambda/core/expiry';
import { DEFAULT_POLICY } from '../../lambda/core/policy';

const NOW = Date.parse('2026-12-03T08:00:00Z');
const entry = (expires: string, where: string, owner?: string): DatedEntry => ({
  prefix: '11.0.0.0/24',
  expires,
  where,
  ...(owner ? { owner } : {}),
});

describe('findExpiring', () => {
  it.each([
    ['one second after now', '2026-12-03T08:00:01Z', 14, true],
    ['exactly at the end of the window', '2026-12-17T08:00:00Z', 14, true],
    ['one second past the window', '2026-12-17T08:00:01Z', 14, false],
    ['already expired (the parser left it out; never warned about)', '2026-12-03T07:59:59Z', 14, false],
    ['expiring now (expired: expires ≤ now)', '2026-12-03T08:00:00Z', 14, false],
    ['inside a 30-day window', '2026-12-30T00:00:00Z', 30, true],
    ['with the window turned off (0 days)', '2026-12-03T09:00:00Z', 0, false],
    ['with an offset written in another zone', '2026-12-17T09:00:00+01:00', 14, true],
  ])('%s: %s in %i days → %s', (_, expires, days, listed) => {
    expect(findExpiring([entry(expires, 'a')], NOW, days).count).toBe(listed ? 1 : 0);
  });

  it('lists the soonest first (then by place), caps the list but never the count', () => {
    const dated = [
      entry('2026-12-10T00:00:00Z', 'x:entries[2]', 'carol'),
      entry('2026-12-05T00:00:00Z', 'x:entries[9]', 'alice'),
      entry('2026-12-05T00:00:00Z', 'x:entries[1]', 'bob'),
      entry('2027-06-01T00:00:00Z', 'x:entries[0]', 'dave'),
    ];
    const w = findExpiring(dated, NOW, 14, 2);
    expect(w.count).toBe(3);
    expect(w.entries.map((e) => e.where)).toEqual(['x:entries[1]', 'x:entries[9]']);
    expect(ownersOf(findExpiring(dated, NOW, 14).entries)).toEqual(['bob', 'alice', 'carol']);
    expect(daysLeft(dated[1]!, NOW)).toBe(2);
  });
});

describe('the structured format keeps what the warning needs', () => {
  it('keeps prefix, expiry, owner, note and place of dated entries; expired ones stay out of the set', () => {
    const doc = {
      version: 1,
      entries: [
        { prefix: '11.0.0.0/24', owner: 'alice@example.com', expires: '2026-12-10T00:00:00Z', note: 'audit' },
        { prefix: '12.0.0.5', expires: '2026-11-01T00:00:00Z', owner: 'bob@example.com' },
        { prefix: '13.0.0.0/16' },
        { prefix: '2a00:1450::/48', expires: '2027-12-01T00:00:00Z' },
      ],
    };
    const built = buildAllowlist(
      [{ label: 'partners.json', bytes: Buffer.from(JSON.stringify(doc)), format: { type: 'allowlist' } }],
      { ...DEFAULT_POLICY, allowPrivate: true },
      new Date(NOW),
    );
    expect(built.counts.expired).toBe(1);
    expect(built.set.toText()).not.toContain('12.0.0.5');
    expect(built.dated).toEqual([
      {
        prefix: '11.0.0.0/24',
        expires: '2026-12-10T00:00:00Z',
        where: 'partners.json:entries[0]',
        owner: 'alice@example.com',
        note: 'audit',
      },
      { prefix: '2a00:1450::/48', expires: '2027-12-01T00:00:00Z', where: 'partners.json:entries[3]' },
    ]);
    expect(findExpiring(built.dated, NOW, 14).entries.map((e) => e.prefix)).toEqual(['11.0.0.0/24']);
  });
});
