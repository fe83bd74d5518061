/**
 * The device's job queue: accepts checked dispatches up to a bound, runs them one at a time in order,
 * and reports each job's `running` state and its terminal result with outputs, timings and errors.
 */
import type { ErrorInfo, JobAccepted, JobDispatch, JobOutput, JobResult, JobTimings } from '../../generated/index.ts';
import { GpuError } from '../../generated/index.ts';
import { crc32, RemoteError } from '../../runtime/index.ts';
import { GPU_BUFFER_USAGE, type BufferStore } from './buffers.ts';
import { checkDispatch, MAX_PUSH_CONSTANT_BYTES, type CheckedJob, type JobCheckContext } from './job-check.ts';
import type { PipelineCache } from './pipelines.ts';
import { dawnReason, gpuRefusal, isGpuRefusal } from './refusal.ts';
import { PUSH_CONSTANT_BINDING, PUSH_CONSTANT_GROUP } from './wgsl-scan.ts';

export const DEFAULT_MAX_QUEUED_JOBS = 64;
export const DEFAULT_INLINE_OUTPUT_LIMIT = 262144;
// Execution times of the latest jobs that ran to the end, kept to estimate queue waits.
const HISTORY = 16;

export interface JobQueueOptions {
  readonly device: GPUDevice;
  readonly pipelines: PipelineCache;
  readonly buffers: BufferStore;
  readonly maxQueuedJobs?: number;
  readonly inlineOutputLimit?: number;
  /** Where an exception thrown by an `onUpdate` listener goes; the queue goes on regardless. */
  readonly onListenerError: (error: unknown) => void;
  /** Why the device is gone, once it is; jobs then end with DEVICE_LOST. */
  readonly lostReason: () => string | undefined;
}

export interface JobTicket {
  readonly jobId: string;
  readonly resultTopic: string;
}

interface QueuedJob {
  readonly ticket: JobTicket;
  readonly request: JobDispatch;
  readonly checked: CheckedJob;
  readonly queuedAt: Date;
  readonly queuedAtMs: number;
  readonly onUpdate: (result: JobResult) => void;
}

const ms = (milliseconds: number) => Math.max(0, Math.round(milliseconds * 1000));

function errorInfo(error: RemoteError): ErrorInfo {
  const info: ErrorInfo = { code: GpuError[error.errorName as keyof typeof GpuError], name: error.errorName, message: error.message };
  if (error.detail !== undefined) info.detail = error.detail as ErrorInfo['detail'];
  if (error.retryAfterMs !== undefined) info.retryAfter = ms(error.retryAfterMs);
  return info;
}

export class JobQueue {
  readonly #device: GPUDevice;
  readonly #buffers: BufferStore;
  readonly #check: JobCheckContext;
  readonly #maxQueuedJobs: number;
  readonly #onListenerError: (error: unknown) => void;
  readonly #lostReason: () => string | undefined;
  readonly #timestamps: boolean;
  readonly #waiting: QueuedJob[] = [];
  #running: QueuedJob | undefined;
  #runningSince = 0;
  #cancelReason: string | undefined;
  readonly #recentRunMs: number[] = [];

  constructor(options: JobQueueOptions) {
    this.#device = options.device;
    this.#buffers = options.buffers;
    this.#maxQueuedJobs = options.maxQueuedJobs ?? DEFAULT_MAX_QUEUED_JOBS;
    this.#check = {
      pipelines: options.pipelines,
      buffers: options.buffers,
      limits: options.device.limits,
      inlineOutputLimit: options.inlineOutputLimit ?? DEFAULT_INLINE_OUTPUT_LIMIT,
    };
    this.#onListenerError = options.onListenerError;
    this.#lostReason = options.lostReason;
    this.#timestamps = options.device.features.has('timestamp-query');
  }

  /** Jobs waiting or running. */
  get length(): number {
    return this.#waiting.length + (this.#running === undefined ? 0 : 1);
  }

  dispatch(request: JobDispatch, ticket: JobTicket, onUpdate: (result: JobResult) => void): JobAccepted {
    const checked = checkDispatch(request, this.#check);
    const ahead = this.length;
    const estimatedStartMs = this.#estimatedWaitMs();
    if (this.#waiting.length >= this.#maxQueuedJobs) {
      const retryAfterMs = Math.max(1, Math.ceil(this.#averageRunMs() ?? 1));
      throw gpuRefusal('LIMIT_EXCEEDED', `job "${ticket.jobId}": the queue holds ${this.#waiting.length} jobs, its limit`, {
        detail: { queued: this.#waiting.length, limit: this.#maxQueuedJobs },
        retryAfterMs,
      });
    }
    const budget = request.budget?.latency;
    if (budget !== undefined && estimatedStartMs !== undefined && ms(estimatedStartMs) > budget) {
      throw gpuRefusal(
        'BUDGET_EXCEEDED',
        `job "${ticket.jobId}": the estimated wait of ${ms(estimatedStartMs)} µs for ${ahead} job(s) ahead already exceeds the budget of ${budget} µs`,
        { detail: { estimatedWait: ms(estimatedStartMs), budget, ahead } },
      );
    }
    for (const bufferId of checked.bufferIds) this.#buffers.retain(bufferId);
    const queuedAtMs = performance.now();
    this.#waiting.push({ ticket, request, checked, queuedAt: new Date(), queuedAtMs, onUpdate });
    if (this.#running === undefined) void this.#drain();
    const accepted: JobAccepted = { jobId: ticket.jobId, queuePosition: ahead, resultTopic: ticket.resultTopic };
    if (estimatedStartMs !== undefined) accepted.estimatedStart = ms(estimatedStartMs);
    return accepted;
  }

  /** Ends every waiting job with DEVICE_LOST (the running one ends so when its GPU work returns). */
  failWaiting(reason: string): void {
    for (const job of this.#waiting.splice(0)) this.#finish(job, this.#failure(job, this.#lost(reason)));
  }

  /**
   * Ends every waiting job as `cancelled` because its host is closing (the running one ends so when its
   * GPU work returns, unless it finished); the error says why, as DEVICE_LOST: the device is going away.
   */
  cancelAll(reason: string): void {
    this.#cancelReason ??= reason;
    for (const job of this.#waiting.splice(0)) this.#finish(job, this.#cancelled(job, reason));
  }

  #cancelled(job: QueuedJob, reason: string, startedAtMs?: number): JobResult {
    const error = gpuRefusal('DEVICE_LOST', `job "${job.ticket.jobId}" was cancelled: ${reason}`, { detail: { reason } });
    return { ...this.#failure(job, error, startedAtMs), status: 'cancelled' };
  }

  #averageRunMs(): number | undefined {
    if (this.#recentRunMs.length === 0) return undefined;
    return this.#recentRunMs.reduce((sum, value) => sum + value, 0) / this.#recentRunMs.length;
  }

  #estimatedWaitMs(): number | undefined {
    if (this.length === 0) return 0;
    const average = this.#averageRunMs();
    if (average === undefined) return undefined;
    const runningLeft = this.#running === undefined ? 0 : Math.max(0, average - (performance.now() - this.#runningSince));
    return runningLeft + this.#waiting.length * average;
  }

  #lost(reason: string): RemoteError {
    return gpuRefusal('DEVICE_LOST', `the WebGPU device was lost (${reason}); create the pipelines and buffers again`, { detail: { reason } });
  }

  async #drain(): Promise<void> {
    for (let job = this.#waiting.shift(); job !== undefined; job = this.#waiting.shift()) {
      this.#running = job;
      this.#runningSince = performance.now();
      let result: JobResult;
      try {
        result = await this.#run(job);
      } catch (error) {
        const lost = this.#lostReason();
        const refusal = lost !== undefined ? this.#lost(lost) : isGpuRefusal(error) ? error : undefined;
        if (refusal === undefined) {
          const message = error instanceof Error ? error.message : String(error);
          result = this.#failure(job, gpuRefusal('LAYOUT_MISMATCH', `job "${job.ticket.jobId}" failed on the device: ${message}`, { cause: error }));
        } else {
          result = this.#failure(job, refusal);
        }
      }
      if (this.#cancelReason !== undefined && result.status !== 'ok') result = this.#cancelled(job, this.#cancelReason, this.#runningSince);
      // Only jobs that ran to the end say how long the next one will take.
      if (result.status === 'ok' || result.timings?.finishedAt !== undefined) {
        this.#recentRunMs.push(performance.now() - this.#runningSince);
        if (this.#recentRunMs.length > HISTORY) this.#recentRunMs.shift();
      }
      this.#running = undefined;
      this.#finish(job, result);
    }
  }

  #emit(job: QueuedJob, result: JobResult): void {
    try {
      job.onUpdate(result);
    } catch (error) {
      this.#onListenerError(error);
    }
  }

  #finish(job: QueuedJob, result: JobResult): void {
    for (const bufferId of job.checked.bufferIds) this.#buffers.release(bufferId);
    this.#emit(job, result);
  }

  #timings(job: QueuedJob, startedAtMs: number | undefined, finishedAtMs: number | undefined, gpuTime?: number): JobTimings {
    const now = performance.now();
    const timings: JobTimings = {
      queuedAt: job.queuedAt,
      queueWait: ms((startedAtMs ?? now) - job.queuedAtMs),
      total: ms((finishedAtMs ?? now) - job.queuedAtMs),
    };
    const wall = (at: number) => new Date(job.queuedAt.getTime() + (at - job.queuedAtMs));
    if (startedAtMs !== undefined) timings.startedAt = wall(startedAtMs);
    if (finishedAtMs !== undefined) timings.finishedAt = wall(finishedAtMs);
    if (gpuTime !== undefined) timings.gpuTime = gpuTime;
    return timings;
  }

  #failure(job: QueuedJob, error: RemoteError, startedAtMs?: number): JobResult {
    return {
      jobId: job.ticket.jobId,
      status: 'failed',
      outputs: [],
      timings: this.#timings(job, startedAtMs, undefined),
      error: errorInfo(error),
      diagnostics: [],
    };
  }

  async #run(job: QueuedJob): Promise<JobResult> {
    const lost = this.#lostReason();
    if (lost !== undefined) return this.#failure(job, this.#lost(lost));
    const startedAtMs = performance.now();
    const budget = job.request.budget?.latency;
    if (budget !== undefined && ms(startedAtMs - job.queuedAtMs) > budget) {
      return this.#late(job, budget, startedAtMs, undefined);
    }
    this.#emit(job, { jobId: job.ticket.jobId, status: 'running', outputs: [], timings: this.#timings(job, startedAtMs, undefined), diagnostics: [] });
    const gpuTime = await this.#execute(job);
    const outputs: JobOutput[] = [];
    for (const output of job.checked.outputs) {
      const bytes = await this.#buffers.read(output.buffer.id, output.offset, output.length);
      outputs.push({
        bufferId: output.buffer.id,
        data: output.inline
          ? { kind: 'inline', value: bytes }
          : { kind: 'buffer', value: { bufferId: output.buffer.id, offset: output.offset, length: output.length } },
        crc32: crc32(bytes),
      });
    }
    const finishedAtMs = performance.now();
    const stillLost = this.#lostReason();
    if (stillLost !== undefined) return this.#failure(job, this.#lost(stillLost), startedAtMs);
    if (budget !== undefined && ms(finishedAtMs - job.queuedAtMs) > budget) return this.#late(job, budget, startedAtMs, finishedAtMs, gpuTime);
    return { jobId: job.ticket.jobId, status: 'ok', outputs, timings: this.#timings(job, startedAtMs, finishedAtMs, gpuTime), diagnostics: [] };
  }

  #late(job: QueuedJob, budget: number, startedAtMs: number, finishedAtMs: number | undefined, gpuTime?: number): JobResult {
    const timings = this.#timings(job, startedAtMs, finishedAtMs, gpuTime);
    const error = gpuRefusal(
      'BUDGET_EXCEEDED',
      finishedAtMs === undefined
        ? `job "${job.ticket.jobId}" waited ${timings.queueWait} µs in the queue, over its budget of ${budget} µs; it was not run`
        : `job "${job.ticket.jobId}" took ${timings.total} µs, over its budget of ${budget} µs`,
      { detail: { budget, queueWait: timings.queueWait, total: timings.total } },
    );
    return { jobId: job.ticket.jobId, status: 'timeout', outputs: [], timings, error: errorInfo(error), diagnostics: [] };
  }

  /** Encodes, submits and awaits one dispatch; the GPU time in µs when timestamp queries exist. */
  async #execute(job: QueuedJob): Promise<number | undefined> {
    const device = this.#device;
    const pipeline = job.checked.pipeline;
    const transient: GPUBuffer[] = [];
    const querySet = this.#timestamps ? device.createQuerySet({ type: 'timestamp', count: 2 }) : undefined;
    try {
      device.pushErrorScope('out-of-memory');
      device.pushErrorScope('validation');
      let readback: GPUBuffer | undefined;
      let encodeFailure: Error | undefined;
      try {
        readback = this.#encode(job, querySet, transient);
      } catch (error) {
        encodeFailure = error instanceof Error ? error : new Error(String(error));
      }
      // Popped whatever happened while encoding, so the scopes stay balanced for the next job; the
      // device's own reason, when it has one, says more than the exception that followed it.
      const invalid = await device.popErrorScope();
      const outOfMemory = await device.popErrorScope();
      if (outOfMemory !== null) throw gpuRefusal('OUT_OF_MEMORY', `job "${job.ticket.jobId}": ${dawnReason(outOfMemory.message)}`);
      if (invalid !== null) {
        const reason = dawnReason(invalid.message);
        throw gpuRefusal('LAYOUT_MISMATCH', `job "${job.ticket.jobId}": the bound buffers do not match pipeline "${pipeline.id}": ${reason}`, {
          detail: { pipelineId: pipeline.id, reason },
        });
      }
      if (encodeFailure !== undefined) throw encodeFailure;
      await device.queue.onSubmittedWorkDone();
      if (readback === undefined) return undefined;
      await readback.mapAsync(1 /* GPUMapMode.READ */);
      const [begin, end] = new BigUint64Array(readback.getMappedRange());
      readback.unmap();
      // Timestamps are nanoseconds; a zero or reversed pair means the device did not write them.
      return begin !== undefined && end !== undefined && end > begin ? Math.round(Number(end - begin) / 1000) : undefined;
    } finally {
      for (const buffer of transient) buffer.destroy();
      querySet?.destroy();
    }
  }

  /** Records and submits the job's commands; the timestamp read-back buffer when there is one. */
  #encode(job: QueuedJob, querySet: GPUQuerySet | undefined, transient: GPUBuffer[]): GPUBuffer | undefined {
    const device = this.#device;
    const { pipeline, bindGroups, workgroups, pushConstants } = job.checked;
    const groups = new Map<number, GPUBindGroupEntry[]>();
    for (const [group, bindings] of bindGroups) {
      groups.set(
        group,
        bindings.map((bound) => ({
          binding: bound.binding,
          resource: { buffer: bound.buffer.buffer, offset: Number(bound.offset), size: Number(bound.size) },
        })),
      );
    }
    if (pushConstants !== undefined) {
      const uniform = device.createBuffer({
        size: MAX_PUSH_CONSTANT_BYTES,
        usage: GPU_BUFFER_USAGE.UNIFORM | GPU_BUFFER_USAGE.COPY_DST,
        label: 'push constants',
      });
      transient.push(uniform);
      device.queue.writeBuffer(uniform, 0, pushConstants);
      const entries = groups.get(PUSH_CONSTANT_GROUP) ?? [];
      entries.push({ binding: PUSH_CONSTANT_BINDING, resource: { buffer: uniform } });
      groups.set(PUSH_CONSTANT_GROUP, entries);
    }
    const encoder = device.createCommandEncoder({ label: job.request.label ?? job.ticket.jobId });
    const pass = encoder.beginComputePass(
      querySet === undefined ? {} : { timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } },
    );
    pass.setPipeline(pipeline.pipeline);
    // WebGPU wants every group of the layout set, the empty ones between used groups included.
    const highest = Math.max(-1, ...groups.keys(), ...(pipeline.layouts ?? []).map((layout) => layout.group));
    for (let group = 0; group <= highest; group++) {
      pass.setBindGroup(group, device.createBindGroup({ layout: pipeline.bindGroupLayout(group), entries: groups.get(group) ?? [] }));
    }
    pass.dispatchWorkgroups(...workgroups);
    pass.end();
    let readback: GPUBuffer | undefined;
    if (querySet !== undefined) {
      const resolved = device.createBuffer({ size: 16, usage: GPU_BUFFER_USAGE.QUERY_RESOLVE | GPU_BUFFER_USAGE.COPY_SRC });
      readback = device.createBuffer({ size: 16, usage: GPU_BUFFER_USAGE.MAP_READ | GPU_BUFFER_USAGE.COPY_DST });
      transient.push(resolved, readback);
      encoder.resolveQuerySet(querySet, 0, 2, resolved, 0);
      encoder.copyBufferToBuffer(resolved, 0, readback, 0, 16);
    }
    device.queue.submit([encoder.finish()]);
    return readback;
  }
}
