import { describe, expect, it } from 'vitest';
import type { JobResult } from '../../../generated/index.ts';
import { describeGpu, GpuEngine, GpuUnavailableError, openGpu } from '../../../services/index.ts';
import { UNCAPTURED_ERRORS_KEPT } from '../../../services/gpu/device.ts';
import { noAdapter } from './adapter.ts';

describe('GpuUnavailableError', () => {
  it('says what was tried and how to get an adapter', () => {
    const error = new GpuUnavailableError(['vulkan (core): Dawn found no adapter', 'opengles (compatibility): Dawn found no adapter']);
    expect(error.code).toBe('unavailable');
    expect(error.message).toBe('no WebGPU adapter: vulkan (core): Dawn found no adapter; opengles (compatibility): Dawn found no adapter');
    expect(error.help).toContain('setup-webgpu.sh');
    expect(error.help).toContain('lavapipe');
  });
});

describe.skipIf(noAdapter !== undefined)(`WebGPU adapters and devices ${noAdapter ?? ''}`, () => {
  it("describes the Vulkan adapter (route B) and Dawn's OpenGL ES adapter (route A)", async () => {
    const vulkan = await describeGpu({ backend: 'vulkan' });
    if (vulkan instanceof GpuUnavailableError) throw vulkan;
    expect(vulkan).toMatchObject({ backend: 'vulkan', featureLevel: 'core' });
    expect(vulkan.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(vulkan.features).toEqual([...vulkan.features].sort());
    const auto = await describeGpu();
    expect(auto).toMatchObject({ backend: 'vulkan', description: vulkan.description });
    const gles = await describeGpu({ backend: 'opengles' });
    if (gles instanceof GpuUnavailableError) throw gles;
    expect(gles).toMatchObject({ backend: 'opengles', featureLevel: 'compatibility' });
  });

  it('computes on the OpenGL ES fallback too', async () => {
    const engine = await GpuEngine.open({ backend: 'opengles' });
    try {
      const { pipelineId } = await engine.createPipeline({
        source: {
          kind: 'wgsl',
          value:
            '@group(0) @binding(0) var<storage, read_write> d: array<u32>;\n@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) { d[id.x] = d[id.x] * 2u + 1u; }\n',
        },
        entryPoint: 'main',
        layouts: [],
        constants: new Map(),
      });
      await engine.createBuffer({ bufferId: 'd', size: 256n, usage: ['storage', 'copy_dst', 'copy_src'] });
      const input = Uint32Array.from({ length: 64 }, (_, i) => i * 1000);
      engine.writeBuffer('d', 0n, new Uint8Array(input.buffer));
      const result = await new Promise<JobResult>((resolve) =>
        engine.dispatch(
          {
            pipelineId,
            bindGroups: [{ group: 0, entries: [{ binding: 0, bufferId: 'd', offset: 0n }] }],
            workgroups: { x: 1, y: 1, z: 1 },
            outputs: [{ bufferId: 'd', offset: 0n, mode: 'inline' }],
          },
          { jobId: 'gles', resultTopic: 'gpu/job.result/1' },
          (update) => {
            if (update.status !== 'running') resolve(update);
          },
        ),
      );
      expect(result.status).toBe('ok');
      const data = result.outputs[0]!.data;
      if (data.kind !== 'inline') throw new Error('expected inline output');
      expect(new Uint32Array(data.value.slice().buffer)).toEqual(input.map((x) => x * 2 + 1));
    } finally {
      await engine.close();
    }
  });

  it('collects uncaptured device errors, a bounded number, and reports the loss reason', async () => {
    const gpu = await openGpu();
    for (let i = 0; i < UNCAPTURED_ERRORS_KEPT + 10; i++) gpu.device.createBuffer({ size: 6, usage: 0 });
    await gpu.device.queue.onSubmittedWorkDone();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(gpu.uncapturedErrors).toHaveLength(UNCAPTURED_ERRORS_KEPT);
    expect(gpu.uncapturedErrors[0]).toMatch(/usage|size/iu);
    gpu.close();
    expect(await gpu.lost).toMatch(/^destroyed/u);
    gpu.close();
  });
});
