import type { IrProgram } from './ir/ir.ts';
import type { EmitOptions, EmittedFile } from './emitters/emitter.ts';

/** Every emitter target, in the order `midl gen` runs them (each owns distinct output paths). */
export const EMIT_TARGETS = ['ts', 'schemas', 'json-schema', 'validators', 'registry', 'client', 'facts', 'docs', 'readme'] as const;
export type EmitTarget = (typeof EMIT_TARGETS)[number];

/** What `midl gen` runs when a job names no targets: everything except `readme`, which stands in for `docs`. */
export const DEFAULT_TARGETS: readonly EmitTarget[] = EMIT_TARGETS.filter((t) => t !== 'readme');

/** Targets whose output imports another target's output, each with why: a job that takes one must take the others. */
const NEEDS: { readonly [T in EmitTarget]?: readonly { readonly target: EmitTarget; readonly why: string }[] } = {
  ts: [{ target: 'schemas', why: "the codecs' jsonSchema imports schemas/<package>.ts" }],
  registry: [
    { target: 'ts', why: 'registry.ts imports the codecs of types/<package>.ts' },
    { target: 'validators', why: 'index.ts re-exports validators/<package>.js' },
    { target: 'client', why: 'index.ts re-exports client.ts' },
  ],
  client: [{ target: 'registry', why: 'client.ts imports registry.ts' }],
};

/** Targets that write the same file, so a job takes at most one of them. */
const EXCLUSIVE: readonly (readonly [EmitTarget, EmitTarget, string])[] = [['docs', 'readme', 'README.md']];

/**
 * Why a set of targets cannot be generated on its own (a target's output would import a file no
 * target writes, or two targets would write the same file); empty when it can.
 */
export function targetProblems(targets: readonly EmitTarget[]): string[] {
  const chosen = new Set(targets);
  const problems: string[] = [];
  for (const t of EMIT_TARGETS) {
    if (!chosen.has(t)) continue;
    for (const need of NEEDS[t] ?? []) if (!chosen.has(need.target)) problems.push(`'${t}' needs '${need.target}' (${need.why})`);
  }
  for (const [a, b, file] of EXCLUSIVE) if (chosen.has(a) && chosen.has(b)) problems.push(`'${a}' and '${b}' both write ${file}; choose one`);
  return problems;
}

export interface GenerateOptions extends EmitOptions {
  /** Targets to run (default: `DEFAULT_TARGETS`). */
  readonly targets?: readonly EmitTarget[];
}

export class TargetError extends Error {
  override readonly name = 'TargetError';
}

/**
 * IR → files (sorted by path) for the chosen targets. The emitters pull in ajv and handlebars, so they
 * are loaded on the first call: commands that only check or format never pay for them.
 */
export async function generate(ir: IrProgram, options: GenerateOptions): Promise<EmittedFile[]> {
  const targets = options.targets ?? DEFAULT_TARGETS;
  const problems = targetProblems(targets);
  if (problems.length > 0) throw new TargetError(`cannot generate targets ${targets.join(', ')}: ${problems.join('; ')}`);
  const { emitAll, emitterFor } = await import('./emitters/index.ts');
  return emitAll(ir, options, targets.map(emitterFor));
}
