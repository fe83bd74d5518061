/**
 * Binary reader used by generated `decode` functions (docs/wire.md § Payload). Input is hostile:
 * every read is bounds-checked, a length is checked against the remaining input before anything is
 * allocated for it, nesting depth and the total number of decoded elements are limited, and every
 * failure is a `DecodeError` with the byte offset.
 */
import type { JsonValue } from './codec.ts';
import { DecodeError } from './errors.ts';
import { findJsonProblem } from './strict-json.ts';
import { readUtf8 } from './utf8.ts';

export interface DecodeLimits {
  /** Deepest nesting of messages (structs, unions, map entries, packed runs) and of `json` values. Default 64. */
  readonly maxDepth: number;
  /** Most array elements plus map entries in one decoded message. Default 1 000 000. */
  readonly maxElements: number;
}

const limits: { maxDepth: number; maxElements: number } = { maxDepth: 64, maxElements: 1_000_000 };

/** Changes the limits every decoder applies (process-wide); returns the previous ones. */
export function setDecodeLimits(next: Partial<DecodeLimits>): DecodeLimits {
  const prev = { ...limits };
  if (next.maxDepth !== undefined) limits.maxDepth = next.maxDepth;
  if (next.maxElements !== undefined) limits.maxElements = next.maxElements;
  return prev;
}

export function decodeLimits(): DecodeLimits {
  return { ...limits };
}

const TWO_32 = 4294967296;
/** Scratch for fixed-width floats: bytes are copied in (little-endian order on the wire) and read back as a float. */
const f64 = new Float64Array(1);
const f32 = new Float32Array(f64.buffer, 0, 1);
const f8 = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** Largest |milliseconds| a Date can hold. */
const MAX_DATE_MS = 8.64e15;

export class Reader {
  readonly buf: Uint8Array;
  pos = 0;
  readonly len: number;
  depth = 0;
  elements = 0;
  /** Halves of the last 64-bit varint read by `v64`. */
  lo = 0;
  hi = 0;

  constructor(buf: Uint8Array) {
    if (!(buf instanceof Uint8Array)) throw new DecodeError('input is not a Uint8Array', 0);
    this.buf = buf;
    this.len = buf.length;
  }

  error(reason: string, offset = this.pos): DecodeError {
    return new DecodeError(reason, offset);
  }

  /** Varint of at most 32 bits (tags, u8–u32, zigzagged i8–i32 and enums). */
  u32(): number {
    const b = this.buf;
    let p = this.pos;
    if (p + 5 > this.len) return this.u32Tail();
    let c = b[p++]!;
    let v = c & 127;
    if (c < 128) {
      this.pos = p;
      return v;
    }
    c = b[p++]!;
    v |= (c & 127) << 7;
    if (c < 128) {
      this.pos = p;
      return v;
    }
    c = b[p++]!;
    v |= (c & 127) << 14;
    if (c < 128) {
      this.pos = p;
      return v;
    }
    c = b[p++]!;
    v |= (c & 127) << 21;
    if (c < 128) {
      this.pos = p;
      return v;
    }
    c = b[p++]!;
    if (c > 15) throw this.error('varint does not fit in 32 bits', p - 1);
    this.pos = p;
    return (v | (c << 28)) >>> 0;
  }

  /** `u32` near the end of the input: every byte is checked. */
  private u32Tail(): number {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.len) throw this.error('input ends inside a varint');
      const c = this.buf[this.pos++]!;
      if (shift === 28 && c > 15) throw this.error('varint does not fit in 32 bits', this.pos - 1);
      v += (c & 127) * 2 ** shift;
      if (c < 128) return v;
    }
    throw this.error('varint does not fit in 32 bits');
  }

  u8(): number {
    return this.uintMax(0xff, 'u8');
  }

  u16(): number {
    return this.uintMax(0xffff, 'u16');
  }

  i8(): number {
    return this.intRange(-0x80, 0x7f, 'i8');
  }

  i16(): number {
    return this.intRange(-0x8000, 0x7fff, 'i16');
  }

  private uintMax(max: number, type: string): number {
    const at = this.pos;
    const v = this.u32();
    if (v > max) throw this.error(`${v} is out of range for ${type}`, at);
    return v;
  }

  private intRange(min: number, max: number, type: string): number {
    const at = this.pos;
    const v = this.i32();
    if (v < min || v > max) throw this.error(`${v} is out of range for ${type}`, at);
    return v;
  }

  /** Zigzag varint of an int32. */
  i32(): number {
    const z = this.u32();
    return (z >>> 1) ^ -(z & 1);
  }

  bool(): boolean {
    return this.u32() !== 0;
  }

  /** A varint of up to 64 bits into `lo`/`hi`. */
  v64(): void {
    const b = this.buf;
    let p = this.pos;
    if (p + 4 <= this.len) {
      // Up to 28 bits: the common case, without the general loop.
      let c = b[p]!;
      let lo = c & 127;
      if (c < 128) return this.set64(p + 1, lo);
      c = b[p + 1]!;
      lo |= (c & 127) << 7;
      if (c < 128) return this.set64(p + 2, lo);
      c = b[p + 2]!;
      lo |= (c & 127) << 14;
      if (c < 128) return this.set64(p + 3, lo);
      c = b[p + 3]!;
      lo |= (c & 127) << 21;
      if (c < 128) return this.set64(p + 4, lo);
    }
    if (p + 10 <= this.len) {
      // Unrolled: 28 bits into lo, 4 + 3 bits across the fifth byte, then up to 5 bytes into hi.
      let c = b[p]!;
      let lo = c & 127;
      c = b[p + 1]!;
      lo |= (c & 127) << 7;
      c = b[p + 2]!;
      lo |= (c & 127) << 14;
      c = b[p + 3]!;
      lo |= (c & 127) << 21;
      c = b[p + 4]!;
      lo |= (c & 127) << 28;
      let hi = (c & 127) >>> 4;
      p += 5;
      if (c >= 128) {
        for (let shift = 3; ; shift += 7) {
          c = b[p++]!;
          if (shift === 31 && c > 1) throw this.error('varint does not fit in 64 bits', p - 1);
          hi |= (c & 127) << shift;
          if (c < 128) break;
        }
      }
      this.pos = p;
      this.lo = lo >>> 0;
      this.hi = hi >>> 0;
      return;
    }
    let lo = 0;
    let hi = 0;
    for (let i = 0; ; i++) {
      if (p >= this.len) throw this.error('input ends inside a varint', p);
      const c = b[p++]!;
      if (i < 4) lo |= (c & 127) << (7 * i);
      else if (i === 4) {
        lo |= (c & 127) << 28;
        hi = (c & 127) >>> 4;
      } else if (i < 9) hi |= (c & 127) << (7 * i - 32);
      else {
        if (c > 1) throw this.error('varint does not fit in 64 bits', p - 1);
        hi |= c << 31;
      }
      if (c < 128) break;
    }
    this.pos = p;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  private set64(pos: number, lo: number): void {
    this.pos = pos;
    this.lo = lo;
    this.hi = 0;
  }

  u64(): bigint {
    this.v64();
    const hi = this.hi;
    if (hi < 0x200000) return BigInt(hi * TWO_32 + this.lo);
    return (BigInt(hi) << 32n) | BigInt(this.lo);
  }

  /** Zigzag varint of an i64. */
  i64(): bigint {
    this.v64();
    const neg = this.lo & 1;
    const lo = ((this.lo >>> 1) | (this.hi << 31)) >>> 0;
    const hi = this.hi >>> 1;
    if (hi < 0x200000) {
      const m = hi * TWO_32 + lo;
      return BigInt(neg ? -m - 1 : m);
    }
    const m = (BigInt(hi) << 32n) | BigInt(lo);
    return neg ? -m - 1n : m;
  }

  /** Zigzag varint that must be a safe integer (durations). */
  i53(): number {
    const at = this.pos;
    this.v64();
    const neg = this.lo & 1;
    const lo = ((this.lo >>> 1) | (this.hi << 31)) >>> 0;
    const hi = this.hi >>> 1;
    if (hi >= 0x200000 || (neg && hi === 0x1fffff && lo === 0xffffffff)) throw this.error('integer beyond ±(2^53 - 1)', at);
    const m = hi * TWO_32 + lo;
    return neg ? -m - 1 : m;
  }

  /** A timestamp: zigzag varint of microseconds since the Unix epoch, rounded down to milliseconds. */
  timestamp(): Date {
    const at = this.pos;
    this.v64();
    const neg = this.lo & 1;
    const lo = ((this.lo >>> 1) | (this.hi << 31)) >>> 0;
    const hi = this.hi >>> 1;
    let ms: number;
    if (hi < 0x200000) {
      const m = hi * TWO_32 + lo;
      ms = Math.floor((neg ? -m - 1 : m) / 1000);
    } else {
      const m = (BigInt(hi) << 32n) | BigInt(lo);
      const us = neg ? -m - 1n : m;
      const q = us / 1000n;
      ms = Number(us < 0n && q * 1000n !== us ? q - 1n : q);
    }
    if (ms > MAX_DATE_MS || ms < -MAX_DATE_MS) throw this.error('timestamp outside the range of Date', at);
    return new Date(ms);
  }

  f32(): number {
    const p = this.pos;
    if (p + 4 > this.len) throw this.error('input ends inside a fixed32');
    const b = this.buf;
    this.pos = p + 4;
    if (LITTLE_ENDIAN) {
      f8[0] = b[p]!;
      f8[1] = b[p + 1]!;
      f8[2] = b[p + 2]!;
      f8[3] = b[p + 3]!;
    } else for (let i = 0; i < 4; i++) f8[3 - i] = b[p + i]!;
    return f32[0]!;
  }

  f64(): number {
    const p = this.pos;
    if (p + 8 > this.len) throw this.error('input ends inside a fixed64');
    const b = this.buf;
    this.pos = p + 8;
    if (LITTLE_ENDIAN) {
      f8[0] = b[p]!;
      f8[1] = b[p + 1]!;
      f8[2] = b[p + 2]!;
      f8[3] = b[p + 3]!;
      f8[4] = b[p + 4]!;
      f8[5] = b[p + 5]!;
      f8[6] = b[p + 6]!;
      f8[7] = b[p + 7]!;
    } else for (let i = 0; i < 8; i++) f8[7 - i] = b[p + i]!;
    return f64[0]!;
  }

  /** The length of a length-delimited field, checked against the remaining input. */
  length(): number {
    const at = this.pos;
    const n = this.u32();
    if (n > this.len - this.pos) throw this.error(`length ${n} exceeds the ${this.len - this.pos} bytes left`, at);
    return n;
  }

  string(): string {
    const n = this.length();
    const p = this.pos;
    const s = readUtf8(this.buf, p, p + n);
    if (s === undefined) throw this.error('invalid UTF-8', p);
    this.pos = p + n;
    return s;
  }

  /** Length-delimited bytes, copied (the result does not alias the input). */
  bytes(): Uint8Array {
    const n = this.length();
    const p = this.pos;
    this.pos = p + n;
    const out = new Uint8Array(n);
    const b = this.buf;
    if (n < 64) for (let i = 0; i < n; i++) out[i] = b[p + i]!;
    else out.set(b.subarray(p, p + n));
    return out;
  }

  /** 16 length-delimited bytes as a lower-case canonical UUID. */
  uuid(): string {
    const at = this.pos;
    if (this.length() !== 16) throw this.error('a uuid is 16 bytes', at);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 16;
    let s = '';
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
      s += HEX[b[p + i]!]!;
    }
    return s;
  }

  /**
   * A `json` value: length-delimited UTF-8 JSON text, nesting bounded by `maxDepth`, read strictly (no
   * duplicate or `__proto__` key, no number a float cannot hold).
   */
  json(): JsonValue {
    const at = this.pos;
    const text = this.string();
    const found = findJsonProblem(text, limits.maxDepth - this.depth);
    if (found) throw this.error(found.kind === 'too-deep' ? 'json value nested too deeply' : `json value at ${found.pointer || '/'}: ${found.reason}`, at);
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      throw this.error('invalid JSON text', at);
    }
  }

  /** Starts a nested message (or map entry, wrapper or packed run); returns its end offset. */
  enter(): number {
    const n = this.length();
    if (++this.depth > limits.maxDepth) throw this.error(`nesting deeper than ${limits.maxDepth}`);
    return this.pos + n;
  }

  /** Ends a nested message: its fields must end exactly at `end`. */
  leave(end: number): void {
    if (this.pos !== end) throw this.error('a field runs past the end of its message');
    this.depth--;
  }

  /** Reads a packed run of bools (a length-delimited field) onto `out`. */
  packedBool(out: boolean[]): void {
    const end = this.length() + this.pos;
    const b = this.buf;
    let p = this.pos;
    while (p < end) {
      const c = b[p]!;
      if (c >= 128) {
        this.pos = p;
        out.push(this.u32() !== 0);
        p = this.pos;
      } else {
        out.push(c !== 0);
        p++;
      }
    }
    this.pos = p;
    this.leavePacked(end, out.length);
  }

  /** Reads a packed run of u32 varints onto `out`. */
  packedU32(out: number[]): void {
    const end = this.length() + this.pos;
    while (this.pos < end) out.push(this.u32());
    this.leavePacked(end, out.length);
  }

  /** Reads a packed run of zigzag i32 varints onto `out`. */
  packedI32(out: number[]): void {
    const end = this.length() + this.pos;
    while (this.pos < end) out.push(this.i32());
    this.leavePacked(end, out.length);
  }

  /** Reads a packed run of f64 onto `out`. */
  packedF64(out: number[]): void {
    const end = this.length() + this.pos;
    if ((end - this.pos) % 8 !== 0) throw this.error('packed f64 run is not a multiple of 8 bytes');
    while (this.pos < end) out.push(this.f64());
    this.leavePacked(end, out.length);
  }

  /** Reads a packed run of f32 onto `out`. */
  packedF32(out: number[]): void {
    const end = this.length() + this.pos;
    if ((end - this.pos) % 4 !== 0) throw this.error('packed f32 run is not a multiple of 4 bytes');
    while (this.pos < end) out.push(this.f32());
    this.leavePacked(end, out.length);
  }

  private leavePacked(end: number, count: number): void {
    if (this.pos !== end) throw this.error('a packed run ends inside a value');
    if ((this.elements += count) > limits.maxElements) throw this.error(`more than ${limits.maxElements} elements`);
  }

  /** Counts one array element or map entry against `maxElements`. */
  item(): void {
    if (++this.elements > limits.maxElements) throw this.error(`more than ${limits.maxElements} elements`);
  }

  /** Ends the top-level message. */
  done(): void {
    if (this.pos !== this.len) throw this.error('a field runs past the end of the input');
  }

  /** Skips a field the schema does not know (or whose wire type does not match), by wire type. */
  skip(tag: number): void {
    const at = this.pos;
    if (tag >>> 3 === 0) throw this.error('field number 0', at);
    switch (tag & 7) {
      case 0:
        this.v64();
        return;
      case 1:
        if (this.pos + 8 > this.len) throw this.error('input ends inside a fixed64');
        this.pos += 8;
        return;
      case 2: {
        const n = this.length();
        this.pos += n;
        return;
      }
      case 5:
        if (this.pos + 4 > this.len) throw this.error('input ends inside a fixed32');
        this.pos += 4;
        return;
      default:
        throw this.error(`unsupported wire type ${tag & 7}`, at);
    }
  }
}
