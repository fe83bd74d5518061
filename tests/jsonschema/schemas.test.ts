/**
 * Every type of idl/ and examples/: its schema is a valid 2020-12 document that ajv compiles in strict
 * mode, its example validates (fresh ajv and the generated standalone validator), and generated/ holds
 * exactly what the emitter writes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeSchema, schemaId, JSON_SCHEMA_DIALECT } from '../../compiler/emitters/jsonschema/schema.ts';
import { schemaConstName, schemaJsonPath, validatorName } from '../../compiler/emitters/jsonschema/index.ts';
import { exampleJson } from '../../compiler/emitters/shared/example.ts';
import { GENERATED_HEADER } from '../../compiler/emitters/emitter.ts';
import { packagesOf, schemasModule, tsNames, validatorsModule } from '../../compiler/emitters/shared/names.ts';
import { repoPath } from '../helpers/repo.ts';
import { emit, freshAjv, importValidators, removeTmp, repoPrograms, RUNTIME_IMPORT, type Program, type StandaloneValidator } from './helpers.ts';

const programs: Program[] = repoPrograms();

describe.each(programs.map((p) => [p.label, p] as const))('%s', (label, program) => {
  const { ir } = program;
  const names = tsNames(ir);
  const files = emit(ir);
  let validators: Map<string, StandaloneValidator>;

  beforeAll(async () => {
    validators = await importValidators(ir, `schemas-${label}`);
  });
  afterAll(() => removeTmp(`schemas-${label}`));

  it('has types to check', () => {
    expect(ir.types.length).toBeGreaterThan(5);
  });

  it('every schema is a valid 2020-12 document that strict ajv compiles', () => {
    const ajv = freshAjv();
    for (const t of ir.types) {
      const schema = typeSchema(ir, t.name);
      expect(schema['$schema']).toBe(JSON_SCHEMA_DIALECT);
      expect(schema['$id']).toBe(schemaId(t.name));
      expect(ajv.validateSchema(schema), `${t.name}: ${JSON.stringify(ajv.errors)}`).toBe(true);
      expect(() => ajv.compile(schema), t.name).not.toThrow();
    }
  });

  it('every schema is self-contained: it compiles alone and each $ref resolves inside it', () => {
    for (const t of ir.types) {
      const schema = typeSchema(ir, t.name);
      const refs = JSON.stringify(schema).match(/"\$ref":"[^"]*"/g) ?? [];
      for (const r of refs) expect(r, t.name).toMatch(/^"\$ref":"#(\/\$defs\/[^"]+)?"$/);
      const defs = Object.keys((schema['$defs'] ?? {}) as object);
      for (const r of refs) {
        const target = r.slice('"$ref":"#/$defs/'.length, -1);
        if (r !== '"$ref":"#"') expect(defs, `${t.name} → ${target}`).toContain(target);
      }
      expect(() => freshAjv().compile(schema), t.name).not.toThrow();
    }
  });

  it('exampleJson of every type validates with a fresh ajv and with the standalone validator', () => {
    const ajv = freshAjv();
    for (const t of ir.types) {
      const example = exampleJson(ir, t.name);
      const validate = ajv.compile(typeSchema(ir, t.name));
      expect(validate(example), `${t.name}: ${JSON.stringify(validate.errors)}`).toBe(true);
      const standalone = validators.get(validatorName(names.get(t.name)!));
      expect(standalone, `validator for ${t.name}`).toBeTypeOf('function');
      expect(standalone!(example), `${t.name}: ${JSON.stringify(standalone!.errors)}`).toBe(true);
      expect(typeSchema(ir, t.name)['examples']).toEqual([example]);
    }
  });

  it('the standalone validators reject what the fresh ajv rejects', () => {
    const ajv = freshAjv();
    for (const t of ir.types) {
      const validate = ajv.compile(typeSchema(ir, t.name));
      const standalone = validators.get(validatorName(names.get(t.name)!))!;
      for (const bad of [null, 0, 'x', [], { '': 1 }, true]) {
        expect(standalone(bad), `${t.name} ${JSON.stringify(bad)}`).toBe(validate(bad));
      }
    }
  });

  it('writes one schema file per type, one schemas module and one validator module per package', () => {
    const paths = new Set(files.map((f) => f.path));
    for (const t of ir.types) expect(paths).toContain(schemaJsonPath(t.name));
    for (const pkg of packagesOf(ir)) {
      expect(paths).toContain(`${schemasModule(pkg)}.ts`);
      expect(paths).toContain(`${validatorsModule(pkg)}.js`);
      expect(paths).toContain(`${validatorsModule(pkg)}.d.ts`);
    }
    for (const f of files) {
      expect(f.content.endsWith('\n') && !f.content.endsWith('\n\n'), f.path).toBe(true);
      if (/\.(ts|js)$/.test(f.path)) expect(f.content.split('\n')[0], f.path).toBe(GENERATED_HEADER);
      expect(f.content, f.path).not.toContain(repoPath());
    }
  });

  it('the .schema.json files hold typeSchema, 2-space indented', () => {
    for (const t of ir.types) {
      const file = files.find((f) => f.path === schemaJsonPath(t.name))!;
      expect(file.content).toBe(`${JSON.stringify(typeSchema(ir, t.name), null, 2)}\n`);
    }
  });

  it('each validators/<package>.d.ts declares exactly the functions the .js exports', () => {
    for (const pkg of packagesOf(ir)) {
      const dts = files.find((f) => f.path === `${validatorsModule(pkg)}.d.ts`)!.content;
      const declared = [...dts.matchAll(/^export declare const (\w+): Validator;$/gm)].map((m) => m[1]);
      const expected = ir.types.filter((t) => t.package === pkg).map((t) => validatorName(names.get(t.name)!));
      expect(declared).toEqual(expected);
      for (const name of expected) expect(validators.has(name), name).toBe(true);
    }
  });

  it('validator modules compile nothing at run time and import only the runtime', () => {
    for (const f of files.filter((x) => x.path.endsWith('.js'))) {
      const imports = [...f.content.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]!);
      for (const spec of imports) expect(posix.join(posix.dirname(f.path), spec), f.path).toBe(posix.normalize(RUNTIME_IMPORT));
      expect(f.content, f.path).not.toMatch(/\brequire\(/);
      expect(f.content, f.path).not.toMatch(/\.compile\(|new Ajv/);
    }
  });

  if (label === 'idl') {
    it('generated/ holds exactly what the emitter writes (schemas/ and validators/ are up to date)', () => {
      for (const f of files) {
        const onDisk = repoPath('generated', f.path);
        expect(existsSync(onDisk), `${f.path} is missing; run midl gen`).toBe(true);
        expect(readFileSync(onDisk, 'utf8'), `${f.path} is stale; run midl gen`).toBe(f.content);
      }
    });

    it('generated/schemas/<package>.ts exports <N>Schema equal to typeSchema', async () => {
      for (const pkg of packagesOf(ir)) {
        const mod = (await import(pathToFileURL(join(repoPath('generated'), `${schemasModule(pkg)}.ts`)).href)) as Record<string, unknown>;
        const types = ir.types.filter((t) => t.package === pkg);
        expect(Object.keys(mod).sort()).toEqual(types.map((t) => schemaConstName(names.get(t.name)!)).sort());
        for (const t of types) expect(mod[schemaConstName(names.get(t.name)!)]).toEqual(typeSchema(ir, t.name));
      }
    });
  }
});
