import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globals } from 'webgpu';
import { directoryModuleStore, GpuEngine } from '../../../services/index.ts';
import { GPU_BUFFER_USAGE } from '../../../services/gpu/buffers.ts';
import { noAdapter, refusal, wgsl } from './adapter.ts';

const ADD_ONE = `@group(0) @binding(0) var<storage, read_write> data: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < arrayLength(&data)) { data[id.x] = data[id.x] + 1u; }
}
`;

describe.skipIf(noAdapter !== undefined)(`GPU engine: pipelines and buffers on a real adapter ${noAdapter ?? ''}`, () => {
  let engine: GpuEngine;
  beforeAll(async () => {
    engine = await GpuEngine.open({ maxBuffers: 64, maxBufferBytes: 64 * 1024 * 1024, maxPipelines: 4 });
  });
  afterAll(async () => {
    await engine.close();
  });

  it('reports the adapter with its features and limits', () => {
    expect(engine.report.backend).toBe('vulkan');
    expect(engine.report.description.length).toBeGreaterThan(0);
    expect(engine.report.features).toContain('timestamp-query');
    expect(engine.report.limits.maxComputeWorkgroupsPerDimension).toBeGreaterThanOrEqual(65535);
  });

  it('maps usage names to the WebGPU flags webgpu defines', () => {
    const usage = (globals as { GPUBufferUsage: Record<string, number> }).GPUBufferUsage;
    for (const [name, value] of Object.entries(GPU_BUFFER_USAGE)) expect(value).toBe(usage[name]);
  });

  it('compiles a pipeline, then returns the cached one for the identical request', async () => {
    const first = await engine.createPipeline(wgsl(ADD_ONE));
    expect(first.cached).toBe(false);
    expect(first.compileTime).toBeGreaterThan(0);
    expect(first.pipelineId).toMatch(/^wgsl:[0-9a-f]{64}$/);
    const again = await engine.createPipeline(wgsl(ADD_ONE));
    expect(again).toEqual({ pipelineId: first.pipelineId, diagnostics: first.diagnostics, compileTime: 0, cached: true });
    const other = await engine.createPipeline(wgsl(ADD_ONE, { layouts: [{ group: 0, entries: [{ binding: 0, kind: 'storage' }] }] }));
    expect(other.pipelineId).not.toBe(first.pipelineId);
    expect(other.cached).toBe(false);
  });

  it('answers a WGSL syntax error with COMPILE_FAILED at its line and column', async () => {
    const source = 'fn helper() -> u32 { return 1u; }\n@compute @workgroup_size(1)\nfn main() {\n  let x = ;\n}\n';
    const error = await refusal(engine.createPipeline(wgsl(source)), 'COMPILE_FAILED');
    expect(error.message).toMatch(/^4:11 /);
    const { diagnostics } = error.detail as {
      diagnostics: { severity: string; line: number; column: number; length: number; source: string; message: string }[];
    };
    expect(diagnostics[0]).toMatchObject({ severity: 'error', line: 4, column: 11, length: 1, source: 'wgsl' });
    expect(error.message).toBe(`4:11 ${diagnostics[0]!.message}`);
  });

  it('carries compiler warnings on success', async () => {
    const source = `@compute @workgroup_size(1)\nfn main() {\n  return;\n  let unreachable_value = 1;\n}\n`;
    const created = await engine.createPipeline(wgsl(source));
    expect(created.diagnostics.some((d) => d.severity === 'warning' && d.line === 4)).toBe(true);
  });

  it('refuses an entry point the module lacks, naming the ones it has', async () => {
    const error = await refusal(engine.createPipeline(wgsl(ADD_ONE, { entryPoint: 'missing' })), 'ENTRY_POINT_NOT_FOUND');
    expect(error.detail).toEqual({ entryPoint: 'missing', computeEntryPoints: ['main'] });
    const helper = `fn main() {}\n@compute @workgroup_size(1) fn other() {}\n`;
    await refusal(engine.createPipeline(wgsl(helper)), 'ENTRY_POINT_NOT_FOUND');
  });

  it("refuses declared layouts that disagree with the shader, with the device's reason", async () => {
    const wrongKind = await refusal(
      engine.createPipeline(wgsl(ADD_ONE, { layouts: [{ group: 0, entries: [{ binding: 0, kind: 'uniform' }] }] })),
      'LAYOUT_MISMATCH',
    );
    expect(wrongKind.message).toMatch(/Uniform|uniform/);
    await refusal(engine.createPipeline(wgsl(ADD_ONE, { layouts: [{ group: 0, entries: [{ binding: 1, kind: 'storage' }] }] })), 'LAYOUT_MISMATCH');
    await refusal(
      engine.createPipeline(
        wgsl(ADD_ONE, {
          layouts: [
            {
              group: 0,
              entries: [
                { binding: 0, kind: 'storage' },
                { binding: 0, kind: 'storage' },
              ],
            },
          ],
        }),
      ),
      'LAYOUT_MISMATCH',
    );
  });

  it('resolves stored modules and refuses unknown ones with SOURCE_NOT_FOUND', async () => {
    const stored = await GpuEngine.open({ resolveSource: (ref) => Promise.resolve(ref.id === 'add-one' ? ADD_ONE : undefined) });
    try {
      const created = await stored.createPipeline(wgsl('', { source: { kind: 'stored', value: { id: 'add-one' } } }));
      expect(created.cached).toBe(false);
      const inline = await stored.createPipeline(wgsl(ADD_ONE));
      expect(inline).toMatchObject({ pipelineId: created.pipelineId, cached: true });
      await refusal(stored.createPipeline(wgsl('', { source: { kind: 'stored', value: { id: 'nope' } } })), 'SOURCE_NOT_FOUND');
    } finally {
      await stored.close();
    }
    await refusal(engine.createPipeline(wgsl('', { source: { kind: 'stored', value: { id: 'add-one' } } })), 'SOURCE_NOT_FOUND');
  });

  it('compiles modules stored in a directory (directoryModuleStore) and refuses references it has no file for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'midl-engine-wgsl-'));
    const stored = await GpuEngine.open({ resolveSource: directoryModuleStore(dir) });
    try {
      mkdirSync(join(dir, 'lab'));
      writeFileSync(join(dir, 'lab', 'add-one@2.wgsl'), ADD_ONE);
      const created = await stored.createPipeline(wgsl('', { source: { kind: 'stored', value: { id: 'add-one', corpus: 'lab', version: 2n } } }));
      expect(created.cached).toBe(false);
      await refusal(stored.createPipeline(wgsl('', { source: { kind: 'stored', value: { id: 'add-one', corpus: 'lab' } } })), 'SOURCE_NOT_FOUND');
      const escape = await refusal(stored.createPipeline(wgsl('', { source: { kind: 'stored', value: { id: '..' } } })), 'SOURCE_NOT_FOUND');
      expect(escape.message).toContain('cannot name a file');
    } finally {
      await stored.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes constants to the pipeline and refuses ones the shader lacks with COMPILE_FAILED', async () => {
    const source = `override K: u32;\n@group(0) @binding(0) var<storage, read_write> d: array<u32>;\n@compute @workgroup_size(1) fn main() { d[0] = K; }\n`;
    const withK = await engine.createPipeline(wgsl(source, { constants: new Map([['K', 7]]) }));
    const withOtherK = await engine.createPipeline(wgsl(source, { constants: new Map([['K', 8]]) }));
    expect(withOtherK.pipelineId).not.toBe(withK.pipelineId);
    const missing = await refusal(engine.createPipeline(wgsl(source)), 'COMPILE_FAILED');
    const unknown = await refusal(
      engine.createPipeline(
        wgsl(source, {
          constants: new Map([
            ['K', 1],
            ['nope', 2],
          ]),
        }),
      ),
      'COMPILE_FAILED',
    );
    for (const error of [missing, unknown]) {
      const { diagnostics } = error.detail as { diagnostics: { source: string; message: string }[] };
      expect(diagnostics.at(-1)).toMatchObject({ source: 'validation', message: error.message });
    }
    expect(unknown.message).toContain('nope');
  });

  it('compiles an identical request once when it arrives twice at the same time', async () => {
    const source = `${ADD_ONE}\nconst concurrent = 1;\n`;
    const [a, b] = await Promise.all([engine.createPipeline(wgsl(source)), engine.createPipeline(wgsl(source))]);
    expect(a.pipelineId).toBe(b.pipelineId);
    expect([a.cached, b.cached].sort()).toEqual([false, true]);
  });

  it('builds explicit layouts with a gap between groups', async () => {
    const source = `@group(0) @binding(0) var<storage, read_write> a: array<u32>;\n@group(2) @binding(1) var<uniform> b: vec4u;\n@compute @workgroup_size(1) fn main() { a[0] = b.x; }\n`;
    const created = await engine.createPipeline(
      wgsl(source, {
        layouts: [
          { group: 2, entries: [{ binding: 1, kind: 'uniform', minBindingSize: 16n }] },
          { group: 0, entries: [{ binding: 0, kind: 'storage' }] },
        ],
      }),
    );
    expect(created.cached).toBe(false);
    const tooSmall = await refusal(
      engine.createPipeline(
        wgsl(source, {
          layouts: [
            { group: 0, entries: [{ binding: 0, kind: 'storage' }] },
            { group: 2, entries: [{ binding: 1, kind: 'uniform', minBindingSize: 4n }] },
          ],
        }),
      ),
      'LAYOUT_MISMATCH',
    );
    expect(tooSmall.detail).toMatchObject({ reason: expect.any(String) as string });
    await refusal(
      engine.createPipeline(
        wgsl(source, {
          layouts: [
            { group: 0, entries: [{ binding: 0, kind: 'storage' }] },
            { group: 0, entries: [{ binding: 1, kind: 'storage' }] },
          ],
        }),
      ),
      'LAYOUT_MISMATCH',
    );
  });

  it('refuses stored modules the resolver fails on or that are too long', async () => {
    const stored = await GpuEngine.open({
      resolveSource: (ref) => (ref.id === 'broken' ? Promise.reject(new Error('disk on fire')) : Promise.resolve(' '.repeat(262145))),
    });
    try {
      const broken = await refusal(stored.createPipeline(wgsl('', { source: { kind: 'stored', value: { id: 'broken' } } })), 'SOURCE_NOT_FOUND');
      expect(broken.message).toContain('disk on fire');
      await refusal(stored.createPipeline(wgsl('', { source: { kind: 'stored', value: { id: 'long' } } })), 'LIMIT_EXCEEDED');
    } finally {
      await stored.close();
    }
  });

  it('evicts the least recently used pipeline beyond maxPipelines', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await engine.createPipeline(wgsl(`${ADD_ONE}\nconst tag${i} = ${i};\n`))).pipelineId);
    expect(engine.usage.pipelines).toBe(4);
    const evicted = await engine.createPipeline(wgsl(`${ADD_ONE}\nconst tag0 = 0;\n`));
    expect(evicted.cached).toBe(false);
    expect(evicted.pipelineId).toBe(ids[0]);
  });

  it('creates, writes, reads back and destroys a buffer bit for bit', async () => {
    const created = await engine.createBuffer({ bufferId: 'rw', size: 4096n, usage: ['storage', 'copy_dst', 'copy_src'] });
    expect(created).toEqual({ bufferId: 'rw', size: 4096n, existed: false });
    expect(await engine.createBuffer({ bufferId: 'rw', size: 4096n, usage: ['copy_src', 'storage', 'copy_dst', 'storage'] })).toEqual({
      bufferId: 'rw',
      size: 4096n,
      existed: true,
    });
    expect(engine.bufferSize('rw')).toBe(4096n);
    const data = new Uint8Array(1024).map((_, i) => (i * 7 + 3) & 0xff);
    engine.writeBuffer('rw', 512n, data);
    const back = await engine.readBuffer('rw', 512n, 1024n);
    expect(back).toEqual(data);
    const whole = await engine.readBuffer('rw', 0n);
    expect(whole.byteLength).toBe(4096);
    expect(whole.subarray(0, 512).every((b) => b === 0)).toBe(true);
    expect(engine.destroyBuffer({ bufferId: 'rw' })).toEqual({ bufferId: 'rw', freed: 4096n });
    await refusal(() => engine.bufferSize('rw'), 'UNKNOWN_BUFFER');
  });

  it('refuses every bad buffer request with the right GpuError', async () => {
    await engine.createBuffer({ bufferId: 'b', size: 256n, usage: ['storage', 'copy_dst'] });
    await refusal(engine.createBuffer({ bufferId: 'b', size: 512n, usage: ['storage', 'copy_dst'] }), 'BUFFER_EXISTS');
    await refusal(engine.createBuffer({ bufferId: 'b', size: 256n, usage: ['storage'] }), 'BUFFER_EXISTS');
    await refusal(engine.createBuffer({ bufferId: 'odd', size: 6n, usage: ['storage'] }), 'MISALIGNED');
    await refusal(() => engine.writeBuffer('b', 2n, new Uint8Array(4)), 'MISALIGNED');
    await refusal(() => engine.writeBuffer('b', 0n, new Uint8Array(3)), 'MISALIGNED');
    await refusal(() => engine.writeBuffer('b', 252n, new Uint8Array(8)), 'OUT_OF_BOUNDS');
    await refusal(() => engine.writeBuffer('nope', 0n, new Uint8Array(4)), 'UNKNOWN_BUFFER');
    await refusal(engine.readBuffer('b', 0n), 'LAYOUT_MISMATCH');
    await engine.createBuffer({ bufferId: 'ro', size: 256n, usage: ['copy_src'] });
    await refusal(() => engine.writeBuffer('ro', 0n, new Uint8Array(4)), 'LAYOUT_MISMATCH');
    await refusal(engine.readBuffer('ro', 4n, 256n), 'OUT_OF_BOUNDS');
    await refusal(engine.readBuffer('ro', 1n, 4n), 'MISALIGNED');
    await refusal(() => engine.destroyBuffer({ bufferId: 'nope' }), 'UNKNOWN_BUFFER');
    engine.destroyBuffer({ bufferId: 'b' });
    engine.destroyBuffer({ bufferId: 'ro' });
  });

  it('refuses hostile sizes without allocating', async () => {
    const before = engine.usage;
    const huge = await refusal(engine.createBuffer({ bufferId: 'huge', size: (1n << 30n) + 4n, usage: ['storage'] }), 'LIMIT_EXCEEDED');
    expect(huge.message).toContain('1073741828');
    const overBudget = await refusal(engine.createBuffer({ bufferId: 'big', size: 128n * 1024n * 1024n, usage: ['storage'] }), 'LIMIT_EXCEEDED');
    expect(overBudget.detail).toMatchObject({ limit: String(64 * 1024 * 1024) });
    expect(engine.usage).toEqual(before);
  });

  it('bounds the buffer count: 10,000 creates against 64', async () => {
    const held = engine.usage.buffers;
    const results = await Promise.allSettled(
      Array.from({ length: 10_000 }, (_, i) => engine.createBuffer({ bufferId: `many-${i}`, size: 4n, usage: ['storage'] })),
    );
    const created = results.filter((r) => r.status === 'fulfilled').length;
    expect(created).toBe(64 - held);
    expect(engine.usage.buffers).toBe(64);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as { errorName: string }).errorName).toBe('LIMIT_EXCEEDED');
    }
    for (let i = 0; i < 10_000; i++) if (results[i]!.status === 'fulfilled') engine.destroyBuffer({ bufferId: `many-${i}` });
    expect(engine.usage.buffers).toBe(0);
  });

  it('bounds reads in flight by the byte budget', async () => {
    const size = 36n * 1024n * 1024n;
    await engine.createBuffer({ bufferId: 'wide-read', size, usage: ['storage', 'copy_src'] });
    const first = engine.readBuffer('wide-read', 0n);
    const second = await refusal(engine.readBuffer('wide-read', 0n), 'LIMIT_EXCEEDED');
    expect(second.retryAfterMs).toBeGreaterThan(0);
    expect((await first).byteLength).toBe(Number(size));
    expect((await engine.readBuffer('wide-read', 0n, 4096n)).byteLength).toBe(4096);
    engine.destroyBuffer({ bufferId: 'wide-read' });
  });

  it('bounds pipelines compiling at once and inline WGSL length', async () => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => engine.createPipeline(wgsl(`${ADD_ONE}\nconst burst${i} = ${i};\n`))));
    const refused = results.filter((result) => result.status === 'rejected');
    expect(refused).toHaveLength(4);
    for (const result of refused) expect((result.reason as { errorName: string }).errorName).toBe('LIMIT_EXCEEDED');
    await refusal(engine.createPipeline(wgsl(' '.repeat(262145))), 'LIMIT_EXCEEDED');
  });

  it("captures the device's validation errors instead of printing them", () => {
    expect(engine.uncapturedErrors).toEqual([]);
  });
});
