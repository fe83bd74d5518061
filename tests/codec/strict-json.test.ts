import { describe, expect, it } from 'vitest';
import { JsonDecodeError } from '../../runtime/codec/errors.ts';
import { findJsonProblem, parseJsonStrict } from '../../runtime/codec/strict-json.ts';

/** The JsonDecodeError `parseJsonStrict(text)` throws. */
function refusal(text: string, maxDepth = 64): JsonDecodeError {
  try {
    parseJsonStrict(text, maxDepth);
  } catch (err) {
    if (err instanceof JsonDecodeError) return err;
    throw err;
  }
  throw new Error(`accepted: ${text}`);
}

/**
 * Issue 10, item 9: JSON that JSON.parse accepts and silently changes is refused, with the JSON Pointer
 * and offset of the problem. Before: a 400-digit number became Infinity (sent as null), a duplicate key
 * kept its last value, `__proto__` was accepted.
 */
describe('strict JSON', () => {
  it('a 400-digit number is refused where it is', () => {
    const text = `{"a":{"b":[1,2,${'9'.repeat(400)}]}}`;
    const e = refusal(text);
    expect(e.path).toBe('/a/b/2');
    expect(e.message).toMatch(/^\/a\/b\/2: 9{64}… is beyond the range of a 64-bit float \(at offset 15\)$/);
    expect(JSON.parse(text)).toEqual({ a: { b: [1, 2, Infinity] } }); // what it was before
  });

  it('a float that overflows or underflows is refused', () => {
    expect(refusal('{"x":1e309}').message).toBe('/x: 1e309 is beyond the range of a 64-bit float (at offset 5)');
    expect(refusal('[-1.5E400]').message).toBe('/0: -1.5E400 is beyond the range of a 64-bit float (at offset 1)');
    expect(refusal('{"x":1e-400}').message).toBe('/x: 1e-400 is too small for a 64-bit float (it would read as 0) (at offset 5)');
  });

  it('an integer a float cannot hold exactly is refused; one it can is read', () => {
    expect(refusal('{"id":9223372036854775807}').message).toBe(
      '/id: 9223372036854775807 is an integer a 64-bit float cannot hold (it would read as 9223372036854776000); write it as a string (at offset 6)',
    );
    expect(refusal('[9007199254740993]').path).toBe('/0');
    expect(refusal('{"id":12345678901234567891}').path).toBe('/id');
    // 2^63 is a float exactly (an int64 field still wants its decimal string: fromJsonBigInt says so).
    expect(parseJsonStrict('{"big":9223372036854775808}', 64)).toEqual({ big: 2 ** 63 });
    // What JavaScript writes for a large float reads back as written.
    expect(parseJsonStrict(JSON.stringify([35868684232002710, -36028608956774550]), 64)).toEqual([35868684232002710, -36028608956774550]);
    expect(parseJsonStrict('{"id":9007199254740992,"f":1e308,"z":0e-999,"m":-0,"g":0.1234567890123456789}', 64)).toEqual({
      id: 9007199254740992,
      f: 1e308,
      z: 0,
      m: -0,
      g: 0.12345678901234568,
    });
  });

  it('a duplicate key is refused with its path, at any depth, escapes decoded', () => {
    expect(refusal('{"a":1,"a":2}').message).toBe('/a: key "a" appears twice in one object (at offset 7)');
    expect(refusal('{"list":[{"k":1},{"k":1,"\\u006b":2}]}').message).toBe('/list/1/k: key "k" appears twice in one object (at offset 24)');
    expect(refusal('{"a/b":{"x~":1,"x~":2}}').path).toBe('/a~1b/x~0');
    // The same key in sibling objects is no duplicate.
    expect(parseJsonStrict('[{"a":1},{"a":2},{"b":{"a":3}}]', 64)).toEqual([{ a: 1 }, { a: 2 }, { b: { a: 3 } }]);
  });

  it('a __proto__ key is refused with its path, also when escaped', () => {
    expect(refusal('{"v":{"__proto__":{"admin":true}}}').message).toBe('/v/__proto__: key "__proto__" is not accepted (at offset 6)');
    expect(refusal('{"\\u005f_proto__":1}').path).toBe('/__proto__');
    // As a string value it is only text.
    expect(parseJsonStrict('{"k":"__proto__"}', 64)).toEqual({ k: '__proto__' });
  });

  it('nesting deeper than the limit is refused before anything is built', () => {
    expect(refusal('[[[[1]]]]', 3).message).toBe('/0/0/0: nesting deeper than 3 (at offset 3)');
    expect(refusal('['.repeat(1_000_000), 64).path).toBe('/0'.repeat(64));
  });

  it('strings that look like keys, numbers or brackets are only text', () => {
    const text = '{"s":"{\\"a\\":1,\\"a\\":1e999}","t":"\\\\","u":"[[[[[["}';
    expect(parseJsonStrict(text, 2)).toEqual({ s: '{"a":1,"a":1e999}', t: '\\', u: '[[[[[[' });
  });

  it('malformed text is a syntax error from JSON.parse', () => {
    expect(refusal('{"a":').message).toMatch(/^\/: invalid JSON: /);
    expect(refusal('{"a":1-2}').message).toMatch(/^\/: invalid JSON: /);
    expect(findJsonProblem('"unterminated', 64)).toBeNull();
  });

  it('a long key is shortened in the message', () => {
    const key = 'k'.repeat(100_000);
    const e = refusal(`{"${key}":1,"${key}":2}`);
    expect(e.path).toBe(`/${'k'.repeat(64)}…`);
    expect(e.message.length).toBeLessThan(300);
  });
});
