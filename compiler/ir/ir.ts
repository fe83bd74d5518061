/**
 * The checked, resolved, immutable program that emitters consume. Emitters read only this: never the
 * AST or text. Names of declarations are fully qualified (`fountain.gpu.JobResult`); collections are
 * sorted so that output does not depend on file or declaration order.
 */
import { LANE_NAMES, type LaneName } from '../../runtime/index.ts';
export const SCALARS = [
  'bool',
  'u8',
  'u16',
  'u32',
  'u64',
  'i8',
  'i16',
  'i32',
  'i64',
  'f32',
  'f64',
  'string',
  'bytes',
  'timestamp',
  'duration',
  'uuid',
  'json',
] as const;
export type ScalarName = (typeof SCALARS)[number];

export const QOS_LEVELS = ['at_most_once', 'at_least_once', 'exactly_once'] as const;
export type Qos = (typeof QOS_LEVELS)[number];

/** The lanes a topic may declare: exactly those the runtime has a framer for (runtime/lanes). */
export const LANES: readonly LaneName[] = LANE_NAMES;
export type Lane = LaneName;

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Width of the session capability mask in bits. */
export const CAPABILITY_MASK_WIDTH = 64;
/** Largest field number (29 bits, as in protobuf). */
export const MAX_FIELD_NUMBER = 536_870_911;

export type IrType =
  | { readonly kind: 'scalar'; readonly scalar: ScalarName }
  | { readonly kind: 'named'; readonly name: string; readonly declKind: 'struct' | 'union' | 'enum' }
  | { readonly kind: 'array'; readonly element: IrType }
  | { readonly kind: 'map'; readonly key: IrType; readonly value: IrType };

/** A constant value: defaults and examples. 64-bit integers are bigint. */
export type IrValue = string | number | bigint | boolean | null | readonly IrValue[] | { readonly enumMember: string };

export interface IrConstraints {
  readonly min?: number | bigint;
  readonly max?: number | bigint;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly pattern?: string;
  readonly format?: string;
  /** Explicit example of a string field, for constraints no sample can be derived from (docs/language.md). */
  readonly example?: string;
}

export interface IrSource {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export interface IrField {
  readonly name: string;
  readonly number: number;
  readonly type: IrType;
  readonly optional: boolean;
  readonly default?: IrValue;
  readonly constraints: IrConstraints;
  readonly doc?: string;
}

interface IrDeclBase {
  /** Fully qualified: package + '.' + short name. */
  readonly name: string;
  readonly shortName: string;
  readonly package: string;
  readonly doc?: string;
  readonly source: IrSource;
}

export interface IrStruct extends IrDeclBase {
  readonly kind: 'struct';
  /** In declaration order. */
  readonly fields: readonly IrField[];
  readonly reserved: readonly number[];
}

export interface IrUnion extends IrDeclBase {
  readonly kind: 'union';
  readonly arms: readonly IrField[];
  readonly reserved: readonly number[];
}

export interface IrEnumMember {
  readonly name: string;
  readonly value: number;
  readonly doc?: string;
}

export interface IrEnum extends IrDeclBase {
  readonly kind: 'enum';
  readonly members: readonly IrEnumMember[];
}

export type IrTypeDecl = IrStruct | IrUnion | IrEnum;

export interface IrErrorSet extends IrDeclBase {
  readonly kind: 'errors';
  readonly members: readonly (IrEnumMember & { readonly message?: string })[];
}

export interface IrCapability {
  readonly name: string;
  readonly bit: number;
  /** Where the bit came from: written in the schema, pinned in midl.lock, or assigned now. */
  readonly bitSource: 'declared' | 'lock' | 'assigned';
  readonly doc?: string;
  readonly source: IrSource;
}

export type AddressSegment = { readonly kind: 'literal'; readonly text: string } | { readonly kind: 'param'; readonly name: string };

/** Hints for LLM hosts (MCP annotations); present only when the schema states them. */
export interface IrHints {
  readonly title?: string;
  readonly readOnly?: boolean;
  readonly idempotent?: boolean;
  readonly destructive?: boolean;
  readonly openWorld?: boolean;
}

export interface IrTopic {
  readonly address: string;
  readonly segments: readonly AddressSegment[];
  readonly params: readonly string[];
  /** Stable 32-bit id derived from the address (parameters normalised), never from declaration order. */
  readonly id: number;
  /** LLM tool name, `^[a-zA-Z0-9_-]{1,64}$`. */
  readonly toolName: string;
  readonly package: string;
  readonly version: string;
  readonly payload: string;
  readonly reply?: string;
  readonly qos: Qos;
  readonly budget: { readonly latencyUs?: number; readonly jitterUs?: number };
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
  readonly errors?: string;
  readonly lane: Lane;
  readonly maxPayload: number;
  readonly stream: boolean;
  readonly hints: IrHints;
  readonly doc?: string;
  readonly source: IrSource;
}

export interface IrIntent {
  readonly name: string;
  readonly toolName: string;
  readonly package: string;
  readonly version: string;
  readonly body: string;
  readonly reply?: string;
  readonly http: {
    readonly method: HttpMethod;
    readonly path: string;
    readonly pathParams: readonly string[];
    /** Sent as multipart/form-data: each body field named here as a JSON file part; the other fields as form fields. */
    readonly fileParts?: readonly { readonly field: string; readonly part: string }[];
  };
  readonly service: string;
  readonly errors?: string;
  readonly hints: IrHints;
  readonly doc?: string;
  readonly source: IrSource;
}

export interface IrPackage {
  readonly name: string;
  readonly version: string;
  readonly doc?: string;
  readonly files: readonly string[];
}

export interface IrProgram {
  readonly packages: readonly IrPackage[];
  readonly types: readonly IrTypeDecl[];
  readonly errorSets: readonly IrErrorSet[];
  readonly capabilities: readonly IrCapability[];
  readonly topics: readonly IrTopic[];
  readonly intents: readonly IrIntent[];
}

/** Freezes the IR in place so no emitter can alter what another one reads. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
