/**
 * A real computation over the bus: a 512×512 matrix product of u32 (wrapping arithmetic, so the GPU's
 * answer can be checked bit for bit) on a WebGPU device behind a GPU host, asked for over Network MIDI
 * 2.0 on 127.0.0.1. The host is what `midl gpu serve --listen udp://127.0.0.1:0` runs (GpuEngine +
 * serveGpu on a session authority); the app opens a bus session, then uses GpuClient: create three
 * buffers, upload A and B in checksummed chunks, compile the WGSL, dispatch, download C, and compare
 * it with the product computed here on the CPU.
 * Needs a WebGPU adapter (`midl gpu info` says whether there is one and how to get one).
 * Run: npx tsx examples/programs/gpu-matmul.ts
 */
import { CapabilityMask, intents, topics } from '../../generated/index.ts';
import { NetworkBus } from '../../runtime/index.ts';
import { Nm2Endpoint, connectNm2 } from '../../runtime/transports/index.ts';
import { GpuClient, GpuEngine, serveGpu } from '../../services/index.ts';

const N = 512;
const TILE = 8;
const registry = { topics: Object.values(topics), intents: Object.values(intents) };

// C[row][col] = Σ A[row][k] · B[k][col], mod 2^32: one invocation per element of C.
const WGSL = `
override n: u32 = ${N}u;
@group(0) @binding(0) var<storage, read> a: array<u32>;
@group(0) @binding(1) var<storage, read> b: array<u32>;
@group(0) @binding(2) var<storage, read_write> c: array<u32>;
@compute @workgroup_size(${TILE}, ${TILE})
fn matmul(@builtin(global_invocation_id) id: vec3<u32>) {
  let row = id.y;
  let col = id.x;
  if (row >= n || col >= n) { return; }
  var sum = 0u;
  for (var k = 0u; k < n; k++) { sum += a[row * n + k] * b[k * n + col]; }
  c[row * n + col] = sum;
}
`;

// The GPU host: a WebGPU device served on a UDP endpoint (port 0 = any free port).
const engine = await GpuEngine.open();
const endpoint = await Nm2Endpoint.listen({ host: '127.0.0.1', port: 0, name: 'gpu-host' });
const hostBus = new NetworkBus({ name: 'gpu-host', ...registry, capabilities: CapabilityMask.maskOf('gpu.host') });
const host = serveGpu(hostBus, engine, { telemetry: false });
await host.ready;
endpoint.onSession((link) => hostBus.accept(link));

// The app: a bus session asking for what it needs to create, upload, dispatch and read.
const appBus = new NetworkBus({ name: 'matmul', ...registry, capabilities: CapabilityMask.maskOf('gpu.admin', 'gpu.write', 'gpu.dispatch', 'gpu.read') });
await appBus.connect(await connectNm2(`udp://127.0.0.1:${endpoint.port}`, { name: 'matmul' }));
const gpu = new GpuClient(appBus);

const a = new Uint32Array(N * N).map((_, i) => (i * 2654435761) >>> 0);
const b = new Uint32Array(N * N).map((_, i) => (i ^ 0x9e3779b9) >>> 0);
const started = performance.now();
for (const bufferId of ['A', 'B', 'C'])
  await gpu.gpu.buffer.create.request({ bufferId, size: BigInt(N * N * 4), usage: ['storage', 'copy_dst', 'copy_src'] }, { timeoutMs: 5_000 });
await gpu.upload('A', a);
await gpu.upload('B', b);
const { pipelineId } = await gpu.gpu.pipeline.create.request(
  { source: { kind: 'wgsl', value: WGSL }, entryPoint: 'matmul', layouts: [], constants: new Map(), label: 'matmul' },
  { timeoutMs: 30_000 },
);
const result = await gpu.dispatch(
  {
    pipelineId,
    bindGroups: [{ group: 0, entries: ['A', 'B', 'C'].map((bufferId, binding) => ({ binding, bufferId, offset: 0n })) }],
    workgroups: { x: N / TILE, y: N / TILE, z: 1 },
    outputs: [],
    label: 'matmul 512',
  },
  { timeoutMs: 120_000 },
);
if (result.status !== 'ok') throw new Error(`the job ended ${result.status}: ${result.error?.message ?? ''}`);
const c = await gpu.downloadAs(Uint32Array, 'C');
const elapsed = performance.now() - started;

// The same product on the CPU, in the same wrapping arithmetic.
let mismatches = 0;
for (let row = 0; row < N; row++) {
  for (let col = 0; col < N; col++) {
    let sum = 0;
    for (let k = 0; k < N; k++) sum = (sum + Math.imul(a[row * N + k]!, b[k * N + col]!)) >>> 0;
    if (c[row * N + col] !== sum) mismatches++;
  }
}
console.log(`${N}×${N} u32 matrix product over UDP on ${engine.report.description || engine.report.device || 'a WebGPU adapter'}`);
console.log(mismatches === 0 ? `matches the CPU bit for bit (${c.length} elements)` : `${mismatches} of ${c.length} elements differ from the CPU`);
console.log(`round trip ${Math.round(elapsed)} ms (upload 2 MiB, compile, dispatch, download 1 MiB)`);

gpu.close();
await appBus.close();
await host.close();
await hostBus.close();
await endpoint.close();
await engine.close();
if (mismatches !== 0) process.exitCode = 1;
