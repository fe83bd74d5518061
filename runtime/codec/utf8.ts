/**
 * UTF-8 for the payload codec. Encoding never fails: a lone surrogate becomes U+FFFD, as with
 * `TextEncoder`. Decoding is strict: invalid UTF-8 is an error, never replaced, and a leading BOM is kept.
 */

const encoder = new TextEncoder();
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

type Slice = (this: Uint8Array, start: number, end: number) => string;
/**
 * Node's `Buffer.prototype.utf8Slice` accepts any Uint8Array and is the fastest decoder; it replaces
 * invalid sequences with U+FFFD, so a result without U+FFFD proves the bytes valid. Absent outside Node.
 */
const utf8Slice: Slice | undefined = (globalThis as { Buffer?: { prototype: { utf8Slice?: Slice } } }).Buffer?.prototype.utf8Slice;

/** Strings longer than this are encoded with `TextEncoder.encodeInto` instead of the JS loop. */
const ENCODE_INTO_MIN = 512;

/** UTF-8 byte length of `s` (a lone surrogate counts 3 bytes, as U+FFFD). */
export function utf8Length(s: string): number {
  const n = s.length;
  let len = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) len += 1;
    else if ((c & 0xfc00) === 0xd800 && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      len += 2;
      i++;
    } else len += 2;
  }
  return len;
}

/**
 * Writes `s` as UTF-8 into `buf` at `p` and returns the end offset. `buf` must have room for
 * `3 * s.length` bytes from `p` (the worst case).
 */
export function writeUtf8(s: string, buf: Uint8Array, p: number): number {
  const n = s.length;
  if (n >= ENCODE_INTO_MIN) return p + encoder.encodeInto(s, buf.subarray(p, p + 3 * n)).written;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[p++] = c;
    } else if (c < 0x800) {
      buf[p++] = 0xc0 | (c >> 6);
      buf[p++] = 0x80 | (c & 63);
    } else if ((c & 0xfc00) === 0xd800 && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      c = 0x10000 + ((c & 0x3ff) << 10) + (s.charCodeAt(++i) & 0x3ff);
      buf[p++] = 0xf0 | (c >> 18);
      buf[p++] = 0x80 | ((c >> 12) & 63);
      buf[p++] = 0x80 | ((c >> 6) & 63);
      buf[p++] = 0x80 | (c & 63);
    } else {
      if ((c & 0xf800) === 0xd800) c = 0xfffd;
      buf[p++] = 0xe0 | (c >> 12);
      buf[p++] = 0x80 | ((c >> 6) & 63);
      buf[p++] = 0x80 | (c & 63);
    }
  }
  return p;
}

/**
 * Decodes `buf[start, end)` as strict UTF-8; returns undefined when the bytes are not valid UTF-8
 * (the caller reports where). ASCII takes a fast path.
 */
export function readUtf8(buf: Uint8Array, start: number, end: number): string | undefined {
  if (end - start <= 8 || utf8Slice === undefined) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return decodeStrict(buf, start, end);
      s += String.fromCharCode(c);
    }
    return s;
  }
  const s = utf8Slice.call(buf, start, end);
  return s.indexOf('\ufffd') < 0 ? s : decodeStrict(buf, start, end);
}

function decodeStrict(buf: Uint8Array, start: number, end: number): string | undefined {
  try {
    return strict.decode(buf.subarray(start, end));
  } catch {
    return undefined;
  }
}
