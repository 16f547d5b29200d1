/**
 * Managed prefix list operations of the EC2 fake.
 *
 * Sources: EC2 API reference for ModifyManagedPrefixList (≤ 100 adds and ≤ 100 removes; a CurrentVersion that does
 * not match fails; entries and MaxEntries cannot change in one call), GetManagedPrefixListEntries,
 * DescribeManagedPrefixLists, the ManagedPrefixList state values; docs/aws-behaviour.md §27–28. Error codes the
 * reference does not name, from public code that handles them:
 * - `PrefixListVersionMismatch`, `IncorrectState` (terraform-provider-aws retries on both);
 * - the same CIDR in AddEntries and RemoveEntries is `InvalidParameterValue`, and adding a CIDR that is already an
 *   entry is `InvalidRequest` (terraform-provider-aws, managed prefix list update, comment on description changes);
 * - removing a CIDR that is not an entry is `InvalidPrefixListModification` ("… does not exist.",
 *   terraform-provider-aws prefix list entry delete);
 * - more entries than MaxEntries is `PrefixListMaxEntriesExceeded` (a public Ruby tool lists it among the errors it
 *   retries); more than 100 adds or removes is `InvalidParameterValue` ("cannot contain more than 100 entry additions
 *   or removals", handled by a public Python script).
 */
import { formatCidr, parseCidr } from './cidr';
import { paginate } from './ec2-security-groups';
import { type Ec2State, ec2Error, type StoredEntry, type StoredPrefixList } from './ec2-state';

type Input = Record<string, unknown>;

/** How many past versions a list keeps for `TargetVersion`. */
const KEPT_VERSIONS = 32;

function requireList(state: Ec2State, id: unknown): StoredPrefixList {
  if (typeof id !== 'string' || id === '') {
    throw ec2Error('MissingParameter', 'The request must contain the parameter PrefixListId');
  }
  if (!/^pl-[0-9a-f]+$/.test(id)) {
    throw ec2Error('InvalidPrefixListId.Malformed', `Invalid id: "${id}" (expecting "pl-...")`);
  }
  const list = state.prefixLists[id];
  if (list === undefined) throw ec2Error('InvalidPrefixListID.NotFound', `The prefix list ID '${id}' does not exist.`);
  return list;
}

/**
 * Validates one entry's CIDR for a list. Host bits are rejected: the reference does not say whether prefix lists
 * canonicalise like security groups do, and a fake must not accept what AWS may reject.
 */
export function checkEntryCidr(list: { family: 4 | 6 }, text: unknown): string {
  const parsed = typeof text === 'string' ? parseCidr(text) : undefined;
  if (parsed === undefined || parsed.family !== list.family || parsed.hostBitsSet) {
    throw ec2Error(
      'InvalidParameterValue',
      `The CIDR '${String(text)}' is not a valid IPv${list.family} CIDR block for this prefix list.`,
    );
  }
  return formatCidr(parsed);
}

function checkEntryDescription(description: unknown): string | undefined {
  if (description === undefined) return undefined;
  if (typeof description !== 'string' || description.length > 255) {
    throw ec2Error('InvalidParameterValue', 'The prefix list entry description must be at most 255 characters.');
  }
  return description;
}

function describeList(list: StoredPrefixList, state: Ec2State, shownState: string): Input {
  return {
    PrefixListId: list.id,
    AddressFamily: list.family === 4 ? 'IPv4' : 'IPv6',
    State: shownState,
    PrefixListArn: `arn:aws:ec2:${state.region}:${state.accountId}:prefix-list/${list.id}`,
    PrefixListName: list.name,
    MaxEntries: list.maxEntries,
    Version: list.version,
    OwnerId: state.accountId,
  };
}

/** ModifyManagedPrefixList: versioned, ≤ 100 adds and ≤ 100 removes, never above MaxEntries, all-or-nothing. */
export function modifyPrefixList(state: Ec2State, input: Input): unknown {
  const list = requireList(state, input.PrefixListId);
  const add = (input.AddEntries as Input[] | undefined) ?? [];
  const remove = (input.RemoveEntries as Input[] | undefined) ?? [];
  const resize = input.MaxEntries;
  if (add.length > 100 || remove.length > 100) {
    throw ec2Error('InvalidParameterValue', 'The request cannot contain more than 100 entry additions or removals.');
  }
  const changesEntries = add.length > 0 || remove.length > 0;
  if (changesEntries && resize !== undefined) {
    throw ec2Error(
      'InvalidParameterCombination',
      'You cannot modify the entries of a prefix list and modify the size of a prefix list at the same time.',
    );
  }
  if (list.state === 'modify-in-progress') {
    throw ec2Error(
      'IncorrectState',
      `The prefix list ${list.id} is in the current state (modify-in-progress) and cannot be modified.`,
    );
  }
  if (changesEntries) {
    if (input.CurrentVersion === undefined) {
      throw ec2Error('MissingParameter', 'The request must contain the parameter CurrentVersion');
    }
    if (input.CurrentVersion !== list.version) {
      throw ec2Error('PrefixListVersionMismatch', 'The prefix list has the incorrect version number.');
    }
  }
  const toAdd = add.map((e) => {
    const description = checkEntryDescription(e.Description);
    return { cidr: checkEntryCidr(list, e.Cidr), ...(description === undefined ? {} : { description }) };
  });
  const toRemove = remove.map((e) => checkEntryCidr(list, e.Cidr));
  const addSet = new Set(toAdd.map((e) => e.cidr));
  if (addSet.size !== toAdd.length || new Set(toRemove).size !== toRemove.length) {
    throw ec2Error('InvalidParameterValue', 'The request contains duplicate entries.');
  }
  for (const cidr of toRemove) {
    if (addSet.has(cidr)) {
      throw ec2Error(
        'InvalidParameterValue',
        `Request cannot contain Cidr ${cidr} in both AddPrefixListEntries and RemovePrefixListEntries`,
      );
    }
  }
  const current = new Set(list.entries.map((e) => e.cidr));
  for (const cidr of toRemove) {
    if (!current.has(cidr)) {
      throw ec2Error('InvalidPrefixListModification', `The prefix list entry ${cidr} does not exist.`);
    }
  }
  for (const entry of toAdd) {
    if (current.has(entry.cidr)) throw ec2Error('InvalidRequest', 'The request received was invalid.');
  }
  const removeSet = new Set(toRemove);
  const next: StoredEntry[] = [...list.entries.filter((e) => !removeSet.has(e.cidr)), ...toAdd];
  if (next.length > list.maxEntries) {
    throw ec2Error(
      'PrefixListMaxEntriesExceeded',
      `The prefix list ${list.id} would have ${next.length} entries; its maximum is ${list.maxEntries}.`,
    );
  }
  if (resize !== undefined) {
    if (typeof resize !== 'number' || !Number.isInteger(resize) || resize < 1 || resize > 1000) {
      throw ec2Error('InvalidParameterValue', `Invalid value for MaxEntries: ${String(resize)}. It must be 1-1000.`);
    }
    if (resize < list.entries.length) {
      throw ec2Error('InvalidParameterValue', `MaxEntries ${resize} is below the current number of entries.`);
    }
    list.maxEntries = resize;
  }
  if (typeof input.PrefixListName === 'string' && input.PrefixListName !== '') list.name = input.PrefixListName;
  if (changesEntries) {
    // Only entry changes create a version (API reference: "Changing the name … does not affect the version").
    list.version += 1;
    list.entries = next;
    list.versions[list.version] = next.map((e) => ({ ...e }));
    delete list.versions[list.version - KEPT_VERSIONS];
  }
  if (changesEntries || resize !== undefined) {
    list.pendingDescribes = list.settleAfterDescribes;
    list.state = list.settleAfterDescribes > 0 ? 'modify-in-progress' : 'modify-complete';
  }
  // AWS answers a modify with the list in modify-in-progress, whatever a describe shows afterwards.
  return { PrefixList: describeList(list, state, 'modify-in-progress') };
}

/** DescribeManagedPrefixLists. A list left in modify-in-progress settles after its configured number of describes. */
export function describePrefixLists(state: Ec2State, input: Input): unknown {
  const ids = (input.PrefixListIds as string[] | undefined) ?? [];
  let lists = ids.length ? ids.map((id) => requireList(state, id)) : Object.values(state.prefixLists);
  for (const filter of (input.Filters as { Name?: string; Values?: string[] }[] | undefined) ?? []) {
    const values = filter.Values ?? [];
    if (filter.Name === 'prefix-list-id') lists = lists.filter((l) => values.includes(l.id));
    else if (filter.Name === 'prefix-list-name') lists = lists.filter((l) => values.includes(l.name));
    else throw ec2Error('InvalidParameterValue', `The filter '${String(filter.Name)}' is invalid`);
  }
  const { page, NextToken } = paginate(lists, input, 1, 100);
  const out = page.map((list) => {
    const shown = list.state;
    if (list.state === 'modify-in-progress') {
      list.pendingDescribes -= 1;
      if (list.pendingDescribes <= 0) list.state = 'modify-complete';
    }
    return describeList(list, state, shown);
  });
  return { PrefixLists: out, ...(NextToken === undefined ? {} : { NextToken }) };
}

/** GetManagedPrefixListEntries, optionally at a past version; MaxResults 1–100. */
export function getPrefixListEntries(state: Ec2State, input: Input): unknown {
  const list = requireList(state, input.PrefixListId);
  let entries = list.entries;
  if (input.TargetVersion !== undefined) {
    const past = list.versions[input.TargetVersion as number];
    if (past === undefined) {
      throw ec2Error('InvalidParameterValue', `Version ${String(input.TargetVersion)} does not exist for ${list.id}.`);
    }
    entries = past;
  }
  const { page, NextToken } = paginate(entries, input, 1, 100);
  return {
    Entries: page.map((e) => ({
      Cidr: e.cidr,
      ...(e.description === undefined ? {} : { Description: e.description }),
    })),
    ...(NextToken === undefined ? {} : { NextToken }),
  };
}

/** `lock-conflict` on a prefix list: another writer's modify bumps the version (entries unchanged). */
export function bumpPrefixListVersion(state: Ec2State, input: Input): void {
  const list = state.prefixLists[String(input.PrefixListId)];
  if (list === undefined) return;
  list.version += 1;
  list.versions[list.version] = list.entries.map((e) => ({ ...e }));
  delete list.versions[list.version - KEPT_VERSIONS];
}
