import type { IrProgram } from './ir/ir.ts';
import type { EmitOptions, EmittedFile } from './emitters/emitter.ts';

/** Every emitter target, in the order `midl gen` runs them (each owns distinct output paths). */
export const EMIT_TARGETS = ['ts', 'json-schema', 'registry', 'client', 'facts', 'docs'] as const;
export type EmitTarget = (typeof EMIT_TARGETS)[number];

export interface GenerateOptions extends EmitOptions {
  /** Targets to run (default: all of `EMIT_TARGETS`). */
  readonly targets?: readonly EmitTarget[];
}

/**
 * IR → files (sorted by path) for the chosen targets. The emitters pull in ajv and handlebars, so they
 * are loaded on the first call: commands that only check or format never pay for them.
 */
export async function generate(ir: IrProgram, options: GenerateOptions): Promise<EmittedFile[]> {
  const { emitAll, emitterFor } = await import('./emitters/index.ts');
  const targets = options.targets ?? EMIT_TARGETS;
  return emitAll(ir, options, targets.map(emitterFor));
}
