import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { BusError, FrameError, NetworkBus, type Bus, type UmpLink } from '../../../runtime/index.ts';
import { Nm2Endpoint, connectNm2 } from '../../../runtime/transports/index.ts';
import {
  Capabilities,
  CapabilityMask,
  createClient,
  topics,
  type BufferChunk,
  type JitterReport,
  type JobDispatch,
  type PipelineCreate,
} from '../../../generated/index.ts';
import { GpuClient, GpuEngine, chunkTransfer, serveGpu, type GpuHost } from '../../../services/index.ts';
import { collectBusErrors } from '../../helpers/bus-errors.ts';
import { mulberry32, startRelay, type Relay } from '../../helpers/udp-relay.ts';
import { registry } from '../../bus/network-peers.ts';
import { until } from '../../helpers/until.ts';
import { noAdapter } from './adapter.ts';

/**
 * The GPU host and client end to end: two NetworkBus peers over real UDP (Network MIDI 2.0) on
 * 127.0.0.1, the host the session authority, the real engine on a WebGPU adapter (lavapipe here).
 */

const HOST_CAPS = CapabilityMask.maskOf('gpu.host', 'telemetry.write', 'telemetry.read');
const CLIENT_CAPS = CapabilityMask.maskOf('gpu.admin', 'gpu.write', 'gpu.read', 'gpu.dispatch');
const retransmit = { initialMs: 40, maxMs: 400, maxAttempts: 200 };
const MIB4 = 4 * 1024 * 1024;

const SCRAMBLE = `@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x;
  if (i < arrayLength(&src)) {
    let v = src[i];
    dst[i] = (v * 2654435761u) ^ (v >> 7u) ^ i;
  }
}
`;
const scrambleOnCpu = (src: Uint32Array) => src.map((v, i) => (Math.imul(v, 2654435761) ^ (v >>> 7) ^ i) >>> 0);

const pipeline = (source: string): PipelineCreate => ({ source: { kind: 'wgsl', value: source }, entryPoint: 'main', layouts: [], constants: new Map() });
const randomWords = (n: number, seed: number) => {
  const next = mulberry32(seed);
  return Uint32Array.from({ length: n }, () => Math.floor(next() * 0x1_0000_0000) >>> 0);
};

const busErrors = collectBusErrors();
const hostErrors: { error: unknown; where: string }[] = [];
const cleanup: { readonly what: string; readonly close: () => Promise<unknown> }[] = [];
afterEach(async () => {
  const failed: string[] = [];
  for (const c of cleanup.splice(0).reverse()) await c.close().catch((err: unknown) => failed.push(`${c.what}: ${String(err)}`));
  expect(failed).toEqual([]);
  expect(hostErrors.splice(0)).toEqual([]);
});

interface Setup {
  readonly authority: NetworkBus;
  readonly client: NetworkBus;
  readonly host: GpuHost;
  readonly gpu: GpuClient;
  readonly jitter: JitterReport[];
  readonly relay: Relay | undefined;
  /** Connects another client with these capabilities. */
  readonly connect: (capabilities: bigint, name: string) => Promise<NetworkBus>;
}

async function setup(engine: GpuEngine, options: { loss?: number; seed?: number; wrap?: (bus: Bus) => Bus } = {}): Promise<Setup> {
  const timing = { pingIntervalMs: 100, timeoutMs: 3_000 };
  const endpoint = await Nm2Endpoint.listen({ host: '127.0.0.1', port: 0, name: 'gpu-host', ...timing });
  cleanup.push({ what: 'endpoint', close: () => endpoint.close() });
  const authority = new NetworkBus({
    name: 'gpu-host',
    ...registry,
    capabilities: HOST_CAPS,
    retransmit,
    heartbeatMs: 200,
    onError: busErrors.for('authority'),
  });
  cleanup.push({ what: 'authority', close: () => authority.close() });
  endpoint.onSession((link) => authority.accept(link));
  const host = serveGpu(authority, engine, { telemetry: { intervalMs: 200 }, onError: (error, where) => void hostErrors.push({ error, where }) });
  cleanup.push({ what: 'host', close: () => host.close() });
  await host.ready;
  const jitter: JitterReport[] = [];
  authority.subscribe(topics['telemetry/jitter'], (r) => void jitter.push(r));
  let port = endpoint.port;
  let relay: Relay | undefined;
  if (options.loss !== undefined) {
    relay = await startRelay({
      target: { host: '127.0.0.1', port },
      seed: options.seed ?? 1,
      loss: options.loss,
      duplicate: 0.01,
      reorder: 0.02,
      maxDelayMs: 5,
    });
    const opened = relay;
    cleanup.push({ what: 'relay', close: () => opened.close() });
    port = relay.port;
  }
  const connect = async (capabilities: bigint, name: string): Promise<NetworkBus> => {
    const open = async (): Promise<UmpLink> => {
      const link = await connectNm2(`udp://127.0.0.1:${port}`, { name, ...timing });
      cleanup.push({ what: `${name} link`, close: () => link.close() });
      return link;
    };
    const bus = new NetworkBus({ name, ...registry, capabilities, retransmit, heartbeatMs: 200, requestTimeoutMs: 10_000, onError: busErrors.for(name) });
    cleanup.push({ what: name, close: () => bus.close() });
    await bus.connect(await open(), { reconnect: open, timeoutMs: 5_000 });
    return bus;
  };
  const client = await connect(CLIENT_CAPS, 'client');
  const gpu = new GpuClient(options.wrap ? options.wrap(client) : client, { requestTimeoutMs: 10_000 });
  cleanup.push({ what: 'gpu client', close: () => Promise.resolve(gpu.close()) });
  return { authority, client, host, gpu, jitter, relay, connect };
}

/** A bus that flips a byte of the gpu/buffer.write chunks `corrupt` picks (their CRC left as it was). */
function corrupting(bus: Bus, corrupt: (chunk: BufferChunk) => boolean): Bus {
  return new Proxy(bus, {
    get(target, prop) {
      if (prop === 'request')
        return (topic: unknown, value: unknown, options: unknown) => {
          if (topic === topics['gpu/buffer.write'] && corrupt(value as BufferChunk)) {
            const chunk = value as BufferChunk;
            const data = chunk.data.slice();
            data[data.length >> 1]! ^= 0x5a;
            value = { ...chunk, data };
          }
          return (target.request as (...a: unknown[]) => unknown)(topic, value, options);
        };
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

async function rejectionOf(p: Promise<unknown>): Promise<BusError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BusError);
  return err as BusError;
}

describe.skipIf(noAdapter !== undefined)(`GPU host and client over UDP ${noAdapter ?? ''}`, () => {
  let engine: GpuEngine;
  beforeAll(async () => {
    engine = await GpuEngine.open({ maxBufferBytes: 64 * 1024 * 1024 });
  });
  afterAll(async () => {
    await engine.close();
  });

  it('Done-when: pipeline, 4 MiB upload in chunks, dispatch, download equal to the CPU bit for bit', async () => {
    const { gpu, host } = await setup(engine);
    const { pipelineId } = await gpu.gpu.pipeline.create.request(pipeline(SCRAMBLE));
    await gpu.gpu.buffer.create.request({ bufferId: 'src-4m', size: BigInt(MIB4), usage: ['storage', 'copy_dst'] });
    await gpu.gpu.buffer.create.request({ bufferId: 'dst-4m', size: BigInt(MIB4), usage: ['storage', 'copy_src'] });
    const input = randomWords(MIB4 / 4, 42);
    const upload = await gpu.upload('src-4m', input);
    expect(upload).toMatchObject({ bytes: MIB4, chunks: Math.ceil(MIB4 / 49_152), resent: [], restarts: 0 });
    const job: JobDispatch = {
      pipelineId,
      bindGroups: [
        {
          group: 0,
          entries: [
            { binding: 0, bufferId: 'src-4m', offset: 0n },
            { binding: 1, bufferId: 'dst-4m', offset: 0n },
          ],
        },
      ],
      workgroups: { x: MIB4 / 4 / 64, y: 1, z: 1 },
      outputs: [{ bufferId: 'dst-4m', offset: 0n, length: 1024n, mode: 'inline' }],
    };
    const updates: string[] = [];
    const result = await gpu.dispatch(job, { onUpdate: (r) => void updates.push(r.status) });
    expect(result.status, JSON.stringify(result.error)).toBe('ok');
    const expected = scrambleOnCpu(input);
    const inline = result.outputs[0]!.data;
    expect(inline.kind).toBe('inline');
    expect(new Uint32Array((inline.value as Uint8Array).slice().buffer)).toEqual(expected.subarray(0, 256));
    const output = await gpu.downloadAs(Uint32Array, 'dst-4m');
    expect(output.length).toBe(expected.length);
    // Bit for bit; compared as one buffer so that a failure shows the first difference, not 4 MiB.
    const firstDiff = output.findIndex((v, i) => v !== expected[i]);
    expect(firstDiff).toBe(-1);
    // The client has every chunk once the host's last publications are acknowledged, not before.
    await until(() => host.stats().reads.streaming === 0, 5_000, 'the read stream to end');
    const stats = host.stats();
    expect(stats.topics['gpu/buffer.write']).toMatchObject({ requests: upload.chunks, answered: upload.chunks, refused: 0 });
    expect(stats.reads).toMatchObject({ streaming: 0, bytesStreaming: 0, chunksSent: Math.ceil(MIB4 / 49_152), failed: 0 });
    expect(stats.jobs.results).toBeGreaterThanOrEqual(1);
    expect(stats.budget['gpu/buffer.write']?.samples).toBe(upload.chunks);
    await gpu.gpu.buffer.destroy.request({ bufferId: 'src-4m' });
    await gpu.gpu.buffer.destroy.request({ bufferId: 'dst-4m' });
  });

  it('a WGSL syntax error is a remote COMPILE_FAILED with LINE:COL and the diagnostics in its detail', async () => {
    const { gpu } = await setup(engine);
    const source = '@compute @workgroup_size(1)\nfn main() {\n  let broken = 1u +;\n}\n';
    const err = await rejectionOf(gpu.gpu.pipeline.create.request(pipeline(source)));
    expect(err.code).toBe('remote');
    expect(err.remote).toMatchObject({ name: 'COMPILE_FAILED', code: 1001 });
    expect(err.remote!.message).toMatch(/^3:\d+ /);
    const { diagnostics } = err.remote!.detail as { diagnostics: { line: number; column: number; message: string; severity: string }[] };
    expect(diagnostics[0]).toMatchObject({ severity: 'error', line: 3 });
    expect(err.remote!.message).toBe(`${diagnostics[0]!.line}:${diagnostics[0]!.column} ${diagnostics[0]!.message}`);
  });

  it("the engine's refusals travel unchanged: UNKNOWN_BUFFER, UNKNOWN_PIPELINE, MISALIGNED, OUT_OF_BOUNDS", async () => {
    const { gpu, host } = await setup(engine);
    const chunk = chunkTransfer(new Uint8Array(64), { transferId: crypto.randomUUID(), bufferId: 'nowhere' }).chunks[0]!;
    expect((await rejectionOf(gpu.gpu.buffer.write.request(chunk))).remote?.name).toBe('UNKNOWN_BUFFER');
    const dispatch = gpu.gpu.job.dispatch.request({ pipelineId: 'wgsl:none', bindGroups: [], workgroups: { x: 1, y: 1, z: 1 }, outputs: [] });
    expect((await rejectionOf(dispatch)).remote?.name).toBe('UNKNOWN_PIPELINE');
    await gpu.gpu.buffer.create.request({ bufferId: 'small', size: 256n, usage: ['storage', 'copy_dst', 'copy_src'] });
    expect((await rejectionOf(gpu.gpu.buffer.read.request({ bufferId: 'small', offset: 2n, chunkSize: 256 }))).remote?.name).toBe('MISALIGNED');
    const oob = await rejectionOf(gpu.gpu.buffer.read.request({ bufferId: 'small', offset: 0n, length: 512n, chunkSize: 256 }));
    expect(oob.remote).toMatchObject({ name: 'OUT_OF_BOUNDS', code: 1007 });
    const past = chunkTransfer(new Uint8Array(64), { transferId: crypto.randomUUID(), bufferId: 'small', offset: 224n }).chunks[0]!;
    expect((await rejectionOf(gpu.gpu.buffer.write.request(past))).remote?.name).toBe('OUT_OF_BOUNDS');
    expect(host.stats().topics['gpu/buffer.read']).toMatchObject({ requests: 2, refused: 2 });
    await gpu.gpu.buffer.destroy.request({ bufferId: 'small' });
  });

  it('a corrupted chunk is refused with CHECKSUM_MISMATCH for that chunk; the client resends it and the data is intact', async () => {
    let corrupted = 0;
    const { gpu } = await setup(engine, { wrap: (bus) => corrupting(bus, (c) => c.chunkIndex === 3 && corrupted++ === 0) });
    await gpu.gpu.buffer.create.request({ bufferId: 'crc', size: 262_144n, usage: ['storage', 'copy_dst', 'copy_src'] });
    const data = randomWords(65_536, 7);
    // The refusal itself, as the bus reports it, before the client's resend.
    const err = await rejectionOf(gpu.gpu.buffer.write.request(corruptedChunk(data, 'crc')));
    expect(err.remote).toMatchObject({ name: 'CHECKSUM_MISMATCH', code: 1009 });
    expect(err.remote!.detail).toMatchObject({ chunkIndex: 1, scope: 'chunk' });
    const report = await gpu.upload('crc', data, { chunkSize: 16_384 });
    expect(corrupted).toBeGreaterThanOrEqual(2);
    expect(report.resent).toEqual([3]);
    expect(await gpu.downloadAs(Uint32Array, 'crc')).toEqual(data);
    await gpu.gpu.buffer.destroy.request({ bufferId: 'crc' });
  });

  it('skipped chunks: the acks list them missing once the last arrived, and sending them completes the transfer', async () => {
    const { gpu } = await setup(engine);
    await gpu.gpu.buffer.create.request({ bufferId: 'gaps', size: 65_536n, usage: ['storage', 'copy_dst', 'copy_src'] });
    const data = randomWords(16_384, 9);
    const { chunks } = chunkTransfer(new Uint8Array(data.buffer), { transferId: crypto.randomUUID(), bufferId: 'gaps', chunkSize: 4_096 });
    const skipped = new Set([2, 5, 11]);
    const acks = [];
    for (const c of chunks) if (!skipped.has(c.chunkIndex)) acks.push(await gpu.gpu.buffer.write.request(c));
    expect(acks.at(-1)).toMatchObject({ chunkIndex: 15, received: 13, complete: false, missing: [2, 5, 11] });
    expect(acks.slice(0, 5).every((a) => a.missing.length === 0)).toBe(true);
    expect(await gpu.gpu.buffer.write.request(chunks[5]!)).toMatchObject({ complete: false, missing: [2, 11] });
    expect(await gpu.gpu.buffer.write.request(chunks[2]!)).toMatchObject({ complete: false, missing: [11] });
    expect(await gpu.gpu.buffer.write.request(chunks[11]!)).toMatchObject({ complete: true, received: 16, missing: [] });
    expect(await gpu.downloadAs(Uint32Array, 'gaps')).toEqual(data);
    await gpu.gpu.buffer.destroy.request({ bufferId: 'gaps' });
  });

  it('through a seeded lossy relay (2% loss, duplicates, reordering) upload and download still arrive intact', async () => {
    // A datagram lost or overtaken inside a multi-packet frame makes the link reader see a frame whose
    // checksum fails; the bus reports it and the sender's retransmission repairs it. How many depends
    // on timing as well as on the seed, so any number up to a bound, counted once everything is closed.
    cleanup.push({
      what: 'frame errors of the lossy link',
      close: () => {
        for (const bus of ['authority', 'client']) busErrors.claim({ bus, type: FrameError, message: 'checksum mismatch' }, { min: 0, max: 200 });
        return Promise.resolve();
      },
    });
    const { gpu, relay } = await setup(engine, { loss: 0.02, seed: 11 });
    await gpu.gpu.buffer.create.request({ bufferId: 'lossy', size: 131_072n, usage: ['storage', 'copy_dst', 'copy_src'] });
    const data = randomWords(32_768, 5);
    await gpu.upload('lossy', data, { chunkSize: 8_192 });
    expect(await gpu.downloadAs(Uint32Array, 'lossy', { chunkSize: 8_192 })).toEqual(data);
    // The relay did lose datagrams both ways; the bus's retransmissions and the client's checks made up for them.
    expect(relay!.stats().dropped).toBeGreaterThan(0);
    expect(relay!.errors()).toEqual([]);

    await gpu.gpu.buffer.destroy.request({ bufferId: 'lossy' });
  });

  it('a client without the capability is forbidden; the host measures topic budgets onto telemetry/jitter', async () => {
    const { connect, jitter, gpu, host } = await setup(engine);
    const reader = await connect(CapabilityMask.maskOf('gpu.read'), 'reader');
    const err = await rejectionOf(createClient(reader).gpu.pipeline.create.request(pipeline(SCRAMBLE)));
    expect(err.code).toBe('forbidden');
    expect(err.required).toBe(Capabilities['gpu.admin'].mask);
    expect(() => createClient(reader).gpu.job.result.subscribe(() => undefined)).toThrow(/forbidden|may not/i);
    await gpu.gpu.buffer.create.request({ bufferId: 'tele', size: 1024n, usage: ['copy_dst'] });
    await gpu.upload('tele', new Uint8Array(1024), { chunkSize: 256 });
    await until(() => jitter.some((r) => r.topic === 'gpu/buffer.write'), 5_000, 'a telemetry/jitter report of gpu/buffer.write');
    const report = jitter.find((r) => r.topic === 'gpu/buffer.write')!;
    expect(report).toMatchObject({ peer: 'gpu-host', topicId: topics['gpu/buffer.write'].id, budget: { latency: 10_000, jitter: 2_000 } });
    expect(report.samples).toBeGreaterThanOrEqual(1);
    expect(host.stats().budget['gpu/buffer.write']?.samples).toBe(4);
    await gpu.gpu.buffer.destroy.request({ bufferId: 'tele' });
  });
});

/** Chunk 1 of `data` with a flipped byte and its original CRC. */
function corruptedChunk(data: Uint32Array, bufferId: string): BufferChunk {
  const chunk = chunkTransfer(new Uint8Array(data.buffer), { transferId: crypto.randomUUID(), bufferId, chunkSize: 16_384 }).chunks[1]!;
  const bytes = chunk.data.slice();
  bytes[0]! ^= 1;
  return { ...chunk, data: bytes };
}
