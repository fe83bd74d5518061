import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_SSE_LIMITS,
  EnvelopeError,
  SseFragmentReassembler,
  fragmentSseEvent,
  isSseCtrl,
  parseSseEnvelope,
  serializeSseEnvelope,
  sseCtrl,
  type SseEnvelope,
  type SseReassemblyResult,
} from '../../runtime/envelope/index.ts';
import { accepted, expectEnvelopeError, expectRejected, shuffled, utf8 } from './helpers.ts';

const ev = (patch: Record<string, unknown> = {}): string => JSON.stringify({ v: 1, ev: 'message', seq: 7, data: 'tok', ...patch });

describe('SSE envelope: valid input', () => {
  it('parses a full event and serialises it in the fixed key order', () => {
    const text = '{"data":"Hel","ts":1724142123.123,"frag":{"n":3,"i":0},"seq":123456789,"ct":"text/plain; charset=utf-8","id":"evt-1","ev":"message","v":1}';
    const e = accepted(parseSseEnvelope(text));
    expect(e).toEqual({
      v: 1,
      ev: 'message',
      id: 'evt-1',
      ct: 'text/plain; charset=utf-8',
      seq: 123456789,
      frag: { i: 0, n: 3 },
      ts: 1724142123.123,
      data: 'Hel',
    });
    expect(serializeSseEnvelope(e)).toBe(
      '{"v":1,"ev":"message","id":"evt-1","ct":"text/plain; charset=utf-8","seq":123456789,"frag":{"i":0,"n":3},"ts":1724142123.123,"data":"Hel"}',
    );
    expect(accepted(parseSseEnvelope(utf8(text)))).toEqual(e);
  });

  it('minimal events, done without data, custom event names', () => {
    expect(serializeSseEnvelope(accepted(parseSseEnvelope('{"v":1,"ev":"done","seq":0}')))).toBe('{"v":1,"ev":"done","seq":0}');
    expect(accepted(parseSseEnvelope(ev({ ev: 'response.output_text.delta' }))).ev).toBe('response.output_text.delta');
    expect(accepted(parseSseEnvelope(ev({ data: '' }))).data).toBe('');
  });

  it('ctrl messages: ack, nack, window, heartbeat', () => {
    const cases: [unknown, string][] = [
      [{ ack: 12345 }, '{"v":1,"ev":"ctrl","seq":1,"data":{"ack":12345}}'],
      [{ nack: [12346, 12347] }, '{"v":1,"ev":"ctrl","seq":1,"data":{"nack":[12346,12347]}}'],
      [{ window: 256 }, '{"v":1,"ev":"ctrl","seq":1,"data":{"window":256}}'],
      [{ hb: true }, '{"v":1,"ev":"ctrl","seq":1,"data":{"hb":true}}'],
      [{ hb: 1724142123.5 }, '{"v":1,"ev":"ctrl","seq":1,"data":{"hb":1724142123.5}}'],
    ];
    for (const [data, text] of cases) {
      const e = accepted(parseSseEnvelope(JSON.stringify({ v: 1, ev: 'ctrl', seq: 1, data })));
      expect(isSseCtrl(e)).toBe(true);
      expect(e.data).toEqual(data);
      expect(serializeSseEnvelope(e)).toBe(text);
    }
  });

  it('ctrl data as a JSON string (Fountain Swift form) is accepted and normalised to an object', () => {
    const e = accepted(parseSseEnvelope('{"v":1,"ev":"ctrl","seq":9,"data":"{\\"ack\\":9}"}'));
    expect(e.data).toEqual({ ack: 9 });
    expect(serializeSseEnvelope(e)).toBe('{"v":1,"ev":"ctrl","seq":9,"data":{"ack":9}}');
  });

  it('sseCtrl builds valid ctrl envelopes and refuses invalid ones', () => {
    expect(serializeSseEnvelope(sseCtrl(4, { nack: [1, 2] }, 10.5))).toBe('{"v":1,"ev":"ctrl","seq":4,"ts":10.5,"data":{"nack":[1,2]}}');
    expectEnvelopeError(() => sseCtrl(4, { nack: [] }), 'bad-field');
    expectEnvelopeError(() => sseCtrl(-1, { ack: 1 }), 'bad-field');
  });

  it('round trips arbitrary events', () => {
    const arb = fc.record(
      {
        ev: fc.constantFrom('message', 'error', 'done', 'delta.x'),
        id: fc.stringMatching(/^[A-Za-z0-9:_-]{1,20}$/),
        ct: fc.constantFrom('application/json', 'text/plain; charset=utf-8'),
        seq: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        ts: fc.double({ min: 0, max: 4e9, noNaN: true }),
        data: fc.string({ unit: 'grapheme', maxLength: 200 }),
      },
      { requiredKeys: ['ev', 'seq'] },
    );
    fc.assert(
      fc.property(arb, (fields) => {
        const e = { v: 1, ...fields } as SseEnvelope;
        const text = serializeSseEnvelope(e);
        const back = accepted(parseSseEnvelope(text));
        expect(back).toEqual(JSON.parse(JSON.stringify(e)));
        expect(serializeSseEnvelope(back)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});

describe('SSE envelope: every invalid field is rejected with a reason', () => {
  const cases: [string, string, string, string][] = [
    ['missing v', JSON.stringify({ ev: 'message', seq: 1 }), 'bad-field', '$.v'],
    ['unknown v', ev({ v: 2 }), 'unsupported-version', '$.v'],
    ['v as string', ev({ v: '1' }), 'bad-field', '$.v'],
    ['missing ev', ev({ ev: undefined }), 'bad-field', '$.ev'],
    ['missing seq', ev({ seq: undefined }), 'bad-field', '$.seq'],
    ['unknown field', ev({ ack: 5 }), 'bad-field', '$.ack'],
    ['empty ev', ev({ ev: '' }), 'bad-field', '$.ev'],
    ['ev with a space', ev({ ev: 'a b' }), 'bad-field', '$.ev'],
    ['ev as number', ev({ ev: 1 }), 'bad-field', '$.ev'],
    ['id with a newline', ev({ id: 'a\nb' }), 'bad-field', '$.id'],
    ['empty id', ev({ id: '' }), 'bad-field', '$.id'],
    ['id too long', ev({ id: 'x'.repeat(257) }), 'bad-field', '$.id'],
    ['ct without subtype', ev({ ct: 'json' }), 'bad-field', '$.ct'],
    ['negative seq', ev({ seq: -1 }), 'bad-field', '$.seq'],
    ['fractional seq', ev({ seq: 1.5 }), 'bad-field', '$.seq'],
    ['seq as string', ev({ seq: '1' }), 'bad-field', '$.seq'],
    ['negative ts', ev({ ts: -1 }), 'bad-field', '$.ts'],
    ['ts as string', ev({ ts: '2024-08-20' }), 'bad-field', '$.ts'],
    ['event data as object', ev({ data: { a: 1 } }), 'bad-field', '$.data'],
    ['frag without id', ev({ frag: { i: 0, n: 2 } }), 'bad-field', '$.id'],
    ['frag not an object', ev({ id: 'e', frag: [0, 2] }), 'bad-field', '$.frag'],
    ['frag without i', ev({ id: 'e', frag: { n: 2 } }), 'bad-field', '$.frag.i'],
    ['frag n 0', ev({ id: 'e', frag: { i: 0, n: 0 } }), 'bad-field', '$.frag.n'],
    ['frag i ≥ n', ev({ id: 'e', frag: { i: 2, n: 2 } }), 'chunk-out-of-range', '$.frag.i'],
    ['frag n above limit', ev({ id: 'e', frag: { i: 0, n: 100_000 } }), 'too-large', '$.frag.n'],
    ['frag extra key', ev({ id: 'e', frag: { i: 0, n: 2, x: 1 } }), 'bad-field', '$.frag.x'],
    ['ctrl with frag', JSON.stringify({ v: 1, ev: 'ctrl', id: 'e', seq: 1, frag: { i: 0, n: 2 }, data: { ack: 1 } }), 'bad-field', '$.frag'],
    ['ctrl without data', JSON.stringify({ v: 1, ev: 'ctrl', seq: 1 }), 'bad-field', '$.data'],
    ['ctrl data two keys', JSON.stringify({ v: 1, ev: 'ctrl', seq: 1, data: { ack: 1, window: 2 } }), 'bad-field', '$.data'],
    ['ctrl data unknown key', JSON.stringify({ v: 1, ev: 'ctrl', seq: 1, data: { ping: 1 } }), 'bad-field', '$.data.ping'],
    ['ctrl data array', JSON.stringify({ v: 1, ev: 'ctrl', seq: 1, data: [1] }), 'bad-field', '$.data'],
    ['negative ack', JSON.stringify({ v: 1, ev: 'ctrl', seq: 1, data: { ack: -1 } }), 'bad-field', '$.data.ack'],
    ['empty nack', JSON.stringify({ v: 1, ev: 'ctrl', seq: 1, data: { nack: [] } }), 'bad-field', '$.data.nack'],
    ['nack too long', JSON.stringify({ v: 1, ev: 'ctrl', seq: 1, data: { nack: Array.from({ length: 513 }, (_, i) => i) } }), 'bad-field', '$.data.nack'],
    ['nack entry string', JSON.stringify({ v: 1, ev: 'ctrl', seq: 1, data: { nack: [1, '2'] } }), 'bad-field', '$.data.nack[1]'],
    ['fractional window', JSON.stringify({ v: 1, ev: 'ctrl', seq: 1, data: { window: 1.5 } }), 'bad-field', '$.data.window'],
    ['hb false', JSON.stringify({ v: 1, ev: 'ctrl', seq: 1, data: { hb: false } }), 'bad-field', '$.data.hb'],
    ['ctrl data string not JSON', JSON.stringify({ v: 1, ev: 'ctrl', seq: 1, data: '{ack:1}' }), 'bad-json', '$.data'],
    ['ctrl data string with __proto__', JSON.stringify({ v: 1, ev: 'ctrl', seq: 1, data: '{"__proto__":{"ack":1}}' }), 'forbidden-key', '$.data'],
  ];
  for (const [name, text, code, path] of cases) {
    it(name, () => {
      expectRejected(parseSseEnvelope(text), code as EnvelopeError['code'], path);
    });
  }

  it('hostile text: size, depth, pollution keys, duplicates, random input', () => {
    expectRejected(parseSseEnvelope(ev({ data: 'x'.repeat(DEFAULT_SSE_LIMITS.maxBytes) })), 'too-large');
    expectRejected(parseSseEnvelope('{"v":1,"x":' + '['.repeat(50) + ']'.repeat(50) + '}'), 'too-deep');
    expectRejected(parseSseEnvelope('{"v":1,"ev":"message","seq":1,"__proto__":{"data":"x"}}'), 'forbidden-key');
    expectRejected(parseSseEnvelope('{"v":1,"ev":"message","seq":1,"seq":2}'), 'duplicate-key');
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 100 }), fc.json({ maxDepth: 3 })), (text) => {
        const r = parseSseEnvelope(text);
        if (!r.ok) expect(r.error).toBeInstanceOf(EnvelopeError);
      }),
      { numRuns: 300 },
    );
  });
});

describe('SSE fragments', () => {
  const base: SseEnvelope = { v: 1, ev: 'message', id: 'evt-9', ct: 'text/plain', seq: 100, ts: 1.5, data: '' };

  function complete(r: SseReassemblyResult): SseEnvelope {
    if (r.status !== 'complete') throw new Error(`expected complete, got ${r.status}`);
    return r.envelope;
  }

  it('fragmentSseEvent splits text, numbers seqs, never splits a surrogate pair, and keeps small events whole', () => {
    const text = 'ab😀cd😀e';
    const frags = fragmentSseEvent({ ...base, data: text }, 3);
    expect(frags.map((f) => [f.seq, f.frag, f.data])).toEqual([
      [100, { i: 0, n: 4 }, 'ab'],
      [101, { i: 1, n: 4 }, '😀c'],
      [102, { i: 2, n: 4 }, 'd😀'],
      [103, { i: 3, n: 4 }, 'e'],
    ]);
    for (const f of frags) expect(accepted(parseSseEnvelope(serializeSseEnvelope(f)))).toEqual(f);
    expect(fragmentSseEvent({ ...base, data: 'abc' }, 3)).toEqual([{ ...base, data: 'abc' }]);
    expectEnvelopeError(() => fragmentSseEvent({ v: 1, ev: 'message', seq: 1, data: 'abcdef' }, 3), 'bad-field');
    expectEnvelopeError(() => fragmentSseEvent(sseCtrl(1, { ack: 1 }), 3), 'bad-field');
  });

  it('reassembles shuffled, duplicated fragments into the original event (fields from fragment 0)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 400 }), fc.integer({ min: 2, max: 50 }), fc.nat(), (text, max, seed) => {
        const frags = fragmentSseEvent({ ...base, data: text }, max);
        fc.pre(frags.length <= DEFAULT_SSE_LIMITS.maxFragments);
        const r = new SseFragmentReassembler();
        let out: SseEnvelope | undefined;
        // Unfragmented events pass straight through; repeats of those are the reliability layer's (seq) business.
        const repeats = frags.length > 1 ? frags.slice(0, 2) : [];
        for (const f of shuffled([...frags, ...repeats], seed)) {
          const res = r.push(f);
          if (res.status === 'complete') {
            expect(out).toBeUndefined();
            out = res.envelope;
          }
        }
        expect(out).toEqual({ ...base, data: text });
        expect(r.openCount).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('re-checks frag on hand-built envelopes', () => {
    const r = new SseFragmentReassembler({ maxFragments: 4 });
    expectEnvelopeError(() => r.push({ ...base, frag: { i: 3, n: 2 } }), 'chunk-out-of-range');
    expectEnvelopeError(() => r.push({ ...base, frag: { i: 0, n: 5 } }), 'too-large');
    expectEnvelopeError(() => r.push({ ...base, frag: { i: -1, n: 2 } }), 'bad-field');
    expect(r.openCount).toBe(0);
  });

  it('passes unfragmented events through', () => {
    expect(complete(new SseFragmentReassembler().push({ ...base, data: 'x' }))).toEqual({ ...base, data: 'x' });
  });

  it('fragments that disagree discard only their own event', () => {
    const r = new SseFragmentReassembler();
    const a = fragmentSseEvent({ ...base, data: 'aaaaaaaa' }, 2);
    const b = fragmentSseEvent({ ...base, id: 'other', data: 'bbbbbbbb' }, 2);
    r.push(a[0]!);
    r.push(b[0]!);
    expect(expectEnvelopeError(() => r.push({ ...a[1]!, frag: { i: 1, n: 5 } }), 'chunk-inconsistent').key).toBe('evt-9');
    r.push(a[0]!);
    expectEnvelopeError(() => r.push({ ...a[0]!, data: 'zz' }), 'chunk-inconsistent');
    r.push(a[0]!);
    expectEnvelopeError(() => r.push({ ...a[1]!, ev: 'error' }), 'chunk-inconsistent');
    let last: SseReassemblyResult | undefined;
    for (const f of b.slice(1)) last = r.push(f);
    expect(complete(last!).data).toBe('bbbbbbbb');
    expect(r.openCount).toBe(0);
  });

  it('bounds characters, open events and time; expiry is reported', () => {
    const clock = { t: 0 };
    const discarded: EnvelopeError[] = [];
    const r = new SseFragmentReassembler({ maxChars: 10, maxOpen: 2, timeoutMs: 100, now: () => clock.t, onDiscard: (e) => discarded.push(e) });
    const big = fragmentSseEvent({ ...base, data: 'x'.repeat(12) }, 4);
    r.push(big[0]!);
    r.push(big[1]!);
    expect(expectEnvelopeError(() => r.push(big[2]!), 'too-large').key).toBe('evt-9');
    expect(r.openCount).toBe(0);
    for (const id of ['a', 'b']) r.push(fragmentSseEvent({ ...base, id, data: 'yyyy' }, 2)[0]!);
    expectEnvelopeError(() => r.push(fragmentSseEvent({ ...base, id: 'c', data: 'yyyy' }, 2)[0]!), 'too-many-open');
    clock.t = 100;
    expect(r.sweep().map((e) => [e.code, e.key])).toEqual([
      ['timeout', 'a'],
      ['timeout', 'b'],
    ]);
    expect(discarded.length).toBe(2);
    expect(r.openCount).toBe(0);
  });

  it('a late repeat of a completed event is a duplicate; a new event reusing the id is reassembled', () => {
    const r = new SseFragmentReassembler();
    const frags = fragmentSseEvent({ ...base, data: 'abcd' }, 2);
    for (const f of frags) r.push(f);
    expect(r.push(frags[1]!).status).toBe('duplicate');
    expect(r.openCount).toBe(0);
    const next = fragmentSseEvent({ ...base, data: 'wxyz' }, 2);
    expect(r.push(next[1]!).status).toBe('pending');
    expect(complete(r.push(next[0]!)).data).toBe('wxyz');
  });

  it('open count never exceeds maxOpen under a random stream', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ id: fc.nat({ max: 8 }), i: fc.nat({ max: 3 }), dt: fc.nat({ max: 30 }) }), { maxLength: 100 }), (steps) => {
        let t = 0;
        const r = new SseFragmentReassembler({ maxOpen: 3, timeoutMs: 50, now: () => t });
        for (const s of steps) {
          t += s.dt;
          const f = fragmentSseEvent({ ...base, id: `e${s.id}`, data: `${s.id}`.repeat(8) }, 2)[s.i]!;
          try {
            r.push(f);
          } catch (e) {
            expect(e).toBeInstanceOf(EnvelopeError);
          }
          expect(r.openCount).toBeLessThanOrEqual(3);
        }
      }),
      { numRuns: 200 },
    );
  });
});
