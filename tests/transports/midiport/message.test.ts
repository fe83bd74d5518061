import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MidiMessageError, checkMidi1Message } from '../../../runtime/transports/index.ts';

const PORT = 'midi:"test"';

/** One complete MIDI 1.0 message of any kind, built from the MIDI 1.0 table independently of midi1Shape. */
const data = fc.integer({ min: 0, max: 0x7f });
const validMessage: fc.Arbitrary<number[]> = fc.oneof(
  fc.tuple(fc.constantFrom(0x80, 0x90, 0xa0, 0xb0, 0xe0), fc.nat(15), data, data).map(([s, ch, a, b]) => [s | ch, a, b]),
  fc.tuple(fc.constantFrom(0xc0, 0xd0), fc.nat(15), data).map(([s, ch, a]) => [s | ch, a]),
  fc.tuple(fc.constantFrom(0xf1, 0xf3), data).map(([s, a]) => [s, a]),
  fc.tuple(data, data).map(([a, b]) => [0xf2, a, b]),
  fc.constantFrom(0xf4, 0xf5, 0xf6, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff).map((s) => [s]),
  fc.array(data, { maxLength: 300 }).map((body) => [0xf0, ...body, 0xf7]),
);

function check(bytes: number[]): MidiMessageError | undefined {
  try {
    checkMidi1Message(Uint8Array.from(bytes), PORT);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(MidiMessageError);
    return err as MidiMessageError;
  }
}

describe('checkMidi1Message', () => {
  it('accepts every complete MIDI 1.0 message', () => {
    fc.assert(
      fc.property(validMessage, (m) => {
        expect(check(m)).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses what is not one message, saying what and at which byte', () => {
    const cases: Array<[number[], number, RegExp]> = [
      [[], 0, /empty/],
      [[0x3c, 0x64], 0, /data byte 0x3c, not a status byte/],
      [[0x90, 0x3c], 2, /takes 2 data bytes, the message has 1/],
      [[0x90, 0x3c, 0x64, 0x00], 3, /takes 2 data bytes, the message has 3/],
      [[0x90, 0x3c, 0x90], 2, /byte 2 is 0x90/],
      [[0xc0], 1, /takes 1 data bytes, the message has 0/],
      [[0xf7], 0, /without its F0/],
      [[0xf0, 0x01], 1, /does not end with F7/],
      [[0xf0], 0, /does not end with F7/],
      [[0xf0, 0x01, 0x90, 0xf7], 2, /holds status byte 0x90/],
      [[0xf8, 0x00], 1, /one byte/],
      [[0xf6, 0x00], 1, /takes 0 data bytes/],
    ];
    for (const [bytes, offset, why] of cases) {
      const err = check(bytes);
      expect(err, JSON.stringify(bytes)).toBeDefined();
      expect(err!.offset, JSON.stringify(bytes)).toBe(offset);
      expect(err!.message, JSON.stringify(bytes)).toMatch(why);
      expect(err!.message.startsWith(`${PORT}: `)).toBe(true);
      expect(err!.port).toBe(PORT);
    }
  });

  it('fuzz: any bytes are accepted only when they are one valid message; an error points inside them', () => {
    const isValid = (b: number[]): boolean => {
      if (b.length === 0 || b[0]! < 0x80) return false;
      const s = b[0]!;
      const allData = (xs: number[]): boolean => xs.every((x) => x < 0x80);
      if (s === 0xf0) return b.length >= 2 && b[b.length - 1] === 0xf7 && allData(b.slice(1, -1));
      if (s === 0xf7) return false;
      if (s >= 0xf8) return b.length === 1;
      const n = s >= 0xf0 ? (({ 0xf1: 1, 0xf2: 2, 0xf3: 1 } as Record<number, number>)[s] ?? 0) : (s & 0xf0) === 0xc0 || (s & 0xf0) === 0xd0 ? 1 : 2;
      return b.length === 1 + n && allData(b.slice(1));
    };
    const bytes = fc.oneof(
      fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 8 }),
      validMessage.chain((m) => fc.tuple(fc.nat(m.length), fc.integer({ min: 0, max: 255 })).map(([i, b]) => m.map((x, j) => (j === i ? b : x)))),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        const err = check(b);
        expect(err === undefined).toBe(isValid(b));
        if (err) expect(err.offset).toBeLessThanOrEqual(Math.max(0, b.length));
      }),
      { numRuns: 3000 },
    );
  });

  it('quotes at most 16 bytes of a long bad message and runs in linear time', () => {
    const long = new Uint8Array(1_000_000).fill(0x11);
    long[0] = 0xf0;
    const start = performance.now();
    const err = check(Array.from(long));
    expect(performance.now() - start).toBeLessThan(2000);
    expect(err!.message).toContain('(1000000 bytes)');
    expect(err!.message.length).toBeLessThan(200);
  });
});
