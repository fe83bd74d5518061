import type { IrProgram } from '../ir/ir.ts';
import type { EmitOptions, EmittedFile, Emitter } from './emitter.ts';
import { readmeEmitter } from './docs/directory.ts';
import { docsEmitter } from './docs/index.ts';
import { factsEmitter } from './facts/index.ts';
import { jsonSchemaEmitter, schemasEmitter, validatorsEmitter } from './jsonschema/index.ts';
import { clientEmitter, registryEmitter } from './registry/index.ts';
import { tsEmitter } from './ts/index.ts';
import { DEFAULT_TARGETS, type EmitTarget } from '../generate.ts';

/** The emitter of each target; a new target (say, `python`) adds its name to EMIT_TARGETS and its emitter here. */
const byTarget: { readonly [T in EmitTarget]: Emitter } = {
  ts: tsEmitter,
  schemas: schemasEmitter,
  'json-schema': jsonSchemaEmitter,
  validators: validatorsEmitter,
  registry: registryEmitter,
  client: clientEmitter,
  facts: factsEmitter,
  docs: docsEmitter,
  readme: readmeEmitter,
};

/** The emitters `midl gen` runs by default, in a fixed order; each owns distinct output paths. */
export const emitters: readonly Emitter[] = DEFAULT_TARGETS.map((t) => byTarget[t]);

export function emitterFor(target: EmitTarget): Emitter {
  return byTarget[target];
}

export class EmitConflictError extends Error {
  override readonly name = 'EmitConflictError';
}

/** Runs every emitter; output is sorted by path so that the file set is deterministic. */
export function emitAll(ir: IrProgram, options: EmitOptions, list: readonly Emitter[] = emitters): EmittedFile[] {
  const byPath = new Map<string, { file: EmittedFile; emitter: string }>();
  for (const emitter of list) {
    for (const file of emitter.emit(ir, options)) {
      const prior = byPath.get(file.path);
      if (prior) throw new EmitConflictError(`emitters '${prior.emitter}' and '${emitter.name}' both write ${file.path}`);
      byPath.set(file.path, { file, emitter: emitter.name });
    }
  }
  return [...byPath.values()].map((x) => x.file).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
