/** JSON as it is parsed: what toJSON returns and fromJSON accepts. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON Schema (2020-12) document or fragment. */
export type JsonSchema = { readonly [key: string]: unknown } | boolean;

export interface ValidationIssue {
  /** JSON Pointer into the JSON form of the value, e.g. `/layouts/0/id` ('' for the root). */
  readonly path: string;
  readonly message: string;
}

export type ValidationResult = { readonly ok: true } | { readonly ok: false; readonly errors: readonly ValidationIssue[] };

/** What every generated type exports (see docs/generated-code.md). */
export interface Codec<T> {
  readonly typeName: string;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
  toJSON(value: T): JsonValue;
  fromJSON(json: unknown): T;
  validate(value: unknown): ValidationResult;
  readonly jsonSchema: JsonSchema;
  example(): T;
}
