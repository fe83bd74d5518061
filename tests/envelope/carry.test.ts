import { describe, expect, it } from 'vitest';
import { UmpReader, packSysEx8, type UmpEvent } from '../../runtime/ump/index.ts';
import {
  ChunkReassembler,
  EnvelopeError,
  Quarantine,
  Qos,
  encodeEnvelope,
  envelopeFromSysEx8,
  envelopeToSysEx8,
  messageToSysEx8,
  type EnvelopeHeader,
} from '../../runtime/envelope/index.ts';
import { expectEnvelopeError, hex } from './helpers.ts';

const A: EnvelopeHeader = { topicId: 1, schemaMajor: 1, schemaMinor: 0, sessionId: 1, corrId: 1n, timestampUs: 0n, qos: Qos.AtMostOnce, capabilities: 0n };
const wordsHex = (w: Uint32Array): string[] => Array.from(w, (x) => x.toString(16).padStart(8, '0'));
const bytesOf = (n: number, seed = 1): Uint8Array => new Uint8Array(n).map((_, i) => (i * 13 + seed) & 0xff);

/** A receiver as a bus would run one: UMP reader → envelope → chunk reassembly, every rejection quarantined. */
function receive(words: Uint32Array, q = new Quarantine(), r = new ChunkReassembler()): { payloads: Uint8Array[]; q: Quarantine } {
  const payloads: Uint8Array[] = [];
  const events: UmpEvent[] = new UmpReader().push(words);
  for (const ev of events) {
    if (ev instanceof Error) {
      q.add(ev);
      continue;
    }
    if (ev.kind !== 'sysex8') continue;
    try {
      const res = r.push(envelopeFromSysEx8(ev));
      if (res.status === 'complete') payloads.push(res.payload);
    } catch (e) {
      if (!(e instanceof EnvelopeError)) throw e;
      q.add(e, ev.data);
    }
  }
  return { payloads, q };
}

describe('envelope over SysEx8', () => {
  it('golden: envelope A on group 1, stream 0x42 is 47 data bytes in 4 packets; first packet laid out by hand', () => {
    const words = envelopeToSysEx8(encodeEnvelope(A, new Uint8Array(0)), { group: 1, streamId: 0x42 });
    expect(words.length).toBe(16);
    // MT 5, group 1, Start, 14 bytes (stream id + 13 data), stream 0x42, data: 00 7D 01 | 6D 01 00 00 00 00 00 01 00 01
    expect(wordsHex(words.subarray(0, 4))).toEqual(['511e4200', '7d016d01', '00000000', '00010001']);
    // End packet: 47 − 3 × 13 = 8 data bytes → #bytes 9; the last bytes are the payload length 00000000.
    expect(wordsHex(words.subarray(12, 13))[0]).toBe('51394200');
  });

  it('round trips a small message and a chunked 200 KiB message through the UMP reader', () => {
    const small = bytesOf(100);
    const big = bytesOf(200 * 1024, 7);
    const words = new Uint32Array([
      ...messageToSysEx8(A, small, { group: 1, streamId: 1 }),
      ...messageToSysEx8({ ...A, corrId: 2n }, big, { group: 1, streamId: 2, maxChunkPayload: 16 * 1024 }),
    ]);
    const { payloads, q } = receive(words);
    expect(payloads.map((p) => p.length)).toEqual([100, 200 * 1024]);
    expect(hex(payloads[1]!.subarray(150_000, 150_040))).toBe(hex(big.subarray(150_000, 150_040)));
    expect(q.total).toBe(0);
  });

  it('messages on different stream ids may interleave packet by packet', () => {
    const a = messageToSysEx8(A, bytesOf(60, 1), { group: 2, streamId: 10 });
    const b = messageToSysEx8({ ...A, corrId: 9n }, bytesOf(60, 2), { group: 2, streamId: 11 });
    const mixed: number[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i += 4) mixed.push(...a.subarray(i, i + 4), ...b.subarray(i, i + 4));
    const { payloads } = receive(Uint32Array.from(mixed));
    expect(payloads.map((p) => hex(p)).sort()).toEqual([hex(bytesOf(60, 1)), hex(bytesOf(60, 2))].sort());
  });

  it('SysEx8 without the midl prefix and corrupted envelopes are quarantined with their reason', () => {
    const foreign = packSysEx8(Uint8Array.of(0x00, 0x21, 0x09, 1, 2, 3), { group: 1, streamId: 3 });
    const env = encodeEnvelope(A, bytesOf(8)).slice();
    env[1] = 9; // unknown format version
    const words = new Uint32Array([
      ...foreign,
      ...envelopeToSysEx8(env, { group: 1, streamId: 4 }),
      ...messageToSysEx8(A, bytesOf(5), { group: 1, streamId: 5 }),
    ]);
    const { payloads, q } = receive(words);
    expect(payloads.length).toBe(1);
    expect(q.entries().map((e) => [e.code, e.offset])).toEqual([
      ['missing-envelope', 0],
      ['unsupported-version', 1],
    ]);
    expect(Array.from(q.entries()[0]!.bytes!.subarray(0, 3))).toEqual([0x00, 0x21, 0x09]);
    expectEnvelopeError(() => envelopeFromSysEx8(new Uint8Array(0)), 'missing-envelope');
  });

  it('a message cut off mid-stream surfaces as a UMP error in the same quarantine', () => {
    const words = messageToSysEx8(A, bytesOf(100), { group: 1, streamId: 6 });
    const reader = new UmpReader();
    const q = new Quarantine();
    const cut = words.subarray(0, 8);
    // A new Start on the same stream before the End: the UMP core reports the broken first message.
    const events = reader.push(new Uint32Array([...cut, ...words]));
    for (const ev of events) if (ev instanceof Error) q.add(ev);
    expect(q.total).toBeGreaterThan(0);
    expect(q.entries()[0]!.reason.length).toBeGreaterThan(0);
  });
});
