/**
 * `midl gen` in process: compile + every emitter (`emitAll`), no disk writes, on the repository's
 * idl/ and on the generated 1,000-topic schema (bench/fixtures/large-schema.ts, held in memory).
 * Each run compiles afresh, so nothing memoised per program carries over between runs.
 *
 * Anchor, in the same run: `JSON.stringify` of the files that gen emits (their total text, ~16 MB
 * for 1,000 topics), i.e. the cost of merely serialising gen's output once.
 *
 * Note: the fixture's 3,000 types have 4 shapes, and types of the same shape share one validator,
 * so ajv compiles only a handful of schemas there; idl/ (distinct shapes) shows the per-type ajv cost.
 */
import { resolve } from 'node:path';
import { expandInputs } from '../../compiler/config.ts';
import type { EmittedFile } from '../../compiler/emitters/emitter.ts';
import { emitAll } from '../../compiler/emitters/index.ts';
import type { CompilerHost } from '../../compiler/host.ts';
import { compile } from '../../compiler/program.ts';
import type { BenchCase, BenchSuite } from '../harness.ts';
import { largeSchema } from '../fixtures/large-schema.ts';

const OPTIONS = { runtimeImport: 'midl/runtime' } as const;

/** One `midl gen` in process; the anchor stringifies what the last run emitted (tinybench runs the case first). */
function genCase(name: string, run: () => ReturnType<typeof compile>, extra: Partial<BenchCase>): BenchCase {
  let last: readonly EmittedFile[] | undefined;
  const fn = () => {
    const result = run();
    if (result.hasErrors) throw new Error(`bench schema has errors: ${result.diagnostics[0]?.message}`);
    last = emitAll(result.ir, OPTIONS);
    return last;
  };
  return { name, fn, baseline: { name: 'JSON.stringify of its output', fn: () => JSON.stringify(last ?? fn()) }, ...extra };
}

export const suite: BenchSuite = {
  name: 'gen',
  cases: (): BenchCase[] => {
    const text = largeSchema(1000);
    const host: CompilerHost = { readFile: () => text, displayPath: () => 'bench-large.midl' };
    return [
      genCase('gen: idl/ (compile + every emitter)', () => compile(expandInputs(['idl'])), { minIterations: 5 }),
      genCase('gen: 1,000 topics (compile + every emitter)', () => compile([resolve('bench-large.midl')], { host }), {
        linesPerOp: text.split('\n').length,
        minIterations: 2,
      }),
    ];
  },
};
