import type { IrProgram, IrTypeDecl } from '../../ir/ir.ts';

/**
 * Names shared by every emitter, so that one emitter's imports match another's exports.
 *
 * Generated layout (paths relative to the output directory):
 *   types/<package>.ts        types + codecs of one package            (ts emitter)
 *   schemas/<package>.ts      JSON Schemas as TS constants             (schemas emitter)
 *   schemas/json/<Name>.schema.json, schemas/json/envelope/*.schema.json  (json-schema emitter)
 *   validators/<package>.js + .d.ts   ajv standalone validators        (validators emitter)
 *   capabilities.ts, registry.ts, client.ts, index.ts                  (registry/client emitters)
 *   facts/*.json                                                       (facts emitter)
 *   README.md                                                          (docs or readme emitter)
 */

/** Module (without extension) holding a package's types and codecs, relative to the output dir. */
export function typesModule(pkg: string): string {
  return `types/${pkg || '_'}`;
}

export function schemasModule(pkg: string): string {
  return `schemas/${pkg || '_'}`;
}

export function validatorsModule(pkg: string): string {
  return `validators/${pkg || '_'}`;
}

/**
 * The runtime's import specifier as seen from `fromModule` (a module path relative to the output
 * directory, without extension): a relative `runtimeImport` is relative to the output directory, a
 * package name or URL is the same everywhere.
 */
export function runtimeSpecifier(runtimeImport: string, fromModule: string): string {
  if (!runtimeImport.startsWith('./') && !runtimeImport.startsWith('../')) return runtimeImport;
  const up = '../'.repeat(fromModule.split('/').length - 1);
  return runtimeImport.startsWith('./') ? `${up}${runtimeImport.slice(2)}` : `${up}${runtimeImport}`;
}

/** Relative import specifier from one generated module to another, with the given extension. */
export function importPath(fromModule: string, toModule: string, ext: '.ts' | '.js'): string {
  const from = fromModule.split('/').slice(0, -1);
  const to = toModule.split('/');
  let i = 0;
  while (i < from.length && i < to.length - 1 && from[i] === to[i]) i++;
  const ups = from.length - i;
  const rest = to.slice(i).join('/');
  return `${ups === 0 ? './' : '../'.repeat(ups)}${rest}${ext}`;
}

const pascal = (s: string) => s.replace(/(^|[._-])([a-zA-Z0-9])/g, (_, __, c: string) => c.toUpperCase());

/**
 * The exported TypeScript name of each declared type, unique across the program so that index.ts can
 * re-export every module: the short name, or, when two packages share it, the last package segment in
 * PascalCase before it (`core.Ref` → `CoreRef`).
 */
export function tsNames(ir: IrProgram): ReadonlyMap<string, string> {
  const count = new Map<string, number>();
  const all: { name: string; shortName: string; package: string }[] = [...ir.types, ...ir.errorSets];
  for (const t of all) count.set(t.shortName, (count.get(t.shortName) ?? 0) + 1);
  const out = new Map<string, string>();
  for (const t of all) {
    const unique = count.get(t.shortName) === 1;
    out.set(t.name, unique ? t.shortName : `${pascal(t.package.split('.').pop() ?? '')}${t.shortName}`);
  }
  return out;
}

export function packagesOf(ir: IrProgram): string[] {
  return [...new Set(ir.types.map((t: IrTypeDecl) => t.package))].sort();
}

/** Code-unit order, the same on every platform (never locale-dependent). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
