import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ControlKind, decodeControl, encodeControl } from '../../runtime/lanes/control.ts';
import { CONTROL_GROUP, DATA_GROUP, FrameError, FrameKind, decodeDataFrame, encodeDataFrame, frameOf, frameToUmp } from '../../runtime/lanes/frame.ts';

/**
 * Golden bus frames (docs/wire.md § Bus frames). The expected bytes are assembled here field by field
 * from the layout tables, and the checksum comes from node:zlib, so the encoder is checked against the
 * documentation rather than against itself.
 */
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const withCrc = (h: string) => h + zlibCrc32(Buffer.from(h, 'hex')).toString(16).padStart(8, '0');
const words = (w: Uint32Array) => [...w].map((x) => x.toString(16).toUpperCase().padStart(8, '0')).join(' ');

const header = {
  topicId: 0x11223344,
  schemaMajor: 0,
  schemaMinor: 1,
  sessionId: 0xcafe0001,
  corrId: 0n,
  timestampUs: 1_700_000_000_000_000n,
  qos: 1 as const,
  capabilities: 0x5n,
};

describe('golden bus frames', () => {
  it('data frame: publish seq 1 on "a/b" with payload 08 2A', () => {
    const expected = withCrc(
      [
        '007d02', // manufacturer id 0x007D, sub-id 2 (data frame)
        '01', // kind: publish
        '00', // flags
        '0003', // address length
        '0000000000000001', // seq
        '612f62', // "a/b"
        // envelope: magic, version 1, flags 0, QoS 1, topic id, schema 0.1, session, corr, timestamp µs, capabilities, payload length, payload
        '6d010001',
        '11223344',
        '00000001',
        'cafe0001',
        '0000000000000000',
        '00060a24181e4000',
        '0000000000000005',
        '00000002',
        '082a',
      ].join(''),
    );
    const data = encodeDataFrame(FrameKind.Publish, 0, 1n, 'a/b', header, Uint8Array.of(0x08, 0x2a), 1024);
    expect(hex(data)).toBe(expected);
    expect(expected.slice(-8)).toBe('87391e57');
    // As SysEx8 on group 1, stream 1: Start/Continue…/End with #bytes counting the stream id.
    expect(words(frameToUmp(data, DATA_GROUP, 1))).toBe(
      '511E0100 7D020100 00030000 00000000 512E0100 01612F62 6D010001 11223344 512E0100 000001CA FE000100 00000000 512E0100 00000006 0A24181E 40000000 512E0100 00000000 05000000 02082A87 51340139 1E570000 00000000 00000000',
    );
    const f = frameOf(data)!;
    expect(f.subId).toBe(2);
    const back = decodeDataFrame(f.body, 1024);
    expect({ kind: back.kind, seq: back.seq, address: back.address, header: back.envelope.header, payload: hex(back.envelope.payload) }).toEqual({
      kind: 1,
      seq: 1n,
      address: 'a/b',
      header,
      payload: '082a',
    });
  });

  it('control frames: ACK floor 41 + 43 (40 refused), NACK stale', () => {
    const ack = withCrc('007d03' + '04' + '0000000000000029' + '0001' + '000000000000002b' + '0001' + '0000000000000028');
    expect(hex(encodeControl({ kind: ControlKind.Ack, floor: 41n, seqs: [43n], refused: [40n] }))).toBe(ack);
    expect(decodeControl(frameOf(Buffer.from(ack, 'hex'))!.body)).toEqual({ kind: ControlKind.Ack, floor: 41n, seqs: [43n], refused: [40n] });
    expect(words(frameToUmp(Buffer.from(ack, 'hex'), CONTROL_GROUP, 0))).toBe(
      '501E0000 7D030400 00000000 00002900 502E0001 00000000 0000002B 00010000 503B0000 00000000 28D3192D 88000000',
    );
    const nack = withCrc('007d03' + '05' + '0000000000000007' + '01' + '00000000' + '0003' + '6f6c64');
    expect(hex(encodeControl({ kind: ControlKind.Nack, seq: 7n, reason: 'stale', retryAfterMs: 0, message: 'old' }))).toBe(nack);
    expect(decodeControl(frameOf(Buffer.from(nack, 'hex'))!.body)).toEqual({
      kind: ControlKind.Nack,
      seq: 7n,
      reason: 'stale',
      retryAfterMs: 0,
      message: 'old',
    });
  });

  it('a changed byte fails the checksum with a FrameError', () => {
    const data = encodeDataFrame(FrameKind.Publish, 0, 1n, 'a/b', header, Uint8Array.of(0x08, 0x2a), 1024);
    data[20]! ^= 0x01;
    expect(() => frameOf(data)).toThrow(FrameError);
    expect(() => frameOf(data)).toThrow(/checksum mismatch/);
  });
});

describe('hostile frame bodies', () => {
  it('random and truncated control and data bodies only ever raise FrameError', async () => {
    const fc = (await import('fast-check')).default;
    const valid = [
      encodeControl({
        kind: ControlKind.Hello,
        name: 'x',
        capabilities: 1n,
        maxPayload: 2048,
        jitterBudgetUs: 5,
        heartbeatMs: 1000,
        clockSources: [1],
        interests: [{ subId: 1, topicId: 0, pattern: 'a/**' }],
        resume: { sessionId: 9, token: 't'.repeat(20), lastSeq: 3n },
      }),
      encodeControl({ kind: ControlKind.Ack, floor: 41n, seqs: [43n] }),
      encodeDataFrame(FrameKind.Publish, 0, 1n, 'a/b', header, Uint8Array.of(0x08, 0x2a), 1024),
    ];
    const attempt = (data: Uint8Array) => {
      try {
        const f = frameOf(data);
        if (f?.subId === 3) decodeControl(f.body);
        else if (f?.subId === 2) decodeDataFrame(f.body, 1024);
      } catch (err) {
        expect(err).toBeInstanceOf(FrameError);
      }
      // The body decoders on their own (no checksum in front of them): the same promise.
      for (const decode of [() => decodeControl(data.subarray(3)), () => decodeDataFrame(data.subarray(3), 1024)]) {
        try {
          decode();
        } catch (err) {
          expect(err).toBeInstanceOf(FrameError);
        }
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => attempt(Uint8Array.of(0x00, 0x7d, 0x03, ...bytes))),
      { numRuns: 400, seed: 11 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.nat(400), fc.nat(255), fc.nat(400), (frame, at, value, cut) => {
        const copy = frame.slice(0, Math.max(3, frame.length - (cut % frame.length)));
        if (copy.length > 3) copy[3 + (at % (copy.length - 3))] = value;
        attempt(copy);
      }),
      { numRuns: 600, seed: 12 },
    );
  });
});
