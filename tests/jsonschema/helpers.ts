import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import { expandInputs } from '../../compiler/config.ts';
import { jsonSchemaEmitter, schemasEmitter, validatorsEmitter } from '../../compiler/emitters/jsonschema/index.ts';
import { newAjv } from '../../compiler/emitters/jsonschema/validators.ts';
import type { EmittedFile } from '../../compiler/emitters/emitter.ts';
import type { IrProgram } from '../../compiler/ir/ir.ts';
import { compile } from '../../compiler/program.ts';
import { compileText } from '../helpers/compile.ts';
import { repoPath } from '../helpers/repo.ts';

export const RUNTIME_IMPORT = '../runtime/index.ts';

export interface Program {
  readonly label: string;
  readonly ir: IrProgram;
}

function checked(label: string, result: ReturnType<typeof compile>): Program {
  const errors = result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
  expect(errors, `${label} compiles`).toEqual([]);
  return { label, ir: result.ir };
}

/** The repository's schemas: idl/ (what `midl gen` generates) and examples/ (each compiled as one program). */
export function repoPrograms(): Program[] {
  return ['idl', 'examples'].map((dir) => checked(dir, compile(expandInputs([repoPath(dir)]))));
}

/** The golden and test cases: tests/jsonschema/cases/<name>/input.midl, each one program labelled `case-<name>`. */
export function casePrograms(): Program[] {
  const dir = repoPath('tests/jsonschema/cases');
  return readdirSync(dir)
    .filter((n) => statSync(join(dir, n)).isDirectory())
    .sort()
    .map((n) => programFromFile(join(dir, n, 'input.midl'), `case-${n}`));
}

export function programFromText(text: string, label = 'input.midl'): Program {
  return checked(label, compileText(text));
}

export function programFromFile(path: string, label = path): Program {
  return checked(label, compile([path]));
}

export function emit(ir: IrProgram): EmittedFile[] {
  return [schemasEmitter, jsonSchemaEmitter, validatorsEmitter].flatMap((e) => e.emit(ir, { runtimeImport: RUNTIME_IMPORT }));
}

/** A fresh ajv (2020-12, strict, ajv-formats) as a tool outside midl would use it. */
export const freshAjv = () => newAjv(false);

export type StandaloneValidator = ((data: unknown) => boolean) & { errors?: unknown[] | null };

/** The repository's runtime by absolute URL: generated modules written anywhere import it. */
export const RUNTIME_URL = pathToFileURL(repoPath('runtime/index.ts')).href;

/**
 * Emits the validator modules of `ir` (importing the repository's runtime by URL), writes them under
 * the repository's tmp/ and imports them.
 */
export async function importValidators(ir: IrProgram, tag: string): Promise<Map<string, StandaloneValidator>> {
  const dir = repoPath('tmp', `jsonschema-${process.pid}-${tag}`);
  rmSync(dir, { recursive: true, force: true });
  const out = new Map<string, StandaloneValidator>();
  const files = validatorsEmitter.emit(ir, { runtimeImport: RUNTIME_URL });
  // Package validator modules only; validators/envelope/ (the wire envelopes) has its own tests.
  for (const f of files.filter((x) => x.path.startsWith('validators/') && !x.path.startsWith('validators/envelope/') && x.path.endsWith('.js'))) {
    const full = join(dir, f.path);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, f.content);
    const mod = (await import(pathToFileURL(full).href)) as Record<string, StandaloneValidator>;
    for (const [name, fn] of Object.entries(mod)) out.set(name, fn);
  }
  return out;
}

export function removeTmp(tag: string): void {
  rmSync(repoPath('tmp', `jsonschema-${process.pid}-${tag}`), { recursive: true, force: true });
}

export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
