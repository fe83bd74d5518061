import { UmpError, UmpErrorCode, type UmpErrorContext } from './errors.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * UTF-8 bytes of `text` for a UMP text message. Rejects what could not come back unchanged: lone
 * surrogates (not encodable) and U+0000 (NUL is the padding byte of text packets).
 */
export function encodeText(name: string, text: string): Uint8Array {
  if (typeof text !== 'string') throw new UmpError(UmpErrorCode.InvalidField, `${name} must be a string`);
  if (LONE_SURROGATE.test(text)) {
    throw new UmpError(UmpErrorCode.InvalidField, `${name} contains a lone UTF-16 surrogate; it has no UTF-8 form`);
  }
  if (text.includes('\u0000')) {
    throw new UmpError(UmpErrorCode.InvalidField, `${name} contains U+0000, which UMP text uses as padding`);
  }
  return encoder.encode(text);
}

/** Decodes reassembled text bytes: NUL padding bytes are removed, then the rest must be valid UTF-8. */
export function decodeText(bytes: Uint8Array, label: string, context: UmpErrorContext): string {
  const clean = withoutNuls(bytes);
  try {
    return decoder.decode(clean);
  } catch {
    throw new UmpError(UmpErrorCode.BadUtf8, `${label}: text is not valid UTF-8`, context);
  }
}

/** `bytes` without its NUL bytes, copied run by run (padding sits at packet ends, so runs are long). */
function withoutNuls(bytes: Uint8Array): Uint8Array {
  let nul = bytes.indexOf(0);
  if (nul < 0) return bytes;
  // The usual case: padding only after the last character.
  let k = nul;
  while (k < bytes.length && bytes[k] === 0) k++;
  if (k === bytes.length) return bytes.subarray(0, nul);
  const out = new Uint8Array(bytes.length);
  let n = 0;
  let from = 0;
  while (nul >= 0) {
    out.set(bytes.subarray(from, nul), n);
    n += nul - from;
    from = nul + 1;
    nul = bytes.indexOf(0, from);
  }
  out.set(bytes.subarray(from), n);
  n += bytes.length - from;
  return out.subarray(0, n);
}
