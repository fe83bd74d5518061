/**
 * The JSON Schema emitters (docs/generated-code.md § Layout), one per target so that a job can take
 * the schema constants its types need without the files for other tools or the ajv validators:
 *   schemas/<package>.ts                        `export const <N>Schema = {…} as const;` per type   (schemas)
 *   schemas/json/<package>.<Name>.schema.json   the same documents as JSON files                     (json-schema)
 *   schemas/json/envelope/*.schema.json          binary envelope header, Flex JSON envelope and replies, SSE envelope (json-schema)
 *   validators/<package>.js + .d.ts             ajv standalone validators `validate<N>` (compiled now, not at run time) (validators)
 */
import type { IrProgram, IrTypeDecl } from '../../ir/ir.ts';
import { GENERATED_HEADER, type EmitOptions, type EmittedFile, type Emitter } from '../emitter.ts';
import { packagesOf, runtimeSpecifier, schemasModule, tsNames, validatorsModule } from '../shared/names.ts';
import { docCommentText, jsonLiteral, printModule, stmt, withComments } from '../shared/ts/index.ts';
import { envelopeSchemas } from './envelope.ts';
import { schemaId, typeSchema, validationReferences, validationSchema, validatorType, type JsonSchemaObject } from './schema.ts';
import { standaloneValidators } from './validators.ts';

/** Pretty JSON as written to `.schema.json` files: 2-space indent, one trailing newline. */
export function jsonFile(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Path of a type's JSON Schema file, relative to the output directory. */
export function schemaJsonPath(typeName: string): string {
  return `schemas/json/${typeName}.schema.json`;
}

/** Exported names in generated code: `<N>Schema` in schemas/<package>.ts, `validate<N>` in validators/<package>.js. */
export function schemaConstName(tsName: string): string {
  return `${tsName}Schema`;
}

export function validatorName(tsName: string): string {
  return `validate${tsName}`;
}

/** `export const <N>Schema = {…} as const;` per type, objects one property per line as in the `.schema.json` files. */
function schemasTs(pkg: string, entries: readonly { decl: IrTypeDecl; name: string; schema: JsonSchemaObject }[]): string {
  const head = `${GENERATED_HEADER}\n/** JSON Schema (2020-12) of every type of package ${pkg || '(none)'}: the JSON form of docs/generated-code.md. */\n`;
  // Each constant is printed on its own (top-level statements lay out alone), a blank line before it.
  const constants = entries.map((e) =>
    printModule([withComments(stmt`export const ${schemaConstName(e.name)} = ${jsonLiteral(e.schema, true)} as const;`, docCommentText(e.decl.name))]),
  );
  return [head, ...constants].join('\n');
}

/**
 * The validation schemas a package's validators module is compiled from: those of its types'
 * `validatorType`s and of every type they reference, directly or not, in any package.
 */
function validationSchemasOf(ir: IrProgram, types: readonly IrTypeDecl[]): JsonSchemaObject[] {
  const seen = new Set<string>();
  const out: JsonSchemaObject[] = [];
  // A queue read by index: shift() moves the whole array each time, quadratic over many types.
  const pending = types.map((t) => validatorType(ir, t.name));
  for (let next = 0; next < pending.length; next++) {
    const name = pending[next]!;
    if (seen.has(name)) continue;
    seen.add(name);
    out.push(validationSchema(ir, name));
    for (const ref of validationReferences(ir, name)) pending.push(ref);
  }
  return out;
}

/** Exported names of the envelope validators, by schema file; `Wire` keeps them apart from schema types' validators. */
const ENVELOPE_VALIDATORS: Readonly<Record<string, string>> = {
  'header.schema.json': 'validateWireEnvelopeHeader',
  'flex.schema.json': 'validateWireFlexEnvelope',
  'flex-reply.schema.json': 'validateWireFlexReply',
  'sse.schema.json': 'validateWireSseEnvelope',
};

function missingEnvelopeName(file: string): never {
  throw new Error(`json-schema emitter: no validator name for envelope schema ${file}`);
}

/** Each package's types with their exported names and schema documents. */
function schemaEntries(ir: IrProgram, pkg: string): { decl: IrTypeDecl; name: string; schema: JsonSchemaObject }[] {
  const names = tsNames(ir);
  return ir.types.filter((t) => t.package === pkg).map((decl) => ({ decl, name: names.get(decl.name) ?? decl.shortName, schema: typeSchema(ir, decl.name) }));
}

/** `schemas`: the JSON Schema constants the generated codecs point at (`jsonSchema`). */
export const schemasEmitter: Emitter = {
  name: 'schemas',
  emit(ir: IrProgram): EmittedFile[] {
    return packagesOf(ir).map((pkg) => ({ path: `${schemasModule(pkg)}.ts`, content: schemasTs(pkg, schemaEntries(ir, pkg)) }));
  },
};

/** `json-schema`: the schema documents as `.schema.json` files, for tools outside TypeScript, and the wire envelopes' schemas. */
export const jsonSchemaEmitter: Emitter = {
  name: 'json-schema',
  emit(ir: IrProgram): EmittedFile[] {
    const files: EmittedFile[] = [];
    for (const pkg of packagesOf(ir)) for (const e of schemaEntries(ir, pkg)) files.push({ path: schemaJsonPath(e.decl.name), content: jsonFile(e.schema) });
    for (const env of envelopeSchemas()) files.push({ path: `schemas/json/envelope/${env.file}`, content: jsonFile(env.schema) });
    return files;
  },
};

/** Module (without extension) of the wire envelopes' validators, relative to the output directory. */
const ENVELOPE_VALIDATORS_MODULE = 'validators/envelope/index';

/** `validators`: ajv standalone validators of every type and of the wire envelopes. */
export const validatorsEmitter: Emitter = {
  name: 'validators',
  emit(ir: IrProgram, options: EmitOptions): EmittedFile[] {
    const names = tsNames(ir);
    const files: EmittedFile[] = [];
    for (const pkg of packagesOf(ir)) {
      const types = ir.types.filter((t) => t.package === pkg);
      const { js, dts } = standaloneValidators(
        types.map((decl) => {
          const name = names.get(decl.name) ?? decl.shortName;
          return {
            exportName: validatorName(name),
            id: schemaId(validatorType(ir, decl.name)),
            what: `Validates the JSON form of ${decl.name} (${schemaConstName(name)}).`,
          };
        }),
        validationSchemasOf(ir, types),
        runtimeSpecifier(options.runtimeImport, validatorsModule(pkg)),
      );
      files.push({ path: `${validatorsModule(pkg)}.js`, content: js }, { path: `${validatorsModule(pkg)}.d.ts`, content: dts });
    }
    const envelopes = envelopeSchemas();
    // The wire envelopes get ahead-of-time validators too; a folder keeps them apart from package modules.
    const envelopeValidators = standaloneValidators(
      envelopes.map((env) => ({
        exportName: ENVELOPE_VALIDATORS[env.file] ?? missingEnvelopeName(env.file),
        id: env.schema['$id'] as string,
        what: `Validates ${typeof env.schema['title'] === 'string' ? env.schema['title'] : env.file} (schemas/json/envelope/${env.file}).`,
      })),
      envelopes.map((env) => env.schema),
      runtimeSpecifier(options.runtimeImport, ENVELOPE_VALIDATORS_MODULE),
    );
    files.push(
      { path: `${ENVELOPE_VALIDATORS_MODULE}.js`, content: envelopeValidators.js },
      { path: `${ENVELOPE_VALIDATORS_MODULE}.d.ts`, content: envelopeValidators.dts },
    );
    return files;
  },
};
