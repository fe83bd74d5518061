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
  let clean = bytes;
  if (bytes.includes(0)) clean = bytes.filter((b) => b !== 0);
  try {
    return decoder.decode(clean);
  } catch {
    throw new UmpError(UmpErrorCode.BadUtf8, `${label}: text is not valid UTF-8`, context);
  }
}
