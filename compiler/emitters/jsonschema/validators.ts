/**
 * ajv standalone validators, compiled at gen time so that nothing compiles a schema at run time.
 *
 * ajv writes CommonJS `require("…")` calls for its helpers (`ajv/dist/runtime/ucs2length`, formats
 * from `ajv-formats/dist/formats`) even in ESM mode; they are rewritten into static default imports of
 * the same CommonJS modules (with `.js`, which Node's ESM resolver needs for packages without an
 * exports map), so generated validators resolve `ajv` and `ajv-formats` from the project's
 * dependencies. One fresh ajv instance per module keeps generated names (validate20, pattern0, …)
 * byte-identical across runs.
 */
import Ajv2020Module from 'ajv/dist/2020.js';
import ajvFormatsModule from 'ajv-formats';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { _ } from 'ajv';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { FORMATS } from '../../checker/types.ts';
import { GENERATED_HEADER } from '../emitter.ts';
import type { JsonSchemaObject } from './schema.ts';

const Ajv2020 = Ajv2020Module.default;
const addFormats = ajvFormatsModule.default;
const standaloneCode = standaloneModule.default;

/** Formats come from ajv-formats' "full" set, the same set tests and tools use with `addFormats(ajv)`. */
const FORMATS_MODULE = 'ajv-formats/dist/formats';

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
    ...(forStandalone ? { code: { source: true, esm: true, lines: true, formats: _`require(${FORMATS_MODULE}).fullFormats` } } : {}),
  });
  addFormats(ajv);
  for (const f of ANNOTATION_ONLY_FORMATS) ajv.addFormat(f, true);
  return ajv;
}

export interface NamedSchema {
  /** Exported name of the validate function, e.g. `validateJobResult`. */
  readonly exportName: string;
  readonly schema: JsonSchemaObject;
  /** Shown in the .d.ts doc comment. */
  readonly what: string;
}

/** Compiles `schemas` (each with a unique `$id`) into one ESM module and its declaration file. */
export function standaloneValidators(schemas: readonly NamedSchema[]): { js: string; dts: string } {
  const ajv = newAjv(true);
  const exports: Record<string, string> = {};
  for (const s of schemas) {
    const id = s.schema['$id'];
    if (typeof id !== 'string') throw new Error(`standaloneValidators: schema for ${s.exportName} has no $id`);
    ajv.addSchema(s.schema);
    exports[s.exportName] = id;
  }
  const code = schemas.length === 0 ? '' : standaloneCode(ajv, exports);
  return { js: toEsm(code), dts: declarations(schemas) };
}

/**
 * Replaces ajv's `require("m")` calls with static namespace imports; drops the redundant "use strict"
 * of ESM. Loaders disagree on what a CommonJS module's namespace holds (Node: `default` is
 * `module.exports`; vitest and bundlers honour `__esModule`, so `default` is `exports.default`), so
 * `__cjs` recovers `module.exports` either way and ajv's `require(…).default` / `.fullFormats` work.
 */
function toEsm(code: string): string {
  const modules = new Map<string, string>();
  const body = code
    .replace(/^"use strict";\n?/, '')
    .replace(/require\("([^"\\]+)"\)/g, (_m, spec: string) => {
      let name = modules.get(spec);
      if (name === undefined) {
        name = `__${spec.replace(/^.*\//, '').replace(/[^A-Za-z0-9_$]/g, '_')}${modules.size}`;
        modules.set(spec, name);
      }
      return name;
    });
  const lines = [GENERATED_HEADER];
  for (const [spec, name] of modules) lines.push(`import * as ${name}_ns from ${JSON.stringify(spec.endsWith('.js') ? spec : `${spec}.js`)};`);
  if (modules.size > 0) {
    lines.push('const __cjs = (ns) => (ns.default && ns.default.__esModule ? ns.default : ns);');
    for (const name of modules.values()) lines.push(`const ${name} = __cjs(${name}_ns);`);
  }
  if (body.trim() !== '') lines.push(body.trim());
  return `${lines.join('\n')}\n`;
}

function declarations(schemas: readonly NamedSchema[]): string {
  const lines = [
    GENERATED_HEADER,
    "import type { ErrorObject } from 'ajv';",
    '',
    '/** An ajv standalone validator: true when `data` matches the schema, otherwise false with `errors` set. */',
    'type Validator = {',
    '  (data: unknown): boolean;',
    '  errors?: ErrorObject[] | null;',
    '};',
  ];
  for (const s of schemas) lines.push('', `/** ${s.what} */`, `export declare const ${s.exportName}: Validator;`);
  lines.push('', 'export {};');
  return `${lines.join('\n')}\n`;
}
