/**
 * Chunking of large payloads at the envelope layer and bounded reassembly on the receiving side.
 *
 * Rules (docs/wire.md § Envelope, "Chunking"):
 * - Every chunk is a full envelope with the same header fields and a chunk block
 *   {index, total, size, crc32}; size and crc32 describe the WHOLE payload.
 * - Chunks carry ≥ 1 byte each (only an empty payload has an empty chunk, total = 1); all chunks
 *   but the last carry exactly `maxChunkPayload` bytes when produced by `chunkPayload`, but the
 *   receiver accepts any split whose lengths add up to `size`.
 * - Chunks may arrive in any order and repeatedly; a repeat with identical bytes is ignored.
 * - A message is keyed by (session id, correlation id, topic id).
 */
import { crc32 } from './crc32.ts';
import { EnvelopeError, EnvelopeErrorCode as E } from './errors.ts';
import {
  DEFAULT_MAX_ENVELOPE_PAYLOAD,
  U32_MAX,
  checkHeader,
  decodeEnvelope,
  encodeEnvelope,
  messageKey,
  type ChunkInfo,
  type DecodedEnvelope,
  type EnvelopeHeader,
} from './header.ts';
import { BoundedPartials, partialsConfig, type PartialsOptions, type PendingOrDuplicate } from './partials.ts';

/**
 * Splits `payload` into chunk envelopes of at most `maxChunkPayload` payload bytes each, all
 * carrying index/total/size and the CRC-32 of the whole payload. Always returns ≥ 1 envelope.
 */
export function chunkPayload(header: EnvelopeHeader, payload: Uint8Array, maxChunkPayload: number): Uint8Array[] {
  if (!Number.isInteger(maxChunkPayload) || maxChunkPayload < 1) {
    throw new EnvelopeError(E.BadField, `maxChunkPayload must be an integer ≥ 1, got ${maxChunkPayload}`);
  }
  if (payload.length > U32_MAX) throw new EnvelopeError(E.TooLarge, `payload of ${payload.length} bytes exceeds the u32 size field`);
  const size = payload.length;
  const total = Math.max(1, Math.ceil(size / maxChunkPayload));
  const crc = crc32(payload);
  const limits = { maxPayloadBytes: maxChunkPayload };
  const out: Uint8Array[] = new Array<Uint8Array>(total);
  for (let index = 0; index < total; index++) {
    const part = payload.subarray(index * maxChunkPayload, Math.min(size, (index + 1) * maxChunkPayload));
    out[index] = encodeEnvelope({ ...header, chunk: { index, total, size, crc32: crc } }, part, limits);
  }
  return out;
}

/**
 * Limits of a `ChunkReassembler` (defaults in `DEFAULT_REASSEMBLY`): maxOpen 64 partial messages,
 * timeoutMs 30 000 after the first chunk, rememberCompleted 256, plus the byte limits below.
 */
export interface ReassemblyOptions extends PartialsOptions {
  /** Largest reassembled payload accepted (checked against the declared size of the first chunk). Default 16 MiB. */
  readonly maxMessageBytes?: number;
  /** Most chunks one message may declare. Default 65 536. */
  readonly maxChunks?: number;
  /** Bytes held across all partial messages. Default 64 MiB. */
  readonly maxBufferedBytes?: number;
  /** Largest payload of one incoming envelope (passed to `decodeEnvelope`). Default 64 KiB. */
  readonly maxEnvelopePayload?: number;
}

export const DEFAULT_REASSEMBLY = {
  maxMessageBytes: 16 * 1024 * 1024,
  maxChunks: 65_536,
  maxOpen: 64,
  maxBufferedBytes: 64 * 1024 * 1024,
  timeoutMs: 30_000,
  rememberCompleted: 256,
} as const;

export type ReassemblyResult =
  { readonly status: 'complete'; readonly key: string; readonly header: EnvelopeHeader; readonly payload: Uint8Array } | PendingOrDuplicate;

interface Partial {
  readonly key: string;
  readonly first: EnvelopeHeader;
  readonly info: ChunkInfo;
  /** index → private copy of that chunk's bytes; grows with chunks received, never from `total`. */
  readonly chunks: Map<number, Uint8Array>;
  bytes: number;
}

function signature(info: ChunkInfo): string {
  return `${info.total}/${info.size}/${info.crc32}`;
}

function sameMessage(a: EnvelopeHeader, b: EnvelopeHeader): string | null {
  const ca = a.chunk!;
  const cb = b.chunk!;
  if (ca.total !== cb.total) return `total ${cb.total} differs from ${ca.total}`;
  if (ca.size !== cb.size) return `size ${cb.size} differs from ${ca.size}`;
  if (ca.crc32 !== cb.crc32) return `CRC-32 ${cb.crc32} differs from ${ca.crc32}`;
  if (a.schemaMajor !== b.schemaMajor || a.schemaMinor !== b.schemaMinor) return 'schema version differs';
  if (a.qos !== b.qos) return 'QoS differs';
  if (a.timestampUs !== b.timestampUs) return 'timestamp differs';
  if (a.capabilities !== b.capabilities) return 'capability mask differs';
  return null;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Reassembles chunked envelopes. Bounded: declared sizes and chunk counts are checked against the
 * limits before anything is stored, memory grows only with bytes actually received, at most
 * `maxOpen` partial messages and `maxBufferedBytes` are held, and every partial message has a
 * deadline. A bad chunk throws `EnvelopeError` and discards only its own message. Completing a
 * message briefly holds its chunks and the joined payload together (2 × size at most).
 */
export class ChunkReassembler {
  private readonly maxMessageBytes: number;
  private readonly maxChunks: number;
  private readonly maxBufferedBytes: number;
  private readonly maxEnvelopePayload: number;
  private readonly partials: BoundedPartials<Partial, string>;
  private buffered = 0;

  constructor(options: ReassemblyOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_REASSEMBLY.maxMessageBytes;
    this.maxChunks = options.maxChunks ?? DEFAULT_REASSEMBLY.maxChunks;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_REASSEMBLY.maxBufferedBytes;
    this.maxEnvelopePayload = options.maxEnvelopePayload ?? DEFAULT_MAX_ENVELOPE_PAYLOAD;
    this.partials = new BoundedPartials<Partial, string>(
      partialsConfig<Partial>(options, DEFAULT_REASSEMBLY, (p) => {
        this.buffered -= p.bytes;
      }),
    );
  }

  /** Partial messages currently held. */
  get openCount(): number {
    return this.partials.size;
  }

  /** Payload bytes currently held across partial messages. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Discards partial messages past their deadline; returns (and reports via `onDiscard`) their timeout errors. */
  sweep(): EnvelopeError[] {
    return this.partials.expire();
  }

  /**
   * Feeds one envelope (raw bytes or already decoded). An unchunked envelope completes at once.
   * Throws `EnvelopeError` for an undecodable envelope or a chunk that breaks the rules; in the
   * latter case the message it belongs to is discarded and the error carries its key.
   */
  push(input: Uint8Array | DecodedEnvelope): ReassemblyResult {
    const env = input instanceof Uint8Array ? decodeEnvelope(input, { maxPayloadBytes: this.maxEnvelopePayload }) : input;
    const { header, payload } = env;
    if (!(input instanceof Uint8Array)) {
      const problem = checkHeader(header, payload.length);
      if (problem) throw problem;
    }
    const key = messageKey(header);
    const info = header.chunk;
    if (info === undefined) return { status: 'complete', key, header, payload };
    this.partials.expire();
    const open = this.partials.get(key);
    if (open === undefined) {
      if (this.partials.recall(key) === signature(info)) return { status: 'duplicate', key };
      return this.start(key, header, info, payload);
    }
    return this.add(open, header, info, payload);
  }

  private fail(p: Partial | null, code: E, reason: string, key: string): never {
    if (p) {
      this.partials.delete(p.key);
      this.buffered -= p.bytes;
    }
    throw new EnvelopeError(code, reason, { key });
  }

  private start(key: string, header: EnvelopeHeader, info: ChunkInfo, payload: Uint8Array): ReassemblyResult {
    if (info.size > this.maxMessageBytes) {
      this.fail(null, E.TooLarge, `declared size ${info.size} exceeds maxMessageBytes ${this.maxMessageBytes}`, key);
    }
    if (info.total > this.maxChunks) this.fail(null, E.TooLarge, `declared ${info.total} chunks exceed maxChunks ${this.maxChunks}`, key);
    if (info.total === 1) return this.finish(key, header, info, [payload]);
    if (this.buffered + payload.length > this.maxBufferedBytes) {
      this.fail(null, E.TooLarge, `buffering ${payload.length} more bytes exceeds maxBufferedBytes ${this.maxBufferedBytes}`, key);
    }
    const p: Partial = { key, first: header, info, chunks: new Map([[info.index, payload.slice()]]), bytes: payload.length };
    this.partials.add(key, p);
    this.buffered += payload.length;
    return { status: 'pending', key, received: 1, total: info.total };
  }

  private add(p: Partial, header: EnvelopeHeader, info: ChunkInfo, payload: Uint8Array): ReassemblyResult {
    const mismatch = sameMessage(p.first, header);
    if (mismatch) this.fail(p, E.ChunkInconsistent, `chunk ${info.index}: ${mismatch}`, p.key);
    const seen = p.chunks.get(info.index);
    if (seen !== undefined) {
      if (equalBytes(seen, payload)) return { status: 'duplicate', key: p.key };
      this.fail(p, E.ChunkInconsistent, `chunk ${info.index} repeated with different bytes`, p.key);
    }
    if (p.bytes + payload.length > p.info.size) {
      this.fail(p, E.ChunkInconsistent, `chunks carry more than the declared size ${p.info.size}`, p.key);
    }
    if (this.buffered + payload.length > this.maxBufferedBytes) {
      this.fail(p, E.TooLarge, `buffering ${payload.length} more bytes exceeds maxBufferedBytes ${this.maxBufferedBytes}`, p.key);
    }
    p.chunks.set(info.index, payload.slice());
    p.bytes += payload.length;
    this.buffered += payload.length;
    if (p.chunks.size < p.info.total) return { status: 'pending', key: p.key, received: p.chunks.size, total: p.info.total };
    this.partials.delete(p.key);
    this.buffered -= p.bytes;
    const parts: Uint8Array[] = [];
    for (let i = 0; i < p.info.total; i++) parts.push(p.chunks.get(i)!);
    return this.finish(p.key, p.first, p.info, parts);
  }

  private finish(key: string, header: EnvelopeHeader, info: ChunkInfo, parts: readonly Uint8Array[]): ReassemblyResult {
    let length = 0;
    for (const part of parts) length += part.length;
    if (length !== info.size) this.fail(null, E.ChunkInconsistent, `chunks carry ${length} bytes, declared size is ${info.size}`, key);
    let payload: Uint8Array;
    if (parts.length === 1) payload = parts[0]!;
    else {
      payload = new Uint8Array(length);
      let at = 0;
      for (const part of parts) {
        payload.set(part, at);
        at += part.length;
      }
    }
    const actual = crc32(payload);
    if (actual !== info.crc32) {
      this.fail(null, E.CrcMismatch, `CRC-32 of reassembled payload is ${hex32(actual)}, chunks declare ${hex32(info.crc32)}`, key);
    }
    this.partials.complete(key, signature(info));
    const { chunk: _chunk, ...whole } = header;
    return { status: 'complete', key, header: whole, payload };
  }
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
