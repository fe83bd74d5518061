/**
 * The GPU host on the bus: serves every `gpu/*` topic of idl/gpu with a GPU engine (engine.ts). Requests
 * go to the engine; what it throws (a `RemoteError` named after a GpuError member) goes back as the
 * topic's error reply unchanged. Uploads pass through an UploadAssembler (transfers.ts) into the device;
 * a read is answered with its `BufferReadStarted` and then streamed on `gpu/buffer.data/{corr}`; a
 * dispatch is answered with `JobAccepted` and its results are published, in order, on
 * `gpu/job.result/{corr}` — `{corr}` being the request's correlation id in both. Every topic's budget
 * is measured (budget-meter.ts) and reported on telemetry/jitter, refusals on telemetry/errors; only a
 * job's own budget refuses, in the engine.
 *
 * Bounded: uploads by the assembler's limits, reads by the bytes being streamed at once, jobs by the
 * engine's queue, telemetry error events by a count per window.
 */
import { randomUUID } from 'node:crypto';
import {
  BusError,
  RemoteError,
  formatAddress,
  maskAllows,
  type AnyTopicDescriptor,
  type Bus,
  type Delivery,
  type Subscription,
  type TopicDescriptor,
} from '../../runtime/index.ts';
import {
  GpuError,
  topics,
  type BufferChunk,
  type BufferCreate,
  type BufferCreated,
  type BufferDestroy,
  type BufferDestroyed,
  type BufferRead,
  type BufferReadStarted,
  type ErrorEvent,
  type JitterReport,
  type JobAccepted,
  type JobDispatch,
  type JobResult,
  type PipelineCreate,
  type PipelineCreated,
} from '../../generated/index.ts';
import { BudgetMeter, type TopicBudgetFigures } from './budget-meter.ts';
import { UploadAssembler, chunkTransfer, checksumOf, type UploadAssemblerOptions, type UploadAssemblerStats } from './transfers.ts';

/** What the host needs of a GPU engine: `GpuEngine` (engine.ts) has it; so may a remote or recorded one. */
export interface GpuHostEngine {
  createPipeline(req: PipelineCreate): Promise<PipelineCreated>;
  createBuffer(req: BufferCreate): Promise<BufferCreated>;
  destroyBuffer(req: BufferDestroy): BufferDestroyed;
  bufferSize(bufferId: string): bigint;
  writeBuffer(bufferId: string, offset: bigint, data: Uint8Array): void;
  readBuffer(bufferId: string, offset: bigint, length?: bigint): Promise<Uint8Array>;
  dispatch(req: JobDispatch, job: { jobId: string; resultTopic: string }, onUpdate: (r: JobResult) => void): JobAccepted;
  onDeviceLost(listener: (reason: string) => void): () => void;
}

export interface GpuHostTelemetryOptions {
  /** Where budget reports go (telemetry/jitter of the generated registry). */
  readonly jitter?: TopicDescriptor<JitterReport>;
  /** Where refusals and failed jobs go (telemetry/errors of the generated registry). */
  readonly errors?: TopicDescriptor<ErrorEvent>;
  /** Window of the budget reports and of the error-event limit, ms (1000). */
  readonly intervalMs?: number;
  /** Error events published per window at most (20); the rest are only counted. */
  readonly maxErrorEventsPerWindow?: number;
}

export interface GpuHostOptions {
  /** The peer name telemetry reports carry ('gpu-host'). */
  readonly name?: string;
  /** Limits of the upload reassembly (open transfers, tracked chunks, idle timeout). */
  readonly uploads?: Omit<UploadAssemblerOptions, 'write' | 'readBack'>;
  /** Bytes of reads being streamed at once (64 MiB); a read past it is refused with LIMIT_EXCEEDED. */
  readonly maxReadBytes?: number;
  /** Chunks of one read stream awaiting acknowledgement at once (8). */
  readonly streamWindow?: number;
  /** Budget and error reports; `false`: none. Default: telemetry/jitter and telemetry/errors, when the bus may publish them. */
  readonly telemetry?: GpuHostTelemetryOptions | false;
  /** Failures the host cannot answer to anyone: a stream or result that could not be published, a telemetry report (default: console.error). */
  readonly onError?: (error: unknown, where: string) => void;
}

export interface GpuTopicCounters {
  readonly requests: number;
  readonly answered: number;
  readonly refused: number;
}

export interface GpuHostStats {
  /** Per served topic address. */
  readonly topics: Readonly<Record<string, GpuTopicCounters>>;
  /** Per topic address: requests measured against the topic's budget, and those that broke it. */
  readonly budget: Readonly<Record<string, TopicBudgetFigures>>;
  readonly uploads: UploadAssemblerStats;
  readonly reads: { readonly streaming: number; readonly bytesStreaming: number; readonly chunksSent: number; readonly failed: number };
  readonly jobs: { readonly results: number; readonly failed: number };
  readonly errorEvents: { readonly published: number; readonly suppressed: number };
  readonly deviceLost: number;
}

export interface GpuHost {
  /** Resolves once every topic is served (the authority acknowledged the subscriptions). */
  readonly ready: Promise<void>;
  stats(): GpuHostStats;
  /** Stops serving and streaming; the engine stays open (its owner closes it). */
  close(): Promise<void>;
}

const GPU_ERROR_SET = 'fountain.gpu.GpuError';
const MAX_SEND_ATTEMPTS = 50;

/** Serves every `gpu/*` topic on `bus` with `engine`. */
export function serveGpu(bus: Bus, engine: GpuHostEngine, options: GpuHostOptions = {}): GpuHost {
  return new GpuBusHost(bus, engine, options);
}

class GpuBusHost implements GpuHost {
  readonly ready: Promise<void>;
  private readonly name: string;
  private readonly subs: Subscription[] = [];
  private readonly counters = new Map<string, { requests: number; answered: number; refused: number }>();
  private readonly assembler: UploadAssembler;
  private readonly meter: BudgetMeter;
  private readonly telemetry: GpuHostTelemetryOptions | undefined;
  private readonly onError: (error: unknown, where: string) => void;
  private readonly maxReadBytes: number;
  private readonly streamWindow: number;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly streams = new Set<Promise<void>>();
  private readonly stopDeviceLost: () => void;
  private reads = { streaming: 0, bytesStreaming: 0, chunksSent: 0, failed: 0 };
  private jobs = { results: 0, failed: 0 };
  private errorEvents = { published: 0, suppressed: 0, window: 0 };
  private deviceLost = 0;
  private jobSeq = 0;
  private closed = false;

  constructor(
    private readonly bus: Bus,
    private readonly engine: GpuHostEngine,
    options: GpuHostOptions,
  ) {
    const name = (this.name = options.name ?? 'gpu-host');
    this.onError = options.onError ?? ((error, where) => console.error(`midl gpu host ${name}: ${where}:`, error));
    this.maxReadBytes = options.maxReadBytes ?? 64 * 1024 * 1024;
    this.streamWindow = Math.max(1, options.streamWindow ?? 8);
    this.telemetry = options.telemetry === false ? undefined : { jitter: topics['telemetry/jitter'], errors: topics['telemetry/errors'], ...options.telemetry };
    const intervalMs = this.telemetry?.intervalMs ?? 1_000;
    this.assembler = new UploadAssembler({
      ...options.uploads,
      write: (bufferId, offset, data) => engine.writeBuffer(bufferId, offset, data),
      readBack: (bufferId, offset, length) => engine.readBuffer(bufferId, offset, length),
    });
    this.meter = new BudgetMeter({ peer: name, intervalMs, report: (r) => this.publishTelemetry(this.telemetry?.jitter, r) });
    this.timers.push(
      setInterval(() => {
        this.meter.flush();
        this.errorEvents.window = 0;
      }, intervalMs),
      setInterval(() => this.assembler.sweep(), Math.max(10, Math.min(1_000, (options.uploads?.idleTimeoutMs ?? 30_000) / 4))),
    );
    for (const t of this.timers) (t as { unref?: () => void }).unref?.();
    this.stopDeviceLost = engine.onDeviceLost((reason) => {
      this.deviceLost++;
      this.reportError({ name: 'DEVICE_LOST', message: `the WebGPU device was lost: ${reason}` }, undefined, undefined);
    });

    this.serve(topics['gpu/pipeline.create'], (req) => engine.createPipeline(req));
    this.serve(topics['gpu/buffer.create'], (req) => engine.createBuffer(req));
    this.serve(topics['gpu/buffer.destroy'], (req) => engine.destroyBuffer(req));
    this.serve(topics['gpu/buffer.write'], (chunk: BufferChunk, delivery) =>
      this.assembler.accept(chunk, engine.bufferSize(chunk.bufferId), delivery.sessionId),
    );
    this.serve(topics['gpu/buffer.read'], (req, d) => this.read(req, d.corr));
    this.serve(topics['gpu/job.dispatch'], (req, d) => this.dispatch(req, d.corr));
    this.ready = Promise.all(this.subs.map((s) => s.ready)).then(() => undefined);
  }

  stats(): GpuHostStats {
    return {
      topics: Object.fromEntries([...this.counters].map(([k, v]) => [k, { ...v }])),
      budget: this.meter.figures(),
      uploads: this.assembler.stats(),
      reads: { ...this.reads },
      jobs: { ...this.jobs },
      errorEvents: { published: this.errorEvents.published, suppressed: this.errorEvents.suppressed },
      deviceLost: this.deviceLost,
    };
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const s of this.subs) s.unsubscribe();
    for (const t of this.timers) clearInterval(t);
    this.stopDeviceLost();
    // Streams stop at their next chunk; one waiting on an acknowledgement settles when the bus closes.
    this.streams.clear();
    return Promise.resolve();
  }

  /** Read through a call, so that a check after an `await` is not narrowed by one before it. */
  private isClosed(): boolean {
    return this.closed;
  }

  /** Serves `topic`, counting, measuring its budget and reporting refusals; errors pass through unchanged. */
  private serve<P, R, K extends string>(topic: TopicDescriptor<P, R, K>, responder: (value: P, delivery: Delivery<P, K, R>) => R | Promise<R>): void {
    const counter = { requests: 0, answered: 0, refused: 0 };
    this.counters.set(topic.address, counter);
    const sub = this.bus.serve(topic, async (value, delivery) => {
      counter.requests++;
      try {
        const reply = await responder(value, delivery);
        counter.answered++;
        return reply;
      } catch (err) {
        counter.refused++;
        if (err instanceof RemoteError) this.reportError({ name: err.errorName, message: err.message }, topic, delivery);
        throw err;
      } finally {
        this.meter.record(topic, delivery.timestampUs);
      }
    });
    this.subs.push(sub);
  }

  private async read(req: BufferRead, corr: bigint): Promise<BufferReadStarted> {
    const size = this.engine.bufferSize(req.bufferId);
    const { offset, chunkSize } = req;
    if (offset % 4n !== 0n || (req.length ?? 0n) % 4n !== 0n || chunkSize % 4 !== 0)
      throw new RemoteError(
        'MISALIGNED',
        `read of ${req.bufferId}: offset ${offset}, length ${req.length ?? 'to the end'} and chunkSize ${chunkSize} must be multiples of 4`,
        {
          detail: { bufferId: req.bufferId },
        },
      );
    const length = req.length ?? (offset <= size ? size - offset : 0n);
    if (offset + length > size)
      throw new RemoteError('OUT_OF_BOUNDS', `read of ${req.bufferId}: bytes ${offset}…${offset + length} pass its end (${size} bytes)`, {
        detail: { bufferId: req.bufferId, offset: String(offset), length: String(length), size: String(size) },
      });
    const bytesWanted = Number(length);
    if (bytesWanted > this.maxReadBytes)
      throw new RemoteError(
        'LIMIT_EXCEEDED',
        `read of ${req.bufferId}: ${length} bytes exceed the ${this.maxReadBytes} one read may stream; read it in parts`,
        {
          detail: { bufferId: req.bufferId, limit: this.maxReadBytes },
        },
      );
    if (this.reads.bytesStreaming + bytesWanted > this.maxReadBytes)
      throw new RemoteError(
        'LIMIT_EXCEEDED',
        `read of ${req.bufferId}: ${this.reads.bytesStreaming} bytes are being streamed already (limit ${this.maxReadBytes}); retry later`,
        {
          detail: { bufferId: req.bufferId, limit: this.maxReadBytes },
          retryAfterMs: 50,
        },
      );
    const transferId = randomUUID();
    if (bytesWanted === 0) return { transferId, bufferId: req.bufferId, offset, length, chunkTotal: 0, checksum: checksumOf(new Uint8Array(0)) };
    this.reads.bytesStreaming += bytesWanted;
    let bytes: Uint8Array;
    try {
      bytes = await this.engine.readBuffer(req.bufferId, offset, length);
    } catch (err) {
      this.reads.bytesStreaming -= bytesWanted;
      throw err;
    }
    const { chunks, checksum } = chunkTransfer(bytes, { transferId, bufferId: req.bufferId, offset, chunkSize });
    // The stream starts once the reply has gone: a client learns the transfer before its chunks.
    const stream = after0()
      .then(() => this.stream(chunks, corr))
      .finally(() => {
        this.reads.bytesStreaming -= bytesWanted;
        this.streams.delete(stream);
      });
    this.streams.add(stream);
    return { transferId, bufferId: req.bufferId, offset, length, chunkTotal: chunks.length, checksum };
  }

  /** Publishes the chunks of a read on gpu/buffer.data/{corr}, a window at a time. */
  private async stream(chunks: readonly BufferChunk[], corr: bigint): Promise<void> {
    const topic = topics['gpu/buffer.data/{corr}'];
    this.reads.streaming++;
    try {
      let next = 0;
      const worker = async () => {
        while (next < chunks.length && !this.closed) {
          const chunk = chunks[next++]!;
          await this.send(() => this.bus.publish(topic, chunk, { params: { corr } }));
          this.reads.chunksSent++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.streamWindow, chunks.length) }, worker));
    } catch (err) {
      this.reads.failed++;
      if (!this.closed) this.onError(err, formatAddress(topic.address, { corr }));
    } finally {
      this.reads.streaming--;
    }
  }

  private dispatch(req: JobDispatch, corr: bigint): JobAccepted {
    const resultTopic = formatAddress(topics['gpu/job.result/{corr}'].address, { corr });
    const jobId = `job-${++this.jobSeq}-${corr}`;
    // Results go out in order, and only after the JobAccepted reply.
    let chain = after0();
    const accepted = this.engine.dispatch(req, { jobId, resultTopic }, (result) => {
      chain = chain.then(() => this.publishResult(result, corr));
    });
    return accepted;
  }

  private async publishResult(result: JobResult, corr: bigint): Promise<void> {
    if (this.closed) return;
    const topic = topics['gpu/job.result/{corr}'];
    try {
      await this.send(() => this.bus.publish(topic, result, { params: { corr } }));
      this.jobs.results++;
    } catch (err) {
      if (!this.isClosed()) this.onError(err, formatAddress(topic.address, { corr }));
    }
    if (result.status === 'failed' || result.status === 'timeout') {
      this.jobs.failed++;
      if (result.error) this.reportError(result.error, topic, undefined, result.diagnostics);
    }
  }

  /** Sends with retries while the bus answers `backpressure`. */
  private async send(publish: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await publish();
      } catch (err) {
        if (!(err instanceof BusError && err.code === 'backpressure') || attempt >= MAX_SEND_ATTEMPTS || this.closed) throw err;
        await new Promise((r) => setTimeout(r, err.retryAfterMs ?? 5));
      }
    }
  }

  /** A refusal or failed job on telemetry/errors, within the per-window limit. */
  private reportError(
    error: { readonly name: string; readonly message: string },
    topic: AnyTopicDescriptor | undefined,
    delivery: Delivery | undefined,
    diagnostics: ErrorEvent['diagnostics'] = [],
  ): void {
    const telemetry = this.telemetry;
    const target = telemetry?.errors;
    const code = (GpuError as Readonly<Record<string, number>>)[error.name];
    if (!telemetry || !target || code === undefined) return;
    if (this.errorEvents.window >= (telemetry.maxErrorEventsPerWindow ?? 20)) {
      this.errorEvents.suppressed++;
      return;
    }
    this.errorEvents.window++;
    this.errorEvents.published++;
    this.publishTelemetry(target, {
      at: new Date(),
      peer: this.name,
      ...(delivery ? { corr: String(delivery.corr) } : {}),
      ...(topic ? { topic: topic.address } : {}),
      errorSet: GPU_ERROR_SET,
      error: { code, name: error.name, message: error.message.slice(0, 4_096) },
      severity: 'error',
      retries: 0,
      diagnostics: diagnostics.slice(0, 64),
    });
  }

  private publishTelemetry<V>(topic: TopicDescriptor<V> | undefined, value: V): void {
    if (!topic || this.closed || !maskAllows(this.bus.capabilities, topic.publish)) return;
    this.bus.publish(topic, value).catch((err: unknown) => this.onError(err, topic.address));
  }
}

/** Resolves after the current macrotask, so that what is sent then follows the reply now being sent. */
function after0(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
