import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ChunkReassembler,
  EnvelopeError,
  Qos,
  chunkPayload,
  crc32,
  decodeEnvelope,
  encodeEnvelope,
  type EnvelopeHeader,
  type ReassemblyResult,
} from '../../runtime/envelope/index.ts';
import { expectEnvelopeError, hex, shuffled } from './helpers.ts';

const H: EnvelopeHeader = {
  topicId: 42,
  schemaMajor: 1,
  schemaMinor: 2,
  sessionId: 7,
  corrId: 1000n,
  timestampUs: 1_700_000_000_000_000n,
  qos: Qos.AtLeastOnce,
  capabilities: 3n,
};

const bytesOf = (n: number, seed = 1): Uint8Array => new Uint8Array(n).map((_, i) => (i * 31 + seed * 17) & 0xff);

class FakeClock {
  t = 0;
  now = (): number => this.t;
}

function complete(r: ReassemblyResult): { header: EnvelopeHeader; payload: Uint8Array } {
  if (r.status !== 'complete') throw new Error(`expected complete, got ${r.status}`);
  return r;
}

/** Re-encodes chunk `i` of `chunks` with a patched header (same payload). */
function patchChunk(chunk: Uint8Array, patch: (h: EnvelopeHeader) => EnvelopeHeader, payload?: Uint8Array): Uint8Array {
  const d = decodeEnvelope(chunk);
  return encodeEnvelope(patch(d.header), payload ?? d.payload);
}

describe('chunkPayload', () => {
  it('splits into ceil(n / max) envelopes, all full but the last, each with index/total/size/CRC of the whole', () => {
    const payload = bytesOf(1000);
    const chunks = chunkPayload(H, payload, 300);
    expect(chunks.length).toBe(4);
    const crc = crc32(payload);
    chunks.forEach((c, index) => {
      const d = decodeEnvelope(c);
      expect(d.header).toEqual({ ...H, chunk: { index, total: 4, size: 1000, crc32: crc } });
      expect(d.payload.length).toBe(index < 3 ? 300 : 100);
      expect(hex(d.payload)).toBe(hex(payload.subarray(index * 300, index * 300 + d.payload.length)));
    });
  });

  it('an empty payload is one empty chunk; an exact multiple has no empty tail', () => {
    const empty = chunkPayload(H, new Uint8Array(0), 16);
    expect(empty.length).toBe(1);
    expect(decodeEnvelope(empty[0]!).header.chunk).toEqual({ index: 0, total: 1, size: 0, crc32: 0 });
    expect(chunkPayload(H, bytesOf(64), 16).length).toBe(4);
  });

  it('refuses a chunk size below 1', () => {
    expectEnvelopeError(() => chunkPayload(H, bytesOf(4), 0), 'bad-field');
    expectEnvelopeError(() => chunkPayload(H, bytesOf(4), 1.5), 'bad-field');
  });
});

describe('ChunkReassembler: happy paths', () => {
  it('passes unchunked envelopes through', () => {
    const r = new ChunkReassembler();
    const out = complete(r.push(encodeEnvelope(H, bytesOf(10))));
    expect(out.header).toEqual(H);
    expect(r.openCount).toBe(0);
  });

  it('reassembles shuffled and duplicated chunks of arbitrary payloads and chunk sizes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 4096 }), fc.nat(), fc.nat({ max: 5 }), (size, max, seed, dups) => {
        const chunkSize = Math.max(max, Math.ceil(size / 200));
        const payload = bytesOf(size, seed);
        const chunks = chunkPayload(H, payload, chunkSize);
        const stream = shuffled([...chunks, ...chunks.slice(0, dups)], seed);
        const r = new ChunkReassembler();
        let done: Uint8Array | undefined;
        let duplicates = 0;
        for (const c of stream) {
          const res = r.push(c);
          if (res.status === 'complete') {
            expect(done).toBeUndefined();
            done = res.payload;
            expect(res.header).toEqual(H);
          } else if (res.status === 'duplicate') duplicates++;
        }
        expect(done && hex(done)).toBe(hex(payload));
        expect(duplicates).toBe(Math.min(dups, chunks.length));
        expect(r.openCount).toBe(0);
        expect(r.bufferedBytes).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it('reports progress while pending and treats a repeat with identical bytes as a duplicate', () => {
    const chunks = chunkPayload(H, bytesOf(50), 10);
    const r = new ChunkReassembler();
    expect(r.push(chunks[3]!)).toMatchObject({ status: 'pending', received: 1, total: 5 });
    expect(r.push(chunks[3]!)).toMatchObject({ status: 'duplicate' });
    expect(r.push(chunks[0]!)).toMatchObject({ status: 'pending', received: 2, total: 5 });
    expect(r.bufferedBytes).toBe(20);
  });

  it('accepts any split whose lengths add up to the declared size', () => {
    const payload = bytesOf(10);
    const info = { total: 3, size: 10, crc32: crc32(payload) };
    const parts = [payload.subarray(0, 1), payload.subarray(1, 8), payload.subarray(8)];
    const r = new ChunkReassembler();
    const results = [2, 0, 1].map((index) => r.push(encodeEnvelope({ ...H, chunk: { ...info, index } }, parts[index]!)));
    expect(hex(complete(results[2]!).payload)).toBe(hex(payload));
  });

  it('keeps messages apart by (session, correlation, topic)', () => {
    const variants = [H, { ...H, sessionId: 8 }, { ...H, corrId: 1001n }, { ...H, topicId: 43 }];
    const streams = variants.map((h, i) => chunkPayload(h, bytesOf(40, i), 8));
    const r = new ChunkReassembler();
    const done: string[] = [];
    for (let k = 0; k < 5; k++) {
      for (let v = 0; v < variants.length; v++) {
        const res = r.push(streams[v]![k]!);
        if (res.status === 'complete') done.push(hex(res.payload));
      }
    }
    expect(done).toEqual(variants.map((_, i) => hex(bytesOf(40, i))));
  });

  it('recognises a late duplicate of a completed message instead of reopening it', () => {
    const chunks = chunkPayload(H, bytesOf(30), 10);
    const r = new ChunkReassembler();
    for (const c of chunks) r.push(c);
    expect(r.push(chunks[1]!).status).toBe('duplicate');
    expect(r.openCount).toBe(0);
    // A new message reusing the key (different content) is reassembled as a new message.
    const again = chunkPayload(H, bytesOf(30, 9), 10);
    expect(r.push(again[0]!).status).toBe('pending');
  });

  it('accepts decoded envelopes and re-checks hand-made ones', () => {
    const chunks = chunkPayload(H, bytesOf(20), 10).map((c) => decodeEnvelope(c));
    const r = new ChunkReassembler();
    r.push(chunks[0]!);
    expect(complete(r.push(chunks[1]!)).payload.length).toBe(20);
    const bogus = { header: { ...H, chunk: { index: 5, total: 2, size: 20, crc32: 0 } }, payload: bytesOf(10) };
    expectEnvelopeError(() => r.push(bogus), 'chunk-out-of-range');
  });
});

describe('ChunkReassembler: failures discard only their own message', () => {
  function twoMessages(): { r: ChunkReassembler; a: Uint8Array[]; b: Uint8Array[] } {
    const r = new ChunkReassembler();
    const a = chunkPayload(H, bytesOf(40, 1), 10);
    const b = chunkPayload({ ...H, corrId: 2000n }, bytesOf(40, 2), 10);
    r.push(a[0]!);
    r.push(b[0]!);
    return { r, a, b };
  }

  function expectOtherCompletes(r: ChunkReassembler, b: Uint8Array[]): void {
    expect(r.openCount).toBe(1);
    let last: ReassemblyResult | undefined;
    for (const c of b.slice(1)) last = r.push(c);
    expect(hex(complete(last!).payload)).toBe(hex(bytesOf(40, 2)));
    expect(r.openCount).toBe(0);
    expect(r.bufferedBytes).toBe(0);
  }

  it('CRC corruption in one chunk → crc-mismatch', () => {
    const { r, a, b } = twoMessages();
    const bad = a[2]!.slice();
    bad[bad.length - 1]! ^= 0x40; // a payload byte; the envelope itself still decodes
    r.push(a[1]!);
    r.push(bad);
    const err = expectEnvelopeError(() => r.push(a[3]!), 'crc-mismatch');
    expect(err.key).toBe('7:1000:42');
    expectOtherCompletes(r, b);
  });

  it('a chunk declaring another total → chunk-inconsistent', () => {
    const { r, a, b } = twoMessages();
    const liar = patchChunk(a[1]!, (h) => ({ ...h, chunk: { ...h.chunk!, total: 5, size: 50 } }));
    expectEnvelopeError(() => r.push(liar), 'chunk-inconsistent');
    expectOtherCompletes(r, b);
  });

  for (const [name, patch] of [
    ['size', (h: EnvelopeHeader) => ({ ...h, chunk: { ...h.chunk!, size: 39 } })],
    ['CRC-32', (h: EnvelopeHeader) => ({ ...h, chunk: { ...h.chunk!, crc32: (h.chunk!.crc32 ^ 1) >>> 0 } })],
    ['schema version', (h: EnvelopeHeader) => ({ ...h, schemaMinor: 9 })],
    ['QoS', (h: EnvelopeHeader) => ({ ...h, qos: Qos.ExactlyOnce })],
    ['timestamp', (h: EnvelopeHeader) => ({ ...h, timestampUs: 1n })],
    ['capability mask', (h: EnvelopeHeader) => ({ ...h, capabilities: 0n })],
  ] as const) {
    it(`a chunk with a different ${name} → chunk-inconsistent`, () => {
      const { r, a, b } = twoMessages();
      expectEnvelopeError(() => r.push(patchChunk(a[1]!, patch)), 'chunk-inconsistent');
      expectOtherCompletes(r, b);
    });
  }

  it('a repeated index with different bytes → chunk-inconsistent', () => {
    const { r, a, b } = twoMessages();
    expectEnvelopeError(() => r.push(patchChunk(a[0]!, (h) => h, bytesOf(10, 99))), 'chunk-inconsistent');
    expectOtherCompletes(r, b);
  });

  it('chunks carrying more than the declared size → chunk-inconsistent', () => {
    const { r, a, b } = twoMessages();
    // Same total and size, but chunk 1 is re-cut to 35 bytes: together with chunk 0 that is 45 > 40.
    expectEnvelopeError(() => r.push(patchChunk(a[1]!, (h) => h, bytesOf(35))), 'chunk-inconsistent');
    expectOtherCompletes(r, b);
  });

  it('a missing chunk times out after the deadline and is reported through onDiscard and sweep', () => {
    const clock = new FakeClock();
    const discarded: EnvelopeError[] = [];
    const r = new ChunkReassembler({ now: clock.now, timeoutMs: 1000, onDiscard: (e) => discarded.push(e) });
    const chunks = chunkPayload(H, bytesOf(30), 10);
    r.push(chunks[0]!);
    r.push(chunks[1]!);
    clock.t = 999;
    expect(r.sweep()).toEqual([]);
    clock.t = 1000;
    const expired = r.sweep();
    expect(expired.map((e) => [e.code, e.key])).toEqual([['timeout', '7:1000:42']]);
    expect(discarded).toEqual(expired);
    expect(r.openCount).toBe(0);
    expect(r.bufferedBytes).toBe(0);
    // The deadline counts from the first chunk: a slow drip does not extend it.
    r.push(chunks[0]!);
    clock.t = 1500;
    r.push(chunks[1]!);
    clock.t = 2000;
    expect(r.push(chunks[2]!).status).toBe('pending'); // expired before this chunk, so it opens a new partial
    expect(discarded.length).toBe(2);
  });
});

describe('ChunkReassembler: limits hold before anything is stored', () => {
  it('a declared size above maxMessageBytes is refused at the first chunk', () => {
    const r = new ChunkReassembler({ maxMessageBytes: 1000 });
    const chunks = chunkPayload(H, bytesOf(1001), 100);
    expectEnvelopeError(() => r.push(chunks[0]!), 'too-large');
    expect(r.openCount).toBe(0);
    expect(r.bufferedBytes).toBe(0);
  });

  it('an absurd total or size in a tiny envelope allocates nothing', () => {
    const r = new ChunkReassembler();
    const huge = encodeEnvelope({ ...H, chunk: { index: 7, total: 0xffffffff, size: 0xffffffff, crc32: 0 } }, bytesOf(1));
    expect(expectEnvelopeError(() => r.push(huge), 'too-large').reason).toMatch(/maxMessageBytes/);
    const many = encodeEnvelope({ ...H, chunk: { index: 7, total: 1_000_000, size: 1_000_000, crc32: 0 } }, bytesOf(1));
    expect(expectEnvelopeError(() => new ChunkReassembler({ maxMessageBytes: 2_000_000 }).push(many), 'too-large').reason).toMatch(/maxChunks/);
    expect(r.openCount).toBe(0);
    expect(r.bufferedBytes).toBe(0);
  });

  it('at most maxOpen partial messages; a new one is refused until one completes or expires', () => {
    const clock = new FakeClock();
    const r = new ChunkReassembler({ maxOpen: 3, now: clock.now, timeoutMs: 100 });
    const msgs = [0, 1, 2, 3].map((i) => chunkPayload({ ...H, corrId: BigInt(i) }, bytesOf(20, i), 10));
    for (let i = 0; i < 3; i++) r.push(msgs[i]![0]!);
    expect(expectEnvelopeError(() => r.push(msgs[3]![0]!), 'too-many-open').key).toBe('7:3:42');
    expect(r.openCount).toBe(3);
    r.push(msgs[0]![1]!); // completes message 0
    expect(r.push(msgs[3]![0]!).status).toBe('pending');
    clock.t = 100;
    const fresh = chunkPayload({ ...H, corrId: 99n }, bytesOf(20), 10);
    expect(r.push(fresh[0]!).status).toBe('pending'); // the three stale ones expired first
    expect(r.openCount).toBe(1);
  });

  it('bytes buffered across messages stay under maxBufferedBytes', () => {
    const r = new ChunkReassembler({ maxBufferedBytes: 25 });
    const a = chunkPayload(H, bytesOf(40), 10);
    const b = chunkPayload({ ...H, corrId: 5n }, bytesOf(40), 10);
    r.push(a[0]!);
    r.push(a[1]!);
    expect(expectEnvelopeError(() => r.push(b[0]!.slice()), 'too-large').reason).toMatch(/maxBufferedBytes/);
    expect(r.bufferedBytes).toBe(20);
    expectEnvelopeError(() => r.push(a[2]!), 'too-large');
    expect(r.bufferedBytes).toBe(0);
    expect(r.openCount).toBe(0);
  });

  it('under a random hostile stream, open count and buffered bytes never exceed their limits', () => {
    const limits = { maxOpen: 4, maxBufferedBytes: 300, maxMessageBytes: 200, timeoutMs: 50 };
    const step = fc.record({
      msg: fc.nat({ max: 9 }),
      chunk: fc.nat({ max: 30 }),
      advance: fc.nat({ max: 20 }),
      corrupt: fc.nat({ max: 12 }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 150 }), (steps) => {
        const clock = new FakeClock();
        const r = new ChunkReassembler({ ...limits, now: clock.now });
        const messages = Array.from({ length: 10 }, (_, i) => chunkPayload({ ...H, corrId: BigInt(i) }, bytesOf(20 + i * 25, i), 16));
        for (const s of steps) {
          clock.t += s.advance;
          const chunks = messages[s.msg]!;
          let bytes = chunks[s.chunk % chunks.length]!;
          if (s.corrupt === 0) {
            bytes = bytes.slice();
            bytes[bytes.length - 1]! ^= 1;
          } else if (s.corrupt === 1) bytes = bytes.subarray(0, 30);
          try {
            r.push(bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(EnvelopeError);
          }
          expect(r.openCount).toBeLessThanOrEqual(limits.maxOpen);
          expect(r.bufferedBytes).toBeLessThanOrEqual(limits.maxBufferedBytes);
          expect(r.bufferedBytes).toBeGreaterThanOrEqual(0);
        }
        clock.t += limits.timeoutMs;
        r.sweep();
        expect(r.openCount).toBe(0);
        expect(r.bufferedBytes).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
