import { describe, expect, it } from 'vitest';
import type { SseEnvelope } from '../../../generated/index.ts';
// The modules themselves rather than services/index.ts: this file needs none of the other services (WebGPU, MCP).
import { SseCoalescer, splitText } from '../../../services/sse/coalescer.ts';
import { upstreamUrl } from '../../../services/sse/ingress.ts';
import { SequenceError, StreamSequencer } from '../../../services/sse/sequencer.ts';
import { eventText, parseEventText, SseTextError } from '../../../services/sse/sse-text.ts';

/** The pieces of the SSE bridges that need no bus: event text, coalescing, ordering, the upstream URL. */

const msg = (seq: number, data: string, frag?: { i: number; n: number }): SseEnvelope => ({
  v: 1,
  ev: 'message',
  seq: BigInt(seq),
  data,
  ...(frag ? { frag } : {}),
});
const done = (seq: number, data?: string): SseEnvelope => ({ v: 1, ev: 'done', seq: BigInt(seq), ...(data === undefined ? {} : { data }) });

describe('event text', () => {
  it('gives back every event exactly, multi-line data, names, ids and leading spaces included', () => {
    const events = [
      { data: '{"choices":[{"delta":{"content":" Grüße 🎹"}}]}' },
      { data: 'two\nlines\n' },
      { data: '' },
      { data: '  leading spaces' },
      { event: 'response.output_text.delta', id: '7', data: '{"delta":"x"}' },
    ];
    const text = events.map(eventText).join('');
    expect(parseEventText(text)).toEqual(events);
  });

  it('refuses text that is not canonical: a comment, a missing blank line, an unknown field', () => {
    expect(() => parseEventText(': keep-alive\n\n')).toThrow(SseTextError);
    expect(() => parseEventText('data: a\n')).toThrow(SseTextError);
    expect(() => parseEventText('data: a\nretry: 5\n\n')).toThrow(SseTextError);
    expect(() => parseEventText('data:a\n\n')).toThrow(/not canonical SSE at character 5/);
  });
});

describe('SseCoalescer', () => {
  it('packs whole events up to the limit and fragments only an event longer than it', () => {
    const c = new SseCoalescer(20);
    for (const t of ['aaaaaaaa', 'bbbbbbbb', 'cccccccc', 'x'.repeat(45), 'dd']) c.add(t);
    expect(c.count).toBe(5);
    const out = c.take();
    expect(out.map((e) => e.parts)).toEqual([['aaaaaaaabbbbbbbb'], ['cccccccc'], ['x'.repeat(20), 'x'.repeat(20), 'x'.repeat(5)], ['dd']]);
    // Upstream events per bus event (seq): what the coalescing histogram observes.
    expect(out.map((e) => e.events)).toEqual([2, 1, 1, 1]);
    expect(c.size).toBe(0);
    expect(c.take()).toEqual([]);
  });

  it('keeps the event count of a run held back for the next flush', () => {
    const c = new SseCoalescer(20);
    for (const t of ['aaaaaaaa', 'bbbbbbbb', 'cccccccc', 'dd']) c.add(t);
    expect(c.take(false).map((e) => [e.parts, e.events])).toEqual([[['aaaaaaaabbbbbbbb'], 2]]);
    c.add('ee');
    expect(c.take().map((e) => [e.parts, e.events])).toEqual([[['ccccccccddee'], 3]]);
  });

  it('never splits a surrogate pair', () => {
    const parts = splitText('ab🎹🎹🎹', 3);
    expect(parts.join('')).toBe('ab🎹🎹🎹');
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(3);
    expect(parts).toEqual(['ab', '🎹', '🎹', '🎹']);
  });
});

describe('StreamSequencer', () => {
  it('writes in seq order whatever the arrival order, drops repeats, joins fragments', () => {
    const s = new StreamSequencer();
    expect(s.push(msg(1, 'B'), 0)).toEqual([]);
    expect(s.gapSince).toBe(0);
    expect(s.push(msg(2, 'C2', { i: 1, n: 2 }), 1)).toEqual([]);
    expect(s.push(msg(1, 'B'), 2)).toEqual([]);
    expect(s.push(msg(0, 'A'), 3)).toEqual([
      { kind: 'message', text: 'A' },
      { kind: 'message', text: 'B' },
    ]);
    expect(s.gapSince).toBe(3); // seq 2 is still incomplete
    expect(s.push(done(3, '[DONE]'), 4)).toEqual([]);
    expect(s.push(msg(2, 'C1', { i: 0, n: 2 }), 5)).toEqual([
      { kind: 'message', text: 'C1C2' },
      { kind: 'done', sentinel: '[DONE]' },
    ]);
    expect(s.finished).toBe(true);
    expect(s.gapSince).toBeUndefined();
    expect(s.push(msg(0, 'A'), 6)).toEqual([]);
    expect(s.duplicates).toBe(2);
    expect(s.depthMax).toBe(3);
  });

  it('ends at an error event and says a done without [DONE] has no sentinel', () => {
    const s = new StreamSequencer();
    expect(s.push({ v: 1, ev: 'error', seq: 0n, data: '{"error":{}}' }, 0)).toEqual([{ kind: 'error', data: '{"error":{}}' }]);
    expect(s.push(done(1), 0)).toEqual([]);
    expect(new StreamSequencer().push(done(0), 0)).toEqual([{ kind: 'done', sentinel: undefined }]);
  });

  it('refuses what would break the stream: too many held, disagreeing fragments, different data for one fragment', () => {
    const s = new StreamSequencer({ maxHeld: 2, maxFragments: 4, maxChars: 10 });
    s.push(msg(5, 'x'), 0);
    s.push(msg(6, 'x'), 0);
    expect(() => s.push(msg(7, 'x'), 0)).toThrow(/more than 2 events wait for seq 0/);
    const f = new StreamSequencer({ maxHeld: 8, maxFragments: 4, maxChars: 10 });
    f.push(msg(0, 'a', { i: 0, n: 3 }), 0);
    expect(() => f.push(msg(0, 'b', { i: 1, n: 2 }), 0)).toThrow(SequenceError);
    const g = new StreamSequencer({ maxHeld: 8, maxFragments: 4, maxChars: 10 });
    g.push(msg(0, 'a', { i: 0, n: 3 }), 0);
    expect(() => g.push(msg(0, 'z', { i: 0, n: 3 }), 0)).toThrow(/different data/);
    expect(() => g.push(msg(0, 'x'.repeat(10), { i: 1, n: 3 }), 0)).toThrow(/exceeds 10 characters/);
    expect(() => new StreamSequencer({ maxHeld: 8, maxFragments: 4, maxChars: 10 }).push(msg(0, 'a', { i: 0, n: 5 }), 0)).toThrow(/5 fragments/);
  });
});

describe('upstreamUrl', () => {
  const base = new URL('http://127.0.0.1:9000/v1');
  it('puts the path under the base', () => {
    expect(upstreamUrl(base, '/chat/completions')?.href).toBe('http://127.0.0.1:9000/v1/chat/completions');
    expect(upstreamUrl(new URL('http://h/v1/'), '/models?x=1')?.href).toBe('http://h/v1/models?x=1');
  });
  it('refuses a path that would leave it', () => {
    for (const p of ['//evil.example/x', '/../admin', '/a/%2e%2e/b', '/a/..', 'chat', '/a\\b', '/a#frag']) expect(upstreamUrl(base, p)).toBeNull();
  });
});
