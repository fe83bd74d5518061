/**
 * JSON Schema (2020-12) of declared types, built from the IR alone; pure and deterministic (same IR →
 * structurally equal objects with the same key order). The mapping is the table of
 * docs/generated-code.md § "TypeScript and JSON forms", made exact where JSON Schema needs help:
 *
 * - `u64`/`i64` are `anyOf` a decimal string or a safe-integer number (what the JSON reader takes);
 *   the string, like integer map keys, carries a pattern matching exactly the canonical texts of the
 *   allowed range (type range narrowed by `min`/`max`): no `-0`, no leading zeros; the number has
 *   `minimum`/`maximum` of that range cut to the safe integers (±(2^53 − 1)).
 * - `bytes` carries a base64 pattern that also enforces `minLength`/`maxLength`, which count bytes.
 * - `f32`/`f64` accept a number or one of `"NaN"`, `"Infinity"`, `"-Infinity"`; with bounds, only the
 *   strings that satisfy them under IEEE comparison remain (`"NaN"` only without bounds,
 *   `"Infinity"` only without `max`, `"-Infinity"` only without `min`).
 * - `duration` (integer microseconds in a JS number) is bounded to the safe integers.
 * - `uuid` adds a pattern: 8-4-4-4-12 hex digits, either case, without ajv-formats' `urn:uuid:` prefix.
 * - string lengths count code points (as JSON Schema does, and as the checker measures defaults).
 *
 * Public API (the facts emitter imports it; keep the signatures stable):
 *   typeSchema(ir, typeName)               one self-contained document for a declared type (memoised, frozen)
 *   validationSchema(ir, typeName)         what validators are compiled from: `$ref`s by `$id`, no annotations
 *   validatorType(ir, typeName)            the type of the same shape whose validator serves `typeName`
 *   validationReferences(ir, typeName)     the types `validationSchema` references
 *   fieldTypeSchema(ir, type, constraints)  the schema of a field type, `$ref`s into `#/$defs/<fq name>`
 *   schemaId(typeName)                     the `$id` of a type's document
 *   JSON_SCHEMA_DIALECT                    the `$schema` URI
 */
import type { IrConstraints, IrField, IrProgram, IrType, IrTypeDecl } from '../../ir/ir.ts';
import type { JsonValue } from '../../../runtime/index.ts';
import { deepFreeze, defaultToJson, exampleJson } from '../shared/example.ts';
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
  u8: [0n, 255n],
  u16: [0n, 65535n],
  u32: [0n, 4294967295n],
  u64: [0n, 18446744073709551615n],
  i8: [-128n, 127n],
  i16: [-32768n, 32767n],
  i32: [-2147483648n, 2147483647n],
  i64: [-9223372036854775808n, 9223372036854775807n],
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
export function fieldTypeSchema(_ir: IrProgram, type: IrType, constraints: IrConstraints = {}): JsonSchemaObject {
  return typeExprSchema(type, constraints, defsRef);
}

/**
 * A self-contained JSON Schema 2020-12 document for the declared struct, union or enum `typeName`
 * (fully qualified): `$schema`, `$id` (see `schemaId`), `title` (short name), `description` (doc),
 * the type's own keywords, `examples: [exampleJson(ir, typeName)]`, and every type it references
 * (transitively) under `$defs` keyed by fully qualified name, sorted. References back to the root are
 * `{"$ref": "#"}`. Throws if `typeName` is not declared.
 *
 * Memoised per program (the json-schema and facts emitters ask for the same documents): the result
 * is deeply frozen and shared, so callers copy before changing anything.
 */
export function typeSchema(ir: IrProgram, typeName: string): JsonSchemaObject {
  const cache = schemaCache(ir);
  let doc = cache.documents.get(typeName);
  if (doc === undefined) {
    doc = deepFreeze(buildTypeSchema(ir, cache, typeName));
    cache.documents.set(typeName, doc);
  }
  return doc;
}

/**
 * The schema a validator is compiled from: the type's keywords without annotations (`title`,
 * `description`, `default`, `examples`), `$id` set (see `schemaId`), and references to other declared
 * types written as the `$id`s of their `validatorType`s, so that one ajv instance holding these
 * schemas compiles each shape once and shares it. Validates exactly what `typeSchema` does.
 */
export function validationSchema(ir: IrProgram, typeName: string): JsonSchemaObject {
  const v = validationOf(ir, typeName);
  return { $id: schemaId(typeName), ...v.body };
}

/**
 * The type whose validator also validates `typeName`: the first declared type (in declaration order)
 * whose `validationSchema` is the same apart from `$id`, references compared by `validatorType`.
 * Types on a reference cycle through other types are their own. Types in `validationSchema`'s
 * `$ref`s are always their own `validatorType`.
 */
export function validatorType(ir: IrProgram, typeName: string): string {
  return validationOf(ir, typeName).validator;
}

/** The types whose `$id`s `validationSchema(ir, typeName)` references. */
export function validationReferences(ir: IrProgram, typeName: string): ReadonlySet<string> {
  return validationOf(ir, typeName).refs;
}

interface Validation {
  readonly body: JsonSchemaObject;
  readonly refs: ReadonlySet<string>;
  readonly validator: string;
}

function validationOf(ir: IrProgram, typeName: string): Validation {
  const cache = schemaCache(ir);
  if (cache.validations.size === 0) {
    // Declaration order decides which of several equal shapes is the validator: compute them all.
    const shapes = new Map<string, string>();
    const visiting = new Set<string>();
    const pinned = new Set<string>();
    const visit = (name: string): Validation | undefined => {
      const done = cache.validations.get(name);
      if (done !== undefined) return done;
      if (visiting.has(name)) return undefined;
      const decl = cache.decls.get(name);
      if (!decl) throw new Error(`validationSchema: unknown type ${name}`);
      visiting.add(name);
      // A property, not a local: the callback below sets it, which narrowing of a local would not see.
      const found = { cyclic: false };
      const refs = new Set<string>();
      const body = declSchema(
        decl,
        (target) => {
          if (target === name) return '#';
          const ref = visit(target)?.validator;
          if (ref === undefined) {
            // `target` is being built further up: it and `name` are on a cycle and stay their own.
            found.cyclic = true;
            pinned.add(target);
          }
          refs.add(ref ?? target);
          return schemaId(ref ?? target);
        },
        false,
      );
      visiting.delete(name);
      let validator = name;
      if (!found.cyclic && !pinned.has(name)) {
        const key = JSON.stringify(body);
        validator = shapes.get(key) ?? name;
        if (validator === name) shapes.set(key, name);
      }
      const v: Validation = { body, refs, validator };
      cache.validations.set(name, v);
      return v;
    };
    for (const t of ir.types) visit(t.name);
  }
  const v = cache.validations.get(typeName);
  if (!v) throw new Error(`validationSchema: unknown type ${typeName}`);
  return v;
}

interface SchemaCache {
  readonly decls: ReadonlyMap<string, IrTypeDecl>;
  /** Each declaration's schema with `#/$defs/…` references, and the types it references directly. */
  readonly fragments: Map<string, { readonly schema: JsonSchemaObject; readonly refs: ReadonlySet<string> }>;
  readonly documents: Map<string, JsonSchemaObject>;
  readonly validations: Map<string, Validation>;
}

const caches = new WeakMap<IrProgram, SchemaCache>();

function schemaCache(ir: IrProgram): SchemaCache {
  let cache = caches.get(ir);
  if (cache === undefined) {
    cache = { decls: new Map(ir.types.map((t) => [t.name, t])), fragments: new Map(), documents: new Map(), validations: new Map() };
    caches.set(ir, cache);
  }
  return cache;
}

function fragmentOf(cache: SchemaCache, decl: IrTypeDecl): { readonly schema: JsonSchemaObject; readonly refs: ReadonlySet<string> } {
  let fragment = cache.fragments.get(decl.name);
  if (fragment === undefined) {
    const refs = new Set<string>();
    const schema = deepFreeze(declSchema(decl, (name) => (refs.add(name), defsRef(name)), true));
    fragment = { schema, refs };
    cache.fragments.set(decl.name, fragment);
  }
  return fragment;
}

function buildTypeSchema(ir: IrProgram, cache: SchemaCache, typeName: string): JsonSchemaObject {
  const root = cache.decls.get(typeName);
  if (!root) throw new Error(`typeSchema: unknown type ${typeName}`);
  const pending: string[] = [];
  const seen = new Set<string>([typeName]);
  // A declaration's schema depends on the document only where it references the document's root
  // (`#` instead of `#/$defs/<root>`): shared fragments serve every other case.
  const visit = (decl: IrTypeDecl): JsonSchemaObject => {
    const fragment = fragmentOf(cache, decl);
    for (const name of fragment.refs) {
      if (!seen.has(name)) {
        seen.add(name);
        pending.push(name);
      }
    }
    return fragment.refs.has(typeName) ? declSchema(decl, (name) => (name === typeName ? '#' : defsRef(name)), true) : fragment.schema;
  };
  const body = visit(root);
  const defs: Record<string, JsonSchemaObject> = {};
  for (let i = 0; i < pending.length; i++) {
    const name = pending[i]!;
    const decl = cache.decls.get(name);
    if (!decl) throw new Error(`typeSchema: ${typeName} references unknown type ${name}`);
    defs[name] = visit(decl);
  }
  const out: JsonSchemaObject = { $schema: JSON_SCHEMA_DIALECT, $id: schemaId(typeName), ...body, examples: [exampleJson(ir, typeName)] };
  const names = Object.keys(defs).sort();
  if (names.length > 0) out['$defs'] = Object.fromEntries(names.map((n) => [n, defs[n]!]));
  return out;
}

function declSchema(decl: IrTypeDecl, refOf: RefOf, annotate: boolean): JsonSchemaObject {
  const head: JsonSchemaObject = annotate ? { title: decl.shortName } : {};
  if (annotate && decl.doc !== undefined) head['description'] = decl.doc;
  switch (decl.kind) {
    case 'enum':
      return { ...head, enum: decl.members.map((m) => m.name) };
    case 'union':
      return {
        ...head,
        oneOf: decl.arms.map((arm) => ({
          type: 'object',
          properties: { [arm.name]: memberSchema(arm, refOf, annotate) },
          required: [arm.name],
          additionalProperties: false,
        })),
      };
    case 'struct': {
      const out: JsonSchemaObject = {
        ...head,
        type: 'object',
        properties: Object.fromEntries(decl.fields.map((f) => [f.name, memberSchema(f, refOf, annotate)])),
      };
      const required = decl.fields.filter((f) => !f.optional).map((f) => f.name);
      if (required.length > 0) out['required'] = required;
      out['additionalProperties'] = false;
      return out;
    }
  }
}

/** A struct field or union arm: its type with constraints, its doc as description, its default. */
function memberSchema(f: IrField, refOf: RefOf, annotate: boolean): JsonSchemaObject {
  const out: JsonSchemaObject = {};
  if (annotate && f.doc !== undefined) out['description'] = f.doc;
  Object.assign(out, typeExprSchema(f.type, f.constraints, refOf));
  if (annotate && f.default !== undefined) out['default'] = defaultToJson(f.default, f.type);
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

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A 64-bit integer in [lo, hi] as the JSON reader takes it (runtime/codec/json.ts fromJsonBigInt): its
 * canonical decimal string, or a JSON number that is a safe integer in the range (as protobuf's JSON
 * parsers accept; devices write `"ts": 1723622400000`). The number branch is left out where the range
 * holds no safe integer, since the reader then accepts only strings.
 */
function int64Schema(lo: bigint, hi: bigint): JsonSchemaObject {
  const text: JsonSchemaObject = { type: 'string', pattern: integerRangePattern(lo, hi) };
  const numLo = lo > -MAX_SAFE ? lo : -MAX_SAFE;
  const numHi = hi < MAX_SAFE ? hi : MAX_SAFE;
  if (numLo > numHi) return text;
  return { anyOf: [text, { type: 'integer', minimum: Number(numLo), maximum: Number(numHi) }] };
}

function scalarSchema(scalar: string, c: IrConstraints): JsonSchemaObject {
  const range = INT_RANGES[scalar];
  if (range) {
    const lo = c.min !== undefined && BigInt(c.min) > range[0] ? BigInt(c.min) : range[0];
    const hi = c.max !== undefined && BigInt(c.max) < range[1] ? BigInt(c.max) : range[1];
    if (scalar === 'u64' || scalar === 'i64') return int64Schema(lo, hi);
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
      const strings = FLOAT_STRINGS.filter((s) =>
        s === 'NaN' ? c.min === undefined && c.max === undefined : s === 'Infinity' ? c.max === undefined : c.min === undefined,
      );
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
