import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Format, PolicySchema } from '../../lambda/config';
import { buildAllowlist } from '../../lambda/core/allowlist';
import { PolicyError } from '../../lambda/core/errors';

/**
 * Every real list in test/fixtures/lists (where each came from: its README) parses with its format and aggregates to exactly what Python's
 * `ipaddress.collapse_addresses` makes of the same input (an independent implementation). The lists are published
 * feeds, not allowlists: the policy is relaxed (floors lowered, private admitted) for all of them, and special-purpose
 * ranges admitted only for the blocklists that hold them, which the default policy must refuse.
 */
const DATA = path.resolve(__dirname, '../fixtures/lists');
const now = new Date('2026-06-01T00:00:00Z');
const relaxed = PolicySchema.parse({ minPrefixLength: { ipv4: 1, ipv6: 1 }, allowPrivate: true });
/** Lists that hold special-purpose ranges (bogons, CGNAT, multicast) and so need the CLI's explicit relaxation. */
const HOLDS_SPECIAL = new Set(['firehol_level1.netset', 'stopforumspam_90d.ipset']);

interface List {
  name: string;
  file: string;
  format: Format;
  /** Keep every n-th line only: Python needs ~13 s for all 138k lines of StopForumSpam on a busy 2-core machine. */
  step?: number;
}

/** Every `step`-th line of a text list, the same selection the Python side makes. */
function sampled(bytes: Buffer, step: number): Uint8Array {
  const lines = bytes.toString('utf8').split('\n');
  return new TextEncoder().encode(lines.filter((_, i) => i % step === 0).join('\n'));
}

const lists: List[] = [
  ...readdirSync(path.join(DATA, 'cloud'))
    .filter((f) => f.endsWith('.txt'))
    .map((f) => ({ name: `cloud/${f}`, file: path.join(DATA, 'cloud', f), format: { type: 'text' } as Format })),
  ...readdirSync(path.join(DATA, 'blocklists')).map((f) => ({
    name: `blocklists/${f}`,
    file: path.join(DATA, 'blocklists', f),
    format: { type: 'text' } as Format,
    ...(f.startsWith('stopforumspam') ? { step: 4 } : {}),
  })),
  { name: 'aws-ip-ranges.json', file: path.join(DATA, 'aws-ip-ranges.json'), format: { type: 'aws-ip-ranges' } },
  { name: 'goog.json', file: path.join(DATA, 'goog.json'), format: { type: 'google' } },
];

const PYTHON = String.raw`
import ipaddress, json, sys
out = {}
for arg in sys.argv[1:]:
    path, step = arg.rsplit('@', 1)
    step = int(step)
    if path.endswith('aws-ip-ranges.json'):
        d = json.load(open(path))
        items = [p['ip_prefix'] for p in d['prefixes']] + [p['ipv6_prefix'] for p in d.get('ipv6_prefixes', [])]
    elif path.endswith('goog.json'):
        d = json.load(open(path))
        items = [p.get('ipv4Prefix') or p.get('ipv6Prefix') for p in d['prefixes']]
    else:
        lines = open(path, encoding='utf-8-sig').read().split('\n')
        items = [l.split('#', 1)[0].strip() for i, l in enumerate(lines) if i % step == 0]
        items = [l for l in items if l]
    nets = [ipaddress.ip_network(x) for x in items]
    v4 = ipaddress.collapse_addresses(n for n in nets if n.version == 4)
    v6 = ipaddress.collapse_addresses(n for n in nets if n.version == 6)
    out[path] = [str(n) for n in v4] + [str(n) for n in v6]
print(json.dumps(out))
`;

const hasPython = spawnSync('python3', ['--version']).status === 0;
if (!hasPython) console.warn('python3 is not installed: the comparisons with ipaddress.collapse_addresses are skipped');

describe('real lists in test/fixtures/lists', () => {
  let python: Record<string, string[]> = {};

  beforeAll(() => {
    if (!hasPython) return;
    const run = spawnSync('python3', ['-c', PYTHON, ...lists.map((l) => `${l.file}@${l.step ?? 1}`)], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
    python = JSON.parse(run.stdout);
  }, 120_000);

  const bytesOf = (list: List) => (list.step ? sampled(readFileSync(list.file), list.step) : readFileSync(list.file));
  const build = (list: List) =>
    buildAllowlist([{ label: list.name, bytes: bytesOf(list), format: list.format }], relaxed, now, {
      relax: { allowSpecialPurpose: HOLDS_SPECIAL.has(path.basename(list.file)) },
    });

  it.each(lists.map((l) => [l.name, l] as const))('parses %s and aggregates it to a non-empty list', (_name, list) => {
    const built = build(list);
    expect(built.counts.read[4] + built.counts.read[6]).toBeGreaterThan(0);
    expect(built.counts.prefixes[4] + built.counts.prefixes[6]).toBeGreaterThan(0);
  });

  it.skipIf(!hasPython).each(lists.map((l) => [l.name, l] as const))(
    "aggregates %s exactly as Python's ipaddress.collapse_addresses does",
    (_name, list) => {
      const ours = new TextDecoder().decode(build(list).set.toText()).split('\n').filter(Boolean);
      expect(ours).toEqual(python[list.file]);
    },
  );

  it('keeps every family of the AWS feed: 10,668 IPv4 and 6,160 IPv6 entries', () => {
    const aws = lists.find((l) => l.name === 'aws-ip-ranges.json')!;
    expect(build(aws).counts.read).toEqual({ 4: 10_668, 6: 6_160 });
  });

  it('refuses FireHOL level 1 under the default policy, listing the bogons and private ranges it holds', () => {
    const file = path.join(DATA, 'blocklists', 'firehol_level1.netset');
    let error: unknown;
    try {
      buildAllowlist(
        [{ label: 'level1', bytes: readFileSync(file), format: { type: 'text' } }],
        PolicySchema.parse({}),
        now,
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyError);
    const messages = (error as PolicyError).violations.map((v) => v.message).join('\n');
    for (const expected of [
      '"0.0.0.0/8" is 0.0.0.0/8, "This network"',
      '"10.0.0.0/8" is 10.0.0.0/8, Private-Use (RFC 1918)',
      '"127.0.0.0/8" is 127.0.0.0/8, Loopback',
      '"169.254.0.0/16" is 169.254.0.0/16, Link Local',
      '"224.0.0.0/3" overlaps 224.0.0.0/4, Multicast',
    ]) {
      expect(messages).toContain(expected);
    }
  });
});
