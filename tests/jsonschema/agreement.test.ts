/**
 * The codec's `validate` and the JSON Schema agree (docs/generated-code.md):
 * `N.validate(v).ok === validateN(N.toJSON(v))` for generated values and mutations of every type of
 * idl/ (the committed generated/types and generated/validators), examples/ and tests/jsonschema/cases/
 * (emitted to tmp/).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatorName } from '../../compiler/emitters/jsonschema/index.ts';
import { packagesOf, tsNames, typesModule, validatorsModule } from '../../compiler/emitters/shared/names.ts';
import type { IrProgram } from '../../compiler/ir/ir.ts';
import type { Codec } from '../../runtime/codec/codec.ts';
import { repoPath } from '../helpers/repo.ts';
import { schemasEmitter, validatorsEmitter } from '../../compiler/emitters/jsonschema/index.ts';
import { tsEmitter } from '../../compiler/emitters/ts/index.ts';
import { casePrograms, repoPrograms, type StandaloneValidator } from './helpers.ts';
import { FORMATS } from '../../compiler/checker/types.ts';
import { ValueArbitraries } from './values.ts';

const RUNS = Number(process.env['MIDL_AGREEMENT_RUNS'] ?? 60);

interface Loaded {
  readonly codecs: Map<string, Codec<unknown>>;
  readonly validators: Map<string, StandaloneValidator>;
}

async function load(ir: IrProgram, dir: string): Promise<Loaded> {
  const names = tsNames(ir);
  const codecs = new Map<string, Codec<unknown>>();
  const validators = new Map<string, StandaloneValidator>();
  for (const pkg of packagesOf(ir)) {
    const types = (await import(pathToFileURL(join(dir, `${typesModule(pkg)}.ts`)).href)) as Record<string, Codec<unknown>>;
    const vals = (await import(pathToFileURL(join(dir, `${validatorsModule(pkg)}.js`)).href)) as Record<string, StandaloneValidator>;
    for (const t of ir.types.filter((x) => x.package === pkg)) {
      const name = names.get(t.name)!;
      codecs.set(t.name, types[name]!);
      validators.set(t.name, vals[validatorName(name)]!);
    }
  }
  return { codecs, validators };
}

/** Whether `x` is JSON data: finite numbers, strings, booleans, null, arrays and plain objects of them. */
function isJsonData(x: unknown): boolean {
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return true;
  if (typeof x === 'number') return Number.isFinite(x);
  if (Array.isArray(x)) return x.every(isJsonData);
  if (typeof x !== 'object' || Object.getPrototypeOf(x) !== Object.prototype) return false;
  return Object.values(x).every((v) => v === undefined || isJsonData(v));
}

describe('codec validate agrees with the JSON Schema', () => {
  const programs = [...repoPrograms(), ...casePrograms()];
  const tmp = repoPath('tmp', `jsonschema-${process.pid}-agreement`);
  const loaded = new Map<string, Loaded>();

  beforeAll(async () => {
    for (const p of programs) {
      let dir = repoPath('generated');
      if (p.label !== 'idl') {
        // tmp/<run>/<label>/ is three levels below the repository root (generated/ is one).
        dir = join(tmp, p.label);
        for (const f of [tsEmitter, schemasEmitter, validatorsEmitter].flatMap((e) => e.emit(p.ir, { runtimeImport: '../../../runtime/index.ts' }))) {
          mkdirSync(join(dir, f.path, '..'), { recursive: true });
          writeFileSync(join(dir, f.path), f.content);
        }
      }
      loaded.set(p.label, await load(p.ir, dir));
    }
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  for (const p of programs) {
    describe(p.label, () => {
      it.each(p.ir.types.map((t) => [t.name] as const))('%s', (typeName) => {
        const { codecs, validators } = loaded.get(p.label)!;
        const codec = codecs.get(typeName)!;
        const validate = validators.get(typeName)!;
        const examples = { example: (n: string) => codecs.get(n)!.example() };
        const values = fc.oneof(new ValueArbitraries(p.ir, examples, false).of(typeName), new ValueArbitraries(p.ir, examples, true).of(typeName));
        const seen = { valid: 0, invalid: 0, noJson: 0 };
        fc.assert(
          fc.property(values, (v) => {
            const verdict = codec.validate(v);
            let json: unknown;
            try {
              json = codec.toJSON(v);
            } catch (err) {
              // Only values that fail validation may lack a JSON form.
              expect(verdict.ok, `toJSON threw ${String(err)} for a valid value`).toBe(false);
              seen.noJson++;
              return;
            }
            // The JSON form must be JSON: NaN or ±Infinity as numbers (which JSON text turns into null) are not.
            if (!isJsonData(json)) {
              expect(verdict.ok, `toJSON gave ${JSON.stringify(json)}, which is not JSON, for a valid value`).toBe(false);
              seen.noJson++;
              return;
            }
            const schemaOk = validate(JSON.parse(JSON.stringify(json)));
            if (verdict.ok) seen.valid++;
            else seen.invalid++;
            expect(
              schemaOk,
              `validate: ${JSON.stringify(verdict)}; schema: ${JSON.stringify(validate.errors)}; JSON: ${JSON.stringify(json).slice(0, 400)}`,
            ).toBe(verdict.ok);
          }),
          { numRuns: RUNS },
        );
        expect(seen.valid, 'some generated values are valid').toBeGreaterThan(0);
        // The example always is.
        expect(codec.validate(codec.example()).ok).toBe(true);
        expect(validate(codec.toJSON(codec.example()))).toBe(true);
      });
    });
  }

  // Formats the codec once checked with its own rules: `validate` now uses ajv-formats' definitions,
  // so these agree with the generated validators.
  it.each([
    ['regex', '\\Z'],
    ['uri-reference', '\u0000'],
    ['uri-reference', '%zz'],
  ])('format %s on %j: validate agrees with ajv-formats', (format, text) => {
    const { codecs, validators } = loaded.get('case-formats')!;
    const codec = codecs.get('t.formats.Formats')!;
    const field = `f${[...FORMATS].sort().indexOf(format)}`;
    const value = { ...(codec.example() as object), [field]: text };
    expect(codec.validate(value).ok).toBe(validators.get('t.formats.Formats')!(codec.toJSON(value as never)));
  });

  // A finite number that rounds to ±Infinity as an f32 has the JSON form "Infinity" (not the number
  // Infinity, which JSON text would turn into null).
  it('an f32 beyond the f32 range has the JSON form "Infinity"', () => {
    const { codecs, validators } = loaded.get('idl')!;
    const codec = codecs.get('fountain.core.ResourceUsage')!;
    const value = { ...(codec.example() as object), cpuUtilization: 1e39 };
    expect(codec.validate(value).ok).toBe(true);
    const json = codec.toJSON(value) as Record<string, unknown>;
    expect(json['cpuUtilization']).toBe('Infinity');
    expect(validators.get('fountain.core.ResourceUsage')!(JSON.parse(JSON.stringify(json)))).toBe(true);
  });
});
