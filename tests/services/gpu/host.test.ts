import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BusError, LoopbackHub, type LoopbackBus } from '../../../runtime/index.ts';
import { CapabilityMask, createClient, topics, type ErrorEvent, type JitterReport, type PipelineCreate } from '../../../generated/index.ts';
import { BudgetMeter, GpuClient, GpuEngine, serveGpu } from '../../../services/index.ts';
import { collectBusErrors } from '../../helpers/bus-errors.ts';
import { until } from '../../helpers/until.ts';
import { noAdapter } from './adapter.ts';

/**
 * The GPU host's own duties beside the wire path (wire.slow.test.ts): budgets measured and reported, refusals
 * and failed jobs on telemetry/errors, only a job's own budget refusing it, device loss, empty reads,
 * closing. In process over the loopback bus, with the real engine.
 */

const busErrors = collectBusErrors();
const ADD_ONE = `@group(0) @binding(0) var<storage, read_write> data: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < arrayLength(&data)) { data[id.x] = data[id.x] + 1u; }
}
`;
const pipeline = (source: string): PipelineCreate => ({ source: { kind: 'wgsl', value: source }, entryPoint: 'main', layouts: [], constants: new Map() });
const CLIENT = CapabilityMask.maskOf('gpu.admin', 'gpu.write', 'gpu.read', 'gpu.dispatch');

const closing: (() => Promise<unknown>)[] = [];
const hostErrors: unknown[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
  expect(hostErrors.splice(0)).toEqual([]);
});

/** A host on `engine` (its owner closes it), a telemetry watcher and a client, over one loopback hub. */
async function start(engine: GpuEngine) {
  const hub = new LoopbackHub({ onError: busErrors.for('hub') });
  const hostBus = hub.connect({ capabilities: CapabilityMask.maskOf('gpu.host', 'telemetry.write'), onError: busErrors.for('host') });
  const host = serveGpu(hostBus, engine, { name: 'lab-gpu', telemetry: { intervalMs: 100 }, onError: (e) => void hostErrors.push(e) });
  closing.push(() => host.close());
  await host.ready;
  const watcher = hub.connect({ capabilities: CapabilityMask.maskOf('telemetry.read'), onError: busErrors.for('watcher') });
  const errors: ErrorEvent[] = [];
  const jitter: JitterReport[] = [];
  await watcher.subscribe(topics['telemetry/errors'], (e) => void errors.push(e)).ready;
  await watcher.subscribe(topics['telemetry/jitter'], (r) => void jitter.push(r)).ready;
  const bus: LoopbackBus = hub.connect({ capabilities: CLIENT, onError: busErrors.for('client') });
  const gpu = new GpuClient(bus);
  closing.push(() => Promise.resolve(gpu.close()));
  return { engine, host, bus, gpu, errors, jitter };
}

describe('BudgetMeter', () => {
  it('counts breaches of the latency budget, reports one at once per window and all at flush', () => {
    let now = 1_000_000_000;
    const reports: JitterReport[] = [];
    const meter = new BudgetMeter({ peer: 'p', intervalMs: 60_000, report: (r) => void reports.push(r), nowUs: () => now });
    const topic = topics['gpu/buffer.create']; // budget: latency 10 ms, jitter 2 ms
    expect(meter.record(topic, BigInt(now - 3_000))).toBe(false);
    expect(meter.record(topic, BigInt(now - 4_000))).toBe(false);
    expect(meter.record(topic, BigInt(now - 25_000))).toBe(true);
    expect(meter.record(topic, BigInt(now - 26_000))).toBe(true);
    // Two breaches, one report at once (the second falls in the same window).
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      peer: 'p',
      topic: 'gpu/buffer.create',
      topicId: topic.id,
      samples: 3,
      overBudget: 1,
      latencyMax: 25_000,
      budget: { latency: 10_000, jitter: 2_000 },
    });
    now += 1_000;
    meter.flush();
    expect(reports[1]).toMatchObject({ samples: 4, overBudget: 2, latencyP50: 25_000, latencyMax: 26_000 });
    meter.flush(); // nothing measured since: no report
    expect(reports).toHaveLength(2);
    expect(meter.figures()).toEqual({ 'gpu/buffer.create': { samples: 4, overBudget: 2 } });
  });
});

describe.skipIf(noAdapter !== undefined)(`GPU host duties ${noAdapter ?? ''}`, () => {
  // One device for the file: Dawn is not made to open and destroy devices one after another in a process.
  let engine: GpuEngine;
  beforeAll(async () => {
    engine = await GpuEngine.open();
  });
  afterAll(async () => {
    await engine.close();
  });

  it('measures every topic against its budget and publishes telemetry/jitter reports', async () => {
    const { gpu, host, jitter } = await start(engine);
    await gpu.gpu.buffer.create.request({ bufferId: 'm', size: 1_024n, usage: ['storage', 'copy_dst', 'copy_src'] });
    await gpu.upload('m', new Uint32Array(256), { chunkSize: 256 });
    await gpu.download('m');
    await until(
      () => ['gpu/buffer.create', 'gpu/buffer.write', 'gpu/buffer.read'].every((t) => jitter.some((r) => r.topic === t)),
      3_000,
      'jitter reports of three topics',
    );
    expect(host.stats().budget).toMatchObject({ 'gpu/buffer.create': { samples: 1 }, 'gpu/buffer.write': { samples: 4 }, 'gpu/buffer.read': { samples: 1 } });
    expect(jitter.every((r) => r.peer === 'lab-gpu')).toBe(true);
  });

  it("only a job's own budget fails it (BUDGET_EXCEEDED), and the failure goes to telemetry/errors", async () => {
    const { gpu, errors, host } = await start(engine);
    const { pipelineId } = await gpu.gpu.pipeline.create.request(pipeline(ADD_ONE));
    await gpu.gpu.buffer.create.request({ bufferId: 'j', size: 4_096n, usage: ['storage', 'copy_dst', 'copy_src'] });
    const job = {
      pipelineId,
      bindGroups: [{ group: 0, entries: [{ binding: 0, bufferId: 'j', offset: 0n }] }],
      workgroups: { x: 16, y: 1, z: 1 },
      outputs: [],
    };
    expect((await gpu.dispatch(job)).status).toBe('ok');
    // A budget of 1 µs cannot be met by any real dispatch.
    const late = await gpu.dispatch({ ...job, budget: { latency: 1 } });
    expect(['timeout', 'failed']).toContain(late.status);
    expect(late.error).toMatchObject({ name: 'BUDGET_EXCEEDED', code: 1013 });
    await until(() => errors.some((e) => e.error.name === 'BUDGET_EXCEEDED'), 3_000, 'the BUDGET_EXCEEDED error event');
    expect(errors.find((e) => e.error.name === 'BUDGET_EXCEEDED')).toMatchObject({
      peer: 'lab-gpu',
      topic: 'gpu/job.result/{corr}',
      errorSet: 'fountain.gpu.GpuError',
    });
    expect(host.stats().jobs).toMatchObject({ failed: 1 });
  });

  it('refusals are published on telemetry/errors with their corr and topic, within the per-window limit', async () => {
    const { gpu, errors, host } = await start(engine);
    const err = await gpu.gpu.buffer.destroy.request({ bufferId: 'ghost' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusError);
    await until(() => errors.length === 1, 3_000, 'one error event');
    expect(errors[0]).toMatchObject({
      topic: 'gpu/buffer.destroy',
      errorSet: 'fountain.gpu.GpuError',
      error: { name: 'UNKNOWN_BUFFER', code: 1005 },
      severity: 'error',
    });
    expect(errors[0]!.corr).toMatch(/^\d+$/);
    // A flood of refusals: at most 20 events per window, the rest counted.
    await Promise.all(Array.from({ length: 60 }, (_, i) => gpu.gpu.buffer.destroy.request({ bufferId: `ghost${i}` }).catch(() => undefined)));
    const { published, suppressed } = host.stats().errorEvents;
    expect(published + suppressed).toBe(61);
    expect(suppressed).toBeGreaterThan(0);
  });

  it('reads of zero bytes announce an empty transfer; closing the host stops serving', async () => {
    const { gpu, bus, host } = await start(engine);
    await gpu.gpu.buffer.create.request({ bufferId: 'z', size: 256n, usage: ['copy_src', 'storage'] });
    expect(await gpu.gpu.buffer.read.request({ bufferId: 'z', offset: 256n, chunkSize: 256 })).toMatchObject({ length: 0n, chunkTotal: 0 });
    expect(await gpu.download('z', { offset: 256n })).toEqual(new Uint8Array(0));
    await host.close();
    const err = (await createClient(bus)
      .gpu.buffer.create.request({ bufferId: 'y', size: 4n, usage: ['storage'] }, { timeoutMs: 500 })
      .catch((e: unknown) => e)) as BusError;
    expect(err.code).toBe('no-responder');
  });

  it('after device loss every request is answered DEVICE_LOST and the loss is counted', async () => {
    // Last in the file, on a device of its own that this test loses.
    const doomed = await GpuEngine.open();
    closing.push(() => doomed.close());
    const { gpu, host, errors } = await start(doomed);
    doomed.device.destroy();
    await until(() => host.stats().deviceLost === 1, 3_000, 'the device loss to be counted');
    const err = (await gpu.gpu.buffer.create.request({ bufferId: 'late', size: 4n, usage: ['storage'] }).catch((e: unknown) => e)) as BusError;
    expect(err.remote).toMatchObject({ name: 'DEVICE_LOST', code: 1015 });
    // The loss itself is an error event of the host, beside the refusals that follow it.
    await until(() => errors.some((e) => e.error.name === 'DEVICE_LOST' && e.topic === undefined), 3_000, 'the DEVICE_LOST event');
  });
});
