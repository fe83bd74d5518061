import type { IrConstraints, IrField, IrProgram, IrType, IrTypeDecl, IrValue } from '../../ir/ir.ts';
import type { JsonValue } from '../../../runtime/index.ts';
import { stringExample } from '../../ir/string-example.ts';

const INT_LIMITS: Readonly<Record<string, readonly [bigint, bigint]>> = {
  u8: [0n, 255n],
  u16: [0n, 65535n],
  u32: [0n, 4294967295n],
  u64: [0n, 18446744073709551615n],
  i8: [-128n, 127n],
  i16: [-32768n, 32767n],
  i32: [-2147483648n, 2147483647n],
  i64: [-9223372036854775808n, 9223372036854775807n],
};

/**
 * A deterministic, valid example of a declared type, in its canonical JSON form
 * (docs/generated-code.md): defaults first, then the smallest values the constraints allow.
 * Optional fields are included when they are scalars or collections, so examples show the shape;
 * optional references that would recurse are left out. The result is shared and frozen: copy to change it.
 */
export function exampleJson(ir: IrProgram, typeName: string): JsonValue {
  let cache = caches.get(ir);
  if (cache === undefined) {
    cache = { decls: new Map(ir.types.map((t) => [t.name, t])), examples: new Map() };
    caches.set(ir, cache);
  }
  let example = cache.examples.get(typeName);
  if (example === undefined) {
    example = deepFreeze(exampleOfDecl(cache.decls, typeName, new Set()));
    cache.examples.set(typeName, example);
  }
  return example;
}

/** Examples are asked for per type by several emitters: memoised per program, deeply frozen and shared. */
const caches = new WeakMap<IrProgram, { readonly decls: ReadonlyMap<string, IrTypeDecl>; readonly examples: Map<string, JsonValue> }>();

/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function exampleOfDecl(decls: ReadonlyMap<string, IrTypeDecl>, name: string, stack: ReadonlySet<string>): JsonValue {
  const decl = decls.get(name);
  if (!decl) throw new Error(`exampleJson: unknown type ${name}`);
  if (decl.kind === 'enum') return decl.members[0]?.name ?? '';
  const inner = new Set(stack).add(name);
  if (decl.kind === 'union') {
    const arm = decl.arms.find((a) => !refersTo(a.type, stack)) ?? decl.arms[0];
    return arm ? { [arm.name]: exampleOfField(decls, arm, inner) } : {};
  }
  const out: { [k: string]: JsonValue } = {};
  for (const f of decl.fields) {
    if (f.optional && refersTo(f.type, inner)) continue;
    out[f.name] = exampleOfField(decls, f, inner);
  }
  return out;
}

/** Whether `type` names (directly or through collections) a declaration already on the stack. */
function refersTo(type: IrType, stack: ReadonlySet<string>): boolean {
  switch (type.kind) {
    case 'scalar':
      return false;
    case 'array':
      return refersTo(type.element, stack);
    case 'map':
      return refersTo(type.value, stack);
    case 'named':
      return stack.has(type.name);
  }
}

function exampleOfField(decls: ReadonlyMap<string, IrTypeDecl>, f: IrField, stack: ReadonlySet<string>): JsonValue {
  if (f.default !== undefined) return defaultToJson(f.default, f.type);
  return exampleOfType(decls, f.type, f.constraints, stack);
}

function exampleOfType(decls: ReadonlyMap<string, IrTypeDecl>, type: IrType, c: IrConstraints, stack: ReadonlySet<string>): JsonValue {
  switch (type.kind) {
    case 'named':
      return exampleOfDecl(decls, type.name, stack);
    case 'array': {
      const n = collectionSize(c, refersTo(type.element, stack));
      return Array.from({ length: n }, () => exampleOfType(decls, type.element, {}, stack));
    }
    case 'map': {
      const n = collectionSize(c, refersTo(type.value, stack));
      const out: { [k: string]: JsonValue } = {};
      for (let i = 0; i < n; i++) {
        const key = type.key.kind === 'scalar' && type.key.scalar === 'string' ? (i === 0 ? 'key' : `key${i}`) : String(i);
        out[key] = exampleOfType(decls, type.value, {}, stack);
      }
      return out;
    }
    case 'scalar':
      return exampleOfScalar(type.scalar, c);
  }
}

/** One element to show the shape; as few as allowed when elements would recurse into a type being built. */
function collectionSize(c: IrConstraints, recursive: boolean): number {
  return recursive ? (c.minItems ?? 0) : Math.min(Math.max(c.minItems ?? 0, 1), c.maxItems ?? 1);
}

function exampleOfScalar(scalar: string, c: IrConstraints): JsonValue {
  const limits = INT_LIMITS[scalar];
  if (limits) {
    let v = 0n;
    const lo = c.min !== undefined ? BigInt(c.min) : limits[0];
    const hi = c.max !== undefined ? BigInt(c.max) : limits[1];
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    return scalar === 'u64' || scalar === 'i64' ? v.toString() : Number(v);
  }
  switch (scalar) {
    case 'f32':
    case 'f64': {
      let v = 0;
      if (c.min !== undefined && v < Number(c.min)) v = Number(c.min);
      if (c.max !== undefined && v > Number(c.max)) v = Number(c.max);
      return v;
    }
    case 'bool':
      return false;
    case 'string':
      return exampleString(c);
    case 'bytes':
      return Buffer.alloc(c.minLength ?? 0).toString('base64');
    case 'timestamp':
      return '2026-01-01T00:00:00.000Z';
    case 'duration':
      return 1000;
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
    case 'json':
      return {};
  }
  return null;
}

function exampleString(c: IrConstraints): string {
  const s = stringExample(c);
  // The checker refuses a string field no example satisfies (MIDL1319), so this is a compiler defect.
  if (s === undefined) throw new Error(`exampleJson: no valid example for constraints ${JSON.stringify(c)}; the checker should have reported MIDL1319`);
  return s;
}

/** A schema default (IR value) in canonical JSON form. */
export function defaultToJson(value: IrValue, type: IrType): JsonValue {
  if (value === null) return null;
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) {
    const element = type.kind === 'array' ? type.element : type;
    return (value as readonly IrValue[]).map((v) => defaultToJson(v, element));
  }
  if (typeof value === 'object' && 'enumMember' in value) return value.enumMember;
  if (type.kind === 'scalar' && type.scalar === 'bytes' && typeof value === 'string') return Buffer.from(value, 'hex').toString('base64');
  if (type.kind === 'scalar' && type.scalar === 'timestamp' && typeof value === 'string') return new Date(value).toISOString();
  return value as JsonValue;
}
