/**
 * Envelope layer benchmarks, each beside an anchor doing the same work on the same bytes in the same
 * process (the anchors' output is checked against ours once, before anything is timed):
 * - binary header encode/decode vs JSON text of the same header fields and payload (64-bit fields as
 *   decimal strings, since JSON has no u64; the payload in base64, since JSON has no bytes);
 * - CRC-32 of 64 KiB vs node:zlib's crc32 of the same bytes (native zlib; the same polynomial, so the
 *   same value);
 * - chunking 1 MiB into 16 KiB chunk envelopes vs one zlib CRC-32 of the 1 MiB plus copying a prepared
 *   chunk header and each 16 KiB slice into a fresh buffer of the chunk's size (byte-identical output);
 * - reassembling those 64 chunks vs copying each chunk's payload out, joining the copies into 1 MiB and
 *   zlib-CRC-32-ing it against the declared CRC (the same two copies and one CRC; our side also decodes
 *   and checks each header and keeps bounded state);
 * - Flex envelope parse vs the same text through a length bound, JSON.parse and an ajv validator of the
 *   same field rules; serialise vs the same rules and bound around JSON.stringify of the envelope with
 *   its keys already in canonical order (so both write identical text; ours also sorts the keys).
 */
import * as zlib from 'node:zlib';
import { Ajv } from 'ajv';
import type { BenchCase, BenchSuite } from '../harness.ts';
import {
  CHUNKED_HEADER_BYTES,
  CORR_MAX,
  CORR_PATTERN,
  ChunkReassembler,
  DEFAULT_FLEX_LIMITS,
  FLEX_VERSION,
  INTENT_MAX,
  INTENT_PATTERN,
  Offset,
  Qos,
  chunkPayload,
  crc32,
  decodeEnvelope,
  encodeEnvelope,
  parseFlexEnvelope,
  serializeFlexEnvelope,
  type EnvelopeHeader,
  type FlexEnvelope,
} from '../../runtime/index.ts';
// Seed 001's planner.execute envelope, written out once for the bridge tests and the bench.
import { SEED_ENVELOPE } from '../../tests/helpers/seed-001.ts';

// node:zlib has crc32 from Node 20.15 / 22.2 on; a named import would fail the whole bench on older ones.
const zlibCrc32 = (data: Uint8Array): number => {
  if (typeof zlib.crc32 !== 'function') throw new Error(`envelope bench: its CRC-32 anchor needs node:zlib crc32 (Node ≥ 20.15), this is ${process.version}`);
  return zlib.crc32(data);
};

/** Throws unless the anchor's output equals ours: an anchor that computes something else is no anchor. */
function sameOutput(what: string, ours: unknown, anchor: unknown): void {
  const a = ours instanceof Uint8Array ? Buffer.from(ours).toString('hex') : JSON.stringify(ours, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  const b =
    anchor instanceof Uint8Array ? Buffer.from(anchor).toString('hex') : JSON.stringify(anchor, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  if (a !== b) throw new Error(`envelope bench: the anchor of "${what}" does not compute what the case computes`);
}

const bytesOf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

// ── header encode / decode ────────────────────────────────────────────────────────────────────────

const header: EnvelopeHeader = {
  topicId: 0x9e3779b9,
  schemaMajor: 2,
  schemaMinor: 7,
  sessionId: 0xbeef,
  corrId: 0x0123456789abcdefn,
  timestampUs: 1_723_622_400_000_000n,
  qos: Qos.AtLeastOnce,
  capabilities: 0b101n,
};
const payload = new Uint8Array(32).map((_, i) => i);
const encoded = encodeEnvelope(header, payload);
/** The same information as a JSON envelope would carry it. */
const jsonFields = {
  topicId: header.topicId,
  schemaMajor: header.schemaMajor,
  schemaMinor: header.schemaMinor,
  sessionId: header.sessionId,
  corrId: header.corrId.toString(),
  timestampUs: header.timestampUs.toString(),
  qos: header.qos,
  capabilities: header.capabilities.toString(),
};
const jsonEncode = (): string => JSON.stringify({ ...jsonFields, payload: bytesOf(payload).toString('base64') });
const jsonText = jsonEncode();
const jsonDecode = () => {
  const o = JSON.parse(jsonText) as typeof jsonFields & { payload: string };
  return { topicId: o.topicId, payload: Buffer.from(o.payload, 'base64') };
};

// ── CRC-32 ────────────────────────────────────────────────────────────────────────────────────────

const block = new Uint8Array(64 * 1024).map((_, i) => (i * 131 + 7) & 0xff);

// ── chunk / reassemble ────────────────────────────────────────────────────────────────────────────

const CHUNK = 16 * 1024;
const big = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
const bigChunks = chunkPayload(header, big, CHUNK);
/** The first chunk's header: every chunk's but for its index (all chunks are full, so the length field is the same). */
const chunkHeader = bigChunks[0]!.slice(0, CHUNKED_HEADER_BYTES);

function copyChunks(): Uint8Array[] {
  const crc = zlibCrc32(big);
  const total = Math.ceil(big.length / CHUNK);
  const out = new Array<Uint8Array>(total);
  for (let index = 0; index < total; index++) {
    const part = big.subarray(index * CHUNK, (index + 1) * CHUNK);
    const chunk = new Uint8Array(CHUNKED_HEADER_BYTES + part.length);
    chunk.set(chunkHeader);
    const view = new DataView(chunk.buffer);
    view.setUint32(Offset.chunkIndex, index);
    view.setUint32(Offset.chunkCrc32, crc);
    chunk.set(part, CHUNKED_HEADER_BYTES);
    out[index] = chunk;
  }
  return out;
}

function copyJoinCrc(): Uint8Array {
  const parts = bigChunks.map((c) => c.slice(CHUNKED_HEADER_BYTES));
  let length = 0;
  for (const p of parts) length += p.length;
  const joined = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  const declared = new DataView(bigChunks[0]!.buffer, bigChunks[0]!.byteOffset).getUint32(Offset.chunkCrc32);
  if (zlibCrc32(joined) !== declared) throw new Error('envelope bench: reassembled CRC-32 differs');
  return joined;
}

function reassemble(): Uint8Array {
  const r = new ChunkReassembler({ maxEnvelopePayload: CHUNK });
  for (const c of bigChunks) {
    const res = r.push(c);
    if (res.status === 'complete') return res.payload;
  }
  throw new Error('envelope bench: reassembly did not complete');
}

// ── Flex envelope ─────────────────────────────────────────────────────────────────────────────────

const flexText = JSON.stringify(SEED_ENVELOPE);
const flexParsed = (() => {
  const r = parseFlexEnvelope(flexText);
  if (!r.ok) throw r.error;
  return r.value;
})();

/** Flex's field rules as a JSON Schema (what checkFlexEnvelope checks, but nesting depth: ajv has no bound for it). */
const validateFlex = new Ajv({ allErrors: false }).compile<FlexEnvelope>({
  type: 'object',
  required: ['v', 'ts', 'corr', 'intent', 'body'],
  additionalProperties: false,
  properties: {
    v: { const: FLEX_VERSION },
    ts: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    corr: { type: 'string', maxLength: CORR_MAX, pattern: CORR_PATTERN.source },
    intent: { type: 'string', maxLength: INTENT_MAX, pattern: INTENT_PATTERN.source },
    body: { type: 'object' },
  },
});

function ajvParse(text: string): FlexEnvelope {
  if (text.length > DEFAULT_FLEX_LIMITS.maxBytes) throw new Error('flex text too long');
  const value: unknown = JSON.parse(text);
  if (!validateFlex(value)) throw new Error(`flex envelope invalid: ${validateFlex.errors?.[0]?.message ?? '?'}`);
  return value;
}

/** `v` with the keys of every object sorted, as canonical JSON orders them below the envelope's own keys. */
function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(
    Object.entries(v)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, x]) => [k, sortedKeys(x)]),
  );
}
const flexPresorted = { ...flexParsed, body: sortedKeys(flexParsed.body) } as FlexEnvelope;

function ajvSerialise(env: FlexEnvelope): string {
  if (!validateFlex(env)) throw new Error(`flex envelope invalid: ${validateFlex.errors?.[0]?.message ?? '?'}`);
  const text = JSON.stringify(env);
  if (Buffer.byteLength(text) > DEFAULT_FLEX_LIMITS.maxBytes) throw new Error('flex text too long');
  return text;
}

/** Each anchor's output against the case's, once, before anything is timed. */
function checkAnchors(): void {
  sameOutput('envelope decode', decodeEnvelope(encoded).payload, jsonDecode().payload);
  sameOutput('crc32 64 KiB', crc32(block), zlibCrc32(block));
  const ours = chunkPayload(header, big, CHUNK);
  const anchor = copyChunks();
  sameOutput('chunk 1 MiB', ours.length, anchor.length);
  ours.forEach((c, i) => sameOutput('chunk 1 MiB', c, anchor[i]));
  sameOutput('reassemble 1 MiB', reassemble(), copyJoinCrc());
  sameOutput('reassemble 1 MiB', reassemble(), big);
  sameOutput('flex envelope parse', flexParsed, ajvParse(flexText));
  sameOutput('flex envelope serialise', serializeFlexEnvelope(flexParsed), ajvSerialise(flexPresorted));
}

let sink = 0;

const cases: BenchCase[] = [
  {
    name: 'envelope encode (44 B header + 32 B payload)',
    fn: () => {
      sink ^= encodeEnvelope(header, payload).length;
    },
    baseline: { name: 'JSON.stringify of the same fields + payload (base64)', fn: () => (sink ^= jsonEncode().length) },
    itemsPerOp: 1,
  },
  {
    name: 'envelope decode (76 B)',
    fn: () => {
      const d = decodeEnvelope(encoded);
      sink ^= d.header.topicId ^ d.payload.length;
    },
    baseline: {
      name: `JSON.parse of the same (${jsonText.length} B) + base64 decode`,
      fn: () => {
        const d = jsonDecode();
        sink ^= d.topicId ^ d.payload.length;
      },
    },
    itemsPerOp: 1,
  },
  {
    name: 'crc32 64 KiB',
    fn: () => {
      sink ^= crc32(block);
    },
    baseline: { name: 'node:zlib crc32 64 KiB', fn: () => (sink ^= zlibCrc32(block)), bytesPerOp: block.length },
    bytesPerOp: block.length,
  },
  {
    name: 'chunk 1 MiB into 16 KiB chunks',
    fn: () => {
      sink ^= chunkPayload(header, big, CHUNK).length;
    },
    baseline: { name: 'zlib crc32 + copy header and slice into 64 buffers', fn: () => (sink ^= copyChunks().length), bytesPerOp: big.length },
    bytesPerOp: big.length,
  },
  {
    name: 'reassemble 1 MiB from 64 chunks (+ CRC check)',
    fn: () => {
      sink ^= reassemble().length;
    },
    baseline: { name: 'copy 64 payloads out, join, zlib crc32', fn: () => (sink ^= copyJoinCrc().length), bytesPerOp: big.length },
    bytesPerOp: big.length,
  },
  {
    name: 'flex envelope parse (defensive)',
    fn: () => {
      const r = parseFlexEnvelope(flexText);
      sink ^= r.ok ? r.value.ts : 0;
    },
    baseline: { name: 'length bound + JSON.parse + ajv of the same rules', fn: () => (sink ^= ajvParse(flexText).ts) },
    itemsPerOp: 1,
  },
  {
    name: 'flex envelope serialise (canonical)',
    fn: () => {
      sink ^= serializeFlexEnvelope(flexParsed).length;
    },
    baseline: { name: 'ajv of the same rules + JSON.stringify (keys presorted)', fn: () => (sink ^= ajvSerialise(flexPresorted).length) },
    itemsPerOp: 1,
  },
];

export const suite: BenchSuite = {
  name: 'envelope',
  cases: () => {
    checkAnchors();
    return cases;
  },
};
