/**
 * The GPU engine: one WebGPU device with its pipelines, buffers and job queue behind the calls the
 * `gpu/*` topics need. Every refusal is a `RemoteError` named after a `GpuError` member; once the
 * device is lost every call and every queued job ends with DEVICE_LOST.
 */
import type {
  BufferCreate,
  BufferCreated,
  BufferDestroy,
  BufferDestroyed,
  JobAccepted,
  JobDispatch,
  JobResult,
  PipelineCreate,
  PipelineCreated,
  Ref,
} from '../../generated/index.ts';
import { BufferStore } from './buffers.ts';
import { openGpu, type GpuAdapterReport, type GpuDevice } from './device.ts';
import { JobQueue, type JobTicket } from './jobs.ts';
import { PipelineCache } from './pipelines.ts';
import { gpuRefusal, isGpuRefusal } from './refusal.ts';

export interface GpuEngineOptions {
  backend?: 'auto' | 'vulkan' | 'opengles';
  /** Looks up stored WGSL modules (`ShaderSource.stored`); without it they are SOURCE_NOT_FOUND. */
  resolveSource?: (ref: Ref) => Promise<string | undefined>;
  /** Compiled pipelines kept (least recently used dropped beyond); default 64. */
  maxPipelines?: number;
  /** Buffers held at once; default 1024. */
  maxBuffers?: number;
  /** Bytes of all buffers together; default 512 MiB. */
  maxBufferBytes?: number;
  /** Jobs waiting behind the running one; default 64. */
  maxQueuedJobs?: number;
  /** Largest output returned inline by `mode: auto`; default and maximum 256 KiB. */
  inlineOutputLimit?: number;
  /** Receives exceptions thrown by `dispatch`'s onUpdate listeners; default: a process warning. */
  onListenerError?: (error: unknown) => void;
}

function reportListenerError(error: unknown): void {
  process.emitWarning(`a GPU job listener threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, 'GpuEngineWarning');
}

export class GpuEngine {
  readonly report: GpuAdapterReport;
  readonly #gpu: GpuDevice;
  readonly #pipelines: PipelineCache;
  readonly #buffers: BufferStore;
  readonly #jobs: JobQueue;
  readonly #lostListeners = new Set<(reason: string) => void>();
  #lostReason: string | undefined;
  #closed: Promise<void> | undefined;

  private constructor(gpu: GpuDevice, options: GpuEngineOptions) {
    this.#gpu = gpu;
    this.report = gpu.report;
    this.#pipelines = new PipelineCache(gpu.device, options);
    this.#buffers = new BufferStore(gpu.device, options);
    this.#jobs = new JobQueue({
      device: gpu.device,
      pipelines: this.#pipelines,
      buffers: this.#buffers,
      maxQueuedJobs: options.maxQueuedJobs,
      inlineOutputLimit: options.inlineOutputLimit,
      onListenerError: options.onListenerError ?? reportListenerError,
      lostReason: () => this.#lostReason,
    });
    void gpu.lost.then((reason) => this.#deviceLost(reason));
  }

  /** Opens a device; throws GpuUnavailableError when no adapter exists. */
  static async open(options: GpuEngineOptions = {}): Promise<GpuEngine> {
    return new GpuEngine(await openGpu({ backend: options.backend }), options);
  }

  /** The WebGPU device itself, for measurements beside the engine (benchmarks) and for tests. */
  get device(): GPUDevice {
    return this.#gpu.device;
  }

  /** Uncaptured device errors seen so far (bounded), for diagnostics; the engine never prints them. */
  get uncapturedErrors(): readonly string[] {
    return this.#gpu.uncapturedErrors;
  }

  /** Buffers held, bytes held and jobs waiting or running. */
  get usage(): { buffers: number; bufferBytes: bigint; pipelines: number; jobs: number } {
    return { buffers: this.#buffers.count, bufferBytes: this.#buffers.bytes, pipelines: this.#pipelines.size, jobs: this.#jobs.length };
  }

  async createPipeline(req: PipelineCreate): Promise<PipelineCreated> {
    this.#alive();
    return this.#guard(() => this.#pipelines.create(req));
  }

  async createBuffer(req: BufferCreate): Promise<BufferCreated> {
    this.#alive();
    return this.#guard(() => this.#buffers.create(req));
  }

  destroyBuffer(req: BufferDestroy): BufferDestroyed {
    this.#alive();
    return this.#buffers.destroy(req);
  }

  bufferSize(bufferId: string): bigint {
    this.#alive();
    return this.#buffers.get(bufferId).size;
  }

  writeBuffer(bufferId: string, offset: bigint, data: Uint8Array): void {
    this.#alive();
    this.#buffers.write(bufferId, offset, data);
  }

  async readBuffer(bufferId: string, offset: bigint, length?: bigint): Promise<Uint8Array> {
    this.#alive();
    return this.#guard(() => this.#buffers.read(bufferId, offset, length));
  }

  dispatch(req: JobDispatch, job: JobTicket, onUpdate: (r: JobResult) => void): JobAccepted {
    this.#alive();
    return this.#jobs.dispatch(req, job, onUpdate);
  }

  /**
   * Calls `listener` once when the device is lost (at once if it already is), not when `close()` ends it;
   * returns the unsubscribe.
   */
  onDeviceLost(listener: (reason: string) => void): () => void {
    if (this.#closed !== undefined) return () => undefined;
    if (this.#lostReason !== undefined) {
      listener(this.#lostReason);
      return () => undefined;
    }
    this.#lostListeners.add(listener);
    return () => this.#lostListeners.delete(listener);
  }

  /**
   * Cancels the waiting jobs (status `cancelled`), destroys every buffer and the device; later calls are
   * refused with DEVICE_LOST. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#jobs.cancelAll('the GPU engine was closed');
      this.#buffers.clear();
      this.#pipelines.clear();
      this.#gpu.close();
      await this.#gpu.lost;
    })();
    return this.#closed;
  }

  #deviceLost(reason: string): void {
    this.#lostReason = reason;
    // Closing destroys the device on purpose: jobs were cancelled, and nobody is told of a loss.
    if (this.#closed !== undefined) return;
    this.#jobs.failWaiting(reason);
    const listeners = [...this.#lostListeners];
    this.#lostListeners.clear();
    for (const listener of listeners) listener(reason);
  }

  #lostError(reason: string) {
    return gpuRefusal('DEVICE_LOST', `the WebGPU device was lost (${reason}); create the pipelines and buffers again`, { detail: { reason } });
  }

  #alive(): void {
    if (this.#closed !== undefined) throw this.#lostError('the engine was closed');
    if (this.#lostReason !== undefined) throw this.#lostError(this.#lostReason);
  }

  /** Runs device work; a failure caused by the device going away becomes DEVICE_LOST. */
  async #guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      // Work that raced the loss may have "succeeded" on a device that no longer exists.
      if (this.#lostReason !== undefined) throw this.#lostError(this.#lostReason);
      return result;
    } catch (error) {
      if (this.#lostReason !== undefined && !isGpuRefusal(error, 'DEVICE_LOST')) throw this.#lostError(this.#lostReason);
      throw error;
    }
  }
}
