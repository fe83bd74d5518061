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
import { emitAll } from '../../compiler/emitters/index.ts';
import type { CompilerHost } from '../../compiler/host.ts';
import { compile } from '../../compiler/program.ts';
import type { BenchCase, BenchSuite } from '../harness.ts';
import { largeSchema } from '../fixtures/large-schema.ts';

const OPTIONS = { runtimeImport: 'midl/runtime' } as const;

function gen(run: () => ReturnType<typeof compile>) {
  return () => {
    const result = run();
    if (result.hasErrors) throw new Error(`bench schema has errors: ${result.diagnostics[0]?.message}`);
    return emitAll(result.ir, OPTIONS);
  };
}

export const suite: BenchSuite = {
  name: 'gen',
  cases: (): BenchCase[] => {
    const idl = gen(() => compile(expandInputs(['idl'])));
    const text = largeSchema(1000);
    const host: CompilerHost = { readFile: () => text, displayPath: () => 'bench-large.midl' };
    const large = gen(() => compile([resolve('bench-large.midl')], { host }));
    const stringify = (files: ReturnType<ReturnType<typeof gen>>) => () => JSON.stringify(files);
    return [
      { name: 'gen: idl/ (compile + every emitter)', fn: idl, baseline: { name: 'JSON.stringify of its output', fn: stringify(idl()) }, minIterations: 5 },
      {
        name: 'gen: 1,000 topics (compile + every emitter)',
        fn: large,
        linesPerOp: text.split('\n').length,
        baseline: { name: 'JSON.stringify of its output', fn: stringify(large()) },
        minIterations: 2,
      },
    ];
  },
};
