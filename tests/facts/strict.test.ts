/**
 * OpenAI strict mode: the checker (rules of idl-anchors.md §4 and the OpenAI SDK's toStrictJsonSchema,
 * size limits as thresholds), the conversion that never fails, and the reversible value mapping between
 * the canonical JSON form and the strict form.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../runtime/codec/codec.ts';
import type { SchemaObject } from '../../compiler/emitters/facts/model.ts';
import {
  DEFAULT_STRICT_LIMITS,
  fromStrictArguments,
  JSON_TEXT_NOTE,
  MAP_NOTE,
  openaiToolProblems,
  strictSchemaProblems,
  toStrictArguments,
  toStrictSchema,
} from '../../compiler/emitters/facts/openai.ts';
import { newAjv } from './helpers.ts';

const obj = (properties: SchemaObject, extra: SchemaObject = {}): SchemaObject => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
  ...extra,
});

describe('strictSchemaProblems', () => {
  it('accepts a compliant schema with $defs, $ref, anyOf, nullable types and supported keywords', () => {
    const schema = obj(
      {
        id: { type: 'string', pattern: '^[a-z]+$', format: 'uuid' },
        n: { type: ['integer', 'null'], minimum: 0, maximum: 9, multipleOf: 1 },
        list: { type: 'array', items: { $ref: '#/$defs/Item' }, minItems: 1, maxItems: 3 },
        either: { anyOf: [{ type: 'number' }, { type: 'string', enum: ['NaN'] }] },
        self: { anyOf: [{ $ref: '#' }, { type: 'null' }] },
      },
      { $defs: { Item: obj({ k: { type: 'boolean', description: 'flag' } }) } },
    );
    expect(strictSchemaProblems(schema)).toEqual([]);
  });

  const bad: readonly [string, JsonValue, RegExp][] = [
    ['root not an object type', { type: 'array', items: { type: 'string' } }, /<root>: type must be "object"/],
    ['root anyOf', { type: 'object', anyOf: [obj({})], properties: {}, required: [], additionalProperties: false }, /root anyOf/],
    ['additionalProperties missing', { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, /additionalProperties: false/],
    [
      'additionalProperties true',
      { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: true },
      /additionalProperties: false/,
    ],
    ['open map', obj({ m: { type: 'object', additionalProperties: { type: 'string' } } }), /\/properties\/m: objects need additionalProperties: false/],
    [
      'optional property',
      { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, required: ['a'], additionalProperties: false },
      /not in required: b/,
    ],
    ['required names unknown property', { type: 'object', properties: {}, required: ['ghost'], additionalProperties: false }, /undeclared properties: "ghost"/],
    ['minLength', obj({ a: { type: 'string', minLength: 1 } }), /unsupported keyword "minLength"/],
    ['default', obj({ a: { type: 'string', default: 'x' } }), /unsupported keyword "default"/],
    ['oneOf', obj({ a: { oneOf: [{ type: 'string' }, { type: 'integer' }] } }), /unsupported keyword "oneOf"/],
    ['allOf', obj({ a: { allOf: [{ type: 'string' }] } }), /unsupported keyword "allOf"/],
    ['not', obj({ a: { type: 'string', not: { enum: ['x'] } } }), /unsupported keyword "not"/],
    ['if/then', obj({ a: { type: 'string', if: { type: 'string' }, then: { type: 'string' } } }), /unsupported keyword "if"/],
    ['patternProperties', obj({}, { patternProperties: { '^x': { type: 'string' } } }), /unsupported keyword "patternProperties"/],
    ['propertyNames', obj({}, { propertyNames: { pattern: '^x' } }), /unsupported keyword "propertyNames"/],
    ['minProperties', obj({}, { minProperties: 1 }), /unsupported keyword "minProperties"/],
    ['prefixItems', obj({ a: { type: 'array', prefixItems: [{ type: 'string' }] } }), /unsupported keyword "prefixItems"/],
    ['uniqueItems', obj({ a: { type: 'array', items: { type: 'string' }, uniqueItems: true } }), /unsupported keyword "uniqueItems"/],
    ['contains', obj({ a: { type: 'array', items: { type: 'string' }, contains: { type: 'string' } } }), /unsupported keyword "contains"/],
    ['unevaluatedProperties', obj({}, { unevaluatedProperties: false }), /unsupported keyword "unevaluatedProperties"/],
    ['$anchor', obj({ a: { type: 'string', $anchor: 'x' } }), /unsupported keyword "\$anchor"/],
    ['$dynamicRef', obj({ a: { $dynamicRef: '#x' } }), /unsupported keyword "\$dynamicRef"/],
    ['tuple items', obj({ a: { type: 'array', items: [{ type: 'string' }] } }), /tuple items/],
    ['unsupported format', obj({ a: { type: 'string', format: 'uri' } }), /unsupported format "uri"/],
    ['contentEncoding', obj({ a: { type: 'string', contentEncoding: 'base64' } }), /unsupported keyword "contentEncoding"/],
    ['any schema', obj({ a: {} }), /needs a type/],
    ['unknown type', obj({ a: { type: 'text' } }), /unknown type "text"/],
    ['dangling $ref', obj({ a: { $ref: '#/$defs/Nope' } }), /does not resolve/],
    ['$ref with a description', obj({ a: { $ref: '#/$defs/X', description: 'd' } }, { $defs: { X: { type: 'string' } } }), /\$ref with siblings description/],
    ['nested $defs', obj({ a: { type: 'string', $defs: {} } }), /\$defs is allowed only at the root/],
    ['empty enum', obj({ a: { type: 'string', enum: [] } }), /enum must be a non-empty array/],
    ['$defs entry breaking the rules', obj({}, { $defs: { X: { type: 'object', properties: {} } } }), /\/\$defs\/X: objects need additionalProperties: false/],
  ];
  it.each(bad)('rejects: %s', (_label, schema, expected) => {
    const problems = strictSchemaProblems(schema);
    expect(
      problems.some((p) => expected.test(p)),
      problems.join('\n'),
    ).toBe(true);
  });

  it('applies the size limits as thresholds', () => {
    const wide = obj(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`p${i}`, { type: 'string' }])));
    expect(strictSchemaProblems(wide)).toEqual([]);
    expect(strictSchemaProblems(wide, { ...DEFAULT_STRICT_LIMITS, maxProperties: 10 })).toEqual(['<root>: 12 properties, more than 10']);
    let deep: SchemaObject = obj({ leaf: { type: 'string' } });
    for (let i = 0; i < 10; i++) deep = obj({ child: deep });
    expect(strictSchemaProblems(deep)).toEqual(['<root>: objects nest 11 levels deep, more than 10']);
    expect(strictSchemaProblems(deep, { ...DEFAULT_STRICT_LIMITS, maxDepth: 11 })).toEqual([]);
    const values = Array.from({ length: 300 }, (_, i) => `value-${String(i).padStart(60, '0')}`);
    const bigEnum = obj({ e: { type: 'string', enum: values } });
    expect(strictSchemaProblems(bigEnum).join('\n')).toMatch(/enum of 300 values has \d+ characters, more than 15000/);
    expect(strictSchemaProblems(obj({ e: { type: 'string', enum: values.slice(0, 10) } }), { ...DEFAULT_STRICT_LIMITS, maxEnumValues: 5 })).toEqual([
      '<root>: 10 enum values, more than 5',
    ]);
    expect(strictSchemaProblems(obj({ [`x${'y'.repeat(99)}`]: { type: 'string' } }), { ...DEFAULT_STRICT_LIMITS, maxStringChars: 50 })).toEqual([
      '<root>: 100 characters of names and enum values, more than 50',
    ]);
  });

  it('counts depth through $refs and stops at recursion', () => {
    const recursive = obj({ child: { anyOf: [{ $ref: '#' }, { type: 'null' }] } });
    expect(strictSchemaProblems(recursive)).toEqual([]);
    const viaDefs = obj({ a: { $ref: '#/$defs/A' } }, { $defs: { A: obj({ b: { $ref: '#/$defs/B' } }), B: obj({ c: { type: 'string' } }) } });
    expect(strictSchemaProblems(viaDefs, { ...DEFAULT_STRICT_LIMITS, maxDepth: 2 })).toEqual(['<root>: objects nest 3 levels deep, more than 2']);
  });
});

describe('openaiToolProblems', () => {
  const tool = (name: string, description = 'Does a thing.', strict: boolean = true) => ({
    type: 'function',
    function: { name, description, parameters: obj({ a: { type: 'string' } }), strict },
  });
  it('checks the name, strict flag and description length', () => {
    expect(openaiToolProblems(tool('gpu__job_dispatch'))).toEqual([]);
    expect(openaiToolProblems(tool('gpu/job.dispatch'))[0]).toMatch(/does not match/);
    expect(openaiToolProblems(tool('x'.repeat(65)))[0]).toMatch(/does not match/);
    expect(openaiToolProblems(tool('ok', 'd', false))).toEqual(['ok: strict is not true']);
    expect(openaiToolProblems(tool('ok', 'd'.repeat(1025)))).toEqual(['ok: description has 1025 characters, more than 1024']);
    expect(openaiToolProblems({ name: 'flat' })).toEqual(['tool: not {type: "function", function: {…}}']);
  });
});

describe('toStrictSchema', () => {
  it('closes objects, requires every property and makes optional ones nullable', () => {
    const s = toStrictSchema({
      type: 'object',
      properties: {
        a: { type: 'string' },
        b: { type: 'integer', minimum: 1 },
        c: { enum: ['x', 'y'] },
        d: { $ref: '#/$defs/D' },
        e: { anyOf: [{ type: 'number' }, { enum: ['NaN'] }] },
      },
      required: ['a'],
      $defs: { D: { type: 'object', properties: { z: { type: 'boolean' } }, required: ['z'] } },
    });
    expect(s).toEqual({
      type: 'object',
      properties: {
        a: { type: 'string' },
        b: { type: ['integer', 'null'], minimum: 1 },
        c: { enum: ['x', 'y', null], type: ['string', 'null'] },
        d: { anyOf: [{ $ref: '#/$defs/D' }, { type: 'null' }] },
        e: { anyOf: [{ type: 'number' }, { enum: ['NaN'], type: 'string' }, { type: 'null' }] },
      },
      required: ['a', 'b', 'c', 'd', 'e'],
      additionalProperties: false,
      $defs: { D: { type: 'object', properties: { z: { type: 'boolean' } }, required: ['z'], additionalProperties: false } },
    });
    expect(strictSchemaProblems(s)).toEqual([]);
  });

  it('moves unsupported keywords into the description instead of failing', () => {
    const s = toStrictSchema(
      obj(
        {
          name: { description: 'The name.', type: 'string', minLength: 1, maxLength: 8, default: 'main', pattern: '^[a-z]+$' },
          blob: { type: 'string', contentEncoding: 'base64' },
          site: { type: 'string', format: 'uri' },
          when: { type: 'string', format: 'date-time' },
          tags: { type: 'array', items: { type: 'string' }, uniqueItems: true },
        },
        { title: 'T', $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'x', examples: [{ name: 'a' }] },
      ),
    );
    const props = s['properties'] as Record<string, SchemaObject>;
    expect(props['name']).toEqual({ description: 'The name. (minLength: 1; maxLength: 8; default: "main")', type: 'string', pattern: '^[a-z]+$' });
    expect(props['blob']).toEqual({ type: 'string', description: '(contentEncoding: "base64")' });
    expect(props['site']).toEqual({ type: 'string', description: '(format: "uri")' });
    expect(props['when']).toEqual({ type: 'string', format: 'date-time' });
    expect(props['tags']!['description']).toBe('(uniqueItems: true)');
    expect(s['description']).toBe('(examples: [{"name":"a"}])');
    expect(s).not.toHaveProperty('title');
    expect(s).not.toHaveProperty('$schema');
    expect(strictSchemaProblems(s)).toEqual([]);
  });

  it('turns maps into entry lists and unconstrained JSON into JSON text', () => {
    const s = toStrictSchema(
      obj({
        m: {
          type: 'object',
          propertyNames: { type: 'string', pattern: '^[0-9]+$' },
          additionalProperties: { type: 'number' },
          maxProperties: 4,
          description: 'Counts.',
        },
        j: { description: 'Anything.' },
        o: { type: 'object' },
      }),
    );
    const props = s['properties'] as Record<string, SchemaObject>;
    expect(props['m']).toEqual({
      type: 'array',
      items: {
        type: 'object',
        properties: { key: { type: 'string', pattern: '^[0-9]+$' }, value: { type: 'number' } },
        required: ['key', 'value'],
        additionalProperties: false,
      },
      maxItems: 4,
      description: `Counts. ${MAP_NOTE}`,
    });
    expect(props['j']).toEqual({ type: 'string', description: `Anything. ${JSON_TEXT_NOTE}` });
    expect(props['o']).toEqual({ type: 'string', description: JSON_TEXT_NOTE });
    expect(strictSchemaProblems(s)).toEqual([]);
  });

  it('replaces a described $ref by its target once, and keeps recursive references bare', () => {
    const s = toStrictSchema({
      type: 'object',
      title: 'Node',
      properties: {
        kind: { description: 'What it is.', $ref: '#/$defs/Kind' },
        next: { description: 'The next node.', $ref: '#' },
      },
      required: ['kind'],
      additionalProperties: false,
      $defs: { Kind: { description: 'Kinds.', enum: ['a', 'b'] } },
    });
    const props = s['properties'] as Record<string, SchemaObject>;
    expect(props['kind']).toEqual({ description: 'What it is.', enum: ['a', 'b'], type: 'string' });
    const next = props['next']!;
    expect(next['type']).toEqual(['object', 'null']);
    expect(next['description']).toBe('The next node.');
    expect((next['properties'] as Record<string, SchemaObject>)['next']).toEqual({ anyOf: [{ $ref: '#' }, { type: 'null' }] });
    expect(strictSchemaProblems(s)).toEqual([]);
  });

  it('turns oneOf into anyOf, const into enum, and a one-branch allOf into its branch', () => {
    const s = toStrictSchema(
      obj({
        u: { oneOf: [obj({ a: { type: 'string' } }), obj({ b: { type: 'integer' } })] },
        c: { const: 'fixed' },
        w: { allOf: [{ type: 'string', maxLength: 3 }], description: 'Wrapped.' },
      }),
    );
    const props = s['properties'] as Record<string, SchemaObject>;
    expect(props['u']!['anyOf']).toHaveLength(2);
    expect(props['c']).toEqual({ enum: ['fixed'], type: 'string' });
    expect(props['w']).toEqual({ type: 'string', description: 'Wrapped. (maxLength: 3)' });
    expect(strictSchemaProblems(s)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
// Property: for random schemas in midl's JSON Schema shape and random values of them, the strict schema
// complies, the strict value validates against it, and the value comes back unchanged.

interface Gen {
  readonly schema: SchemaObject;
  readonly value: fc.Arbitrary<JsonValue>;
}

const NAMES = ['a', 'b', 'c', 'kind', 'value', 'key', 'x_1'];

const leaf: fc.Arbitrary<Gen> = fc.constantFrom<Gen>(
  { schema: { type: 'string', minLength: 1 }, value: fc.string({ minLength: 1, maxLength: 6 }) },
  { schema: { type: 'integer', minimum: 0, maximum: 99 }, value: fc.integer({ min: 0, max: 99 }) },
  { schema: { type: 'boolean' }, value: fc.boolean() },
  { schema: { enum: ['red', 'green'] }, value: fc.constantFrom('red', 'green') },
  {
    schema: { anyOf: [{ type: 'number' }, { enum: ['NaN', 'Infinity'] }] },
    value: fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)),
      fc.constantFrom('NaN', 'Infinity'),
    ),
  },
  { schema: { description: 'any JSON' }, value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue> },
  { schema: { type: 'string', format: 'date-time' }, value: fc.constant('2026-01-01T00:00:00.000Z') },
);

const gen: fc.Memo<Gen> = fc.memo((n) => {
  if (n <= 1) return leaf;
  return fc.oneof(
    { arbitrary: leaf, weight: 3 },
    {
      arbitrary: gen(n - 1).map((g): Gen => ({ schema: { type: 'array', items: g.schema, maxItems: 3 }, value: fc.array(g.value, { maxLength: 3 }) })),
      weight: 1,
    },
    {
      arbitrary: gen(n - 1).map((g): Gen => ({
        schema: { type: 'object', additionalProperties: g.schema },
        value: fc.dictionary(
          fc.string({ maxLength: 4 }).filter((k) => k !== '__proto__'),
          g.value,
          { maxKeys: 3 },
        ),
      })),
      weight: 1,
    },
    {
      arbitrary: fc
        .uniqueArray(fc.tuple(fc.constantFrom(...NAMES), gen(n - 1), fc.boolean()), { minLength: 0, maxLength: 4, selector: (t) => t[0] })
        .map((fields): Gen => {
          const schema: SchemaObject = {
            type: 'object',
            properties: Object.fromEntries(fields.map(([k, g]) => [k, { description: `field ${k}`, ...g.schema }])),
            required: fields.filter(([, , optional]) => !optional).map(([k]) => k),
            additionalProperties: false,
          };
          const value = fc.record(Object.fromEntries(fields.map(([k, g]) => [k, g.value])), {
            requiredKeys: fields.filter(([, , o]) => !o).map(([k]) => k),
          }) as fc.Arbitrary<JsonValue>;
          return { schema, value };
        }),
      weight: 2,
    },
    {
      arbitrary: fc.uniqueArray(fc.tuple(fc.constantFrom(...NAMES), gen(n - 1)), { minLength: 1, maxLength: 3, selector: (t) => t[0] }).map((arms): Gen => ({
        schema: { oneOf: arms.map(([k, g]) => ({ type: 'object', properties: { [k]: g.schema }, required: [k], additionalProperties: false })) },
        value: fc.oneof(...arms.map(([k, g]) => g.value.map((v) => ({ [k]: v })))),
      })),
      weight: 1,
    },
  );
});

/** A root struct holding the generated schema as a field, reached through a described `$ref` to `$defs`. */
const rooted = gen(4).chain((g) => {
  const value = fc.record({ inner: g.value, opt: fc.option(g.value, { nil: undefined }) }).map(({ inner, opt }) => {
    const out: { [k: string]: JsonValue } = { inner };
    if (opt !== undefined) out['opt'] = opt;
    return out;
  });
  return fc.array(value, { minLength: 1, maxLength: 6 }).map((values) => {
    const schema: SchemaObject = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { inner: { description: 'Via $defs.', $ref: '#/$defs/Inner' }, opt: { $ref: '#/$defs/Inner' } },
      required: ['inner'],
      additionalProperties: false,
      $defs: { Inner: g.schema },
    };
    return { schema, values };
  });
});

describe('strict form of values', () => {
  it('round-trips random values of random schemas, and the strict value validates', () => {
    fc.assert(
      fc.property(rooted, ({ schema, values }) => {
        const strict = toStrictSchema(schema);
        expect(strictSchemaProblems(strict)).toEqual([]);
        const original = newAjv().compile(schema);
        const converted = newAjv().compile(strict);
        for (const value of values) {
          expect(original(value), JSON.stringify(original.errors)).toBe(true);
          const args = toStrictArguments(schema, value);
          expect(converted(args), `${JSON.stringify(args)} ${JSON.stringify(converted.errors)}`).toBe(true);
          expect(JSON.stringify(fromStrictArguments(schema, args))).toBe(JSON.stringify(value));
        }
      }),
      { numRuns: 40, seed: 20260301 },
    );
  });

  it('maps absent optionals to null and back', () => {
    const schema = obj({ a: { type: 'string' }, b: { type: 'string' } }, { required: ['a'] });
    expect(toStrictArguments(schema, { a: 'x' })).toEqual({ a: 'x', b: null });
    expect(fromStrictArguments(schema, { a: 'x', b: null })).toEqual({ a: 'x' });
  });
});
