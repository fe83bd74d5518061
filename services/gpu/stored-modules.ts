/**
 * Stored WGSL modules (`ShaderSource.stored`, a `core.Ref`) read from a directory, until FountainStore
 * holds them: `DIR/[CORPUS/][COLLECTION/]ID[@VERSION].wgsl`. A reference the directory has no file for
 * resolves to undefined, which the GPU host answers with SOURCE_NOT_FOUND.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Ref } from '../../generated/index.ts';

/** The most bytes a stored module may have: what ShaderSource.wgsl allows inline. */
export const MAX_STORED_MODULE_BYTES = 262_144;

/** One path segment of a Ref's id, corpus or collection: the schema's patterns allow no separator, checked again here. */
function segment(value: string, what: string): string {
  if (value === '' || value === '.' || value === '..' || /[/\\\0]/.test(value)) throw new Error(`${what} ${JSON.stringify(value)} cannot name a file`);
  return value;
}

/** The file a reference names under `dir`. */
export function storedModulePath(dir: string, ref: Ref): string {
  const parts = [dir];
  if (ref.corpus !== undefined) parts.push(segment(ref.corpus, 'corpus'));
  if (ref.collection !== undefined) parts.push(segment(ref.collection, 'collection'));
  parts.push(`${segment(ref.id, 'id')}${ref.version === undefined ? '' : `@${ref.version}`}.wgsl`);
  return join(...parts);
}

/** A resolver for `GpuEngineOptions.resolveSource` that reads modules from `dir`. */
export function directoryModuleStore(dir: string): (ref: Ref) => Promise<string | undefined> {
  return async (ref) => {
    const path = storedModulePath(dir, ref);
    let size: number;
    try {
      const s = await stat(path);
      if (!s.isFile()) return undefined;
      size = s.size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw err;
    }
    if (size > MAX_STORED_MODULE_BYTES) throw new Error(`${path}: ${size} bytes, more than a WGSL module may have (${MAX_STORED_MODULE_BYTES})`);
    return readFile(path, 'utf8');
  };
}
