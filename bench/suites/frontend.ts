import { resolve } from 'node:path';
import { compile, type CompilerHost } from '../../compiler/index.ts';
import type { BenchSuite } from '../harness.ts';
import { largeSchema } from '../fixtures/large-schema.ts';
import { protoFiles } from '../fixtures/proto.ts';
import { parseProto } from '../fixtures/protobufjs.ts';

/**
 * The front end (parse + check, text → IR with diagnostics) on a generated 1,000-topic schema held in
 * memory (no disk I/O in the measurement).
 *
 * Anchor: protobuf.js parsing the same schema written as `.proto` (bench/fixtures/proto.ts: the same
 * declarations, fields, constraints, defaults, doc comments and topics, generated from the checked
 * program) into a fresh Root and resolving every type reference — a real schema front end doing the
 * same job: text → a checked, resolved model. The `.proto` text is larger (proto2 labels, options
 * spelled out), so both MB/s are reported; ops/s compare the same schema.
 */
export const suite: BenchSuite = {
  name: 'frontend',
  cases: () => {
    const text = largeSchema(1000);
    const path = resolve('bench-large.midl');
    const host: CompilerHost = { readFile: () => text, displayPath: () => 'bench-large.midl' };
    const run = () => {
      const result = compile([path], { host });
      if (result.hasErrors) throw new Error(`bench schema has errors: ${result.diagnostics[0]?.message}`);
      return result;
    };
    const proto = protoFiles(run().ir);
    const protoBytes = proto.reduce((n, f) => n + Buffer.byteLength(f), 0);
    return [
      {
        name: 'front end: parse + check 1,000 topics',
        fn: run,
        linesPerOp: text.split('\n').length,
        bytesPerOp: Buffer.byteLength(text),
        baseline: {
          name: `protobuf.js: parse + resolve the same schema as .proto (${Math.round(protoBytes / 1024)} KiB)`,
          fn: () => parseProto(proto),
          bytesPerOp: protoBytes,
        },
        minIterations: 5,
      },
    ];
  },
};
