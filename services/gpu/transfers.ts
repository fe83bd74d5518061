/**
 * Chunked buffer transfers of the GPU plane (idl/gpu: BufferChunk, BufferWriteAck), with no GPU and no
 * bus: reassembling uploads, splitting a range into chunks, and collecting a download.
 *
 * Uploads are written through. Each chunk whose CRC-32 matches goes straight to the sink (the device
 * buffer) and only a small record of it (offset, length, CRC) is kept, so an upload holds no data bytes
 * whatever its size or order. The whole-transfer checksum, which rides on the highest-index chunk, is
 * verified once every chunk arrived: a crc32 checksum by combining the chunk CRCs in offset order
 * (crc32-combine.ts), a sha256 one by reading the range back from the device (`readBack`). Holding the
 * bytes until the checksum matched instead would make memory grow with the transfer; the price of
 * writing through is that a buffer's range holds undefined bytes until its transfer is acknowledged
 * `complete` (a failed or expired transfer leaves whatever arrived), which the client handles by
 * dispatching only after a complete upload.
 *
 * Refusals are `RemoteError`s named after GpuError members, with a JSON `detail` naming the transfer and
 * chunk: MISALIGNED (offset or length not a multiple of 4), OUT_OF_BOUNDS (past the buffer's end, an
 * index past `chunkTotal`, or a chunk that contradicts its transfer — another buffer, another total, the
 * same index with other bytes, overlapping bytes, a chunk from another session than the one that opened
 * the transfer), CHECKSUM_MISMATCH (a chunk's CRC-32, or the
 * transfer's checksum), MISSING_CHUNKS (a chunk of a transfer that expired), LIMIT_EXCEEDED (too many
 * open transfers or chunk records, in all or for one session, so that one client cannot take every
 * slot; retry later).
 */
import { createHash } from 'node:crypto';
import { RemoteError, crc32 } from '../../runtime/index.ts';
import type { BufferChunk, BufferWriteAck, Checksum } from '../../generated/index.ts';
import { crc32Combine } from './crc32-combine.ts';

/** Largest data field of a chunk (BufferChunk.data maxLength, 48 KiB). */
export const MAX_CHUNK_BYTES = 49_152;
/** Most indexes an ack lists as missing (BufferWriteAck.missing maxItems). */
export const MAX_MISSING_LISTED = 256;

export type ChunkSink = (bufferId: string, offset: bigint, data: Uint8Array) => void;
export type RangeSource = (bufferId: string, offset: bigint, length: bigint) => Promise<Uint8Array>;

export interface UploadAssemblerOptions {
  /** Where each verified chunk's bytes go (the device buffer); what it throws refuses the chunk. */
  readonly write: ChunkSink;
  /** Reads a written range back, to verify a sha256 transfer checksum; without it sha256 is refused. */
  readonly readBack?: RangeSource;
  /** Transfers open at once (64); past it a new transfer is refused with LIMIT_EXCEEDED. */
  readonly maxOpenTransfers?: number;
  /** Chunk records kept across all open transfers (65,536, about 100 bytes each); past it LIMIT_EXCEEDED. */
  readonly maxTrackedChunks?: number;
  /** Transfers one session (the `owner` passed to `accept`) may have open at once (16): the others keep room. */
  readonly maxOpenTransfersPerOwner?: number;
  /** Chunk records one session's open transfers may hold (16,384). */
  readonly maxTrackedChunksPerOwner?: number;
  /** A transfer with no chunk for this long is dropped (30,000 ms). */
  readonly idleTimeoutMs?: number;
  /** Finished (complete or expired) transfer ids remembered, to re-ack duplicates and explain late chunks (1,024). */
  readonly rememberFinished?: number;
  /** Milliseconds on a monotonic clock (performance.now); tests pass their own. */
  readonly now?: () => number;
}

export interface UploadAssemblerStats {
  readonly openTransfers: number;
  readonly trackedChunks: number;
  readonly completed: number;
  readonly expired: number;
  readonly refused: number;
}

interface ChunkRecord {
  readonly index: number;
  readonly offset: bigint;
  readonly length: number;
  readonly crc: number;
}

/** Who sent a transfer's chunks: the session id of the requests (a bus's `Delivery.sessionId`). */
export type TransferOwner = string | number;

interface Transfer {
  readonly transferId: string;
  readonly owner: TransferOwner;
  readonly bufferId: string;
  readonly chunkTotal: number;
  readonly chunks: Map<number, ChunkRecord>;
  lastActivity: number;
  checksum: Checksum | undefined;
  lastArrived: boolean;
  /** The first missing indexes (ascending) as of the last scan; indexes received since are dropped from it. */
  missing: number[];
  /** Where the next scan for missing indexes starts: every index below it is received or listed in `missing`. */
  scanFrom: number;
  /** The checksum verification in progress, once every chunk arrived. */
  verifying: Promise<void> | undefined;
}

type Finished =
  { readonly kind: 'complete'; readonly chunkTotal: number } | { readonly kind: 'expired'; readonly missing: readonly number[]; readonly idleMs: number };

/** A refusal of a chunk: a GpuError member with the transfer and chunk in its detail. */
function refuse(name: string, chunk: Pick<BufferChunk, 'transferId' | 'chunkIndex'>, message: string, extra: Record<string, unknown> = {}): RemoteError {
  return new RemoteError(name, `chunk ${chunk.chunkIndex} of transfer ${chunk.transferId}: ${message}`, {
    detail: { transferId: chunk.transferId, chunkIndex: chunk.chunkIndex, ...extra },
  });
}

/** How long a refused chunk's sender is told to wait before it retries, when a bound is full. */
const RETRY_LATER_MS = 100;

/** LIMIT_EXCEEDED for a bound that is full now but frees up: `message` as given, a retry hint, the chunk and the limit in its detail. */
function full(chunk: Pick<BufferChunk, 'transferId' | 'chunkIndex'>, message: string, limit: number, extra: Record<string, unknown> = {}): RemoteError {
  return new RemoteError('LIMIT_EXCEEDED', message, {
    detail: { transferId: chunk.transferId, chunkIndex: chunk.chunkIndex, limit, ...extra },
    retryAfterMs: RETRY_LATER_MS,
  });
}

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** Reassembles uploads (gpu/buffer.write) chunk by chunk, writing through; see the file comment. */
export class UploadAssembler {
  private readonly transfers = new Map<string, Transfer>();
  private readonly finished = new Map<string, Finished>();
  private readonly maxOpen: number;
  private readonly maxTracked: number;
  private readonly idleMs: number;
  private readonly remember: number;
  private readonly now: () => number;
  private tracked = 0;
  private readonly maxOpenPerOwner: number;
  private readonly maxTrackedPerOwner: number;
  /** Open transfers and tracked chunks by owner; an owner with neither is removed. */
  private readonly use = new Map<TransferOwner, { open: number; chunks: number }>();
  private counts = { completed: 0, expired: 0, refused: 0 };

  constructor(private readonly options: UploadAssemblerOptions) {
    this.maxOpen = positive(options.maxOpenTransfers ?? 64, 'maxOpenTransfers');
    this.maxTracked = positive(options.maxTrackedChunks ?? 65_536, 'maxTrackedChunks');
    this.idleMs = positive(options.idleTimeoutMs ?? 30_000, 'idleTimeoutMs');
    this.maxOpenPerOwner = positive(options.maxOpenTransfersPerOwner ?? 16, 'maxOpenTransfersPerOwner');
    this.maxTrackedPerOwner = positive(options.maxTrackedChunksPerOwner ?? 16_384, 'maxTrackedChunksPerOwner');
    this.remember = positive(options.rememberFinished ?? 1_024, 'rememberFinished');
    this.now = options.now ?? (() => performance.now());
  }

  stats(): UploadAssemblerStats {
    return { openTransfers: this.transfers.size, trackedChunks: this.tracked, ...this.counts };
  }

  /**
   * Checks `chunk` against a buffer of `bufferSize` bytes, writes it through and acknowledges it.
   * `owner` is the session that sent it: a transfer takes chunks from the session that opened it only,
   * and each session's share of the bounds is limited.
   */
  async accept(chunk: BufferChunk, bufferSize: bigint, owner: TransferOwner = ''): Promise<BufferWriteAck> {
    try {
      return await this.acceptChecked(chunk, bufferSize, owner);
    } catch (err) {
      this.counts.refused++;
      throw err;
    }
  }

  /** Drops the transfers idle for longer than the timeout (also done on every `accept`). */
  sweep(): void {
    const now = this.now();
    // Map order is least recently active first (a transfer is re-inserted on activity).
    for (const t of this.transfers.values()) {
      if (now - t.lastActivity <= this.idleMs) break;
      if (t.verifying) continue;
      this.drop(t);
      this.counts.expired++;
      this.finish(t.transferId, { kind: 'expired', missing: this.missingOf(t), idleMs: Math.round(now - t.lastActivity) });
    }
  }

  private async acceptChecked(chunk: BufferChunk, bufferSize: bigint, owner: TransferOwner): Promise<BufferWriteAck> {
    this.sweep();
    const length = chunk.data.length;
    if (chunk.offset % 4n !== 0n || length % 4 !== 0)
      throw refuse('MISALIGNED', chunk, `offset ${chunk.offset} and length ${length} must be multiples of 4`, { offset: String(chunk.offset), length });
    if (chunk.offset + BigInt(length) > bufferSize)
      throw refuse(
        'OUT_OF_BOUNDS',
        chunk,
        `bytes ${chunk.offset}…${chunk.offset + BigInt(length)} pass the end of buffer ${chunk.bufferId} (${bufferSize} bytes)`,
        {
          offset: String(chunk.offset),
          length,
          bufferSize: String(bufferSize),
        },
      );
    if (chunk.chunkIndex >= chunk.chunkTotal)
      throw refuse('OUT_OF_BOUNDS', chunk, `the index is not below chunkTotal ${chunk.chunkTotal}`, { chunkTotal: chunk.chunkTotal });
    const actual = crc32(chunk.data);
    if (actual !== chunk.crc32 >>> 0)
      throw refuse('CHECKSUM_MISMATCH', chunk, `the CRC-32 of its ${length} bytes is ${hex(actual)}, not the ${hex(chunk.crc32)} it carries; resend it`, {
        scope: 'chunk',
        expected: chunk.crc32 >>> 0,
        actual,
      });

    const finished = this.finished.get(chunk.transferId);
    if (finished?.kind === 'complete')
      return { transferId: chunk.transferId, chunkIndex: chunk.chunkIndex, received: finished.chunkTotal, complete: true, missing: [] };
    if (finished?.kind === 'expired')
      throw refuse(
        'MISSING_CHUNKS',
        chunk,
        `the transfer expired after ${finished.idleMs} ms without a chunk, with chunks missing; upload again under a new transferId`,
        {
          missing: finished.missing,
        },
      );

    const transfer = this.transfers.get(chunk.transferId) ?? this.open(chunk, bufferSize, owner);
    if (transfer.owner !== owner)
      throw refuse('OUT_OF_BOUNDS', chunk, 'the transfer belongs to another session; upload under a transferId of your own', { reason: 'inconsistent' });
    if (transfer.bufferId !== chunk.bufferId)
      throw refuse('OUT_OF_BOUNDS', chunk, `the transfer writes buffer ${transfer.bufferId}, this chunk names ${chunk.bufferId}`, { reason: 'inconsistent' });
    if (transfer.chunkTotal !== chunk.chunkTotal)
      throw refuse('OUT_OF_BOUNDS', chunk, `the transfer has ${transfer.chunkTotal} chunks, this chunk says ${chunk.chunkTotal}`, { reason: 'inconsistent' });
    this.touch(transfer);

    const known = transfer.chunks.get(chunk.chunkIndex);
    if (known) {
      if (known.offset !== chunk.offset || known.length !== length || known.crc !== actual)
        throw refuse(
          'OUT_OF_BOUNDS',
          chunk,
          `this index arrived before with other bytes (offset ${known.offset}, ${known.length} bytes, CRC ${hex(known.crc)})`,
          { reason: 'inconsistent' },
        );
    } else {
      if (this.tracked >= this.maxTracked)
        throw full(
          chunk,
          `chunk ${chunk.chunkIndex} of transfer ${chunk.transferId}: ${this.maxTracked} chunks of open transfers are tracked already; retry later`,
          this.maxTracked,
        );
      const use = this.useOf(owner);
      if (use.chunks >= this.maxTrackedPerOwner)
        throw full(
          chunk,
          `chunk ${chunk.chunkIndex} of transfer ${chunk.transferId}: this session's open transfers track ${use.chunks} chunks, the most one session may; finish or let one expire, or use larger chunks`,
          this.maxTrackedPerOwner,
          { scope: 'session' },
        );
      this.options.write(chunk.bufferId, chunk.offset, chunk.data);
      transfer.chunks.set(chunk.chunkIndex, { index: chunk.chunkIndex, offset: chunk.offset, length, crc: actual });
      this.tracked++;
      use.chunks++;
      if (chunk.chunkIndex === chunk.chunkTotal - 1) {
        transfer.lastArrived = true;
        transfer.checksum = chunk.checksum;
      }
      const listed = transfer.missing.indexOf(chunk.chunkIndex);
      if (listed >= 0) transfer.missing.splice(listed, 1);
    }

    if (transfer.chunks.size === transfer.chunkTotal) {
      transfer.verifying ??= this.verify(transfer, chunk);
      await transfer.verifying;
      return { transferId: transfer.transferId, chunkIndex: chunk.chunkIndex, received: transfer.chunkTotal, complete: true, missing: [] };
    }
    return {
      transferId: transfer.transferId,
      chunkIndex: chunk.chunkIndex,
      received: transfer.chunks.size,
      complete: false,
      missing: transfer.lastArrived ? this.missingOf(transfer) : [],
    };
  }

  private open(chunk: BufferChunk, bufferSize: bigint, owner: TransferOwner): Transfer {
    // Every chunk holds at least 4 bytes of a distinct range, so more chunks than that cannot all fit.
    if (BigInt(chunk.chunkTotal) * 4n > bufferSize)
      throw refuse('OUT_OF_BOUNDS', chunk, `${chunk.chunkTotal} chunks of at least 4 bytes cannot fit buffer ${chunk.bufferId} (${bufferSize} bytes)`, {
        chunkTotal: chunk.chunkTotal,
        bufferSize: String(bufferSize),
      });
    if (chunk.chunkTotal > this.maxTracked)
      throw refuse('LIMIT_EXCEEDED', chunk, `${chunk.chunkTotal} chunks exceed the ${this.maxTracked} a transfer may have; use larger chunks`, {
        limit: this.maxTracked,
      });
    if (this.transfers.size >= this.maxOpen)
      throw full(chunk, `transfer ${chunk.transferId}: ${this.maxOpen} transfers are open already; retry later`, this.maxOpen);
    const use = this.useOf(owner);
    if (use.open >= this.maxOpenPerOwner)
      throw full(
        chunk,
        `transfer ${chunk.transferId}: this session has ${use.open} transfers open, the most one session may; finish one or retry later`,
        this.maxOpenPerOwner,
        { scope: 'session' },
      );
    use.open++;
    const transfer: Transfer = {
      transferId: chunk.transferId,
      owner,
      bufferId: chunk.bufferId,
      chunkTotal: chunk.chunkTotal,
      chunks: new Map(),
      lastActivity: this.now(),
      checksum: undefined,
      lastArrived: false,
      missing: [],
      scanFrom: 0,
      verifying: undefined,
    };
    this.transfers.set(chunk.transferId, transfer);
    return transfer;
  }

  private touch(t: Transfer): void {
    t.lastActivity = this.now();
    this.transfers.delete(t.transferId);
    this.transfers.set(t.transferId, t);
  }

  /**
   * The first missing indexes, ascending, at most MAX_MISSING_LISTED. Amortized linear over a transfer:
   * the scan resumes where the last one stopped, and indexes received meanwhile leave the list.
   */
  private missingOf(t: Transfer): number[] {
    while (t.missing.length < MAX_MISSING_LISTED && t.scanFrom < t.chunkTotal) {
      if (!t.chunks.has(t.scanFrom)) t.missing.push(t.scanFrom);
      t.scanFrom++;
    }
    return [...t.missing];
  }

  /** Verifies the whole-transfer checksum once every chunk arrived; the transfer ends either way. */
  private async verify(t: Transfer, last: BufferChunk): Promise<void> {
    try {
      const ordered = [...t.chunks.values()].sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
      for (let i = 1; i < ordered.length; i++) {
        const [prev, next] = [ordered[i - 1]!, ordered[i]!];
        if (prev.offset + BigInt(prev.length) > next.offset)
          throw refuse(
            'OUT_OF_BOUNDS',
            last,
            `chunks ${prev.index} and ${next.index} overlap (bytes from ${next.offset}); upload again under a new transferId`,
            {
              reason: 'overlap',
              chunks: [prev.index, next.index],
            },
          );
      }
      const checksum = t.checksum;
      if (checksum) await this.checkTransfer(t, checksum, ordered, last);
      this.finish(t.transferId, { kind: 'complete', chunkTotal: t.chunkTotal });
      this.counts.completed++;
    } finally {
      this.drop(t);
    }
  }

  private async checkTransfer(t: Transfer, checksum: Checksum, ordered: readonly ChunkRecord[], last: BufferChunk): Promise<void> {
    let actual: Uint8Array;
    if (checksum.algorithm === 'crc32') {
      let crc = 0;
      for (const c of ordered) crc = crc32Combine(crc, c.crc, c.length);
      actual = crc32Bytes(crc);
    } else {
      const readBack = this.options.readBack;
      if (!readBack)
        throw refuse('CHECKSUM_MISMATCH', last, 'this host verifies only crc32 transfer checksums, not sha256', {
          scope: 'transfer',
          algorithm: checksum.algorithm,
        });
      const hash = createHash('sha256');
      for (const c of ordered) hash.update(await readBack(t.bufferId, c.offset, BigInt(c.length)));
      actual = new Uint8Array(hash.digest());
    }
    if (!bytesEqual(actual, checksum.value))
      throw refuse(
        'CHECKSUM_MISMATCH',
        last,
        `the ${checksum.algorithm} of the whole transfer is ${toHex(actual)}, not the ${toHex(checksum.value)} it carries; upload again under a new transferId`,
        {
          scope: 'transfer',
          algorithm: checksum.algorithm,
        },
      );
  }

  private drop(t: Transfer): void {
    if (this.transfers.get(t.transferId) !== t) return;
    this.transfers.delete(t.transferId);
    this.tracked -= t.chunks.size;
    const use = this.useOf(t.owner);
    use.open--;
    use.chunks -= t.chunks.size;
    if (use.open === 0 && use.chunks === 0) this.use.delete(t.owner);
  }

  private useOf(owner: TransferOwner): { open: number; chunks: number } {
    let use = this.use.get(owner);
    if (!use) {
      use = { open: 0, chunks: 0 };
      this.use.set(owner, use);
    }
    return use;
  }

  private finish(transferId: string, how: Finished): void {
    this.finished.delete(transferId);
    this.finished.set(transferId, how);
    if (this.finished.size > this.remember) this.finished.delete(this.finished.keys().next().value!);
  }
}

function positive(n: number, name: string): number {
  if (!(Number.isFinite(n) && n > 0)) throw new RangeError(`UploadAssembler: ${name} must be a positive number, got ${n}`);
  return n;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

const toHex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** A CRC-32 as the 4 bytes of a `Checksum` value (big-endian, as it is usually written). */
export function crc32Bytes(crc: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, crc >>> 0, false);
  return out;
}

/** The `Checksum` of `bytes` with `algorithm`. */
export function checksumOf(bytes: Uint8Array, algorithm: Checksum['algorithm'] = 'crc32'): Checksum {
  if (algorithm === 'crc32') return { algorithm, value: crc32Bytes(crc32(bytes)) };
  return { algorithm, value: new Uint8Array(createHash('sha256').update(bytes).digest()) };
}

export interface ChunkTransferOptions {
  readonly transferId: string;
  readonly bufferId: string;
  /** Byte offset of `bytes[0]` in the buffer, a multiple of 4 (0). */
  readonly offset?: bigint;
  /** Data bytes per chunk, a multiple of 4 from 4 to 49,152 (49,152). */
  readonly chunkSize?: number;
  /** Algorithm of the whole-transfer checksum (crc32). */
  readonly algorithm?: Checksum['algorithm'];
}

export interface ChunkedTransfer {
  /** The chunks in index order; their `data` are views of the input, not copies. */
  readonly chunks: BufferChunk[];
  /** The whole-range checksum, also carried by the highest-index chunk. */
  readonly checksum: Checksum;
}

/**
 * Splits a byte range into BufferChunks (uploads and gpu/buffer.data streams alike): a CRC-32 per chunk,
 * the whole-range checksum on the highest-index chunk.
 */
export function chunkTransfer(bytes: Uint8Array, options: ChunkTransferOptions): ChunkedTransfer {
  const chunkSize = options.chunkSize ?? MAX_CHUNK_BYTES;
  const offset = options.offset ?? 0n;
  if (!Number.isInteger(chunkSize) || chunkSize < 4 || chunkSize > MAX_CHUNK_BYTES || chunkSize % 4 !== 0)
    throw new RangeError(`chunkSize must be a multiple of 4 from 4 to ${MAX_CHUNK_BYTES}, got ${chunkSize}`);
  if (offset < 0n || offset % 4n !== 0n) throw new RangeError(`offset must be a non-negative multiple of 4, got ${offset}`);
  if (bytes.length === 0 || bytes.length % 4 !== 0) throw new RangeError(`a transfer holds a positive multiple of 4 bytes, got ${bytes.length}`);
  const checksum = checksumOf(bytes, options.algorithm);
  const chunkTotal = Math.ceil(bytes.length / chunkSize);
  const chunks: BufferChunk[] = [];
  for (let i = 0; i < chunkTotal; i++) {
    const data = bytes.subarray(i * chunkSize, Math.min(bytes.length, (i + 1) * chunkSize));
    chunks.push({
      transferId: options.transferId,
      bufferId: options.bufferId,
      offset: offset + BigInt(i * chunkSize),
      chunkIndex: i,
      chunkTotal,
      data,
      crc32: crc32(data),
      ...(i === chunkTotal - 1 ? { checksum } : {}),
    });
  }
  return { chunks, checksum };
}

/** The name part B's brief gives the read side of `chunkTransfer` (gpu/buffer.data streams). */
export const chunkDownload = chunkTransfer;

export interface DownloadExpectation {
  readonly transferId: string;
  readonly bufferId: string;
  readonly offset: bigint;
  readonly length: number;
  readonly chunkTotal: number;
  readonly checksum: Checksum;
}

/** Why a download chunk was not taken (the collector keeps going). */
export interface DownloadFault {
  readonly chunkIndex: number;
  readonly reason: 'crc32' | 'range' | 'conflict' | 'foreign';
  readonly message: string;
}

/**
 * Collects the chunks of one download (a BufferReadStarted and its gpu/buffer.data stream) into a
 * buffer of the announced length: each chunk's CRC-32 and range are checked, duplicates ignored, and the
 * whole checksum verified once every chunk arrived. Memory: the announced length, allocated once.
 */
export class DownloadCollector {
  readonly bytes: Uint8Array;
  private readonly seen: Uint8Array;
  private received = 0;

  constructor(readonly expected: DownloadExpectation) {
    if (!Number.isSafeInteger(expected.length) || expected.length < 0)
      throw new RangeError(`download length must be a safe integer ≥ 0, got ${expected.length}`);
    if (!Number.isSafeInteger(expected.chunkTotal) || expected.chunkTotal < 0 || expected.chunkTotal * 4 > Math.max(expected.length, 4))
      throw new RangeError(`${expected.chunkTotal} chunks cannot carry ${expected.length} bytes`);
    this.bytes = new Uint8Array(expected.length);
    this.seen = new Uint8Array(expected.chunkTotal);
  }

  /** Takes one chunk; returns why it was refused, or undefined when it was taken (or was a duplicate). */
  add(chunk: BufferChunk): DownloadFault | undefined {
    const e = this.expected;
    const fault = (reason: DownloadFault['reason'], message: string): DownloadFault => ({
      chunkIndex: chunk.chunkIndex,
      reason,
      message: `chunk ${chunk.chunkIndex}: ${message}`,
    });
    if (chunk.transferId !== e.transferId || chunk.bufferId !== e.bufferId)
      return fault('foreign', `belongs to transfer ${chunk.transferId} of ${chunk.bufferId}`);
    if (chunk.chunkTotal !== e.chunkTotal || chunk.chunkIndex >= e.chunkTotal)
      return fault('range', `index ${chunk.chunkIndex} of ${chunk.chunkTotal} does not fit ${e.chunkTotal} chunks`);
    const start = chunk.offset - e.offset;
    if (start < 0n || start + BigInt(chunk.data.length) > BigInt(e.length))
      return fault('range', `bytes from offset ${chunk.offset} fall outside the range read`);
    const actual = crc32(chunk.data);
    if (actual !== chunk.crc32 >>> 0) return fault('crc32', `CRC-32 ${hex(actual)} of its bytes is not the ${hex(chunk.crc32)} it carries`);
    if (this.seen[chunk.chunkIndex]) return undefined;
    this.seen[chunk.chunkIndex] = 1;
    this.received++;
    this.bytes.set(chunk.data, Number(start));
    return undefined;
  }

  get complete(): boolean {
    return this.received === this.expected.chunkTotal;
  }

  /** Distinct chunks taken so far. */
  get receivedCount(): number {
    return this.received;
  }

  /** True when chunk `index` was taken. */
  has(index: number): boolean {
    return this.seen[index] === 1;
  }

  /** Indexes not received yet, ascending. */
  missing(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.seen.length; i++) if (!this.seen[i]) out.push(i);
    return out;
  }

  /** True when the reassembled bytes match the announced checksum (call once complete). */
  verify(): boolean {
    return bytesEqual(checksumOf(this.bytes, this.expected.checksum.algorithm).value, this.expected.checksum.value);
  }
}
