import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FLAG_RETRANSMISSION, FrameError, FrameKind } from '../../runtime/lanes/frame.ts';
import { FLEX_FRAME, decodeFlexFrame, encodeFlexFrame, encodeFlexFrameText, isFlexFrame, type FlexFrame } from '../../runtime/lanes/flex-frame.ts';
import { crc32 } from '../../runtime/envelope/crc32.ts';
import { EnvelopeError } from '../../runtime/envelope/errors.ts';
import type { EnvelopeHeader, Qos } from '../../runtime/envelope/header.ts';
import { FORBIDDEN_KEYS, type JsonValue } from '../../runtime/envelope/json.ts';
import { UmpError, UmpReader, type FlexTextMessage, type UmpEvent } from '../../runtime/ump/index.ts';
import { topics } from '../../generated/registry.ts';
import { hexWords, words } from '../ump/helpers.ts';

const sse = topics['sse/stream/{id}'];
const U64_MAX = (1n << 64n) - 1n;
const LIMIT = 64 * 1024;

/** The one flex-text message the words reassemble to (fails on anything else). */
function reassemble(w: Uint32Array): FlexTextMessage {
  const events: UmpEvent[] = new UmpReader().push(w);
  expect(events.filter((e) => e instanceof UmpError)).toEqual([]);
  expect(events).toHaveLength(1);
  const m = events[0]!;
  if (m instanceof UmpError || m.kind !== 'flex-text') throw new Error(`expected flex-text, got ${m instanceof UmpError ? m.message : m.kind}`);
  return m;
}

/** `json` with its checksum in front, as a sender would write it. */
const sign = (json: string) => `${crc32(json).toString(16).padStart(8, '0')} ${json}`;

/** The FrameError decoding `text` throws. */
function refusal(text: string, maxBytes = LIMIT): FrameError {
  try {
    decodeFlexFrame(text, maxBytes);
  } catch (err) {
    if (err instanceof FrameError) return err;
    throw err;
  }
  throw new Error(`accepted: ${text.slice(0, 200)}`);
}

// ---- golden frames: JSON texts written by hand; CRC-32 and words computed outside midl (Python
// zlib.crc32, bytes cut by 12 into D1s00100 words) and checked against docs/wire.md "Flex Data": word 0 is
// MT 0xD, group 1, format (0x5_ Start, 0x9_ Continue, 0xD_ End) with addressing 1 and channel 0 in the
// low nibble, bank 0x01, status 0x00; words 1–3 the next 12 text bytes, the last packet 0x00-padded.

const PUB_JSON =
  '{"k":"pub","s":"42","f":0,"a":"sse/stream/r1","t":2010265532,"v":[0,1],"sid":305419896,"c":"0","ts":"1700000000000000","q":1,' +
  '"cap":"0000000010000000","body":{"data":"Hi","ev":"message","id":"r1","seq":"3","v":1}}';
const PUB_TEXT = `d3ee3a75 ${PUB_JSON}`;
const PUB_WORDS = [
  'D1500100 64336565 33613735 207B226B', // Start: "d3ee3a75 {"k"
  'D1900100 223A2270 7562222C 2273223A',
  'D1900100 22343222 2C226622 3A302C22',
  'D1900100 61223A22 7373652F 73747265',
  'D1900100 616D2F72 31222C22 74223A32',
  'D1900100 30313032 36353533 322C2276',
  'D1900100 223A5B30 2C315D2C 22736964',
  'D1900100 223A3330 35343139 3839362C',
  'D1900100 2263223A 2230222C 22747322',
  'D1900100 3A223137 30303030 30303030',
  'D1900100 30303030 3030222C 2271223A',
  'D1900100 312C2263 6170223A 22303030',
  'D1900100 30303030 30313030 30303030',
  'D1900100 30222C22 626F6479 223A7B22',
  'D1900100 64617461 223A2248 69222C22',
  'D1900100 6576223A 226D6573 73616765',
  'D1900100 222C2269 64223A22 7231222C',
  'D1900100 22736571 223A2233 222C2276',
  'D1D00100 223A317D 7D000000 00000000', // End: '":1}}' and 7 bytes of padding (221 bytes in all)
].join(' ');

const pubHeader: EnvelopeHeader = {
  topicId: sse.id,
  schemaMajor: 0,
  schemaMinor: 1,
  sessionId: 0x12345678,
  corrId: 0n,
  timestampUs: 1_700_000_000_000_000n,
  qos: 1,
  capabilities: sse.publish,
};
const pubValue = sse.payload.fromJSON({ v: 1, ev: 'message', id: 'r1', seq: '3', data: 'Hi' });
const pubFrame: FlexFrame = { kind: FrameKind.Publish, flags: 0, seq: 42n, address: 'sse/stream/r1', header: pubHeader, body: sse.payload.toJSON(pubValue) };

const ERR_JSON =
  '{"k":"err","s":"18446744073709551615","f":1,"a":"llm/tool.invoke/reply/9","t":2815528331,"v":[0,1],"sid":1,"c":"9",' +
  '"ts":"1700000000000001","q":1,"cap":"ffffffffffffffff","body":{"code":0,"message":"nobody serves this topic — try later","name":"NO_RESPONDER"}}';
const ERR_TEXT = `2ae2dcb1 ${ERR_JSON}`;
const ERR_WORDS = [
  'D1500100 32616532 64636231 207B226B',
  'D1900100 223A2265 7272222C 2273223A',
  'D1900100 22313834 34363734 34303733',
  'D1900100 37303935 35313631 35222C22',
  'D1900100 66223A31 2C226122 3A226C6C',
  'D1900100 6D2F746F 6F6C2E69 6E766F6B',
  'D1900100 652F7265 706C792F 39222C22',
  'D1900100 74223A32 38313535 32383333',
  'D1900100 312C2276 223A5B30 2C315D2C',
  'D1900100 22736964 223A312C 2263223A',
  'D1900100 2239222C 22747322 3A223137',
  'D1900100 30303030 30303030 30303030',
  'D1900100 3031222C 2271223A 312C2263',
  'D1900100 6170223A 22666666 66666666',
  'D1900100 66666666 66666666 66222C22',
  'D1900100 626F6479 223A7B22 636F6465',
  'D1900100 223A302C 226D6573 73616765',
  'D1900100 223A226E 6F626F64 79207365',
  'D1900100 72766573 20746869 7320746F',
  'D1900100 70696320 E2809420 74727920', // "pic — try ": the em dash is E2 80 94
  'D1900100 6C617465 72222C22 6E616D65',
  'D1900100 223A224E 4F5F5245 53504F4E',
  'D1D00100 44455222 7D7D0000 00000000', // End: 'DER"}}' (270 bytes in all)
].join(' ');

const errFrame: FlexFrame = {
  kind: FrameKind.ErrorReply,
  flags: FLAG_RETRANSMISSION,
  seq: U64_MAX,
  address: 'llm/tool.invoke/reply/9',
  header: {
    topicId: topics['llm/tool.invoke'].id,
    schemaMajor: 0,
    schemaMinor: 1,
    sessionId: 1,
    corrId: 9n,
    timestampUs: 1_700_000_000_000_001n,
    qos: 1,
    capabilities: U64_MAX,
  },
  body: { name: 'NO_RESPONDER', code: 0, message: 'nobody serves this topic — try later' },
};

describe('golden flex frames', () => {
  it('a publish: exact text and words, and back', () => {
    expect(encodeFlexFrameText(pubFrame)).toBe(PUB_TEXT);
    expect(hexWords(encodeFlexFrame(pubFrame))).toBe(PUB_WORDS);
    const m = reassemble(words(PUB_WORDS));
    expect(m).toEqual({ kind: 'flex-text', group: 1, addressing: 'group', channel: 0, bank: 1, status: 0, text: PUB_TEXT });
    expect(isFlexFrame(m)).toBe(true);
    const back = decodeFlexFrame(m.text, LIMIT);
    expect(back).toEqual(pubFrame);
    expect(sse.payload.fromJSON(back.body)).toEqual(pubValue);
  });

  it('an error reply (retransmitted, u64 maxima, a multi-byte character): exact text and words, and back', () => {
    expect(encodeFlexFrameText(errFrame)).toBe(ERR_TEXT);
    expect(hexWords(encodeFlexFrame(errFrame))).toBe(ERR_WORDS);
    expect(decodeFlexFrame(reassemble(words(ERR_WORDS)).text, LIMIT)).toEqual(errFrame);
  });

  it('FLEX_FRAME is the address of the words and isFlexFrame checks all five fields', () => {
    const m = reassemble(words(PUB_WORDS));
    expect(FLEX_FRAME).toEqual({ group: 1, addressing: 'group', channel: 0, bank: 1, status: 0 });
    for (const other of [{ group: 0 }, { addressing: 'channel' as const }, { channel: 1 }, { bank: 2 }, { status: 1 }]) {
      expect(isFlexFrame({ ...m, ...other })).toBe(false);
    }
  });

  it('member order and whitespace do not matter when reading', () => {
    const spaced =
      '{ "body" : {"v":1,"seq":"3","id":"r1","ev":"message","data":"Hi"}, "cap":"0000000010000000", "q":1, "ts":"1700000000000000",\n' +
      '"c":"0", "sid":305419896, "v":[0, 1], "t":2010265532, "a":"sse/stream/r1", "f":0, "s":"42", "k":"pub" }';
    expect(decodeFlexFrame(sign(spaced), LIMIT)).toEqual(pubFrame);
  });
});

// ---- round trip

const forbiddenKey = new RegExp(`"(?:${Array.from(FORBIDDEN_KEYS).join('|')})":`);
const jsonBody: fc.Arbitrary<JsonValue> = fc
  .jsonValue({ maxDepth: 6, stringUnit: 'binary' })
  .filter((v) => !forbiddenKey.test(JSON.stringify(v)))
  .map((v) => v as JsonValue);

const header: fc.Arbitrary<EnvelopeHeader> = fc.record({
  topicId: fc.nat({ max: 0xffff_ffff }),
  schemaMajor: fc.nat({ max: 0xffff }),
  schemaMinor: fc.nat({ max: 0xffff }),
  sessionId: fc.nat({ max: 0xffff_ffff }),
  corrId: fc.bigInt({ min: 0n, max: U64_MAX }),
  timestampUs: fc.bigInt({ min: 0n, max: U64_MAX }),
  qos: fc.constantFrom<Qos>(0, 1, 2),
  capabilities: fc.bigInt({ min: 0n, max: U64_MAX }),
});

const errorBody: fc.Arbitrary<JsonValue> = fc.record({
  name: fc.string({ minLength: 1, maxLength: 30 }),
  code: fc.nat({ max: 0xffff }),
  message: fc.string({ unit: 'binary', maxLength: 80 }),
});

const frame: fc.Arbitrary<FlexFrame> = fc
  .record({
    kind: fc.constantFrom<FrameKind>(FrameKind.Publish, FrameKind.Request, FrameKind.Reply, FrameKind.ErrorReply),
    flags: fc.constantFrom(0, FLAG_RETRANSMISSION),
    seq: fc.bigInt({ min: 0n, max: U64_MAX }),
    address: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.stringMatching(/^[a-z]+(\/[a-z0-9.{}-]+){0,5}$/)),
    header,
    body: jsonBody,
    errorBody,
  })
  .map(({ errorBody: e, ...f }) => (f.kind === FrameKind.ErrorReply ? { ...f, body: e } : f));

describe('round trip', () => {
  it('encodeFlexFrame → UmpReader → decodeFlexFrame gives the parts back', () => {
    fc.assert(
      fc.property(frame, (f) => {
        const m = reassemble(encodeFlexFrame(f));
        expect(isFlexFrame(m)).toBe(true);
        // The body comes back as JSON text carries it: key order aside (toEqual ignores it), and -0 as 0.
        expect(decodeFlexFrame(m.text, LIMIT)).toEqual({ ...f, body: JSON.parse(JSON.stringify(f.body)) as JsonValue });
      }),
      { numRuns: 300 },
    );
  });

  it('a realistic SSE event survives and stays readable as plain JSON text', () => {
    const tokens = 'Voilà — the naïve café ordered "🎹 piano" lessons\nline two\ttabbed, back\\slash, 日本語のテキスト, emoji 👩‍🎤 ';
    const value = sse.payload.fromJSON({
      v: 1,
      ev: 'message',
      id: 'resp_01HZX9',
      ct: 'text/plain; charset=utf-8',
      seq: '1234567890123',
      frag: { i: 2, n: 5 },
      ts: 1_700_000_000.25,
      data: tokens.repeat(40),
    });
    const f: FlexFrame = {
      kind: FrameKind.Publish,
      flags: 0,
      seq: 9001n,
      address: 'sse/stream/resp_01HZX9',
      header: { ...pubHeader, qos: 1 },
      body: sse.payload.toJSON(value),
    };
    const w = encodeFlexFrame(f);
    const m = reassemble(w);
    const back = decodeFlexFrame(m.text, sse.maxPayload + 1024);
    expect(sse.payload.fromJSON(back.body)).toEqual(value);
    // What an operator tailing the lane sees: one plain JSON object after the checksum, tokens written out.
    expect(m.text).toMatch(/^[0-9a-f]{8} \{"k":"pub"/);
    expect(m.text).toContain('Voilà — the naïve café ordered \\"🎹 piano\\" lessons\\nline two\\ttabbed');
    const plain = JSON.parse(m.text.slice(9)) as { a: string; body: { data: string; ev: string } };
    expect(plain.a).toBe('sse/stream/resp_01HZX9');
    expect(plain.body.data).toBe(tokens.repeat(40));
    expect(plain.body.ev).toBe('message');
    expect(w.length / 4).toBe(Math.ceil(new TextEncoder().encode(m.text).length / 12));
  });

  it('a text longer than the limit is refused; at the limit it is read', () => {
    const bytes = new TextEncoder().encode(ERR_TEXT).length;
    expect(decodeFlexFrame(ERR_TEXT, bytes)).toEqual(errFrame);
    const e = refusal(ERR_TEXT, bytes - 1);
    expect(e.message).toBe(`flex frame text is more than ${bytes - 1} UTF-8 bytes (at byte ${bytes - 1})`);
    expect(() => decodeFlexFrame(ERR_TEXT, Number.NaN)).toThrow(RangeError);
  });
});

// ---- refusals

/** The golden publish as an object, changed by `edit`, serialised and signed. */
function variant(edit: (o: Record<string, unknown>) => void): string {
  const o = JSON.parse(PUB_JSON) as Record<string, unknown>;
  edit(o);
  return sign(JSON.stringify(o));
}

describe('refusals', () => {
  const cases: [string, (o: Record<string, unknown>) => void, string][] = [
    ['unknown member', (o) => (o.x = 1), 'flex frame /x: unknown member'],
    ['missing member', (o) => delete o.body, 'flex frame /body: missing member'],
    ['unknown kind', (o) => (o.k = 'pop'), 'flex frame /k: expected "pub", "req", "rep" or "err", got "pop"'],
    ['kind of the wrong type', (o) => (o.k = 1), 'flex frame /k: expected a string, got number'],
    ['seq as a number', (o) => (o.s = 42), 'flex frame /s: expected a decimal integer string, got number'],
    ['seq with a leading zero', (o) => (o.s = '042'), 'flex frame /s: expected a decimal integer string, got "042"'],
    ['seq with a plus sign', (o) => (o.s = '+42'), 'flex frame /s: expected a decimal integer string, got "+42"'],
    ['seq -0', (o) => (o.s = '-0'), 'flex frame /s: expected a decimal integer string, got "-0"'],
    ['negative seq', (o) => (o.s = '-1'), 'flex frame /s: -1 is outside 0..18446744073709551615'],
    ['seq above u64', (o) => (o.s = '18446744073709551616'), 'flex frame /s: 18446744073709551616 is outside 0..18446744073709551615'],
    ['seq in exponent form', (o) => (o.s = '1e3'), 'flex frame /s: expected a decimal integer string, got "1e3"'],
    ['corr with a leading zero', (o) => (o.c = '00'), 'flex frame /c: expected a decimal integer string, got "00"'],
    ['timestamp as a number', (o) => (o.ts = 1700000000000000), 'flex frame /ts: expected a decimal integer string, got number'],
    ['flag 2', (o) => (o.f = 2), 'flex frame /f: 2 is outside 0..1'],
    ['flag as a boolean', (o) => (o.f = true), 'flex frame /f: expected an integer, got boolean'],
    ['topic id above u32', (o) => (o.t = 2 ** 32), 'flex frame /t: 4294967296 is outside 0..4294967295'],
    ['topic id as a string', (o) => (o.t = '1'), 'flex frame /t: expected an integer, got a string'],
    ['fractional topic id', (o) => (o.t = 1.5), 'flex frame /t: expected an integer, got 1.5'],
    ['negative session id', (o) => (o.sid = -1), 'flex frame /sid: -1 is outside 0..4294967295'],
    ['schema major above u16', (o) => (o.v = [65536, 0]), 'flex frame /v/0: 65536 is outside 0..65535'],
    ['schema version of one element', (o) => (o.v = [1]), 'flex frame /v: expected [major, minor], got 1 elements'],
    ['schema version as a string', (o) => (o.v = '0.1'), 'flex frame /v: expected an array, got a string'],
    ['QoS 3', (o) => (o.q = 3), 'flex frame /q: 3 is outside 0..2'],
    ['upper-case capability mask', (o) => (o.cap = '00000000A0000000'), 'flex frame /cap: expected 16 lowercase hex digits, got "00000000A0000000"'],
    ['short capability mask', (o) => (o.cap = '10000000'), 'flex frame /cap: expected 16 lowercase hex digits, got "10000000"'],
    ['capability mask as a number', (o) => (o.cap = 3), 'flex frame /cap: expected a string, got number'],
    ['address as a number', (o) => (o.a = 7), 'flex frame /a: expected a string, got number'],
    ['address of 1025 bytes', (o) => (o.a = 'a'.repeat(1025)), 'flex frame /a: address is more than 1024 UTF-8 bytes'],
    ['address of 342 characters, 1026 bytes', (o) => (o.a = '€'.repeat(342)), 'flex frame /a: address is more than 1024 UTF-8 bytes'],
    ['address with a lone surrogate', (o) => (o.a = 'a/\ud800'), 'flex frame /a: address contains a lone surrogate'],
    ['error body that is a string', (o) => ((o.k = 'err'), (o.body = 'oops')), 'flex frame /body: expected an object, got a string'],
    ['error body without a name', (o) => ((o.k = 'err'), (o.body = { code: 1, message: '' })), 'flex frame /body/name: missing member'],
    [
      'error body with an extra member',
      (o) => ((o.k = 'err'), (o.body = { name: 'X', code: 1, message: '', detail: 1 })),
      'flex frame /body/detail: unknown member',
    ],
    ['error code above u16', (o) => ((o.k = 'err'), (o.body = { name: 'X', code: 65536, message: '' })), 'flex frame /body/code: 65536 is outside 0..65535'],
    ['empty error name', (o) => ((o.k = 'err'), (o.body = { name: '', code: 1, message: '' })), 'flex frame /body/name: expected a non-empty error name'],
    [
      'error message as null',
      (o) => ((o.k = 'err'), (o.body = { name: 'X', code: 1, message: null })),
      'flex frame /body/message: expected a string, got null',
    ],
  ];
  it.each(cases)('%s', (_, edit, message) => {
    const e = refusal(variant(edit));
    expect(e).toBeInstanceOf(FrameError);
    expect(e.message).toBe(`${message} (at byte 9)`);
    expect(e.offset).toBe(9);
  });

  it('any body is fine for pub, req and rep (it is the codec that judges it)', () => {
    for (const k of ['pub', 'req', 'rep']) {
      for (const body of [null, 0, 'x', [], {}, { name: 1 }]) {
        expect(
          decodeFlexFrame(
            variant((o) => ((o.k = k), (o.body = body))),
            LIMIT,
          ).body,
        ).toEqual(body);
      }
    }
  });

  it('a duplicate member, at the byte where it repeats', () => {
    const json = PUB_JSON.replace('"f":0,', '"f":0,"s":"43",');
    const e = refusal(sign(json));
    expect(e.message).toMatch(/^flex frame JSON: duplicate-key: key "s" appears twice in one object/);
    expect(e.offset).toBe(9 + json.indexOf('"s":"43"'));
  });

  it('a duplicate key inside the body too (parsers disagree on which one wins)', () => {
    expect(refusal(sign(PUB_JSON.replace('"data":"Hi"', '"data":"Hi","data":"Ho"'))).message).toMatch(/duplicate-key: key "data"/);
  });

  it('forbidden keys, nesting too deep, bad JSON, a non-object', () => {
    expect(refusal(sign(PUB_JSON.replace('"data":"Hi"', '"__proto__":{"polluted":1}'))).message).toMatch(/^flex frame JSON: forbidden-key: key "__proto__"/);
    const deep = PUB_JSON.replace('"body":{', `"body":${'['.repeat(40)}0${']'.repeat(40)},"x":{`);
    expect(refusal(sign(deep)).message).toMatch(/^flex frame JSON: too-deep: nesting deeper than 32/);
    expect(refusal(sign(PUB_JSON.slice(0, -1))).message).toMatch(/^flex frame JSON: bad-json: /);
    expect(refusal(sign('[1,2]')).message).toBe('flex frame /: expected an object, got an array (at byte 9)');
    expect(refusal(sign('"text"')).message).toBe('flex frame /: expected an object, got a string (at byte 9)');
  });

  it('JSON error offsets are UTF-8 bytes of the text', () => {
    const json = `{"a":"€€","a":1}`;
    expect(refusal(sign(json)).offset).toBe(9 + new TextEncoder().encode('{"a":"€€",').length);
  });

  it('a malformed checksum prefix', () => {
    const upper = `D3EE3A75 ${PUB_JSON}`;
    expect(refusal(upper).message).toBe('flex frame text must start with 8 lowercase hex digits of its checksum and a space, got "D3EE3A75 " (at byte 0)');
    expect(refusal(PUB_JSON).message).toMatch(/^flex frame text must start with 8 lowercase hex digits/);
    expect(refusal(`d3ee3a75${PUB_JSON}`).message).toMatch(/^flex frame text must start with 8 lowercase hex digits/);
    expect(refusal('').message).toBe('flex frame text must start with 8 lowercase hex digits of its checksum and a space, got "" (at byte 0)');
  });

  it('a checksum mismatch', () => {
    const e = refusal(PUB_TEXT.replace('"s":"42"', '"s":"43"'));
    expect(e.message).toMatch(/^checksum mismatch \(frame says 0xd3ee3a75, text gives 0x[0-9a-f]{8}\) \(at byte 0\)$/);
    expect(e.offset).toBe(0);
  });

  it('two messages spliced by a transport that skipped a gap fail the checksum', () => {
    // Same address, same length: the Start of one frame and the Continue…End of another reassemble cleanly.
    const a = encodeFlexFrame({ ...pubFrame, seq: 100n, body: { ...(pubFrame.body as object), data: 'aaaa' } });
    const b = encodeFlexFrame({ ...pubFrame, seq: 101n, body: { ...(pubFrame.body as object), data: 'bbbb' } });
    expect(a.length).toBe(b.length);
    const spliced = new Uint32Array(a.length);
    spliced.set(a.subarray(0, 8));
    spliced.set(b.subarray(8), 8);
    const m = reassemble(spliced);
    expect(isFlexFrame(m)).toBe(true);
    expect(refusal(m.text).message).toMatch(/^checksum mismatch/);
  });

  it('a lone surrogate in the text itself (it cannot have come off the wire)', () => {
    const e = refusal(`${PUB_TEXT.slice(0, 20)}\udc00${PUB_TEXT.slice(20)}`);
    expect(e.message).toBe('flex frame text contains a lone surrogate (not UTF-8) (at byte 20)');
  });
});

describe('encoder refusals (what no decoder would accept is never written)', () => {
  it('throws RangeError or EnvelopeError', () => {
    expect(() => encodeFlexFrame({ ...pubFrame, address: 'a'.repeat(1025) })).toThrow(RangeError);
    expect(() => encodeFlexFrame({ ...pubFrame, address: 'a/\ud800' })).toThrow(RangeError);
    expect(() => encodeFlexFrame({ ...pubFrame, flags: 2 })).toThrow(RangeError);
    expect(() => encodeFlexFrame({ ...pubFrame, seq: -1n })).toThrow(RangeError);
    expect(() => encodeFlexFrame({ ...pubFrame, kind: 9 as FrameKind })).toThrow(RangeError);
    expect(() => encodeFlexFrame({ ...pubFrame, header: { ...pubHeader, chunk: { index: 0, total: 1, size: 0, crc32: 0 } } })).toThrow(RangeError);
    expect(() => encodeFlexFrame({ ...errFrame, body: { name: 'X', code: 1 } })).toThrow(/error reply body \/body\/message: missing member/);
    expect(() => encodeFlexFrame({ ...pubFrame, header: { ...pubHeader, topicId: -1 } })).toThrow(EnvelopeError);
    expect(() => encodeFlexFrame({ ...pubFrame, body: { x: Number.NaN } })).toThrow(EnvelopeError);
    expect(() => encodeFlexFrame({ ...pubFrame, body: JSON.parse('{"__proto__":1}') as JsonValue })).toThrow(EnvelopeError);
    expect(() => encodeFlexFrame(pubFrame, PUB_TEXT.length - 1)).toThrow(`flex frame text is more than ${PUB_TEXT.length - 1} UTF-8 bytes`);
    expect(encodeFlexFrameText(pubFrame, PUB_TEXT.length)).toBe(PUB_TEXT);
  });

  it('writes the body with sorted keys whatever their insertion order', () => {
    const f = { ...pubFrame, body: { z: 1, a: { y: [1, { d: 0, c: 0 }], b: null } } };
    expect(encodeFlexFrameText(f)).toContain('"body":{"a":{"b":null,"y":[1,{"c":0,"d":0}]},"z":1}}');
  });
});

// ---- fuzz

/** Decodes; anything thrown must be a FrameError. */
function survives(text: string, maxBytes = LIMIT): void {
  try {
    decodeFlexFrame(text, maxBytes);
  } catch (err) {
    if (!(err instanceof FrameError)) throw err;
  }
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), s: fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }) }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    s: fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', ':', '-', '0', 'e', ' ', '"k":"err",', '\\u0000', '\\ud800'),
  }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
);

type Mutation = { op: 'set' | 'insert'; at: number; s: string } | { op: 'delete'; at: number; n: number };

function mutate(text: string, ms: readonly Mutation[]): string {
  let t = text;
  for (const m of ms) {
    const at = t.length === 0 ? 0 : m.at % t.length;
    if (m.op === 'delete') t = t.slice(0, at) + t.slice(at + m.n);
    else t = t.slice(0, at) + m.s + t.slice(m.op === 'set' ? at + m.s.length : at);
  }
  return t;
}

describe('fuzz', () => {
  it('random texts, signed or not, throw nothing but FrameError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.boolean(), fc.nat({ max: 400 }), (s, signed, max) => {
        survives(signed ? sign(s) : s, max);
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated valid frames, re-signed (so the JSON checks run) or not, throw nothing but FrameError', () => {
    fc.assert(
      fc.property(fc.constantFrom(PUB_TEXT, ERR_TEXT), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (text, ms, resign) => {
        const t = mutate(text, ms);
        survives(resign ? sign(mutate(text.slice(9), ms)) : t);
      }),
      { numRuns: 3000 },
    );
  });

  it('hostile shapes are refused in linear time', () => {
    const big = 4 * 1024 * 1024;
    const shapes = [
      sign('['.repeat(1_000_000)),
      sign(`{"a":"${'\\'.repeat(999_999)}"}`),
      sign(`{"a":"${'\\"'.repeat(500_000)}"}`),
      sign(`{${'"k":0,'.repeat(200_000)}}`),
      sign(`{"body":[${'0,'.repeat(500_000)}0]}`),
      `${'0'.repeat(8)} ${'x'.repeat(1_000_000)}`,
    ];
    for (const text of shapes) {
      const t0 = performance.now();
      expect(() => decodeFlexFrame(text, big)).toThrow(FrameError);
      // A quadratic scan of a megabyte takes minutes; linear is milliseconds, and 2 s leaves room for a loaded machine.
      expect(performance.now() - t0).toBeLessThan(2000);
    }
  });
});
