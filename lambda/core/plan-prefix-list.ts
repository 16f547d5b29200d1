/**
 * The managed prefix list planner: desired prefixes + the observed lists (one per family) → ModifyManagedPrefixList
 * calls, in a safe order.
 *
 * Contract: a pure function over plain data; no SDK, no clock. Same input → same plan, whatever order the entries were
 * listed in.
 *
 * What AWS imposes (docs/aws-behaviour.md §27–28): a modify names the version it read (`CurrentVersion`) and each
 * successful entry change makes the next version, so the plan numbers its calls from the version read; at most 100 adds
 * and 100 removes per call; the entries never exceed MaxEntries, and MaxEntries cannot change in the same call as
 * entries. A call is atomic, which the planner uses: the last batch of adds carries the first removes.
 *
 * Order (P5, make-before-break, over the whole target by address): every add before any remove that loses an old
 * address. With lists of both families, only one list may finish its adds in the same call as such removes (the
 * other family must already admit its whole new list); removes that lose no address (the old entry's addresses are
 * all in the new list) may ride with the last adds of any list. When the old and new entries together exceed
 * MaxEntries: grow MaxEntries up to `growUpTo` first (a separate call) when the config allows, else remove the
 * entries that admit no wanted address first and flag the plan `degraded`; when even the new list does not fit,
 * refuse before any write.
 *
 * Every entry of a managed prefix list is ours (the CDK creates the list empty, and the sync owns its entries), so
 * nothing is unowned (U = ∅) and there is never drift to report.
 */

import { cidrBounds, OverlapIndex, sortCidrs } from './cidr-order';
import type { Capacity, Desired, EntryNote, TargetPlan } from './model';
import type { Cidr, Family } from './prefix';

/** At most this many adds, and this many removes, per ModifyManagedPrefixList (docs/aws-behaviour.md §28). */
export const PREFIX_LIST_BATCH = 100;
/** The largest MaxEntries AWS allows (docs/aws-behaviour.md §27). */
export const PREFIX_LIST_MAX_ENTRIES = 1000;
/** An entry description is at most this long. */
export const PREFIX_LIST_DESCRIPTION_MAX = 255;

/** One entry as read. */
export interface ObservedPrefixListEntry {
  readonly cidr: Cidr;
  readonly description?: string;
}

/** One managed prefix list as read (after waiting out `modify-in-progress`). */
export interface ObservedPrefixList {
  readonly id: string;
  readonly family: Family;
  readonly state: string;
  readonly version: number;
  readonly maxEntries: number;
  /** Canonical, distinct, in any order. */
  readonly entries: readonly ObservedPrefixListEntry[];
}

/** The observed lists of a target, by family; a family absent from the config is absent here. */
export interface PrefixListsObserved {
  readonly 4?: ObservedPrefixList;
  readonly 6?: ObservedPrefixList;
}

/** Planner options, from the target config. */
export interface PrefixListPlanOptions {
  /** Grow MaxEntries up to this many when the lists do not fit; absent = refuse (or degrade) instead. */
  readonly growUpTo?: number;
}

/** One entry to add, with its description. */
export interface PrefixListAdd {
  readonly cidr: Cidr;
  readonly description?: string;
}

/** One ModifyManagedPrefixList call. */
export type PrefixListWrite =
  /** Raise MaxEntries (no entry change, no version). */
  | { readonly kind: 'resize'; readonly prefixListId: string; readonly family: Family; readonly maxEntries: number }
  /** Add and remove entries, naming the version this call expects. */
  | {
      readonly kind: 'modify';
      readonly prefixListId: string;
      readonly family: Family;
      readonly currentVersion: number;
      readonly add: readonly PrefixListAdd[];
      readonly remove: readonly Cidr[];
    };

/** Plans the calls that make the target's prefix lists hold exactly `desired`. */
export function planPrefixLists(
  desired: Desired,
  observed: PrefixListsObserved,
  options: PrefixListPlanOptions = {},
): TargetPlan<PrefixListWrite> {
  const lists = [observed[4], observed[6]].filter((l): l is ObservedPrefixList => l !== undefined);
  const targetId = `prefix-lists:${lists.map((l) => l.id).join(',')}`;
  const held = lists.flatMap((l) => l.entries.map((e) => e.cidr));
  const wantedAll = [...desired.cidrs[4], ...desired.cidrs[6]];
  const wantedSet = new Set(wantedAll);
  const heldSet = new Set(held);
  const add = sortCidrs(wantedAll.filter((c) => !heldSet.has(c)));
  const remove = sortCidrs(held.filter((c) => !wantedSet.has(c)));
  const base = {
    kind: 'prefix-lists' as const,
    targetId,
    add,
    remove,
    unchanged: wantedSet.size - add.length,
    current: heldSet.size,
    drift: [],
  };

  const works: ListWork[] = [];
  for (const family of [4, 6] as const) {
    const wanted = sortCidrs(desired.cidrs[family]);
    const list = observed[family];
    if (list === undefined) {
      if (wanted.length === 0) continue;
      const capacity: Capacity = {
        fits: false,
        needed: wanted.length,
        available: 0,
        unit: `IPv${family} entries`,
        advice: `the allowlist has ${wanted.length} IPv${family} prefixes and the target has no IPv${family} prefix list: add one (ipv${family}) to the target`,
      };
      return { ...base, capacity, degraded: false, writes: [] };
    }
    works.push(diffList(list, wanted, desired.notes));
  }
  chooseCombines(works);
  for (const w of works) {
    const refusal = fitList(w, options.growUpTo);
    if (refusal) return { ...base, capacity: refusal, degraded: false, writes: [] };
  }
  const capacity: Capacity = {
    fits: true,
    needed: wantedSet.size,
    available: works.reduce((n, w) => n + (w.resize ?? w.list.maxEntries), 0),
    unit: 'entries',
  };
  return { ...base, capacity, degraded: works.some((w) => w.degraded), writes: emit(works) };
}

/** One list's changes and how they will be sent. */
interface ListWork {
  readonly list: ObservedPrefixList;
  readonly final: number;
  readonly adds: readonly PrefixListAdd[];
  /** Removes that lose no address (every address is in the new list), ascending. */
  readonly covered: readonly Cidr[];
  /** Removes that admit some address the new list does not (a Set keeps the ascending insertion order). */
  readonly losing: ReadonlySet<Cidr>;
  /** Of `losing`: those that admit no wanted address at all (removed first in a degraded plan). */
  readonly disjoint: ReadonlySet<Cidr>;
  /** True when the last batch of adds carries the first removes. */
  combine: boolean;
  degraded: boolean;
  resize?: number;
}

function diffList(list: ObservedPrefixList, wanted: readonly Cidr[], notes: Desired['notes']): ListWork {
  const heldSet = new Set(list.entries.map((e) => e.cidr));
  const wantedSet = new Set(wanted);
  // The wanted list is minimal, so its prefixes are disjoint: an old entry is covered when one wanted prefix
  // contains it or the wanted prefixes inside it add up to its size.
  const wantedIndex = new OverlapIndex<readonly [bigint, bigint]>();
  for (const c of wanted) {
    const [start, end] = cidrBounds(c);
    wantedIndex.add(c, [start, end]);
  }
  const covered: Cidr[] = [];
  const losing = new Set<Cidr>();
  const disjoint = new Set<Cidr>();
  for (const c of sortCidrs(heldSet)) {
    if (wantedSet.has(c)) continue;
    const [start, end] = cidrBounds(c);
    const overlapping = [...new Set(wantedIndex.overlapping(c))];
    const contained = overlapping.some(([s, e]) => s <= start && e >= end);
    const inside = overlapping.reduce((n, [s, e]) => n + (e - s + 1n), 0n);
    if (contained || inside === end - start + 1n) covered.push(c);
    else {
      losing.add(c);
      if (overlapping.length === 0) disjoint.add(c);
    }
  }
  const adds = wanted.filter((c) => !heldSet.has(c)).map((cidr) => withDescription(cidr, notes.get(cidr)));
  return { list, final: wanted.length, adds, covered, losing, disjoint, combine: false, degraded: false };
}

/** An entry description from the entry's note and owner, within the API's limit. */
export function entryDescription(note: EntryNote | undefined): string | undefined {
  if (!note) return undefined;
  const parts = [note.note, note.owner === undefined ? undefined : `owner: ${note.owner}`];
  const text = parts
    .filter((p) => p !== undefined && p !== '')
    .join('; ')
    .replace(/[\u0000-\u001f\u007f]/g, ' ');
  return text === '' ? undefined : text.slice(0, PREFIX_LIST_DESCRIPTION_MAX);
}

function withDescription(cidr: Cidr, note: EntryNote | undefined): PrefixListAdd {
  const description = entryDescription(note);
  return description === undefined ? { cidr } : { cidr, description };
}

/** Removes in send order: the ones that lose nothing first, so they are the ones riding with the last adds. */
function removesOf(w: ListWork): Cidr[] {
  return [...w.covered, ...w.losing];
}

/**
 * Whether each list's last add batch carries its first removes. Safe when those removes lose no address; when they
 * do, only the last such list may (every other family has then finished its adds already).
 */
function chooseCombines(works: ListWork[]): void {
  let risky: ListWork | undefined;
  for (const w of works) {
    const removes = removesOf(w);
    if (w.adds.length === 0 || removes.length === 0) continue;
    const first = removes.slice(0, PREFIX_LIST_BATCH);
    if (first.every((c) => !w.losing.has(c))) w.combine = true;
    else risky = w;
  }
  if (risky) risky.combine = true;
}

/** The most entries the list holds at once during its calls, in normal or degraded order. */
function peak(w: ListWork, degraded: boolean): number {
  const start = w.list.entries.length - (degraded ? w.disjoint.size : 0);
  const removes = removesOf(w).filter((c) => !degraded || !w.disjoint.has(c));
  const carried = w.combine || degraded ? Math.min(PREFIX_LIST_BATCH, removes.length) : 0;
  // All adds land (the last batch net of the removes it carries) before the remaining removes shrink the list.
  const adds = w.adds.length;
  if (adds === 0) return start;
  const beforeLast = start + (Math.ceil(adds / PREFIX_LIST_BATCH) - 1) * PREFIX_LIST_BATCH;
  return Math.max(start, beforeLast, start + adds - carried);
}

/** Decides growth or degradation for one list; returns a refusal when the list cannot hold the new entries. */
function fitList(w: ListWork, growUpTo: number | undefined): Capacity | undefined {
  const max = w.list.maxEntries;
  const ceiling = Math.min(PREFIX_LIST_MAX_ENTRIES, Math.max(max, growUpTo ?? 0));
  const normal = peak(w, false);
  if (normal <= max) return undefined;
  if (normal <= ceiling) {
    w.resize = normal;
    return undefined;
  }
  if (w.final <= ceiling) {
    w.degraded = true;
    w.combine = w.adds.length > 0;
    const reduced = peak(w, true);
    if (reduced <= max) return undefined;
    if (reduced <= ceiling) {
      w.resize = reduced;
      return undefined;
    }
  }
  const needed = Math.max(w.final, w.final <= ceiling ? peak(w, true) : w.final);
  const fix =
    needed > PREFIX_LIST_MAX_ENTRIES
      ? `split the allowlist: a prefix list holds at most ${PREFIX_LIST_MAX_ENTRIES} entries`
      : `raise MaxEntries of ${w.list.id} to at least ${needed} (resize the list, or set growUpTo: ${needed} on the target)`;
  return {
    fits: false,
    needed,
    available: ceiling,
    unit: `IPv${w.list.family} entries`,
    advice: `${w.list.id} holds at most ${ceiling} entries and the change needs ${needed}: ${fix}`,
  };
}

/** The calls, over all lists, in the order that keeps P5 (or P3/P4 only, for a degraded list). */
function emit(works: readonly ListWork[]): PrefixListWrite[] {
  const out: PrefixListWrite[] = [];
  const version = new Map<ListWork, number>(works.map((w) => [w, w.list.version]));
  const pendingRemoves = new Map<ListWork, Cidr[]>();
  const heldBack = new Map<ListWork, PrefixListAdd[]>();
  const modify = (w: ListWork, add: readonly PrefixListAdd[], remove: readonly Cidr[]): void => {
    if (add.length === 0 && remove.length === 0) return;
    const currentVersion = version.get(w)!;
    version.set(w, currentVersion + 1);
    const { id: prefixListId, family } = w.list;
    out.push({ kind: 'modify', prefixListId, family, currentVersion, add, remove });
  };
  for (const w of works) {
    if (w.resize !== undefined) {
      out.push({ kind: 'resize', prefixListId: w.list.id, family: w.list.family, maxEntries: w.resize });
    }
  }
  // A degraded list first drops what admits no wanted address, to make room.
  for (const w of works) {
    const removes = removesOf(w);
    if (w.degraded) {
      for (const batch of chunks([...w.disjoint])) modify(w, [], batch);
    }
    pendingRemoves.set(
      w,
      removes.filter((c) => !(w.degraded && w.disjoint.has(c))),
    );
  }
  for (const w of works) {
    const batches = chunks(w.adds);
    const last = w.combine ? batches.pop() : undefined;
    for (const batch of batches) modify(w, batch, []);
    if (last) heldBack.set(w, last);
  }
  // Combined calls: those whose removes lose nothing first, then the one (at most one, unless degraded) that does.
  const combined = [...heldBack.keys()].sort((a, b) => Number(losesFirst(a)) - Number(losesFirst(b)));
  for (const w of combined) {
    const removes = pendingRemoves.get(w)!;
    modify(w, heldBack.get(w)!, removes.slice(0, PREFIX_LIST_BATCH));
    pendingRemoves.set(w, removes.slice(PREFIX_LIST_BATCH));
  }
  for (const w of works) for (const batch of chunks(pendingRemoves.get(w)!)) modify(w, [], batch);
  return out;
}

function losesFirst(w: ListWork): boolean {
  const removes = removesOf(w).filter((c) => !(w.degraded && w.disjoint.has(c)));
  return removes.slice(0, PREFIX_LIST_BATCH).some((c) => w.losing.has(c));
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += PREFIX_LIST_BATCH) out.push(items.slice(i, i + PREFIX_LIST_BATCH));
  return out;
}
