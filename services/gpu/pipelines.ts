/**
 * Compiles WGSL compute pipelines on a device: compiler messages as `core.Diagnostic`s, the entry point
 * and declared bind group layouts checked against the shader, and a bounded content-addressed cache.
 */
import { createHash } from 'node:crypto';
import type { BindGroupLayout, BindingKind, Diagnostic, PipelineCreate, PipelineCreated, Ref } from '../../generated/index.ts';
import { dawnReason, gpuRefusal } from './refusal.ts';
import { computeEntryPoints, declaresPushConstants, PUSH_CONSTANT_BINDING, PUSH_CONSTANT_GROUP } from './wgsl-scan.ts';

/** Looks a stored WGSL module up; undefined when the store has no such module. */
export type SourceResolver = (ref: Ref) => Promise<string | undefined>;

export interface PipelineCacheOptions {
  readonly resolveSource?: SourceResolver;
  /** Compiled pipelines kept; the least recently used is dropped beyond it. */
  readonly maxPipelines?: number;
}

/** A compiled pipeline as jobs use it. */
export interface GpuPipeline {
  readonly id: string;
  readonly pipeline: GPUComputePipeline;
  /** The declared layouts (push-constant slot included), or undefined for WebGPU's "auto" layout. */
  readonly layouts: readonly BindGroupLayout[] | undefined;
  /** The shader declares the push-constant uniform (see wgsl-scan.ts). */
  readonly takesPushConstants: boolean;
  readonly diagnostics: readonly Diagnostic[];
  readonly label: string | undefined;
  /** The layout of `@group(group)`, for creating bind groups. */
  bindGroupLayout(group: number): GPUBindGroupLayout;
}

export const DEFAULT_MAX_PIPELINES = 64;
/** The schema's bound on inline WGSL, applied to stored modules too. */
export const MAX_WGSL_LENGTH = 262144;
/** Distinct pipelines compiling at the same time; more are refused (LIMIT_EXCEEDED, retry hint). */
export const MAX_CONCURRENT_COMPILES = 16;
const MAX_DIAGNOSTICS = 256;
const MAX_DIAGNOSTIC_MESSAGE = 4096;

const BUFFER_BINDING_TYPE: Readonly<Record<BindingKind, GPUBufferBindingType>> = {
  uniform: 'uniform',
  storage: 'storage',
  read_only_storage: 'read-only-storage',
};

// GPUShaderStage.COMPUTE: a spec constant; Node has no GPUShaderStage global unless `webgpu`'s globals
// are installed on globalThis, which a library must not do.
const COMPUTE_STAGE = 4;

function clip(message: string): string {
  return message.length > MAX_DIAGNOSTIC_MESSAGE ? `${message.slice(0, MAX_DIAGNOSTIC_MESSAGE - 1)}…` : message;
}

function diagnosticOf(message: GPUCompilationMessage): Diagnostic {
  const diagnostic: Diagnostic = { severity: message.type, message: clip(message.message || '(no message)'), source: 'wgsl' };
  if (message.lineNum > 0) {
    diagnostic.line = message.lineNum;
    diagnostic.column = message.linePos;
    diagnostic.length = message.length;
  }
  return diagnostic;
}

function position(diagnostic: Diagnostic): string {
  return diagnostic.line === undefined ? '' : `${diagnostic.line}:${diagnostic.column ?? 0} `;
}

function sortedLayouts(layouts: readonly BindGroupLayout[]): BindGroupLayout[] {
  return [...layouts]
    .sort((a, b) => a.group - b.group)
    .map((layout) => ({ group: layout.group, entries: [...layout.entries].sort((a, b) => a.binding - b.binding) }));
}

/** The content address: the same source, entry point, layouts and constants give the same id. */
function pipelineId(source: string, entryPoint: string, layouts: readonly BindGroupLayout[], constants: ReadonlyMap<string, number>): string {
  const canonical = JSON.stringify([
    source,
    entryPoint,
    layouts.map((layout) => [layout.group, layout.entries.map((entry) => [entry.binding, entry.kind, entry.minBindingSize?.toString() ?? null])]),
    [...constants].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => [name, String(value)]),
  ]);
  return `wgsl:${createHash('sha256').update(canonical).digest('hex')}`;
}

function checkDeclaredLayouts(layouts: readonly BindGroupLayout[], takesPushConstants: boolean): BindGroupLayout[] {
  const seenGroups = new Set<number>();
  for (const layout of layouts) {
    if (seenGroups.has(layout.group)) throw gpuRefusal('LAYOUT_MISMATCH', `layouts declare @group(${layout.group}) twice`, { detail: { group: layout.group } });
    seenGroups.add(layout.group);
    const seenBindings = new Set<number>();
    for (const entry of layout.entries) {
      if (seenBindings.has(entry.binding)) {
        throw gpuRefusal('LAYOUT_MISMATCH', `layout of @group(${layout.group}) declares @binding(${entry.binding}) twice`, {
          detail: { group: layout.group, binding: entry.binding },
        });
      }
      seenBindings.add(entry.binding);
      const isPushSlot = layout.group === PUSH_CONSTANT_GROUP && entry.binding === PUSH_CONSTANT_BINDING;
      if (isPushSlot && takesPushConstants && entry.kind !== 'uniform') {
        throw gpuRefusal(
          'LAYOUT_MISMATCH',
          `@group(${PUSH_CONSTANT_GROUP}) @binding(${PUSH_CONSTANT_BINDING}) is the push-constant slot and must be a uniform, the layout says ${entry.kind}`,
          { detail: { group: layout.group, binding: entry.binding, kind: entry.kind } },
        );
      }
    }
  }
  const sorted = sortedLayouts(layouts);
  if (!takesPushConstants) return sorted;
  const pushGroup = sorted.find((layout) => layout.group === PUSH_CONSTANT_GROUP);
  if (pushGroup === undefined) return [...sorted, { group: PUSH_CONSTANT_GROUP, entries: [{ binding: PUSH_CONSTANT_BINDING, kind: 'uniform' }] }];
  if (!pushGroup.entries.some((entry) => entry.binding === PUSH_CONSTANT_BINDING)) {
    pushGroup.entries.unshift({ binding: PUSH_CONSTANT_BINDING, kind: 'uniform' });
  }
  return sorted;
}

interface Compiled {
  readonly module: GPUShaderModule;
  readonly diagnostics: Diagnostic[];
}

/** Pipelines of one device, compiled on demand and kept by content address. */
export class PipelineCache {
  readonly #device: GPUDevice;
  readonly #resolveSource: SourceResolver | undefined;
  readonly #maxPipelines: number;
  // Insertion order is recency order: a hit moves the entry to the end, eviction takes the first.
  readonly #pipelines = new Map<string, GpuPipeline>();
  readonly #compiling = new Map<string, Promise<GpuPipeline>>();

  constructor(device: GPUDevice, options: PipelineCacheOptions = {}) {
    this.#device = device;
    this.#resolveSource = options.resolveSource;
    this.#maxPipelines = Math.max(1, options.maxPipelines ?? DEFAULT_MAX_PIPELINES);
  }

  get size(): number {
    return this.#pipelines.size;
  }

  /** The pipeline with this id; `UNKNOWN_PIPELINE` when it was never created or has been evicted. */
  get(pipelineId: string): GpuPipeline {
    const pipeline = this.#pipelines.get(pipelineId);
    if (pipeline === undefined) {
      throw gpuRefusal('UNKNOWN_PIPELINE', `no pipeline "${pipelineId}" (never created, or evicted from the cache of ${this.#maxPipelines})`, {
        detail: { pipelineId, maxPipelines: this.#maxPipelines },
      });
    }
    this.#touch(pipelineId, pipeline);
    return pipeline;
  }

  async create(request: PipelineCreate): Promise<PipelineCreated> {
    const source = await this.#sourceOf(request);
    const takesPushConstants = declaresPushConstants(source);
    const layouts = request.layouts.length === 0 ? undefined : checkDeclaredLayouts(request.layouts, takesPushConstants);
    const id = pipelineId(source, request.entryPoint, layouts ?? [], request.constants);
    // No await unless a compilation is in flight: a second identical request arriving meanwhile must
    // find this one's entry in #compiling, not start its own.
    const inFlight = this.#compiling.get(id);
    const existing = this.#pipelines.get(id) ?? (inFlight === undefined ? undefined : await inFlight);
    if (existing !== undefined) {
      this.#touch(id, existing);
      return { pipelineId: id, diagnostics: [...existing.diagnostics], compileTime: 0, cached: true };
    }
    if (this.#compiling.size >= MAX_CONCURRENT_COMPILES) {
      throw gpuRefusal('LIMIT_EXCEEDED', `${this.#compiling.size} pipelines are compiling, the most this host compiles at once; retry shortly`, {
        detail: { compiling: this.#compiling.size, limit: MAX_CONCURRENT_COMPILES },
        retryAfterMs: 100,
      });
    }
    const started = performance.now();
    const compiling = this.#compile(id, source, request, layouts, takesPushConstants);
    this.#compiling.set(id, compiling);
    try {
      const pipeline = await compiling;
      this.#touch(id, pipeline);
      return {
        pipelineId: id,
        diagnostics: [...pipeline.diagnostics],
        compileTime: Math.max(1, Math.round((performance.now() - started) * 1000)),
        cached: false,
      };
    } finally {
      this.#compiling.delete(id);
    }
  }

  clear(): void {
    this.#pipelines.clear();
  }

  #touch(id: string, pipeline: GpuPipeline): void {
    this.#pipelines.delete(id);
    this.#pipelines.set(id, pipeline);
    while (this.#pipelines.size > this.#maxPipelines) {
      const oldest = this.#pipelines.keys().next().value;
      if (oldest === undefined) break;
      this.#pipelines.delete(oldest);
    }
  }

  async #sourceOf(request: PipelineCreate): Promise<string> {
    if (request.source.kind === 'wgsl') {
      const length = request.source.value.length;
      if (length > MAX_WGSL_LENGTH) {
        throw gpuRefusal('LIMIT_EXCEEDED', `inline WGSL has ${length} characters, over the limit of ${MAX_WGSL_LENGTH}`, {
          detail: { length, limit: MAX_WGSL_LENGTH },
        });
      }
      return request.source.value;
    }
    const ref = request.source.value;
    if (this.#resolveSource === undefined) {
      throw gpuRefusal('SOURCE_NOT_FOUND', `stored WGSL module "${ref.id}" requested, but this host has no module store`, { detail: { id: ref.id } });
    }
    let source: string | undefined;
    try {
      source = await this.#resolveSource(ref);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw gpuRefusal('SOURCE_NOT_FOUND', `stored WGSL module "${ref.id}" could not be read: ${reason}`, { detail: { id: ref.id, reason }, cause: error });
    }
    if (source === undefined) throw gpuRefusal('SOURCE_NOT_FOUND', `no stored WGSL module "${ref.id}"`, { detail: { id: ref.id } });
    if (source.length > MAX_WGSL_LENGTH) {
      throw gpuRefusal('LIMIT_EXCEEDED', `stored WGSL module "${ref.id}" has ${source.length} characters, over the limit of ${MAX_WGSL_LENGTH}`, {
        detail: { id: ref.id, length: source.length, limit: MAX_WGSL_LENGTH },
      });
    }
    return source;
  }

  async #compileModule(source: string, label: string | undefined): Promise<Compiled> {
    const device = this.#device;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code: source, label: label ?? '' });
    const info = await module.getCompilationInfo();
    const scopeError = await device.popErrorScope();
    const diagnostics = info.messages.slice(0, MAX_DIAGNOSTICS).map(diagnosticOf);
    const firstError = diagnostics.find((diagnostic) => diagnostic.severity === 'error');
    if (firstError !== undefined || scopeError !== null) {
      const failure = firstError ?? { severity: 'error', message: clip(dawnReason(scopeError!.message)), source: 'validation' };
      if (firstError === undefined) diagnostics.push(failure);
      throw gpuRefusal('COMPILE_FAILED', `${position(failure)}${failure.message}`, { detail: { diagnostics } });
    }
    return { module, diagnostics };
  }

  async #compile(
    id: string,
    source: string,
    request: PipelineCreate,
    layouts: BindGroupLayout[] | undefined,
    takesPushConstants: boolean,
  ): Promise<GpuPipeline> {
    const { module, diagnostics } = await this.#compileModule(source, request.label);
    const entryPoints = computeEntryPoints(source);
    if (!entryPoints.includes(request.entryPoint)) {
      throw gpuRefusal(
        'ENTRY_POINT_NOT_FOUND',
        `"${request.entryPoint}" is not a @compute function of the module; it has ${entryPoints.length === 0 ? 'none' : entryPoints.map((name) => `"${name}"`).join(', ')}`,
        { detail: { entryPoint: request.entryPoint, computeEntryPoints: entryPoints } },
      );
    }
    const constants = Object.fromEntries(request.constants);
    const explicit = layouts === undefined ? undefined : await this.#explicitLayouts(layouts);
    const attempt = await this.#createPipeline(module, request, constants, explicit?.pipelineLayout ?? 'auto');
    if (attempt instanceof Error) {
      const reason = dawnReason(attempt.message);
      if (explicit !== undefined) {
        // Whether the layouts are to blame: the shader alone (auto layout) must then build.
        const alone = await this.#createPipeline(module, request, constants, 'auto');
        if (!(alone instanceof Error)) {
          throw gpuRefusal('LAYOUT_MISMATCH', `declared layouts do not match the shader: ${reason}`, { detail: { reason, diagnostics } });
        }
      }
      const failure: Diagnostic = { severity: 'error', message: clip(reason), source: 'validation' };
      throw gpuRefusal('COMPILE_FAILED', failure.message, { detail: { diagnostics: [...diagnostics, failure] } });
    }
    const pipeline = attempt;
    const groupLayouts = explicit?.groupLayouts;
    return {
      id,
      pipeline,
      layouts,
      takesPushConstants,
      diagnostics,
      label: request.label,
      bindGroupLayout: (group) => groupLayouts?.[group] ?? pipeline.getBindGroupLayout(group),
    };
  }

  async #explicitLayouts(layouts: readonly BindGroupLayout[]): Promise<{ pipelineLayout: GPUPipelineLayout; groupLayouts: GPUBindGroupLayout[] }> {
    const device = this.#device;
    device.pushErrorScope('validation');
    const highest = Math.max(...layouts.map((layout) => layout.group));
    const groupLayouts: GPUBindGroupLayout[] = [];
    for (let group = 0; group <= highest; group++) {
      const declared = layouts.find((layout) => layout.group === group);
      groupLayouts.push(
        device.createBindGroupLayout({
          label: `group ${group}`,
          entries: (declared?.entries ?? []).map((entry) => ({
            binding: entry.binding,
            visibility: COMPUTE_STAGE,
            buffer: { type: BUFFER_BINDING_TYPE[entry.kind], minBindingSize: entry.minBindingSize === undefined ? 0 : Number(entry.minBindingSize) },
          })),
        }),
      );
    }
    const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: groupLayouts });
    const invalid = await device.popErrorScope();
    if (invalid !== null) {
      const reason = dawnReason(invalid.message);
      throw gpuRefusal('LAYOUT_MISMATCH', `the declared layouts are not valid on this device: ${reason}`, { detail: { reason } });
    }
    return { pipelineLayout, groupLayouts };
  }

  /** The pipeline, or the error Dawn gave (validation, out of memory or internal). */
  async #createPipeline(
    module: GPUShaderModule,
    request: PipelineCreate,
    constants: Record<string, number>,
    layout: GPUPipelineLayout | 'auto',
  ): Promise<GPUComputePipeline | Error> {
    const device = this.#device;
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    let pipeline: GPUComputePipeline | Error;
    try {
      pipeline = await device.createComputePipelineAsync({
        label: request.label ?? '',
        layout,
        compute: { module, entryPoint: request.entryPoint, constants },
      });
    } catch (error) {
      pipeline = error instanceof Error ? error : new Error(String(error));
    }
    const outOfMemory = await device.popErrorScope();
    const invalid = await device.popErrorScope();
    if (outOfMemory !== null) throw gpuRefusal('OUT_OF_MEMORY', `the device cannot hold the pipeline: ${dawnReason(outOfMemory.message)}`);
    if (invalid !== null && !(pipeline instanceof Error)) return new Error(invalid.message);
    return pipeline;
  }
}
