/**
 * The `json-schema` emitter (docs/generated-code.md § Layout):
 *   schemas/<package>.ts                        `export const <N>Schema = {…} as const;` per type
 *   schemas/json/<package>.<Name>.schema.json   the same documents as JSON files
 *   schemas/json/envelope/*.schema.json          binary envelope header, Flex JSON envelope and replies, SSE envelope
 *   validators/<package>.js + .d.ts             ajv standalone validators `validate<N>` (compiled now, not at run time)
 */
import type { IrProgram, IrTypeDecl } from '../../ir/ir.ts';
import { GENERATED_HEADER, type EmittedFile, type Emitter } from '../emitter.ts';
import { packagesOf, schemasModule, tsNames, validatorsModule } from '../shared/names.ts';
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
  const pending = types.map((t) => validatorType(ir, t.name));
  for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
    if (seen.has(name)) continue;
    seen.add(name);
    out.push(validationSchema(ir, name));
    pending.push(...validationReferences(ir, name));
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

export const jsonSchemaEmitter: Emitter = {
  name: 'json-schema',
  emit(ir: IrProgram): EmittedFile[] {
    const names = tsNames(ir);
    const files: EmittedFile[] = [];
    for (const pkg of packagesOf(ir)) {
      const entries = ir.types
        .filter((t) => t.package === pkg)
        .map((decl) => ({ decl, name: names.get(decl.name) ?? decl.shortName, schema: typeSchema(ir, decl.name) }));
      files.push({ path: `${schemasModule(pkg)}.ts`, content: schemasTs(pkg, entries) });
      for (const e of entries) files.push({ path: schemaJsonPath(e.decl.name), content: jsonFile(e.schema) });
      const { js, dts } = standaloneValidators(
        entries.map((e) => ({
          exportName: validatorName(e.name),
          id: schemaId(validatorType(ir, e.decl.name)),
          what: `Validates the JSON form of ${e.decl.name} (${schemaConstName(e.name)}).`,
        })),
        validationSchemasOf(
          ir,
          entries.map((e) => e.decl),
        ),
      );
      files.push({ path: `${validatorsModule(pkg)}.js`, content: js }, { path: `${validatorsModule(pkg)}.d.ts`, content: dts });
    }
    const envelopes = envelopeSchemas();
    for (const env of envelopes) files.push({ path: `schemas/json/envelope/${env.file}`, content: jsonFile(env.schema) });
    // The wire envelopes get ahead-of-time validators too; a folder keeps them apart from package modules.
    const envelopeValidators = standaloneValidators(
      envelopes.map((env) => ({
        exportName: ENVELOPE_VALIDATORS[env.file] ?? missingEnvelopeName(env.file),
        id: env.schema['$id'] as string,
        what: `Validates ${env.schema['title'] ?? env.file} (schemas/json/envelope/${env.file}).`,
      })),
      envelopes.map((env) => env.schema),
    );
    files.push(
      { path: 'validators/envelope/index.js', content: envelopeValidators.js },
      { path: 'validators/envelope/index.d.ts', content: envelopeValidators.dts },
    );
    return files;
  },
};
