/**
 * What ajv's code needs at run time, loaded once from midl's own dependencies: the generated ajv
 * standalone validators (validators/<package>.js) take it from the runtime's public entry point, so a
 * project that depends on midl alone runs them (docs/generated-code.md § Validators), and the
 * runtime's own `matchesFormat` checks formats with the same table.
 */
import * as ajvFormats from 'ajv-formats/dist/formats.js';
import * as ajvUcs2length from 'ajv/dist/runtime/ucs2length.js';

/** The error objects a generated validator leaves in its `errors` property (ajv's `ErrorObject`). */
export type { ErrorObject as ValidatorError } from 'ajv';

/** One ajv-formats definition: a regular expression, a check, or an object holding one; `true` checks nothing. */
export type FormatDefinition = RegExp | ((s: string) => boolean) | { readonly validate?: RegExp | ((s: string) => boolean) } | true;
export type FormatTable = Readonly<Record<string, FormatDefinition | undefined>>;

/** What ajv's standalone code calls: its `require("ajv/dist/runtime/ucs2length").default` and `require("ajv-formats/dist/formats").fullFormats`. */
export interface ValidatorSupport {
  /** String length in code points (a surrogate pair counts one), as JSON Schema's `minLength` / `maxLength` count. */
  readonly ucs2length: (s: string) => number;
  /** ajv-formats' "full" formats, by name. */
  readonly fullFormats: FormatTable;
}

// Both modules are CommonJS, and loaders disagree on what their namespace holds: Node's ESM gives
// `default` = module.exports (named exports where its lexer detects them); vitest and bundlers honour
// `__esModule`, so `default` is `exports.default`. Each member is looked up both ways, once, here.
type Namespace<T> = T & { readonly default?: T };

const formatsModule = ajvFormats as unknown as Namespace<{ readonly fullFormats?: FormatTable }>;
const ucs2lengthModule = ajvUcs2length as unknown as Namespace<{ readonly default?: unknown }>;

function loaded<T>(value: T | undefined, what: string): T {
  // Failing loudly beats a stand-in: an empty format table would silently accept every format.
  if (value === undefined) throw new Error(`${what} could not be loaded: generated validators cannot run`);
  return value;
}

function ucs2lengthOf(m: typeof ucs2lengthModule): ((s: string) => number) | undefined {
  for (const candidate of [m.default, m.default?.default]) if (typeof candidate === 'function') return candidate as (s: string) => number;
  return undefined;
}

export const validatorSupport: ValidatorSupport = Object.freeze({
  ucs2length: loaded(ucs2lengthOf(ucs2lengthModule), 'ucs2length of ajv/dist/runtime/ucs2length.js'),
  fullFormats: loaded(formatsModule.fullFormats ?? formatsModule.default?.fullFormats, 'fullFormats of ajv-formats/dist/formats.js'),
});
