/**
 * JSON Schema (2020-12) of declared types, built from the IR alone; pure and deterministic (same IR →
 * structurally equal objects with the same key order). The mapping is the table of
 * docs/generated-code.md § "TypeScript and JSON forms", made exact where JSON Schema needs help:
 *
 * - `u64`/`i64` (decimal strings) and integer map keys carry a pattern matching exactly the canonical
 *   texts of the allowed range (type range narrowed by `min`/`max`): no `-0`, no leading zeros.
 * - `bytes` carries a base64 pattern that also enforces `minLength`/`maxLength`, which count bytes.
 * - `f32`/`f64` accept a number or one of `"NaN"`, `"Infinity"`, `"-Infinity"`; with bounds, only the
 *   strings that satisfy them under IEEE comparison remain (`"NaN"` only without bounds,
 *   `"Infinity"` only without `max`, `"-Infinity"` only without `min`).
 * - `duration` (integer microseconds in a JS number) is bounded to the safe integers.
 * - `uuid` adds a pattern: 8-4-4-4-12 hex digits, either case, without ajv-formats' `urn:uuid:` prefix.
 * - string lengths count code points (as JSON Schema does, and as the checker measures defaults).
 *
 * Public API (the facts emitter imports it; keep the signatures stable):
 *   typeSchema(ir, typeName)               one self-contained document for a declared type
 *   fieldTypeSchema(ir, type, constraints)  the schema of a field type, `$ref`s into `#/$defs/<fq name>`
 *   schemaId(typeName)                     the `$id` of a type's document
 *   JSON_SCHEMA_DIALECT                    the `$schema` URI
 */
import type { IrConstraints, IrField, IrProgram, IrType, IrTypeDecl } from '../../ir/ir.ts';
import type { JsonValue } from '../../../runtime/codec/codec.ts';
import { defaultToJson, exampleJson } from '../shared/example.ts';
import { base64Pattern, integerRangePattern } from './patterns.ts';

export type JsonSchemaObject = { [key: string]: JsonValue };

export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';
/** Base of every `$id` midl writes; `schemaId` appends `<fq name>.schema.json`. */
export const SCHEMA_ID_BASE = 'https://midl.dev/schemas/';

/** `$id` of the document of a declared type: `https://midl.dev/schemas/<package>.<Name>.schema.json`. */
export function schemaId(typeName: string): string {
  return `${SCHEMA_ID_BASE}${typeName}.schema.json`;
}

const INT_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  u8: [0n, 255n], u16: [0n, 65535n], u32: [0n, 4294967295n], u64: [0n, 18446744073709551615n],
  i8: [-128n, 127n], i16: [-32768n, 32767n], i32: [-2147483648n, 2147483647n], i64: [-9223372036854775808n, 9223372036854775807n],
};
const FLOAT_STRINGS = ['NaN', 'Infinity', '-Infinity'] as const;
/** 8-4-4-4-12 hex digits, either case (decoders give lower case). */
const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/** How references to declared types are written: the root of a document is `#`, others live in `$defs`. */
type RefOf = (typeName: string) => string;

const defsRef: RefOf = (name) => `#/$defs/${name}`;

/**
 * The schema of a field (or element) type with the field's constraints applied. Named types become
 * `{"$ref": "#/$defs/<fq name>"}`: embed the result where those `$defs` exist (as `typeSchema` does).
 */
export function fieldTypeSchema(ir: IrProgram, type: IrType, constraints: IrConstraints = {}): JsonSchemaObject {
  void ir;
  return typeExprSchema(type, constraints, defsRef);
}

/**
 * A self-contained JSON Schema 2020-12 document for the declared struct, union or enum `typeName`
 * (fully qualified): `$schema`, `$id` (see `schemaId`), `title` (short name), `description` (doc),
 * the type's own keywords, `examples: [exampleJson(ir, typeName)]`, and every type it references
 * (transitively) under `$defs` keyed by fully qualified name, sorted. References back to the root are
 * `{"$ref": "#"}`. Throws if `typeName` is not declared.
 */
export function typeSchema(ir: IrProgram, typeName: string): JsonSchemaObject {
  const decls = new Map<string, IrTypeDecl>(ir.types.map((t) => [t.name, t]));
  const root = decls.get(typeName);
  if (!root) throw new Error(`typeSchema: unknown type ${typeName}`);
  const pending: string[] = [];
  const seen = new Set<string>([typeName]);
  const refOf: RefOf = (name) => {
    if (name === typeName) return '#';
    if (!seen.has(name)) {
      seen.add(name);
      pending.push(name);
    }
    return defsRef(name);
  };
  const body = declSchema(root, refOf);
  const defs: Record<string, JsonSchemaObject> = {};
  for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
    const decl = decls.get(name);
    if (!decl) throw new Error(`typeSchema: ${typeName} references unknown type ${name}`);
    defs[name] = declSchema(decl, refOf);
  }
  const out: JsonSchemaObject = { $schema: JSON_SCHEMA_DIALECT, $id: schemaId(typeName), ...body, examples: [exampleJson(ir, typeName)] };
  const names = Object.keys(defs).sort();
  if (names.length > 0) out['$defs'] = Object.fromEntries(names.map((n) => [n, defs[n]!]));
  return out;
}

function declSchema(decl: IrTypeDecl, refOf: RefOf): JsonSchemaObject {
  const head: JsonSchemaObject = { title: decl.shortName };
  if (decl.doc !== undefined) head['description'] = decl.doc;
  switch (decl.kind) {
    case 'enum':
      return { ...head, enum: decl.members.map((m) => m.name) };
    case 'union':
      return {
        ...head,
        oneOf: decl.arms.map((arm) => ({
          type: 'object',
          properties: { [arm.name]: memberSchema(arm, refOf) },
          required: [arm.name],
          additionalProperties: false,
        })),
      };
    case 'struct': {
      const out: JsonSchemaObject = { ...head, type: 'object', properties: Object.fromEntries(decl.fields.map((f) => [f.name, memberSchema(f, refOf)])) };
      const required = decl.fields.filter((f) => !f.optional).map((f) => f.name);
      if (required.length > 0) out['required'] = required;
      out['additionalProperties'] = false;
      return out;
    }
  }
}

/** A struct field or union arm: its type with constraints, its doc as description, its default. */
function memberSchema(f: IrField, refOf: RefOf): JsonSchemaObject {
  const out: JsonSchemaObject = {};
  if (f.doc !== undefined) out['description'] = f.doc;
  Object.assign(out, typeExprSchema(f.type, f.constraints, refOf));
  if (f.default !== undefined) out['default'] = defaultToJson(f.default, f.type);
  return out;
}

function typeExprSchema(type: IrType, c: IrConstraints, refOf: RefOf): JsonSchemaObject {
  switch (type.kind) {
    case 'named':
      return { $ref: refOf(type.name) };
    case 'array': {
      const out: JsonSchemaObject = { type: 'array', items: typeExprSchema(type.element, {}, refOf) };
      if (c.minItems !== undefined) out['minItems'] = c.minItems;
      if (c.maxItems !== undefined) out['maxItems'] = c.maxItems;
      return out;
    }
    case 'map': {
      const out: JsonSchemaObject = { type: 'object' };
      const keyRange = type.key.kind === 'scalar' ? INT_RANGES[type.key.scalar] : undefined;
      if (keyRange) out['propertyNames'] = { type: 'string', pattern: integerRangePattern(keyRange[0], keyRange[1]) };
      out['additionalProperties'] = typeExprSchema(type.value, {}, refOf);
      if (c.minItems !== undefined) out['minProperties'] = c.minItems;
      if (c.maxItems !== undefined) out['maxProperties'] = c.maxItems;
      return out;
    }
    case 'scalar':
      return scalarSchema(type.scalar, c);
  }
}

function scalarSchema(scalar: string, c: IrConstraints): JsonSchemaObject {
  const range = INT_RANGES[scalar];
  if (range) {
    const lo = c.min !== undefined && BigInt(c.min) > range[0] ? BigInt(c.min) : range[0];
    const hi = c.max !== undefined && BigInt(c.max) < range[1] ? BigInt(c.max) : range[1];
    if (scalar === 'u64' || scalar === 'i64') return { type: 'string', pattern: integerRangePattern(lo, hi) };
    return { type: 'integer', minimum: Number(lo), maximum: Number(hi) };
  }
  switch (scalar) {
    case 'bool':
      return { type: 'boolean' };
    case 'f32':
    case 'f64': {
      const num: JsonSchemaObject = { type: 'number' };
      if (c.min !== undefined) num['minimum'] = Number(c.min);
      if (c.max !== undefined) num['maximum'] = Number(c.max);
      const strings = FLOAT_STRINGS.filter((s) => (s === 'NaN' ? c.min === undefined && c.max === undefined : s === 'Infinity' ? c.max === undefined : c.min === undefined));
      return strings.length === 0 ? num : { anyOf: [num, { enum: [...strings] }] };
    }
    case 'string': {
      const out: JsonSchemaObject = { type: 'string' };
      if (c.minLength !== undefined) out['minLength'] = c.minLength;
      if (c.maxLength !== undefined) out['maxLength'] = c.maxLength;
      if (c.pattern !== undefined) out['pattern'] = c.pattern;
      if (c.format !== undefined) out['format'] = c.format;
      return out;
    }
    case 'bytes':
      return { type: 'string', contentEncoding: 'base64', pattern: base64Pattern(c.minLength ?? 0, c.maxLength) };
    case 'timestamp':
      return { type: 'string', format: 'date-time' };
    case 'duration':
      // Integer microseconds in a JS number: only safe integers survive encode/decode exactly.
      return { type: 'integer', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };
    case 'uuid':
      // ajv-formats' "uuid" also takes a `urn:uuid:` prefix, which the TypeScript form does not.
      return { type: 'string', format: 'uuid', pattern: UUID_PATTERN };
    case 'json':
      return {};
  }
  throw new Error(`typeSchema: unknown scalar ${scalar}`);
}
