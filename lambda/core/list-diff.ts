/**
 * `diff`'s comparison of two allowlists by address: the addresses NEW admits and OLD does not, and the reverse, each
 * as its minimal prefix list, with the notes and owners of the entries behind each prefix and the address counts per
 * family. Two lists that admit the same addresses are the same list, however they are written (a /24 as two /25s),
 * because the targets hold only the aggregated set.
 *
 * Pure: no I/O.
 */

import { OverlapIndex } from './cidr-order';
import type { EntryNote } from './model';
import type { Cidr, Family } from './prefix';
import type { PrefixSet } from './prefix-set';

/** One side of a diff: the aggregated set and its entries' notes (structured sources). */
export interface DiffSide {
  readonly set: PrefixSet;
  readonly notes: ReadonlyMap<Cidr, EntryNote>;
}

/** One prefix added or removed, with the notes of the entries it comes from (on NEW for added, OLD for removed). */
export interface DiffPrefix {
  readonly prefix: Cidr;
  /** Addresses in the prefix (decimal string: IPv6 needs BigInt). */
  readonly addresses: string;
  /** Distinct notes and owners of the entries that overlap the prefix, in address order. */
  readonly notes: readonly EntryNote[];
}

/** Added and removed address counts of one family (decimal strings). */
export interface FamilyChange {
  readonly added: string;
  readonly removed: string;
}

/** The difference between two allowlists. */
export interface ListDiff {
  /** True when both admit exactly the same addresses. */
  readonly same: boolean;
  /** Minimal prefixes of NEW \ OLD, IPv4 then IPv6, ascending. */
  readonly added: readonly DiffPrefix[];
  /** Minimal prefixes of OLD \ NEW, IPv4 then IPv6, ascending. */
  readonly removed: readonly DiffPrefix[];
  readonly addresses: { readonly ipv4: FamilyChange; readonly ipv6: FamilyChange };
}

/** Compares two allowlists by address. */
export function diffAllowlists(old: DiffSide, next: DiffSide): ListDiff {
  const added = next.set.difference(old.set);
  const removed = old.set.difference(next.set);
  const count = (s: PrefixSet, f: Family) => s.addressCount(f).toString();
  return {
    same: added.isEmpty && removed.isEmpty,
    added: annotate(added, next.notes),
    removed: annotate(removed, old.notes),
    addresses: {
      ipv4: { added: count(added, 4), removed: count(removed, 4) },
      ipv6: { added: count(added, 6), removed: count(removed, 6) },
    },
  };
}

function annotate(set: PrefixSet, notes: ReadonlyMap<Cidr, EntryNote>): DiffPrefix[] {
  const index = new OverlapIndex<EntryNote>();
  for (const [cidr, note] of notes) index.add(cidr, note);
  return set.toCidrs().map((prefix) => {
    const seen = new Set<string>();
    const found: EntryNote[] = [];
    for (const note of notes.size === 0 ? [] : index.overlapping(prefix)) {
      const key = `${note.note ?? ''}\u0000${note.owner ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      found.push(note);
    }
    return { prefix, addresses: addressesOf(prefix).toString(), notes: found };
  });
}

function addressesOf(prefix: Cidr): bigint {
  const slash = prefix.lastIndexOf('/');
  const bits = prefix.includes(':') ? 128 : 32;
  return 1n << BigInt(bits - Number(prefix.slice(slash + 1)));
}
