import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ForeignUmp,
  Midi1ByteReader,
  Midi1Error,
  Midi1ErrorCode,
  UmpError,
  UmpErrorCode,
  UmpToMidi1,
  midi1ToUmp,
  packSysEx8,
  type Midi1ReadResult,
  type UmpToMidi1Result,
} from '../../runtime/ump/index.ts';
import { chunked, hexOf, midi1Message, midi1Stream, serialise } from './midi1-arbitraries.ts';

const bytes = (text: string): Uint8Array => Uint8Array.from(text.split(/\s+/).filter(Boolean), (h) => parseInt(h, 16));
const read = (reader: Midi1ByteReader, text: string): Midi1ReadResult[] => reader.push(bytes(text));
const shown = (results: readonly (Midi1ReadResult | UmpToMidi1Result)[]): string[] =>
  results.map((r) => (r instanceof Uint8Array ? hexOf(r) : r instanceof ForeignUmp ? `foreign ${r.words.length}` : `${r.name} ${r.code}`));
const words = (...w: number[]): Uint32Array => Uint32Array.from(w);

describe('Midi1ByteReader', () => {
  it('expands running status and keeps real-time bytes where they arrived', () => {
    const reader = new Midi1ByteReader();
    expect(shown(read(reader, '90 3c 64 3e 64 f8 40 f8 00 c1 05 06 f1 10'))).toEqual([
      '90 3c 64',
      '90 3e 64',
      'f8',
      'f8',
      '90 40 00',
      'c1 05',
      'c1 06',
      'f1 10',
    ]);
  });

  it('yields a SysEx whole, with real-time bytes inside it yielded first, across chunks', () => {
    const reader = new Midi1ByteReader();
    expect(shown(read(reader, 'f0 7e 7f'))).toEqual([]);
    expect(shown(read(reader, '06 fe 01'))).toEqual(['fe']);
    expect(shown(read(reader, 'f7'))).toEqual(['f0 7e 7f 06 01 f7']);
  });

  it('reports each kind of garbage with its code and byte offset, and goes on at the next status', () => {
    const reader = new Midi1ByteReader();
    const results = read(reader, '3c 64 01 90 3c f7 f0 01 02 80 40 00 f4 10 f9 fd f2 01 b0 07 7f');
    const errors = results.filter((r): r is Midi1Error => r instanceof Midi1Error);
    expect(errors.map((e) => [e.code, e.offset])).toEqual([
      [Midi1ErrorCode.NoStatus, 0], // one report for the run of three stray bytes
      [Midi1ErrorCode.Interrupted, 5], // 90 3c cut short by the F7 …
      [Midi1ErrorCode.StrayEox, 5], // … which ends no SysEx
      [Midi1ErrorCode.Interrupted, 9], // the SysEx cut short by 80
      [Midi1ErrorCode.UndefinedStatus, 12],
      [Midi1ErrorCode.NoStatus, 13],
      [Midi1ErrorCode.UndefinedStatus, 14],
      [Midi1ErrorCode.UndefinedStatus, 15],
      [Midi1ErrorCode.Interrupted, 18],
    ]);
    expect(errors[0]!.message).toContain('byte 0');
    expect(shown(results.filter((r) => r instanceof Uint8Array))).toEqual(['80 40 00', 'b0 07 7f']);
  });

  it('bounds a SysEx: past the bound it reports once, holds nothing, and reads what follows', () => {
    const reader = new Midi1ByteReader({ maxSysExBytes: 8 });
    expect(shown(read(reader, 'f0 01 02 03 04 05 06 f7'))).toEqual(['f0 01 02 03 04 05 06 f7']);
    const over = read(reader, 'f0 01 02 03 04 05 06 07 08 09 f7 90 3c 64');
    expect(shown(over)).toEqual(['Midi1Error too-large', '90 3c 64']);
    // Cut short by a status instead of F7: still one report.
    expect(shown(read(reader, 'f0 01 02 03 04 05 06 07 08 09 80 3c 00'))).toEqual(['Midi1Error too-large', '80 3c 00']);
    expect(reader.bufferedBytes).toBe(0);
  });

  it('holds at most the bound for a 10 MB SysEx with a 1 MiB bound, and reads the note after it', () => {
    const reader = new Midi1ByteReader({ maxSysExBytes: 1024 * 1024 });
    const chunk = new Uint8Array(64 * 1024).fill(0x11);
    const results: Midi1ReadResult[] = [...reader.push(Uint8Array.of(0xf0))];
    let maxHeld = 0;
    for (let sent = 0; sent < 10_000_000; sent += chunk.length) {
      results.push(...reader.push(chunk));
      maxHeld = Math.max(maxHeld, reader.bufferedBytes);
    }
    results.push(...reader.push(bytes('f7 90 3c 64')));
    expect(maxHeld).toBeLessThanOrEqual(1024 * 1024);
    expect(shown(results)).toEqual(['Midi1Error too-large', '90 3c 64']);
  });

  it('refuses a bound that cannot hold F0 F7', () => {
    expect(() => new Midi1ByteReader({ maxSysExBytes: 1 })).toThrow(RangeError);
  });
});

describe('midi1ToUmp', () => {
  it('translates each kind of message to its MT (golden words)', () => {
    expect([...midi1ToUmp(bytes('90 3c 64'))]).toEqual([0x20903c64]);
    expect([...midi1ToUmp(bytes('c5 07'), 3)]).toEqual([0x23c50700]);
    expect([...midi1ToUmp(bytes('f2 01 02'))]).toEqual([0x10f20102]);
    expect([...midi1ToUmp(bytes('f8'), 15)]).toEqual([0x1ff80000]);
    expect([...midi1ToUmp(bytes('f0 7e 7f 06 01 f7'))]).toEqual([0x30047e7f, 0x06010000]);
    expect([...midi1ToUmp(bytes('f0 f7'))]).toEqual([0x30000000, 0]);
    // Seven data bytes: a Start of six, an End of one.
    expect([...midi1ToUmp(bytes('f0 01 02 03 04 05 06 07 f7'))]).toEqual([0x30160102, 0x03040506, 0x30310700, 0]);
  });

  it('refuses what is not one complete message, saying where', () => {
    const cases: [string, number][] = [
      ['3c 64', 0],
      ['90 3c', 2],
      ['90 3c 64 00', 3],
      ['90 3c 80', 2],
      ['f7', 0],
      ['f4', 0],
      ['fd', 0],
      ['f0 01 02', 2],
      ['f0 01 90 f7', 2],
    ];
    for (const [text, offset] of cases) {
      const error = (() => {
        try {
          midi1ToUmp(bytes(text));
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error, text).toBeInstanceOf(Midi1Error);
      expect((error as Midi1Error).code, text).toBe(Midi1ErrorCode.InvalidMessage);
      expect((error as Midi1Error).offset, text).toBe(offset);
    }
    expect(() => midi1ToUmp(new Uint8Array(0))).toThrow(Midi1Error);
    expect(() => midi1ToUmp(bytes('f8'), 16)).toThrow(RangeError);
  });
});

describe('UmpToMidi1', () => {
  it('translates MT 0x1, 0x2 and 0x3 and hands back what has no MIDI 1.0 form', () => {
    const t = new UmpToMidi1();
    const sysex8 = packSysEx8(Uint8Array.of(1, 2, 3), { group: 0, streamId: 0 });
    const results = t.push(words(0x20903c64, 0x40903c00, 0xffff0000, 0x10f80000, 0x30160102, 0x03040506, ...sysex8, 0x30310700, 0, 0x00000000));
    expect(shown(results)).toEqual(['90 3c 64', 'foreign 2', 'f8', 'foreign 4', 'f0 01 02 03 04 05 06 07 f7', 'foreign 1']);
    const foreign = results.filter((r): r is ForeignUmp => r instanceof ForeignUmp);
    expect([...foreign[0]!.words]).toEqual([0x40903c00, 0xffff0000]);
    expect([...foreign[1]!.words]).toEqual([...sysex8]);
  });

  it('reassembles SysEx7 per group when groups interleave', () => {
    const t = new UmpToMidi1();
    const a = midi1ToUmp(bytes('f0 01 02 03 04 05 06 07 f7'), 1);
    const b = midi1ToUmp(bytes('f0 11 12 13 14 15 16 17 f7'), 2);
    expect(shown(t.push(words(a[0]!, a[1]!, b[0]!, b[1]!, a[2]!, a[3]!, b[2]!, b[3]!)))).toEqual(['f0 01 02 03 04 05 06 07 f7', 'f0 11 12 13 14 15 16 17 f7']);
  });

  it('reports malformed packets and goes on', () => {
    const t = new UmpToMidi1({ maxSysExBytes: 8 });
    const results = t.push(
      words(
        0x20f80000, // a system status in an MT 0x2 packet
        0x10903c64, // a channel status in an MT 0x1 packet
        0x10f40000, // undefined
        0x20903c80, // an 8-bit data byte
        0x30400000, // SysEx7 status 4 is reserved
        0,
        0x30070000, // 7 bytes in a packet of 6
        0,
        0x30030100, // an 8-bit SysEx byte
        0x80000000,
        0x30260102, // Continue without Start
        0x03040506,
        0x30160102, // Start …
        0x03040506,
        0x30160102, // … Start again
        0x03040506,
        0x30160102, // … and again, then an End that makes 9 bytes, one more than 8
        0x03040506,
        0x30310700,
        0,
        0x30310700, // End without Start
        0,
        0x20803c00,
        0x30000000, // cut short
      ),
    );
    expect(shown(results)).toEqual([
      'UmpError invalid-field',
      'UmpError invalid-field',
      'UmpError invalid-field',
      'UmpError invalid-field',
      'UmpError invalid-field',
      'UmpError invalid-field',
      'UmpError invalid-field',
      'UmpError bad-sequence',
      'UmpError bad-sequence',
      'UmpError bad-sequence',
      'UmpError too-large',
      'UmpError bad-sequence',
      '80 3c 00',
      'UmpError truncated',
    ]);
    expect(results.filter((r) => r instanceof UmpError).map((r) => r.message)).toContain('SysEx7 group 0: data byte 0x80 is not 7-bit');
    expect(t.bufferedBytes).toBe(0);
    expect(shown(t.push(words(0x30020102, 0)))).toEqual(['f0 01 02 f7']);
  });
});

describe('MIDI 1.0 bytes → UMP → MIDI 1.0 (properties)', () => {
  it('is the identity on valid streams: running status, real-time bytes anywhere, any chunking', () => {
    fc.assert(
      fc.property(midi1Stream, fc.array(fc.nat(), { maxLength: 12 }), fc.integer({ min: 0, max: 15 }), (stream, cuts, group) => {
        const reader = new Midi1ByteReader();
        const read = chunked(stream.bytes, cuts).flatMap((c) => reader.push(c));
        expect(read.every((r) => r instanceof Uint8Array)).toBe(true);
        expect((read as Uint8Array[]).map(hexOf)).toEqual(stream.messages.map(hexOf));
        const back = new UmpToMidi1();
        const translated = read.flatMap((m) => back.push(midi1ToUmp(m as Uint8Array, group)));
        expect(shown(translated)).toEqual(stream.messages.map(hexOf));
        expect(reader.bufferedBytes).toBe(0);
        expect(back.bufferedBytes).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('gives back the very bytes of a stream without running status', () => {
    fc.assert(
      fc.property(fc.array(midi1Message, { maxLength: 40 }), (messages) => {
        const stream = serialise(messages, [false], []);
        const reader = new Midi1ByteReader();
        const back = new UmpToMidi1();
        const out = reader.push(stream.bytes).flatMap((m) => back.push(midi1ToUmp(m as Uint8Array)));
        const joined = Uint8Array.from(out.flatMap((m) => [...(m as Uint8Array)]));
        expect(hexOf(joined)).toBe(hexOf(stream.bytes));
      }),
      { numRuns: 200 },
    );
  });

  it('garbage yields only messages and Midi1Errors, and the valid stream after it is read whole', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), midi1Stream, fc.array(fc.nat(), { maxLength: 8 }), (garbage, stream, cuts) => {
        const reader = new Midi1ByteReader({ maxSysExBytes: 64 });
        const all = new Uint8Array(garbage.length + stream.bytes.length);
        all.set(garbage);
        all.set(stream.bytes, garbage.length);
        const results = chunked(all, cuts).flatMap((c) => reader.push(c));
        // The stream resynchronises the reader at its first byte that is not real-time, a status byte.
        let firstStatus = 0;
        while (firstStatus < stream.bytes.length && stream.bytes[firstStatus]! >= 0xf8) firstStatus++;
        for (const r of results) {
          if (r instanceof Midi1Error) expect(r.offset).toBeLessThanOrEqual(garbage.length + firstStatus);
          else {
            expect(r).toBeInstanceOf(Uint8Array);
            expect(() => midi1ToUmp(r)).not.toThrow(); // every message yielded is well-formed
          }
        }
        const messages = results.filter((r): r is Uint8Array => r instanceof Uint8Array).map(hexOf);
        const tail = stream.messages.map(hexOf);
        expect(messages.slice(messages.length - tail.length)).toEqual(tail);
      }),
      { numRuns: 400 },
    );
  });

  it('garbage words yield only messages, ForeignUmp and UmpErrors, and never throw', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 64 }), fc.array(midi1Message, { maxLength: 10 }), (garbage, valid) => {
        const t = new UmpToMidi1({ maxSysExBytes: 32 });
        for (const r of t.push(Uint32Array.from(garbage))) expect(r instanceof Uint8Array || r instanceof ForeignUmp || r instanceof UmpError).toBe(true);
        const out = valid.flatMap((m) => t.push(midi1ToUmp(m)));
        const fine = valid.filter((m) => m.length <= 32);
        // A SysEx7 the garbage left open is dropped with a bad-sequence error when the next one starts.
        expect(out.filter((r) => r instanceof Uint8Array).map(hexOf)).toEqual(fine.map(hexOf));
        expect(
          out
            .filter((r) => !(r instanceof Uint8Array))
            .every((r) => r instanceof UmpError && ([UmpErrorCode.BadSequence, UmpErrorCode.TooLarge] as string[]).includes(r.code)),
        ).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});
