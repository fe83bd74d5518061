import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intents } from '../../../generated/index.ts';
import { intentRequest, journalName, ReplayGuard } from '../../../services/index.ts';

describe('intentRequest', () => {
  it('escapes path and query parameters and keeps them out of the body; base URL slashes are not doubled', () => {
    expect(intentRequest(intents['function.invoke'], 'http://h:1/fc/', { function_id: 'a:b/c?d', arguments: { x: 1 } })).toEqual({
      method: 'POST',
      url: 'http://h:1/fc/functions/a%3Ab%2Fc%3Fd/invoke',
      body: '{"arguments":{"x":1}}',
    });
    expect(intentRequest(intents['tools.register'], 'http://h', { corpusId: 'a&b=c', openapi: {} }).url).toBe('http://h/tools/register?corpusId=a%26b%3Dc');
  });

  it('a parameter that is not a string or a number is an error naming it', () => {
    expect(() => intentRequest(intents['persist.baseline'], 'http://h', { corpusId: { x: 1 }, baselineId: 'b', content: '' })).toThrow(/^\/corpusId: /);
  });
});

describe('journalName', () => {
  it('keeps [A-Za-z0-9_-] and escapes everything else, so a name never leaves its directory', () => {
    expect(journalName('dE8x-7qF')).toBe('dE8x-7qF');
    expect(journalName('../x')).toBe('%2E%2E%2Fx');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), (corr) => {
        const name = journalName(corr);
        return /^[A-Za-z0-9_%-]*$/.test(name) && decodeURIComponent(name) === corr;
      }),
      { numRuns: 300 },
    );
  });
});

describe('ReplayGuard', () => {
  it('refuses stale timestamps either way, replays per sender, and forgets the oldest beyond its capacity', () => {
    let now = 1_000_000;
    const guard = new ReplayGuard({ maxAgeMs: 100, capacity: 2, now: () => now });
    expect(guard.admit('a', 'c1', 999_900n)).toBe('fresh');
    expect(guard.admit('a', 'c1', 1_000_000n)).toBe('replayed');
    expect(guard.admit('b', 'c1', 1_000_000n)).toBe('fresh');
    expect(guard.admit('a', 'c2', 999_899n)).toBe('stale');
    expect(guard.admit('a', 'c2', 1_000_101n)).toBe('stale');
    expect(guard.admit('a', 'c3', 2n ** 64n - 1n)).toBe('stale');
    expect(guard.admit('a', 'c4', 1_000_000n)).toBe('fresh');
    expect(guard.size).toBe(2);
    now += 50;
    expect(guard.admit('a', 'c1', 1_000_000n)).toBe('fresh');
    expect(() => new ReplayGuard({ maxAgeMs: 1, capacity: 0, now: () => 0 })).toThrow(RangeError);
  });

  it('stays bounded under any stream of corrs', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.string({ maxLength: 4 })), { maxLength: 200 }), (stream) => {
        const guard = new ReplayGuard({ maxAgeMs: 10, capacity: 16, now: () => 0 });
        for (const [sender, corr] of stream) guard.admit(sender, corr, 0n);
        return guard.size <= 16;
      }),
      { numRuns: 100 },
    );
  });
});
