/**
 * The large deployment of the large-run bench (docs/performance-large-run.md): 25 allowlists, 100,000 entries in all,
 * on security-group pools, WAF IP-set pools and managed prefix lists, held by the project's stateful AWS fakes. The
 * fakes live under test/ (they are test code, never shipped); the bench imports them because they are the only AWS
 * this machine has that enforces AWS's documented behaviour (docs/aws-behaviour.md §12–§28).
 *
 * The split follows the quotas (docs/design.md section 5), since every target of an allowlist holds the whole list:
 * - Security groups: one rule per prefix and port range, and rules per group × groups per ENI ≤ 1000
 *   (docs/aws-behaviour.md §12). A pool of 5 groups (the default groups per ENI) at a raised 200 rules per group per
 *   family holds 1000 rules per family: 850 IPv4 + 100 IPv6 prefixes on one port leaves room for a change.
 * - Prefix lists: ≤ 1000 entries each, one family each (§27): 900 IPv4 + 100 IPv6 per allowlist.
 * - WAF: 10,000 addresses per set (§22), several sets per family: it takes the rest, 86 % of the entries.
 * Entries are /32 hosts and /48s two apart, so aggregation keeps each one (100,000 entries are 100,000 prefixes).
 */
import { parseRuntimeConfig, type RuntimeConfig } from '../lambda/config';
import { FakeEc2 } from '../test/fakes/fake-ec2';
import { FakeS3 } from '../test/fakes/fake-s3';
import { FakeSsm } from '../test/fakes/fake-ssm';
import { FakeWafv2 } from '../test/fakes/fake-wafv2';

/** One allowlist of the deployment: its target kind, its entry counts per family and its target's size. */
export interface AllowlistShape {
  readonly name: string;
  readonly kind: 'security-groups' | 'waf-ip-sets' | 'prefix-lists';
  readonly v4: number;
  readonly v6: number;
  /** Security groups in the pool, or WAF sets per family ([IPv4, IPv6]), or MaxEntries per family. */
  readonly size: readonly [number, number];
}

/** Inbound rules per group per family, raised from the default 60 so that 5 groups × 200 = the ENI's 1000. */
export const RULES_PER_GROUP = 200;
/** The one port range every security-group pool opens. */
const PORTS = [{ protocol: 'tcp', from: 443, to: 443 }] as const;

/**
 * The 25 allowlists at `scale` (1 = 100,000 entries; the economy test runs a smaller one). Targets keep their full
 * size at every scale, so a smaller run exercises the same pools.
 */
export function largeDeployment(scale = 1): AllowlistShape[] {
  const n = (count: number) => Math.max(1, Math.round(count * scale));
  const shapes: AllowlistShape[] = [];
  const add = (prefix: string, count: number, shape: Omit<AllowlistShape, 'name'>) => {
    for (let i = 0; i < count; i++)
      shapes.push({ name: `${prefix}-${i + 1}`, ...shape, v4: n(shape.v4), v6: n(shape.v6) });
  };
  add('sg', 6, { kind: 'security-groups', v4: 850, v6: 100, size: [5, 0] });
  add('pl', 8, { kind: 'prefix-lists', v4: 900, v6: 100, size: [1000, 200] });
  add('waf-large', 3, { kind: 'waf-ip-sets', v4: 18_100, v6: 4_000, size: [3, 1] });
  add('waf', 8, { kind: 'waf-ip-sets', v4: 2_150, v6: 350, size: [1, 1] });
  return shapes;
}

/** The entries of allowlist `index`: IPv4 /32 hosts in 11+index.0.0.0/8, IPv6 /48s in 2a00:(0x100+index)::/32. */
export function entriesOf(index: number, shape: AllowlistShape, changed: ReadonlySet<number> = new Set()): string[] {
  const lines: string[] = [];
  for (let j = 0; j < shape.v4 + shape.v6; j++) {
    // A changed entry moves to another part of the same /8 or /16 (never next to a kept one, so nothing merges).
    const fresh = changed.has(j);
    if (j < shape.v4) {
      const h = 2 * j + (fresh ? 1 << 23 : 0);
      lines.push(`${11 + index}.${(h >>> 16) & 255}.${(h >>> 8) & 255}.${h & 255}/32`);
    } else {
      const block = (fresh ? 0x200 : 0x100) + index;
      lines.push(`2a00:${block.toString(16)}:${(2 * (j - shape.v4)).toString(16)}::/48`);
    }
  }
  return lines;
}

/** Which entries of an allowlist the second run changes: 1 % of them (at least one), spread evenly. */
export function changedEntries(shape: AllowlistShape, share = 0.01): Set<number> {
  const total = shape.v4 + shape.v6;
  const k = Math.max(1, Math.round(total * share));
  return new Set(Array.from({ length: k }, (_, i) => Math.floor(((i + 0.5) * total) / k)));
}

/** The fakes holding the deployment, its RuntimeConfig, and how to publish each list. */
export interface LargeWorld {
  readonly shapes: readonly AllowlistShape[];
  readonly config: RuntimeConfig;
  readonly ec2: FakeEc2;
  readonly waf: FakeWafv2;
  readonly s3: FakeS3;
  readonly ssm: FakeSsm;
  /** Security group ids, IP set ids and prefix list ids per allowlist name. */
  readonly resources: ReadonlyMap<string, { groups: string[]; sets: string[]; lists: string[] }>;
  /** Uploads every list (with `changed` entries moved) as a new S3 object version. */
  publish(changed?: ReadonlyMap<string, ReadonlySet<number>>): void;
  /** The virtual clock: sleeps (WAF pacing, backoff) advance it and cost no real time. */
  clock: number;
}

const BUCKET = 'allowlist-sync-lists';

/**
 * Builds the fakes with empty targets and the RuntimeConfig that points at them. Throttling and latency are off:
 * the WAF fake's one-write-per-second check is disabled (the drivers still pace on the virtual clock) and the fakes
 * answer at once, so the time measured is our code's CPU plus the fakes'.
 */
export function buildLargeWorld(shapes: readonly AllowlistShape[]): LargeWorld {
  const world = { clock: 1_700_000_000_000 } as { clock: number };
  const now = () => world.clock;
  // historyLimit 0: no stale-read faults here, and 64 past copies of the whole state would swamp the memory measured.
  const ec2 = new FakeEc2({ rulesPerGroup: { ipv4: RULES_PER_GROUP, ipv6: RULES_PER_GROUP }, historyLimit: 0 });
  const waf = new FakeWafv2({ enforceWriteRate: false, now, historyLimit: 0 });
  const s3 = new FakeS3(now).createBucket(BUCKET);
  const ssm = new FakeSsm(now);
  const resources = new Map<string, { groups: string[]; sets: string[]; lists: string[] }>();
  const allowlists = shapes.map((shape) => {
    const r = { groups: [] as string[], sets: [] as string[], lists: [] as string[] };
    resources.set(shape.name, r);
    let target: Record<string, unknown>;
    if (shape.kind === 'security-groups') {
      r.groups = Array.from({ length: shape.size[0] }, () => ec2.createSecurityGroup());
      const rulesPerGroup = { ipv4: RULES_PER_GROUP, ipv6: RULES_PER_GROUP };
      target = { kind: shape.kind, groupIds: r.groups, ports: PORTS, rulesPerGroup };
    } else if (shape.kind === 'waf-ip-sets') {
      const sets = (family: 'IPV4' | 'IPV6', count: number) =>
        Array.from({ length: count }, (_, i) => {
          const ref = waf.createIpSet({ scope: 'REGIONAL', name: `${shape.name}-${family}-${i + 1}`, family });
          r.sets.push(ref.Id);
          return { name: ref.Name, id: ref.Id };
        });
      target = {
        kind: shape.kind,
        scope: 'REGIONAL',
        ipv4: sets('IPV4', shape.size[0]),
        ipv6: sets('IPV6', shape.size[1]),
      };
    } else {
      const [v4, v6] = [4, 6].map((family, i) =>
        ec2.createPrefixList({
          family: family as 4 | 6,
          maxEntries: shape.size[i] as number,
          name: `${shape.name}-v${family}`,
        }),
      );
      r.lists = [v4 as string, v6 as string];
      target = { kind: shape.kind, ipv4: v4, ipv6: v6 };
    }
    return { name: shape.name, sources: [{ kind: 's3', bucket: BUCKET, key: `${shape.name}.txt` }], targets: [target] };
  });
  const publish = (changed: ReadonlyMap<string, ReadonlySet<number>> = new Map()) => {
    shapes.forEach((shape, i) => {
      s3.putObject(BUCKET, `${shape.name}.txt`, `${entriesOf(i, shape, changed.get(shape.name)).join('\n')}\n`);
    });
  };
  publish();
  return Object.assign(world, {
    shapes,
    config: parseRuntimeConfig({ version: 1, allowlists }),
    ec2,
    waf,
    s3,
    ssm,
    resources,
    publish,
  });
}
