/**
 * GPU buffers under caller-chosen ids: creation within device limits and the engine's count and byte
 * budgets, destruction unless a job binds them, uploads through the queue and read-back through a
 * mapped staging buffer.
 */
import type { BufferCreate, BufferCreated, BufferDestroy, BufferDestroyed, BufferUsage } from '../../generated/index.ts';
import { dawnReason, gpuRefusal } from './refusal.ts';

/**
 * GPUBufferUsage's values (fixed by the WebGPU spec; Node has no GPUBufferUsage global unless `webgpu`'s
 * globals are installed on globalThis, which a library must not do).
 */
export const GPU_BUFFER_USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80, INDIRECT: 0x100, QUERY_RESOLVE: 0x200 } as const;
const GPU_MAP_MODE_READ = 0x1;

const USAGE_FLAGS: Readonly<Record<BufferUsage, number>> = {
  storage: GPU_BUFFER_USAGE.STORAGE,
  uniform: GPU_BUFFER_USAGE.UNIFORM,
  copy_src: GPU_BUFFER_USAGE.COPY_SRC,
  copy_dst: GPU_BUFFER_USAGE.COPY_DST,
  indirect: GPU_BUFFER_USAGE.INDIRECT,
};

export const DEFAULT_MAX_BUFFERS = 1024;
export const DEFAULT_MAX_BUFFER_BYTES = 512 * 1024 * 1024;
/** The schema's bound on BufferCreate.size. */
export const MAX_BUFFER_SIZE = 1n << 30n;
// Read-back copies through staging buffers of at most this size, so a large read does not double the
// device memory the buffer takes.
const STAGING_BYTES = 16 * 1024 * 1024;

export interface BufferStoreOptions {
  readonly maxBuffers?: number;
  readonly maxBufferBytes?: number;
}

export interface GpuBufferEntry {
  readonly id: string;
  readonly buffer: GPUBuffer;
  readonly size: bigint;
  /** Sorted and without repeats. */
  readonly usage: readonly BufferUsage[];
  readonly flags: number;
  readonly label: string | undefined;
}

interface Slot {
  entry: GpuBufferEntry;
  /** Settles when the device has accepted the allocation; rejects with the refusal otherwise. */
  ready: Promise<void>;
  /** Jobs queued or running that bind the buffer. */
  users: number;
}

function usageOf(usage: readonly BufferUsage[]): BufferUsage[] {
  return [...new Set(usage)].sort();
}

function sameUsage(a: readonly BufferUsage[], b: readonly BufferUsage[]): boolean {
  return a.length === b.length && a.every((usage, i) => usage === b[i]);
}

export class BufferStore {
  readonly #device: GPUDevice;
  readonly #maxBuffers: number;
  readonly #maxBufferBytes: bigint;
  readonly #slots = new Map<string, Slot>();
  #bytes = 0n;
  // Bytes of reads in flight (host copies being filled), bounded like the buffers themselves.
  #readingBytes = 0n;

  constructor(device: GPUDevice, options: BufferStoreOptions = {}) {
    this.#device = device;
    this.#maxBuffers = options.maxBuffers ?? DEFAULT_MAX_BUFFERS;
    this.#maxBufferBytes = BigInt(options.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES);
  }

  /** Buffers allocated or being allocated. */
  get count(): number {
    return this.#slots.size;
  }

  /** Bytes allocated or being allocated. */
  get bytes(): bigint {
    return this.#bytes;
  }

  async create(request: BufferCreate): Promise<BufferCreated> {
    const { bufferId, size } = request;
    const usage = usageOf(request.usage);
    const existing = this.#slots.get(bufferId);
    if (existing !== undefined) {
      try {
        await existing.ready;
      } catch {
        // That allocation failed and its slot is gone: this request tries on its own.
        return this.create(request);
      }
      if (existing.entry.size === size && sameUsage(existing.entry.usage, usage)) return { bufferId, size, existed: true };
      throw gpuRefusal(
        'BUFFER_EXISTS',
        `buffer "${bufferId}" exists with ${existing.entry.size} bytes and usage [${existing.entry.usage.join(', ')}], asked ${size} bytes and [${usage.join(', ')}]`,
        { detail: { bufferId, size: existing.entry.size.toString(), usage: [...existing.entry.usage], askedSize: size.toString(), askedUsage: usage } },
      );
    }
    this.#checkCreate(bufferId, size, usage);
    const flags = usage.reduce((all, name) => all | USAGE_FLAGS[name], 0);
    const device = this.#device;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const buffer = device.createBuffer({ size: Number(size), usage: flags, label: request.label ?? bufferId });
    const slot: Slot = { entry: { id: bufferId, buffer, size, usage, flags, label: request.label }, ready: Promise.resolve(), users: 0 };
    // Counted before the device answers, so concurrent creates cannot overrun the budgets together.
    this.#slots.set(bufferId, slot);
    this.#bytes += size;
    slot.ready = (async () => {
      const invalid = await device.popErrorScope();
      const outOfMemory = await device.popErrorScope();
      if (outOfMemory === null && invalid === null) return;
      this.#forget(slot);
      buffer.destroy();
      if (outOfMemory !== null) {
        throw gpuRefusal('OUT_OF_MEMORY', `the device cannot allocate ${size} bytes for buffer "${bufferId}": ${dawnReason(outOfMemory.message)}`, {
          detail: { bufferId, size: size.toString() },
        });
      }
      const reason = dawnReason(invalid!.message);
      throw gpuRefusal('LIMIT_EXCEEDED', `the device refused buffer "${bufferId}" (${size} bytes, [${usage.join(', ')}]): ${reason}`, {
        detail: { bufferId, size: size.toString(), usage, reason },
      });
    })();
    await slot.ready;
    return { bufferId, size, existed: false };
  }

  destroy(request: BufferDestroy): BufferDestroyed {
    const slot = this.#slot(request.bufferId);
    if (slot.users > 0) {
      throw gpuRefusal('BUFFER_IN_USE', `buffer "${request.bufferId}" is bound by ${slot.users} queued or running job(s)`, {
        detail: { bufferId: request.bufferId, jobs: slot.users },
      });
    }
    this.#forget(slot);
    slot.entry.buffer.destroy();
    return { bufferId: request.bufferId, freed: slot.entry.size };
  }

  /** The buffer with this id; `UNKNOWN_BUFFER` otherwise. */
  get(bufferId: string): GpuBufferEntry {
    return this.#slot(bufferId).entry;
  }

  /** Marks the buffer bound by a queued or running job: destroying it is refused until `release`. */
  retain(bufferId: string): void {
    this.#slot(bufferId).users++;
  }

  release(bufferId: string): void {
    const slot = this.#slots.get(bufferId);
    if (slot !== undefined && slot.users > 0) slot.users--;
  }

  write(bufferId: string, offset: bigint, data: Uint8Array): void {
    const entry = this.#slot(bufferId).entry;
    this.#checkRange(entry, 'copy_dst', 'written', offset, BigInt(data.byteLength));
    this.#device.queue.writeBuffer(entry.buffer, Number(offset), data);
  }

  async read(bufferId: string, offset: bigint, length?: bigint): Promise<Uint8Array> {
    const entry = this.#slot(bufferId).entry;
    const total = length ?? (offset <= entry.size ? entry.size - offset : 0n);
    this.#checkRange(entry, 'copy_src', 'read', offset, total);
    if (this.#readingBytes + total > this.#maxBufferBytes) {
      throw gpuRefusal(
        'LIMIT_EXCEEDED',
        `buffer "${bufferId}": reading ${total} bytes while ${this.#readingBytes} are being read would exceed this host's budget of ${this.#maxBufferBytes} bytes`,
        { detail: { bufferId, length: total.toString(), reading: this.#readingBytes.toString(), limit: this.#maxBufferBytes.toString() }, retryAfterMs: 100 },
      );
    }
    this.#readingBytes += total;
    try {
      return await this.#copyOut(entry, offset, total);
    } finally {
      this.#readingBytes -= total;
    }
  }

  async #copyOut(entry: GpuBufferEntry, offset: bigint, total: bigint): Promise<Uint8Array> {
    const bufferId = entry.id;
    const out = new Uint8Array(Number(total));
    const device = this.#device;
    for (let done = 0; done < out.byteLength;) {
      if (this.#slots.get(bufferId)?.entry !== entry) {
        throw gpuRefusal('UNKNOWN_BUFFER', `buffer "${bufferId}" was destroyed while being read`, { detail: { bufferId } });
      }
      const piece = Math.min(STAGING_BYTES, out.byteLength - done);
      const staging = device.createBuffer({ size: piece, usage: GPU_BUFFER_USAGE.MAP_READ | GPU_BUFFER_USAGE.COPY_DST, label: `read ${bufferId}` });
      try {
        const encoder = device.createCommandEncoder();
        encoder.copyBufferToBuffer(entry.buffer, Number(offset) + done, staging, 0, piece);
        device.queue.submit([encoder.finish()]);
        await staging.mapAsync(GPU_MAP_MODE_READ);
        out.set(new Uint8Array(staging.getMappedRange()), done);
        staging.unmap();
      } finally {
        staging.destroy();
      }
      done += piece;
    }
    return out;
  }

  /** Destroys every buffer. */
  clear(): void {
    for (const slot of this.#slots.values()) slot.entry.buffer.destroy();
    this.#slots.clear();
    this.#bytes = 0n;
  }

  #slot(bufferId: string): Slot {
    const slot = this.#slots.get(bufferId);
    if (slot === undefined) throw gpuRefusal('UNKNOWN_BUFFER', `no buffer "${bufferId}"`, { detail: { bufferId } });
    return slot;
  }

  #forget(slot: Slot): void {
    if (this.#slots.get(slot.entry.id) !== slot) return;
    this.#slots.delete(slot.entry.id);
    this.#bytes -= slot.entry.size;
  }

  #checkCreate(bufferId: string, size: bigint, usage: readonly BufferUsage[]): void {
    if (size % 4n !== 0n) {
      throw gpuRefusal('MISALIGNED', `buffer "${bufferId}": size ${size} is not a multiple of 4`, { detail: { bufferId, size: size.toString() } });
    }
    const deviceLimit = BigInt(this.#device.limits.maxBufferSize);
    const limit = deviceLimit < MAX_BUFFER_SIZE ? deviceLimit : MAX_BUFFER_SIZE;
    if (size < 4n || size > limit) {
      throw gpuRefusal('LIMIT_EXCEEDED', `buffer "${bufferId}": size ${size} is outside 4..${limit} bytes`, {
        detail: { bufferId, size: size.toString(), limit: limit.toString() },
      });
    }
    if (usage.length === 0) {
      throw gpuRefusal('LIMIT_EXCEEDED', `buffer "${bufferId}": usage names no use (storage, uniform, copy_src, copy_dst, indirect)`, { detail: { bufferId } });
    }
    if (this.#slots.size >= this.#maxBuffers) {
      throw gpuRefusal('LIMIT_EXCEEDED', `buffer "${bufferId}": this host holds ${this.#slots.size} buffers, its limit`, {
        detail: { bufferId, buffers: this.#slots.size, limit: this.#maxBuffers },
      });
    }
    if (this.#bytes + size > this.#maxBufferBytes) {
      throw gpuRefusal(
        'LIMIT_EXCEEDED',
        `buffer "${bufferId}": ${size} bytes more would make ${this.#bytes + size}, over this host's budget of ${this.#maxBufferBytes} bytes`,
        { detail: { bufferId, size: size.toString(), allocated: this.#bytes.toString(), limit: this.#maxBufferBytes.toString() } },
      );
    }
  }

  #checkRange(entry: GpuBufferEntry, needs: BufferUsage, verb: string, offset: bigint, length: bigint): void {
    if (!entry.usage.includes(needs)) {
      throw gpuRefusal('LAYOUT_MISMATCH', `buffer "${entry.id}" cannot be ${verb}: its usage [${entry.usage.join(', ')}] lacks ${needs}`, {
        detail: { bufferId: entry.id, usage: [...entry.usage], needs },
      });
    }
    if (offset % 4n !== 0n || length % 4n !== 0n) {
      throw gpuRefusal('MISALIGNED', `buffer "${entry.id}": offset ${offset} and length ${length} must be multiples of 4`, {
        detail: { bufferId: entry.id, offset: offset.toString(), length: length.toString() },
      });
    }
    if (offset < 0n || length < 0n || offset + length > entry.size) {
      throw gpuRefusal('OUT_OF_BOUNDS', `buffer "${entry.id}": bytes ${offset}..${offset + length} exceed its size ${entry.size}`, {
        detail: { bufferId: entry.id, offset: offset.toString(), length: length.toString(), size: entry.size.toString() },
      });
    }
  }
}
