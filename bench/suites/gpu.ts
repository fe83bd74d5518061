/**
 * The WebGPU compute plane (services/gpu) over the bus, each case beside the same work called directly
 * on a WebGPU device in the same run:
 * - `dispatch`: a client dispatches a job over Network MIDI 2.0 on 127.0.0.1 to a GPU host (GpuEngine +
 *   serveGpu) and awaits its terminal result, which carries the 64 KiB output inline — vs the same
 *   pipeline dispatched straight on a device of the same adapter, its 64 KiB output copied to a staging
 *   buffer, mapped and copied out (p50/p99 per job);
 * - `upload`: GpuClient.upload of 4 MiB (48 KiB chunks, each CRC-32 checked and acknowledged) vs
 *   `queue.writeBuffer` of the same 4 MiB and waiting for the queue (MB/s);
 * - `download`: GpuClient.download of 4 MiB (gpu/buffer.read, then the chunks streamed on
 *   gpu/buffer.data/{corr}, each and the whole checked) vs `copyBufferToBuffer` into a staging buffer,
 *   `mapAsync` and a copy out (MB/s).
 * The anchors' device is opened through `openGpu`, as the engine opens its own: the same adapter (on
 * these machines Mesa lavapipe, which computes on the CPU). Without an adapter the suite fails, saying why.
 */
import { globals } from 'webgpu';
import type { BenchCase, BenchSuite } from '../harness.ts';
import type { NetworkBus } from '../../runtime/index.ts';
import { GpuClient, GpuEngine, GpuUnavailableError, openGpu, serveGpu, type GpuDevice, type GpuHost } from '../../services/index.ts';
import { assertNoErrors, deadline, node, resource } from '../net.ts';
import { nm2Wire, type WireListener } from '../wires.ts';

// The anchors call WebGPU directly: its constants come from the package, not from globalThis.
const { GPUBufferUsage, GPUMapMode } = globals as unknown as {
  readonly GPUBufferUsage: typeof globalThis.GPUBufferUsage;
  readonly GPUMapMode: typeof globalThis.GPUMapMode;
};

/** Elements of the dispatch case's arrays (u32): 64 KiB each. */
const ELEMENTS = 16_384;
const WORKGROUP = 64;
/** Bytes of the upload and download cases. */
const TRANSFER_BYTES = 4 * 1024 * 1024;
const STALL_MS = 60_000;

/** out[i] = a[i] * 3 + b[i], wrapping: a job whose result is checked once before timing. */
const WGSL = `
@group(0) @binding(0) var<storage, read> a: array<u32>;
@group(0) @binding(1) var<storage, read> b: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i < arrayLength(&out)) { out[i] = a[i] * 3u + b[i]; }
}
`;

function inputs(): { a: Uint32Array; b: Uint32Array; expected: Uint32Array } {
  const a = new Uint32Array(ELEMENTS);
  const b = new Uint32Array(ELEMENTS);
  const expected = new Uint32Array(ELEMENTS);
  for (let i = 0; i < ELEMENTS; i++) {
    a[i] = (i * 2654435761) >>> 0;
    b[i] = (i ^ 0x5bd1e995) >>> 0;
    expected[i] = (Math.imul(a[i]!, 3) + b[i]!) >>> 0;
  }
  return { a, b, expected };
}

function sameBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} bytes, expected ${want.length}`);
  for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) throw new Error(`${what}: byte ${i} is ${got[i]}, expected ${want[i]}`);
}

/** The host and a client over NM2 on 127.0.0.1, with the dispatch case's pipeline and buffers ready. */
interface OverBus {
  readonly engine: GpuEngine;
  readonly host: GpuHost;
  readonly authority: NetworkBus;
  readonly client: NetworkBus;
  readonly gpu: GpuClient;
  readonly listener: WireListener;
  readonly pipelineId: string;
  readonly errors: unknown[];
}

/** A device of the anchors, with the dispatch case's pipeline, buffers and bind group. */
interface Direct {
  readonly gpu: GpuDevice;
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly out: GPUBuffer;
  readonly staging: GPUBuffer;
  readonly big: GPUBuffer;
  readonly bigStaging: GPUBuffer;
}

async function openOverBus(): Promise<OverBus> {
  const errors: unknown[] = [];
  const engine = await GpuEngine.open();
  const authority = node('bench gpu host', errors);
  const host = serveGpu(authority, engine, { onError: (e) => void errors.push(e), telemetry: false });
  await host.ready;
  const listener = await nm2Wire.listen('bench gpu host', (l) => authority.accept(l), errors);
  const client = node('bench gpu client', errors);
  await client.connect(await listener.connect('bench gpu client'));
  const gpu = new GpuClient(client, { requestTimeoutMs: 10_000 });
  const { a, b } = inputs();
  const usage = ['storage', 'copy_dst', 'copy_src'] as const;
  for (const id of ['a', 'b', 'out'])
    await gpu.gpu.buffer.create.request({ bufferId: id, size: BigInt(ELEMENTS * 4), usage: [...usage] }, { timeoutMs: 10_000 });
  await gpu.upload('a', a);
  await gpu.upload('b', b);
  await gpu.gpu.buffer.create.request({ bufferId: 'big', size: BigInt(TRANSFER_BYTES), usage: [...usage] }, { timeoutMs: 10_000 });
  const created = await gpu.gpu.pipeline.create.request(
    { source: { kind: 'wgsl', value: WGSL }, entryPoint: 'main', layouts: [], constants: new Map() },
    { timeoutMs: 30_000 },
  );
  return { engine, host, authority, client, gpu, listener, pipelineId: created.pipelineId, errors };
}

async function closeOverBus(o: OverBus): Promise<void> {
  o.gpu.close();
  await o.client.close();
  await o.host.close();
  await o.authority.close();
  await o.listener.close();
  await o.engine.close();
  assertNoErrors('gpu over the bus', o.errors);
}

async function openDirect(): Promise<Direct> {
  const gpu = await openGpu();
  const { device } = gpu;
  const { a, b } = inputs();
  const storage = (data?: Uint32Array) => {
    const buffer = device.createBuffer({ size: ELEMENTS * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    if (data) device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  };
  const [ba, bb, out] = [storage(a), storage(b), storage()];
  const pipeline = await device.createComputePipelineAsync({
    layout: 'auto',
    compute: { module: device.createShaderModule({ code: WGSL }), entryPoint: 'main' },
  });
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [ba, bb, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const staging = device.createBuffer({ size: ELEMENTS * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const big = device.createBuffer({ size: TRANSFER_BYTES, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
  const bigStaging = device.createBuffer({ size: TRANSFER_BYTES, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  await device.queue.onSubmittedWorkDone();
  return { gpu, pipeline, bindGroup, out, staging, big, bigStaging };
}

/** Copies `size` bytes of `from` out through `staging`: what reading a GPU buffer back costs. */
async function readBack(d: Direct, from: GPUBuffer, staging: GPUBuffer, size: number, encoder = d.gpu.device.createCommandEncoder()): Promise<Uint8Array> {
  encoder.copyBufferToBuffer(from, 0, staging, 0, size);
  d.gpu.device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ, 0, size);
  const bytes = new Uint8Array(staging.getMappedRange(0, size)).slice();
  staging.unmap();
  return bytes;
}

async function cases(): Promise<readonly BenchCase[]> {
  // Fail the whole suite at once, saying why, where no adapter exists.
  const probe = await openGpu().catch((err: unknown) => {
    if (err instanceof GpuUnavailableError) throw new Error(`the gpu suite needs a WebGPU adapter: ${err.message}; ${err.help}`);
    throw err;
  });
  probe.close();
  const { expected } = inputs();
  const expectedBytes = new Uint8Array(expected.buffer);
  const transfer = new Uint8Array(TRANSFER_BYTES).map((_, i) => (i * 31) & 0xff);

  const bus = resource(openOverBus, closeOverBus);
  const direct = resource(openDirect, (d) => Promise.resolve(d.gpu.close()));
  const setup = async () => {
    await bus.setup();
    await direct.setup();
  };
  const teardown = async () => {
    await direct.teardown();
    await bus.teardown();
  };

  const dispatchOverBus = async (): Promise<Uint8Array> => {
    const o = bus.get();
    const job = {
      pipelineId: o.pipelineId,
      bindGroups: [{ group: 0, entries: ['a', 'b', 'out'].map((bufferId, binding) => ({ binding, bufferId, offset: 0n })) }],
      workgroups: { x: ELEMENTS / WORKGROUP, y: 1, z: 1 },
      outputs: [{ bufferId: 'out', offset: 0n, mode: 'inline' as const }],
    };
    const result = await deadline(o.gpu.dispatch(job), STALL_MS, 'gpu dispatch over the bus');
    const data = result.outputs[0]?.data;
    if (result.status !== 'ok' || data?.kind !== 'inline')
      throw new Error(`gpu dispatch over the bus: status ${result.status}, ${result.error?.message ?? 'no inline output'}`);
    return data.value;
  };
  const dispatchDirect = async (): Promise<Uint8Array> => {
    const d = direct.get();
    const encoder = d.gpu.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(ELEMENTS / WORKGROUP);
    pass.end();
    return readBack(d, d.out, d.staging, ELEMENTS * 4, encoder);
  };

  return [
    {
      name: 'gpu dispatch + 64 KiB result over the bus (NM2/UDP) vs direct WebGPU',
      latency: true,
      minIterations: 20,
      setup: async () => {
        await setup();
        // The same answer on both sides, checked once before timing.
        sameBytes(await dispatchOverBus(), expectedBytes, 'gpu dispatch over the bus');
        sameBytes(await dispatchDirect(), expectedBytes, 'gpu dispatch direct');
      },
      teardown,
      fn: dispatchOverBus,
      baseline: { name: 'the same dispatch and read-back on the device', fn: dispatchDirect },
    },
    {
      name: 'gpu upload 4 MiB over the bus (NM2/UDP) vs queue.writeBuffer',
      bytesPerOp: TRANSFER_BYTES,
      minIterations: 5,
      setup,
      teardown,
      fn: async () => {
        await deadline(bus.get().gpu.upload('big', transfer), STALL_MS, 'gpu upload over the bus');
      },
      baseline: {
        name: 'queue.writeBuffer of 4 MiB, then the queue done',
        bytesPerOp: TRANSFER_BYTES,
        fn: async () => {
          const d = direct.get();
          d.gpu.device.queue.writeBuffer(d.big, 0, transfer);
          await d.gpu.device.queue.onSubmittedWorkDone();
        },
      },
    },
    {
      name: 'gpu download 4 MiB over the bus (NM2/UDP) vs mapAsync',
      bytesPerOp: TRANSFER_BYTES,
      minIterations: 5,
      setup: async () => {
        await setup();
        await bus.get().gpu.upload('big', transfer);
        const d = direct.get();
        d.gpu.device.queue.writeBuffer(d.big, 0, transfer);
        sameBytes(await bus.get().gpu.download('big'), transfer, 'gpu download over the bus');
        sameBytes(await readBack(d, d.big, d.bigStaging, TRANSFER_BYTES), transfer, 'gpu download direct');
      },
      teardown,
      fn: async () => {
        await deadline(bus.get().gpu.download('big'), STALL_MS, 'gpu download over the bus');
      },
      baseline: {
        name: 'copyBufferToBuffer + mapAsync + copy of 4 MiB',
        bytesPerOp: TRANSFER_BYTES,
        fn: async () => {
          const d = direct.get();
          await readBack(d, d.big, d.bigStaging, TRANSFER_BYTES);
        },
      },
    },
  ];
}

export const suite: BenchSuite = { name: 'gpu', cases };
