/**
 * JSON Schemas of the wire envelopes (docs/wire.md § Envelope), written to schemas/json/envelope/:
 *
 *   header.schema.json      the binary envelope header (runtime/envelope/header.ts `EnvelopeHeader`) as
 *                           JSON: 64-bit fields as decimal strings
 *   flex.schema.json        the Flex bridge envelope `{v, ts, corr, intent, body}` (runtime/envelope/flex.ts)
 *   flex-reply.schema.json  a `flex.reply` envelope: body `{ack}` | `{ack, progress}` | `{ack, success}` | `{ack, error}`
 *   sse.schema.json         the SSE envelope `{v, ev, id, ct, seq, frag, ts, data}` with ctrl messages (runtime/envelope/sse.ts)
 *
 * Patterns and limits come from the runtime itself where it exports them. What JSON Schema cannot say
 * is stated in each `description` and left to the runtime parsers: relations between fields (chunk
 * index < total, frag.i < frag.n, progress.done ≤ total), the size and depth limits of the JSON text,
 * duplicate keys, and lengths the runtime counts in UTF-16 units (JSON Schema counts code points; the
 * two differ only for characters outside the BMP).
 */
import {
  BACKPRESSURE,
  CORR_MAX,
  CORR_PATTERN,
  CT_PATTERN,
  DEFAULT_FLEX_LIMITS,
  DEFAULT_SSE_LIMITS,
  EV_PATTERN,
  FLEX_REPLY_INTENT,
  FLEX_VERSION,
  FORBIDDEN_KEYS,
  ID_PATTERN,
  INTENT_MAX,
  INTENT_PATTERN,
  SSE_CTRL,
  SSE_VERSION,
} from '../../../runtime/index.ts';
import { JSON_SCHEMA_DIALECT, SCHEMA_ID_BASE, type JsonSchemaObject } from './schema.ts';
import { integerRangePattern } from './patterns.ts';

/** Limits the runtime checks inline (runtime/envelope/flex.ts, sse.ts) without exporting them. */
const FLEX_ERROR_CODE_PATTERN = '^[A-Za-z][A-Za-z0-9_.-]*$';
const FLEX_ERROR_CODE_MAX = 64;
const FLEX_ERROR_MESSAGE_MAX = 4096;
const FLEX_PROGRESS_NOTE_MAX = 1024;
const SSE_EV_MAX = 64;
const SSE_ID_MAX = 256;
const SSE_CT_MAX = 128;

const U64_MAX = 18446744073709551615n;
const UTF16_NOTE = 'The runtime counts this length in UTF-16 code units (characters outside the BMP count twice).';

export interface EnvelopeSchema {
  /** File name under schemas/json/envelope/. */
  readonly file: string;
  readonly schema: JsonSchemaObject;
}

export function envelopeSchemaId(file: string): string {
  return `${SCHEMA_ID_BASE}envelope/${file}`;
}

const uint = (max: number, description: string): JsonSchemaObject => ({ description, type: 'integer', minimum: 0, maximum: max });
const safeUint = (description: string): JsonSchemaObject => uint(Number.MAX_SAFE_INTEGER, description);
const u64 = (description: string): JsonSchemaObject => ({ description, type: 'string', pattern: integerRangePattern(0n, U64_MAX) });
const text = (description: string, min: number, max: number, pattern?: RegExp | string): JsonSchemaObject => ({
  description,
  type: 'string',
  ...(min > 0 ? { minLength: min } : {}),
  maxLength: max,
  ...(pattern !== undefined ? { pattern: typeof pattern === 'string' ? pattern : pattern.source } : {}),
});

function document(file: string, title: string, description: string, body: JsonSchemaObject, defs?: Record<string, JsonSchemaObject>): EnvelopeSchema {
  const schema: JsonSchemaObject = { $schema: JSON_SCHEMA_DIALECT, $id: envelopeSchemaId(file), title, description, ...body };
  if (defs)
    schema['$defs'] = Object.fromEntries(
      Object.keys(defs)
        .sort()
        .map((k) => [k, defs[k]!]),
    );
  return { file, schema };
}

function headerSchema(): EnvelopeSchema {
  const u32 = 4294967295;
  return document(
    'header.schema.json',
    'EnvelopeHeader',
    'Header of the binary midl envelope (docs/wire.md § Envelope) as JSON: the fields of a decoded header, ' +
      '64-bit fields as decimal strings. Magic, format version, flags and payload length are implied by the ' +
      'binary layout and are not part of this form. Not expressible here: chunk.index < chunk.total, ' +
      'chunk.total ≤ max(chunk.size, 1).',
    {
      type: 'object',
      properties: {
        qos: { description: 'Offset 3, u8: 0 at-most-once, 1 at-least-once, 2 exactly-once.', enum: [0, 1, 2] },
        topicId: uint(u32, 'Offset 4, u32: topic id.'),
        schemaMajor: uint(65535, 'Offset 8, u16: schema version major.'),
        schemaMinor: uint(65535, 'Offset 10, u16: schema version minor.'),
        sessionId: uint(u32, 'Offset 12, u32: session id.'),
        corrId: u64('Offset 16, u64: correlation id, as a decimal string.'),
        timestampUs: u64('Offset 24, u64: microseconds since the Unix epoch, as a decimal string.'),
        capabilities: u64('Offset 32, u64: capability mask, as a decimal string.'),
        chunk: {
          description: 'Offset 40, present when flag bit 0 is set: the chunk block.',
          type: 'object',
          properties: {
            index: uint(u32, '0-based index of this chunk, below total.'),
            total: { ...uint(u32, 'Number of chunks of the whole payload.'), minimum: 1 },
            size: uint(u32, 'Length in bytes of the whole (reassembled) payload.'),
            crc32: uint(u32, 'CRC-32 (IEEE) of the whole payload.'),
          },
          required: ['index', 'total', 'size', 'crc32'],
          additionalProperties: false,
        },
      },
      required: ['qos', 'topicId', 'schemaMajor', 'schemaMinor', 'sessionId', 'corrId', 'timestampUs', 'capabilities'],
      additionalProperties: false,
    },
  );
}

/** Any JSON value whose objects, at every depth, avoid the keys the runtime refuses (`__proto__`, …). */
function safeJsonDefs(): Record<string, JsonSchemaObject> {
  return {
    json: {
      description: `Any JSON value; no object at any depth may have the keys ${[...FORBIDDEN_KEYS].join(', ')}.`,
      anyOf: [
        { $ref: '#/$defs/jsonObject' },
        { type: 'array', items: { $ref: '#/$defs/json' } },
        { type: 'string' },
        { type: 'number' },
        { type: 'boolean' },
        { type: 'null' },
      ],
    },
    jsonObject: {
      type: 'object',
      propertyNames: { not: { enum: [...FORBIDDEN_KEYS] } },
      additionalProperties: { $ref: '#/$defs/json' },
    },
  };
}

function flexProperties(): Record<string, JsonSchemaObject> {
  return {
    v: { description: 'Envelope format version.', const: FLEX_VERSION },
    ts: safeUint('Send time in milliseconds since the Unix epoch.'),
    corr: text('Correlation id; file-name safe (it names journal files), not starting with a dot.', 1, CORR_MAX, CORR_PATTERN),
    intent: text('Dotted intent name, e.g. "planner.execute".', 1, INTENT_MAX, INTENT_PATTERN),
  };
}

const FLEX_LIMITS_NOTE = `The runtime also bounds the text to ${DEFAULT_FLEX_LIMITS.maxBytes} UTF-8 bytes and ${DEFAULT_FLEX_LIMITS.maxDepth} levels of nesting (by default) and refuses duplicate keys.`;

function flexSchema(): EnvelopeSchema {
  return document(
    'flex.schema.json',
    'FlexEnvelope',
    `The Flex bridge JSON envelope {v, ts, corr, intent, body}, carried as Flex Data text. ${FLEX_LIMITS_NOTE}`,
    {
      type: 'object',
      properties: { ...flexProperties(), body: { description: 'The request body of the intent.', $ref: '#/$defs/jsonObject' } },
      required: ['v', 'ts', 'corr', 'intent', 'body'],
      additionalProperties: false,
    },
    safeJsonDefs(),
  );
}

function flexReplySchema(): EnvelopeSchema {
  const ackTrue = { description: 'The request was accepted.', const: true };
  const arm = (title: string, description: string, properties: Record<string, JsonSchemaObject>): JsonSchemaObject => ({
    title,
    description,
    type: 'object',
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
  });
  return document(
    'flex-reply.schema.json',
    'FlexReply',
    `A reply on the Flex bridge: an envelope with intent "${FLEX_REPLY_INTENT}" and the corr of the request. ` +
      'First {ack:true}, optionally progress, then exactly one terminal success or error; a refused request gets ' +
      `{ack:false, error}. ${FLEX_LIMITS_NOTE}`,
    {
      type: 'object',
      properties: { ...flexProperties(), intent: { description: 'Always the reply intent.', const: FLEX_REPLY_INTENT }, body: { $ref: '#/$defs/replyBody' } },
      required: ['v', 'ts', 'corr', 'intent', 'body'],
      additionalProperties: false,
    },
    {
      ...safeJsonDefs(),
      replyBody: {
        description: 'At most one of progress, success, error; ack:false always carries an error.',
        oneOf: [
          arm('ack', 'The request was accepted; the handler runs.', { ack: ackTrue }),
          arm('progress', 'Progress of an accepted request.', { ack: ackTrue, progress: { $ref: '#/$defs/progress' } }),
          arm('success', 'Terminal success with the handler result.', { ack: ackTrue, success: { $ref: '#/$defs/json' } }),
          arm('error', 'Terminal error; ack:false when the request was refused before it ran.', {
            ack: { description: 'Whether the request had been accepted.', type: 'boolean' },
            error: { $ref: '#/$defs/error' },
          }),
        ],
      },
      progress: {
        description: 'Not expressible here: done ≤ total.',
        type: 'object',
        properties: {
          done: safeUint('Units of work done.'),
          total: safeUint('Units of work in total, when known.'),
          note: text(`Short status text. ${UTF16_NOTE}`, 0, FLEX_PROGRESS_NOTE_MAX),
        },
        required: ['done'],
        additionalProperties: false,
      },
      error: {
        type: 'object',
        properties: {
          code: text('Error code, e.g. "backpressure".', 1, FLEX_ERROR_CODE_MAX, FLEX_ERROR_CODE_PATTERN),
          message: text(`Human-readable explanation. ${UTF16_NOTE}`, 0, FLEX_ERROR_MESSAGE_MAX),
          retryAfterMs: safeUint(`Retry hint in milliseconds; required when code is "${BACKPRESSURE}".`),
        },
        required: ['code', 'message'],
        additionalProperties: false,
        if: { properties: { code: { const: BACKPRESSURE } } },
        then: { properties: { retryAfterMs: { description: `Required when code is "${BACKPRESSURE}".` } }, required: ['retryAfterMs'] },
      },
    },
  );
}

function sseSchema(): EnvelopeSchema {
  const L = DEFAULT_SSE_LIMITS;
  const ctrlArm = (key: string, description: string, value: JsonSchemaObject): JsonSchemaObject => ({
    description,
    type: 'object',
    properties: { [key]: value },
    required: [key],
    additionalProperties: false,
  });
  return document(
    'sse.schema.json',
    'SseEnvelope',
    'The SSE-over-MIDI JSON envelope {v, ev, id?, ct?, seq, frag?, ts?, data?}. Events carry text data; ' +
      `ev "${SSE_CTRL}" messages carry a control object (ack, nack, window or hb) and are never fragmented; ` +
      'a fragmented event needs an id. Not expressible here: frag.i < frag.n. ' +
      `The runtime also bounds the text to ${L.maxBytes} UTF-8 bytes and ${L.maxDepth} levels of nesting (by default) and refuses duplicate keys.`,
    {
      type: 'object',
      properties: {
        v: { description: 'Envelope format version.', const: SSE_VERSION },
        ev: text('Event name: message, error, done, ctrl, or custom names like response.output_text.delta.', 1, SSE_EV_MAX, EV_PATTERN),
        id: text(`Event id (no control characters). ${UTF16_NOTE}`, 1, SSE_ID_MAX, ID_PATTERN),
        ct: text(`Content type of data, type/subtype with optional parameters. ${UTF16_NOTE}`, 1, SSE_CT_MAX, CT_PATTERN),
        seq: safeUint('Sequence number.'),
        frag: { $ref: '#/$defs/frag' },
        ts: { description: 'Wall-clock seconds since the Unix epoch (may be fractional).', type: 'number', minimum: 0 },
        data: { description: 'Text for events; a control object for ctrl messages.' },
      },
      required: ['v', 'ev', 'seq'],
      additionalProperties: false,
      dependentRequired: { frag: ['id'] },
      if: { properties: { ev: { const: SSE_CTRL } } },
      then: { properties: { frag: false, data: { $ref: '#/$defs/ctrlData' } }, required: ['data'] },
      else: { properties: { data: { type: 'string' } } },
    },
    {
      frag: {
        description: 'Fragment i of n of an event (grouped by id).',
        type: 'object',
        properties: {
          i: safeUint('0-based fragment index, below n.'),
          n: { ...safeUint(`Number of fragments; the runtime accepts at most ${L.maxFragments} by default.`), minimum: 1, maximum: L.maxFragments },
        },
        required: ['i', 'n'],
        additionalProperties: false,
      },
      ctrl: {
        description: 'A control message: exactly one of ack, nack, window, hb.',
        oneOf: [
          ctrlArm('ack', 'Everything up to this sequence number arrived.', safeUint('Sequence number.')),
          ctrlArm('nack', 'These sequence numbers are missing.', {
            type: 'array',
            items: safeUint('Sequence number.'),
            minItems: 1,
            maxItems: L.maxNack,
          }),
          ctrlArm('window', 'Flow-control window.', safeUint('Window size.')),
          ctrlArm('hb', 'Heartbeat: true, or a non-negative number.', { anyOf: [{ const: true }, { type: 'number', minimum: 0 }] }),
        ],
      },
      ctrlData: {
        description: 'A control object; on input the runtime also accepts a string holding its JSON (output is always the object).',
        anyOf: [{ $ref: '#/$defs/ctrl' }, { type: 'string', contentMediaType: 'application/json', contentSchema: { $ref: '#/$defs/ctrl' } }],
      },
    },
  );
}

/** Every envelope schema, in file-name order. */
export function envelopeSchemas(): EnvelopeSchema[] {
  return [flexReplySchema(), flexSchema(), headerSchema(), sseSchema()].sort((a, b) => (a.file < b.file ? -1 : 1));
}
