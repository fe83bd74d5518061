import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuError, type JobDispatch, type JobResult, type PipelineCreate } from '../../../generated/index.ts';
import { RemoteError } from '../../../runtime/index.ts';
import { GpuEngine } from '../../../services/index.ts';
import { noAdapter } from './adapter.ts';

const ADD_ONE = `@group(0) @binding(0) var<storage, read_write> data: array<u32>;
@group(0) @binding(1) var<storage, read> other: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < arrayLength(&data)) { data[id.x] = data[id.x] + other[id.x % arrayLength(&other)]; }
}
`;

const TERMINAL = new Set(['ok', 'failed', 'timeout', 'cancelled']);

/** What an engine call may do with hostile input: answer, or refuse with a GpuError; nothing else. */
function expectGpuRefusal(error: unknown): void {
  expect(error).toBeInstanceOf(RemoteError);
  expect(Object.keys(GpuError)).toContain((error as RemoteError).errorName);
  expect((error as RemoteError).message.length).toBeGreaterThan(0);
}

// Each field is mostly what a working dispatch of ADD_ONE would send and sometimes hostile, so that
// requests pass some checks and fail later ones, and some run on the device.
const often = <T>(usual: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>) => fc.oneof({ arbitrary: usual, weight: 4 }, { arbitrary: hostile, weight: 1 });
const bufferIds = fc.constantFrom('rw', 'ro', 'uni', 'small', 'missing');
const u64 = fc.oneof(fc.constantFrom(0n, 4n, 256n, 512n, 1024n, 4096n, 1n << 40n), fc.bigInt({ min: 0n, max: 8192n }));
const offset = often(fc.constantFrom(0n, 256n), u64);
const size = fc.option(often(fc.constantFrom(256n, 512n), u64), { nil: undefined, freq: 2 });
const entries = often(
  fc.tuple(offset, size, offset, size).map(([o0, s0, o1, s1]) => [
    { binding: 0, bufferId: 'rw', offset: o0, size: s0 },
    { binding: 1, bufferId: 'ro', offset: o1, size: s1 },
  ]),
  fc.array(fc.record({ binding: fc.integer({ min: 0, max: 4 }), bufferId: bufferIds, offset: u64, size: fc.option(u64, { nil: undefined }) }), {
    minLength: 1,
    maxLength: 3,
  }),
);
const bindGroups = often(
  entries.map((list) => [{ group: 0, entries: list }]),
  fc.array(fc.record({ group: fc.integer({ min: 0, max: 5 }), entries }), { maxLength: 3 }),
);
const workgroups = often(
  fc.record({ x: fc.integer({ min: 1, max: 4 }), y: fc.constant(1), z: fc.constant(1) }),
  fc.record({ x: fc.integer({ min: 0, max: 70000 }), y: fc.constantFrom(1, 2, 65536), z: fc.constant(1) }),
);
const outputs = fc.array(
  fc.record({
    bufferId: often(fc.constant('rw'), bufferIds),
    offset: often(fc.constant(0n), u64),
    length: fc.option(often(fc.constantFrom(4n, 1024n), u64), { nil: undefined }),
    mode: fc.constantFrom('auto' as const, 'inline' as const, 'reference' as const),
  }),
  { maxLength: 3 },
);
const dispatches = (pipelineIds: string[]) =>
  fc.record({
    pipelineId: often(fc.constantFrom(...pipelineIds), fc.constant('wgsl:missing')),
    bindGroups,
    workgroups,
    pushConstants: often(fc.constant(undefined), fc.uint8Array({ maxLength: 300 })),
    budget: often(fc.constant(undefined), fc.record({ latency: fc.integer({ min: 0, max: 10_000_000 }) })),
    outputs,
  }) satisfies fc.Arbitrary<JobDispatch>;

describe.skipIf(noAdapter !== undefined)(`GPU engine under hostile requests ${noAdapter ?? ''}`, () => {
  let engine: GpuEngine;
  const listenerErrors: unknown[] = [];
  beforeAll(async () => {
    engine = await GpuEngine.open({ maxQueuedJobs: 8, onListenerError: (error) => listenerErrors.push(error) });
    await engine.createBuffer({ bufferId: 'rw', size: 4096n, usage: ['storage', 'copy_src', 'copy_dst'] });
    await engine.createBuffer({ bufferId: 'ro', size: 1024n, usage: ['storage', 'copy_dst'] });
    await engine.createBuffer({ bufferId: 'uni', size: 256n, usage: ['uniform', 'copy_src'] });
    await engine.createBuffer({ bufferId: 'small', size: 4n, usage: ['storage', 'copy_src'] });
  });
  afterAll(async () => {
    await engine.close();
    expect(listenerErrors).toEqual([]);
  });

  it('answers every dispatch with JobAccepted and a terminal result, or a GpuError refusal', async () => {
    const auto = (await engine.createPipeline({ source: { kind: 'wgsl', value: ADD_ONE }, entryPoint: 'main', layouts: [], constants: new Map() })).pipelineId;
    const explicit = (
      await engine.createPipeline({
        source: { kind: 'wgsl', value: ADD_ONE },
        entryPoint: 'main',
        layouts: [
          {
            group: 0,
            entries: [
              { binding: 0, kind: 'storage' },
              { binding: 1, kind: 'read_only_storage', minBindingSize: 16n },
            ],
          },
        ],
        constants: new Map(),
      })
    ).pipelineId;
    const results: Promise<JobResult>[] = [];
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(dispatches([auto, explicit]), async (request) => {
        try {
          let settle!: (result: JobResult) => void;
          const done = new Promise<JobResult>((resolve) => (settle = resolve));
          engine.dispatch(request, { jobId: `fuzz-${results.length}`, resultTopic: 't' }, (update) => {
            if (TERMINAL.has(update.status)) settle(update);
          });
          accepted++;
          results.push(done);
          // Keep the queue from filling: the fuzz is about validation, not about LIMIT_EXCEEDED.
          if (engine.usage.jobs >= 6) await done;
        } catch (error) {
          expectGpuRefusal(error);
        }
      }),
      { numRuns: 300 },
    );
    let ran = 0;
    for (const result of await Promise.all(results)) {
      expect(['ok', 'failed', 'timeout']).toContain(result.status);
      if (result.status === 'ok') ran++;
      if (result.status !== 'ok') expect(Object.keys(GpuError)).toContain(result.error!.name);
    }
    expect(accepted).toBeGreaterThan(20);
    expect(ran).toBeGreaterThan(10);
    expect(engine.usage.jobs).toBe(0);
  });

  it('answers every pipeline request with a pipeline or a GpuError refusal', async () => {
    const PIECES = [
      '@compute',
      '@workgroup_size(1)',
      'fn',
      'main',
      'other',
      '()',
      '{',
      '}',
      'let x = 1;',
      '@group(0) @binding(0) var<storage, read_write> d: array<u32>;',
      '\n',
      ' ',
      'override K: u32;',
      'd[0] = K;',
      '/*',
      '*/',
    ];
    let compiled = 0;
    let refused = 0;
    const VALID =
      '@group(0) @binding(0) var<storage, read_write> d: array<u32>;\noverride K: u32 = 1u;\n@compute @workgroup_size(1)\nfn main() { d[0] = K; }\n';
    // A compiling module, sometimes with a random piece spliced in; or random pieces.
    const spliced = fc.tuple(fc.nat(VALID.length), fc.constantFrom(...PIECES)).map(([at, piece]) => VALID.slice(0, at) + piece + VALID.slice(at));
    const pieces = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 24 }).map((parts) => parts.join(' '));
    const sources = fc.oneof(fc.constant(VALID), spliced, pieces);
    const layouts = fc.array(
      fc.record({
        group: fc.integer({ min: 0, max: 3 }),
        entries: fc.array(
          fc.record({ binding: fc.integer({ min: 0, max: 2 }), kind: fc.constantFrom('uniform' as const, 'storage' as const, 'read_only_storage' as const) }),
          { minLength: 1, maxLength: 2 },
        ),
      }),
      { maxLength: 2 },
    );
    await fc.assert(
      fc.asyncProperty(
        sources,
        fc.constantFrom('main', 'main', 'other'),
        fc.oneof(
          layouts.map(() => []),
          layouts,
        ),
        fc.constantFrom<[string, number][]>([], [], [['K', 3]], [['nope', 1]], [['K', -1]], [['K', Number.NaN]]),
        async (source, entryPoint, layouts, constants) => {
          const request: PipelineCreate = { source: { kind: 'wgsl', value: source }, entryPoint, layouts, constants: new Map(constants) };
          try {
            const created = await engine.createPipeline(request);
            expect(created.pipelineId).toMatch(/^wgsl:[0-9a-f]{64}$/u);
            compiled++;
          } catch (error) {
            refused++;
            expectGpuRefusal(error);
            expect(['COMPILE_FAILED', 'ENTRY_POINT_NOT_FOUND', 'LAYOUT_MISMATCH']).toContain((error as RemoteError).errorName);
          }
        },
      ),
      { numRuns: 150 },
    );
    expect(refused).toBeGreaterThan(0);
    expect(compiled).toBeGreaterThan(0);
    expect(engine.uncapturedErrors).toEqual([]);
  });
});
