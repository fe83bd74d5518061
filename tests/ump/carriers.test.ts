// midl carriers: `00 7D <sub-id>` SysEx8, Mcoded7 SysEx7 (UMP and MIDI 1.0 `F0 7D … F7`), with golden vectors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MIDL_SUB_ID,
  UmpError,
  bytesToSysEx7Midi1,
  decodeMcoded7,
  decodeMidlSysEx7,
  decodeMidlSysEx8,
  encodeMcoded7,
  encodeMidlSysEx7,
  encodeMidlSysEx8,
  isMidlSysEx8,
  mcoded7Length,
  readUmp,
  sysEx7Midi1ToBytes,
  type SysEx7Message,
  type SysEx8Message,
} from '../../runtime/ump/index.ts';
import { bytesArb, group, u } from './arbitraries.ts';
import { bytes, hexWords } from './helpers.ts';

/** Calls f; returns its value, or the UmpError it threw (anything else fails the test). */
function typed<T>(f: () => T): T | UmpError {
  try {
    return f();
  } catch (err) {
    expect(err).toBeInstanceOf(UmpError);
    return err as UmpError;
  }
}

describe('Mcoded7', () => {
  // Hand-computed from the MIDI-CI definition: MSB of byte i of a group goes to bit 6 − i of the group's first byte.
  it.each([
    [[], []],
    [[0x00], [0x00, 0x00]],
    [[0x80], [0x40, 0x00]],
    [
      [0xff, 0x00],
      [0x40, 0x7f, 0x00],
    ],
    [
      [0x80, 0, 0, 0, 0, 0, 0x81],
      [0x41, 0, 0, 0, 0, 0, 0, 0x01],
    ],
    [
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
      [0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x40, 0x7f],
    ],
  ])('%j ⇄ %j', (plain, coded) => {
    expect([...encodeMcoded7(Uint8Array.from(plain))]).toEqual(coded);
    expect([...decodeMcoded7(Uint8Array.from(coded))]).toEqual(plain);
  });

  it('round-trips any bytes; output is 7-bit and n + ⌈n/7⌉ long', () => {
    fc.assert(
      fc.property(bytesArb(200), (data) => {
        const coded = encodeMcoded7(data);
        expect(coded.length).toBe(mcoded7Length(data.length));
        expect(coded.every((b) => b <= 0x7f)).toBe(true);
        expect(decodeMcoded7(coded)).toEqual(data);
      }),
      { numRuns: 200 },
    );
  });

  it.each([
    [[0x41], /only its MSB byte/],
    [[0x80, 0x00], /bad MSB byte/],
    [[0x01, 0x00], /bad MSB byte/], // MSB flagged for a byte the last group does not have
    [[0x00, 0x80], /not 7-bit/],
  ])('rejects %j', (coded, message) => {
    const r = typed(() => decodeMcoded7(Uint8Array.from(coded)));
    expect(r).toBeInstanceOf(UmpError);
    expect((r as UmpError).code).toBe('invalid-field');
    expect((r as UmpError).message).toMatch(message);
  });
});

describe('SysEx8 carrier', () => {
  it('prefixes 00 7D <sub-id 0x01> (golden: payload AB on group 1 stream 2)', () => {
    expect(MIDL_SUB_ID).toBe(0x01);
    expect(hexWords(encodeMidlSysEx8(bytes(0xab), { group: 1, streamId: 2 }))).toBe('51050200 7D01AB00 00000000 00000000');
  });

  it('round-trips through the reader for any payload', () => {
    fc.assert(
      fc.property(bytesArb(300), group, u(255), (payload, g, s) => {
        const [m] = readUmp(encodeMidlSysEx8(payload, { group: g, streamId: s })) as SysEx8Message[];
        expect(isMidlSysEx8(m!.data)).toBe(true);
        expect(decodeMidlSysEx8(m!.data)).toEqual(payload);
      }),
      { numRuns: 150 },
    );
  });

  it('rejects data without the prefix', () => {
    for (const data of [bytes(), bytes(0x00, 0x7d), bytes(0x00, 0x7e, 0x01), bytes(0x00, 0x7d, 0x02, 0xff)]) {
      expect(isMidlSysEx8(data)).toBe(false);
      expect(typed(() => decodeMidlSysEx8(data))).toMatchObject({ code: 'bad-prefix' });
    }
  });
});

describe('SysEx7 carrier (Mcoded7)', () => {
  it('UMP form: data 7D 01 + Mcoded7 (golden: payload FF on group 0)', () => {
    expect(hexWords(encodeMidlSysEx7(bytes(0xff), { group: 0 }))).toBe('30047D01 407F0000');
  });

  it('MIDI 1.0 form: F0 7D 01 … F7 (golden: payload FF 00)', () => {
    expect([...bytesToSysEx7Midi1(bytes(0xff, 0x00))]).toEqual([0xf0, 0x7d, 0x01, 0x40, 0x7f, 0x00, 0xf7]);
    expect(sysEx7Midi1ToBytes(bytes(0xf0, 0x7d, 0x01, 0x40, 0x7f, 0x00, 0xf7))).toEqual(bytes(0xff, 0x00));
  });

  it('both forms round-trip any payload, and agree with each other', () => {
    fc.assert(
      fc.property(bytesArb(200), group, (payload, g) => {
        const midi1 = bytesToSysEx7Midi1(payload);
        expect(midi1.subarray(1, -1).every((b) => b <= 0x7f)).toBe(true);
        expect(sysEx7Midi1ToBytes(midi1)).toEqual(payload);
        const [m] = readUmp(encodeMidlSysEx7(payload, { group: g })) as SysEx7Message[];
        expect(m!.data).toEqual(midi1.subarray(1, -1));
        expect(decodeMidlSysEx7(m!.data)).toEqual(payload);
      }),
      { numRuns: 150 },
    );
  });

  it('rejects malformed MIDI 1.0 strings with typed errors', () => {
    expect(typed(() => sysEx7Midi1ToBytes(bytes(0x7d, 0x01, 0xf7)))).toMatchObject({ code: 'bad-prefix' });
    expect(typed(() => sysEx7Midi1ToBytes(bytes(0xf0, 0x7d, 0x01)))).toMatchObject({ code: 'bad-prefix' });
    expect(typed(() => sysEx7Midi1ToBytes(bytes(0xf0, 0x43, 0x01, 0xf7)))).toMatchObject({ code: 'bad-prefix' });
    expect(typed(() => sysEx7Midi1ToBytes(bytes(0xf0, 0x7d, 0x01, 0x00, 0x90, 0xf7)))).toMatchObject({ code: 'invalid-field' });
  });

  it('random bytes into the carrier decoders: a value or a UmpError, never anything else', () => {
    fc.assert(
      fc.property(bytesArb(40), (raw) => {
        typed(() => decodeMcoded7(raw));
        typed(() => decodeMidlSysEx7(raw));
        typed(() => decodeMidlSysEx8(raw));
        typed(() => sysEx7Midi1ToBytes(raw));
        typed(() => sysEx7Midi1ToBytes(Uint8Array.from([0xf0, 0x7d, 0x01, ...raw, 0xf7])));
      }),
      { numRuns: 300 },
    );
  });
});
