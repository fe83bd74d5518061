import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_FLEX_LIMITS,
  EnvelopeError,
  flexAck,
  flexBackpressure,
  flexError,
  flexProgress,
  flexSuccess,
  parseFlexEnvelope,
  parseFlexReply,
  serializeFlexEnvelope,
  type FlexEnvelope,
  type JsonObject,
} from '../../runtime/envelope/index.ts';
import { accepted, expectEnvelopeError, expectRejected, utf8 } from './helpers.ts';

/** Seed 001 §5 / seed 003 Appendix A. */
const SEED = `{
  "v": 1,
  "ts": 1723622400000,
  "corr": "dE8x-7qF",
  "intent": "planner.execute",
  "body": {
    "objective": "Draft release notes from baseline BA-2025-08",
    "steps": [
      {"name": "persist.getBaseline", "arguments": {"corpusId": "fc-main", "baselineId": "BA-2025-08"}},
      {"name": "analytics.summarize", "arguments": {"corpusId": "fc-main"}}
    ]
  }
}`;

const env = (patch: Record<string, unknown> = {}): string =>
  JSON.stringify({ v: 1, ts: 1723622400000, corr: 'dE8x-7qF', intent: 'llm.chat', body: { messages: [] }, ...patch });

describe('Flex envelope: valid input', () => {
  it('parses the seed example from text and from UTF-8 bytes', () => {
    const fromText = accepted(parseFlexEnvelope(SEED));
    expect(fromText).toEqual(JSON.parse(SEED));
    expect(accepted(parseFlexEnvelope(utf8(SEED)))).toEqual(fromText);
  });

  it('serialises canonically: fixed envelope key order, body keys sorted at every level, no whitespace', () => {
    const e: FlexEnvelope = {
      body: { z: 1, a: { y: [true, null, 'é'], b: 0.5 } },
      intent: 'function.invoke',
      corr: 'c-1',
      ts: 5,
      v: 1,
    };
    expect(serializeFlexEnvelope(e)).toBe('{"v":1,"ts":5,"corr":"c-1","intent":"function.invoke","body":{"a":{"b":0.5,"y":[true,null,"é"]},"z":1}}');
  });

  it('canonical text does not depend on key insertion order and survives parse → serialise unchanged', () => {
    const parsed = accepted(parseFlexEnvelope(SEED));
    const text = serializeFlexEnvelope(parsed);
    const reordered = JSON.stringify({
      body: (JSON.parse(SEED) as { body: unknown }).body,
      intent: 'planner.execute',
      corr: 'dE8x-7qF',
      ts: 1723622400000,
      v: 1,
    });
    expect(serializeFlexEnvelope(accepted(parseFlexEnvelope(reordered)))).toBe(text);
    expect(serializeFlexEnvelope(accepted(parseFlexEnvelope(text)))).toBe(text);
  });

  it('round trips arbitrary bodies, correlation ids and intents', () => {
    const corr = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,40}$/);
    const intent = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}(\.[a-z0-9_-]{1,8}){0,3}$/);
    const body = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
    fc.assert(
      fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), corr, intent, body, (ts, c, i, b) => {
        fc.pre(!/"(__proto__|constructor|prototype)":/.test(JSON.stringify(b)));
        const e: FlexEnvelope = { v: 1, ts, corr: c, intent: i, body: b as JsonObject };
        const text = serializeFlexEnvelope(e);
        const back = accepted(parseFlexEnvelope(text));
        expect(back.corr).toBe(c);
        expect(back.ts).toBe(ts);
        expect(serializeFlexEnvelope(back)).toBe(text);
        expect(back.body).toEqual(JSON.parse(JSON.stringify(b)));
      }),
      { numRuns: 150 },
    );
  });
});

describe('Flex envelope: every invalid field is rejected with a reason', () => {
  const cases: [string, string, string, string][] = [
    ['missing v', JSON.stringify({ ts: 1, corr: 'a', intent: 'x', body: {} }), 'bad-field', '$.v'],
    ['v as string', env({ v: '1' }), 'bad-field', '$.v'],
    ['fractional v', env({ v: 1.5 }), 'bad-field', '$.v'],
    ['unknown v', env({ v: 2 }), 'unsupported-version', '$.v'],
    ['v 0', env({ v: 0 }), 'unsupported-version', '$.v'],
    ['missing ts', env({ ts: undefined }), 'bad-field', '$.ts'],
    ['missing corr', env({ corr: undefined }), 'bad-field', '$.corr'],
    ['missing intent', env({ intent: undefined }), 'bad-field', '$.intent'],
    ['missing body', env({ body: undefined }), 'bad-field', '$.body'],
    ['unknown field', env({ extra: 1 }), 'bad-field', '$.extra'],
    ['negative ts', env({ ts: -1 }), 'bad-field', '$.ts'],
    ['fractional ts', env({ ts: 1.5 }), 'bad-field', '$.ts'],
    ['ts as string', env({ ts: '1723622400000' }), 'bad-field', '$.ts'],
    ['ts beyond 2^53', '{"v":1,"ts":9007199254740993,"corr":"a","intent":"x","body":{}}', 'bad-field', '$.ts'],
    ['ts null', env({ ts: null }), 'bad-field', '$.ts'],
    ['empty corr', env({ corr: '' }), 'bad-field', '$.corr'],
    ['corr too long', env({ corr: 'a'.repeat(129) }), 'bad-field', '$.corr'],
    ['corr path traversal', env({ corr: '../etc/passwd' }), 'bad-field', '$.corr'],
    ['corr starting with a dot', env({ corr: '.hidden' }), 'bad-field', '$.corr'],
    ['corr with a space', env({ corr: 'a b' }), 'bad-field', '$.corr'],
    ['corr as number', env({ corr: 5 }), 'bad-field', '$.corr'],
    ['empty intent', env({ intent: '' }), 'bad-field', '$.intent'],
    ['intent starting with a digit', env({ intent: '1llm' }), 'bad-field', '$.intent'],
    ['intent with empty segment', env({ intent: 'llm..chat' }), 'bad-field', '$.intent'],
    ['intent with trailing dot', env({ intent: 'llm.' }), 'bad-field', '$.intent'],
    ['intent as array', env({ intent: ['llm.chat'] }), 'bad-field', '$.intent'],
    ['body array', env({ body: [] }), 'bad-field', '$.body'],
    ['body null', env({ body: null }), 'bad-field', '$.body'],
    ['body string', env({ body: '{}' }), 'bad-field', '$.body'],
    ['top-level array', '[1,2]', 'bad-field', '$'],
    ['top-level null', 'null', 'bad-field', '$'],
    ['top-level string', '"hello"', 'bad-field', '$'],
  ];
  for (const [name, text, code, path] of cases) {
    it(name, () => {
      expectRejected(parseFlexEnvelope(text), code as EnvelopeError['code'], path);
    });
  }
});

describe('Flex envelope: hostile JSON', () => {
  it('syntax errors, BOM, NUL and empty input are bad-json', () => {
    for (const text of ['', '{', '{"v":1,}', "{'v':1}", '\uFEFF' + env(), env() + '\u0000', 'NaN', '{"v":1} {"v":1}']) {
      expectRejected(parseFlexEnvelope(text), 'bad-json');
    }
  });

  it('invalid UTF-8 is bad-utf8, never replaced', () => {
    for (const bad of [[0xc3, 0x28], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xff], [0xf4, 0x90, 0x80, 0x80]]) {
      const bytes = new Uint8Array([...utf8('{"v":1,"x":"'), ...bad, ...utf8('"}')]);
      expectRejected(parseFlexEnvelope(bytes), 'bad-utf8');
    }
  });

  it('oversized text is refused by length before decoding or parsing (strings and bytes, UTF-8 counted)', () => {
    const big = `{"v":1,"pad":"${'x'.repeat(10_000_000)}"}`;
    const t0 = performance.now();
    expectRejected(parseFlexEnvelope(big), 'too-large');
    expectRejected(parseFlexEnvelope(utf8(big)), 'too-large');
    expect(performance.now() - t0).toBeLessThan(2000);
    // 30 000 three-byte characters = 90 000 UTF-8 bytes > 64 KiB although only 30 000 UTF-16 units.
    expectRejected(parseFlexEnvelope(env({ body: { s: '€'.repeat(30_000) } })), 'too-large');
    expect(accepted(parseFlexEnvelope(env({ body: { s: '€'.repeat(20_000) } }))).body.s).toHaveLength(20_000);
  });

  it('deep nesting is refused by the pre-scan, at the exact limit', () => {
    expectRejected(parseFlexEnvelope('['.repeat(60_000)), 'too-deep');
    expectRejected(parseFlexEnvelope('['.repeat(10_000_000), { maxBytes: 1e8, maxDepth: 32 }), 'too-deep');
    expectRejected(parseFlexEnvelope(`{"v":1,"body":${'{"a":'.repeat(60_000)}1${'}'.repeat(60_000)}}`), 'too-large');
    const nested = (n: number): string => env({ body: { a: 'HOLE' } }).replace('"HOLE"', `${'['.repeat(n)}${']'.repeat(n)}`);
    // envelope (1) + body (1) + n arrays ≤ maxDepth 32
    expect(accepted(parseFlexEnvelope(nested(30))).intent).toBe('llm.chat');
    const err = expectRejected(parseFlexEnvelope(nested(31)), 'too-deep');
    expect(err.offset).toBeGreaterThan(0);
  });

  it('prototype-pollution keys are refused anywhere, escaped or not, and nothing is polluted', () => {
    const texts = [
      '{"__proto__":{"polluted":1},"v":1}',
      env({ body: JSON.parse('{"__proto__":{"polluted":1}}') }),
      '{"v":1,"ts":1,"corr":"a","intent":"x","body":{"a":[{"b":{"__proto__":{"polluted":1}}}]}}',
      '{"v":1,"ts":1,"corr":"a","intent":"x","body":{"\\u005f_proto__":{"polluted":1}}}',
      '{"v":1,"ts":1,"corr":"a","intent":"x","body":{"constructor":{"prototype":{"polluted":1}}}}',
      '{"v":1,"ts":1,"corr":"a","intent":"x","body":{"prototype":1}}',
    ];
    for (const text of texts) expectRejected(parseFlexEnvelope(text), 'forbidden-key');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('duplicate keys are refused (parsers disagree on which wins), also when one is escaped', () => {
    expectRejected(parseFlexEnvelope('{"v":1,"v":2,"ts":1,"corr":"a","intent":"x","body":{}}'), 'duplicate-key');
    expectRejected(parseFlexEnvelope('{"v":1,"\\u0076":1,"ts":1,"corr":"a","intent":"x","body":{}}'), 'duplicate-key');
    expectRejected(parseFlexEnvelope('{"v":1,"ts":1,"corr":"a","intent":"x","body":{"k":1,"o":{"k":1},"k":2}}'), 'duplicate-key');
    // The same key in sibling objects is fine.
    expect(accepted(parseFlexEnvelope('{"v":1,"ts":1,"corr":"a","intent":"x","body":{"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":2}]}}')).body).toEqual({
      a: { k: 1 },
      b: { k: 2 },
      c: [{ k: 1 }, { k: 2 }],
    });
  });

  it('keys and braces inside strings do not confuse the pre-scan', () => {
    const body = { text: '{"__proto__":1,"v":2} [[[[ \\" }', k: 'v' };
    expect(accepted(parseFlexEnvelope(env({ body }))).body).toEqual(body);
  });

  it('arbitrary text never throws: a typed error or a valid envelope', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.json({ maxDepth: 4 })), (text) => {
        const r = parseFlexEnvelope(text);
        if (!r.ok) expect(r.error).toBeInstanceOf(EnvelopeError);
      }),
      { numRuns: 500 },
    );
  });

  it('mutated valid envelopes never throw', () => {
    fc.assert(
      fc.property(fc.nat(), fc.string({ maxLength: 3 }), fc.nat({ max: 4 }), (pos, ins, del) => {
        const at = pos % SEED.length;
        const text = SEED.slice(0, at) + ins + SEED.slice(at + del);
        const r = parseFlexEnvelope(text);
        if (!r.ok) expect(r.error).toBeInstanceOf(EnvelopeError);
        else expect(serializeFlexEnvelope(r.value)).toBe(serializeFlexEnvelope(accepted(parseFlexEnvelope(serializeFlexEnvelope(r.value)))));
      }),
      { numRuns: 500 },
    );
  });

  it('input that is neither text nor bytes is a bad-field', () => {
    for (const junk of [null, 42, { v: 1 }, [1]]) expectRejected(parseFlexEnvelope(junk as unknown as string), 'bad-field');
  });

  it('limits are configurable', () => {
    expectRejected(parseFlexEnvelope(SEED, { maxBytes: 100, maxDepth: 32 }), 'too-large');
    expectRejected(parseFlexEnvelope(SEED, { maxBytes: 4096, maxDepth: 3 }), 'too-deep');
    expect(DEFAULT_FLEX_LIMITS).toEqual({ maxBytes: 65536, maxDepth: 32 });
  });
});

describe('Flex envelope: serialisation refuses what parsing would refuse', () => {
  const base: FlexEnvelope = { v: 1, ts: 1, corr: 'c', intent: 'x', body: {} };
  const withBody = (body: unknown): FlexEnvelope => ({ ...base, body: body as JsonObject });
  it('non-JSON values, with their path', () => {
    expect(expectEnvelopeError(() => serializeFlexEnvelope(withBody({ n: 1n })), 'bad-field').path).toBe('$.body.n');
    expect(expectEnvelopeError(() => serializeFlexEnvelope(withBody({ a: [1, Number.NaN] })), 'bad-field').path).toBe('$.body.a[1]');
    expect(expectEnvelopeError(() => serializeFlexEnvelope(withBody({ a: [undefined] })), 'bad-field').path).toBe('$.body.a[0]');
    expect(expectEnvelopeError(() => serializeFlexEnvelope(withBody({ d: new Date(0) })), 'bad-field').path).toBe('$.body.d');
    expect(expectEnvelopeError(() => serializeFlexEnvelope(withBody({ f: () => 1 })), 'bad-field').path).toBe('$.body.f');
    expect(expectEnvelopeError(() => serializeFlexEnvelope(withBody({ 'odd key': { x: Infinity } })), 'bad-field').path).toBe('$.body["odd key"].x');
    // undefined properties are omitted, as JSON.stringify does
    expect(serializeFlexEnvelope(withBody({ a: undefined, b: 1 }))).toBe('{"v":1,"ts":1,"corr":"c","intent":"x","body":{"b":1}}');
  });

  it('cycles, depth, forbidden keys, size and invalid envelope fields', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expectEnvelopeError(() => serializeFlexEnvelope(withBody(cyclic)), 'too-deep');
    expectEnvelopeError(() => serializeFlexEnvelope(withBody({ ['__proto__']: 1 })), 'forbidden-key');
    expectEnvelopeError(() => serializeFlexEnvelope(withBody({ s: 'x'.repeat(70_000) })), 'too-large');
    expectEnvelopeError(() => serializeFlexEnvelope({ ...base, corr: '../x' }), 'bad-field');
    expectEnvelopeError(() => serializeFlexEnvelope({ ...base, v: 2 as 1 }), 'unsupported-version');
  });
});

describe('flex.reply', () => {
  it('ack, progress, success share the request corr and serialise exactly', () => {
    const req = accepted(parseFlexEnvelope(SEED));
    const texts = [
      flexAck(req.corr, 10),
      flexProgress(req.corr, 11, { done: 1, total: 2, note: 'persist.getBaseline' }),
      flexSuccess(req.corr, 12, { status: 'success', results: [] }),
    ].map((e) => serializeFlexEnvelope(e));
    expect(texts).toEqual([
      '{"v":1,"ts":10,"corr":"dE8x-7qF","intent":"flex.reply","body":{"ack":true}}',
      '{"v":1,"ts":11,"corr":"dE8x-7qF","intent":"flex.reply","body":{"ack":true,"progress":{"done":1,"note":"persist.getBaseline","total":2}}}',
      '{"v":1,"ts":12,"corr":"dE8x-7qF","intent":"flex.reply","body":{"ack":true,"success":{"results":[],"status":"success"}}}',
    ]);
    const replies = texts.map((t) => accepted(parseFlexReply(t)));
    expect(replies.map((r) => [r.kind, r.corr])).toEqual([
      ['ack', 'dE8x-7qF'],
      ['progress', 'dE8x-7qF'],
      ['success', 'dE8x-7qF'],
    ]);
    expect(replies[1]).toMatchObject({ progress: { done: 1, total: 2 } });
    expect(replies[2]).toMatchObject({ result: { status: 'success', results: [] } });
  });

  it('errors: accepted-then-failed, and back-pressure refusal with a retry hint', () => {
    const failed = accepted(parseFlexReply(serializeFlexEnvelope(flexError('c1', 5, { code: 'upstream', message: 'HTTP 502' }))));
    expect(failed).toEqual({ kind: 'error', corr: 'c1', ts: 5, accepted: true, error: { code: 'upstream', message: 'HTTP 502' } });
    const bp = serializeFlexEnvelope(flexBackpressure('c2', 6, 250));
    expect(bp).toBe(
      '{"v":1,"ts":6,"corr":"c2","intent":"flex.reply","body":{"ack":false,"error":{"code":"backpressure","message":"rate limited, retry later","retryAfterMs":250}}}',
    );
    expect(accepted(parseFlexReply(bp))).toMatchObject({ kind: 'error', accepted: false, error: { code: 'backpressure', retryAfterMs: 250 } });
  });

  const reply = (body: unknown, intent = 'flex.reply'): string => JSON.stringify({ v: 1, ts: 1, corr: 'c', intent, body });
  const bad: [string, string, string, string][] = [
    ['not a reply intent', reply({ ack: true }, 'llm.chat'), 'bad-field', '$.intent'],
    ['missing ack', reply({}), 'bad-field', '$.body.ack'],
    ['ack as string', reply({ ack: 'yes' }), 'bad-field', '$.body.ack'],
    ['unknown body field', reply({ ack: true, result: 1 }), 'bad-field', '$.body.result'],
    ['two outcomes', reply({ ack: true, success: 1, error: { code: 'x', message: '' } }), 'bad-field', '$.body'],
    ['ack:false without error', reply({ ack: false }), 'bad-field', '$.body.ack'],
    ['ack:false with success', reply({ ack: false, success: {} }), 'bad-field', '$.body.ack'],
    ['progress not an object', reply({ ack: true, progress: 0.5 }), 'bad-field', '$.body.progress'],
    ['progress without done', reply({ ack: true, progress: { total: 3 } }), 'bad-field', '$.body.progress.done'],
    ['progress done > total', reply({ ack: true, progress: { done: 4, total: 3 } }), 'bad-field', '$.body.progress.done'],
    ['progress unknown field', reply({ ack: true, progress: { done: 1, pct: 3 } }), 'bad-field', '$.body.progress.pct'],
    ['error without message', reply({ ack: true, error: { code: 'x' } }), 'bad-field', '$.body.error.message'],
    ['error code with spaces', reply({ ack: true, error: { code: 'a b', message: '' } }), 'bad-field', '$.body.error.code'],
    ['negative retry hint', reply({ ack: false, error: { code: 'x', message: '', retryAfterMs: -1 } }), 'bad-field', '$.body.error.retryAfterMs'],
    [
      'back-pressure without retry hint',
      reply({ ack: false, error: { code: 'backpressure', message: 'slow down' } }),
      'bad-field',
      '$.body.error.retryAfterMs',
    ],
  ];
  for (const [name, text, code, path] of bad) {
    it(`rejects ${name}`, () => {
      expectRejected(parseFlexReply(text), code as EnvelopeError['code'], path);
    });
  }

  it('builders refuse invalid replies instead of emitting them', () => {
    expectEnvelopeError(() => flexAck('bad corr', 1), 'bad-field');
    expectEnvelopeError(() => flexProgress('c', 1, { done: 3, total: 2 }), 'bad-field');
    expectEnvelopeError(() => flexBackpressure('c', 1, -5), 'bad-field');
    expectEnvelopeError(() => flexError('c', 1, { code: 'backpressure', message: 'x' }), 'bad-field');
  });
});
