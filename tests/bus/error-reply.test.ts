import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_REPLY_MAX_DEPTH, parseRemote } from '../../runtime/bus/checks.ts';

const encode = (text: string) => new TextEncoder().encode(text);

describe('error reply payloads from the far side', () => {
  it('reads name, code, message, detail and retryAfterMs', () => {
    const info = parseRemote(
      encode('{"name":"COMPILE_FAILED","code":1001,"message":"2:5 x","detail":{"diagnostics":[{"line":2,"column":5}]},"retryAfterMs":10}'),
    );
    expect(info).toEqual({ name: 'COMPILE_FAILED', code: 1001, message: '2:5 x', detail: { diagnostics: [{ line: 2, column: 5 }] }, retryAfterMs: 10 });
  });

  it('a detail nested deeper than the bound, a prototype key, a negative retry hint or a non-object give INTERNAL or drop the field', () => {
    const deep = `{"name":"X","code":1,"message":"m","detail":${'['.repeat(ERROR_REPLY_MAX_DEPTH)}${']'.repeat(ERROR_REPLY_MAX_DEPTH)}}`;
    expect(parseRemote(encode(deep))).toEqual({ name: 'INTERNAL', code: 0, message: 'unreadable error reply' });
    expect(parseRemote(encode('{"name":"X","code":1,"message":"m","detail":{"__proto__":{}}}')).name).toBe('INTERNAL');
    expect(parseRemote(encode('{"name":"X","code":1,"message":"m","retryAfterMs":-5}'))).toEqual({ name: 'X', code: 1, message: 'm' });
    expect(parseRemote(encode('[1,2]'))).toEqual({ name: 'INTERNAL', code: 0, message: 'unreadable error reply' });
    expect(parseRemote(encode('null'))).toEqual({ name: 'INTERNAL', code: 0, message: 'unreadable error reply' });
  });

  it('any bytes give an error info with string name and message and a numeric code, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 256 }), fc.json({ maxDepth: 8 }).map(encode)), (bytes) => {
        const info = parseRemote(bytes);
        expect(typeof info.name).toBe('string');
        expect(typeof info.message).toBe('string');
        expect(typeof info.code).toBe('number');
      }),
      { numRuns: 500 },
    );
  });
});
