import { UmpError, UmpErrorCode, checkBytes } from './errors.ts';

/**
 * Mcoded7 (MIDI-CI): 8-bit data over 7-bit SysEx. Each group of up to 7 bytes is sent as one byte
 * holding their most significant bits (first byte's MSB in bit 6, second in bit 5, …) followed by
 * the low 7 bits of each byte. n bytes encode to n + ⌈n/7⌉ bytes.
 */
export function mcoded7Length(n: number): number {
  return n + Math.ceil(n / 7);
}

export function encodeMcoded7(data: Uint8Array): Uint8Array {
  checkBytes('Mcoded7 input', data);
  const out = new Uint8Array(mcoded7Length(data.length));
  let dst = 0;
  for (let src = 0; src < data.length; src += 7) {
    const count = Math.min(7, data.length - src);
    const headAt = dst++;
    let msbs = 0;
    for (let i = 0; i < count; i++) {
      const b = data[src + i]!;
      msbs |= (b >>> 7) << (6 - i);
      out[dst++] = b & 0x7f;
    }
    out[headAt] = msbs;
  }
  return out;
}

/**
 * Decodes Mcoded7. Throws an `invalid-field` UmpError for a byte above 0x7F, a trailing group with no
 * data byte, or MSB bits set for bytes the last group does not have.
 */
export function decodeMcoded7(encoded: Uint8Array): Uint8Array {
  checkBytes('Mcoded7 input', encoded);
  const groups = Math.ceil(encoded.length / 8);
  if (encoded.length % 8 === 1) {
    throw new UmpError(UmpErrorCode.InvalidField, `Mcoded7: a group of only its MSB byte at offset ${encoded.length - 1}`);
  }
  const out = new Uint8Array(encoded.length - groups);
  let dst = 0;
  for (let src = 0; src < encoded.length; src += 8) {
    const msbs = encoded[src]!;
    const count = Math.min(7, encoded.length - src - 1);
    if (msbs > 0x7f || (msbs & ((1 << (7 - count)) - 1)) !== 0) {
      throw new UmpError(UmpErrorCode.InvalidField, `Mcoded7: bad MSB byte 0x${msbs.toString(16)} at offset ${src}`);
    }
    for (let i = 0; i < count; i++) {
      const b = encoded[src + 1 + i]!;
      if (b > 0x7f) throw new UmpError(UmpErrorCode.InvalidField, `Mcoded7: byte 0x${b.toString(16)} at offset ${src + 1 + i} is not 7-bit`);
      out[dst++] = b | (((msbs >>> (6 - i)) & 1) << 7);
    }
  }
  return out;
}
