import { UmpError, UmpErrorCode } from './errors.ts';

/** UMP words as network transports send them: each word big-endian, in order. */
export function wordsToBytes(words: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < words.length; i++) view.setUint32(i * 4, words[i]!);
  return bytes;
}

/** Big-endian bytes back to words; the length must be a multiple of 4. */
export function bytesToWords(bytes: Uint8Array): Uint32Array {
  if (bytes.length % 4 !== 0) {
    throw new UmpError(UmpErrorCode.Truncated, `UMP byte stream length ${bytes.length} is not a multiple of 4`, { wordIndex: Math.floor(bytes.length / 4) });
  }
  const words = new Uint32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < words.length; i++) words[i] = view.getUint32(i * 4);
  return words;
}

/** Accepts a Uint32Array as is, or checks that every element of a number array is a uint32. */
export function toWordArray(words: Uint32Array | readonly number[]): Uint32Array {
  if (words instanceof Uint32Array) return words;
  const out = new Uint32Array(words.length);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 0xffffffff) {
      throw new UmpError(UmpErrorCode.InvalidField, `word ${i} is not a 32-bit unsigned integer: ${String(w)}`, {
        wordIndex: i,
      });
    }
    out[i] = w;
  }
  return out;
}

/** toWordArray that returns its error instead of throwing. */
export function tryWordArray(words: Uint32Array | readonly number[]): Uint32Array | UmpError {
  try {
    return toWordArray(words);
  } catch (err) {
    return err as UmpError;
  }
}

/** Reads byte `index` (0 = most significant byte of word 0) of the packet starting at `offset`. */
export function packetByte(words: Uint32Array, offset: number, index: number): number {
  return (words[offset + (index >>> 2)]! >>> (24 - 8 * (index & 3))) & 0xff;
}

/** Copies `count` packet bytes starting at byte `first` of the packet at `offset` into a new array. */
export function packetBytes(words: Uint32Array, offset: number, first: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = packetByte(words, offset, first + i);
  return out;
}

/**
 * Writes `count` bytes from `src[srcOffset…]` into the packet at `offset`, starting at packet byte `first`
 * (OR-ed into the words, which must hold zero there).
 */
export function writePacketBytes(out: Uint32Array, offset: number, first: number, src: Uint8Array, srcOffset: number, count: number): void {
  for (let i = 0; i < count; i++) {
    const b = first + i;
    const w = offset + (b >>> 2);
    out[w] = (out[w]! | (src[srcOffset + i]! << (24 - 8 * (b & 3)))) >>> 0;
  }
}
