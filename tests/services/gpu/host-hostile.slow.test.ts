import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusError, LoopbackHub, crc32 } from '../../../runtime/index.ts';
import {
  CapabilityMask,
  GpuError,
  createClient,
  type BufferChunk,
  type BufferCreate,
  type BufferRead,
  type BufferUsage,
  type JobDispatch,
} from '../../../generated/index.ts';
import { GpuClient, GpuEngine, serveGpu, type GpuHost } from '../../../services/index.ts';
import { collectBusErrors } from '../../helpers/bus-errors.ts';
import { noAdapter } from './adapter.ts';

/**
 * Hostile traffic against the GPU host with the real engine (in process, over the loopback bus, for
 * speed; the UDP path is wire.slow.test.ts): schema-valid requests with arbitrary ids, offsets, sizes,
 * indexes, checksums and bindings. Every request is answered with a reply or a GpuError (never
 * INTERNAL, never a crash or an unreported failure), the host's bounds hold, and the device still
 * computes correctly afterwards.
 */

const busErrors = collectBusErrors();
const GPU_ERROR_NAMES = new Set(Object.keys(GpuError));
const ADD_ONE = `@group(0) @binding(0) var<storage, read_write> data: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < arrayLength(&data)) { data[id.x] = data[id.x] + 1u; }
}
`;

const ids = fc.constantFrom('a', 'b', 'c', 'nope');
const offsets = fc.oneof(fc.constantFrom(0n, 4n, 256n, 1020n, 1024n, 4096n, 65_532n, 1n << 40n, (1n << 64n) - 4n), fc.bigInt({ min: 0n, max: 70_000n }));
const usageArb = fc.uniqueArray(fc.constantFrom<BufferUsage>('storage', 'uniform', 'copy_src', 'copy_dst', 'indirect'), { minLength: 1, maxLength: 5 });

const createArb: fc.Arbitrary<BufferCreate> = fc.record({
  bufferId: ids,
  size: fc.oneof(
    fc.constantFrom(4n, 1024n, 65_536n, 1_073_741_824n, 268_435_456n),
    fc.bigInt({ min: 4n, max: 1_073_741_824n }),
    fc.bigInt({ min: 1n, max: 4_096n }).map((n) => n * 4n),
  ),
  usage: usageArb,
});

const chunkArb: fc.Arbitrary<BufferChunk> = fc
  .record({
    transferId: fc.constantFrom('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003'),
    bufferId: ids,
    offset: offsets,
    chunkIndex: fc.oneof(fc.nat({ max: 8 }), fc.constant(0xffff_ffff)),
    chunkTotal: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constant(0xffff_ffff)),
    data: fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 2_048 }),
      fc.integer({ min: 1, max: 512 }).map((n) => new Uint8Array(n * 4).fill(n & 0xff)),
    ),
    goodCrc: fc.boolean(),
    crc: fc.nat(),
    checksum: fc.option(fc.record({ algorithm: fc.constantFrom('crc32' as const, 'sha256' as const), value: fc.uint8Array({ minLength: 4, maxLength: 32 }) }), {
      nil: undefined,
    }),
  })
  .map(({ goodCrc, crc, checksum, ...c }) => ({ ...c, crc32: goodCrc ? crc32(c.data) : crc, ...(checksum ? { checksum } : {}) }));

/** Chunks that pass every check on their own, so that transfers progress and complete among the hostile ones. */
const goodChunkArb: fc.Arbitrary<BufferChunk> = fc
  .record({
    transferId: fc.constantFrom('00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b'),
    chunkIndex: fc.nat({ max: 1 }),
    words: fc.integer({ min: 1, max: 64 }),
  })
  .map(({ transferId, chunkIndex, words }) => {
    const data = new Uint8Array(256).fill(words);
    return { transferId, bufferId: 'a', offset: BigInt(chunkIndex * 256), chunkIndex, chunkTotal: 2, data, crc32: crc32(data) };
  });

const readArb: fc.Arbitrary<BufferRead> = fc.record(
  {
    bufferId: ids,
    offset: offsets,
    length: fc.oneof(offsets, fc.constant(0n)),
    chunkSize: fc.oneof(fc.constantFrom(256, 257, 4_096, 49_152), fc.integer({ min: 256, max: 49_152 })),
  },
  { requiredKeys: ['bufferId', 'offset', 'chunkSize'] },
);

function dispatchArb(pipelineIds: readonly string[]): fc.Arbitrary<JobDispatch> {
  const entry = fc.record({
    binding: fc.constantFrom(0, 1, 1023),
    bufferId: ids,
    offset: fc.constantFrom(0n, 4n, 256n, 1n << 40n),
    size: fc.option(offsets, { nil: undefined }),
  });
  return fc.record(
    {
      pipelineId: fc.constantFrom(...pipelineIds, 'wgsl:unknown'),
      bindGroups: fc.array(fc.record({ group: fc.constantFrom(0, 1, 3), entries: fc.array(entry, { minLength: 1, maxLength: 3 }) }), { maxLength: 2 }),
      workgroups: fc.record({ x: fc.constantFrom(1, 16, 65_535), y: fc.constantFrom(1, 2), z: fc.constant(1) }),
      pushConstants: fc.option(fc.uint8Array({ maxLength: 256 }), { nil: undefined }),
      budget: fc.option(fc.record({ latency: fc.constantFrom(1, 1_000, 1_000_000) }), { nil: undefined }),
      outputs: fc.array(
        fc.record({
          bufferId: ids,
          offset: offsets,
          length: fc.option(offsets, { nil: undefined }),
          mode: fc.constantFrom('auto' as const, 'inline' as const, 'reference' as const),
        }),
        {
          maxLength: 2,
        },
      ),
    },
    { requiredKeys: ['pipelineId', 'bindGroups', 'workgroups', 'outputs'] },
  );
}

describe.skipIf(noAdapter !== undefined)(`GPU host under hostile requests ${noAdapter ?? ''}`, () => {
  let engine: GpuEngine;
  let host: GpuHost;
  let hub: LoopbackHub;
  const hostErrors: unknown[] = [];
  beforeAll(async () => {
    engine = await GpuEngine.open({ maxBuffers: 8, maxBufferBytes: 8 * 1024 * 1024, maxQueuedJobs: 4 });
    hub = new LoopbackHub({ onError: busErrors.for('hub') });
    const hostBus = hub.connect({ capabilities: CapabilityMask.maskOf('gpu.host'), onError: busErrors.for('host') });
    host = serveGpu(hostBus, engine, {
      telemetry: false,
      maxReadBytes: 1 << 20,
      uploads: { maxOpenTransfers: 2, maxTrackedChunks: 16, idleTimeoutMs: 300 },
      onError: (e) => void hostErrors.push(e),
    });
    await host.ready;
  });
  afterAll(async () => {
    await host.close();
    await engine.close();
  });

  it('answers every request with a reply or a GpuError, keeps its bounds, and still computes afterwards', async () => {
    const bus = hub.connect({
      capabilities: CapabilityMask.maskOf('gpu.admin', 'gpu.write', 'gpu.read', 'gpu.dispatch'),
      requestTimeoutMs: 20_000,
      onError: busErrors.for('client'),
    });
    const client = createClient(bus).gpu;
    const { pipelineId } = await client.pipeline.create.request({
      source: { kind: 'wgsl', value: ADD_ONE },
      entryPoint: 'main',
      layouts: [],
      constants: new Map(),
    });
    const outcomes = new Map<string, number>();
    const settle = async (what: string, p: Promise<unknown>) => {
      try {
        await p;
        outcomes.set(`${what}: ok`, (outcomes.get(`${what}: ok`) ?? 0) + 1);
      } catch (err) {
        expect(err).toBeInstanceOf(BusError);
        const e = err as BusError;
        // What the bus itself refuses before sending (a value breaking the schema) is not the host's answer.
        if (e.code === 'invalid-payload') return;
        expect(e.code, e.message).toBe('remote');
        expect(GPU_ERROR_NAMES.has(e.remote!.name), `${what}: ${e.remote!.name}: ${e.remote!.message}`).toBe(true);
        outcomes.set(`${what}: ${e.remote!.name}`, (outcomes.get(`${what}: ${e.remote!.name}`) ?? 0) + 1);
      }
    };
    const request = fc.oneof(
      createArb.map((v) => () => settle('create', client.buffer.create.request(v))),
      ids.map((bufferId) => () => settle('destroy', client.buffer.destroy.request({ bufferId }))),
      chunkArb.map((v) => () => settle('write', client.buffer.write.request(v))),
      goodChunkArb.map((v) => () => settle('write', client.buffer.write.request(v))),
      readArb.map((v) => () => settle('read', client.buffer.read.request(v))),
      dispatchArb([pipelineId]).map((v) => () => settle('dispatch', client.job.dispatch.request(v))),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 12 }), async (calls) => {
        // Buffers that exist, so that the hostile calls reach past the unknown-id checks as well.
        await settle('create', client.buffer.create.request({ bufferId: 'a', size: 4_096n, usage: ['storage', 'copy_src', 'copy_dst'] }));
        await settle('create', client.buffer.create.request({ bufferId: 'b', size: 65_536n, usage: ['storage', 'copy_dst'] }));
        await Promise.all(calls.map((call) => call()));
        const s = host.stats();
        expect(s.uploads.openTransfers).toBeLessThanOrEqual(2);
        expect(s.uploads.trackedChunks).toBeLessThanOrEqual(16);
        expect(s.reads.bytesStreaming).toBeLessThanOrEqual(1 << 20);
        expect(engine.usage.buffers).toBeLessThanOrEqual(8);
      }),
      { numRuns: 40, seed: 1307 },
    );
    // Refusals of many kinds were provoked, not only one.
    const kinds = [...outcomes.keys()];
    expect(kinds.filter((k) => !k.endsWith(': ok')).length, JSON.stringify([...outcomes])).toBeGreaterThanOrEqual(10);
    for (const k of ['write: ok', 'read: ok', 'dispatch: ok', 'write: CHECKSUM_MISMATCH']) expect(kinds, JSON.stringify([...outcomes])).toContain(k);
    expect(hostErrors).toEqual([]);

    // The device still computes: a fresh buffer, uploaded, incremented, read back.
    for (const id of ['a', 'b', 'c']) await client.buffer.destroy.request({ bufferId: id }).catch(() => undefined);
    const gpu = new GpuClient(bus);
    await client.buffer.create.request({ bufferId: 'after', size: 4_096n, usage: ['storage', 'copy_dst', 'copy_src'] });
    const data = Uint32Array.from({ length: 1_024 }, (_, i) => i * 3);
    // Transfers the hostile run left open hold the two slots until they expire (300 ms idle): the
    // client waits out LIMIT_EXCEEDED by its retry hint.
    await gpu.upload('after', data, { chunkSize: 1_024, algorithm: 'sha256', retries: 10 });
    const result = await gpu.dispatch({
      pipelineId,
      bindGroups: [{ group: 0, entries: [{ binding: 0, bufferId: 'after', offset: 0n }] }],
      workgroups: { x: 16, y: 1, z: 1 },
      outputs: [],
    });
    expect(result.status, JSON.stringify(result.error)).toBe('ok');
    expect(await gpu.downloadAs(Uint32Array, 'after', { chunkSize: 1_024 })).toEqual(data.map((v) => v + 1));
    gpu.close();
    await bus.close();
  });
});
