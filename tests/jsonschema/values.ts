/**
 * fast-check arbitraries of TypeScript values of declared types, driven by the IR: mostly valid
 * values (inside type ranges and constraints), now and then one invalid part, so that both outcomes
 * of `N.validate` are exercised. Invalid parts keep the JavaScript type the TypeScript type names
 * (a number outside its range, NaN, a fraction, a string against its pattern, a Date outside years
 * 0000–9999, a bigint out of range, a too-short array, an unknown enum member or union kind):
 * `toJSON` is only defined on values of the right shape.
 */
import fc from 'fast-check';
import type { IrConstraints, IrProgram, IrType, IrTypeDecl } from '../../compiler/ir/ir.ts';

export interface ExampleSource {
  /** `N.example()` of a declared type (used where recursion must stop). */
  example(typeName: string): unknown;
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

export class ValueArbitraries {
  private readonly decls: ReadonlyMap<string, IrTypeDecl>;
  private readonly memo = new Map<string, fc.Arbitrary<unknown>>();

  /** With `mutate`, each part is now and then replaced by an invalid one; without, parts aim to be valid. */
  constructor(
    ir: IrProgram,
    private readonly examples: ExampleSource,
    private readonly mutate: boolean,
    private readonly maxDepth = 3,
  ) {
    this.decls = new Map(ir.types.map((t) => [t.name, t]));
  }

  /** Mostly `valid`, sometimes `invalid` (only when mutating). */
  private mostly(valid: fc.Arbitrary<unknown>, invalid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
    return this.mutate ? fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: invalid, weight: 1 }) : valid;
  }

  /** Values of a declared type (depth counts nested declared types). */
  of(typeName: string, depth = 0): fc.Arbitrary<unknown> {
    const key = `${typeName}@${depth}`;
    let arb = this.memo.get(key);
    if (!arb) {
      // Built lazily (so that recursive types do not recurse while building), once.
      let built: fc.Arbitrary<unknown> | undefined;
      arb = fc.constant(null).chain(() => (built ??= this.build(typeName, depth)));
      this.memo.set(key, arb);
    }
    return arb;
  }

  private build(typeName: string, depth: number): fc.Arbitrary<unknown> {
    const decl = this.decls.get(typeName);
    if (!decl) throw new Error(`unknown type ${typeName}`);
    if (depth >= this.maxDepth) return fc.constant(this.examples.example(typeName));
    switch (decl.kind) {
      case 'enum':
        return this.mostly(fc.constantFrom(...decl.members.map((m) => m.name)), fc.constantFrom<unknown>('bogus', decl.members[0]?.name.toUpperCase() ?? 'X'));
      case 'union': {
        const arms = decl.arms.map((a) => this.type(a.type, a.constraints, depth + 1).map((value) => ({ kind: a.name, value })));
        return this.mostly(fc.oneof(...arms), fc.constantFrom<unknown>({ kind: 'bogus', value: 1 }, { kind: '__proto__', value: 1 }));
      }
      case 'struct': {
        const model: Record<string, fc.Arbitrary<unknown>> = {};
        for (const f of decl.fields) model[f.name] = this.type(f.type, f.constraints, depth + 1);
        const required = decl.fields.filter((f) => !f.optional).map((f) => f.name);
        const record = fc.record(model, { requiredKeys: required });
        // A missing required field is not a value of the type, and toJSON is not defined on it.
        return record;
      }
    }
  }

  /** Values of a field type with the field's constraints. */
  type(t: IrType, c: IrConstraints, depth: number): fc.Arbitrary<unknown> {
    switch (t.kind) {
      case 'named':
        return this.of(t.name, depth);
      case 'array': {
        const min = c.minItems ?? 0;
        const max = Math.min(c.maxItems ?? min + 3, min + 3);
        const elem = this.type(t.element, {}, depth);
        const valid = fc.array(elem, { minLength: min, maxLength: max });
        // Lengths just outside the bounds (long ones only when cheap to build).
        const outside = [...(min > 0 ? [min - 1] : []), ...(c.maxItems !== undefined && c.maxItems < 300 ? [c.maxItems + 1] : [])];
        return outside.length === 0 ? valid : this.mostly(valid, fc.oneof(...outside.map((n) => fc.array(elem, { minLength: n, maxLength: n }))));
      }
      case 'map': {
        const min = c.minItems ?? 0;
        const max = Math.min(c.maxItems ?? min + 3, min + 3);
        const key = this.mapKey(t.key);
        const value = this.type(t.value, {}, depth);
        const entries = (lo: number, hi: number) =>
          fc.uniqueArray(fc.tuple(key.valid, value), { minLength: lo, maxLength: hi, selector: (e) => e[0] }).map((es) => new Map(es));
        const invalid: fc.Arbitrary<unknown>[] = [fc.tuple(key.invalid, value).map(([k, v]) => new Map([[k, v]]))];
        if (min > 0) invalid.push(entries(min - 1, min - 1));
        if (c.maxItems !== undefined && c.maxItems < 300) invalid.push(entries(c.maxItems + 1, c.maxItems + 1));
        return this.mostly(entries(min, max), fc.oneof(...invalid));
      }
      case 'scalar':
        return this.scalar(t.scalar, c);
    }
  }

  private mapKey(key: IrType): { valid: fc.Arbitrary<unknown>; invalid: fc.Arbitrary<unknown> } {
    const range = key.kind === 'scalar' ? INT_RANGES[key.scalar] : undefined;
    if (!range)
      return { valid: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', '')), invalid: fc.constantFrom<unknown>('__proto__') };
    const [lo, hi] = range;
    if (key.kind === 'scalar' && (key.scalar === 'u64' || key.scalar === 'i64')) {
      return { valid: fc.oneof(fc.bigInt({ min: lo, max: hi }), fc.constantFrom(lo, hi)), invalid: fc.constantFrom<unknown>(lo - 1n, hi + 1n) };
    }
    return {
      valid: fc.oneof(fc.integer({ min: Number(lo), max: Number(hi) }), fc.constantFrom(Number(lo), Number(hi))),
      invalid: fc.constantFrom<unknown>(Number(lo) - 1, Number(hi) + 1, 0.5, -0),
    };
  }

  private scalar(scalar: string, c: IrConstraints): fc.Arbitrary<unknown> {
    const range = INT_RANGES[scalar];
    if (range) {
      const lo = c.min !== undefined && BigInt(c.min) > range[0] ? BigInt(c.min) : range[0];
      const hi = c.max !== undefined && BigInt(c.max) < range[1] ? BigInt(c.max) : range[1];
      if (scalar === 'u64' || scalar === 'i64') {
        return this.mostly(fc.oneof(fc.bigInt({ min: lo, max: hi }), fc.constantFrom(lo, hi)), fc.constantFrom<unknown>(lo - 1n, hi + 1n));
      }
      return this.mostly(
        fc.oneof(fc.integer({ min: Number(lo), max: Number(hi) }), fc.constantFrom(Number(lo), Number(hi))),
        fc.constantFrom<unknown>(Number(lo) - 1, Number(hi) + 1, Number(lo) + 0.5, NaN, Infinity, -Infinity),
      );
    }
    switch (scalar) {
      case 'bool':
        return fc.boolean();
      case 'f32':
      case 'f64': {
        const min = c.min !== undefined ? Number(c.min) : undefined;
        const max = c.max !== undefined ? Number(c.max) : undefined;
        const inRange =
          scalar === 'f32'
            ? fc.float({
                noNaN: min !== undefined || max !== undefined,
                ...(min !== undefined ? { min: Math.fround(min) } : {}),
                ...(max !== undefined ? { max: Math.fround(max) } : {}),
              })
            : fc.double({ noNaN: min !== undefined || max !== undefined, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) });
        // f32 values beyond the f32 range (they round to ±Infinity) are tested apart: agreement.test.ts, known issues.
        const edges = [
          min,
          max,
          0,
          0.1,
          1 / 3,
          Number.MIN_VALUE,
          ...(scalar === 'f64' ? [1e39, -1e39, 3.4028235677973366e38] : [3.4028234663852886e38]),
        ].filter((x): x is number => x !== undefined);
        return this.mostly(
          fc.oneof(inRange, fc.constantFrom(...edges)),
          fc.constantFrom<unknown>(NaN, Infinity, -Infinity, -0, (min ?? 0) - 1, (max ?? 0) + 1, (max ?? 0) + 1e-7),
        );
      }
      case 'string': {
        const min = c.minLength ?? 0;
        const max = c.maxLength ?? min + 12;
        const pattern = c.pattern !== undefined ? new RegExp(c.pattern, 'u') : undefined;
        let generated: fc.Arbitrary<string>;
        try {
          const fits = (x: string) => {
            const n = Array.from(x).length;
            return n >= min && n <= max;
          };
          generated = pattern
            ? fc.stringMatching(pattern, { size: 'small' }).filter(fits)
            : fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.min(max, min + 12) });
        } catch {
          generated = fc.string({ minLength: min, maxLength: Math.min(max, min + 12) });
        }
        const invalid = fc.oneof(fc.string({ unit: 'binary', maxLength: max + 2 }), fc.constantFrom<unknown>('x'.repeat(max + 1), '\uD800', ''));
        if (c.format !== undefined) {
          const [good, borderline] = FORMAT_SAMPLES[c.format] ?? [['x'], []];
          return this.mostly(fc.constantFrom(...good), fc.oneof(invalid, fc.constantFrom(...borderline, ...good.map((g) => `${g} `))));
        }
        const astral = fc.constantFrom('🎹'.repeat(Math.max(min, Math.min(max, 8))), `${'é'.repeat(Math.max(0, min - 1))}\u{1F600}`);
        return this.mostly(pattern ? generated : fc.oneof(generated, astral), invalid);
      }
      case 'bytes': {
        const min = c.minLength ?? 0;
        const max = Math.min(c.maxLength ?? min + 16, min + 16);
        const outside = [...(min > 0 ? [min - 1] : []), ...(c.maxLength !== undefined ? [c.maxLength + 1] : [])].map((n) =>
          fc.uint8Array({ minLength: n, maxLength: n }),
        );
        return outside.length === 0
          ? fc.uint8Array({ minLength: min, maxLength: max })
          : this.mostly(fc.uint8Array({ minLength: min, maxLength: max }), fc.oneof(...outside));
      }
      case 'timestamp':
        return this.mostly(
          fc.date({ min: new Date(Date.UTC(1970, 0, 1)), max: new Date(Date.UTC(2200, 0, 1)), noInvalidDate: true }),
          fc.oneof(
            fc.date(),
            fc.constantFrom<unknown>(new Date(NaN), new Date(-62167219200001), new Date(-62167219200000), new Date(253402300799999), new Date(253402300800000)),
          ),
        );
      case 'duration':
        return this.mostly(
          fc.oneof(fc.integer(), fc.constantFrom(0, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER)),
          fc.constantFrom<unknown>(0.5, 2 ** 60, -(2 ** 60), Number.MAX_SAFE_INTEGER + 1, NaN, Infinity),
        );
      case 'uuid':
        return this.mostly(
          fc.oneof(
            fc.uuid(),
            fc.uuid().map((u) => u.toUpperCase()),
          ),
          fc.constantFrom<unknown>('x', '123e4567-e89b-12d3-a456', `urn:uuid:123e4567-e89b-12d3-a456-426614174000`, ''),
        );
      case 'json':
        return this.mostly(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom<unknown>(NaN, Infinity, [NaN], { a: -Infinity }));
    }
    throw new Error(`unknown scalar ${scalar}`);
  }
}

/** Per string format: values ajv-formats accepts, then borderline ones (valid or not). */
const FORMAT_SAMPLES: Readonly<Record<string, readonly [valid: readonly string[], borderline: readonly string[]]>> = {
  'date-time': [
    ['2026-01-01T00:00:00.000Z', '2026-01-01t00:00:00z', '2026-01-01T23:59:60Z'],
    ['2026-02-30T00:00:00Z', '2026-01-01 00:00:00Z', '2026-01-01T00:00:00'],
  ],
  date: [
    ['2026-01-01', '2024-02-29'],
    ['2026-02-29', '2026-1-1'],
  ],
  time: [
    ['12:00:00Z', '12:00:00+01:00'],
    ['12:00:00', '23:59:60Z', '24:00:00Z'],
  ],
  duration: [
    ['PT1S', 'P1D', 'P1W'],
    ['P', 'PT', 'P1W1D'],
  ],
  email: [
    ['user@example.com', 'a.b+c@sub.example.org', 'A@EXAMPLE.COM'],
    ['nobody', 'a@b', 'a@@b.c'],
  ],
  'idn-email': [['user@example.com', 'nobody'], ['']],
  hostname: [
    ['example.com', 'a'],
    ['-bad.example', 'x'.repeat(64), 'a..b'],
  ],
  'idn-hostname': [['example.com', 'nope nope'], ['']],
  ipv4: [['192.0.2.1'], ['256.0.0.1', '01.2.3.4', '1.2.3']],
  ipv6: [
    ['2001:db8::1', '::', '::ffff:192.0.2.1'],
    ['1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', ':::'],
  ],
  uri: [
    ['https://example.com/', 'urn:isbn:123', 'http://[::1]/'],
    ['example', 'http://exa mple.com', '//x'],
  ],
  'uri-reference': [
    ['/example', '', '#x'],
    ['a b', '\\x'],
  ],
  iri: [['https://example.com/é', 'nope'], ['']],
  'iri-reference': [['/é', 'a b'], ['']],
  'uri-template': [
    ['/items/{id}', '{+x}'],
    ['/items/{id', '{}'],
  ],
  uuid: [['00000000-0000-4000-8000-000000000000'], ['urn:uuid:00000000-0000-4000-8000-000000000000', 'x']],
  'json-pointer': [
    ['/example', '', '/a~0b'],
    ['example', '/a~2'],
  ],
  'relative-json-pointer': [
    ['0', '1/a', '0#'],
    ['-1', '01'],
  ],
  regex: [
    ['^.*$', '[a-z]+'],
    ['(', '\\Z', 'a{'],
  ],
};
