import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64Pattern, integerRangePattern } from '../../compiler/emitters/jsonschema/patterns.ts';

const U64_MAX = 18446744073709551615n;
const I64_MIN = -9223372036854775808n;
const I64_MAX = 9223372036854775807n;

/** Bigints biased towards interesting magnitudes: small, around powers of ten, near the 64-bit limits. */
const bigintish = fc.oneof(
  fc.bigInt({ min: -2000n, max: 2000n }),
  fc.bigInt({ min: I64_MIN, max: U64_MAX }),
  fc.tuple(fc.constantFrom(I64_MIN, I64_MAX, U64_MAX), fc.integer({ min: -2, max: 2 })).map(([limit, d]) => limit + BigInt(d)),
  fc
    .tuple(fc.integer({ min: 0, max: 19 }), fc.integer({ min: -2, max: 2 }), fc.boolean())
    .map(([e, d, neg]) => (neg ? -1n : 1n) * (10n ** BigInt(e) + BigInt(d))),
);

describe('integerRangePattern', () => {
  it('matches exactly the canonical decimal texts of lo..hi', () => {
    fc.assert(
      fc.property(bigintish, bigintish, fc.array(bigintish, { minLength: 1, maxLength: 20 }), (a, b, probes) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const re = new RegExp(integerRangePattern(lo, hi), 'u');
        for (const v of [...probes, lo, hi, lo - 1n, hi + 1n]) expect(re.test(v.toString()), `${v} in ${lo}..${hi}`).toBe(v >= lo && v <= hi);
      }),
      { numRuns: 2000 },
    );
  });

  it('never matches non-canonical spellings', () => {
    fc.assert(
      fc.property(bigintish, bigintish, fc.bigInt({ min: 0n, max: U64_MAX }), (a, b, v) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const re = new RegExp(integerRangePattern(lo, hi), 'u');
        for (const s of ['-0', `0${v}`, `+${v}`, `${v}.0`, ` ${v}`, `${v}\n`, `-0${v}`, '', '-']) expect(re.test(s), s).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('writes whole digit lengths compactly', () => {
    expect(integerRangePattern(0n, 255n)).toBe('^(?:0|[1-9][0-9]?|1[0-9]{2}|2[0-4][0-9]|25[0-5])$');
    expect(integerRangePattern(0n, 999n)).toBe('^(?:0|[1-9][0-9]{0,2})$');
    expect(integerRangePattern(7n, 7n)).toBe('^7$');
    expect(integerRangePattern(-3n, -1n)).toBe('^-[1-3]$');
    expect(() => integerRangePattern(2n, 1n)).toThrow(RangeError);
  });
});

describe('base64Pattern', () => {
  const bounds = fc
    .tuple(fc.integer({ min: 0, max: 40 }), fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }))
    .filter(([min, max]) => max === undefined || min <= max);

  it('matches the padded base64 of n bytes exactly when min ≤ n ≤ max', () => {
    fc.assert(
      fc.property(bounds, fc.uint8Array({ maxLength: 60 }), ([min, max], bytes) => {
        const re = new RegExp(base64Pattern(min, max), 'u');
        const n = bytes.length;
        const text = Buffer.from(bytes).toString('base64');
        expect(re.test(text), `${n} bytes in ${min}..${max ?? '∞'}`).toBe(n >= min && (max === undefined || n <= max));
        if (text.length > 0) {
          expect(re.test(text.replace(/=+$/, '')) && text.endsWith('='), 'unpadded').toBe(false);
          expect(re.test(`${text}=`), 'extra padding').toBe(false);
          expect(re.test(text.replace(/[A-Za-z0-9+/]/, '-')), 'url-safe alphabet').toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('is compact for the common cases', () => {
    expect(base64Pattern()).toBe('^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$');
    expect(base64Pattern(0, 0)).toBe('^$');
    expect(base64Pattern(3, 3)).toBe('^[A-Za-z0-9+/]{4}$');
    expect(() => base64Pattern(2, 1)).toThrow(RangeError);
  });
});
