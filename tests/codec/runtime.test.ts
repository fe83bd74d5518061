/**
 * The codec runtime on its own: varints and zigzag at every boundary (32 and 64 bit, bigint only at the
 * edge), floats, strings (ASCII, multi-byte, astral, lone surrogates, long), base64, the shared writer
 * (slab growth, long nested lengths, re-entrancy), and the reader's defences (bounds, lengths, depth,
 * element limits, strict UTF-8, JSON depth).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DecodeError,
  JsonDecodeError,
  Reader,
  Writer,
  acquireWriter,
  compareMapKeys,
  decodeBase64,
  encodeBase64,
  fromJsonBigInt,
  fromJsonTimestamp,
  setDecodeLimits,
  shortestF32,
  toJsonF32,
} from '../../runtime/codec/index.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

function written(fn: (w: Writer) => void): Uint8Array {
  const w = acquireWriter();
  fn(w);
  return w.finish();
}

describe('varints', () => {
  it('u32 boundaries encode as protobuf varints', () => {
    const cases: [number, string][] = [
      [0, '00'],
      [1, '01'],
      [127, '7f'],
      [128, '8001'],
      [300, 'ac02'],
      [16383, 'ff7f'],
      [16384, '808001'],
      [2 ** 28 - 1, 'ffffff7f'],
      [2 ** 28, '8080808001'],
      [4294967295, 'ffffffff0f'],
    ];
    for (const [v, h] of cases) {
      expect(hex(written((w) => w.u32(v))), String(v)).toBe(h);
      expect(new Reader(bytes(h)).u32()).toBe(v);
    }
  });

  it('zigzag i32 and i64 (protobuf sint32/sint64)', () => {
    const cases: [number, string][] = [
      [0, '00'],
      [-1, '01'],
      [1, '02'],
      [-2, '03'],
      [2147483647, 'feffffff0f'],
      [-2147483648, 'ffffffff0f'],
    ];
    for (const [v, h] of cases) {
      expect(hex(written((w) => w.i32(v)))).toBe(h);
      expect(new Reader(bytes(h)).i32()).toBe(v);
      expect(hex(written((w) => w.i64(BigInt(v))))).toBe(h);
      expect(new Reader(bytes(h)).i64()).toBe(BigInt(v));
    }
    expect(hex(written((w) => w.i64(9223372036854775807n)))).toBe('feffffffffffffffff01');
    expect(hex(written((w) => w.i64(-9223372036854775808n)))).toBe('ffffffffffffffffff01');
    expect(new Reader(bytes('ffffffffffffffffff01')).i64()).toBe(-9223372036854775808n);
  });

  it('u64 and i64 round-trip over the whole range, around 2^32 and 2^53', () => {
    const u64 = fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.constantFrom(0n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n),
    );
    fc.assert(
      fc.property(u64, (v) => {
        expect(new Reader(written((w) => w.u64(v))).u64()).toBe(v);
      }),
      { numRuns: 300 },
    );
    const i64 = fc.oneof(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.constantFrom(-(2n ** 63n), 2n ** 63n - 1n, -(2n ** 52n), 2n ** 52n, -(2n ** 53n) + 1n, 2n ** 53n - 1n),
    );
    fc.assert(
      fc.property(i64, (v) => {
        expect(new Reader(written((w) => w.i64(v))).i64()).toBe(v);
      }),
      { numRuns: 300 },
    );
    expect(hex(written((w) => w.u64(2n ** 64n - 1n)))).toBe('ffffffffffffffffff01');
  });

  it('safe integers (durations) round-trip without BigInt, and larger values are rejected', () => {
    const v = fc.oneof(
      fc.maxSafeInteger(),
      fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 30, -(2 ** 30), 2 ** 31, -(2 ** 31) - 1, 2 ** 52 + 1),
    );
    fc.assert(
      fc.property(v, (n) => {
        expect(new Reader(written((w) => w.i53(n))).i53()).toBe(n);
      }),
      { numRuns: 300 },
    );
    const big = written((w) => w.i64(2n ** 53n));
    expect(() => new Reader(big).i53()).toThrow(DecodeError);
  });

  it('rejects varints that overflow or run past the input', () => {
    expect(() => new Reader(bytes('ffffffff1f')).u32()).toThrow(/32 bits/);
    expect(() => new Reader(bytes('ffffffffffffffffff02')).u64()).toThrow(/64 bits/);
    expect(() => new Reader(bytes('ffffffffffffffffffff01')).u64()).toThrow(DecodeError);
    expect(() => new Reader(bytes('8080')).u32()).toThrow(/ends inside/);
    expect(() => new Reader(bytes('80808080')).u64()).toThrow(/ends inside/);
    expect(() => new Reader(bytes('8002')).u8()).toThrow(/out of range for u8/);
    expect(() => new Reader(bytes('8102')).i8()).toThrow(/out of range for i8/);
  });
});

describe('floats', () => {
  it('f32 and f64 are little-endian IEEE 754', () => {
    expect(hex(written((w) => w.f32(0.25)))).toBe('0000803e');
    expect(hex(written((w) => w.f64(204.8)))).toBe('9a99999999996940');
    for (const v of [0, -0, 1.5, NaN, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE]) {
      expect(Object.is(new Reader(written((w) => w.f64(v))).f64(), v)).toBe(true);
      expect(Object.is(new Reader(written((w) => w.f32(v))).f32(), Math.fround(v))).toBe(true);
    }
  });

  it('f32 JSON form is the shortest decimal of the f32', () => {
    expect(toJsonF32(Math.fround(0.1))).toBe(0.1);
    expect(toJsonF32(Math.fround(204.8))).toBe(204.8);
    expect(toJsonF32(NaN)).toBe('NaN');
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (f) => {
        expect(Math.fround(shortestF32(f))).toBe(Math.fround(f));
      }),
    );
  });
});

describe('strings', () => {
  const roundTrip = (s: string) => {
    const b = written((w) => w.string(s));
    const r = new Reader(b);
    return [r.string(), b] as const;
  };

  it('round-trip every well-formed string, short and long, through the JS and encodeInto paths', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'binary', minLength: 500, maxLength: 700 })), (s) => {
        const [back, b] = roundTrip(s);
        expect(back).toBe(s);
        expect(hex(b.subarray(b.length - Buffer.byteLength(s)))).toBe(Buffer.from(s).toString('hex'));
      }),
      { numRuns: 200 },
    );
    for (const s of [
      '',
      'a',
      'é',
      '😀',
      '\ufeffBOM kept',
      'x'.repeat(42),
      'x'.repeat(43),
      'é'.repeat(42),
      'é'.repeat(64),
      '😀'.repeat(40),
      'x'.repeat(100_000),
    ])
      expect(roundTrip(s)[0]).toBe(s);
  });

  it('lone surrogates become U+FFFD (as TextEncoder does)', () => {
    expect(roundTrip('a\ud800b')[0]).toBe('a\ufffdb');
    expect(roundTrip('\udc00')[0]).toBe('\ufffd');
    expect(roundTrip('x'.repeat(600) + '\ud83d')[0]).toBe('x'.repeat(600) + '\ufffd');
  });

  it('invalid UTF-8 is a DecodeError, never replaced', () => {
    for (const h of ['01ff', '02c328', '03eda080', '02c0af', '0cffffffffffffffffffffffff', '02e282', '0a' + '61'.repeat(9) + 'ff']) {
      expect(() => new Reader(bytes(h)).string(), h).toThrow(/invalid UTF-8/);
    }
    // A real U+FFFD in the input is fine.
    expect(new Reader(bytes('0c' + '61'.repeat(9) + 'efbfbd')).string()).toBe('aaaaaaaaa\ufffd');
  });
});

describe('base64', () => {
  it('round-trips and matches Buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 50 }), (b) => {
        const s = encodeBase64(b);
        expect(s).toBe(Buffer.from(b).toString('base64'));
        expect(decodeBase64(s)).toEqual(b);
      }),
    );
  });

  it('is strict: padding, alphabet, zero trailing bits', () => {
    for (const bad of ['A', 'AA', 'AA=', 'AB==', 'AAB=', 'A===', '====', 'AA==AA==', 'a-b_', 'AA A', 'AAAA\n']) expect(decodeBase64(bad), bad).toBeUndefined();
    expect(decodeBase64('')).toEqual(new Uint8Array(0));
    expect(decodeBase64('AA==')).toEqual(new Uint8Array([0]));
  });
});

describe('writer', () => {
  it('nested lengths of 128 bytes and more shift the contents', () => {
    for (const n of [126, 127, 128, 16383, 16384, 70_000]) {
      const b = written((w) => {
        const m = w.fork();
        for (let i = 0; i < n; i++) w.byte(i & 0x7f);
        w.join(m);
      });
      const r = new Reader(b);
      expect(r.length()).toBe(n);
      expect(r.pos + n).toBe(b.length);
      expect(b[b.length - 1]).toBe((n - 1) & 0x7f);
    }
  });

  it('results stay intact across many encodes and slab changes', () => {
    const out: Uint8Array[] = [];
    for (let i = 0; i < 2000; i++) out.push(written((w) => w.string(`message ${i} ${'x'.repeat(i % 50)}`)));
    out.forEach((b, i) => expect(new Reader(b).string()).toBe(`message ${i} ${'x'.repeat(i % 50)}`));
  });

  it('a re-entrant encode gets its own writer', () => {
    const outer = acquireWriter();
    outer.string('outer');
    const inner = written((w) => w.string('inner'));
    outer.string('after');
    const b = outer.finish();
    const r = new Reader(b);
    expect([r.string(), r.string()]).toEqual(['outer', 'after']);
    expect(new Reader(inner).string()).toBe('inner');
  });
});

describe('reader defences', () => {
  it('input must be a Uint8Array', () => {
    expect(() => new Reader('abc' as unknown as Uint8Array)).toThrow(DecodeError);
  });

  it('lengths are checked against the remaining input before anything is allocated', () => {
    const e = (() => {
      try {
        new Reader(bytes('ffffffff0f00')).bytes();
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(DecodeError);
    expect((e as DecodeError).offset).toBe(0);
    expect((e as DecodeError).reason).toMatch(/exceeds the 1 bytes left/);
  });

  it('nesting depth and element counts are limited', () => {
    const deep = bytes('0a'.repeat(1) + '00');
    const r = new Reader(deep);
    const prev = setDecodeLimits({ maxDepth: 0 });
    try {
      r.u32();
      expect(() => r.enter()).toThrow(/nesting deeper than 0/);
      setDecodeLimits({ maxDepth: 64, maxElements: 2 });
      const r2 = new Reader(bytes('00'));
      r2.item();
      r2.item();
      expect(() => r2.item()).toThrow(/more than 2 elements/);
    } finally {
      setDecodeLimits(prev);
    }
  });

  it('unknown wire types, field 0 and groups are rejected; known wire types are skipped', () => {
    expect(() => new Reader(bytes('')).skip(3 * 8 + 3)).toThrow(/wire type 3/);
    expect(() => new Reader(bytes('')).skip(15)).toThrow(/wire type 7/);
    expect(() => new Reader(bytes('')).skip(0)).toThrow(/field number 0/);
    const r = new Reader(bytes('96 01 0102030405060708 03616263 01020304'));
    r.skip(8);
    r.skip(9);
    r.skip(10);
    r.skip(13);
    expect(r.pos).toBe(r.len);
  });

  it('json values nested too deeply are rejected before parsing', () => {
    const text = '['.repeat(100) + ']'.repeat(100);
    const b = written((w) => w.string(text));
    expect(() => new Reader(b).json()).toThrow(/nested too deeply/);
    const ok = written((w) => w.string('{"a":"[[[[[[[[","b":[1]}'));
    expect(new Reader(ok).json()).toEqual({ a: '[[[[[[[[', b: [1] });
  });

  it('DecodeError and JsonDecodeError are distinct classes with their details', () => {
    const d = new DecodeError('why', 3);
    expect(d).toBeInstanceOf(Error);
    expect([d.name, d.offset, d.reason]).toEqual(['DecodeError', 3, 'why']);
    const j = new JsonDecodeError('/a/0', 'bad');
    expect([j.name, j.path, j.reason, j instanceof DecodeError]).toEqual(['JsonDecodeError', '/a/0', 'bad', false]);
  });
});

describe('JSON form helpers', () => {
  it('64-bit integers are canonical decimal strings', () => {
    expect(fromJsonBigInt('18446744073709551615', '', 0n, 2n ** 64n - 1n)).toBe(2n ** 64n - 1n);
    for (const bad of ['-0', '01', '+1', '1e3', ' 1', '18446744073709551616', true, null, 1.5])
      expect(() => fromJsonBigInt(bad, '/x', 0n, 2n ** 64n - 1n)).toThrow(JsonDecodeError);
  });

  it('64-bit integers also read from safe-integer JSON numbers, as protobuf JSON parsers accept', () => {
    expect(fromJsonBigInt(1723622400000, '/ts', 0n, 2n ** 64n - 1n)).toBe(1723622400000n);
    expect(fromJsonBigInt(-5, '', -(2n ** 63n), 2n ** 63n - 1n)).toBe(-5n);
    expect(fromJsonBigInt(Number.MAX_SAFE_INTEGER, '', 0n, 2n ** 64n - 1n)).toBe(2n ** 53n - 1n);
    expect(() => fromJsonBigInt(-1, '/ts', 0n, 2n ** 64n - 1n)).toThrow('/ts: -1 is outside 0..18446744073709551615');
    expect(() => fromJsonBigInt(2 ** 53, '/ts', 0n, 2n ** 64n - 1n)).toThrow('write integers beyond 2^53 as strings');
    expect(() => fromJsonBigInt(NaN, '', 0n, 10n)).toThrow(JsonDecodeError);
    expect(() => fromJsonBigInt(300, '', 0n, 255n)).toThrow('300 is outside 0..255');
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer(), fc.maxSafeInteger()), (n) => {
        try {
          const v = fromJsonBigInt(n, '', -(2n ** 63n), 2n ** 63n - 1n);
          return Number.isSafeInteger(n) && v === BigInt(n);
        } catch (err) {
          return err instanceof JsonDecodeError && !Number.isSafeInteger(n);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('timestamps are RFC 3339 with real calendar dates', () => {
    expect(fromJsonTimestamp('2024-08-14T10:00:00.123456+02:00', '').toISOString()).toBe('2024-08-14T08:00:00.123Z');
    expect(fromJsonTimestamp('+010000-01-01T00:00:00.000Z', '').getTime()).toBe(253402300800000);
    for (const bad of ['2021-02-29T00:00:00Z', '2024-13-01T00:00:00Z', '2024-01-01', '2024-01-01T24:00:00Z', 'yesterday'])
      expect(() => fromJsonTimestamp(bad, '')).toThrow(JsonDecodeError);
  });

  it('map keys sort by code point, numbers numerically', () => {
    expect(['b', 'a', '\uffff', '😀', 'aa', ''].sort(compareMapKeys)).toEqual(['', 'a', 'aa', 'b', '\uffff', '😀']);
    expect([10, -1, 2].sort(compareMapKeys)).toEqual([-1, 2, 10]);
    expect([10n, -1n, 2n].sort(compareMapKeys)).toEqual([-1n, 2n, 10n]);
  });
});
