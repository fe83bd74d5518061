/**
 * Payload codec benchmarks on the "Common" message of the protobuf.js benchmark
 * (bench/fixtures/common.midl): midl's generated encode/decode against protobuf.js (reflection,
 * which compiles specialised code with `new Function`: its fast path) and against JSON, on the same
 * values in the same run.
 *
 * The midl code is generated at bench time (ts + schemas emitters) into a temporary directory;
 * the protobuf.js types are built from a JSON descriptor with `Root.fromJSON`. Nothing generated is
 * committed.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import protobuf from 'protobufjs';
import { compile, generate } from '../../compiler/index.ts';
import type { Codec } from '../../runtime/index.ts';
import type { BenchCase, BenchSuite } from '../harness.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/common.midl', import.meta.url));
const RUNTIME = fileURLToPath(new URL('../../runtime/index.ts', import.meta.url));

/** The protobuf.js descriptor of bench/cases/common/bench.proto (proto3). */
const PROTO = {
  nested: {
    Test: {
      fields: {
        string: { type: 'string', id: 1 },
        uint32: { type: 'uint32', id: 2 },
        inner: { type: 'Inner', id: 3 },
        float: { type: 'float', id: 4 },
      },
      nested: {
        Inner: {
          fields: {
            int32: { type: 'int32', id: 1 },
            innerInner: { type: 'InnerInner', id: 2 },
            outer: { type: 'Outer', id: 3 },
          },
          nested: {
            InnerInner: {
              fields: {
                long: { type: 'int64', id: 1 },
                enum: { type: 'Enum', id: 2 },
                sint32: { type: 'sint32', id: 3 },
              },
            },
          },
        },
        Enum: { values: { ONE: 0, TWO: 1, THREE: 2, FOUR: 3, FIVE: 4 } },
      },
    },
    Outer: {
      fields: {
        bool: { rule: 'repeated', type: 'bool', id: 1 },
        double: { type: 'double', id: 2 },
      },
    },
  },
};

/** The values of protobuf.js' bench/data/bench.json. */
export const COMMON = {
  string: 'Lorem ipsum dolor sit amet.',
  uint32: 9000,
  inner: {
    int32: 20161110,
    innerInner: { long: 34857897489505n, enum: 'TWO' as const, sint32: -42 },
    outer: { bool: [true, false, false, true, false, false, true], double: 204.8 },
  },
  float: 0.25,
};

export type Common = typeof COMMON;

/** Generates the fixture's code into a temporary directory and imports its `Test` codec. */
export async function loadCommonCodec(): Promise<Codec<Common>> {
  const result = compile([FIXTURE]);
  if (result.hasErrors) throw new Error(`bench fixture has errors: ${result.diagnostics[0]?.message}`);
  const out = mkdtempSync(join(tmpdir(), 'midl-bench-'));
  // Only the emitters the types module needs (its codecs import schemas/<package>.ts).
  const options = { runtimeImport: pathToFileURL(RUNTIME).href };
  for (const f of await generate(result.ir, { ...options, targets: ['ts', 'schemas'] })) {
    const path = join(out, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content);
  }
  const mod = (await import(pathToFileURL(join(out, 'types/bench.common.ts')).href)) as { Test: Codec<Common> };
  return mod.Test;
}

export const suite: BenchSuite = {
  name: 'codec',
  cases: async (): Promise<BenchCase[]> => {
    const Test = await loadCommonCodec();
    const midlBytes = Test.encode(COMMON);

    const PbTest = protobuf.Root.fromJSON(PROTO).lookupType('Test');
    // protobuf.js' own form of the same values: int64 as a number (it gives Long objects back), enum as its number.
    const pbValue = { ...COMMON, inner: { ...COMMON.inner, innerInner: { long: 34857897489505, enum: 1, sint32: -42 } } };
    const pbMessage = PbTest.fromObject(pbValue);
    const pbBytes = PbTest.encode(pbMessage).finish();

    // JSON of the same values: the midl canonical JSON form (i64 as a decimal string).
    const jsonValue = Test.toJSON(COMMON);
    const jsonText = JSON.stringify(jsonValue);

    return [
      {
        name: `codec encode Common (midl, ${midlBytes.length} B) vs protobuf.js`,
        fn: () => Test.encode(COMMON),
        baseline: { name: `protobuf.js encode (${pbBytes.length} B)`, fn: () => PbTest.encode(pbMessage).finish() },
      },
      {
        name: 'codec decode Common (midl) vs protobuf.js',
        fn: () => Test.decode(midlBytes),
        baseline: { name: 'protobuf.js decode', fn: () => PbTest.decode(pbBytes) },
      },
      {
        name: 'codec encode Common (midl) vs JSON',
        fn: () => Test.encode(COMMON),
        baseline: { name: `JSON.stringify (${jsonText.length} B)`, fn: () => JSON.stringify(jsonValue) },
      },
      {
        name: 'codec decode Common (midl) vs JSON',
        fn: () => Test.decode(midlBytes),
        baseline: { name: 'JSON.parse', fn: () => JSON.parse(jsonText) as unknown },
      },
    ];
  },
};
