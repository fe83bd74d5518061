/**
 * Envelope layer benchmarks. Each case runs beside an anchor in the same process so the ratio is
 * meaningful on a shared machine:
 * - binary header encode/decode vs JSON.stringify/JSON.parse of an equivalent header object
 *   (64-bit fields as decimal strings, since JSON has no u64);
 * - CRC-32 over 64 KiB vs Buffer.copy of the same bytes (a memory-bandwidth ceiling);
 * - chunk + reassemble of 1 MiB, and Flex envelope parse/serialise vs bare JSON.parse/stringify.
 */
import type { BenchCase, BenchSuite } from '../harness.ts';
import {
  ChunkReassembler,
  Qos,
  chunkPayload,
  crc32,
  decodeEnvelope,
  encodeEnvelope,
  parseFlexEnvelope,
  serializeFlexEnvelope,
  type EnvelopeHeader,
} from '../../runtime/envelope/index.ts';

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
/** The same information as a JSON object, as a JSON-based envelope would carry it. */
const jsonHeader = {
  topicId: header.topicId,
  schemaMajor: header.schemaMajor,
  schemaMinor: header.schemaMinor,
  sessionId: header.sessionId,
  corrId: header.corrId.toString(),
  timestampUs: header.timestampUs.toString(),
  qos: header.qos,
  capabilities: header.capabilities.toString(),
  payloadLength: payload.length,
};
const jsonText = JSON.stringify(jsonHeader);

const block = new Uint8Array(64 * 1024).map((_, i) => (i * 131 + 7) & 0xff);
const blockBuf = Buffer.from(block);
const copyTarget = Buffer.alloc(block.length);

const big = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
const bigChunks = chunkPayload(header, big, 16 * 1024);

const flexText = JSON.stringify({
  v: 1,
  ts: 1723622400000,
  corr: 'dE8x-7qF',
  intent: 'planner.execute',
  body: {
    objective: 'Draft release notes from baseline BA-2025-08',
    steps: [
      { name: 'persist.getBaseline', arguments: { corpusId: 'fc-main', baselineId: 'BA-2025-08' } },
      { name: 'analytics.summarize', arguments: { corpusId: 'fc-main' } },
    ],
  },
});
const flexParsed = (() => {
  const r = parseFlexEnvelope(flexText);
  if (!r.ok) throw r.error;
  return r.value;
})();

let sink = 0;

const cases: BenchCase[] = [
  {
    name: 'envelope encode (44 B header + 32 B payload)',
    fn: () => {
      sink ^= encodeEnvelope(header, payload).length;
    },
    baseline: { name: 'JSON.stringify header object', fn: () => (sink ^= JSON.stringify(jsonHeader).length) },
    itemsPerOp: 1,
  },
  {
    name: 'envelope decode (76 B)',
    fn: () => {
      sink ^= decodeEnvelope(encoded).header.topicId;
    },
    baseline: { name: 'JSON.parse header object', fn: () => (sink ^= (JSON.parse(jsonText) as { topicId: number }).topicId) },
    itemsPerOp: 1,
  },
  {
    name: 'crc32 64 KiB',
    fn: () => {
      sink ^= crc32(block);
    },
    baseline: { name: 'Buffer.copy 64 KiB', fn: () => (sink ^= blockBuf.copy(copyTarget)) },
    bytesPerOp: block.length,
  },
  {
    name: 'chunk 1 MiB into 16 KiB chunks',
    fn: () => {
      sink ^= chunkPayload(header, big, 16 * 1024).length;
    },
    bytesPerOp: big.length,
  },
  {
    name: 'reassemble 1 MiB from 64 chunks (+ CRC check)',
    fn: () => {
      const r = new ChunkReassembler({ maxEnvelopePayload: 16 * 1024 });
      for (const c of bigChunks) {
        const res = r.push(c);
        if (res.status === 'complete') sink ^= res.payload.length;
      }
    },
    bytesPerOp: big.length,
  },
  {
    name: 'flex envelope parse (defensive)',
    fn: () => {
      const r = parseFlexEnvelope(flexText);
      sink ^= r.ok ? r.value.ts : 0;
    },
    baseline: { name: 'JSON.parse same text', fn: () => (sink ^= (JSON.parse(flexText) as { ts: number }).ts) },
    itemsPerOp: 1,
  },
  {
    name: 'flex envelope serialise (canonical)',
    fn: () => {
      sink ^= serializeFlexEnvelope(flexParsed).length;
    },
    baseline: { name: 'JSON.stringify same object', fn: () => (sink ^= JSON.stringify(flexParsed).length) },
    itemsPerOp: 1,
  },
];

export const suite: BenchSuite = {
  name: 'envelope',
  cases: () => cases,
};
