import { resolve } from 'node:path';
import { compile } from '../../compiler/program.ts';
import type { CompilerHost } from '../../compiler/host.ts';
import type { BenchSuite } from '../harness.ts';
import { largeSchema } from '../fixtures/large-schema.ts';

/** Parse + check a generated 1,000-topic schema held in memory (no disk I/O in the measurement). */
export const suite: BenchSuite = {
  name: 'frontend',
  cases: () => {
    const text = largeSchema(1000);
    const path = resolve('bench-large.midl');
    const host: CompilerHost = { readFile: () => text, displayPath: () => 'bench-large.midl' };
    const lines = text.split('\n').length;
    const run = () => {
      const result = compile([path], { host });
      if (result.hasErrors) throw new Error(`bench schema has errors: ${result.diagnostics[0]?.message}`);
    };
    return [
      {
        name: 'front end: parse + check 1,000 topics',
        fn: run,
        linesPerOp: lines,
        baseline: {
          name: 'JSON.parse of the same size',
          fn: (
            (json: string) => () =>
              JSON.parse(json)
          )(JSON.stringify({ text })),
        },
      },
    ];
  },
};
