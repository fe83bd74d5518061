/**
 * Checks a `JobDispatch` against the device, its pipeline and its buffers before it is queued: every
 * refusal that can be decided without the GPU, with what and where in the message.
 */
import type { BindGroup, BindingKind, JobDispatch } from '../../generated/index.ts';
import type { BufferStore, GpuBufferEntry } from './buffers.ts';
import type { GpuPipeline, PipelineCache } from './pipelines.ts';
import { gpuRefusal } from './refusal.ts';
import { PUSH_CONSTANT_BINDING, PUSH_CONSTANT_GROUP } from './wgsl-scan.ts';

/** The schema's bound on one inline output (OutputData.inline). */
export const MAX_INLINE_OUTPUT = 262144;
/** The schema's bound on JobDispatch.pushConstants, and the size of the uniform buffer emulating them. */
export const MAX_PUSH_CONSTANT_BYTES = 256;
/** Inline bytes of all outputs of one job together: JobResult travels in at most 1 MiB. */
export const MAX_INLINE_TOTAL = 3 * MAX_INLINE_OUTPUT;

export interface JobCheckContext {
  readonly pipelines: PipelineCache;
  readonly buffers: BufferStore;
  readonly limits: GPUSupportedLimits;
  readonly inlineOutputLimit: number;
}

export interface CheckedBinding {
  readonly binding: number;
  readonly buffer: GpuBufferEntry;
  readonly offset: bigint;
  readonly size: bigint;
}

export interface CheckedOutput {
  readonly buffer: GpuBufferEntry;
  readonly offset: bigint;
  readonly length: bigint;
  readonly inline: boolean;
}

export interface CheckedJob {
  readonly pipeline: GpuPipeline;
  readonly bindGroups: ReadonlyMap<number, readonly CheckedBinding[]>;
  readonly workgroups: readonly [number, number, number];
  readonly pushConstants: Uint8Array | undefined;
  readonly outputs: readonly CheckedOutput[];
  /** Every buffer the job binds or reads, once each. */
  readonly bufferIds: readonly string[];
}

const USAGE_FOR_KIND: Readonly<Record<BindingKind, 'uniform' | 'storage'>> = {
  uniform: 'uniform',
  storage: 'storage',
  read_only_storage: 'storage',
};

function checkWorkgroups(request: JobDispatch, limits: GPUSupportedLimits): [number, number, number] {
  const limit = limits.maxComputeWorkgroupsPerDimension;
  const { x, y, z } = request.workgroups;
  for (const [axis, count] of [
    ['x', x],
    ['y', y],
    ['z', z],
  ] as const) {
    if (!Number.isInteger(count) || count < 1 || count > limit) {
      throw gpuRefusal('LIMIT_EXCEEDED', `workgroups.${axis} = ${count} is outside 1..${limit} (the device's maxComputeWorkgroupsPerDimension)`, {
        detail: { axis, count, limit },
      });
    }
  }
  return [x, y, z];
}

function checkBinding(group: number, entry: BindGroup['entries'][number], buffer: GpuBufferEntry, alignment: number): CheckedBinding {
  const where = `@group(${group}) @binding(${entry.binding})`;
  if (entry.offset % BigInt(alignment) !== 0n) {
    throw gpuRefusal('MISALIGNED', `${where}: offset ${entry.offset} into "${buffer.id}" is not a multiple of ${alignment}`, {
      detail: { group, binding: entry.binding, offset: entry.offset.toString(), alignment },
    });
  }
  const size = entry.size ?? buffer.size - entry.offset;
  if (size % 4n !== 0n) {
    throw gpuRefusal('MISALIGNED', `${where}: size ${size} is not a multiple of 4`, { detail: { group, binding: entry.binding, size: size.toString() } });
  }
  if (entry.offset > buffer.size || size <= 0n || entry.offset + size > buffer.size) {
    throw gpuRefusal('OUT_OF_BOUNDS', `${where}: bytes ${entry.offset}..${entry.offset + size} exceed buffer "${buffer.id}" of ${buffer.size} bytes`, {
      detail: {
        group,
        binding: entry.binding,
        bufferId: buffer.id,
        offset: entry.offset.toString(),
        size: size.toString(),
        bufferSize: buffer.size.toString(),
      },
    });
  }
  return { binding: entry.binding, buffer, offset: entry.offset, size };
}

/** Bindings against the declared layouts: every declared slot bound, nothing else, with the right usage and size. */
function checkAgainstLayouts(pipeline: GpuPipeline, bindGroups: ReadonlyMap<number, readonly CheckedBinding[]>): void {
  const layouts = pipeline.layouts;
  for (const [group, bindings] of bindGroups) {
    const layout = layouts?.find((candidate) => candidate.group === group);
    for (const bound of bindings) {
      const where = `@group(${group}) @binding(${bound.binding})`;
      if (layouts === undefined) {
        if (!bound.buffer.usage.includes('storage') && !bound.buffer.usage.includes('uniform')) {
          throw gpuRefusal('LAYOUT_MISMATCH', `${where}: buffer "${bound.buffer.id}" has neither storage nor uniform usage`, {
            detail: { group, binding: bound.binding, bufferId: bound.buffer.id, usage: [...bound.buffer.usage] },
          });
        }
        continue;
      }
      const declared = layout?.entries.find((candidate) => candidate.binding === bound.binding);
      if (declared === undefined) {
        throw gpuRefusal('LAYOUT_MISMATCH', `${where} is not in the pipeline's layouts`, { detail: { group, binding: bound.binding } });
      }
      if (!bound.buffer.usage.includes(USAGE_FOR_KIND[declared.kind])) {
        throw gpuRefusal(
          'LAYOUT_MISMATCH',
          `${where} is a ${declared.kind} binding, buffer "${bound.buffer.id}" lacks ${USAGE_FOR_KIND[declared.kind]} usage`,
          {
            detail: { group, binding: bound.binding, kind: declared.kind, bufferId: bound.buffer.id, usage: [...bound.buffer.usage] },
          },
        );
      }
      if (declared.minBindingSize !== undefined && bound.size < declared.minBindingSize) {
        throw gpuRefusal('LAYOUT_MISMATCH', `${where}: ${bound.size} bytes bound, the layout needs at least ${declared.minBindingSize}`, {
          detail: { group, binding: bound.binding, size: bound.size.toString(), minBindingSize: declared.minBindingSize.toString() },
        });
      }
    }
  }
  for (const layout of layouts ?? []) {
    for (const declared of layout.entries) {
      if (pipeline.takesPushConstants && layout.group === PUSH_CONSTANT_GROUP && declared.binding === PUSH_CONSTANT_BINDING) continue;
      if (!bindGroups.get(layout.group)?.some((bound) => bound.binding === declared.binding)) {
        throw gpuRefusal('LAYOUT_MISMATCH', `@group(${layout.group}) @binding(${declared.binding}) is declared by the pipeline but not bound`, {
          detail: { group: layout.group, binding: declared.binding },
        });
      }
    }
  }
}

function checkBindGroups(request: JobDispatch, pipeline: GpuPipeline, context: JobCheckContext): Map<number, CheckedBinding[]> {
  const { limits, buffers } = context;
  const alignment = Math.max(limits.minStorageBufferOffsetAlignment, limits.minUniformBufferOffsetAlignment);
  const bindGroups = new Map<number, CheckedBinding[]>();
  for (const group of request.bindGroups) {
    if (group.group >= limits.maxBindGroups) {
      throw gpuRefusal('LIMIT_EXCEEDED', `@group(${group.group}) is beyond the device's ${limits.maxBindGroups} bind groups`, {
        detail: { group: group.group, limit: limits.maxBindGroups },
      });
    }
    if (bindGroups.has(group.group)) throw gpuRefusal('LAYOUT_MISMATCH', `@group(${group.group}) is bound twice`, { detail: { group: group.group } });
    const bindings: CheckedBinding[] = [];
    for (const entry of group.entries) {
      if (bindings.some((bound) => bound.binding === entry.binding)) {
        throw gpuRefusal('LAYOUT_MISMATCH', `@group(${group.group}) @binding(${entry.binding}) is bound twice`, {
          detail: { group: group.group, binding: entry.binding },
        });
      }
      if (pipeline.takesPushConstants && group.group === PUSH_CONSTANT_GROUP && entry.binding === PUSH_CONSTANT_BINDING) {
        throw gpuRefusal(
          'LAYOUT_MISMATCH',
          `@group(${PUSH_CONSTANT_GROUP}) @binding(${PUSH_CONSTANT_BINDING}) holds the push constants; bind no buffer there`,
          {
            detail: { group: group.group, binding: entry.binding },
          },
        );
      }
      bindings.push(checkBinding(group.group, entry, buffers.get(entry.bufferId), alignment));
    }
    bindGroups.set(group.group, bindings);
  }
  checkAgainstLayouts(pipeline, bindGroups);
  return bindGroups;
}

function checkPushConstants(request: JobDispatch, pipeline: GpuPipeline): Uint8Array | undefined {
  const data = request.pushConstants;
  const slot = `@group(${PUSH_CONSTANT_GROUP}) @binding(${PUSH_CONSTANT_BINDING}) var<uniform>`;
  if (data === undefined) {
    if (pipeline.takesPushConstants) {
      throw gpuRefusal('LAYOUT_MISMATCH', `pipeline "${pipeline.id}" declares push constants (${slot}) but the dispatch gives none`, {
        detail: { pipelineId: pipeline.id },
      });
    }
    return undefined;
  }
  if (!pipeline.takesPushConstants) {
    throw gpuRefusal('LAYOUT_MISMATCH', `pushConstants given, but pipeline "${pipeline.id}" declares no ${slot} to receive them`, {
      detail: { pipelineId: pipeline.id, length: data.byteLength },
    });
  }
  if (data.byteLength > MAX_PUSH_CONSTANT_BYTES) {
    throw gpuRefusal('LIMIT_EXCEEDED', `pushConstants has ${data.byteLength} bytes, over the limit of ${MAX_PUSH_CONSTANT_BYTES}`, {
      detail: { length: data.byteLength, limit: MAX_PUSH_CONSTANT_BYTES },
    });
  }
  if (data.byteLength % 4 !== 0) {
    throw gpuRefusal('MISALIGNED', `pushConstants has ${data.byteLength} bytes, not a multiple of 4`, { detail: { length: data.byteLength } });
  }
  return data;
}

function checkOutputs(request: JobDispatch, context: JobCheckContext): CheckedOutput[] {
  const outputs: CheckedOutput[] = [];
  let inlineBytes = 0n;
  const inlineLimit = BigInt(Math.min(context.inlineOutputLimit, MAX_INLINE_OUTPUT));
  request.outputs.forEach((output, index) => {
    const where = `outputs[${index}]`;
    const buffer = context.buffers.get(output.bufferId);
    if (!buffer.usage.includes('copy_src')) {
      throw gpuRefusal('LAYOUT_MISMATCH', `${where}: buffer "${buffer.id}" lacks copy_src usage, needed to read the output back`, {
        detail: { index, bufferId: buffer.id, usage: [...buffer.usage] },
      });
    }
    const length = output.length ?? (output.offset <= buffer.size ? buffer.size - output.offset : 0n);
    if (output.offset % 4n !== 0n || length % 4n !== 0n) {
      throw gpuRefusal('MISALIGNED', `${where}: offset ${output.offset} and length ${length} must be multiples of 4`, {
        detail: { index, offset: output.offset.toString(), length: length.toString() },
      });
    }
    if (output.offset + length > buffer.size) {
      throw gpuRefusal('OUT_OF_BOUNDS', `${where}: bytes ${output.offset}..${output.offset + length} exceed buffer "${buffer.id}" of ${buffer.size} bytes`, {
        detail: { index, offset: output.offset.toString(), length: length.toString(), size: buffer.size.toString() },
      });
    }
    const fits = length <= inlineLimit && inlineBytes + length <= BigInt(MAX_INLINE_TOTAL);
    if (output.mode === 'inline' && !fits) {
      throw gpuRefusal(
        'LIMIT_EXCEEDED',
        `${where}: ${length} bytes inline (${inlineBytes} before it) exceed the inline limit of ${inlineLimit} per output and ${MAX_INLINE_TOTAL} per job; use mode reference`,
        { detail: { index, length: length.toString(), limit: inlineLimit.toString(), total: MAX_INLINE_TOTAL } },
      );
    }
    const inline = output.mode !== 'reference' && fits;
    if (inline) inlineBytes += length;
    outputs.push({ buffer, offset: output.offset, length, inline });
  });
  return outputs;
}

export function checkDispatch(request: JobDispatch, context: JobCheckContext): CheckedJob {
  const pipeline = context.pipelines.get(request.pipelineId);
  const workgroups = checkWorkgroups(request, context.limits);
  const bindGroups = checkBindGroups(request, pipeline, context);
  const pushConstants = checkPushConstants(request, pipeline);
  const outputs = checkOutputs(request, context);
  const bufferIds = new Set<string>();
  for (const bindings of bindGroups.values()) for (const bound of bindings) bufferIds.add(bound.buffer.id);
  for (const output of outputs) bufferIds.add(output.buffer.id);
  return { pipeline, bindGroups, workgroups, pushConstants, outputs, bufferIds: [...bufferIds] };
}
