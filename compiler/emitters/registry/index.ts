/**
 * The `registry` and `client` emitters (docs/generated-code.md § Layout, § Registry, § Clients):
 *   capabilities.ts   capability bits, masks and helpers                     (registry)
 *   registry.ts       `topics`, `topicsById`, `intents`, `errorSets`          (registry)
 *   index.ts          re-exports types, schemas, validators and the above    (registry)
 *   client.ts         `createClient(bus)` typed topic tree                   (client)
 */
import type { IrProgram } from '../../ir/ir.ts';
import { GENERATED_HEADER, type EmitOptions, type EmittedFile, type Emitter } from '../emitter.ts';
import { schemaConstName, validatorName } from '../jsonschema/index.ts';
import { cmp, importPath, packagesOf, schemasModule, tsNames, typesModule, validatorsModule } from '../shared/names.ts';
import { named, printModule, type Syntax } from '../shared/ts/index.ts';
import { CLIENT_EXPORTS, CLIENT_MODULE, clientTs } from './client.ts';
import { CAPABILITIES_EXPORTS, CAPABILITIES_MODULE, REGISTRY_EXPORTS, REGISTRY_MODULE, capabilitiesTs, registryTs } from './registry.ts';

interface Reexport {
  readonly module: string;
  readonly ext: '.ts' | '.js';
  readonly names: readonly string[];
}

/** Every module index.ts re-exports, in precedence order, with the names each exports. */
function reexports(ir: IrProgram): Reexport[] {
  const names = tsNames(ir);
  const typePackages = packagesOf(ir);
  const modulePackages = [...new Set([...typePackages, ...ir.errorSets.map((e) => e.package)])].sort(cmp);
  const typesOf = (pkg: string) => ir.types.filter((t) => t.package === pkg).map((t) => names.get(t.name) ?? t.shortName);
  // An error set exports its codes as `N` and, when some code carries text, `NMessages`.
  const errorsOf = (pkg: string) =>
    ir.errorSets
      .filter((e) => e.package === pkg)
      .flatMap((e) => {
        const n = names.get(e.name) ?? e.shortName;
        return e.members.some((m) => m.message !== undefined) ? [n, `${n}Messages`] : [n];
      });
  return [
    ...modulePackages.map((p) => ({ module: typesModule(p), ext: '.ts' as const, names: [...typesOf(p), ...errorsOf(p)] })),
    ...typePackages.map((p) => ({ module: schemasModule(p), ext: '.ts' as const, names: typesOf(p).map(schemaConstName) })),
    ...typePackages.map((p) => ({ module: validatorsModule(p), ext: '.js' as const, names: typesOf(p).map(validatorName) })),
    { module: CAPABILITIES_MODULE, ext: '.ts', names: CAPABILITIES_EXPORTS },
    { module: REGISTRY_MODULE, ext: '.ts', names: REGISTRY_EXPORTS },
    { module: CLIENT_MODULE, ext: '.ts', names: CLIENT_EXPORTS },
  ];
}

/**
 * index.ts: `export *` of every generated module. A name exported by two modules would be ambiguous
 * (and a TypeScript error), so it is re-exported explicitly from the first module in this order:
 * types, schemas, validators, capabilities, registry, client. A schema type named like a generated
 * helper (`Client`, `Capabilities`) thus keeps its name; the helper stays importable from its module.
 */
export function indexTs(ir: IrProgram): string {
  const list = reexports(ir);
  const first = new Map<string, Reexport>();
  const clashes = new Map<Reexport, string[]>();
  for (const r of list) {
    for (const n of r.names) {
      const owner = first.get(n);
      if (!owner) first.set(n, r);
      else if (owner !== r) clashes.set(owner, [...new Set([...(clashes.get(owner) ?? []), n])]);
    }
  }
  const source = (r: Reexport) => importPath('index', r.module, r.ext);
  const out: Syntax.Statement[] = list.map((r) => ({ type: 'ExportAllDeclaration', source: source(r) }));
  out[0] = {
    ...out[0]!,
    leadingComments: [
      GENERATED_HEADER,
      '/** Everything generated from this schema: types and codecs, JSON Schemas, validators, capabilities, registry and clients. */',
    ],
  };
  const explicit: Syntax.Statement[] = [];
  for (const r of list) {
    const n = clashes.get(r);
    if (n) explicit.push({ type: 'ExportNamedDeclaration', specifiers: named(...n.sort(cmp)), source: source(r) });
  }
  if (explicit.length > 0) explicit[0] = { ...explicit[0]!, leadingComments: ['// Names exported by more than one module above: the first module wins.'] };
  return printModule([...out, ...explicit]);
}

export const registryEmitter: Emitter = {
  name: 'registry',
  emit(ir: IrProgram, options: EmitOptions): EmittedFile[] {
    return [
      { path: `${CAPABILITIES_MODULE}.ts`, content: capabilitiesTs(ir, options) },
      { path: `${REGISTRY_MODULE}.ts`, content: registryTs(ir, options) },
      { path: 'index.ts', content: indexTs(ir) },
    ];
  },
};

export const clientEmitter: Emitter = {
  name: 'client',
  emit(ir: IrProgram, options: EmitOptions): EmittedFile[] {
    return [{ path: `${CLIENT_MODULE}.ts`, content: clientTs(ir, options) }];
  },
};
