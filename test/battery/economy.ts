/**
 * API economy as the fakes count it (docs/design.md §7): for one run, at most one authorize and one revoke call per
 * security group, one UpdateIPSet per changed set, and ⌈(adds + removes) / 100⌉ entry-changing modifies per prefix
 * list. Counted on first attempts: an SDK retry of the same call is the same call.
 */
import type { CallRecord } from '../fakes';
import type { World } from './world';

/** Where the call logs stood before a run, and each prefix list's entries then. */
export interface Mark {
  readonly ec2: number;
  readonly waf: number;
  readonly lists: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Marks the call logs and prefix-list entries before a run. */
export function mark(world: World): Mark {
  const lists = new Map<string, Set<string>>();
  for (const id of prefixListIds(world)) lists.set(id, new Set(world.ec2.entries(id)));
  return { ec2: world.ec2.calls.length, waf: world.waf.calls.length, lists };
}

/** The economy breaches of the run since `since`, as readable strings (empty: economical). */
export function economyBreaches(world: World, since: Mark): string[] {
  const ec2 = world.ec2.calls.slice(since.ec2).filter((c) => c.write && c.attempt === 1);
  const waf = world.waf.calls.slice(since.waf).filter((c) => c.write && c.attempt === 1);
  const out: string[] = [];
  for (const [command, key] of [
    ['AuthorizeSecurityGroupIngress', 'GroupId'],
    ['RevokeSecurityGroupIngress', 'GroupId'],
  ] as const) {
    for (const [id, n] of tally(ec2.filter((c) => c.command === command).map((c) => field(c, key)))) {
      if (n > 1) out.push(`${n} ${command} calls to ${id}`);
    }
  }
  // P5 holds over the whole target: in a pool of several sets where two sets both gain and lose addresses, one of them
  // is written twice (old ∪ new, then new). That second call is allowed there, and only there.
  const wafSets = world.config.allowlists.flatMap((a) =>
    a.targets.flatMap((t) => (t.kind === 'waf-ip-sets' ? [...t.ipv4, ...t.ipv6] : [])),
  );
  const wafLimit = wafSets.length > 1 ? 2 : 1;
  for (const [id, n] of tally(waf.filter((c) => c.command === 'UpdateIPSet').map((c) => field(c, 'Id')))) {
    if (n > wafLimit) out.push(`${n} UpdateIPSet calls to ${id}`);
  }
  for (const [id, before] of since.lists) {
    const after = new Set(world.ec2.entries(id));
    const changes = [...after].filter((c) => !before.has(c)).length + [...before].filter((c) => !after.has(c)).length;
    const modifies = ec2.filter(
      (c) => c.command === 'ModifyManagedPrefixList' && field(c, 'PrefixListId') === id && changesEntries(c),
    ).length;
    // Likewise with both families: one list's removes wait until the other list admits its whole new list.
    const extra = since.lists.size > 1 ? 1 : 0;
    if (modifies > Math.ceil(changes / 100) + extra)
      out.push(`${modifies} modifies of ${id} for ${changes} entry changes`);
  }
  return out;
}

/** Every prefix list id in the world's config. */
export function prefixListIds(world: World): string[] {
  return world.config.allowlists.flatMap((a) =>
    a.targets.flatMap((t) => (t.kind === 'prefix-lists' ? [t.ipv4, t.ipv6].filter((x): x is string => !!x) : [])),
  );
}

function field(call: CallRecord, key: string): string {
  return String((call.input as Record<string, unknown>)[key]);
}

function changesEntries(call: CallRecord): boolean {
  const input = call.input as { AddEntries?: unknown[]; RemoveEntries?: unknown[] };
  return (input.AddEntries?.length ?? 0) + (input.RemoveEntries?.length ?? 0) > 0;
}

function tally(keys: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}
