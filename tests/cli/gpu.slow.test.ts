import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { busWarnings, removeTempProjects, runMidl, stackTraceLines, tempProject } from '../helpers/cli.ts';
import { killAll, startMidl } from '../helpers/midl-process.ts';
import { noAdapter } from '../services/gpu/adapter.ts';

/**
 * `midl gpu info` and `midl gpu serve` as a user runs them: the server on a real UDP socket, the
 * requests made with `midl call` (the bundled schema, idl/, has the gpu/* topics), on the real WebGPU
 * adapter of this machine (Mesa lavapipe; .ci/run installs it).
 */
afterEach(async () => killAll());
afterAll(() => removeTempProjects());

const CLI_MS = 60_000;
const broken = '@compute @workgroup_size(1)\nfn main() {\n  let x: u32 = 1u +;\n}\n';
const store = '@group(0) @binding(0) var<storage, read_write> o: array<u32>;\n@compute @workgroup_size(1)\nfn main() { o[0] = 42u; }\n';
const pipeline = (wgsl: string) => JSON.stringify({ source: { wgsl }, entryPoint: 'main' });

async function serve(...args: string[]) {
  const server = startMidl(['gpu', 'serve', '--listen', 'udp://127.0.0.1:0', ...args]);
  const m = await server.waitFor(/^listening on (udp:\/\/127\.0\.0\.1:\d+)$/m, CLI_MS);
  return Object.assign(server, { url: m[1]! });
}

describe.skipIf(noAdapter !== undefined)(`midl gpu ${noAdapter ?? ''}`, () => {
  it('info --json: one document with the backend, the adapter and its limits', async () => {
    const r = await runMidl(['gpu', 'info', '--json'], { timeoutMs: CLI_MS });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { backend: string; featureLevel: string; features: string[]; limits: Record<string, number> };
    expect(['vulkan', 'opengles']).toContain(report.backend);
    expect(report.limits['maxComputeWorkgroupsPerDimension']).toBeGreaterThanOrEqual(65535);
    expect(Array.isArray(report.features)).toBe(true);
  });

  it('serve: a pipeline compiles, a WGSL syntax error comes back as COMPILE_FAILED with its line, column and diagnostics, and SIGINT ends it with exit 0', async () => {
    const server = await serve('--name', 'gpu test');
    expect(server.stderr()).toMatch(/^gpu: .+ \(backend (vulkan|opengles), (core|compatibility) feature level/m);
    const good = await runMidl(['call', '--to', server.url, '--topic', 'gpu/pipeline.create', '--json', pipeline(store)], { timeoutMs: CLI_MS });
    expect(good.code, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ pipelineId: expect.stringMatching(/^wgsl:[0-9a-f]{64}$/) as unknown, cached: false });
    const bad = await runMidl(['call', '--to', server.url, '--topic', 'gpu/pipeline.create', '--json', pipeline(broken)], { timeoutMs: CLI_MS });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    const [first, detail] = bad.stderr.split('\n');
    expect(first).toMatch(/^error: remote: COMPILE_FAILED \(1001\): 3:20 /);
    const diagnostics = (JSON.parse(detail!.replace(/^detail: /, '')) as { diagnostics: { line: number; column: number; severity: string }[] }).diagnostics;
    expect(diagnostics[0]).toMatchObject({ line: 3, column: 20 });
    const buffer = await runMidl(
      ['call', '--to', server.url, '--topic', 'gpu/buffer.create', '--json', '{"bufferId":"in","size":"1024","usage":["storage","copy_dst"]}'],
      {
        timeoutMs: CLI_MS,
      },
    );
    expect(buffer.code, buffer.stderr).toBe(0);
    expect(JSON.parse(buffer.stdout)).toEqual({ bufferId: 'in', size: '1024', existed: false });
    expect(await server.stop('SIGINT')).toBe(0);
    expect(stackTraceLines(server.stderr())).toEqual([]);
    expect(busWarnings(server.stderr())).toEqual([]);
  });

  it('serve --modules DIR: a pipeline of a stored module compiles from DIR/COLLECTION/ID.wgsl; one DIR lacks is SOURCE_NOT_FOUND', async () => {
    const dir = tempProject({ 'modules/wgsl/answer.wgsl': store });
    const server = await serve('--modules', join(dir, 'modules'));
    const stored = (id: string) => JSON.stringify({ source: { stored: { id, collection: 'wgsl' } }, entryPoint: 'main' });
    const good = await runMidl(['call', '--to', server.url, '--topic', 'gpu/pipeline.create', '--json', stored('answer')], { timeoutMs: CLI_MS });
    expect(good.code, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ pipelineId: expect.any(String) as unknown, diagnostics: [] });
    const missing = await runMidl(['call', '--to', server.url, '--topic', 'gpu/pipeline.create', '--json', stored('absent')], { timeoutMs: CLI_MS });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: remote: SOURCE_NOT_FOUND \(\d+\): /);
    expect(await server.stop('SIGINT')).toBe(0);
  });

  it('serve --grant gpu.read: a client asking to create a pipeline is refused before anything compiles', async () => {
    const server = await serve('--grant', 'gpu.read');
    const r = await runMidl(['call', '--to', server.url, '--topic', 'gpu/pipeline.create', '--json', pipeline(store)], { timeoutMs: CLI_MS });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: forbidden: gpu/pipeline.create: midl call may not publish (needs one of mask 0x100)\n');
    expect(await server.stop('SIGINT')).toBe(0);
  });

  it('bad usage is exit 2 before the device opens: an unknown capability, no --listen', async () => {
    const unknown = await runMidl(['gpu', 'serve', '--listen', 'udp://127.0.0.1:0', '--grant', 'gpu.fly'], { timeoutMs: CLI_MS });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown capability 'gpu\.fly'/);
    const none = await runMidl(['gpu', 'serve'], { timeoutMs: CLI_MS });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/give one of --listen URL or --virtual NAME/);
  });
});
