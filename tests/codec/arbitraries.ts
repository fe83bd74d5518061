/**
 * fast-check arbitraries of TypeScript values for any declared type, built from the IR: the values
 * the generated codecs must round-trip. Constraints are ignored on purpose (the binary and JSON forms
 * carry invalid values too); boundaries are mixed in (integer limits, 2^64 - 1, empty and long strings,
 * non-ASCII and astral characters, deep nesting).
 *
 * Policies the values follow (documented in docs/wire.md § Payload):
 * - strings are well-formed UTF-16 (a lone surrogate becomes U+FFFD on the wire; tested separately);
 * - f32 values are f32-representable (`Math.fround`), and floats are never -0 (JSON text has no -0);
 * - timestamps hold whole milliseconds inside the range of Date; uuids are lower case;
 * - `json` values are what JSON.parse produces, without `__proto__` keys (refused inside json values).
 */
import fc from 'fast-check';
import type { IrProgram, IrType, IrTypeDecl } from '../../compiler/ir/ir.ts';

const INT: Readonly<Record<string, readonly [number, number]>> = {
  u8: [0, 255],
  u16: [0, 65535],
  u32: [0, 4294967295],
  i8: [-128, 127],
  i16: [-32768, 32767],
  i32: [-2147483648, 2147483647],
};
const BIG: Readonly<Record<string, readonly [bigint, bigint]>> = {
  u64: [0n, 18446744073709551615n],
  i64: [-9223372036854775808n, 9223372036854775807n],
};

const noNegZero = (x: number) => (Object.is(x, -0) ? 0 : x);

const stringArb = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }) },
  { weight: 1, arbitrary: fc.constantFrom('', 'é', '😀', '\u0000', '\ufeffbom', 'x'.repeat(200), 'ü'.repeat(300), '日本語テキスト') },
);

// Without `__proto__` keys, which decode and fromJSON refuse inside json values (issue 10; tested in hostile-json.test.ts).
const jsonArb: fc.Arbitrary<unknown> = fc
  .jsonValue({ maxDepth: 3 })
  .map((v) => JSON.stringify(v))
  .filter((text) => !text.includes('"__proto__":'))
  .map((text) => JSON.parse(text) as unknown);

function scalarArb(scalar: string): fc.Arbitrary<unknown> {
  const int = INT[scalar];
  if (int) return fc.integer({ min: int[0], max: int[1] });
  const big = BIG[scalar];
  if (big) return fc.oneof(fc.bigInt({ min: big[0], max: big[1] }), fc.constantFrom(big[0], big[1], 0n, -1n < big[0] ? 1n : -1n, 2n ** 32n, 2n ** 53n));
  switch (scalar) {
    case 'bool':
      return fc.boolean();
    case 'f32':
      return fc.float({ noDefaultInfinity: false }).map((x) => noNegZero(Math.fround(x)));
    case 'f64':
      return fc.oneof(fc.double(), fc.constantFrom(0.1, 204.8, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity)).map(noNegZero);
    case 'string':
      return stringArb;
    case 'bytes':
      return fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constant(new Uint8Array(300).fill(7)));
    case 'timestamp':
      return fc
        .oneof(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.constantFrom(0, -1, 1_767_225_600_000, 253402300799999, -8.64e15, 8.64e15))
        .map((ms) => new Date(ms));
    case 'duration':
      return fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -1e7, max: 1e7 }));
    case 'uuid':
      return fc.uuid().map((s) => s.toLowerCase());
    case 'json':
      return jsonArb;
  }
  throw new Error(`no arbitrary for scalar ${scalar}`);
}

/** Values of the declared type `name`; recursion stops after `maxDepth` levels. */
export function arbitraryOf(ir: IrProgram, name: string, maxDepth = 3): fc.Arbitrary<unknown> {
  const decls = new Map<string, IrTypeDecl>(ir.types.map((t) => [t.name, t]));
  const ofType = (t: IrType, depth: number): fc.Arbitrary<unknown> => {
    switch (t.kind) {
      case 'scalar':
        return scalarArb(t.scalar);
      case 'named':
        return ofDecl(t.name, depth + 1);
      case 'array':
        return depth >= maxDepth ? fc.constant([]).map(() => []) : fc.array(ofType(t.element, depth), { maxLength: 4 });
      case 'map': {
        if (depth >= maxDepth) return fc.constant(null).map(() => new Map());
        const key = ofType(t.key, depth);
        return fc.uniqueArray(fc.tuple(key, ofType(t.value, depth)), { maxLength: 4, selector: (kv) => kv[0] }).map((kvs) => new Map(kvs));
      }
    }
  };
  /** Whether a value of `t` can be built without nesting deeper (arrays and maps can be empty). */
  const finite = (t: IrType, seen: ReadonlySet<string>): boolean => {
    if (t.kind !== 'named') return true;
    const d = decls.get(t.name)!;
    if (d.kind === 'enum') return true;
    if (seen.has(d.name)) return false;
    const inner = new Set(seen).add(d.name);
    if (d.kind === 'struct') return d.fields.every((f) => f.optional || f.type.kind !== 'named' || finite(f.type, inner));
    return d.arms.some((a) => a.type.kind !== 'named' || finite(a.type, inner));
  };
  const ofDecl = (declName: string, depth: number): fc.Arbitrary<unknown> => {
    const d = decls.get(declName);
    if (!d) throw new Error(`unknown type ${declName}`);
    if (d.kind === 'enum') return fc.constantFrom(...d.members.map((m) => m.name));
    const deep = depth >= maxDepth;
    if (d.kind === 'union') {
      const arms = deep ? d.arms.filter((a) => a.type.kind !== 'named' || finite(a.type, new Set([d.name]))) : d.arms;
      return fc.oneof(...(arms.length > 0 ? arms : d.arms).map((a) => ofType(a.type, depth).map((value) => ({ kind: a.name, value }))));
    }
    const fields: Record<string, fc.Arbitrary<unknown>> = {};
    const required: string[] = [];
    for (const f of d.fields) {
      if (f.optional && deep && f.type.kind === 'named' && decls.get(f.type.name)?.kind !== 'enum') continue;
      fields[f.name] = ofType(f.type, depth);
      if (!f.optional) required.push(f.name);
    }
    return fc.record(fields, { requiredKeys: required });
  };
  return ofDecl(name, 0);
}
