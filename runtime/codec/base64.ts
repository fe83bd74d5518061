/**
 * Base64 (RFC 4648 §4, standard alphabet, padded): the JSON form of `bytes`. Decoding is strict:
 * no whitespace, no URL-safe alphabet, padding required, unused trailing bits zero, so every byte
 * string has exactly one accepted text.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const CODES = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) CODES[ALPHABET.charCodeAt(i)] = i;

export function encodeBase64(b: Uint8Array): string {
  let s = '';
  const n = b.length;
  let i = 0;
  for (; i + 3 <= n; i += 3) {
    const v = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    s += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]! + ALPHABET[v & 63]!;
  }
  if (n - i === 1) {
    const v = b[i]! << 16;
    s += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + '==';
  } else if (n - i === 2) {
    const v = (b[i]! << 16) | (b[i + 1]! << 8);
    s += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]! + '=';
  }
  return s;
}

/** The bytes of strict base64 text, or undefined when the text is not canonical base64. */
export function decodeBase64(s: string): Uint8Array | undefined {
  const n = s.length;
  if (n % 4 !== 0) return undefined;
  const pad = n === 0 ? 0 : s.charCodeAt(n - 1) !== 61 ? 0 : s.charCodeAt(n - 2) !== 61 ? 1 : 2;
  const out = new Uint8Array((n / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < n; i += 4) {
    const last = i + 4 === n;
    const a = code(s, i);
    const b = code(s, i + 1);
    const c = last && pad === 2 ? 0 : code(s, i + 2);
    const d = last && pad >= 1 ? 0 : code(s, i + 3);
    if ((a | b | c | d) < 0) return undefined;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    if (last && pad === 2) {
      if ((v & 0xffff) !== 0) return undefined;
      break;
    }
    out[o++] = (v >> 8) & 255;
    if (last && pad === 1) {
      if ((v & 0xff) !== 0) return undefined;
      break;
    }
    out[o++] = v & 255;
  }
  return out;
}

function code(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c < 128 ? CODES[c]! : -1;
}
