/**
 * ts emitter golden cases (ts-proto style): each `tests/cases/ts-<name>/` holds `.midl` inputs and, under
 * `expected/`, the generated `types/*.ts` (plus the `schemas/*.ts` they import, so that
 * `npm run typecheck` compiles the expected output under --strict). The test regenerates and compares;
 * `MIDL_UPDATE_GOLDEN=1` rewrites the expected files. The expected modules are then imported and their
 * codecs exercised: every type's example is valid and round-trips, random values round-trip, and
 * `validate` agrees with ajv on the type's JSON Schema applied to `toJSON`.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { schemasEmitter } from '../../compiler/emitters/jsonschema/index.ts';
import { newAjv } from '../../compiler/emitters/jsonschema/validators.ts';
import { tsEmitter } from '../../compiler/emitters/ts/index.ts';
import { typesModule } from '../../compiler/emitters/shared/names.ts';
import { compile } from '../../compiler/program.ts';
import type { Codec } from '../../runtime/codec/index.ts';
import { arbitraryOf } from '../codec/arbitraries.ts';
import { expectGolden, UPDATE_GOLDEN } from '../helpers/golden.ts';
import { listFiles } from '../../compiler/output.ts';
import { repoPath } from '../helpers/repo.ts';

const CASES_DIR = repoPath('tests/cases');
/** From `tests/cases/<case>/expected/` (the output directory) to the repository root. */
const RUNTIME_IMPORT = '../../../../runtime/index.ts';

const cases = readdirSync(CASES_DIR)
  .filter((n) => n.startsWith('ts-') && statSync(join(CASES_DIR, n)).isDirectory())
  .sort();

function generateCase(dir: string) {
  const inputs = readdirSync(dir)
    .filter((f) => f.endsWith('.midl'))
    .sort()
    .map((f) => join(dir, f));
  const result = compile(inputs);
  if (result.hasErrors) throw new Error(`${dir}: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  const files = [tsEmitter, schemasEmitter]
    .flatMap((e) => e.emit(result.ir, { runtimeImport: RUNTIME_IMPORT }))
    .filter((f) => /^(types|schemas)\/[^/]+\.ts$/.test(f.path));
  return { ir: result.ir, files };
}

describe.each(cases)('ts emitter case %s', (name) => {
  const dir = join(CASES_DIR, name);
  const expectedDir = join(dir, 'expected');
  const { ir, files } = generateCase(dir);

  it('generates exactly the expected files', () => {
    if (UPDATE_GOLDEN) {
      if (existsSync(expectedDir)) for (const f of listFiles(expectedDir)) if (!files.some((x) => x.path === f)) rmSync(join(expectedDir, f));
      for (const f of files) mkdirSync(dirname(join(expectedDir, f.path)), { recursive: true });
    }
    for (const f of files) expectGolden(join(expectedDir, f.path), f.content, `${name}/${f.path}`);
    expect(listFiles(expectedDir)).toEqual(files.map((f) => f.path).sort());
  });

  it('is deterministic', () => {
    expect(generateCase(dir).files).toEqual(files);
  });

  it('codecs: examples are valid and round-trip; random values round-trip through binary and JSON', async () => {
    for (const decl of ir.types) {
      const mod = (await import(pathToFileURL(join(expectedDir, `${typesModule(decl.package)}.ts`)).href)) as Record<string, Codec<unknown>>;
      const codec = Object.values(mod).find((c) => (c as { typeName?: string }).typeName === decl.name);
      expect(codec, decl.name).toBeDefined();
      const c = codec!;
      const example = c.example();
      expect(c.validate(example), decl.name).toEqual({ ok: true });
      expect(c.decode(c.encode(example))).toEqual(example);
      expect(c.fromJSON(JSON.parse(JSON.stringify(c.toJSON(example))))).toEqual(example);
      const ajv = newAjv(false).compile(c.jsonSchema as object);
      expect(ajv(c.toJSON(example)), decl.name).toBe(true);
      fc.assert(
        fc.property(arbitraryOf(ir, decl.name), (v) => {
          expect(c.decode(c.encode(v))).toEqual(v);
          expect(c.fromJSON(JSON.parse(JSON.stringify(c.toJSON(v))))).toEqual(v);
          const ours = c.validate(v);
          if (ours.ok !== ajv(c.toJSON(v)))
            throw new Error(`${decl.name}: validate ${JSON.stringify(ours)}, ajv ${JSON.stringify(ajv.errors)} on ${JSON.stringify(c.toJSON(v))}`);
        }),
        { numRuns: 40 },
      );
    }
  });
});
