/**
 * ajv standalone validators, compiled at gen time so that nothing compiles a schema at run time.
 *
 * ajv writes CommonJS `require("…")` calls for its helpers (`ajv/dist/runtime/ucs2length`, formats
 * from `ajv-formats/dist/formats`) even in ESM mode; they are rewritten into members of the runtime's
 * `validatorSupport`, imported from the runtime like the rest of generated code, so generated
 * validators need nothing but midl at run time (not `ajv` or `ajv-formats` among the project's own
 * dependencies). One fresh ajv instance per module keeps generated names (validate20, pattern0, …)
 * byte-identical across runs.
 */
import Ajv2020Module from 'ajv/dist/2020.js';
import ajvFormatsModule from 'ajv-formats';
import { _ } from 'ajv';
import { _Code, getEsmExportName } from 'ajv/dist/compile/codegen/code.js';
import { UsedValueState, type UsedScopeValues, type ValueScopeName } from 'ajv/dist/compile/codegen/scope.js';
import type { SourceCode } from 'ajv/dist/types/index.js';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { FORMATS } from '../../checker/types.ts';
import { GENERATED_HEADER } from '../emitter.ts';
import { comments, docCommentText, printModule, stmt, stmts, withBlankLineAfter, withComments } from '../shared/ts/index.ts';
import type { JsonSchemaObject } from './schema.ts';

const Ajv2020 = Ajv2020Module.default;
const addFormats = ajvFormatsModule.default;

/** Formats come from ajv-formats' "full" set, the same set tests and tools use with `addFormats(ajv)`. */
const FORMATS_MODULE = 'ajv-formats/dist/formats';

/** The runtime export that provides ajv's helpers to generated validators (runtime/codec/validator-support.ts). */
const SUPPORT = 'validatorSupport';

/** Each `require(…)` expression ajv's code may hold, and the `validatorSupport` member that replaces it. */
const HELPERS: ReadonlyMap<string, string> = new Map([
  ['require("ajv/dist/runtime/ucs2length").default', `${SUPPORT}.ucs2length`],
  [`require(${JSON.stringify(FORMATS_MODULE)}).fullFormats`, `${SUPPORT}.fullFormats`],
]);

/** ajv's code needs a helper the runtime does not provide: gen fails rather than write a module that imports ajv. */
export class UnsupportedValidatorHelperError extends Error {
  override readonly name = 'UnsupportedValidatorHelperError';
}

/**
 * Formats a schema may name (compiler/checker) that ajv-formats does not implement: accepted as
 * annotations (any string passes), as the TypeScript `validate` treats them.
 */
export const ANNOTATION_ONLY_FORMATS: readonly string[] = [...FORMATS].filter((f) => !(f in fullFormats)).sort();

/**
 * A fresh ajv instance configured as the generated validators are: 2020-12, strict, ajv-formats
 * "full", and `ANNOTATION_ONLY_FORMATS` known but unchecked.
 */
export function newAjv(forStandalone: boolean): InstanceType<typeof Ajv2020> {
  const ajv = new Ajv2020({
    strict: true,
    // Standalone: every `$ref` a call (no copies of referenced schemas), no optimisation passes
    // (ajv's are most of its compile time; V8 removes what they would), and no check of each schema
    // against the 2020-12 meta-schema (compiling that costs ~50 ms per instance, i.e. per package;
    // tests check midl's schemas against it, and strict mode still rejects unknown keywords).
    ...(forStandalone
      ? {
          inlineRefs: false,
          validateSchema: false,
          code: { source: true, esm: true, lines: true, optimize: false, formats: _`require(${FORMATS_MODULE}).fullFormats` },
        }
      : {}),
  });
  addFormats(ajv);
  for (const f of ANNOTATION_ONLY_FORMATS) ajv.addFormat(f, true);
  return ajv;
}

export interface NamedValidator {
  /** Exported name of the validate function, e.g. `validateJobResult`. */
  readonly exportName: string;
  /** `$id` of the schema (of those given) it validates with; several exports may share one. */
  readonly id: string;
  /** Shown in the .d.ts doc comment. */
  readonly what: string;
}

/**
 * Compiles one ESM module exporting `validators` and its declaration file. Every schema of `schemas`
 * (each with a unique `$id`; they may `$ref` each other by `$id`) is added to one ajv instance; the
 * exported ones and what they reference are compiled once, in the order exported; a schema
 * referenced by others is a function they call, written once.
 */
export function standaloneValidators(
  validators: readonly NamedValidator[],
  schemas: readonly JsonSchemaObject[],
  runtime: string,
): { js: string; dts: string } {
  const ajv = newAjv(true);
  for (const s of schemas) {
    if (typeof s['$id'] !== 'string') throw new Error('standaloneValidators: a schema has no $id');
    ajv.addSchema(s);
  }
  return {
    js: toEsm(
      moduleCode(
        ajv,
        validators.map((v) => [v.exportName, v.id]),
      ),
      runtime,
    ),
    dts: declarations(validators, runtime),
  };
}

type AjvInstance = InstanceType<typeof Ajv2020>;

/**
 * What ajv's `standaloneCode(ajv, {name: id, …})` writes (ESM), put together in linear time: ajv
 * concatenates the module into one growing code object, which is quadratic in the number of exports.
 * The same traversal as ajv 8's (each function and scope value written once, before first use).
 */
function moduleCode(ajv: AjvInstance, ids: readonly (readonly [string, string])[]): string {
  if (ids.length === 0) return '';
  const n = ajv.opts.code.lines ? '\n' : '';
  const used: UsedScopeValues = {};
  const stateOf = (name: ValueScopeName) => used[name.prefix]?.get(name);
  const validateCode = (source: SourceCode | undefined): string => {
    if (!source) throw new Error('moduleCode: function does not have "source" property');
    if (stateOf(source.validateName) === UsedValueState.Completed) return '';
    (used[source.validateName.prefix] ??= new Map()).set(source.validateName, UsedValueState.Started);
    const scope = ajv.scope.scopeCode(source.scopeValues, used, (name) => {
      const ref: unknown = name.value?.ref;
      if (name.prefix === 'validate' && typeof ref === 'function') return new _Code(validateCode((ref as { source?: SourceCode }).source));
      if ((name.prefix === 'root' || name.prefix === 'wrapper') && typeof ref === 'object' && ref !== null) {
        const { validate, validateName } = ref as { validate?: { source?: SourceCode }; validateName?: ValueScopeName };
        if (!validateName) throw new Error('ajv internal error');
        const wrapper = `const ${name.toString()} = {validate: ${validateName.toString()}};`;
        return new _Code(stateOf(validateName) === UsedValueState.Started ? wrapper : `${wrapper}${n}${validateCode(validate?.source)}`);
      }
      return undefined;
    });
    const code = `${scope.toString()}${n}${source.validateCode}`;
    // Several exports may name one function: it is written with the first.
    used[source.validateName.prefix]!.set(source.validateName, UsedValueState.Completed);
    return source.evaluated ? `${code}${source.validateName.toString()}.evaluated = ${source.evaluated.toString()};${n}` : code;
  };
  const parts = ['"use strict";'];
  for (const [exportName, id] of ids) {
    const v = ajv.getSchema(id);
    if (!v?.source) throw new Error(`moduleCode: no compiled schema with id ${id}`);
    parts.push(`${n}export const ${getEsmExportName(exportName).toString()} = ${v.source.validateName.toString()};${n}${validateCode(v.source)}`);
  }
  return parts.join('');
}

/**
 * Replaces ajv's `require(…)` helper expressions with members of the runtime's `validatorSupport`,
 * imported by name from `runtime` (the runtime's specifier as seen from this module); drops the
 * redundant "use strict" of ESM. A string in ajv's code never matches: its quotes are escaped.
 */
function toEsm(code: string, runtime: string): string {
  const used = new Set<string>();
  const body = code.replace(/^"use strict";\n?/, '').replace(/require\("[^"\\]*"\)(?:\.[A-Za-z_$][\w$]*)?/g, (expr) => {
    const member = HELPERS.get(expr);
    if (member === undefined)
      throw new UnsupportedValidatorHelperError(
        `ajv's validator code needs ${expr}, which the runtime's ${SUPPORT} does not provide (runtime/codec/validator-support.ts)`,
      );
    used.add(member);
    return member;
  });
  const lines = [GENERATED_HEADER];
  if (used.size > 0) lines.push(`import { ${SUPPORT} } from ${JSON.stringify(runtime)};`);
  if (body.trim() !== '') lines.push(body.trim());
  return `${lines.join('\n')}\n`;
}

const VALIDATOR_DOC = '/** An ajv standalone validator: true when `data` matches the schema, otherwise false with `errors` set. */';

function declarations(schemas: readonly NamedValidator[], runtime: string): string {
  const exports = schemas.map((s) => withBlankLineAfter(withComments(stmt`export declare const ${s.exportName}: Validator;`, docCommentText(s.what))));
  return printModule(stmts`${comments(GENERATED_HEADER)}
    import type { ValidatorError } from ${runtime};

    ${comments(VALIDATOR_DOC)}
    type Validator = {
      (data: unknown): boolean;
      errors?: ValidatorError[] | null;
    };

    ${exports}
    export {};`);
}
