/**
 * The IPv6 kernel of {@link PrefixSet}: a 128-bit address is four big-endian 32-bit words (never a BigInt on these
 * paths), a range is 8 words (start, end), inclusive, in a Uint32Array, sorted, disjoint and non-adjacent.
 * Aggregation (a native sort of 64-bit keys, then one merging pass) and the set algebra (one merging pass over both
 * sets' boundaries).
 *
 * Pure: no I/O.
 */
import type { EntryBuffer } from './entries';

/** The IPv6 ranges of parsed entries (any number of buffers, any order, overlaps and duplicates allowed). */
export function mergeV6(buffers: readonly EntryBuffer[]): Uint32Array {
  let total = 0;
  for (const b of buffers) total += b.v6Count;
  if (total === 0) return new Uint32Array(0);
  // The sort below only reads the columns, so one buffer's columns are used as they are, without a copy.
  const only = buffers.length === 1 ? buffers[0]! : undefined;
  const words = only ? only.v6Words.subarray(0, total * 4) : new Uint32Array(total * 4);
  const length = only ? only.v6Length.subarray(0, total) : new Uint8Array(total);
  if (!only) {
    let k = 0;
    for (const b of buffers) {
      words.set(b.v6Words.subarray(0, b.v6Count * 4), k * 4);
      length.set(b.v6Length.subarray(0, b.v6Count), k);
      k += b.v6Count;
    }
  }
  const order = sortV6(words, total);
  const out = new Uint32Array(total * 8);
  let n = 0; // ranges written
  // The current range's last address, word by word. Straight-line code on locals: this loop runs once over every
  // entry, much of it before the JIT has optimized it, where calls and typed-array temporaries cost the most.
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  for (let i = 0; i < total; i++) {
    const entry = order[i]!;
    const at = 4 * entry;
    const s0 = words[at]!;
    const s1 = words[at + 1]!;
    const s2 = words[at + 2]!;
    const s3 = words[at + 3]!;
    const m = 4 * length[entry]!;
    const e0 = (s0 | HOST_MASK[m]!) >>> 0;
    const e1 = (s1 | HOST_MASK[m + 1]!) >>> 0;
    const e2 = (s2 | HOST_MASK[m + 2]!) >>> 0;
    const e3 = (s3 | HOST_MASK[m + 3]!) >>> 0;
    if (n > 0) {
      // Joins the current range when start ≤ end + 1: start ≤ end, or start = end + 1 (end's trailing all-ones words
      // carry into the first word that is not all ones).
      const within = s0 !== d0 ? s0 < d0 : s1 !== d1 ? s1 < d1 : s2 !== d2 ? s2 < d2 : s3 <= d3;
      const adjacent =
        !within &&
        (d3 !== 0xffffffff
          ? s3 === d3 + 1 && s2 === d2 && s1 === d1 && s0 === d0
          : s3 === 0 &&
            (d2 !== 0xffffffff
              ? s2 === d2 + 1 && s1 === d1 && s0 === d0
              : s2 === 0 &&
                (d1 !== 0xffffffff ? s1 === d1 + 1 && s0 === d0 : s1 === 0 && d0 !== 0xffffffff && s0 === d0 + 1)));
      if (within || adjacent) {
        if (e0 !== d0 ? e0 > d0 : e1 !== d1 ? e1 > d1 : e2 !== d2 ? e2 > d2 : e3 > d3) {
          d0 = e0;
          d1 = e1;
          d2 = e2;
          d3 = e3;
          const o = 8 * (n - 1) + 4;
          out[o] = e0;
          out[o + 1] = e1;
          out[o + 2] = e2;
          out[o + 3] = e3;
        }
        continue;
      }
    }
    const o = 8 * n++;
    out[o] = s0;
    out[o + 1] = s1;
    out[o + 2] = s2;
    out[o + 3] = s3;
    out[o + 4] = e0;
    out[o + 5] = e1;
    out[o + 6] = e2;
    out[o + 7] = e3;
    d0 = e0;
    d1 = e1;
    d2 = e2;
    d3 = e3;
  }
  return out.slice(0, 8 * n);
}

/** Little-endian: element i of a BigUint64Array is words 2i (low) and 2i+1 (high) of a Uint32Array view. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * The order of IPv6 entries by address, as entry indices. Each entry becomes one 64-bit key, written through a
 * 32-bit view (no BigInt is made): its top 64 − b address bits above its index in the low b bits. The engine's
 * native BigUint64Array sort orders those keys (about four times faster than an index sort with a four-word
 * comparator, measured on 200k entries); runs of keys with the same address bits are then ordered by full address.
 */
function sortV6(words: Uint32Array, total: number): Uint32Array {
  const bits = Math.max(1, 32 - Math.clz32(total - 1)); // index bits; total ≤ 2^32
  const mask = bits === 32 ? 0xffffffff : 2 ** bits - 1;
  const keys = new BigUint64Array(total);
  const view = new Uint32Array(keys.buffer);
  const lo = LITTLE_ENDIAN ? 0 : 1;
  for (let i = 0; i < total; i++) {
    view[2 * i + lo] = ((words[4 * i + 1]! & ~mask) | i) >>> 0;
    view[2 * i + 1 - lo] = words[4 * i]!;
  }
  keys.sort();
  const order = new Uint32Array(total);
  // Entries whose keys share the address bits are in index order: sort each such run by full address. Runs are
  // short in real lists (duplicates, hosts of one network), so an insertion sort on words 1–3 does it in place; a
  // long run (thousands of hosts of one /64) takes the comparison sort.
  let runStart = 0;
  let runHigh = view[1 - lo]!;
  let runLow = view[lo]! & ~mask;
  for (let i = 0; i <= total; i++) {
    if (i < total) {
      const low = view[2 * i + lo]!;
      order[i] = low & mask;
      if (view[2 * i + 1 - lo] === runHigh && (low & ~mask) === runLow) continue;
    }
    if (i - runStart > 1) sortRun(words, order, runStart, i);
    if (i < total) {
      runStart = i;
      runHigh = view[2 * i + 1 - lo]!;
      runLow = view[2 * i + lo]! & ~mask;
    }
  }
  return order;
}

/** Sorts `order[from, to)` (entries whose word 0 is equal) by words 1–3 of their addresses. */
function sortRun(words: Uint32Array, order: Uint32Array, from: number, to: number): void {
  if (to - from > 32) {
    const run = Array.from(order.subarray(from, to));
    run.sort((x, y) => compare(words, 4 * x, words, 4 * y));
    order.set(run, from);
    return;
  }
  for (let i = from + 1; i < to; i++) {
    const entry = order[i]!;
    const a1 = words[4 * entry + 1]!;
    const a2 = words[4 * entry + 2]!;
    const a3 = words[4 * entry + 3]!;
    let j = i - 1;
    for (; j >= from; j--) {
      const other = 4 * order[j]!;
      const b1 = words[other + 1]!;
      const b2 = words[other + 2]!;
      if (b1 < a1 || (b1 === a1 && (b2 < a2 || (b2 === a2 && words[other + 3]! <= a3)))) break;
      order[j + 1] = order[j]!;
    }
    order[j + 1] = entry;
  }
}

/** For each prefix length 0–128, the host mask of each of the four words: `end = start | mask`. */
const HOST_MASK = (() => {
  const table = new Uint32Array(129 * 4);
  for (let length = 0; length <= 128; length++) {
    for (let k = 0; k < 4; k++) {
      const keep = length - 32 * k;
      table[4 * length + k] = keep >= 32 ? 0 : keep <= 0 ? 0xffffffff : 0xffffffff >>> keep;
    }
  }
  return table;
})();

/** Lexicographic comparison of two 128-bit values. */
function compare(a: Uint32Array, ai: number, b: Uint32Array, bi: number): number {
  for (let k = 0; k < 4; k++) {
    const d = a[ai + k]! - b[bi + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The IPv6 ranges of the addresses `keep` selects from `a` and `b` (the truth table of `combineV4`). One merging
 * pass over both sets' boundaries, word by word, so O(|a| + |b|) with no BigInt and no allocation beyond the result
 * (a BigInt per boundary, hashed into a Set, made this quadratic: V8 hashes a BigInt by its low 64 bits, which are
 * zero for every /64 and shorter prefix, docs/aws-behaviour.md §39). A range's end + 1 is never computed where it
 * could overflow 2^128: it is compared as "the end, plus one" (see {@link compareBoundaries}) and written only when a
 * range of the result opens there, which it cannot at the top of the space.
 */
export function combineV6(a: Uint32Array, b: Uint32Array, keep: number): Uint32Array {
  // Each boundary of the result is one of a's or b's, so the result has at most as many.
  const out = new Uint32Array(a.length + b.length);
  const na = a.length >> 2; // boundaries of a: each range's start, then its end + 1, four words each
  const nb = b.length >> 2;
  let n = 0;
  let i = 0; // boundaries of a passed: an address is in a when i is odd
  let j = 0;
  let open = 0;
  while (i < na || j < nb) {
    const c = i >= na ? 1 : j >= nb ? -1 : compareBoundaries(a, i, b, j);
    const from = c <= 0 ? a : b;
    const k = c <= 0 ? i : j;
    if (c <= 0) i++;
    if (c >= 0) j++;
    const kept = (keep >> (((i & 1) << 1) | (j & 1))) & 1;
    if (kept !== open) {
      // The boundary is the stored words plus (k & 1); a range opens at it and closes one address before it.
      writeShifted(out, n, from, 4 * k, (k & 1) + kept - 1);
      n += 4;
      open = kept;
    }
  }
  return out.slice(0, n);
}

/** Compares boundary i of `a` with boundary j of `b` (an even boundary is a start, an odd one an end + 1). */
function compareBoundaries(a: Uint32Array, i: number, b: Uint32Array, j: number): number {
  const c = compare(a, 4 * i, b, 4 * j);
  const plusA = i & 1;
  if (plusA === (j & 1)) return c;
  if (plusA === 0) {
    // a's start against b's end + 1: before it when start ≤ end, equal when start is end + 1.
    if (c <= 0) return -1;
    return isSuccessor(a, 4 * i, b, 4 * j) ? 0 : 1;
  }
  if (c >= 0) return 1;
  return isSuccessor(b, 4 * j, a, 4 * i) ? 0 : -1;
}

/** True when x = y + 1 (false when y is the last address: y + 1 is outside the space). */
function isSuccessor(x: Uint32Array, xi: number, y: Uint32Array, yi: number): boolean {
  // y + 1: y's trailing all-ones words become zero, the word above them grows by one, the words above that stay.
  let k = 3;
  for (; k >= 0 && y[yi + k] === 0xffffffff; k--) if (x[xi + k] !== 0) return false;
  if (k < 0 || x[xi + k] !== y[yi + k]! + 1) return false;
  for (k--; k >= 0; k--) if (x[xi + k] !== y[yi + k]) return false;
  return true;
}

/** Writes the 128-bit value at `from[at]` plus `delta` (−1, 0 or 1; the caller knows it does not wrap) at `out[o]`. */
function writeShifted(out: Uint32Array, o: number, from: Uint32Array, at: number, delta: number): void {
  out[o] = from[at]!;
  out[o + 1] = from[at + 1]!;
  out[o + 2] = from[at + 2]!;
  out[o + 3] = from[at + 3]!;
  // Uint32Array stores modulo 2^32: a word that wraps carries (or borrows) into the one above.
  for (let k = 3; delta !== 0 && k >= 0; k--) {
    const word = out[o + k]!;
    out[o + k] = word + delta;
    // No carry out of this word unless it went from all ones to zero; no borrow unless it went from zero.
    if (word !== (delta === 1 ? 0xffffffff : 0)) break;
  }
}
