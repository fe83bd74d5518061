import { describe, expect, it } from 'vitest';
import { keysOfLines, linesToResend } from '../../cli/operator/send-keys.ts';

const texts = (...l: string[]) => l.map((text) => ({ text }));

describe('midl send idempotency keys', () => {
  it('are the same for the same file, differ per address, per text and per occurrence of identical lines', () => {
    const file = texts('{"n":1}', '{"n":2}', '{"n":1}');
    const keys = keysOfLines('ops/job', file);
    expect(keysOfLines('ops/job', file)).toEqual(keys);
    expect(new Set(keys).size).toBe(3);
    expect(keysOfLines('ops/other', file)[0]).not.toBe(keys[0]);
    for (const k of keys) expect(k > 0n && k < 1n << 64n).toBe(true);
  });

  it('--failed keeps each exactly-once line its key: a later copy of an identical line comes with the copies before it', () => {
    const file = texts('A', 'B', 'A', 'C', 'A');
    const keys = keysOfLines('t', file);
    // The third A (index 4) and C failed.
    const { lines, earlier } = linesToResend(file, [3, 4], true);
    expect(lines).toEqual(['A', 'A', 'C', 'A']);
    expect(earlier).toBe(2);
    const again = keysOfLines('t', texts(...lines));
    expect(again).toEqual([keys[0], keys[2], keys[3], keys[4]]);
    // Not exactly once: keys do not matter, only the lines not delivered are written.
    expect(linesToResend(file, [3, 4], false)).toEqual({ lines: ['C', 'A'], earlier: 0 });
  });
});
