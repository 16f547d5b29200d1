/**
 * The special-purpose ranges an allowlist must not admit, built from IANA's IPv4 and IPv6 Special-Purpose Address
 * Registries (RFC 6890 and its updates), the multicast blocks, and the IPv6 blocks IANA marks deprecated. A range is
 * here when the registry says its addresses are not globally reachable (or it is deprecated), so an allow rule for
 * it is either meaningless on the Internet or, worse, admits something internal (loopback, the instance metadata
 * service, a VPC's private space).
 *
 * Blocks the registries mark globally reachable are deliberately absent: 192.31.196.0/24 and 192.175.48.0/24
 * (AS112), 192.52.193.0/24 (AMT), 64:ff9b::/96 (NAT64), 2001:3::/32 (AMT), 2001:4:112::/48 (AS112-v6),
 * 2001:20::/28 (ORCHIDv2) and the anycast /128s in 2001:1::/48. The umbrella 2001::/23 is not listed either: its
 * non-reachable parts are listed one by one, so the reachable parts inside it stay usable.
 *
 * Pure data and a lookup; no I/O.
 */
import type { Family } from './prefix';

/** Why a range is special: `private` ranges are admitted when the policy's `allowPrivate` is set, the rest never. */
export type SpecialKind = 'special' | 'private';

/** One special-purpose range. */
export interface SpecialRange {
  /** The range in canonical CIDR form. */
  readonly cidr: string;
  readonly family: Family;
  /** The registry's name for it, e.g. `Link Local`. */
  readonly name: string;
  /** Where it is defined, e.g. `RFC 3927`. */
  readonly rfc: string;
  readonly kind: SpecialKind;
  /** Extra advice for the message (the metadata address, the IPv4-mapped choice). */
  readonly advice?: string;
  /** First address: IPv4 as a number, IPv6 as four big-endian words. */
  readonly start: Uint32Array;
  /** Last address, in the same form. */
  readonly end: Uint32Array;
}

type Row = readonly [cidr: string, name: string, rfc: string, kind?: SpecialKind, advice?: string];

const METADATA =
  'it holds 169.254.169.254, the EC2 instance metadata service (and 169.254.169.253, the VPC DNS resolver): admitting it from outside makes no sense and hides a mistake';
const MAPPED =
  'an IPv4-mapped address in an IPv6 rule never matches IPv4 traffic: write the IPv4 address itself (a.b.c.d/32) instead';

/** IANA IPv4 Special-Purpose Address Registry (non-reachable rows), plus multicast. */
const V4_ROWS: readonly Row[] = [
  ['0.0.0.0/8', '"This network"', 'RFC 791'],
  ['10.0.0.0/8', 'Private-Use', 'RFC 1918', 'private'],
  ['100.64.0.0/10', 'Shared Address Space (carrier-grade NAT)', 'RFC 6598'],
  ['127.0.0.0/8', 'Loopback', 'RFC 1122'],
  ['169.254.0.0/16', 'Link Local', 'RFC 3927', 'special', METADATA],
  ['172.16.0.0/12', 'Private-Use', 'RFC 1918', 'private'],
  ['192.0.0.0/24', 'IETF Protocol Assignments', 'RFC 6890'],
  ['192.0.2.0/24', 'Documentation (TEST-NET-1)', 'RFC 5737'],
  ['192.88.99.0/24', 'Deprecated 6to4 Relay Anycast', 'RFC 7526'],
  ['192.168.0.0/16', 'Private-Use', 'RFC 1918', 'private'],
  ['198.18.0.0/15', 'Benchmarking', 'RFC 2544'],
  ['198.51.100.0/24', 'Documentation (TEST-NET-2)', 'RFC 5737'],
  ['203.0.113.0/24', 'Documentation (TEST-NET-3)', 'RFC 5737'],
  ['224.0.0.0/4', 'Multicast', 'RFC 5771'],
  ['240.0.0.0/4', 'Reserved', 'RFC 1112'],
  ['255.255.255.255/32', 'Limited Broadcast', 'RFC 919'],
];

/** IANA IPv6 Special-Purpose Address Registry (non-reachable rows), multicast, and deprecated blocks. */
const V6_ROWS: readonly Row[] = [
  ['::/128', 'Unspecified Address', 'RFC 4291'],
  ['::1/128', 'Loopback Address', 'RFC 4291'],
  ['::ffff:0:0/96', 'IPv4-mapped Address', 'RFC 4291', 'special', MAPPED],
  ['64:ff9b:1::/48', 'IPv4-IPv6 Translation (local use)', 'RFC 8215'],
  ['100::/64', 'Discard-Only Address Block', 'RFC 6666'],
  ['100:0:0:1::/64', 'Dummy IPv6 Prefix', 'RFC 9780'],
  ['2001::/32', 'TEREDO', 'RFC 4380'],
  ['2001:2::/48', 'Benchmarking', 'RFC 5180'],
  ['2001:10::/28', 'ORCHID (deprecated)', 'RFC 4843'],
  ['2001:db8::/32', 'Documentation', 'RFC 3849'],
  ['3fff::/20', 'Documentation', 'RFC 9637'],
  ['5f00::/16', 'Segment Routing (SRv6) SIDs', 'RFC 9602'],
  ['fc00::/7', 'Unique-Local', 'RFC 4193', 'private'],
  ['fe80::/10', 'Link-Local Unicast', 'RFC 4291'],
  ['fec0::/10', 'Site-Local (deprecated)', 'RFC 3879'],
  ['ff00::/8', 'Multicast', 'RFC 4291'],
];

function v4Bounds(cidr: string): [Uint32Array, Uint32Array] {
  const [address = '', length = ''] = cidr.split('/');
  const start = address.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  const size = 2 ** (32 - Number(length));
  return [Uint32Array.of(start), Uint32Array.of(start + size - 1)];
}

function v6Bounds(cidr: string): [Uint32Array, Uint32Array] {
  const [address = '', lengthText = ''] = cidr.split('/');
  const [head = '', tail = ''] = address.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t].map((g) => Number.parseInt(g, 16));
  const start = new Uint32Array(4);
  for (let k = 0; k < 4; k++) start[k] = ((groups[2 * k]! << 16) | groups[2 * k + 1]!) >>> 0;
  const end = Uint32Array.from(start);
  const length = Number(lengthText);
  for (let k = 0; k < 4; k++) {
    const keep = length - 32 * k;
    const hostMask = keep >= 32 ? 0 : keep <= 0 ? 0xffffffff : 0xffffffff >>> keep;
    end[k] = (end[k]! | hostMask) >>> 0;
  }
  return [start, end];
}

function build(rows: readonly Row[], family: Family): SpecialRange[] {
  return rows.map(([cidr, name, rfc, kind = 'special', advice]) => {
    const [start, end] = family === 4 ? v4Bounds(cidr) : v6Bounds(cidr);
    return { cidr, family, name, rfc, kind, ...(advice ? { advice } : {}), start, end };
  });
}

/** The IPv4 special-purpose ranges, ascending. */
export const SPECIAL_RANGES_V4: readonly SpecialRange[] = build(V4_ROWS, 4);
/** The IPv6 special-purpose ranges, ascending. */
export const SPECIAL_RANGES_V6: readonly SpecialRange[] = build(V6_ROWS, 6);

/**
 * The first special range that the IPv4 block [start, end] overlaps, or undefined. `allowPrivate` skips the
 * private-use ranges. A linear scan: the table has 16 rows, and the caller runs it once per entry.
 */
export function findSpecialV4(start: number, end: number, allowPrivate: boolean): SpecialRange | undefined {
  for (const range of SPECIAL_RANGES_V4) {
    if (allowPrivate && range.kind === 'private') continue;
    if (start <= range.end[0]! && range.start[0]! <= end) return range;
  }
  return undefined;
}

/** Compares two 128-bit addresses given as four big-endian words at offsets `i` and `j`. */
function compareWords(a: Uint32Array, i: number, b: Uint32Array, j: number): number {
  for (let k = 0; k < 4; k++) {
    const d = a[i + k]! - b[j + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The first special range that the IPv6 block [words[at..at+4), end) overlaps, or undefined. `end` is the block's
 * last address as four words.
 */
export function findSpecialV6(
  words: Uint32Array,
  at: number,
  end: Uint32Array,
  allowPrivate: boolean,
): SpecialRange | undefined {
  for (const range of SPECIAL_RANGES_V6) {
    if (allowPrivate && range.kind === 'private') continue;
    if (compareWords(words, at, range.end, 0) <= 0 && compareWords(range.start, 0, end, 0) <= 0) return range;
  }
  return undefined;
}
