import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BusError, LoopbackHub, type Bus, type Delivery, type Handler } from '../../../runtime/index.ts';
import { CapabilityMask, topics, type BufferChunk } from '../../../generated/index.ts';
import { GpuClient, GpuClientError, GpuEngine, serveGpu, type GpuHost } from '../../../services/index.ts';
import { collectBusErrors } from '../../helpers/bus-errors.ts';
import { noAdapter } from './adapter.ts';

/**
 * GpuClient's recovery paths against the real host and engine, with faults injected between the
 * client and its bus: corrupted chunks either way, a corrupted whole-transfer checksum, retries that run
 * out. In process over the loopback bus (the UDP path is wire.slow.test.ts).
 */

const busErrors = collectBusErrors();
const CLIENT = CapabilityMask.maskOf('gpu.admin', 'gpu.write', 'gpu.read', 'gpu.dispatch');
const words = (n: number) => Uint32Array.from({ length: n }, (_, i) => (i * 2_654_435_761) >>> 0);

interface Faults {
  /** Changes a gpu/buffer.write chunk on its way out (or returns it as it is). */
  upload?: (chunk: BufferChunk) => BufferChunk;
  /** Changes a gpu/buffer.data chunk on its way in. */
  download?: (chunk: BufferChunk) => BufferChunk;
}

/** `bus` with `faults` applied to outgoing chunk writes and incoming read data. */
function faulty(bus: Bus, faults: Faults): Bus {
  return new Proxy(bus, {
    get(target, prop) {
      if (prop === 'request' && faults.upload)
        return (topic: unknown, value: unknown, options: unknown) =>
          (target.request as (...a: unknown[]) => unknown)(topic, topic === topics['gpu/buffer.write'] ? faults.upload!(value as BufferChunk) : value, options);
      if (prop === 'subscribe' && faults.download)
        return (topic: unknown, handler: Handler<unknown>, options: unknown) =>
          (target.subscribe as (...a: unknown[]) => unknown)(
            topic,
            topic === topics['gpu/buffer.data/{corr}'] ? (chunk: BufferChunk, d: Delivery) => handler(faults.download!(chunk), d) : handler,
            options,
          );
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const flip = (chunk: BufferChunk): BufferChunk => {
  const data = chunk.data.slice();
  data[0]! ^= 0x80;
  return { ...chunk, data };
};

describe.skipIf(noAdapter !== undefined)(`GpuClient recovery ${noAdapter ?? ''}`, () => {
  let engine: GpuEngine;
  let hub: LoopbackHub;
  let host: GpuHost;
  const hostErrors: unknown[] = [];
  const clients: { bus: Bus; gpu: GpuClient }[] = [];
  beforeAll(async () => {
    engine = await GpuEngine.open();
    hub = new LoopbackHub({ onError: busErrors.for('hub') });
    host = serveGpu(hub.connect({ capabilities: CapabilityMask.maskOf('gpu.host'), onError: busErrors.for('host') }), engine, {
      telemetry: false,
      onError: (e) => void hostErrors.push(e),
    });
    await host.ready;
  });
  afterEach(async () => {
    for (const { bus, gpu } of clients.splice(0)) {
      gpu.close();
      await bus.close();
    }
    expect(hostErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await host.close();
    await engine.close();
  });

  async function client(faults: Faults = {}, bufferId?: string) {
    const bus = hub.connect({ capabilities: CLIENT, onError: busErrors.for('client') });
    const gpu = new GpuClient(faulty(bus, faults), { requestTimeoutMs: 2_000 });
    clients.push({ bus, gpu });
    if (bufferId) {
      await gpu.gpu.buffer.destroy.request({ bufferId }).catch(() => undefined);
      await gpu.gpu.buffer.create.request({ bufferId, size: 65_536n, usage: ['storage', 'copy_dst', 'copy_src'] });
    }
    return gpu;
  }

  it('a corrupted download chunk makes the client read again, and the bytes come back intact', async () => {
    const clean = await client({}, 'dl');
    const data = words(16_384);
    await clean.upload('dl', data);
    let corrupted = 0;
    const gpu = await client({ download: (c) => (c.chunkIndex === 2 && corrupted++ === 0 ? flip(c) : c) });
    const reads = host.stats().topics['gpu/buffer.read']!.requests;
    const started = performance.now();
    expect(await gpu.downloadAs(Uint32Array, 'dl', { chunkSize: 4_096 })).toEqual(data);
    expect(host.stats().topics['gpu/buffer.read']!.requests - reads).toBe(2);
    // The re-read follows the stream's last chunk, not the 2 s idle timeout.
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('a download that stays corrupt fails after its retries with GpuClientError naming the chunk', async () => {
    const clean = await client({}, 'bad');
    await clean.upload('bad', words(1_024));
    const gpu = await client({ download: (c) => (c.chunkIndex === 0 ? flip(c) : c) });
    const err = await gpu.download('bad', { length: 4_096n, chunkSize: 1_024, retries: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GpuClientError);
    expect((err as Error).message).toMatch(/failed 2 times; last: .*chunk 0: CRC-32/);
  });

  it('a corrupted whole-transfer checksum makes the client start the transfer over, once', async () => {
    let tampered = 0;
    const gpu = await client(
      {
        upload: (c) => {
          if (!c.checksum || tampered++ > 0) return c;
          const value = c.checksum.value.slice();
          value[0]! ^= 1;
          return { ...c, checksum: { ...c.checksum, value } };
        },
      },
      'whole',
    );
    const data = words(4_096);
    const report = await gpu.upload('whole', data, { chunkSize: 2_048 });
    expect(report).toMatchObject({ restarts: 1, resent: [] });
    expect(await gpu.downloadAs(Uint32Array, 'whole', { length: 16_384n })).toEqual(data);
  });

  it('a chunk corrupted on every send exhausts its resends: GpuClientError with the CHECKSUM_MISMATCH kept', async () => {
    const gpu = await client({ upload: (c) => (c.chunkIndex === 1 ? flip(c) : c) }, 'stuck');
    const err = await gpu.upload('stuck', words(2_048), { chunkSize: 1_024, retries: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GpuClientError);
    expect((err as Error).message).toMatch(/chunk 1 of transfer .*: still refused after 2 resends/);
    const last = (err as GpuClientError).last as BusError;
    expect(last).toBeInstanceOf(BusError);
    expect(last.remote).toMatchObject({ name: 'CHECKSUM_MISMATCH', detail: { chunkIndex: 1, scope: 'chunk' } });
  });

  it("refusals reach the caller as the bus's BusError with .remote; typed views check the element size", async () => {
    const gpu = await client({}, 'typed');
    const write = await gpu.upload('missing-buffer', words(4)).catch((e: unknown) => e);
    expect(write).toBeInstanceOf(BusError);
    expect((write as BusError).remote).toMatchObject({ name: 'UNKNOWN_BUFFER', code: 1005 });
    const dispatch = await gpu.dispatch({ pipelineId: 'wgsl:none', bindGroups: [], workgroups: { x: 1, y: 1, z: 1 }, outputs: [] }).catch((e: unknown) => e);
    expect((dispatch as BusError).remote?.name).toBe('UNKNOWN_PIPELINE');
    const odd = await gpu.downloadAs(Float64Array, 'typed', { length: 12n }).catch((e: unknown) => e);
    expect(odd).toBeInstanceOf(GpuClientError);
    expect((odd as Error).message).toMatch(/12 bytes are not a whole number of 8-byte elements/);
    expect(await gpu.downloadAs(Float32Array, 'typed', { length: 16n })).toEqual(new Float32Array(4));
  });
});
