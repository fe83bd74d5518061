/**
 * `midl gen` in process: compile + every emitter (`generate`, all targets), no disk reads or writes, on
 * the repository's idl/ and on the generated 1,000-topic schema (bench/fixtures/large-schema.ts), both
 * held in memory. Each run compiles afresh, so nothing memoised per program carries over between runs.
 *
 * Anchor, in the same run: protobuf.js on the same schema written as `.proto` (bench/fixtures/proto.ts):
 * parse, resolve, and write the codec source of every message type (encode, decode, verify,
 * fromObject, toObject: what protobuf.js generates from a schema). That is the nearest a real toolchain
 * among our dependencies comes to `midl gen`; gen writes more per type (TypeScript types and codecs,
 * JSON Schemas, ajv standalone validators, registry, clients, facts, docs), so the ratio is what the
 * whole of `midl gen` costs against protobuf.js' codec generation of the same schema.
 *
 * Note: the fixture's 3,000 types have 4 shapes, and types of the same shape share one validator,
 * so ajv compiles only a handful of schemas there; idl/ (distinct shapes) shows the per-type ajv cost.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compile, expandInputs, generate, nodeHost, type CompileResult, type CompilerHost } from '../../compiler/index.ts';
import type { BenchCase, BenchSuite } from '../harness.ts';
import { largeSchema } from '../fixtures/large-schema.ts';
import { protoFiles } from '../fixtures/proto.ts';
import { parseProto, protoCodecSource } from '../fixtures/protobufjs.ts';

const OPTIONS = { runtimeImport: 'midl/runtime' } as const;

/** One `midl gen` in process beside protobuf.js generating codecs for the same schema. */
function genCase(name: string, run: () => CompileResult, extra: Partial<BenchCase>): BenchCase {
  const checked = (): CompileResult => {
    const result = run();
    if (result.hasErrors) throw new Error(`bench schema has errors: ${result.diagnostics[0]?.message}`);
    return result;
  };
  const proto = protoFiles(checked().ir);
  return {
    name,
    // async on both sides: generate() is (it loads the emitters on first use), so the anchor is measured the same way.
    fn: async () => generate(checked().ir, OPTIONS),
    baseline: {
      name: 'protobuf.js: parse + resolve + codec source, same schema',
      // eslint-disable-next-line @typescript-eslint/require-await -- async without awaiting: timed the way the case is
      fn: async () => protoCodecSource(parseProto(proto)),
    },
    ...extra,
  };
}

export const suite: BenchSuite = {
  name: 'gen',
  cases: (): BenchCase[] => {
    const text = largeSchema(1000);
    const host: CompilerHost = { readFile: () => text, displayPath: () => 'bench-large.midl' };
    // idl/ read once: neither side reads the disk while measured.
    const idlPaths = expandInputs(['idl']);
    const idlTexts = new Map(idlPaths.map((p) => [p, readFileSync(p, 'utf8')]));
    const display = nodeHost();
    const idlHost: CompilerHost = {
      readFile: (p) => {
        const t = idlTexts.get(p);
        if (t === undefined) throw new Error(`gen bench: ${p} is not among the idl/ files read at setup`);
        return t;
      },
      displayPath: (p) => display.displayPath(p),
    };
    return [
      genCase('gen: idl/ (compile + every emitter)', () => compile(idlPaths, { host: idlHost }), { minIterations: 5 }),
      genCase('gen: 1,000 topics (compile + every emitter)', () => compile([resolve('bench-large.midl')], { host }), {
        linesPerOp: text.split('\n').length,
        minIterations: 2,
      }),
    ];
  },
};
