// The reader's `keepPackets` (a message with the exact packets it came in) and `maxBufferedBytes`
// (a bound over all open messages): what recorders and the bus rely on to stay bounded.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlexBank, UmpReader, packFlexText, packSysEx7, packSysEx8, packetWordCount, readUmp, type UmpEvent } from '../../runtime/ump/index.ts';
import { errorsOf, messagesOf } from './helpers.ts';

const fill = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0x7f);

function packets(w: Uint32Array): Uint32Array[] {
  const out: Uint32Array[] = [];
  for (let i = 0; i < w.length; i += packetWordCount(w[i]!)) out.push(w.slice(i, i + packetWordCount(w[i]!)));
  return out;
}
const join = (parts: readonly Uint32Array[]): Uint32Array => Uint32Array.from(parts.flatMap((p) => [...p]));
const codes = (events: readonly UmpEvent[]): string[] => errorsOf(events).map((e) => e.code);

/** A SysEx8 Continue packet with no data bytes (#bytes 1: the stream id only). */
const emptyContinue = (group: number, streamId: number): Uint32Array =>
  Uint32Array.of(((0x5 << 28) | (group << 24) | (2 << 20) | (1 << 16) | (streamId << 8)) >>> 0, 0, 0, 0);

describe('keepPackets', () => {
  it('gives each message of interleaved SysEx8 streams exactly its own packets, in order', () => {
    const a = packSysEx8(fill(40, 1), { group: 1, streamId: 3 });
    const b = packSysEx8(fill(27, 2), { group: 1, streamId: 4 });
    const [pa, pb] = [packets(a), packets(b)];
    const mixed: Uint32Array[] = [];
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) mixed.push(...(pa[i] ? [pa[i]!] : []), ...(pb[i] ? [pb[i]!] : []));
    const events = readUmp(join(mixed), { keepPackets: true });
    expect(messagesOf(events)).toEqual([
      { kind: 'sysex8', group: 1, streamId: 4, data: fill(27, 2), packets: b },
      { kind: 'sysex8', group: 1, streamId: 3, data: fill(40, 1), packets: a },
    ]);
  });

  it('keeps the packets of SysEx7 and Flex Data text messages, and of single-packet messages', () => {
    const s7 = packSysEx7(fill(20, 5), { group: 2 });
    const flex = packFlexText('héllo, a text of some length', { group: 1, bank: FlexBank.MetadataText, status: 0 });
    const one = packSysEx8(fill(5, 9), { group: 0, streamId: 1 });
    const events = readUmp(join([s7, flex, one]), { keepPackets: true });
    expect(messagesOf(events).map((m) => ('packets' in m ? m.packets : undefined))).toEqual([s7, flex, one]);
  });

  it('leaves messages as they were without it', () => {
    const events = readUmp(packSysEx8(fill(30), { group: 0, streamId: 0 }));
    expect(messagesOf(events)).toEqual([{ kind: 'sysex8', group: 0, streamId: 0, data: fill(30) }]);
  });

  it('the packets kept are the input: any interleaving of random messages, split anywhere', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.uint8Array({ maxLength: 80 })), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 30 }),
        (messages, order, cuts) => {
          // Distinct stream ids, so every message can interleave with every other.
          const packed = messages.map(([group, data], i) => packSysEx8(data, { group, streamId: i }));
          const queues = packed.map(packets);
          const stream: Uint32Array[] = [];
          let k = 0;
          while (queues.some((q) => q.length > 0)) {
            const open = queues.filter((q) => q.length > 0);
            stream.push(open[(order[k++] ?? 0) % open.length]!.shift()!);
          }
          const all = join(stream);
          const reader = new UmpReader({ keepPackets: true });
          const events: UmpEvent[] = [];
          let at = 0;
          for (const c of cuts) {
            events.push(...reader.push(all.subarray(at, Math.min(all.length, at + c))));
            at = Math.min(all.length, at + c);
          }
          events.push(...reader.push(all.subarray(at)), ...reader.finish());
          expect(errorsOf(events)).toEqual([]);
          const got = messagesOf(events) as { streamId: number; packets?: Uint32Array }[];
          expect(got).toHaveLength(messages.length);
          for (const m of got) expect(m.packets).toEqual(packed[m.streamId]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('bounds the packets of a message that never ends, even when they carry no data', () => {
    const maxMessageBytes = 1024;
    const reader = new UmpReader({ keepPackets: true, maxMessageBytes });
    const start = packets(packSysEx8(fill(26), { group: 0, streamId: 7 }))[0]!;
    const events: UmpEvent[] = [...reader.push(start)];
    let peak = 0;
    for (let round = 0; round < 200; round++) {
      const burst = join(Array.from({ length: 64 }, () => emptyContinue(0, 7)));
      events.push(...reader.push(burst));
      peak = Math.max(peak, reader.bufferedBytes);
    }
    // 2 × maxMessageBytes + 64 bytes of packets at most, plus the data buffer, then the message is dropped.
    expect(peak).toBeLessThanOrEqual(3 * maxMessageBytes + 128);
    expect(codes(events)).toEqual(['too-large']);
    expect(errorsOf(events)[0]!.message).toMatch(/SysEx8 group 0 stream 7: its packets exceed 2112 bytes; discarded/);
    expect(reader.bufferedBytes).toBe(0);
  });
});

describe('maxBufferedBytes', () => {
  it('holds all open messages together under the bound; the message that would cross it is dropped, the others go on', () => {
    const reader = new UmpReader({ maxMessageBytes: 4096, maxOpenStreams: 64, maxBufferedBytes: 8192 });
    const parts = Array.from({ length: 8 }, (_, i) => packets(packSysEx8(fill(2000, i), { group: 3, streamId: i })));
    const events: UmpEvent[] = [];
    let peak = 0;
    const longest = Math.max(...parts.map((p) => p.length));
    for (let k = 0; k < longest; k++) {
      for (const p of parts) {
        if (k < p.length) events.push(...reader.push(p[k]!));
        peak = Math.max(peak, reader.bufferedBytes);
      }
    }
    expect(peak).toBeLessThanOrEqual(8192);
    const done = messagesOf(events) as { streamId: number; data: Uint8Array }[];
    const dropped = errorsOf(events);
    expect(dropped.length).toBeGreaterThan(0);
    expect(new Set(dropped.map((e) => e.code))).toEqual(new Set(['too-large']));
    expect(dropped[0]!.message).toMatch(/maxBufferedBytes/);
    // Every message is either delivered whole or reported once, never both.
    expect(done.length + dropped.length).toBe(8);
    for (const m of done) expect(m.data).toEqual(fill(2000, m.streamId));
    expect(reader.bufferedBytes).toBe(0);
  });

  it('defaults to no bound beyond maxOpenStreams × maxMessageBytes, and refuses a non-positive bound', () => {
    expect(new UmpReader({ maxMessageBytes: 100, maxOpenStreams: 3 }).limits.maxBufferedBytes).toBe(300);
    expect(() => new UmpReader({ maxBufferedBytes: 0 })).toThrow(/maxBufferedBytes must be a positive integer/);
  });
});
