import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CHUNKED_HEADER_BYTES,
  EnvelopeError,
  HEADER_BYTES,
  Offset,
  Qos,
  decodeEnvelope,
  encodeEnvelope,
  type EnvelopeHeader,
} from '../../runtime/envelope/index.ts';
import { expectEnvelopeError, fromHex, hex, utf8 } from './helpers.ts';

const U64_MAX = 2n ** 64n - 1n;

/**
 * Golden vectors, laid out by hand from the header table in docs/wire.md (not produced by the
 * encoder): every field big-endian at its documented offset. The same hex is listed in docs/wire.md.
 */
const GOLDEN: { name: string; header: EnvelopeHeader; payload: Uint8Array; hex: string }[] = [
  {
    name: 'A: minimal, unchunked, empty payload',
    header: { topicId: 1, schemaMajor: 1, schemaMinor: 0, sessionId: 1, corrId: 1n, timestampUs: 0n, qos: Qos.AtMostOnce, capabilities: 0n },
    payload: new Uint8Array(0),
    hex: [
      '6d',
      '01',
      '00',
      '00', // magic 'm', version 1, flags 0, QoS 0
      '00000001', // topic id 1
      '0001',
      '0000', // schema 1.0
      '00000001', // session id 1
      '0000000000000001', // correlation id 1
      '0000000000000000', // timestamp 0 µs
      '0000000000000000', // capability mask 0
      '00000000', // payload length 0
    ].join(''),
  },
  {
    name: 'B: typical request, QoS 1, payload "hi"',
    header: {
      topicId: 0x9e3779b9,
      schemaMajor: 2,
      schemaMinor: 7,
      sessionId: 0xbeef,
      corrId: 0x0123456789abcdefn,
      timestampUs: 1_723_622_400_000_000n, // 2024-08-14T08:00:00Z
      qos: Qos.AtLeastOnce,
      capabilities: 0b101n,
    },
    payload: utf8('hi'),
    hex: [
      '6d',
      '01',
      '00',
      '01',
      '9e3779b9',
      '0002',
      '0007',
      '0000beef',
      '0123456789abcdef',
      '00061fa01ce10000', // 1 723 622 400 000 000
      '0000000000000005',
      '00000002',
      '6869', // "hi"
    ].join(''),
  },
  {
    name: 'C: chunk 1 of 2 of "123456789", every numeric field at its maximum, QoS 2',
    header: {
      topicId: 0xffffffff,
      schemaMajor: 0xffff,
      schemaMinor: 0xffff,
      sessionId: 0xffffffff,
      corrId: U64_MAX,
      timestampUs: U64_MAX,
      qos: Qos.ExactlyOnce,
      capabilities: 0x8000000000000001n,
      chunk: { index: 1, total: 2, size: 9, crc32: 0xcbf43926 },
    },
    payload: utf8('6789'),
    hex: [
      '6d',
      '01',
      '01',
      '02', // flags: chunk block present
      'ffffffff',
      'ffff',
      'ffff',
      'ffffffff',
      'ffffffffffffffff',
      'ffffffffffffffff',
      '8000000000000001',
      '00000001',
      '00000002',
      '00000009',
      'cbf43926', // index 1, total 2, size 9, CRC-32("123456789")
      '00000004',
      '36373839', // "6789"
    ].join(''),
  },
];

const u64 = fc.oneof(fc.constantFrom(0n, 1n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n, U64_MAX - 1n, U64_MAX), fc.bigInt({ min: 0n, max: U64_MAX }));
const u32 = fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));
const u16 = fc.integer({ min: 0, max: 0xffff });
const baseHeader = fc.record({
  topicId: u32,
  schemaMajor: u16,
  schemaMinor: u16,
  sessionId: u32,
  corrId: u64,
  timestampUs: u64,
  qos: fc.constantFrom(Qos.AtMostOnce, Qos.AtLeastOnce, Qos.ExactlyOnce),
  capabilities: u64,
});
/** A header plus a payload, chunked or not, that satisfies the chunk rules. */
const envelopeCase: fc.Arbitrary<{ header: EnvelopeHeader; payload: Uint8Array }> = fc.oneof(
  fc.tuple(baseHeader, fc.uint8Array({ maxLength: 2048 })).map(([h, p]) => ({ header: h, payload: p })),
  fc.tuple(baseHeader, fc.uint8Array({ minLength: 1, maxLength: 512 }), fc.integer({ min: 0, max: 4096 }), fc.nat(), u32).map(([h, p, extra, pick, crc]) => {
    const size = p.length + extra;
    const total = 1 + (pick % size);
    const index = pick % total;
    const payload = total === 1 ? p.subarray(0, 0) : p;
    const chunk = total === 1 ? { index: 0, total: 1, size: payload.length, crc32: crc } : { index, total, size, crc32: crc };
    return { header: { ...h, chunk }, payload };
  }),
);

describe('binary envelope: golden vectors', () => {
  for (const g of GOLDEN) {
    it(`${g.name} encodes byte for byte`, () => {
      expect(hex(encodeEnvelope(g.header, g.payload))).toBe(g.hex);
    });
    it(`${g.name} decodes to its header and payload`, () => {
      const { header, payload } = decodeEnvelope(fromHex(g.hex));
      expect(header).toStrictEqual(g.header);
      expect(hex(payload)).toBe(hex(g.payload));
    });
  }

  it('docs/wire.md lists the same three vectors', () => {
    const doc = readFileSync(new URL('../../docs/wire.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('### Golden vectors'), doc.indexOf('### Flex bridge JSON envelope'));
    const blocks = [...section.matchAll(/```\n([0-9a-f \n]+)```/g)].map((m) => m[1]!.replace(/\s+/g, ''));
    expect(blocks).toEqual(GOLDEN.map((g) => g.hex));
  });

  it('header sizes are 44 bytes, or 60 with a chunk block', () => {
    expect(HEADER_BYTES).toBe(44);
    expect(CHUNKED_HEADER_BYTES).toBe(60);
    expect(fromHex(GOLDEN[0]!.hex).length).toBe(44);
    expect(fromHex(GOLDEN[2]!.hex).length).toBe(60 + 4);
  });
});

describe('binary envelope: round trips', () => {
  it('decode(encode(h, p)) returns h and p for arbitrary headers (64-bit extremes included) and payloads', () => {
    fc.assert(
      fc.property(envelopeCase, ({ header, payload }) => {
        const bytes = encodeEnvelope(header, payload);
        expect(bytes.length).toBe((header.chunk ? CHUNKED_HEADER_BYTES : HEADER_BYTES) + payload.length);
        const d = decodeEnvelope(bytes);
        expect(d.header).toEqual(header);
        expect('chunk' in d.header).toBe(header.chunk !== undefined);
        expect(hex(d.payload)).toBe(hex(payload));
      }),
      { numRuns: 250 },
    );
  });

  it('encoding is deterministic and accepted input re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(envelopeCase, ({ header, payload }) => {
        const a = encodeEnvelope(header, payload);
        expect(hex(encodeEnvelope({ ...header }, payload.slice()))).toBe(hex(a));
        const d = decodeEnvelope(a);
        expect(hex(encodeEnvelope(d.header, d.payload))).toBe(hex(a));
      }),
      { numRuns: 200 },
    );
  });

  it('carries a 1 MiB payload when the limit allows it, and refuses it under the default limit', () => {
    const payload = new Uint8Array(1 << 20).map((_, i) => (i * 7) & 0xff);
    const header = GOLDEN[1]!.header;
    const bytes = encodeEnvelope(header, payload, { maxPayloadBytes: 1 << 20 });
    const d = decodeEnvelope(bytes, { maxPayloadBytes: 1 << 20 });
    expect(d.payload.length).toBe(payload.length);
    expect(d.payload[123_457]).toBe(payload[123_457]);
    expect(expectEnvelopeError(() => encodeEnvelope(header, payload), 'too-large').offset).toBe(40);
    expect(expectEnvelopeError(() => decodeEnvelope(bytes), 'too-large').offset).toBe(40);
  });

  it('decodes from a view at a non-zero byte offset of a larger buffer', () => {
    const inner = fromHex(GOLDEN[1]!.hex);
    const outer = new Uint8Array(inner.length + 7);
    outer.set(inner, 3);
    const d = decodeEnvelope(outer.subarray(3, 3 + inner.length));
    expect(d.header).toStrictEqual(GOLDEN[1]!.header);
    expect(hex(d.payload)).toBe('6869');
  });
});

describe('binary envelope: encoder rejects invalid headers with the field offset', () => {
  const h = GOLDEN[1]!.header;
  const cases: [string, Partial<Record<keyof EnvelopeHeader, unknown>>, number][] = [
    ['QoS 3', { qos: 3 }, Offset.qos],
    ['negative topic id', { topicId: -1 }, Offset.topicId],
    ['topic id 2^32', { topicId: 2 ** 32 }, Offset.topicId],
    ['fractional topic id', { topicId: 1.5 }, Offset.topicId],
    ['NaN topic id', { topicId: Number.NaN }, Offset.topicId],
    ['schema major 65536', { schemaMajor: 65536 }, Offset.schemaMajor],
    ['schema minor -1', { schemaMinor: -1 }, Offset.schemaMinor],
    ['session id 2^32', { sessionId: 2 ** 32 }, Offset.sessionId],
    ['session id as bigint', { sessionId: 1n }, Offset.sessionId],
    ['correlation id 2^64', { corrId: 2n ** 64n }, Offset.corrId],
    ['correlation id as number', { corrId: 1 }, Offset.corrId],
    ['negative timestamp', { timestampUs: -1n }, Offset.timestampUs],
    ['capability mask 2^64', { capabilities: 2n ** 64n }, Offset.capabilities],
  ];
  for (const [name, patch, offset] of cases) {
    it(name, () => {
      const err = expectEnvelopeError(() => encodeEnvelope({ ...h, ...patch } as EnvelopeHeader, utf8('hi')), 'bad-field');
      expect(err.offset).toBe(offset);
    });
  }

  it('chunk rules', () => {
    const p = utf8('abc');
    const at = (chunk: object) => ({ ...h, chunk }) as EnvelopeHeader;
    expect(expectEnvelopeError(() => encodeEnvelope(at({ index: 0, total: 0, size: 3, crc32: 0 }), p), 'bad-field').offset).toBe(Offset.chunkTotal);
    expect(expectEnvelopeError(() => encodeEnvelope(at({ index: 2, total: 2, size: 6, crc32: 0 }), p), 'chunk-out-of-range').offset).toBe(Offset.chunkIndex);
    expect(expectEnvelopeError(() => encodeEnvelope(at({ index: 0, total: 4, size: 3, crc32: 0 }), p), 'bad-field').offset).toBe(Offset.chunkTotal);
    expect(expectEnvelopeError(() => encodeEnvelope(at({ index: 0, total: 2, size: 2, crc32: 0 }), p), 'bad-field').offset).toBe(56);
    expect(expectEnvelopeError(() => encodeEnvelope(at({ index: 0, total: 2, size: 6, crc32: 0 }), new Uint8Array(0)), 'bad-field').offset).toBe(56);
    expect(expectEnvelopeError(() => encodeEnvelope(at({ index: 0, total: 1, size: 4, crc32: 0 }), p), 'bad-field').offset).toBe(56);
    expect(expectEnvelopeError(() => encodeEnvelope(at({ index: 0, total: 1, size: 3, crc32: 2 ** 32 }), p), 'bad-field').offset).toBe(Offset.chunkCrc32);
    expect(expectEnvelopeError(() => encodeEnvelope(at({ index: 0, total: 1, size: -3, crc32: 0 }), p), 'bad-field').offset).toBe(Offset.chunkSize);
    // The empty payload is one empty chunk.
    expect(decodeEnvelope(encodeEnvelope(at({ index: 0, total: 1, size: 0, crc32: 0 }), new Uint8Array(0))).payload.length).toBe(0);
  });
});

/** Hostile input either fails with EnvelopeError or was a canonical envelope (re-encodes to the same bytes). */
function decodesCanonicallyOrRejects(bytes: Uint8Array): void {
  let d;
  try {
    d = decodeEnvelope(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(EnvelopeError);
    return;
  }
  expect(hex(encodeEnvelope(d.header, d.payload))).toBe(hex(bytes));
}

describe('binary envelope: decoder treats input as hostile', () => {
  const valid = fromHex(GOLDEN[1]!.hex);
  const validChunk = fromHex(GOLDEN[2]!.hex);
  const patched = (src: Uint8Array, at: number, ...bytes: number[]): Uint8Array => {
    const out = src.slice();
    out.set(bytes, at);
    return out;
  };

  it('every strict prefix is "truncated", reported at the end of input', () => {
    for (const src of [valid, validChunk, fromHex(GOLDEN[0]!.hex)]) {
      for (let n = 0; n < src.length; n++) {
        const err = expectEnvelopeError(() => decodeEnvelope(src.subarray(0, n)), 'truncated');
        expect(err.offset).toBe(n);
      }
    }
  });

  it('non-byte input is a bad-field, not a TypeError', () => {
    for (const junk of [[0x6d, 1], 'mIDL', null, undefined, 42, new Uint16Array(50)]) {
      expectEnvelopeError(() => decodeEnvelope(junk as unknown as Uint8Array), 'bad-field');
    }
    expectEnvelopeError(() => encodeEnvelope(GOLDEN[0]!.header, 'hi' as unknown as Uint8Array), 'bad-field');
  });

  it('bytes after the payload are "trailing-bytes"', () => {
    const longer = new Uint8Array(valid.length + 1);
    longer.set(valid);
    expect(expectEnvelopeError(() => decodeEnvelope(longer), 'trailing-bytes').offset).toBe(valid.length);
  });

  it('magic, version, reserved flags and QoS', () => {
    expect(expectEnvelopeError(() => decodeEnvelope(patched(valid, 0, 0x6e)), 'bad-magic').offset).toBe(0);
    expect(expectEnvelopeError(() => decodeEnvelope(Uint8Array.of(0xf0)), 'bad-magic').offset).toBe(0);
    expect(expectEnvelopeError(() => decodeEnvelope(patched(valid, 1, 2)), 'unsupported-version').offset).toBe(1);
    expect(expectEnvelopeError(() => decodeEnvelope(patched(valid, 1, 0)), 'unsupported-version').offset).toBe(1);
    for (const flags of [0x02, 0x80, 0xff]) {
      expect(expectEnvelopeError(() => decodeEnvelope(patched(valid, 2, flags)), 'bad-field').offset).toBe(2);
    }
    expect(expectEnvelopeError(() => decodeEnvelope(patched(valid, 3, 3)), 'bad-field').offset).toBe(3);
  });

  it('a huge declared payload length is refused before the payload is read', () => {
    const err = expectEnvelopeError(() => decodeEnvelope(patched(valid, 40, 0xff, 0xff, 0xff, 0xff)), 'too-large');
    expect(err.offset).toBe(40);
    expect(expectEnvelopeError(() => decodeEnvelope(patched(valid, 40, 0, 0, 0, 3)), 'truncated').offset).toBe(valid.length);
  });

  it('chunk block rules are checked on input too', () => {
    expect(expectEnvelopeError(() => decodeEnvelope(patched(validChunk, 40, 0, 0, 0, 2)), 'chunk-out-of-range').offset).toBe(40);
    expect(expectEnvelopeError(() => decodeEnvelope(patched(validChunk, 44, 0, 0, 0, 0)), 'bad-field').offset).toBe(44);
    expect(expectEnvelopeError(() => decodeEnvelope(patched(validChunk, 44, 0, 0, 0, 10)), 'bad-field').offset).toBe(44);
    expect(expectEnvelopeError(() => decodeEnvelope(patched(validChunk, 48, 0, 0, 0, 3)), 'bad-field').offset).toBe(56);
  });

  it('random bytes only ever produce EnvelopeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeEnvelope(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(EnvelopeError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('random bytes behind a valid prefix: EnvelopeError, or a decode that re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 2, 3, 4, 40, 56), fc.uint8Array({ maxLength: 120 }), (keep, tail) => {
        const src = keep > 40 ? validChunk : valid;
        const bytes = new Uint8Array(keep + tail.length);
        bytes.set(src.subarray(0, keep));
        bytes.set(tail, keep);
        decodesCanonicallyOrRejects(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('single-byte corruptions of valid envelopes: EnvelopeError or a canonical decode', () => {
    fc.assert(
      fc.property(fc.constantFrom(valid, validChunk), fc.nat(), fc.integer({ min: 1, max: 255 }), (src, pos, x) => {
        const bytes = src.slice();
        const at = pos % bytes.length;
        bytes[at] = bytes[at]! ^ x;
        decodesCanonicallyOrRejects(bytes);
      }),
      { numRuns: 1000 },
    );
  });
});
