import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobDispatch, JobResult } from '../../../generated/index.ts';
import { crc32 } from '../../../runtime/index.ts';
import { GpuEngine } from '../../../services/index.ts';
import { noAdapter, refusal, wgsl } from './adapter.ts';

const ADD = `@group(0) @binding(0) var<storage, read> a: array<u32>;
@group(0) @binding(1) var<storage, read> b: array<u32>;
@group(0) @binding(2) var<storage, read_write> sum: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < arrayLength(&sum)) { sum[id.x] = a[id.x] + b[id.x]; }
}
`;

const MATMUL = `override N: u32 = 64u;
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let row = id.y;
  let col = id.x;
  if (row >= N || col >= N) { return; }
  var acc = 0.0;
  for (var k = 0u; k < N; k++) { acc = acc + a[row * N + k] * b[k * N + col]; }
  c[row * N + col] = acc;
}
`;

// A job that keeps the device busy for a while (ITER rounds of an LCG per invocation).
const SPIN = `override ITER: u32 = 1000u;
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  var acc = id.x;
  for (var i = 0u; i < ITER; i++) { acc = acc * 1664525u + 1013904223u; }
  out[id.x] = acc;
}
`;

const PUSH = `struct Push { scale: u32, offset: u32 }
@group(0) @binding(0) var<storage, read_write> data: array<u32>;
@group(3) @binding(0) var<uniform> push: Push;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < arrayLength(&data)) { data[id.x] = data[id.x] * push.scale + push.offset; }
}
`;

const TERMINAL = new Set(['ok', 'failed', 'timeout', 'cancelled']);

/** Dispatches and collects every update; `done` resolves with the terminal result. */
function run(engine: GpuEngine, request: JobDispatch, jobId: string) {
  const updates: JobResult[] = [];
  let settle!: (result: JobResult) => void;
  const done = new Promise<JobResult>((resolve) => (settle = resolve));
  const accepted = engine.dispatch(request, { jobId, resultTopic: `gpu/job.result/${jobId}` }, (update) => {
    updates.push(update);
    if (TERMINAL.has(update.status)) settle(update);
  });
  return { accepted, updates, done };
}

function dispatch(pipelineId: string, buffers: string[], extra: Partial<JobDispatch> = {}): JobDispatch {
  return {
    pipelineId,
    bindGroups: [{ group: 0, entries: buffers.map((bufferId, binding) => ({ binding, bufferId, offset: 0n })) }],
    workgroups: { x: 1, y: 1, z: 1 },
    outputs: [],
    ...extra,
  };
}

const bytes = (view: ArrayBufferView) => new Uint8Array(view.buffer, view.byteOffset, view.byteLength);

/** Distance in units of the last place between two f32 values. */
function ulps(a: number, b: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat32(0, a, true);
  view.setFloat32(4, b, true);
  const ordered = (bits: number) => (bits < 0 ? -(bits & 0x7fffffff) : bits);
  return Math.abs(ordered(view.getInt32(0, true)) - ordered(view.getInt32(4, true)));
}

function inlineOf(result: JobResult, index: number): Uint8Array {
  const data = result.outputs[index]!.data;
  if (data.kind !== 'inline') throw new Error(`output ${index} is not inline`);
  return data.value;
}

describe.skipIf(noAdapter !== undefined)(`GPU engine: jobs on a real adapter ${noAdapter ?? ''}`, () => {
  let engine: GpuEngine;
  let spin: string;
  const listenerErrors: unknown[] = [];
  beforeAll(async () => {
    engine = await GpuEngine.open({ maxQueuedJobs: 3, inlineOutputLimit: 64 * 1024, onListenerError: (error) => listenerErrors.push(error) });
    spin = (await engine.createPipeline(wgsl(SPIN, { constants: new Map([['ITER', 400_000]]) }))).pipelineId;
    await engine.createBuffer({ bufferId: 'spin-out', size: 256n, usage: ['storage', 'copy_src'] });
  });
  afterAll(async () => {
    await engine.close();
    expect(listenerErrors).toEqual([]);
    expect(engine.uncapturedErrors).toEqual([]);
  });

  it('adds two u32 arrays bit for bit, with running then ok, timings and crc32', async () => {
    const n = 4096;
    const a = Uint32Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 0);
    const b = Uint32Array.from({ length: n }, (_, i) => (0xffffffff - i * 40503) >>> 0);
    const layouts = [
      {
        group: 0,
        entries: [
          { binding: 0, kind: 'read_only_storage' as const },
          { binding: 1, kind: 'read_only_storage' as const },
          { binding: 2, kind: 'storage' as const, minBindingSize: 4n },
        ],
      },
    ];
    const { pipelineId } = await engine.createPipeline(wgsl(ADD, { layouts }));
    for (const [id, data] of [
      ['add-a', a],
      ['add-b', b],
    ] as const) {
      await engine.createBuffer({ bufferId: id, size: BigInt(n * 4), usage: ['storage', 'copy_dst'] });
      engine.writeBuffer(id, 0n, bytes(data));
    }
    await engine.createBuffer({ bufferId: 'add-sum', size: BigInt(n * 4), usage: ['storage', 'copy_src'] });
    const job = run(
      engine,
      dispatch(pipelineId, ['add-a', 'add-b', 'add-sum'], {
        workgroups: { x: n / 64, y: 1, z: 1 },
        outputs: [{ bufferId: 'add-sum', offset: 0n, mode: 'auto' }],
      }),
      'add',
    );
    expect(job.accepted).toEqual({ jobId: 'add', queuePosition: 0, estimatedStart: 0, resultTopic: 'gpu/job.result/add' });
    const result = await job.done;
    expect(job.updates.map((u) => u.status)).toEqual(['running', 'ok']);
    const out = inlineOf(result, 0);
    const sum = new Uint32Array(out.buffer, out.byteOffset, n);
    const expected = a.map((x, i) => (x + b[i]!) >>> 0);
    expect(sum).toEqual(expected);
    expect(result.outputs[0]!.crc32).toBe(crc32(out));
    const t = result.timings!;
    expect(t.startedAt!.getTime()).toBeGreaterThanOrEqual(t.queuedAt.getTime());
    expect(t.finishedAt!.getTime()).toBeGreaterThanOrEqual(t.startedAt!.getTime());
    expect(t.total).toBeGreaterThanOrEqual(t.queueWait);
    expect(t.gpuTime).toBeGreaterThan(0);
    expect(() => engine.destroyBuffer({ bufferId: 'add-a' })).not.toThrow();
  });

  it('multiplies 64×64 f32 matrices within 1 ulp of the CPU', async () => {
    const n = 64;
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const a = Float32Array.from({ length: n * n }, random);
    const b = Float32Array.from({ length: n * n }, random);
    const { pipelineId } = await engine.createPipeline(wgsl(MATMUL));
    await engine.createBuffer({ bufferId: 'mm-a', size: BigInt(n * n * 4), usage: ['storage', 'copy_dst'] });
    await engine.createBuffer({ bufferId: 'mm-b', size: BigInt(n * n * 4), usage: ['storage', 'copy_dst'] });
    await engine.createBuffer({ bufferId: 'mm-c', size: BigInt(n * n * 4), usage: ['storage', 'copy_src'] });
    engine.writeBuffer('mm-a', 0n, bytes(a));
    engine.writeBuffer('mm-b', 0n, bytes(b));
    const job = run(
      engine,
      dispatch(pipelineId, ['mm-a', 'mm-b', 'mm-c'], { workgroups: { x: n / 8, y: n / 8, z: 1 }, outputs: [{ bufferId: 'mm-c', offset: 0n, mode: 'inline' }] }),
      'mm',
    );
    const result = await job.done;
    expect(result.status).toBe('ok');
    const out = inlineOf(result, 0);
    const c = new Float32Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
    let worst = 0;
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc = Math.fround(acc + Math.fround(a[row * n + k]! * b[k * n + col]!));
        worst = Math.max(worst, ulps(acc, c[row * n + col]!));
      }
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('passes push constants through the uniform at @group(3) @binding(0)', async () => {
    const { pipelineId } = await engine.createPipeline(wgsl(PUSH));
    const data = Uint32Array.from({ length: 64 }, (_, i) => i);
    await engine.createBuffer({ bufferId: 'push-data', size: 256n, usage: ['storage', 'copy_dst', 'copy_src'] });
    engine.writeBuffer('push-data', 0n, bytes(data));
    const job = run(
      engine,
      dispatch(pipelineId, ['push-data'], { pushConstants: bytes(Uint32Array.of(3, 1000)), outputs: [{ bufferId: 'push-data', offset: 0n, mode: 'inline' }] }),
      'push',
    );
    const result = await job.done;
    expect(result.status).toBe('ok');
    const out = inlineOf(result, 0);
    expect(new Uint32Array(out.buffer, out.byteOffset, 64)).toEqual(data.map((x) => x * 3 + 1000));
    await refusal(() => engine.dispatch(dispatch(pipelineId, ['push-data']), { jobId: 'x', resultTopic: 't' }, () => undefined), 'LAYOUT_MISMATCH');
    await refusal(
      () => engine.dispatch(dispatch(pipelineId, ['push-data'], { pushConstants: new Uint8Array(6) }), { jobId: 'x', resultTopic: 't' }, () => undefined),
      'MISALIGNED',
    );
    const plain = await engine.createPipeline(wgsl(SPIN));
    const error = await refusal(
      () => engine.dispatch(dispatch(plain.pipelineId, ['spin-out'], { pushConstants: new Uint8Array(8) }), { jobId: 'x', resultTopic: 't' }, () => undefined),
      'LAYOUT_MISMATCH',
    );
    expect(error.message).toContain('@group(3) @binding(0)');
  });

  it('returns an output over the inline limit as a buffer slice with its crc32', async () => {
    const { pipelineId } = await engine.createPipeline(wgsl(SPIN, { constants: new Map([['ITER', 10]]) }));
    await engine.createBuffer({ bufferId: 'wide', size: 128n * 1024n, usage: ['storage', 'copy_src'] });
    const job = run(
      engine,
      dispatch(pipelineId, ['wide'], { workgroups: { x: 512, y: 1, z: 1 }, outputs: [{ bufferId: 'wide', offset: 0n, mode: 'auto' }] }),
      'wide',
    );
    const result = await job.done;
    expect(result.status).toBe('ok');
    expect(result.outputs[0]!.data).toEqual({ kind: 'buffer', value: { bufferId: 'wide', offset: 0n, length: 128n * 1024n } });
    expect(result.outputs[0]!.crc32).toBe(crc32(await engine.readBuffer('wide', 0n)));
    await refusal(
      () =>
        engine.dispatch(
          dispatch(pipelineId, ['wide'], { outputs: [{ bufferId: 'wide', offset: 0n, mode: 'inline' }] }),
          { jobId: 'x', resultTopic: 't' },
          () => undefined,
        ),
      'LIMIT_EXCEEDED',
    );
  });

  it('refuses bad dispatches before queueing them', async () => {
    const layouts = [{ group: 0, entries: [{ binding: 0, kind: 'storage' as const }] }];
    const { pipelineId } = await engine.createPipeline(wgsl(SPIN, { layouts }));
    await engine.createBuffer({ bufferId: 'big', size: 1024n, usage: ['storage', 'copy_src'] });
    await engine.createBuffer({ bufferId: 'uni', size: 256n, usage: ['uniform'] });
    const ticket = { jobId: 'bad', resultTopic: 'gpu/job.result/bad' };
    const refuse = (request: JobDispatch, name: string) => refusal(() => engine.dispatch(request, ticket, () => undefined), name);
    await refuse(dispatch('wgsl:unknown', ['big']), 'UNKNOWN_PIPELINE');
    await refuse(dispatch(pipelineId, ['nope']), 'UNKNOWN_BUFFER');
    const limit = engine.report.limits.maxComputeWorkgroupsPerDimension!;
    const over = await refuse(dispatch(pipelineId, ['big'], { workgroups: { x: 1, y: limit + 1, z: 1 } }), 'LIMIT_EXCEEDED');
    expect(over.detail).toEqual({ axis: 'y', count: limit + 1, limit });
    await refuse({ ...dispatch(pipelineId, []), bindGroups: [{ group: 0, entries: [{ binding: 0, bufferId: 'big', offset: 4n }] }] }, 'MISALIGNED');
    await refuse(
      { ...dispatch(pipelineId, []), bindGroups: [{ group: 0, entries: [{ binding: 0, bufferId: 'big', offset: 768n, size: 512n }] }] },
      'OUT_OF_BOUNDS',
    );
    await refuse({ ...dispatch(pipelineId, []), bindGroups: [{ group: 0, entries: [{ binding: 1, bufferId: 'big', offset: 0n }] }] }, 'LAYOUT_MISMATCH');
    await refuse(dispatch(pipelineId, ['uni']), 'LAYOUT_MISMATCH');
    await refuse({ ...dispatch(pipelineId, []), bindGroups: [] }, 'LAYOUT_MISMATCH');
    await refuse(dispatch(pipelineId, ['big'], { outputs: [{ bufferId: 'uni', offset: 0n, mode: 'auto' }] }), 'LAYOUT_MISMATCH');
    await refuse(dispatch(pipelineId, ['big'], { outputs: [{ bufferId: 'big', offset: 2n, mode: 'auto' }] }), 'MISALIGNED');
    await refuse(dispatch(pipelineId, ['big'], { outputs: [{ bufferId: 'big', offset: 0n, length: 2048n, mode: 'auto' }] }), 'OUT_OF_BOUNDS');
    expect(engine.usage.jobs).toBe(0);
    engine.destroyBuffer({ bufferId: 'uni' });
  });

  it("fails a job the device rejects with LAYOUT_MISMATCH and the device's reason", async () => {
    const { pipelineId } = await engine.createPipeline(wgsl(SPIN));
    await engine.createBuffer({ bufferId: 'uniform-only', size: 256n, usage: ['uniform', 'copy_src'] });
    const result = await run(engine, dispatch(pipelineId, ['uniform-only']), 'wrong-kind').done;
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 1003, name: 'LAYOUT_MISMATCH' });
    expect(result.error!.message).toMatch(/Storage|storage/);
    engine.destroyBuffer({ bufferId: 'uniform-only' });
  });

  it('queues in order, refuses destroying bound buffers and a full queue with a retry hint', async () => {
    const jobs = [0, 1, 2].map((i) => run(engine, dispatch(spin, ['spin-out']), `q${i}`));
    expect(jobs.map((job) => job.accepted.queuePosition)).toEqual([0, 1, 2]);
    await refusal(() => engine.destroyBuffer({ bufferId: 'spin-out' }), 'BUFFER_IN_USE');
    const extra = run(engine, dispatch(spin, ['spin-out']), 'q3');
    const full = await refusal(() => engine.dispatch(dispatch(spin, ['spin-out']), { jobId: 'q4', resultTopic: 't' }, () => undefined), 'LIMIT_EXCEEDED');
    expect(full.retryAfterMs).toBeGreaterThan(0);
    const order: string[] = [];
    await Promise.all([...jobs, extra].map((job) => job.done.then((result) => order.push(result.jobId))));
    expect(order).toEqual(['q0', 'q1', 'q2', 'q3']);
    const estimate = run(engine, dispatch(spin, ['spin-out']), 'q5');
    const second = run(engine, dispatch(spin, ['spin-out']), 'q6');
    expect(second.accepted.estimatedStart).toBeGreaterThan(0);
    await Promise.all([estimate.done, second.done]);
    expect(engine.usage.jobs).toBe(0);
  });

  it('refuses a budget the queue already exceeds, and times out a job that finishes late', async () => {
    const busy = run(engine, dispatch(spin, ['spin-out']), 'busy');
    const refused = await refusal(
      () => engine.dispatch(dispatch(spin, ['spin-out'], { budget: { latency: 1 } }), { jobId: 'hurry', resultTopic: 't' }, () => undefined),
      'BUDGET_EXCEEDED',
    );
    expect(refused.detail).toMatchObject({ budget: 1, ahead: 1 });
    await busy.done;
    const late = await run(
      engine,
      dispatch(spin, ['spin-out'], { budget: { latency: 1000 }, outputs: [{ bufferId: 'spin-out', offset: 0n, mode: 'auto' }] }),
      'late',
    ).done;
    expect(late.status).toBe('timeout');
    expect(late.error).toMatchObject({ code: 1013, name: 'BUDGET_EXCEEDED' });
    expect(late.outputs).toEqual([]);
    expect(late.timings!.total).toBeGreaterThan(1000);
    const roomy = await run(engine, dispatch(spin, ['spin-out'], { budget: { latency: 60_000_000 } }), 'roomy').done;
    expect(roomy.status).toBe('ok');
  });

  it('reports a throwing listener to onListenerError and goes on', async () => {
    const thrown: unknown[] = [];
    const own = await GpuEngine.open({ onListenerError: (error) => thrown.push(error) });
    try {
      const { pipelineId } = await own.createPipeline(wgsl(SPIN));
      await own.createBuffer({ bufferId: 'o', size: 256n, usage: ['storage'] });
      own.dispatch(dispatch(pipelineId, ['o']), { jobId: 'boom', resultTopic: 't' }, () => {
        throw new Error('listener broke');
      });
      const after = await run(own, dispatch(pipelineId, ['o']), 'after').done;
      expect(after.status).toBe('ok');
      expect(thrown.map((error) => (error as Error).message)).toEqual(['listener broke', 'listener broke']);
    } finally {
      await own.close();
    }
  });
});

describe.skipIf(noAdapter !== undefined)(`GPU engine: device loss ${noAdapter ?? ''}`, () => {
  it('ends the running and queued jobs and every later call with DEVICE_LOST', async () => {
    const engine = await GpuEngine.open();
    const { pipelineId } = await engine.createPipeline(wgsl(SPIN, { constants: new Map([['ITER', 2_000_000]]) }));
    await engine.createBuffer({ bufferId: 'o', size: 256n, usage: ['storage', 'copy_src'] });
    const lostReasons: string[] = [];
    const lost = new Promise<void>((resolve) =>
      engine.onDeviceLost((reason) => {
        lostReasons.push(reason);
        resolve();
      }),
    );
    const jobs = [0, 1, 2].map((i) => run(engine, dispatch(pipelineId, ['o']), `lost${i}`));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(engine.usage.jobs).toBe(3);
    engine.device.destroy();
    await lost;
    expect(lostReasons).toHaveLength(1);
    expect(lostReasons[0]).toMatch(/^destroyed/);
    const results = await Promise.all(jobs.map((job) => job.done));
    for (const result of results) expect(result.error).toMatchObject({ code: 1015, name: 'DEVICE_LOST' });
    expect(results.every((result) => result.status === 'failed')).toBe(true);
    await refusal(engine.createBuffer({ bufferId: 'late', size: 4n, usage: ['storage'] }), 'DEVICE_LOST');
    await refusal(engine.createPipeline(wgsl(SPIN)), 'DEVICE_LOST');
    await refusal(() => engine.writeBuffer('o', 0n, new Uint8Array(4)), 'DEVICE_LOST');
    await refusal(engine.readBuffer('o', 0n), 'DEVICE_LOST');
    await refusal(() => engine.destroyBuffer({ bufferId: 'o' }), 'DEVICE_LOST');
    await refusal(() => engine.bufferSize('o'), 'DEVICE_LOST');
    await refusal(() => engine.dispatch(dispatch(pipelineId, ['o']), { jobId: 'x', resultTopic: 't' }, () => undefined), 'DEVICE_LOST');
    let later: string | undefined;
    engine.onDeviceLost((reason) => (later = reason));
    expect(later).toBe(lostReasons[0]);
    await engine.close();
    await engine.close();
  });
});

describe.skipIf(noAdapter !== undefined)(`GPU engine: close ${noAdapter ?? ''}`, () => {
  it('cancels the running and waiting jobs, tells no loss listener, and refuses later calls', async () => {
    const engine = await GpuEngine.open();
    const { pipelineId } = await engine.createPipeline(wgsl(SPIN, { constants: new Map([['ITER', 2_000_000]]) }));
    await engine.createBuffer({ bufferId: 'o', size: 256n, usage: ['storage', 'copy_src'] });
    const told: string[] = [];
    engine.onDeviceLost((reason) => told.push(reason));
    const jobs = [0, 1, 2].map((i) => run(engine, dispatch(pipelineId, ['o']), `closing${i}`));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await engine.close();
    const results = await Promise.all(jobs.map((job) => job.done));
    expect(results.map((result) => result.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    for (const result of results) expect(result.error).toMatchObject({ code: 1015, name: 'DEVICE_LOST', message: expect.stringContaining('closed') as string });
    expect(told).toEqual([]);
    const refused = await refusal(() => engine.bufferSize('o'), 'DEVICE_LOST');
    expect(refused.message).toContain('closed');
    engine.onDeviceLost((reason) => told.push(reason));
    expect(told).toEqual([]);
  });
});
