import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { envelopeSchemas } from '../../compiler/emitters/jsonschema/envelope.ts';
import * as standalone from '../../generated/validators/envelope/index.js';
import { flexAck, flexBackpressure, serializeFlexEnvelope, serializeSseEnvelope, sseCtrl } from '../../runtime/envelope/index.ts';
import { freshAjv } from './helpers.ts';

/**
 * generated/validators/envelope/ holds ahead-of-time (ajv standalone) validators of the wire envelopes:
 * they must decide exactly as ajv compiling the same schemas at run time, on valid and broken input.
 */
const byFile: Record<string, keyof typeof standalone> = {
  'header.schema.json': 'validateWireEnvelopeHeader',
  'flex.schema.json': 'validateWireFlexEnvelope',
  'flex-reply.schema.json': 'validateWireFlexReply',
  'sse.schema.json': 'validateWireSseEnvelope',
};

const samples: unknown[] = [
  JSON.parse(serializeFlexEnvelope({ v: 1, ts: 1_700_000_000_000, corr: 'dE8x-7qF', intent: 'planner.execute', body: { steps: [] } } as never)),
  JSON.parse(serializeFlexEnvelope(flexAck('dE8x-7qF', 1_700_000_000_000))),
  JSON.parse(serializeFlexEnvelope(flexBackpressure('dE8x-7qF', 1_700_000_000_000, 250))),
  JSON.parse(serializeSseEnvelope(sseCtrl(7, { nack: [3, 4] }))),
  { v: 1, ev: 'message', seq: 0, data: 'token' },
  // The JSON form of a binary header (64-bit fields as decimal strings), plain and chunked.
  { qos: 1, topicId: 3661738479, schemaMajor: 0, schemaMinor: 1, sessionId: 7, corrId: '42', timestampUs: '1700000000000000', capabilities: '256' },
  {
    qos: 2,
    topicId: 1,
    schemaMajor: 1,
    schemaMinor: 0,
    sessionId: 0,
    corrId: '18446744073709551615',
    timestampUs: '0',
    capabilities: '0',
    chunk: { index: 0, total: 2, size: 20000, crc32: 3421780262 },
  },
  { qos: 3, topicId: -1, schemaMajor: 0, schemaMinor: 0, sessionId: 0, corrId: '01', timestampUs: 'x', capabilities: '0' },
  { v: 2, ts: 1, corr: 'x', intent: 'y', body: {} },
  { v: 1, ts: -1, corr: '', intent: 'y', body: [] },
  null,
  'text',
];

describe('envelope standalone validators', () => {
  for (const env of envelopeSchemas()) {
    const name = byFile[env.file]!;
    const aot = standalone[name];
    const runtime = freshAjv().compile(env.schema);

    it(`${name} agrees with ajv on the runtime's own envelopes and broken ones`, () => {
      for (const s of samples) expect(aot(s), JSON.stringify(s)).toBe(runtime(s));
    });

    it(`${name} agrees with ajv on arbitrary JSON`, () => {
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => aot(value) === runtime(value)),
        { numRuns: 300 },
      );
    });
  }

  it('accepts at least one sample per schema, so the agreement is not vacuous', () => {
    for (const name of Object.values(byFile))
      expect(
        samples.some((s) => standalone[name](s)),
        name,
      ).toBe(true);
  });
});
