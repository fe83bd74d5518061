// The WebAssembly SIMD kernel of SysEx8 pack/unpack (runtime/ump/simd) against the JS paths: same words,
// same reassembled bytes, same errors — over sizes across the kernel's threshold and chunk boundary,
// random groups/streams/offsets, and hostile word streams.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { UmpError, UmpReader, packSysEx8, packSysEx8Into, sysEx8WordCount, type UmpEvent } from '../../runtime/ump/index.ts';
import { useSysEx8Kernel } from '../../runtime/ump/sysex8.ts';
import { SYSEX8_CHUNK_PACKETS, sysEx8Kernel, sysEx8ModuleBytes } from '../../runtime/ump/simd/sysex8.ts';
import { sleb, uleb, wasmApi } from '../../runtime/ump/simd/wasm.ts';
import { bytes, hexWords, range, words } from './helpers.ts';

afterEach(() => {
  useSysEx8Kernel(true);
});

/** Runs `f` on the JS paths, then with the kernel; returns both results. */
function bothPaths<T>(f: () => T): { js: T; simd: T } {
  useSysEx8Kernel(false);
  const js = f();
  expect(useSysEx8Kernel(true)).toBe(true);
  return { js, simd: f() };
}

const pseudoRandom = (n: number, seed: number): Uint8Array => {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
};

describe('SIMD module', () => {
  it('loads in this Node (WebAssembly SIMD present), so the comparisons below exercise it', () => {
    expect(sysEx8Kernel).toBeDefined();
    const bytes = sysEx8ModuleBytes();
    expect(wasmApi()?.validate(bytes)).toBe(true);
    expect([...bytes.subarray(0, 8)]).toEqual([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  });

  it('LEB128 encodings match the spec examples', () => {
    const enc = (f: (o: number[], v: number) => void, v: number): number[] => {
      const o: number[] = [];
      f(o, v);
      return o;
    };
    expect(enc(uleb, 0)).toEqual([0]);
    expect(enc(uleb, 127)).toEqual([0x7f]);
    expect(enc(uleb, 128)).toEqual([0x80, 0x01]);
    expect(enc(uleb, 624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(enc(uleb, 0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(enc(sleb, -1)).toEqual([0x7f]);
    expect(enc(sleb, 63)).toEqual([0x3f]);
    expect(enc(sleb, 64)).toEqual([0xc0, 0x00]);
    expect(enc(sleb, -123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(enc(sleb, 0xffffff00 | 0)).toEqual([0x80, 0x7e]);
  });
});

describe('SysEx8 pack: kernel = JS path', () => {
  it('golden vector (ni-midi2) and a long message stay bit-exact with the kernel on', () => {
    const golden = '531E4200 7D000102 03040506 0708090A 533A420B 0C0D0E0F 10111213 00000000';
    expect(hexWords(packSysEx8(bytes(0x00, 0x7d, ...range(0x00, 0x13)), { group: 3, streamId: 0x42 }))).toBe(golden);
    // 13 × 12 bytes 00..9B: Start, 10 Continue (kernel), End with 13 bytes
    const data = Uint8Array.from(range(0, 13 * 12 - 1));
    const w = packSysEx8(data, { group: 3, streamId: 0x42 });
    expect(hexWords(w.subarray(0, 8))).toBe('531E4200 01020304 05060708 090A0B0C 532E420D 0E0F1011 12131415 16171819');
    expect(hexWords(w.subarray(40, 48))).toBe('532E4282 83848586 8788898A 8B8C8D8E 533E428F 90919293 94959697 98999A9B');
  });

  it('same words for random sizes 0..6 KiB, groups, streams, offsets and input views', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 * 1024 }),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer(),
        (size, group, streamId, offset, viewStart, seed) => {
          const backing = pseudoRandom(viewStart + size + 5, seed);
          const data = backing.subarray(viewStart, viewStart + size);
          const options = { group, streamId };
          const total = sysEx8WordCount(size);
          const { js, simd } = bothPaths(() => {
            const out = new Uint32Array(offset + total + 3).fill(0xdeadbeef);
            expect(packSysEx8Into(out, offset, data, options)).toBe(total);
            return out;
          });
          expect(simd).toEqual(js);
          expect([...simd.subarray(0, offset), ...simd.subarray(offset + total)].every((x) => x === 0xdeadbeef)).toBe(true);
          const fresh = bothPaths(() => packSysEx8(data, options));
          expect(fresh.simd).toEqual(fresh.js);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('same words around the kernel threshold and the chunk boundary', () => {
    const K = SYSEX8_CHUNK_PACKETS;
    const sizes = [...range(0, 13 * 12), 13 * (K + 1), 13 * (K + 2) - 1, 13 * (K + 2), 13 * (K + 2) + 1, 13 * (2 * K + 2) + 5, 13 * (3 * K) + 7];
    for (const size of sizes) {
      const data = pseudoRandom(size, size);
      const { js, simd } = bothPaths(() => packSysEx8(data, { group: size & 15, streamId: (size * 7) & 255 }));
      expect(simd, `size ${size}`).toEqual(js);
    }
  });

  it('rejects an output that overlaps the input (both paths, same error)', () => {
    const shared = new ArrayBuffer(4096);
    const data = new Uint8Array(shared, 0, 1000);
    const out = new Uint32Array(shared, 512);
    const { js, simd } = bothPaths(() => {
      try {
        packSysEx8Into(out, 0, data, { group: 0, streamId: 0 });
        return undefined;
      } catch (e) {
        return e;
      }
    });
    expect(js).toBeInstanceOf(UmpError);
    expect(simd).toEqual(js);
    expect(simd).toMatchObject({ code: 'invalid-field', message: 'SysEx8 output overlaps the input data' });
    // disjoint parts of one buffer are fine
    expect(packSysEx8Into(new Uint32Array(shared, 1024), 0, data, { group: 0, streamId: 0 })).toBe(sysEx8WordCount(1000));
  });

  it('validates options and lengths before any kernel work', () => {
    const data = new Uint8Array(500);
    expect(() => packSysEx8Into(new Uint32Array(10), 0, data, { group: 0, streamId: 0 })).toThrow(UmpError);
    expect(() => packSysEx8Into(new Uint32Array(200), -1, data, { group: 0, streamId: 0 })).toThrow(/output needs/);
    expect(() => packSysEx8(data, { group: 16, streamId: 0 })).toThrow(/group must be an integer/);
    expect(() => packSysEx8(data, { group: 0, streamId: 256 })).toThrow(/streamId must be an integer/);
    expect(() => packSysEx8([1, 2, 3] as unknown as Uint8Array, { group: 0, streamId: 0 })).toThrow(/Uint8Array/);
  });
});

/** Events as plain data (errors by code, message and context) for comparing the two paths. */
const plain = (events: readonly UmpEvent[]): unknown[] =>
  events.map((e) => (e instanceof UmpError ? { error: e.code, message: e.message, wordIndex: e.wordIndex } : e));

describe('SysEx8 unpack: kernel = JS path', () => {
  it('reassembles the golden vector and long messages identically', () => {
    const golden = words('531E4200 7D000102 03040506 0708090A 533A420B 0C0D0E0F 10111213 00000000');
    const { js, simd } = bothPaths(() => plain(new UmpReader().push(golden)));
    expect(simd).toEqual(js);
    for (const size of [13 * 10, 1000, 13 * (SYSEX8_CHUNK_PACKETS + 2) + 3, 100_000]) {
      const data = pseudoRandom(size, size);
      const packed = packSysEx8(data, { group: 4, streamId: 9 });
      const r = bothPaths(() => new UmpReader({ maxMessageBytes: 1 << 20 }).push(packed));
      expect(r.simd).toEqual([{ kind: 'sysex8', group: 4, streamId: 9, data }]);
      expect(r.js).toEqual(r.simd);
    }
  });

  it('same events for interleaved long runs, corrupted words, size limits and split pushes', () => {
    const message = fc.record({
      group: fc.integer({ min: 0, max: 2 }),
      streamId: fc.integer({ min: 0, max: 2 }),
      size: fc.integer({ min: 0, max: 1500 }),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 31 })), { maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.constantFrom(64, 500, 1200, 4 << 20),
        (messages, blocks, flips, cuts, maxMessageBytes) => {
          // Interleave the messages' packets in blocks of `blocks[i]` packets, round robin.
          const packed = messages.map((m) => packSysEx8(pseudoRandom(m.size, m.seed), m));
          const positions = packed.map(() => 0);
          const stream: number[] = [];
          for (let b = 0, left = packed.length; left > 0; b++) {
            left = 0;
            packed.forEach((p, i) => {
              const take = Math.min(p.length - positions[i]!, blocks[b % blocks.length]! * 4);
              stream.push(...p.subarray(positions[i], positions[i]! + take));
              positions[i]! += take;
              if (positions[i]! < p.length) left++;
            });
          }
          const w = Uint32Array.from(stream);
          for (const [at, bit] of flips) if (w.length > 0) w[at % w.length] = (w[at % w.length]! ^ (1 << bit)) >>> 0;
          const bounds = [...new Set(cuts.map((c) => (w.length === 0 ? 0 : c % w.length)))].sort((a, b) => a - b);
          const { js, simd } = bothPaths(() => {
            const reader = new UmpReader({ maxMessageBytes, maxOpenStreams: 8, timeoutMs: Infinity });
            const events: UmpEvent[] = [];
            let from = 0;
            for (const to of [...bounds, w.length]) {
              events.push(...reader.push(w.subarray(from, to)));
              from = to;
            }
            events.push(...reader.finish());
            return plain(events);
          });
          expect(simd).toEqual(js);
        },
      ),
      { numRuns: 200 },
    );
  });
});
