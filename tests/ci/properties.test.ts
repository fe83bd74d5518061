// Property tests of the MIDI-CI codec: encode∘decode is the identity for every message kind, and hostile
// bytes (random, CI-shaped, mutated valid messages) never make decode throw: it returns a message or a
// CiError whose offset lies inside the input (0..length, length meaning "ended too early").
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CiError, CiErrorCode, decodeCiMessage, encodeCiMessage, frameSysEx } from '../../runtime/ci/index.ts';
import { ciMessageArb } from './arbitraries.ts';

const CODES = new Set<string>(Object.values(CiErrorCode));

function checkDecodes(bytes: Uint8Array): void {
  const r = decodeCiMessage(bytes);
  if (r instanceof CiError) {
    expect(CODES.has(r.code)).toBe(true);
    expect(r.offset).toBeGreaterThanOrEqual(0);
    expect(r.offset).toBeLessThanOrEqual(bytes.length);
  } else {
    expect(typeof r.kind).toBe('string');
  }
}

describe('MIDI-CI codec properties', () => {
  it('decode(encode(m)) = m for every message kind, with and without F0/F7', () => {
    fc.assert(
      fc.property(ciMessageArb, (m) => {
        const bytes = encodeCiMessage(m);
        expect(decodeCiMessage(bytes)).toEqual(m);
        expect(decodeCiMessage(frameSysEx(bytes))).toEqual(m);
      }),
      { numRuns: 100 },
    );
  });

  it('random bytes: decode never throws', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), checkDecodes), { numRuns: 150 });
  });

  it('CI-shaped bytes (valid common header, random 7-bit tail): decode never throws, and what it accepts re-encodes to the same bytes', () => {
    const shaped = fc
      .tuple(
        fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.constantFrom(0x7f, 0x7e, 0)),
        fc.integer({ min: 0, max: 0x7f }),
        fc.uint8Array({ minLength: 8, maxLength: 8, max: 0x7f }),
        fc.uint8Array({ maxLength: 60, max: 0x7f }),
      )
      .map(([dev, sub, muids, tail]) => Uint8Array.from([0x7e, dev, 0x0d, sub, 0x02, ...muids, ...tail]));
    fc.assert(
      fc.property(shaped, (bytes) => {
        checkDecodes(bytes);
        const m = decodeCiMessage(bytes);
        // Set Profile Off's channel count is reserved: it decodes whatever it holds and encodes as 00 00.
        if (!(m instanceof CiError) && m.kind !== 'profile-off') expect(encodeCiMessage(m)).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it('mutated valid messages (byte changed, truncated, byte inserted, framed): decode never throws', () => {
    const mutation = fc.oneof(
      fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 0xff }) }),
      fc.record({ op: fc.constant('cut' as const), at: fc.nat(), value: fc.constant(0) }),
      fc.record({ op: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 0xff }) }),
    );
    fc.assert(
      fc.property(ciMessageArb, fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), (m, mutations, framed) => {
        let bytes = Array.from(encodeCiMessage(m));
        for (const { op, at, value } of mutations) {
          const i = at % (bytes.length + 1);
          if (op === 'set' && i < bytes.length) bytes[i] = value;
          else if (op === 'cut') bytes = bytes.slice(0, i);
          else bytes.splice(i, 0, value);
        }
        const input = Uint8Array.from(bytes);
        checkDecodes(framed ? frameSysEx(input) : input);
      }),
      { numRuns: 150 },
    );
  });

  it('a length field larger than the input is refused before anything is allocated for it', () => {
    // Profile Specific Data claiming 0x0FFFFFFF bytes, carrying 2.
    const bytes = Uint8Array.from([0x7e, 0x7f, 0x0d, 0x2f, 0x02, 1, 0, 0, 0, 2, 0, 0, 0, 0x7d, 0, 0, 1, 0, 0x7f, 0x7f, 0x7f, 0x7f, 1, 2]);
    const r = decodeCiMessage(bytes);
    expect(r).toBeInstanceOf(CiError);
    expect(r).toMatchObject({ code: 'truncated', offset: 18 });
    // A Profile Inquiry Reply claiming 16383 enabled profiles.
    const reply = Uint8Array.from([0x7e, 0x7f, 0x0d, 0x21, 0x02, 1, 0, 0, 0, 2, 0, 0, 0, 0x7f, 0x7f, 0x7d, 0, 0, 1, 0]);
    expect(decodeCiMessage(reply)).toMatchObject({ code: 'truncated', offset: 13 });
  });

  it('names what is wrong and where', () => {
    const cases: [number[], string, number][] = [
      [[], 'truncated', 0],
      [[0x7d, 0x00], 'not-ci', 0],
      [[0xf0, 0x7e, 0x7f], 'not-ci', 2],
      [[0x7e, 0x7f, 0x0d, 0x70, 0x02, 0x80], 'not-7bit', 5],
      [[0x7e, 0x7f, 0x0c, 0x70, 0x02, 0, 0, 0, 0, 0, 0, 0, 0], 'not-ci', 2],
      [[0x7e, 0x20, 0x0d, 0x70, 0x02, 0, 0, 0, 0, 0, 0, 0, 0], 'bad-field', 1],
      [[0x7e, 0x7f, 0x0d, 0x70, 0x01, 0, 0, 0, 0, 0, 0, 0, 0], 'unsupported-version', 4],
      [[0x7e, 0x7f, 0x0d, 0x72, 0x02, 0, 0, 0, 0, 0, 0, 0, 0], 'truncated', 13],
      [[0x7e, 0x7f, 0x0d, 0x72, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9], 'trailing-bytes', 14],
    ];
    for (const [bytes, code, offset] of cases) {
      const r = decodeCiMessage(Uint8Array.from(bytes));
      expect(r, JSON.stringify(bytes)).toBeInstanceOf(CiError);
      expect(r, JSON.stringify(bytes)).toMatchObject({ code, offset });
    }
  });

  it('encode refuses values its fields cannot hold, with a typed error', () => {
    const base = { deviceId: 0x7f, version: 2, source: 1, destination: 2 } as const;
    const bad: [unknown, RegExp][] = [
      [{ kind: 'endpoint-info', ...base, status: 0x80 }, /status must be an integer in 0\.\.127/],
      [{ kind: 'profile-inquiry', ...base, source: 0x10000000 }, /source must be an integer/],
      [{ kind: 'profile-inquiry', ...base, deviceId: 0x20 }, /deviceId 0x20 is reserved/],
      [{ kind: 'profile-inquiry', ...base, version: 1 }, /version must be an integer in 2\.\.127/],
      [{ kind: 'ack', ...base, originalSubId: 0, statusCode: 0, statusData: 0, details: [0, 0, 0, 0, 0], text: 'grüß' }, /not 7-bit ASCII/],
      [{ kind: 'endpoint-info-reply', ...base, status: 0, data: Uint8Array.of(0xff) }, /7-bit/],
      [{ kind: 'profile-added', ...base, profile: [1, 2, 3] }, /profile must be 5 numbers/],
      [
        { kind: 'pe-get', ...base, requestId: 0, header: new Uint8Array(0x4000), numChunks: 1, thisChunk: 1, body: new Uint8Array(0) },
        /header length must be an integer in 0\.\.16383/,
      ],
      [{ kind: 'what', ...base }, /unknown MIDI-CI message kind "what"/],
      [{ kind: 'unsupported', ...base, subId: 0x70, data: new Uint8Array(0) }, /0x70 is a discovery message/],
    ];
    for (const [m, message] of bad) {
      expect(() => encodeCiMessage(m as never)).toThrow(message);
      try {
        encodeCiMessage(m as never);
      } catch (e) {
        expect(e).toBeInstanceOf(CiError);
        expect((e as CiError).code).toBe('bad-field');
      }
    }
  });
});
