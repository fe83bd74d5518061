import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32 } from '../../runtime/envelope/index.ts';
import { utf8 } from './helpers.ts';

/** Bit-at-a-time reference straight from the definition (reflected 0xEDB88320), no tables. */
function crc32Reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('crc32', () => {
  it('matches the IEEE check value and published vectors', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(crc32(utf8('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32('a')).toBe(0xe8b7be43);
    expect(crc32('The quick brown fox jumps over the lazy dog')).toBe(0x414fa339);
    expect(crc32(new Uint8Array(32))).toBe(0x190a55ad); // 32 zero bytes, as Python zlib.crc32(bytes(32))
  });

  it('agrees with the bitwise reference for arbitrary bytes and every tail length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(crc32(bytes)).toBe(crc32Reference(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('chains like zlib: crc32(b, crc32(a)) === crc32(a ‖ b)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 100 }), (a, b) => {
        const ab = new Uint8Array(a.length + b.length);
        ab.set(a);
        ab.set(b, a.length);
        expect(crc32(b, crc32(a))).toBe(crc32(ab));
      }),
      { numRuns: 200 },
    );
  });

  it('hashes subarray views by their own bytes', () => {
    const buf = utf8('xx123456789yy');
    expect(crc32(buf.subarray(2, 11))).toBe(0xcbf43926);
  });

  it('detects every single-bit flip in a 64 KiB buffer sample', () => {
    const data = new Uint8Array(65536).map((_, i) => (i * 131 + 7) & 0xff);
    const good = crc32(data);
    for (let bit = 0; bit < data.length * 8; bit += 4099) {
      const copy = data.slice();
      copy[bit >> 3]! ^= 1 << (bit & 7);
      expect(crc32(copy)).not.toBe(good);
    }
  });
});
