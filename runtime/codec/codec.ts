import type { Reader } from './reader.ts';
import type { Writer } from './writer.ts';

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

/**
 * What generated code adds to a struct or union codec so that other generated modules can nest the
 * type. Not for application code: these members may change with the generator.
 */
export interface MessageCodec<T> extends Codec<T> {
  /** Writes the message body (its fields, without a length prefix). */
  readonly $encode: (w: Writer, value: T) => void;
  /** Reads a message body that ends at `end`. */
  readonly $decode: (r: Reader, end: number) => T;
  readonly $fromJSON: (json: unknown, path: string) => T;
  readonly $validate: (value: unknown, path: string, errors: ValidationIssue[]) => void;
}

/** An enum codec: `values` maps member names to numbers, `names` numbers to member names. */
export interface EnumCodec<T extends string> extends Codec<T> {
  readonly values: { readonly [K in T]: number };
  readonly names: { readonly [n: number]: T };
  /** The number of a member (as in `values`); throws TypeError for a name that is not a member. */
  readonly $number: (value: T) => number;
  /** The member of a number, undefined when the schema does not know it. */
  readonly $member: (n: number) => T | undefined;
  readonly $fromJSON: (json: unknown, path: string) => T;
  readonly $validate: (value: unknown, path: string, errors: ValidationIssue[]) => void;
}
