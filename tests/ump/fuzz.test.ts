// Hostile input: random, structured-random, truncated, bit-flipped and flooding word streams. The reader and
// the packet decoder must emit only messages or UmpError instances, keep their state within the limits, and
// finish (inputs are bounded).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  UmpError,
  UmpReader,
  decodePackets,
  encodeMessage,
  packSysEx8,
  packetWordCount,
  type ReassemblyOptions,
  type UmpEvent,
} from '../../runtime/ump/index.ts';
import { anyMessageArb, cutsArb, splitAt, u } from './arbitraries.ts';
import { manualClock } from './helpers.ts';

const MESSAGE_KINDS = new Set([
  'noop',
  'jr-clock',
  'jr-timestamp',
  'delta-clockstamp-tpq',
  'delta-clockstamp',
  'sysex7',
  'sysex8',
  'mds',
  'flex',
  'flex-text',
  'endpoint-discovery',
  'endpoint-info',
  'device-identity',
  'endpoint-name',
  'product-instance-id',
  'stream-config-request',
  'stream-config-notification',
  'fb-discovery',
  'fb-info',
  'fb-name',
  'start-of-clip',
  'end-of-clip',
  'unknown',
]);
const PACKET_KINDS = new Set([...MESSAGE_KINDS, 'mds-header', 'mds-payload']);

const LIMITS = { maxMessageBytes: 64, maxOpenStreams: 4, timeoutMs: 100 } as const;

/** Feeds `parts` with the clock moving between pushes; checks every event and the reader's state after each push. */
function feed(parts: readonly Uint32Array[], steps: readonly number[], options: ReassemblyOptions = LIMITS): UmpEvent[] {
  const clock = manualClock();
  const reader = new UmpReader({ ...options, now: clock.now });
  const events: UmpEvent[] = [];
  const check = (batch: UmpEvent[]): void => {
    const untyped = batch.filter((e) => (e instanceof Error ? !(e instanceof UmpError) : !MESSAGE_KINDS.has(e.kind)));
    expect(untyped).toEqual([]);
    const maxOpen = options.maxOpenStreams ?? 64;
    expect(reader.openMessages).toBeLessThanOrEqual(maxOpen);
    expect(reader.bufferedBytes).toBeLessThanOrEqual(maxOpen * (options.maxMessageBytes ?? 4 << 20));
    expect(reader.pendingWords).toBeLessThanOrEqual(3);
    events.push(...batch);
  };
  parts.forEach((part, i) => {
    clock.advance(steps[i % Math.max(1, steps.length)] ?? 0);
    check(reader.push(part));
  });
  check(reader.expire());
  check(reader.finish());
  expect(reader.openMessages).toBe(0);
  return events;
}

const word = u(0xffffffff);
const rawWords = fc.array(word, { maxLength: 200 }).map((a) => Uint32Array.from(a));

/** Packets that look right: the MTs and statuses the reassemblers care about, few groups/streams so they collide. */
const packetArb: fc.Arbitrary<number[]> = fc.oneof(
  fc
    .tuple(u(1), u(4), u(7), word, word)
    .map(([g, st, n, a, b]) => [((0x3 << 28) | (g << 24) | (st << 20) | (n << 16) | (a & 0x7f7f)) >>> 0, (b & 0x7f7f7f7f) >>> 0]),
  fc
    .tuple(u(1), fc.constantFrom(0, 1, 2, 3, 3, 4), fc.constantFrom(0, 1, 2, 13, 14, 14, 15), u(2), word, fc.boolean())
    .map(([g, st, n, s, a, zero]) => [
      ((0x5 << 28) | (g << 24) | (st << 20) | (n << 16) | (s << 8) | (zero ? 0 : a & 0xff)) >>> 0,
      zero ? 0 : a,
      zero ? 0 : a ^ 0x5a5a5a5a,
      zero ? 0 : 0,
    ]),
  fc
    .tuple(u(1), u(1), fc.constantFrom(16, 18, 19, 21, 32, 35, 48, 0xffff), u(3), u(3), word)
    .map(([g, id, valid, chunks, chunk, ids]) => [((0x5 << 28) | (g << 24) | (8 << 20) | (id << 16) | valid) >>> 0, ((chunks << 16) | chunk) >>> 0, ids, ids]),
  fc.tuple(u(1), u(1), word).map(([g, id, d]) => [((0x5 << 28) | (g << 24) | (9 << 20) | (id << 16) | (d & 0xffff)) >>> 0, d, d, d]),
  fc
    .tuple(u(1), u(3), u(3), fc.constantFrom(0, 1, 2, 7), u(1), word)
    .map(([g, fmt, addr, bank, st, d]) => [((0xd << 28) | (g << 24) | (fmt << 22) | (addr << 20) | (bank << 8) | st) >>> 0, d, d & 0x80c0e0f0, 0]),
  fc
    .tuple(u(3), fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 0x10, 0x11, 0x12, 0x20, 0x21, 0x3ff), u(1), word)
    .map(([fmt, st, fb, d]) => [((0xf << 28) | (fmt << 26) | (st << 16) | (fb << 8) | (d & 0xff)) >>> 0, d, d >>> 1, 0]),
  fc.tuple(u(6), u(0xffff)).map(([st, v]) => [((st << 20) | v) >>> 0]),
);
const packetStream = fc.array(packetArb, { maxLength: 120 }).map((ps) => Uint32Array.from(ps.flat()));

describe('fuzzing the reader', () => {
  it('random words, split anywhere, clock jumping: only typed events, bounded state', () => {
    fc.assert(
      fc.property(
        rawWords.chain((w) => fc.tuple(fc.constant(w), cutsArb(w.length), fc.array(u(80), { maxLength: 5 }))),
        ([w, cuts, steps]) => {
          feed(splitAt(w, cuts), steps);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('structured random packets (colliding groups/streams, bad counts, aborts, MDS headers): only typed events, bounded state', () => {
    fc.assert(
      fc.property(
        packetStream.chain((w) => fc.tuple(fc.constant(w), cutsArb(w.length), fc.array(u(80), { maxLength: 5 }))),
        ([w, cuts, steps]) => {
          feed(splitAt(w, cuts), steps);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('valid traffic truncated at any word: the messages before the cut, then only `truncated` errors', () => {
    fc.assert(
      fc.property(
        fc.array(anyMessageArb, { minLength: 1, maxLength: 8 }).chain((ms) => {
          const encoded = ms.map(encodeMessage);
          const total = encoded.reduce((n, e) => n + e.length, 0);
          return fc.tuple(fc.constant(ms), fc.constant(encoded), fc.integer({ min: 0, max: total }));
        }),
        ([ms, encoded, cut]) => {
          const all = Uint32Array.from(encoded.flatMap((e) => [...e]));
          const events = feed([all.subarray(0, cut)], [], {});
          let end = 0;
          const complete = ms.filter((_, i) => (end += encoded[i]!.length) <= cut);
          expect(events.filter((e) => !(e instanceof Error))).toEqual(complete);
          const errors = events.filter((e): e is UmpError => e instanceof UmpError);
          expect(errors.every((e) => e.code === 'truncated')).toBe(true);
          expect(errors.length).toBeLessThanOrEqual(2);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('valid traffic with random bit flips: only typed events, bounded state', () => {
    fc.assert(
      fc.property(fc.array(anyMessageArb, { minLength: 1, maxLength: 8 }), fc.array(fc.tuple(fc.nat(), u(31)), { minLength: 1, maxLength: 6 }), (ms, flips) => {
        const w = Uint32Array.from(ms.flatMap((m) => [...encodeMessage(m)]));
        for (const [at, bit] of flips) w[at % w.length] = (w[at % w.length]! ^ (1 << bit)) >>> 0;
        feed([w], [], LIMITS);
      }),
      { numRuns: 200 },
    );
  });

  it('decodePackets on random words: every item is a packet or a UmpError, sized by MT', () => {
    fc.assert(
      fc.property(fc.oneof(rawWords, packetStream), (w) => {
        const items = decodePackets(w);
        let expected = 0;
        for (let i = 0; i < w.length; i += packetWordCount(w[i]!)) expected++;
        expect(items.length).toBe(expected);
        const untyped = items.filter((p) => (p instanceof Error ? !(p instanceof UmpError) : !PACKET_KINDS.has(p.kind)));
        expect(untyped).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('flooding', () => {
  it('a Start on every group and stream id (4096 streams) never holds more than maxOpenStreams', () => {
    const reader = new UmpReader({ maxOpenStreams: 64, maxMessageBytes: 1024 });
    const starts = new Uint32Array(16 * 256 * 4);
    let i = 0;
    for (let g = 0; g < 16; g++) {
      for (let s = 0; s < 256; s++) {
        starts.set(packSysEx8(new Uint8Array(30), { group: g, streamId: s }).subarray(0, 4), i);
        i += 4;
      }
    }
    const events = reader.push(starts);
    expect(reader.openMessages).toBe(64);
    expect(reader.bufferedBytes).toBeLessThanOrEqual(64 * 1024);
    expect(events.length).toBe(4096 - 64);
    expect(events.every((e) => e instanceof UmpError && e.code === 'too-many-streams')).toBe(true);
  });

  it('an endless message (Continue after Continue) stops at maxMessageBytes with one error', () => {
    const reader = new UmpReader({ maxMessageBytes: 4096 });
    const p = packSysEx8(new Uint8Array(13 * 3), { group: 0, streamId: 0 });
    const events = reader.push(p.subarray(0, 4));
    const cont = p.subarray(4, 8);
    const flood = new Uint32Array(20_000 * 4);
    for (let k = 0; k < 20_000; k++) flood.set(cont, k * 4);
    events.push(...reader.push(flood));
    expect(events.map((e) => (e instanceof UmpError ? e.code : e.kind))).toEqual(['too-large']);
    expect(reader.bufferedBytes).toBe(0);
    expect(reader.openMessages).toBe(1); // skipping until its End, holding no buffer
  });

  it('a large random stream (256 Ki words) is processed in bounded time', () => {
    const w = new Uint32Array(256 * 1024);
    let x = 0x12345678;
    for (let k = 0; k < w.length; k++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      w[k] = x >>> 0;
    }
    const started = performance.now();
    const events = feed([w], [], LIMITS);
    expect(events.length).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});
