import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import ajvFormatsModule from 'ajv-formats';
import { expect } from 'vitest';
import { expandInputs } from '../../compiler/config.ts';
import { emitReadme } from '../../compiler/emitters/docs/index.ts';
import type { EmittedFile } from '../../compiler/emitters/emitter.ts';
import { emitFacts } from '../../compiler/emitters/facts/index.ts';
import { buildFacts, type FactsDocument } from '../../compiler/emitters/facts/model.ts';
import { typeSchema } from '../../compiler/emitters/jsonschema/schema.ts';
import type { IrProgram } from '../../compiler/ir/ir.ts';
import { compile } from '../../compiler/program.ts';
import { compileText } from '../helpers/compile.ts';
import { repoPath } from '../helpers/repo.ts';

export interface Program {
  readonly label: string;
  readonly ir: IrProgram;
}

function checked(label: string, result: ReturnType<typeof compile>): Program {
  const errors = result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`);
  expect(errors, `${label} compiles`).toEqual([]);
  return { label, ir: result.ir };
}

/** examples/ directories that hold no schema: programs (TypeScript using a bus) and deployment files (bridge: a policy and a systemd unit). */
const PROGRAM_DIRS = new Set(['programs', 'bridge']);

/**
 * The example directories that hold schemas: every directory of examples/ but PROGRAM_DIRS. One without a
 * .midl file is an error (a renamed schema must not make its example drop out of every test quietly).
 */
export function exampleDirs(): string[] {
  const root = repoPath('examples');
  const dirs = readdirSync(root)
    .filter((n) => statSync(join(root, n)).isDirectory() && !PROGRAM_DIRS.has(n))
    .sort();
  const empty = dirs.filter((n) => expandInputs([join(root, n)]).length === 0);
  if (empty.length > 0) throw new Error(`examples/${empty.join(', examples/')}: no .midl file (a program directory belongs in PROGRAM_DIRS)`);
  return dirs;
}

export function programOfDir(dir: string, label = dir): Program {
  return checked(label, compile(expandInputs([dir])));
}

export function programOfText(text: string, label = 'input.midl'): Program {
  return checked(label, compileText(text));
}

/** idl/ and every example directory. */
export function repoPrograms(): Program[] {
  return [programOfDir(repoPath('idl'), 'idl'), ...exampleDirs().map((d) => programOfDir(repoPath('examples', d), `examples/${d}`))];
}

/**
 * The repository's schemas and the synthetic golden cases (tests/facts/cases/<name>/input.midl). A case
 * without input.midl is named after the example directory it takes its input from (already in
 * repoPrograms); one that is neither is an error.
 */
export function allPrograms(): Program[] {
  const cases = repoPath('tests/facts/cases');
  const examples = new Set(exampleDirs());
  const names = readdirSync(cases)
    .filter((n) => statSync(join(cases, n)).isDirectory())
    .sort();
  const hasInput = (n: string) => existsSync(join(cases, n, 'input.midl'));
  const orphans = names.filter((n) => !hasInput(n) && !examples.has(n));
  if (orphans.length > 0) throw new Error(`tests/facts/cases/${orphans.join(', tests/facts/cases/')}: no input.midl and no example of that name`);
  const own = names.filter(hasInput).map((n) => programOfDir(join(cases, n, 'input.midl'), `cases/${n}`));
  return [...repoPrograms(), ...own];
}

export function factsOf(ir: IrProgram): FactsDocument {
  return buildFacts(ir, typeSchema);
}

/** What the facts and docs emitters write for a program. */
export function emitted(ir: IrProgram): EmittedFile[] {
  return [...emitFacts(ir), ...emitReadme(ir)];
}

export function fileOf(files: readonly EmittedFile[], path: string): string {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`not emitted: ${path}`);
  return f.content;
}

/** ajv for JSON Schema 2020-12, as the brief's consumers use it: formats on, strict off. */
const Ajv2020 = Ajv2020Module.default;
const addFormats = ajvFormatsModule.default;

export function newAjv(): InstanceType<typeof Ajv2020> {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

/** Validates `value` against a self-contained `schema` with a fresh ajv (schemas share `$id`s across tools). */
export function validates(schema: object, value: unknown): { ok: boolean; errors: string } {
  const validate = newAjv().compile(schema);
  const ok = validate(value);
  return { ok, errors: JSON.stringify(validate.errors ?? []) };
}
