import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RemoteError, crc32 } from '../../../runtime/index.ts';
import type { BufferChunk, BufferWriteAck } from '../../../generated/index.ts';
import { crc32Combine } from '../../../services/gpu/crc32-combine.ts';
import { DownloadCollector, UploadAssembler, chunkTransfer, crc32Bytes, type UploadAssemblerOptions } from '../../../services/gpu/transfers.ts';

/** Chunked uploads and downloads without a GPU or a bus: a Uint8Array stands for the device buffer. */

const TID = '0b0f4c1e-8a52-4d6e-9a57-1c2d3e4f5a6b';
const tid = (n: number) => `${n.toString(16).padStart(8, '0')}-8a52-4d6e-9a57-1c2d3e4f5a6b`;

function device(size: number, options: Partial<UploadAssemblerOptions> = {}) {
  const memory = new Uint8Array(size);
  const writes: { offset: bigint; length: number }[] = [];
  const assembler = new UploadAssembler({
    write: (_id, offset, data) => {
      writes.push({ offset, length: data.length });
      memory.set(data, Number(offset));
    },
    readBack: (_id, offset, length) => Promise.resolve(memory.slice(Number(offset), Number(offset + length))),
    ...options,
  });
  return { memory, writes, assembler, size: BigInt(size) };
}

/** What a refused accept threw, asserted to be a RemoteError. */
async function refusal(p: Promise<unknown>): Promise<RemoteError & { detail: Record<string, unknown> }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RemoteError);
  return err as RemoteError & { detail: Record<string, unknown> };
}

const bytesOf = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 8)) & 0xff);

describe('crc32Combine', () => {
  it('equals the CRC-32 of the concatenation, for any two byte strings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        const ab = new Uint8Array(a.length + b.length);
        ab.set(a);
        ab.set(b, a.length);
        expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(crc32(ab));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a length that is not a safe non-negative integer', () => {
    expect(() => crc32Combine(0, 0, -1)).toThrow(RangeError);
    expect(() => crc32Combine(0, 0, 1.5)).toThrow(RangeError);
  });
});

describe('chunkTransfer', () => {
  it('splits into ≤ chunkSize views with a CRC each and the whole checksum on the last', () => {
    const data = bytesOf(1000);
    const { chunks, checksum } = chunkTransfer(data, { transferId: TID, bufferId: 'b', offset: 8n, chunkSize: 256 });
    expect(chunks.map((c) => [c.chunkIndex, c.chunkTotal, c.offset, c.data.length])).toEqual([
      [0, 4, 8n, 256],
      [1, 4, 264n, 256],
      [2, 4, 520n, 256],
      [3, 4, 776n, 232],
    ]);
    for (const c of chunks) expect(c.crc32).toBe(crc32(c.data));
    expect(chunks.slice(0, 3).every((c) => c.checksum === undefined)).toBe(true);
    expect(chunks[3]!.checksum).toEqual(checksum);
    expect(checksum).toEqual({ algorithm: 'crc32', value: crc32Bytes(crc32(data)) });
    const sha = chunkTransfer(data, { transferId: TID, bufferId: 'b', algorithm: 'sha256' }).checksum;
    expect(Buffer.from(sha.value).toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('refuses sizes and offsets the protocol cannot carry', () => {
    const t = { transferId: TID, bufferId: 'b' };
    expect(() => chunkTransfer(bytesOf(8), { ...t, chunkSize: 6 })).toThrow(/multiple of 4/);
    expect(() => chunkTransfer(bytesOf(8), { ...t, chunkSize: 49_156 })).toThrow(/49152/);
    expect(() => chunkTransfer(bytesOf(8), { ...t, offset: 2n })).toThrow(/offset/);
    expect(() => chunkTransfer(bytesOf(6), t)).toThrow(/multiple of 4 bytes/);
    expect(() => chunkTransfer(new Uint8Array(0), t)).toThrow(/positive/);
  });
});

describe('UploadAssembler', () => {
  it('writes each chunk through, acks progress, lists missing once the last arrived, completes', async () => {
    const d = device(4096);
    const data = bytesOf(2048);
    const { chunks } = chunkTransfer(data, { transferId: TID, bufferId: 'b', offset: 1024n, chunkSize: 512 });
    const acks: BufferWriteAck[] = [];
    acks.push(await d.assembler.accept(chunks[0]!, d.size));
    acks.push(await d.assembler.accept(chunks[3]!, d.size));
    acks.push(await d.assembler.accept(chunks[0]!, d.size)); // a duplicate is re-acked, not written again
    acks.push(await d.assembler.accept(chunks[2]!, d.size));
    acks.push(await d.assembler.accept(chunks[1]!, d.size));
    expect(acks.map((a) => [a.chunkIndex, a.received, a.complete, a.missing])).toEqual([
      [0, 1, false, []],
      [3, 2, false, [1, 2]],
      [0, 2, false, [1, 2]],
      [2, 3, false, [1]],
      [1, 4, true, []],
    ]);
    expect(d.writes).toHaveLength(4);
    expect(d.memory.subarray(1024, 3072)).toEqual(data);
    // After completion a resent chunk is acknowledged as complete again, and not written.
    expect(await d.assembler.accept(chunks[2]!, d.size)).toMatchObject({ complete: true, received: 4, missing: [] });
    expect(d.writes).toHaveLength(4);
    expect(d.assembler.stats()).toMatchObject({ openTransfers: 0, trackedChunks: 0, completed: 1 });
  });

  it('refuses misaligned, out-of-bounds and index-out-of-range chunks, naming the chunk', async () => {
    const d = device(64);
    const c = chunkTransfer(bytesOf(16), { transferId: TID, bufferId: 'b', offset: 0n, chunkSize: 8 }).chunks[0]!;
    const misOffset = await refusal(d.assembler.accept({ ...c, offset: 2n }, d.size));
    expect(misOffset.errorName).toBe('MISALIGNED');
    const data6 = bytesOf(6);
    expect((await refusal(d.assembler.accept({ ...c, data: data6, crc32: crc32(data6) }, d.size))).errorName).toBe('MISALIGNED');
    const oob = await refusal(d.assembler.accept({ ...c, offset: 60n }, d.size));
    expect(oob.errorName).toBe('OUT_OF_BOUNDS');
    expect(oob.message).toMatch(/^chunk 0 of transfer .*: bytes 60…68 pass the end of buffer b \(64 bytes\)/);
    expect((await refusal(d.assembler.accept({ ...c, chunkIndex: 2 }, d.size))).errorName).toBe('OUT_OF_BOUNDS');
    // More chunks than 4-byte pieces of the buffer cannot be a real transfer.
    expect((await refusal(d.assembler.accept({ ...c, chunkTotal: 17 }, d.size))).message).toMatch(/cannot fit/);
    expect(d.writes).toHaveLength(0);
    expect(d.assembler.stats()).toMatchObject({ refused: 5, openTransfers: 0 });
  });

  it('a corrupted chunk is CHECKSUM_MISMATCH naming it, and its resend completes', async () => {
    const d = device(1024);
    const { chunks } = chunkTransfer(bytesOf(1024), { transferId: TID, bufferId: 'b', chunkSize: 256 });
    const bad = { ...chunks[1]!, data: chunks[1]!.data.slice() };
    bad.data[17]! ^= 0x40;
    const err = await refusal(d.assembler.accept(bad, d.size));
    expect(err.errorName).toBe('CHECKSUM_MISMATCH');
    expect(err.detail).toMatchObject({ transferId: TID, chunkIndex: 1, scope: 'chunk', expected: chunks[1]!.crc32 });
    for (const c of [chunks[0]!, chunks[2]!, chunks[3]!]) await d.assembler.accept(c, d.size);
    expect((await d.assembler.accept(chunks[1]!, d.size)).complete).toBe(true);
    expect(d.memory).toEqual(bytesOf(1024));
  });

  it('a whole-transfer checksum that does not match is CHECKSUM_MISMATCH of scope transfer (crc32 and sha256)', async () => {
    for (const algorithm of ['crc32', 'sha256'] as const) {
      const d = device(512);
      const { chunks } = chunkTransfer(bytesOf(512), { transferId: TID, bufferId: 'b', chunkSize: 128, algorithm });
      const last = chunks[3]!;
      const value = last.checksum!.value.slice();
      value[0]! ^= 1;
      for (const c of chunks.slice(0, 3)) await d.assembler.accept(c, d.size);
      const err = await refusal(d.assembler.accept({ ...last, checksum: { algorithm, value } }, d.size));
      expect(err.errorName).toBe('CHECKSUM_MISMATCH');
      expect(err.detail).toMatchObject({ scope: 'transfer', algorithm, chunkIndex: 3 });
      expect(d.assembler.stats()).toMatchObject({ openTransfers: 0, trackedChunks: 0 });
    }
  });

  it('sha256 without a way to read back is refused, not skipped', async () => {
    const assembler = new UploadAssembler({ write: () => undefined });
    const { chunks } = chunkTransfer(bytesOf(64), { transferId: TID, bufferId: 'b', algorithm: 'sha256' });
    expect((await refusal(assembler.accept(chunks[0]!, 64n))).message).toMatch(/only crc32/);
  });

  it('a chunk contradicting its transfer is refused: other buffer, other total, other bytes, overlap', async () => {
    const d = device(1024);
    const { chunks } = chunkTransfer(bytesOf(512), { transferId: TID, bufferId: 'b', chunkSize: 128 });
    await d.assembler.accept(chunks[0]!, d.size);
    expect((await refusal(d.assembler.accept({ ...chunks[1]!, bufferId: 'c' }, d.size))).message).toMatch(/writes buffer b/);
    expect((await refusal(d.assembler.accept({ ...chunks[1]!, chunkTotal: 5 }, d.size))).message).toMatch(/has 4 chunks/);
    const other = bytesOf(128, 9);
    expect((await refusal(d.assembler.accept({ ...chunks[0]!, data: other, crc32: crc32(other) }, d.size))).message).toMatch(/other bytes/);
    await d.assembler.accept(chunks[1]!, d.size);
    await d.assembler.accept(chunks[3]!, d.size);
    const overlap = await refusal(d.assembler.accept({ ...chunks[2]!, offset: 200n }, d.size));
    expect(overlap.errorName).toBe('OUT_OF_BOUNDS');
    expect(overlap.detail).toMatchObject({ reason: 'overlap', chunks: [1, 2] });
  });

  it('drops idle transfers; a late chunk gets MISSING_CHUNKS with what was missing', async () => {
    let now = 0;
    const d = device(1024, { idleTimeoutMs: 1_000, now: () => now });
    const { chunks } = chunkTransfer(bytesOf(1024), { transferId: TID, bufferId: 'b', chunkSize: 256 });
    await d.assembler.accept(chunks[0]!, d.size);
    await d.assembler.accept(chunks[3]!, d.size);
    now = 1_500;
    d.assembler.sweep();
    expect(d.assembler.stats()).toMatchObject({ openTransfers: 0, trackedChunks: 0, expired: 1 });
    const late = await refusal(d.assembler.accept(chunks[1]!, d.size));
    expect(late.errorName).toBe('MISSING_CHUNKS');
    expect(late.message).toMatch(/expired after 1500 ms/);
    expect(late.detail).toMatchObject({ missing: [1, 2] });
  });

  it('bounds open transfers and tracked chunks with LIMIT_EXCEEDED and a retry hint', async () => {
    const d = device(4096, { maxOpenTransfers: 2, maxTrackedChunks: 5 });
    const chunk = (t: number, i: number) => chunkTransfer(bytesOf(64), { transferId: tid(t), bufferId: 'b', chunkSize: 16 }).chunks[i]!;
    await d.assembler.accept(chunk(1, 0), d.size);
    await d.assembler.accept(chunk(2, 0), d.size);
    const tooMany = await refusal(d.assembler.accept(chunk(3, 0), d.size));
    expect(tooMany.errorName).toBe('LIMIT_EXCEEDED');
    expect(tooMany.retryAfterMs).toBeGreaterThan(0);
    for (const [t, i] of [
      [1, 1],
      [1, 2],
      [2, 1],
    ] as const)
      await d.assembler.accept(chunk(t, i), d.size);
    expect((await refusal(d.assembler.accept(chunk(2, 2), d.size))).errorName).toBe('LIMIT_EXCEEDED');
    // A transfer with more chunks than may ever be tracked is refused outright.
    const long = chunkTransfer(bytesOf(64), { transferId: tid(4), bufferId: 'b', chunkSize: 8 }).chunks[0]!;
    expect((await refusal(d.assembler.accept(long, d.size))).message).toMatch(/8 chunks exceed the 5/);
    expect(d.assembler.stats().trackedChunks).toBe(5);
  });

  it('one session cannot take every upload slot: per-session bounds on open transfers and tracked chunks leave room for others', async () => {
    const d = device(1 << 16, { maxOpenTransfers: 8, maxOpenTransfersPerOwner: 2, maxTrackedChunks: 100, maxTrackedChunksPerOwner: 5 });
    const chunk = (t: number, i: number) => chunkTransfer(bytesOf(256), { transferId: tid(t), bufferId: 'b', chunkSize: 16 }).chunks[i]!;
    await d.assembler.accept(chunk(1, 0), d.size, 7);
    await d.assembler.accept(chunk(2, 0), d.size, 7);
    const third = await refusal(d.assembler.accept(chunk(3, 0), d.size, 7));
    expect(third.errorName).toBe('LIMIT_EXCEEDED');
    expect(third.message).toMatch(/this session has 2 transfers open, the most one session may/);
    expect(third.retryAfterMs).toBeGreaterThan(0);
    // Another session still gets a slot.
    await d.assembler.accept(chunk(3, 0), d.size, 8);
    // Chunks: session 7 holds 2 of its 5, three more fit, the sixth is refused; session 8 is not affected.
    for (const i of [1, 2, 3]) await d.assembler.accept(chunk(1, i), d.size, 7);
    const sixth = await refusal(d.assembler.accept(chunk(2, 1), d.size, 7));
    expect(sixth.errorName).toBe('LIMIT_EXCEEDED');
    expect(sixth.message).toMatch(/this session's open transfers track 5 chunks, the most one session may/);
    await d.assembler.accept(chunk(3, 1), d.size, 8);
    // A chunk of another session's transfer is refused, not mixed in.
    const foreign = await refusal(d.assembler.accept(chunk(1, 4), d.size, 8));
    expect(foreign.errorName).toBe('OUT_OF_BOUNDS');
    expect(foreign.message).toMatch(/belongs to another session/);
    expect(d.assembler.stats()).toMatchObject({ openTransfers: 3, trackedChunks: 7 });
  });

  it('property: any order and duplication of the chunks of random data completes with exactly those bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 600 }).map((n) => n * 4),
        fc.integer({ min: 1, max: 40 }).map((n) => n * 4),
        fc.integer({ min: 0, max: 16 }).map((n) => BigInt(n * 4)),
        fc.constantFrom('crc32' as const, 'sha256' as const),
        fc.integer(),
        fc.array(fc.nat(), { maxLength: 30 }),
        async (length, chunkSize, offset, algorithm, seed, dupes) => {
          const data = bytesOf(length, seed & 0xff);
          const d = device(length + 64);
          const { chunks } = chunkTransfer(data, { transferId: TID, bufferId: 'b', offset, chunkSize, algorithm });
          const order = shuffled([...chunks, ...dupes.map((i) => chunks[i % chunks.length]!)], seed);
          // Every chunk arrives at least once; the last ack of a new chunk is the complete one.
          let complete = 0;
          for (const c of order) if ((await d.assembler.accept(c, d.size)).complete) complete++;
          expect(complete).toBeGreaterThanOrEqual(1);
          expect(d.memory.subarray(Number(offset), Number(offset) + length)).toEqual(data);
          expect(d.assembler.stats()).toMatchObject({ openTransfers: 0, trackedChunks: 0, completed: 1, refused: 0 });
        },
      ),
      { numRuns: 120 },
    );
  });

  it('property: a flipped bit in any chunk or in the transfer checksum is always caught', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 200 }).map((n) => n * 4),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        async (length, where, bit, inChecksum) => {
          const d = device(length);
          const { chunks } = chunkTransfer(bytesOf(length), { transferId: TID, bufferId: 'b', chunkSize: 64 });
          const victim = where % chunks.length;
          const last = chunks.length - 1;
          let caught = 0;
          for (const c of chunks) {
            let sent: BufferChunk = c;
            if (inChecksum && c.chunkIndex === last) {
              const value = c.checksum!.value.slice();
              value[bit % value.length]! ^= 1 << (bit % 8);
              sent = { ...c, checksum: { ...c.checksum!, value } };
            } else if (!inChecksum && c.chunkIndex === victim) {
              const data = c.data.slice();
              data[bit % data.length]! ^= 1 << (bit % 8);
              sent = { ...c, data };
            }
            const err = await d.assembler.accept(sent, d.size).then(
              () => undefined,
              (e: unknown) => e,
            );
            if (err !== undefined) {
              expect(err instanceof RemoteError && err.errorName).toBe('CHECKSUM_MISMATCH');
              caught++;
            }
          }
          expect(caught).toBe(1);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('property: hostile chunk sequences never exceed the bounds, never throw anything but RemoteError', async () => {
    const chunkArb = fc.record({
      transferId: fc.constantFrom(tid(1), tid(2), tid(3), tid(4), tid(5)),
      bufferId: fc.constantFrom('a', 'b'),
      offset: fc.bigInt({ min: 0n, max: 5000n }),
      chunkIndex: fc.nat({ max: 300 }),
      chunkTotal: fc.integer({ min: 1, max: 300 }),
      data: fc.uint8Array({ minLength: 1, maxLength: 64 }),
      goodCrc: fc.boolean(),
      crc: fc.nat(),
      checksum: fc.option(
        fc.record({ algorithm: fc.constantFrom('crc32' as const, 'sha256' as const), value: fc.uint8Array({ minLength: 4, maxLength: 32 }) }),
        { nil: undefined },
      ),
      advance: fc.nat({ max: 400 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(chunkArb, { maxLength: 120 }), async (sequence) => {
        let now = 0;
        const d = device(4096, { maxOpenTransfers: 3, maxTrackedChunks: 20, idleTimeoutMs: 1_000, now: () => now, rememberFinished: 4 });
        for (const h of sequence) {
          now += h.advance;
          const chunk: BufferChunk = {
            transferId: h.transferId,
            bufferId: h.bufferId,
            offset: h.offset,
            chunkIndex: h.chunkIndex,
            chunkTotal: h.chunkTotal,
            data: h.data,
            crc32: h.goodCrc ? crc32(h.data) : h.crc,
            ...(h.checksum ? { checksum: h.checksum } : {}),
          };
          await d.assembler.accept(chunk, d.size).catch((err: unknown) => expect(err).toBeInstanceOf(RemoteError));
          const s = d.assembler.stats();
          expect(s.openTransfers).toBeLessThanOrEqual(3);
          expect(s.trackedChunks).toBeLessThanOrEqual(20);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('DownloadCollector', () => {
  const expectation = (data: Uint8Array, chunkSize: number) => {
    const { chunks, checksum } = chunkTransfer(data, { transferId: TID, bufferId: 'b', offset: 256n, chunkSize });
    return {
      chunks,
      collector: new DownloadCollector({ transferId: TID, bufferId: 'b', offset: 256n, length: data.length, chunkTotal: chunks.length, checksum }),
    };
  };

  it('property: reassembles any order with duplicates and verifies the checksum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }).map((n) => n * 4),
        fc.integer({ min: 1, max: 30 }).map((n) => n * 4),
        fc.integer(),
        (length, chunkSize, seed) => {
          const data = bytesOf(length, seed & 0xff);
          const { chunks, collector } = expectation(data, chunkSize);
          for (const c of shuffled([...chunks, ...chunks.slice(0, 2)], seed)) expect(collector.add(c)).toBeUndefined();
          expect(collector.complete).toBe(true);
          expect(collector.verify()).toBe(true);
          expect(collector.bytes).toEqual(data);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses corrupt, foreign and out-of-range chunks, and lists what is missing', () => {
    const { chunks, collector } = expectation(bytesOf(1024), 256);
    const bad = { ...chunks[1]!, data: chunks[1]!.data.slice() };
    bad.data[0]! ^= 1;
    expect(collector.add(bad)).toMatchObject({ chunkIndex: 1, reason: 'crc32' });
    expect(collector.add({ ...chunks[0]!, transferId: tid(9) })).toMatchObject({ reason: 'foreign' });
    expect(collector.add({ ...chunks[0]!, offset: 0n })).toMatchObject({ reason: 'range' });
    expect(collector.add({ ...chunks[0]!, chunkIndex: 7 })).toMatchObject({ reason: 'range' });
    expect(collector.add(chunks[0]!)).toBeUndefined();
    expect(collector.add(chunks[3]!)).toBeUndefined();
    expect(collector.missing()).toEqual([1, 2]);
    expect(collector.complete).toBe(false);
  });

  it('a checksum that does not match the reassembled bytes fails verification', () => {
    const data = bytesOf(512);
    const { chunks } = chunkTransfer(data, { transferId: TID, bufferId: 'b', chunkSize: 128 });
    const collector = new DownloadCollector({
      transferId: TID,
      bufferId: 'b',
      offset: 0n,
      length: 512,
      chunkTotal: 4,
      checksum: { algorithm: 'crc32', value: crc32Bytes(crc32(data) ^ 1) },
    });
    for (const c of chunks) collector.add(c);
    expect(collector.complete).toBe(true);
    expect(collector.verify()).toBe(false);
  });
});

/** A seeded Fisher–Yates shuffle. */
function shuffled<T>(items: T[], seed: number): T[] {
  let s = seed >>> 0 || 1;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s);
  for (let i = items.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
