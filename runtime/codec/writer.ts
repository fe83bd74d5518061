/**
 * Binary writer used by generated `encode` functions (docs/wire.md § Payload).
 *
 * One writer is shared by every encode call and writes into a slab (16 KiB, grown when a message
 * needs more). `finish()` returns a view of the bytes just written and moves on, so the common case
 * allocates one Uint8Array view and copies nothing; like Node's Buffer pool, small results share one
 * ArrayBuffer (use `.slice()` to get a private copy). Nested lengths reserve one byte and shift the
 * contents only when the nested message turns out to be 128 bytes or longer.
 *
 * Offsets returned by `fork()` are relative to the start of the current message so that they stay
 * valid when the slab is replaced by a larger one mid-message.
 */
import { writeUtf8 } from './utf8.ts';

const SLAB = 16 * 1024;
const TWO_32 = 4294967296;

export class Writer {
  buf: Uint8Array;
  /** Next byte to write. */
  pos = 0;
  /** First byte of the message being written. */
  start = 0;
  private view: DataView;
  /** Set while an encode call owns the shared writer (re-entrant calls get a fresh writer). */
  busy = false;

  constructor(size = SLAB) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    const used = this.pos - this.start;
    const next = new Uint8Array(Math.max(SLAB, (used + n) * 2));
    next.set(this.buf.subarray(this.start, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
    this.pos = used;
    this.start = 0;
  }

  /** The bytes written since the writer was acquired; the writer is free again afterwards. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.buf.buffer, this.start, this.pos - this.start);
    this.busy = false;
    if (this.buf.length - this.pos < 256 || this.buf.length > 4 * SLAB) {
      // Start a fresh slab: the old one now belongs to the views handed out.
      this.buf = new Uint8Array(SLAB);
      this.view = new DataView(this.buf.buffer);
      this.pos = 0;
    }
    this.start = this.pos;
    return out;
  }

  /** One raw byte (a precomputed one-byte tag). */
  byte(b: number): void {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = b;
  }

  /** Unsigned varint of a uint32 (also multi-byte precomputed tags and zigzagged enum values). */
  u32(v: number): void {
    if (this.pos + 5 > this.buf.length) this.grow(5);
    const b = this.buf;
    let p = this.pos;
    v >>>= 0;
    while (v > 127) {
      b[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    b[p++] = v;
    this.pos = p;
  }

  /** Zigzag varint of an int32. */
  i32(v: number): void {
    this.u32((v << 1) ^ (v >> 31));
  }

  bool(v: boolean): void {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  /** Varint of a 64-bit value given as low and high uint32 halves. */
  v64(lo: number, hi: number): void {
    if (this.pos + 10 > this.buf.length) this.grow(10);
    const b = this.buf;
    let p = this.pos;
    while (hi !== 0) {
      b[p++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 127) {
      b[p++] = (lo & 127) | 128;
      lo >>>= 7;
    }
    b[p++] = lo;
    this.pos = p;
  }

  /** Unsigned varint of a u64 (values outside 0..2^64-1 wrap, as BigInt.asUintN does). */
  u64(v: bigint): void {
    if (v >= 0n && v <= 0x1fffffffffffffn) {
      const n = Number(v);
      if (n < TWO_32) this.u32(n);
      else this.v64(n >>> 0, (n - (n >>> 0)) / TWO_32);
      return;
    }
    const u = BigInt.asUintN(64, v);
    this.v64(Number(u & 0xffffffffn), Number(u >> 32n));
  }

  /** Zigzag varint of an i64 (values outside the i64 range wrap, as BigInt.asIntN does). */
  i64(v: bigint): void {
    if (v >= -0x1fffffffffffffn && v <= 0x1fffffffffffffn) {
      this.i53(Number(v));
      return;
    }
    const s = BigInt.asIntN(64, v);
    const z = BigInt.asUintN(64, (s << 1n) ^ (s >> 63n));
    this.v64(Number(z & 0xffffffffn), Number(z >> 32n));
  }

  /** Zigzag varint of a safe integer (durations, timestamps); no BigInt. */
  i53(n: number): void {
    if (n >= -0x40000000 && n < 0x40000000) {
      this.u32((n << 1) ^ (n >> 31));
      return;
    }
    const m = n < 0 ? -n : n;
    let lo = m >>> 0;
    let hi = (m - lo) / TWO_32;
    hi = ((hi << 1) | (lo >>> 31)) >>> 0;
    lo = (lo << 1) >>> 0;
    if (n < 0) {
      // zigzag(n) = 2|n| - 1
      if (lo === 0) {
        lo = 0xffffffff;
        hi = (hi - 1) >>> 0;
      } else lo -= 1;
    }
    this.v64(lo, hi);
  }

  /** A timestamp: zigzag varint of microseconds since the Unix epoch. */
  timestamp(d: Date): void {
    const ms = d.getTime();
    if (ms !== ms) throw new TypeError('cannot encode an invalid Date');
    if (ms >= -9007199254740 && ms <= 9007199254740) this.i53(ms * 1000);
    else this.i64(BigInt(ms) * 1000n);
  }

  f32(v: number): void {
    if (this.pos + 4 > this.buf.length) this.grow(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    if (this.pos + 8 > this.buf.length) this.grow(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** Length-delimited UTF-8 (lone surrogates become U+FFFD). */
  string(s: string): void {
    const n = s.length;
    if (n < 43) {
      // At most 3 * 42 = 126 bytes: the length is one byte.
      if (this.pos + 1 + 3 * n > this.buf.length) this.grow(1 + 3 * n);
      const b = this.buf;
      const at = this.pos;
      let p = at + 1;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          p = writeUtf8(i === 0 ? s : s.slice(i), b, p);
          break;
        }
        b[p++] = c;
      }
      b[at] = p - at - 1;
      this.pos = p;
      return;
    }
    this.ensure(5 + 3 * n);
    // UTF-8 is at least as long as UTF-16 (in code units): reserve the length's minimum width.
    const at = this.pos;
    const width = varintSize(n);
    const end = writeUtf8(s, this.buf, at + width);
    this.pos = end;
    this.putLength(at, width, end - at - width);
  }

  /** Length-delimited bytes. */
  bytes(v: Uint8Array): void {
    const n = v.length;
    this.ensure(5 + n);
    this.u32(n);
    this.buf.set(v, this.pos);
    this.pos += n;
  }

  /** Length-delimited 16 bytes of a UUID written as text (hex digits and dashes; case-insensitive). */
  uuid(s: string): void {
    if (s.length !== 36) throw new TypeError(`cannot encode '${s}' as a UUID`);
    this.ensure(17);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 16;
    let hi = -1;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 45) continue;
      const d = c <= 57 ? c - 48 : (c | 32) - 87;
      if (d >>> 0 > 15) throw new TypeError(`cannot encode '${s}' as a UUID`);
      if (hi < 0) hi = d;
      else {
        b[p++] = (hi << 4) | d;
        hi = -1;
      }
    }
    if (p !== this.pos + 17) throw new TypeError(`cannot encode '${s}' as a UUID`);
    this.pos = p;
  }

  /** Reserves the one-byte length of a nested message; returns the offset to give to `join`. */
  fork(): number {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    return this.pos++ - this.start;
  }

  /** Writes the length of the nested message started by `fork`. */
  join(mark: number): void {
    const at = this.start + mark;
    const len = this.pos - at - 1;
    if (len < 128) this.buf[at] = len;
    else this.putLength(at, 1, len);
  }

  /** Writes `len` at `at` where `width` bytes were reserved, moving the `len` bytes after them if needed. */
  private putLength(at: number, width: number, len: number): void {
    const need = varintSize(len);
    if (need !== width) {
      this.ensure(need - width);
      // `ensure` may have moved the message to a new slab: recompute `at` from the unchanged distance.
      at = this.pos - len - width;
      this.buf.copyWithin(at + need, at + width, this.pos);
      this.pos += need - width;
    }
    const b = this.buf;
    let v = len;
    let p = at;
    while (v > 127) {
      b[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    b[p] = v;
  }
}

export function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

const shared = new Writer();

/** The shared writer, reset; a fresh one when an encode is already in progress (re-entrant call). */
export function acquireWriter(): Writer {
  const w = shared;
  if (w.busy) return new Writer(256);
  w.busy = true;
  w.pos = w.start;
  return w;
}

/** Returns the writer after a failed encode, dropping what was written. */
export function releaseWriter(w: Writer): void {
  w.pos = w.start;
  w.busy = false;
}
