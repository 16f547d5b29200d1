/**
 * A columnar buffer of parsed entries, the output of every format parser and the input of the policy and the
 * aggregation. Entries are stored in typed arrays (address, length, origin), never as one object per entry, so a
 * list of millions of lines costs a few bytes per line.
 *
 * `origin` is an integer the format chose: the 1-based line number for line formats, or an index that the format's
 * `describeOrigin` turns into a JSON path. Pure: no I/O.
 */
import { type Family, scratch } from './prefix';

/** Parsed entries of one source, per family, in input order. */
export class EntryBuffer {
  /** Number of IPv4 entries. */
  v4Count = 0;
  /** IPv4 network addresses. */
  v4Address: Uint32Array;
  /** IPv4 prefix lengths. */
  v4Length: Uint8Array;
  /** IPv4 origins (line number or format-defined index). */
  v4Origin: Int32Array;
  /** Number of IPv6 entries. */
  v6Count = 0;
  /** IPv6 network addresses, four big-endian 32-bit words each. */
  v6Words: Uint32Array;
  /** IPv6 prefix lengths. */
  v6Length: Uint8Array;
  /** IPv6 origins. */
  v6Origin: Int32Array;

  /**
   * @param capacity expected entries. The IPv4 columns start at this size; the IPv6 ones (16 bytes an entry) start
   * small and grow, so a large IPv4-only list does not zero-fill megabytes it never uses.
   */
  constructor(capacity = 1024) {
    this.v4Address = new Uint32Array(capacity);
    this.v4Length = new Uint8Array(capacity);
    this.v4Origin = new Int32Array(capacity);
    const v6 = Math.min(capacity, 1024);
    this.v6Words = new Uint32Array(v6 * 4);
    this.v6Length = new Uint8Array(v6);
    this.v6Origin = new Int32Array(v6);
  }

  /** Total entries of both families. */
  get count(): number {
    return this.v4Count + this.v6Count;
  }

  /** Appends the prefix that the last `parsePrefixBytes` call left in `scratch`. */
  pushScratch(family: Family, origin: number): void {
    if (family === 4) this.pushV4(scratch.v4, scratch.length, origin);
    else this.pushV6(scratch.v6, scratch.length, origin);
  }

  /** Appends an IPv4 prefix (network address, length). */
  pushV4(address: number, length: number, origin: number): void {
    if (this.v4Count === this.v4Address.length) {
      const size = Math.max(this.v4Count * 2, 16);
      this.v4Address = grow(this.v4Address, size);
      this.v4Length = grow(this.v4Length, size);
      this.v4Origin = grow(this.v4Origin, size);
    }
    const i = this.v4Count++;
    this.v4Address[i] = address;
    this.v4Length[i] = length;
    this.v4Origin[i] = origin;
  }

  /** Appends an IPv6 prefix (four words, length). */
  pushV6(words: ArrayLike<number>, length: number, origin: number): void {
    if (this.v6Count === this.v6Length.length) {
      // Grows by 4× while small: the IPv6 columns start at 1,024 entries whatever the list's size.
      const size = Math.max(this.v6Count * (this.v6Count < 65536 ? 4 : 2), 16);
      this.v6Words = grow(this.v6Words, size * 4);
      this.v6Length = grow(this.v6Length, size);
      this.v6Origin = grow(this.v6Origin, size);
    }
    const i = this.v6Count++;
    this.v6Words[4 * i] = words[0]!;
    this.v6Words[4 * i + 1] = words[1]!;
    this.v6Words[4 * i + 2] = words[2]!;
    this.v6Words[4 * i + 3] = words[3]!;
    this.v6Length[i] = length;
    this.v6Origin[i] = origin;
  }

  /** Appends every entry of `other`, keeping its origins. */
  append(other: EntryBuffer): void {
    for (let i = 0; i < other.v4Count; i++) this.pushV4(other.v4Address[i]!, other.v4Length[i]!, other.v4Origin[i]!);
    for (let i = 0; i < other.v6Count; i++) {
      this.pushV6(other.v6Words.subarray(4 * i, 4 * i + 4), other.v6Length[i]!, other.v6Origin[i]!);
    }
  }
}

function grow<T extends Uint32Array | Uint8Array | Int32Array>(array: T, size: number): T {
  const next = new (array.constructor as new (n: number) => T)(size);
  next.set(array);
  return next;
}
