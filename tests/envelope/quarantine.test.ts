import { describe, expect, it } from 'vitest';
import { ChunkReassembler, EnvelopeError, Quarantine, chunkPayload, parseFlexEnvelope, Qos, type EnvelopeHeader } from '../../runtime/envelope/index.ts';
import { utf8 } from './helpers.ts';

const H: EnvelopeHeader = { topicId: 1, schemaMajor: 1, schemaMinor: 0, sessionId: 1, corrId: 1n, timestampUs: 0n, qos: Qos.AtMostOnce, capabilities: 0n };

describe('Quarantine', () => {
  it('keeps the reason, code, offset, a copy of the input and the time', () => {
    let t = 1_700_000_000_000;
    const q = new Quarantine({ now: () => t });
    const input = Uint8Array.of(0x6e, 1, 2);
    const err = new EnvelopeError('bad-magic', 'expected magic 0x6d, got 0x6e', { offset: 0 });
    const e = q.add(err, input);
    input[0] = 0; // the entry holds its own copy
    expect(e).toMatchObject({ seq: 0, code: 'bad-magic', reason: 'expected magic 0x6d, got 0x6e', offset: 0, path: null, size: 3, truncated: false, at: t });
    expect(Array.from(e.bytes!)).toEqual([0x6e, 1, 2]);
    t += 5;
    const f = q.add({ code: 'no-envelope', message: 'SysEx8 without midl sub-id' }, 'text');
    expect(f).toMatchObject({ seq: 1, code: 'no-envelope', reason: 'SysEx8 without midl sub-id', text: 'text', bytes: null, at: t });
  });

  it('is a bounded ring: newest entries kept oldest first, evictions and per-code totals counted', () => {
    const q = new Quarantine({ capacity: 3, maxSampleBytes: 4 });
    for (let i = 0; i < 7; i++) q.add({ code: i % 2 ? 'truncated' : 'bad-json', reason: `r${i}` }, 'abcdefgh');
    expect(q.size).toBe(3);
    expect(q.total).toBe(7);
    expect(q.evicted).toBe(4);
    expect(q.entries().map((e) => e.reason)).toEqual(['r4', 'r5', 'r6']);
    expect(q.entries()[0]).toMatchObject({ text: 'abcd', size: 8, truncated: true });
    expect(Object.fromEntries(q.counts())).toEqual({ 'bad-json': 4, truncated: 3 });
    expect(q.drain().map((e) => e.seq)).toEqual([4, 5, 6]);
    expect(q.size).toBe(0);
    expect(q.total).toBe(7);
    q.add({ code: 'x' });
    expect(q.entries().map((e) => e.seq)).toEqual([7]);
  });

  it('rejects nonsensical configuration', () => {
    expect(() => new Quarantine({ capacity: 0 })).toThrow(RangeError);
    expect(() => new Quarantine({ maxSampleBytes: -1 })).toThrow(RangeError);
  });

  it('a receiver loop accounts for every input: delivered, pending, duplicate or quarantined with a reason', () => {
    const q = new Quarantine({ capacity: 64 });
    const r = new ChunkReassembler({ timeoutMs: 10, now: () => clock, onDiscard: (e) => q.add(e) });
    let clock = 0;
    const good = chunkPayload(H, utf8('hello world'), 4);
    const stale = chunkPayload({ ...H, corrId: 2n }, utf8('never finished'), 4);
    const corrupt = good[1]!.slice();
    corrupt[corrupt.length - 1]! ^= 0xff;
    const inputs: Uint8Array[] = [Uint8Array.of(), Uint8Array.of(0x6d, 9), stale[0]!, good[0]!, good[0]!, corrupt, good[2]!, ...good];
    const outcome: Record<string, number> = {};
    for (const bytes of inputs) {
      let kind: string;
      try {
        kind = r.push(bytes).status;
      } catch (e) {
        if (!(e instanceof EnvelopeError)) throw e;
        q.add(e, bytes);
        kind = 'quarantined';
      }
      outcome[kind] = (outcome[kind] ?? 0) + 1;
      clock += 1;
    }
    clock += 100;
    r.sweep();
    expect(Object.values(outcome).reduce((a, b) => a + b, 0)).toBe(inputs.length);
    expect(q.entries().map((e) => e.code)).toEqual(['truncated', 'unsupported-version', 'crc-mismatch', 'timeout']);
    expect(outcome.complete).toBe(1);
    const msg = parseFlexEnvelope('{"v":9}');
    if (!msg.ok) q.add(msg.error, '{"v":9}');
    expect(q.entries().at(-1)).toMatchObject({ code: 'unsupported-version', path: '$.v', text: '{"v":9}' });
  });
});
