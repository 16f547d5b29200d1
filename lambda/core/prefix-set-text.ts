/**
 * Writing a {@link PrefixSet}'s ranges as its minimal CIDR list: each range split into maximal aligned blocks, each
 * block written as canonical text straight into bytes (IPv4 dotted quads, IPv6 in RFC 5952 form), one a line.
 *
 * Pure: no I/O.
 */
import { longestZeroRun } from './prefix';

const POW2 = Array.from({ length: 33 }, (_, k) => 2 ** k);

/** For each byte value: the length of its hex form without leading zeros (1 or 2), then its digits. */
const HEX_BYTE = (() => {
  const table = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) {
    const digits = v.toString(16);
    table[3 * v] = digits.length;
    for (let k = 0; k < digits.length; k++) table[3 * v + 1 + k] = digits.charCodeAt(k);
  }
  return table;
})();

/** For each byte value: 2, then its two hex digits (a leading zero kept). */
const HEX_PAIR = (() => {
  const table = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) {
    const digits = v.toString(16).padStart(2, '0');
    table[3 * v] = 2;
    table[3 * v + 1] = digits.charCodeAt(0);
    table[3 * v + 2] = digits.charCodeAt(1);
  }
  return table;
})();

/** For each byte value 0–255: its decimal digit count, then the digits as ASCII (unused slots zero). */
const OCTET = (() => {
  const table = new Uint8Array(256 * 4);
  for (let v = 0; v < 256; v++) {
    const digits = String(v);
    table[4 * v] = digits.length;
    for (let k = 0; k < digits.length; k++) table[4 * v + 1 + k] = digits.charCodeAt(k);
  }
  return table;
})();

/** Appends canonical prefix lines to a growing byte buffer. */
export class LineWriter {
  private buf: Uint8Array;
  private pos = 0;
  private readonly groups = new Uint16Array(8);

  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /**
   * Writes the minimal CIDR lines of IPv4 ranges ([start, end] pairs): each range split into maximal aligned blocks
   * (the largest block aligned at the cursor that ends within the range: O(1) with clz32) and each block's dotted quad
   * written inline on locals from an octet table, because this loop runs once per process over up to millions of lines.
   */
  v4Ranges(ranges: Float64Array): void {
    let buf = this.buf;
    let pos = this.pos;
    for (let r = 0; r < ranges.length; r += 2) {
      let s = ranges[r]!;
      const e = ranges[r + 1]!;
      while (s <= e) {
        const align = s === 0 ? 32 : 31 - Math.clz32(s & -s);
        const span = e - s + 1;
        const fit = span >= 4294967296 ? 32 : 31 - Math.clz32(span);
        const bits = align < fit ? align : fit;
        if (pos + 19 > buf.length) {
          this.pos = pos;
          this.reserve(19);
          buf = this.buf;
        }
        // Each octet's digits from the table (three bytes copied, as many kept as it has), then '.' or '/'.
        for (let shift = 24; shift >= 0; shift -= 8) {
          const o = 4 * ((s >>> shift) & 255);
          buf[pos] = OCTET[o + 1]!;
          buf[pos + 1] = OCTET[o + 2]!;
          buf[pos + 2] = OCTET[o + 3]!;
          pos += OCTET[o]!;
          buf[pos++] = shift > 0 ? 46 : 47;
        }
        const o = 4 * (32 - bits);
        buf[pos] = OCTET[o + 1]!;
        buf[pos + 1] = OCTET[o + 2]!;
        pos += OCTET[o]!;
        buf[pos++] = 10;
        s += POW2[bits]!;
      }
    }
    this.pos = pos;
  }

  /**
   * Writes the minimal CIDR lines of IPv6 ranges (8 words each: start, end), in RFC 5952 form. Like
   * {@link v4Ranges}, the split (128-bit arithmetic on four words) and the formatting run inline on locals: the loop
   * runs once per process, mostly before the JIT has optimized it, where every call and temporary costs.
   */
  v6Ranges(ranges: Uint32Array): void {
    const g = this.groups;
    let buf = this.buf;
    let pos = this.pos;
    for (let r = 0; r < ranges.length; r += 8) {
      let c0 = ranges[r]!;
      let c1 = ranges[r + 1]!;
      let c2 = ranges[r + 2]!;
      let c3 = ranges[r + 3]!;
      const e0 = ranges[r + 4]!;
      const e1 = ranges[r + 5]!;
      const e2 = ranges[r + 6]!;
      const e3 = ranges[r + 7]!;
      for (;;) {
        // span - 1 = end - cursor, word by word with borrow.
        let d3 = e3 - c3;
        let borrow = d3 < 0 ? 1 : 0;
        if (borrow) d3 += 4294967296;
        let d2 = e2 - c2 - borrow;
        borrow = d2 < 0 ? 1 : 0;
        if (borrow) d2 += 4294967296;
        let d1 = e1 - c1 - borrow;
        borrow = d1 < 0 ? 1 : 0;
        if (borrow) d1 += 4294967296;
        const d0 = e0 - c0 - borrow;
        // fit = floor(log2(span)): the bit length of span - 1, plus one when span - 1 is all ones below its top bit.
        let top: number;
        let below: boolean; // the words under the top non-zero word are all ones
        if (d0 !== 0) {
          top = 96 + 32 - Math.clz32(d0);
          below = d1 === 0xffffffff && d2 === 0xffffffff && d3 === 0xffffffff;
        } else if (d1 !== 0) {
          top = 64 + 32 - Math.clz32(d1);
          below = d2 === 0xffffffff && d3 === 0xffffffff;
        } else if (d2 !== 0) {
          top = 32 + 32 - Math.clz32(d2);
          below = d3 === 0xffffffff;
        } else {
          top = 32 - Math.clz32(d3);
          below = true;
        }
        const x = d0 !== 0 ? d0 : d1 !== 0 ? d1 : d2 !== 0 ? d2 : d3;
        const allOnes = below && ((x & (x + 1)) | 0) === 0;
        const fit = allOnes ? top : top - 1;
        // align = trailing zero bits of the cursor.
        const align =
          c3 !== 0
            ? 31 - Math.clz32(c3 & -c3)
            : c2 !== 0
              ? 63 - Math.clz32(c2 & -c2)
              : c1 !== 0
                ? 95 - Math.clz32(c1 & -c1)
                : c0 !== 0
                  ? 127 - Math.clz32(c0 & -c0)
                  : 128;
        const bits = align < fit ? align : fit;
        if (pos + 45 > buf.length) {
          this.pos = pos;
          this.reserve(45);
          buf = this.buf;
        }
        g[0] = c0 >>> 16;
        g[1] = c0 & 0xffff;
        g[2] = c1 >>> 16;
        g[3] = c1 & 0xffff;
        g[4] = c2 >>> 16;
        g[5] = c2 & 0xffff;
        g[6] = c3 >>> 16;
        g[7] = c3 & 0xffff;
        const run = longestZeroRun(g);
        const skipFrom = run < 0 ? 8 : run >> 4;
        const skipTo = run < 0 ? 8 : skipFrom + (run & 15);
        for (let k = 0; k < 8; k++) {
          if (k === skipFrom) {
            buf[pos++] = 58;
            buf[pos++] = 58;
            k = skipTo - 1;
            continue;
          }
          if (k > 0 && k !== skipTo) buf[pos++] = 58;
          const v = g[k]!;
          const hi = v >>> 8;
          if (hi !== 0) {
            const h = 3 * hi;
            buf[pos] = HEX_BYTE[h + 1]!;
            buf[pos + 1] = HEX_BYTE[h + 2]!;
            pos += HEX_BYTE[h]!;
            const l = 3 * (v & 255);
            buf[pos] = HEX_PAIR[l + 1]!;
            buf[pos + 1] = HEX_PAIR[l + 2]!;
            pos += 2;
          } else {
            const l = 3 * v;
            buf[pos] = HEX_BYTE[l + 1]!;
            buf[pos + 1] = HEX_BYTE[l + 2]!;
            pos += HEX_BYTE[l]!;
          }
        }
        buf[pos++] = 47;
        const o = 4 * (128 - bits);
        const k = OCTET[o]!;
        buf[pos] = OCTET[o + 1]!;
        buf[pos + 1] = OCTET[o + 2]!;
        buf[pos + 2] = OCTET[o + 3]!;
        pos += k;
        buf[pos++] = 10;
        // This block ends the range when its size is the whole span.
        if (allOnes && bits === fit) break;
        // cursor += 2^bits (stays ≤ end: the block did not reach it).
        const word = 3 - (bits >>> 5);
        let carry = POW2[bits & 31]!;
        if (word === 3) {
          const sum = c3 + carry;
          c3 = sum >>> 0;
          carry = sum >= 4294967296 ? 1 : 0;
        }
        if (word >= 2 && carry !== 0) {
          const sum = c2 + carry;
          c2 = sum >>> 0;
          carry = sum >= 4294967296 ? 1 : 0;
        }
        if (word >= 1 && carry !== 0) {
          const sum = c1 + carry;
          c1 = sum >>> 0;
          carry = sum >= 4294967296 ? 1 : 0;
        }
        if (carry !== 0) c0 = (c0 + carry) >>> 0;
      }
    }
    this.pos = pos;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
