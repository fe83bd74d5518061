/**
 * The common path of the GPU plane for a client, beside the generated `client.gpu` (which it exposes as
 * `gpu` for everything else): upload a typed array in checksummed chunks with bounded resends, dispatch a
 * job and await its terminal result, download a buffer range into a typed array with every chunk and
 * the whole checksum verified.
 *
 * Results and read data stream on `gpu/job.result/{corr}` and `gpu/buffer.data/{corr}` under the corr of
 * the request — which the Bus chooses as it sends the request, so a client cannot subscribe to that one
 * address beforehand. The client therefore holds one subscription to each stream for all addresses and
 * routes by `JobAccepted.resultTopic` + `jobId` and by `transferId`; what arrives before its reply (a
 * result or chunk may overtake it) waits in a bounded holding area for a short while. On a shared host
 * those subscriptions also see other clients' streams, which are dropped here.
 *
 * Failures are the bus's `BusError`s unchanged (a refusal has code `remote` and the GpuError in
 * `.remote`); a client-side give-up (retries spent, a stream that stopped) is a `GpuClientError`.
 */
import { randomUUID } from 'node:crypto';
import { BusError, type Bus, type Delivery, type Subscription } from '../../runtime/index.ts';
import {
  createClient,
  topics,
  type BufferChunk,
  type BufferWriteAck,
  type Checksum,
  type JobAccepted,
  type JobDispatch,
  type JobResult,
} from '../../generated/index.ts';
import { DownloadCollector, MAX_CHUNK_BYTES, chunkTransfer, type DownloadFault } from './transfers.ts';

export interface GpuClientOptions {
  /** Timeout of each request (chunk write, read, dispatch), ms (5000). */
  readonly requestTimeoutMs?: number;
  /** Largest download accepted, bytes (256 MiB). */
  readonly maxDownloadBytes?: number;
  /** Bytes of read chunks and results held while their reply has not arrived (16 MiB), and for how long (10 s). */
  readonly maxEarlyBytes?: number;
  readonly earlyHoldMs?: number;
}

export interface UploadOptions {
  /** Byte offset in the buffer, a multiple of 4 (0). */
  readonly offset?: bigint;
  /** Data bytes per chunk, a multiple of 4 up to 49,152 (49,152). */
  readonly chunkSize?: number;
  /** Resends allowed per chunk, and fresh starts of the whole transfer, each (5). */
  readonly retries?: number;
  /** Timeout of each chunk's request, ms (the client's requestTimeoutMs). */
  readonly timeoutMs?: number;
  /** Chunks awaiting their ack at once (8). */
  readonly window?: number;
  /** Algorithm of the whole-transfer checksum (crc32). */
  readonly algorithm?: Checksum['algorithm'];
}

export interface UploadReport {
  readonly transferId: string;
  readonly bytes: number;
  readonly chunks: number;
  /** Chunks sent again: each index once per resend (a CHECKSUM_MISMATCH, a timeout, an ack's `missing`). */
  readonly resent: readonly number[];
  /** Transfers started over under a new transferId (a whole-transfer checksum mismatch, an expired transfer). */
  readonly restarts: number;
}

export interface DispatchOptions {
  /** How long to wait for the terminal result after the job was accepted, ms (30,000). */
  readonly timeoutMs?: number;
  /** Each non-terminal result (queued, running) as it arrives. */
  readonly onUpdate?: (result: JobResult) => void;
}

export interface DownloadOptions {
  readonly offset?: bigint;
  /** Bytes to read (a multiple of 4); absent reads to the end of the buffer. */
  readonly length?: bigint;
  /** Data bytes per chunk, a multiple of 4 from 256 to 49,152 (49,152). */
  readonly chunkSize?: number;
  /** Re-reads after a corrupt, incomplete or mismatching stream (3). */
  readonly retries?: number;
  /** How long a stream may go without a chunk before it is read again, ms (the client's requestTimeoutMs). */
  readonly timeoutMs?: number;
}

/** A client-side give-up: retries spent, a stream that stopped, a download over the limit. */
export class GpuClientError extends Error {
  override readonly name = 'GpuClientError';
  constructor(
    message: string,
    /** The last failure seen, if any (often a BusError). */
    readonly last?: unknown,
  ) {
    super(message, last === undefined ? undefined : { cause: last });
  }
}

type TypedArrayOf<T> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number };

const TERMINAL = new Set<JobResult['status']>(['ok', 'failed', 'timeout', 'cancelled']);

/** Things that arrived before the reply naming them, by key, bounded in bytes and age. */
class EarlyArrivals<T> {
  private readonly held = new Map<string, { at: number; items: T[]; bytes: number }>();
  private bytes = 0;
  constructor(
    private readonly maxBytes: number,
    private readonly holdMs: number,
  ) {}

  add(key: string, item: T, size: number): void {
    const now = performance.now();
    for (const [k, v] of this.held) {
      if (now - v.at <= this.holdMs) break;
      this.remove(k, v);
    }
    if (this.bytes + size > this.maxBytes) return;
    const entry = this.held.get(key) ?? { at: now, items: [], bytes: 0 };
    entry.items.push(item);
    entry.bytes += size;
    this.bytes += size;
    this.held.set(key, entry);
  }

  take(key: string): T[] {
    const entry = this.held.get(key);
    if (!entry) return [];
    this.remove(key, entry);
    return entry.items;
  }

  private remove(key: string, entry: { bytes: number }): void {
    this.held.delete(key);
    this.bytes -= entry.bytes;
  }
}

export class GpuClient {
  /** The generated client's `gpu` node, for the topics this helper does not wrap. */
  readonly gpu: ReturnType<typeof createClient>['gpu'];
  private readonly requestTimeoutMs: number;
  private readonly maxDownloadBytes: number;
  private readonly earlyResults: EarlyArrivals<JobResult>;
  private readonly earlyChunks: EarlyArrivals<BufferChunk>;
  private readonly resultWaiters = new Map<string, (result: JobResult) => void>();
  private readonly chunkWaiters = new Map<string, (chunk: BufferChunk) => void>();
  private resultSub: Subscription | undefined;
  private dataSub: Subscription | undefined;

  constructor(
    private readonly bus: Bus,
    options: GpuClientOptions = {},
  ) {
    this.gpu = createClient(bus).gpu;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
    this.maxDownloadBytes = options.maxDownloadBytes ?? 256 * 1024 * 1024;
    const early = options.maxEarlyBytes ?? 16 * 1024 * 1024;
    const holdMs = options.earlyHoldMs ?? 10_000;
    this.earlyResults = new EarlyArrivals(early, holdMs);
    this.earlyChunks = new EarlyArrivals(early, holdMs);
  }

  /** Uploads `data` into `bufferId` (which needs copy_dst usage); resolves once the host acknowledged it complete. */
  async upload(bufferId: string, data: ArrayBufferView, options: UploadOptions = {}): Promise<UploadReport> {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const retries = options.retries ?? 5;
    const window = Math.max(1, options.window ?? 8);
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    const resent: number[] = [];
    for (let restarts = 0; ; restarts++) {
      const transferId = randomUUID();
      const { chunks } = chunkTransfer(bytes, {
        transferId,
        bufferId,
        chunkSize: options.chunkSize ?? MAX_CHUNK_BYTES,
        ...(options.offset === undefined ? {} : { offset: options.offset }),
        ...(options.algorithm ? { algorithm: options.algorithm } : {}),
      });
      const outcome = await this.sendChunks(chunks, { window, retries, timeoutMs, resent });
      if (outcome === 'complete') return { transferId, bytes: bytes.length, chunks: chunks.length, resent, restarts };
      if (restarts >= retries) throw new GpuClientError(`upload to ${bufferId}: the transfer failed ${restarts + 1} times`, outcome);
    }
  }

  /**
   * Sends every chunk, a window at a time; resends a chunk refused with CHECKSUM_MISMATCH, timed out or
   * listed as missing. 'complete', or the error that ends this transfer (a whole-transfer mismatch or
   * an expired transfer: the caller starts over). Other refusals reject.
   */
  private async sendChunks(
    chunks: readonly BufferChunk[],
    run: { readonly window: number; readonly retries: number; readonly timeoutMs: number; readonly resent: number[] },
  ): Promise<'complete' | BusError> {
    const queue = chunks.map((c) => c.chunkIndex);
    const queued = new Set(queue);
    const acked = new Set<number>();
    const attempts = new Map<number, number>();
    // Set from the workers: an object, so that the checks after `await` are not narrowed away.
    const state: { complete: boolean; restart: BusError | undefined } = { complete: false, restart: undefined };
    const inFlight = new Set<number>();
    const requeue = (index: number, why: unknown) => {
      if (acked.has(index) || queued.has(index) || inFlight.has(index)) return;
      const n = (attempts.get(index) ?? 0) + 1;
      if (n > run.retries) throw new GpuClientError(`chunk ${index} of transfer ${chunks[0]!.transferId}: still refused after ${run.retries} resends`, why);
      attempts.set(index, n);
      run.resent.push(index);
      queue.push(index);
      queued.add(index);
    };
    const onAck = (ack: BufferWriteAck) => {
      acked.add(ack.chunkIndex);
      if (ack.complete) state.complete = true;
      else for (const m of ack.missing) if (m < chunks.length) requeue(m, 'listed missing by the host');
    };
    const worker = async (): Promise<void> => {
      while (!state.complete && !state.restart) {
        const index = queue.shift();
        if (index === undefined) return;
        queued.delete(index);
        inFlight.add(index);
        try {
          const ack = await this.gpu.buffer.write.request(chunks[index]!, { timeoutMs: run.timeoutMs });
          inFlight.delete(index);
          onAck(ack);
        } catch (err) {
          inFlight.delete(index);
          if (!(err instanceof BusError)) throw err;
          const remote = err.code === 'remote' ? err.remote : undefined;
          const scope = (remote?.detail as { scope?: unknown } | undefined)?.scope;
          if (remote?.name === 'CHECKSUM_MISMATCH' && scope === 'chunk') requeue(index, err);
          else if (remote?.name === 'CHECKSUM_MISMATCH' || remote?.name === 'MISSING_CHUNKS') state.restart = err;
          else if (err.code === 'timeout' || err.code === 'backpressure' || (remote?.name === 'LIMIT_EXCEEDED' && remote.retryAfterMs !== undefined)) {
            await new Promise((r) => setTimeout(r, err.retryAfterMs ?? remote?.retryAfterMs ?? 0));
            requeue(index, err);
          } else throw err;
        }
      }
    };
    // Workers stop when the queue is empty; a resend queued meanwhile gets a fresh round.
    while (!state.complete && !state.restart && queue.length > 0) await Promise.all(Array.from({ length: Math.min(run.window, queue.length) }, worker));
    if (state.restart) return state.restart;
    if (!state.complete) {
      // Every chunk was acknowledged but the ack that completed the transfer was lost: ask again.
      const last = chunks[chunks.length - 1]!;
      const ack = await this.gpu.buffer.write.request(last, { timeoutMs: run.timeoutMs });
      if (!ack.complete) throw new GpuClientError(`transfer ${last.transferId}: every chunk was acknowledged, yet the host does not report it complete`);
    }
    return 'complete';
  }

  /** Dispatches `job` and resolves with its terminal result (ok, failed, timeout or cancelled). */
  async dispatch(job: JobDispatch, options: DispatchOptions = {}): Promise<JobResult> {
    await this.results().ready;
    const accepted: JobAccepted = await this.gpu.job.dispatch.request(job, { timeoutMs: this.requestTimeoutMs });
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise<JobResult>((resolve, reject) => {
      const key = accepted.resultTopic;
      const timer = setTimeout(() => {
        this.resultWaiters.delete(key);
        reject(new GpuClientError(`job ${accepted.jobId}: no terminal result on ${key} within ${timeoutMs} ms`));
      }, timeoutMs);
      const take = (result: JobResult) => {
        if (result.jobId !== accepted.jobId) return;
        if (!TERMINAL.has(result.status)) {
          options.onUpdate?.(result);
          return;
        }
        clearTimeout(timer);
        this.resultWaiters.delete(key);
        resolve(result);
      };
      this.resultWaiters.set(key, take);
      for (const r of this.earlyResults.take(key)) take(r);
    });
  }

  /** Reads `bufferId` (which needs copy_src usage); every chunk's CRC-32 and the whole checksum are verified. */
  async download(bufferId: string, options: DownloadOptions = {}): Promise<Uint8Array> {
    if (options.length !== undefined && options.length > BigInt(this.maxDownloadBytes))
      throw new GpuClientError(`download of ${bufferId}: ${options.length} bytes exceed maxDownloadBytes ${this.maxDownloadBytes}`);
    const retries = options.retries ?? 3;
    const idleMs = options.timeoutMs ?? this.requestTimeoutMs;
    await this.data().ready;
    let last: unknown;
    for (let attempt = 0; attempt <= retries; attempt++) {
      const started = await this.gpu.buffer.read.request(
        {
          bufferId,
          offset: options.offset ?? 0n,
          chunkSize: options.chunkSize ?? MAX_CHUNK_BYTES,
          ...(options.length === undefined ? {} : { length: options.length }),
        },
        { timeoutMs: this.requestTimeoutMs },
      );
      if (started.length > BigInt(this.maxDownloadBytes)) {
        this.earlyChunks.take(started.transferId);
        throw new GpuClientError(`download of ${bufferId}: the host announced ${started.length} bytes, over maxDownloadBytes ${this.maxDownloadBytes}`);
      }
      let collector: DownloadCollector;
      try {
        collector = new DownloadCollector({ ...started, length: Number(started.length) });
      } catch (err) {
        throw new GpuClientError(`download of ${bufferId}: the host announced a transfer that cannot be: ${(err as Error).message}`, err);
      }
      const faults = await this.collect(collector, idleMs);
      // A refused chunk whose good copy arrived later (a duplicate) leaves nothing missing: faults matter only while incomplete.
      if (collector.complete && collector.verify()) return collector.bytes;
      last = new GpuClientError(
        `download of ${bufferId} (transfer ${started.transferId}): ${
          collector.complete
            ? `the ${started.checksum.algorithm} of the reassembled bytes does not match the announced one`
            : faults.length > 0
              ? faults
                  .slice(0, 8)
                  .map((f) => f.message)
                  .join('; ')
              : `chunks ${collector.missing().slice(0, 16).join(', ')} did not arrive within ${idleMs} ms`
        }`,
      );
    }
    throw new GpuClientError(`download of ${bufferId}: failed ${retries + 1} times; last: ${(last as Error).message}`, last);
  }

  /** `download` as a typed array (`downloadAs(Float32Array, 'out')`); the length must be a multiple of its element size. */
  async downloadAs<T>(type: TypedArrayOf<T>, bufferId: string, options: DownloadOptions = {}): Promise<T> {
    const bytes = await this.download(bufferId, options);
    if (bytes.byteLength % type.BYTES_PER_ELEMENT !== 0)
      throw new GpuClientError(`download of ${bufferId}: ${bytes.byteLength} bytes are not a whole number of ${type.BYTES_PER_ELEMENT}-byte elements`);
    return new type(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / type.BYTES_PER_ELEMENT);
  }

  /** Stops the stream subscriptions; requests in progress fail or time out. */
  close(): void {
    this.resultSub?.unsubscribe();
    this.dataSub?.unsubscribe();
    this.resultSub = this.dataSub = undefined;
  }

  /** Feeds `collector` until it is complete, or no chunk came for `idleMs`; the faults seen. */
  private collect(collector: DownloadCollector, idleMs: number): Promise<DownloadFault[]> {
    const { transferId } = collector.expected;
    const faults: DownloadFault[] = [];
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        clearTimeout(timer);
        this.chunkWaiters.delete(transferId);
        resolve(faults);
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(done, idleMs);
      };
      // Chunks refused and not received since: once they and the good ones account for the whole
      // transfer, no further chunk is coming and waiting for the idle timeout would only delay the re-read.
      const refused = new Set<number>();
      const take = (chunk: BufferChunk) => {
        const fault = collector.add(chunk);
        if (fault) {
          faults.push(fault);
          if (fault.reason !== 'foreign' && chunk.chunkIndex < collector.expected.chunkTotal && !collector.has(chunk.chunkIndex)) refused.add(chunk.chunkIndex);
        } else refused.delete(chunk.chunkIndex);
        if (collector.complete || collector.receivedCount + refused.size >= collector.expected.chunkTotal) done();
        else arm();
      };
      this.chunkWaiters.set(transferId, take);
      arm();
      for (const c of this.earlyChunks.take(transferId)) take(c);
      if (collector.complete) done();
    });
  }

  private results(): Subscription {
    this.resultSub ??= this.bus.subscribe(topics['gpu/job.result/{corr}'], (result: JobResult, d: Delivery<JobResult>) => {
      const waiter = this.resultWaiters.get(d.address);
      if (waiter) waiter(result);
      else this.earlyResults.add(d.address, result, d.size);
    });
    return this.resultSub;
  }

  private data(): Subscription {
    this.dataSub ??= this.bus.subscribe(topics['gpu/buffer.data/{corr}'], (chunk: BufferChunk, d: Delivery<BufferChunk>) => {
      const waiter = this.chunkWaiters.get(chunk.transferId);
      if (waiter) waiter(chunk);
      else this.earlyChunks.add(chunk.transferId, chunk, d.size);
    });
    return this.dataSub;
  }
}
