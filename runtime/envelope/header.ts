/**
 * The binary midl envelope: a fixed-width, big-endian header followed by the payload bytes.
 * Carried after the carrier prefix (`00 7D <sub-id>`) in SysEx8, or Mcoded7-packed in SysEx7.
 * The layout table, the reasons for each width and golden vectors are in docs/wire.md § Envelope.
 *
 *   off  width  field
 *     0    1    magic 0x6D ('m')
 *     1    1    format version (1)
 *     2    1    flags: bit 0 = chunk block present; bits 1..7 reserved, must be 0
 *     3    1    QoS: 0 at-most-once, 1 at-least-once, 2 exactly-once
 *     4    4    topic id (u32)
 *     8    2    schema version major (u16)
 *    10    2    schema version minor (u16)
 *    12    4    session id (u32)
 *    16    8    correlation id (u64)
 *    24    8    timestamp, µs since the Unix epoch (u64)
 *    32    8    capability mask (u64)
 *   [40   16    chunk block, if flag bit 0: index u32, total u32, size u32 (whole payload), CRC-32 u32 (whole payload)]
 *   40|56  4    payload length (u32), bytes in this envelope
 *   44|60  n    payload
 */
import { EnvelopeError, EnvelopeErrorCode as E } from './errors.ts';

export const ENVELOPE_MAGIC = 0x6d;
export const ENVELOPE_VERSION = 1;
export const FLAG_CHUNKED = 0x01;
/** Bytes before the chunk block / payload length. */
export const FIXED_HEADER_BYTES = 40;
export const CHUNK_BLOCK_BYTES = 16;
/** Header bytes of an envelope without / with a chunk block (payload length included). */
export const HEADER_BYTES = FIXED_HEADER_BYTES + 4;
export const CHUNKED_HEADER_BYTES = FIXED_HEADER_BYTES + CHUNK_BLOCK_BYTES + 4;
/** Default bound on the payload of a single envelope (a chunk or an unchunked message). */
export const DEFAULT_MAX_ENVELOPE_PAYLOAD = 64 * 1024;
export const U32_MAX = 0xffff_ffff;
export const U64_MAX = 0xffff_ffff_ffff_ffffn;

export const Qos = {
  AtMostOnce: 0,
  AtLeastOnce: 1,
  ExactlyOnce: 2,
} as const;
export type Qos = (typeof Qos)[keyof typeof Qos];

/** Byte offsets of the header fields, shared by encoder, decoder, errors and docs. */
export const Offset = {
  magic: 0,
  version: 1,
  flags: 2,
  qos: 3,
  topicId: 4,
  schemaMajor: 8,
  schemaMinor: 10,
  sessionId: 12,
  corrId: 16,
  timestampUs: 24,
  capabilities: 32,
  chunkIndex: 40,
  chunkTotal: 44,
  chunkSize: 48,
  chunkCrc32: 52,
} as const;

export interface ChunkInfo {
  /** 0-based index of this chunk, < total. */
  readonly index: number;
  /** Number of chunks of the whole payload, ≥ 1. */
  readonly total: number;
  /** Length in bytes of the whole (reassembled) payload. */
  readonly size: number;
  /** CRC-32 (IEEE) of the whole payload. */
  readonly crc32: number;
}

export interface EnvelopeHeader {
  readonly topicId: number;
  readonly schemaMajor: number;
  readonly schemaMinor: number;
  readonly sessionId: number;
  readonly corrId: bigint;
  /** Microseconds since 1970-01-01T00:00:00Z. */
  readonly timestampUs: bigint;
  readonly qos: Qos;
  readonly capabilities: bigint;
  readonly chunk?: ChunkInfo | undefined;
}

export interface DecodedEnvelope {
  readonly header: EnvelopeHeader;
  /** A view into the input bytes (no copy); copy it if the input buffer is reused. */
  readonly payload: Uint8Array;
}

export interface EnvelopeLimits {
  /** Largest payload accepted in one envelope; default 64 KiB. Larger payloads are chunked. */
  readonly maxPayloadBytes?: number;
}

function isUint(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

function isU64(v: unknown): v is bigint {
  return typeof v === 'bigint' && v >= 0n && v <= U64_MAX;
}

function bad(reason: string, offset: number): EnvelopeError {
  return new EnvelopeError(E.BadField, reason, { offset });
}

/** Checks every header field against its width and the chunk rules; returns the first problem, or null. */
export function checkHeader(h: EnvelopeHeader, payloadLength: number): EnvelopeError | null {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a JavaScript caller may pass anything
  if (h.qos !== 0 && h.qos !== 1 && h.qos !== 2) return bad(`QoS must be 0, 1 or 2, got ${String(h.qos)}`, Offset.qos);
  if (!isUint(h.topicId, U32_MAX)) return bad(`topic id must be a u32, got ${String(h.topicId)}`, Offset.topicId);
  if (!isUint(h.schemaMajor, 0xffff)) return bad(`schema major must be a u16, got ${String(h.schemaMajor)}`, Offset.schemaMajor);
  if (!isUint(h.schemaMinor, 0xffff)) return bad(`schema minor must be a u16, got ${String(h.schemaMinor)}`, Offset.schemaMinor);
  if (!isUint(h.sessionId, U32_MAX)) return bad(`session id must be a u32, got ${String(h.sessionId)}`, Offset.sessionId);
  if (!isU64(h.corrId)) return bad(`correlation id must be a u64 bigint, got ${String(h.corrId)}`, Offset.corrId);
  if (!isU64(h.timestampUs)) return bad(`timestamp must be a u64 bigint, got ${String(h.timestampUs)}`, Offset.timestampUs);
  if (!isU64(h.capabilities)) return bad(`capability mask must be a u64 bigint, got ${String(h.capabilities)}`, Offset.capabilities);
  const c = h.chunk;
  if (c === undefined) return null;
  if (!isUint(c.total, U32_MAX) || c.total === 0) return bad(`chunk total must be a u32 ≥ 1, got ${String(c.total)}`, Offset.chunkTotal);
  if (!isUint(c.index, U32_MAX)) return bad(`chunk index must be a u32, got ${String(c.index)}`, Offset.chunkIndex);
  if (c.index >= c.total) {
    return new EnvelopeError(E.ChunkOutOfRange, `chunk index ${c.index} is not below total ${c.total}`, { offset: Offset.chunkIndex });
  }
  if (!isUint(c.size, U32_MAX)) return bad(`chunk size must be a u32, got ${String(c.size)}`, Offset.chunkSize);
  if (!isUint(c.crc32, U32_MAX)) return bad(`chunk CRC-32 must be a u32, got ${String(c.crc32)}`, Offset.chunkCrc32);
  // Every chunk carries ≥ 1 byte unless the whole payload is empty, so total ≤ max(size, 1).
  if (c.total > Math.max(c.size, 1)) return bad(`chunk total ${c.total} exceeds payload size ${c.size}`, Offset.chunkTotal);
  const lenOffset = FIXED_HEADER_BYTES + CHUNK_BLOCK_BYTES;
  if (payloadLength > c.size) return bad(`chunk length ${payloadLength} exceeds payload size ${c.size}`, lenOffset);
  if (payloadLength === 0 && c.size !== 0) return bad('empty chunk of a non-empty payload', lenOffset);
  if (c.total === 1 && payloadLength !== c.size) return bad(`single chunk length ${payloadLength} differs from size ${c.size}`, lenOffset);
  return null;
}

function maxPayload(limits: EnvelopeLimits | undefined): number {
  return limits?.maxPayloadBytes ?? DEFAULT_MAX_ENVELOPE_PAYLOAD;
}

/** Encodes one envelope. Throws `EnvelopeError` ('bad-field', 'chunk-out-of-range', 'too-large') on an invalid header or payload. */
export function encodeEnvelope(header: EnvelopeHeader, payload: Uint8Array, limits?: EnvelopeLimits): Uint8Array {
  if (!(payload instanceof Uint8Array)) throw new EnvelopeError(E.BadField, 'payload must be a Uint8Array');
  const lenOffset = header.chunk ? FIXED_HEADER_BYTES + CHUNK_BLOCK_BYTES : FIXED_HEADER_BYTES;
  const max = maxPayload(limits);
  if (payload.length > max) {
    throw new EnvelopeError(E.TooLarge, `payload of ${payload.length} bytes exceeds the limit of ${max}`, { offset: lenOffset });
  }
  const problem = checkHeader(header, payload.length);
  if (problem) throw problem;
  const { bytes: out, view: dv, at } = allocate(lenOffset + 4 + payload.length);
  out[Offset.magic] = ENVELOPE_MAGIC;
  out[Offset.version] = ENVELOPE_VERSION;
  out[Offset.flags] = header.chunk ? FLAG_CHUNKED : 0;
  out[Offset.qos] = header.qos;
  dv.setUint32(at + Offset.topicId, header.topicId);
  dv.setUint16(at + Offset.schemaMajor, header.schemaMajor);
  dv.setUint16(at + Offset.schemaMinor, header.schemaMinor);
  dv.setUint32(at + Offset.sessionId, header.sessionId);
  dv.setBigUint64(at + Offset.corrId, header.corrId);
  dv.setBigUint64(at + Offset.timestampUs, header.timestampUs);
  dv.setBigUint64(at + Offset.capabilities, header.capabilities);
  if (header.chunk) {
    dv.setUint32(at + Offset.chunkIndex, header.chunk.index);
    dv.setUint32(at + Offset.chunkTotal, header.chunk.total);
    dv.setUint32(at + Offset.chunkSize, header.chunk.size);
    dv.setUint32(at + Offset.chunkCrc32, header.chunk.crc32);
  }
  dv.setUint32(at + lenOffset, payload.length);
  out.set(payload, lenOffset + 4);
  return out;
}

/*
 * Allocation. A fresh ArrayBuffer costs ~2.5 µs in V8 once a typed array exceeds 64 bytes (it
 * leaves the JS heap), more than encoding itself, so small envelopes are cut from a shared 16 KiB
 * slab, as Node's Buffer pool does. Every byte of a slice is written before it is returned, so no
 * stale data leaks; the price is that `result.buffer` is shared (never transfer or detach it).
 */
const SLAB_BYTES = 16 * 1024;
const POOLED_MAX = 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabView = new DataView(slab);
let slabUsed = 0;

function allocate(n: number): { bytes: Uint8Array; view: DataView; at: number } {
  if (n > POOLED_MAX) {
    const bytes = new Uint8Array(n);
    return { bytes, view: new DataView(bytes.buffer), at: 0 };
  }
  if (slabUsed + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabView = new DataView(slab);
    slabUsed = 0;
  }
  const at = slabUsed;
  slabUsed += (n + 7) & ~7;
  return { bytes: new Uint8Array(slab, at, n), view: slabView, at };
}

/*
 * Decoding reads the header through a private scratch copy: building a DataView over the input
 * (and touching `.buffer` of a small on-heap typed array) costs more than copying ≤ 60 bytes.
 */
const scratch = new Uint8Array(CHUNKED_HEADER_BYTES);
const scratchView = new DataView(scratch.buffer);

function truncated(bytes: Uint8Array, need: number, what: string): EnvelopeError {
  return new EnvelopeError(E.Truncated, `${what} needs ${need} bytes, input has ${bytes.length}`, { offset: bytes.length });
}

/**
 * Decodes one envelope, treating `bytes` as hostile: checks magic, version, reserved bits, every
 * field's range and the chunk rules, bounds the payload length before touching it, and rejects
 * trailing bytes. Throws `EnvelopeError` only.
 */
export function decodeEnvelope(bytes: Uint8Array, limits?: EnvelopeLimits): DecodedEnvelope {
  if (!(bytes instanceof Uint8Array)) throw new EnvelopeError(E.BadField, 'input must be a Uint8Array', { offset: 0 });
  if (bytes.length < 1) throw truncated(bytes, 1, 'magic');
  if (bytes[0] !== ENVELOPE_MAGIC) {
    throw new EnvelopeError(E.BadMagic, `expected magic 0x6d, got 0x${bytes[0]!.toString(16).padStart(2, '0')}`, { offset: 0 });
  }
  if (bytes.length < 2) throw truncated(bytes, 2, 'format version');
  if (bytes[1] !== ENVELOPE_VERSION) {
    throw new EnvelopeError(E.UnsupportedVersion, `format version ${bytes[1]!} is not supported (this build reads ${ENVELOPE_VERSION})`, {
      offset: Offset.version,
    });
  }
  if (bytes.length < FIXED_HEADER_BYTES) throw truncated(bytes, FIXED_HEADER_BYTES, 'fixed header');
  const flags = bytes[Offset.flags]!;
  if ((flags & ~FLAG_CHUNKED) !== 0) throw bad(`reserved flag bits set: 0x${flags.toString(16)}`, Offset.flags);
  const chunked = (flags & FLAG_CHUNKED) !== 0;
  const lenOffset = chunked ? FIXED_HEADER_BYTES + CHUNK_BLOCK_BYTES : FIXED_HEADER_BYTES;
  if (bytes.length < lenOffset + 4) throw truncated(bytes, lenOffset + 4, chunked ? 'chunk block and payload length' : 'payload length');
  for (let i = 0; i < lenOffset + 4; i++) scratch[i] = bytes[i]!;
  const dv = scratchView;
  const payloadLength = dv.getUint32(lenOffset);
  const max = maxPayload(limits);
  if (payloadLength > max) {
    throw new EnvelopeError(E.TooLarge, `payload length ${payloadLength} exceeds the limit of ${max}`, { offset: lenOffset });
  }
  const fixed = {
    topicId: dv.getUint32(Offset.topicId),
    schemaMajor: dv.getUint16(Offset.schemaMajor),
    schemaMinor: dv.getUint16(Offset.schemaMinor),
    sessionId: dv.getUint32(Offset.sessionId),
    corrId: dv.getBigUint64(Offset.corrId),
    timestampUs: dv.getBigUint64(Offset.timestampUs),
    qos: bytes[Offset.qos]! as Qos,
    capabilities: dv.getBigUint64(Offset.capabilities),
  };
  const header: EnvelopeHeader = chunked
    ? {
        ...fixed,
        chunk: {
          index: dv.getUint32(Offset.chunkIndex),
          total: dv.getUint32(Offset.chunkTotal),
          size: dv.getUint32(Offset.chunkSize),
          crc32: dv.getUint32(Offset.chunkCrc32),
        },
      }
    : fixed;
  const problem = checkHeader(header, payloadLength);
  if (problem) throw problem;
  const start = lenOffset + 4;
  const end = start + payloadLength;
  if (bytes.length < end) throw truncated(bytes, end, `payload of ${payloadLength} bytes`);
  if (bytes.length > end) {
    throw new EnvelopeError(E.TrailingBytes, `${bytes.length - end} bytes after the declared payload`, { offset: end });
  }
  return { header, payload: bytes.subarray(start, end) };
}

/** The reassembly key of a message: chunks with equal (session id, correlation id, topic id) belong together. */
export function messageKey(h: EnvelopeHeader): string {
  return `${h.sessionId}:${h.corrId}:${h.topicId}`;
}
