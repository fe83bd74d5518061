import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeControl, encodeControl, type ControlPacket } from '../../../runtime/transports/rtpmidi/control.ts';
import { decodeMidiPayload, type CommandItem } from '../../../runtime/transports/rtpmidi/command-section.ts';
import { RtpMidiError } from '../../../runtime/transports/rtpmidi/errors.ts';
import { packetize } from '../../../runtime/transports/rtpmidi/packetizer.ts';
import { decodeRtpHeader, encodeRtpHeader } from '../../../runtime/transports/rtpmidi/rtp-header.ts';
import { SysexAssembler } from '../../../runtime/transports/rtpmidi/sysex-assembler.ts';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const controlPacket: fc.Arbitrary<ControlPacket> = fc.oneof(
  fc.record({
    command: fc.constantFrom('IN' as const, 'OK' as const, 'NO' as const),
    token: u32,
    ssrc: u32,
    name: fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replace(/\0/g, '')),
  }),
  fc.record({ command: fc.constant('BY' as const), token: u32, ssrc: u32 }),
  fc.record({
    command: fc.constant('CK' as const),
    ssrc: u32,
    count: fc.constantFrom(0 as const, 1 as const, 2 as const),
    timestamps: fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
  }),
  fc.record({ command: fc.constant('RS' as const), ssrc: u32, sequence: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ command: fc.constant('RL' as const), ssrc: u32, bitrateLimit: u32 }),
);

const data = fc.integer({ min: 0, max: 0x7f });
/** Any whole MIDI 1.0 message. */
const message: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0x80, max: 0xef }), data, data)
    .map(([s, a, b]) => ((s & 0xf0) === 0xc0 || (s & 0xf0) === 0xd0 ? Uint8Array.of(s, a) : Uint8Array.of(s, a, b))),
  fc.constantFrom(0xf8, 0xfa, 0xfb, 0xfc, 0xfe, 0xff, 0xf6).map((s) => Uint8Array.of(s)),
  fc.tuple(data, data).map(([a, b]) => Uint8Array.of(0xf2, a, b)),
  fc.array(data, { maxLength: 3000 }).map((d) => Uint8Array.from([0xf0, ...d, 0xf7])),
);

function expectTyped(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RtpMidiError);
    expect((err as RtpMidiError).where).not.toBe('');
  }
}

/** Decodes payloads in order into whole messages, as a session does. */
function reassemble(payloads: readonly Uint8Array[]): Uint8Array[] {
  const sysex = new SysexAssembler(1 << 20);
  const out: Uint8Array[] = [];
  for (const p of payloads) {
    for (const item of decodeMidiPayload(p)) {
      if (item.kind === 'message') out.push(item.bytes);
      else {
        const r = sysex.push(item);
        if (r.error) throw r.error;
        if (r.message) out.push(r.message);
      }
    }
  }
  return out;
}

describe('AppleMIDI control packets', () => {
  it('round-trip', () => {
    fc.assert(
      fc.property(controlPacket, (p) => {
        expect(decodeControl(encodeControl(p))).toEqual(p);
      }),
      { numRuns: 500 },
    );
  });
  it("reads npm rtpmidi's BY (a name, no NUL) and a name without NUL", () => {
    const by = Uint8Array.from([0xff, 0xff, 0x42, 0x59, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 9, 0x61]);
    expect(decodeControl(by)).toEqual({ command: 'BY', token: 7, ssrc: 9 });
    const ok = Uint8Array.from([0xff, 0xff, 0x4f, 0x4b, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 9, 0x61, 0x62]);
    expect(decodeControl(ok)).toEqual({ command: 'OK', token: 7, ssrc: 9, name: 'ab' });
  });
  it('refuse what they cannot read with a typed error saying where', () => {
    expect(() => decodeControl(Uint8Array.of(0xff, 0xff, 0x43, 0x4b, 0, 0))).toThrow(/AppleMIDI CK: 6 bytes, needs at least 36/);
    expect(() => decodeControl(Uint8Array.of(0xff, 0xff, 0x51, 0x51))).toThrow(/unknown command 0x5151/);
    const v3 = encodeControl({ command: 'IN', token: 1, ssrc: 2, name: 'x' });
    v3[7] = 3;
    expect(() => decodeControl(v3)).toThrow(/protocol version 3/);
  });
  it('fuzz: any bytes decode or give RtpMidiError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }).map((b) => Uint8Array.from([0xff, 0xff, ...b])),
          controlPacket
            .chain((p) => fc.tuple(fc.constant(encodeControl(p)), fc.nat(), fc.integer({ min: 0, max: 255 })))
            .map(([b, i, v]) => {
              const c = b.slice(0, 1 + (i % b.length));
              c[i % c.length] = v;
              return c;
            }),
        ),
        (bytes) => expectTyped(() => decodeControl(bytes)),
      ),
      { numRuns: 2000 },
    );
  });
});

describe('golden packets (docs/wire.md § RTP-MIDI)', () => {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
  it('session packets', () => {
    expect(hex(encodeControl({ command: 'IN', token: 1, ssrc: 2, name: 'midl' }))).toBe('FFFF494E0000000200000001000000026D69646C00');
    expect(hex(encodeControl({ command: 'CK', ssrc: 2, count: 0, timestamps: [0x1234n, 0n, 0n] }))).toBe(
      'FFFF434B0000000200000000000000000000123400000000000000000000000000000000',
    );
    expect(hex(encodeControl({ command: 'BY', token: 1, ssrc: 2 }))).toBe('FFFF4259000000020000000100000002');
    expect(hex(encodeControl({ command: 'RS', ssrc: 2, sequence: 7 }))).toBe('FFFF52530000000200070000');
  });
  it('command sections', () => {
    expect(packetize([Uint8Array.of(0x90, 0x3c, 0x64), Uint8Array.of(0x90, 0x3e, 0x64), Uint8Array.of(0xf8)], 1188).map(hex)).toEqual(['08903C64003E6400F8']);
    expect(packetize([Uint8Array.from([0xf0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0xf7])], 8).map(hex)).toEqual(['06F001020304F0', '06F705060708F0', '04F7090AF7']);
  });
});

describe('RTP header', () => {
  it('round-trips and skips CSRCs, an extension and padding', () => {
    const out = new Uint8Array(12);
    encodeRtpHeader({ sequence: 0x1234, timestamp: 0xdeadbeef, ssrc: 0xcafef00d }, out);
    expect(decodeRtpHeader(out)).toEqual({ sequence: 0x1234, timestamp: 0xdeadbeef, ssrc: 0xcafef00d, payloadStart: 12, payloadEnd: 12 });
    // One CSRC, an extension of one word, 2 bytes of padding.
    const odd = Uint8Array.from([0xb1, 0x61, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 9, 9, 9, 9, 0, 0, 0, 1, 8, 8, 8, 8, 0x05, 0x90, 2]);
    expect(decodeRtpHeader(odd)).toMatchObject({ payloadStart: 24, payloadEnd: 25 });
  });
  it('fuzz: any bytes give a header inside the datagram or RtpMidiError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        if (bytes.length > 1) bytes[1] = 0x61;
        try {
          const h = decodeRtpHeader(bytes);
          expect(h.payloadStart).toBeLessThanOrEqual(h.payloadEnd);
          expect(h.payloadEnd).toBeLessThanOrEqual(bytes.length);
        } catch (err) {
          expect(err).toBeInstanceOf(RtpMidiError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('MIDI command section', () => {
  it('packetize → decode → reassemble is the identity, every datagram within the budget', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 30 }), fc.integer({ min: 6, max: 1400 }), (messages, budget) => {
        const payloads = packetize(messages, budget);
        for (const p of payloads) expect(p.length).toBeLessThanOrEqual(budget);
        expect(reassemble(payloads)).toEqual(messages);
      }),
      { numRuns: 300 },
    );
  });
  it('segments a long SysEx as F0…F0 / F7…F0 / F7…F7', () => {
    const sysex = Uint8Array.from([0xf0, ...Array.from({ length: 40 }, (_, i) => i), 0xf7]);
    const payloads = packetize([sysex], 20);
    expect(payloads.length).toBe(3);
    const list = (p: Uint8Array): Uint8Array => p.subarray((p[0]! & 0x80) !== 0 ? 2 : 1);
    expect(payloads.map((p) => [list(p)[0], p[p.length - 1]])).toEqual([
      [0xf0, 0xf0],
      [0xf7, 0xf0],
      [0xf7, 0xf7],
    ]);
  });
  it('reads running status, delta times (Z), long headers, real-time inside SysEx and a journal', () => {
    // Z=1, J=1: delta 0x81 0x00, 90 3C 64, delta 0, (running) 3E 64, delta 0, F0 01 F8 02 F7; then a journal.
    const list = [0x81, 0x00, 0x90, 0x3c, 0x64, 0x00, 0x3e, 0x64, 0x00, 0xf0, 0x01, 0xf8, 0x02, 0xf7];
    // Journal: Y and A with one channel; system journal of 2 bytes; channel journal of 4 bytes.
    const journal = [0x60, 0x00, 0x05, 0x00, 0x02, 0x00, 0x04, 0x80, 0x00];
    const payload = Uint8Array.from([0x80 | 0x40 | 0x20, list.length, ...list, ...journal]);
    const items = decodeMidiPayload(payload);
    expect(items).toEqual<CommandItem[]>([
      { kind: 'message', bytes: Uint8Array.of(0x90, 0x3c, 0x64) },
      { kind: 'message', bytes: Uint8Array.of(0x90, 0x3e, 0x64) },
      { kind: 'message', bytes: Uint8Array.of(0xf8) },
      { kind: 'sysex', starts: true, ends: 'end', data: Uint8Array.of(1, 2) },
    ]);
  });
  it('refuses a journal whose lengths do not fit, with where', () => {
    const bad = Uint8Array.from([0x40 | 3, 0x90, 0x3c, 0x64, 0x20, 0x00, 0x05, 0x00, 0x40, 0x80]);
    expect(() => decodeMidiPayload(bad)).toThrow(/channel journal 1 of 1 length 64 runs past the packet/);
    expect(() => decodeMidiPayload(Uint8Array.of(0x05, 0x90, 0x3c))).toThrow(/length 5 runs past the payload/);
    expect(() => decodeMidiPayload(Uint8Array.of(0x02, 0x3c, 0x64))).toThrow(/no running status/);
  });
  it('a cancelled SysEx (F7 … F4) and a lost segment deliver nothing and say so', () => {
    const a = new SysexAssembler(100);
    expect(a.push({ kind: 'sysex', starts: true, ends: 'more', data: Uint8Array.of(1) })).toEqual({});
    expect(a.push({ kind: 'sysex', starts: false, ends: 'cancel', data: Uint8Array.of(2) })).toEqual({});
    expect(a.push({ kind: 'sysex', starts: true, ends: 'more', data: Uint8Array.of(1) })).toEqual({});
    expect(a.lost()?.code).toBe('lost');
    expect(a.push({ kind: 'sysex', starts: false, ends: 'end', data: Uint8Array.of(2) })).toEqual({});
    expect(a.push({ kind: 'sysex', starts: false, ends: 'end', data: Uint8Array.of(2) }).error?.code).toBe('unexpected');
  });
  it('bounds reassembly: a SysEx past the limit is dropped and reported once', () => {
    const a = new SysexAssembler(10);
    expect(a.push({ kind: 'sysex', starts: true, ends: 'more', data: new Uint8Array(6) })).toEqual({});
    expect(a.push({ kind: 'sysex', starts: false, ends: 'more', data: new Uint8Array(6) }).error?.code).toBe('too-large');
    expect(a.push({ kind: 'sysex', starts: false, ends: 'end', data: new Uint8Array(6) })).toEqual({});
    expect(a.push({ kind: 'sysex', starts: true, ends: 'end', data: new Uint8Array(3) }).message).toEqual(Uint8Array.of(0xf0, 0, 0, 0, 0xf7));
  });
  it('fuzz: any payload decodes to well-formed items or gives RtpMidiError', () => {
    const mutated = fc
      .tuple(fc.array(message, { maxLength: 6 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }))
      .map(([ms, edits]) => {
        const p = packetize(ms, 1200)[0] ?? Uint8Array.of(0);
        const c = p.slice();
        for (const [i, v] of edits) c[i % c.length] = v;
        return c;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated), (bytes) => {
        try {
          for (const item of decodeMidiPayload(bytes)) {
            if (item.kind === 'message') expect(item.bytes[0]! & 0x80).toBe(0x80);
            else for (const b of item.data) expect(b).toBeLessThan(0x80);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(RtpMidiError);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
