/**
 * One struct with every kind of field; its example is mutated one field at a time and each mutation
 * must be accepted or rejected as docs/generated-code.md says, by a fresh ajv and by the standalone
 * validator alike.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORMATS } from '../../compiler/checker/types.ts';
import { typeSchema } from '../../compiler/emitters/jsonschema/schema.ts';
import { ANNOTATION_ONLY_FORMATS } from '../../compiler/emitters/jsonschema/validators.ts';
import { exampleJson } from '../../compiler/emitters/shared/example.ts';
import { repoPath } from '../helpers/repo.ts';
import { clone, freshAjv, importValidators, programFromText, removeTmp, type StandaloneValidator } from './helpers.ts';

const SCHEMA = readFileSync(repoPath('tests/jsonschema/cases/kinds/input.midl'), 'utf8');

type Mutation = readonly [label: string, path: readonly (string | number)[], value: unknown, valid: boolean];
const DELETE = Symbol('delete');

const MUTATIONS: readonly Mutation[] = [
  ['bool as string', ['b'], 'true', false],
  ['bool as number', ['b'], 1, false],
  ['u8 max', ['u8v'], 255, true],
  ['u8 over max', ['u8v'], 256, false],
  ['u8 negative', ['u8v'], -1, false],
  ['u8 fraction', ['u8v'], 1.5, false],
  ['u8 as string', ['u8v'], '1', false],
  ['i8 min', ['i8v'], -128, true],
  ['i8 under min', ['i8v'], -129, false],
  ['u32 at min constraint', ['u32v'], 10, true],
  ['u32 at max constraint', ['u32v'], 20, true],
  ['u32 under min constraint', ['u32v'], 9, false],
  ['u32 over max constraint', ['u32v'], 21, false],
  ['u64 max', ['u64v'], '18446744073709551615', true],
  ['u64 over max', ['u64v'], '18446744073709551616', false],
  ['u64 negative', ['u64v'], '-1', false],
  ['u64 leading zero', ['u64v'], '01', false],
  ['u64 minus zero', ['u64v'], '-0', false],
  ['u64 plus sign', ['u64v'], '+1', false],
  ['u64 decimal point', ['u64v'], '1.0', false],
  ['u64 exponent', ['u64v'], '1e3', false],
  ['u64 empty', ['u64v'], '', false],
  ['u64 spaces', ['u64v'], ' 1', false],
  // As the JSON reader takes them (fromJsonBigInt): a safe-integer number too, not 2^53 or a fraction.
  ['u64 as a safe-integer number', ['u64v'], 5, true],
  ['u64 as the largest safe integer', ['u64v'], Number.MAX_SAFE_INTEGER, true],
  ['u64 as 2^53 (a number)', ['u64v'], 2 ** 53, false],
  ['u64 as a fraction', ['u64v'], 1.5, false],
  ['u64 as a negative number', ['u64v'], -1, false],
  ['i64 as a negative number', ['i64v'], -5, true],
  ['i64 as a number under min constraint', ['i64v'], -6, false],
  ['i64 in range', ['i64v'], '-5', true],
  ['i64 under min constraint', ['i64v'], '-6', false],
  ['i64 over max constraint', ['i64v'], '6', false],
  ['u64 with bounds, lower', ['u64r'], '1', true],
  ['u64 with bounds, upper', ['u64r'], '1000', true],
  ['u64 with bounds, zero', ['u64r'], '0', false],
  ['u64 with bounds, over', ['u64r'], '1001', false],
  ['u64 with bounds, upper as a number', ['u64r'], 1000, true],
  ['u64 with bounds, over as a number', ['u64r'], 1001, false],
  ['u64 with bounds, zero as a number', ['u64r'], 0, false],
  ['bounded f32 at max', ['f'], 1, true],
  ['bounded f32 fraction', ['f'], 0.25, true],
  ['bounded f32 over max', ['f'], 1.5, false],
  ['bounded f32 NaN', ['f'], 'NaN', false],
  ['bounded f32 Infinity', ['f'], 'Infinity', false],
  ['f64 NaN', ['g'], 'NaN', true],
  ['f64 Infinity', ['g'], 'Infinity', true],
  ['f64 -Infinity', ['g'], '-Infinity', true],
  ['f64 lower-case nan', ['g'], 'nan', false],
  ['f64 numeric string', ['g'], '1.5', false],
  ['f64 huge', ['g'], 1e308, true],
  ['min-only f64 Infinity', ['lo'], 'Infinity', true],
  ['min-only f64 -Infinity', ['lo'], '-Infinity', false],
  ['min-only f64 NaN', ['lo'], 'NaN', false],
  ['max-only f64 -Infinity', ['hi'], '-Infinity', true],
  ['max-only f64 Infinity', ['hi'], 'Infinity', false],
  ['string at min length', ['s'], 'ab', true],
  ['string too short', ['s'], 'a', false],
  ['string too long', ['s'], 'abcde', false],
  ['string against pattern', ['s'], 'AB', false],
  ['string as number', ['s'], 12, false],
  ['email', ['e'], 'a@example.com', true],
  ['not an email', ['e'], 'nobody', false],
  ['bytes: 1 byte', ['by'], 'AA==', true],
  ['bytes: 3 bytes', ['by'], 'AQID', true],
  ['bytes: 2 bytes', ['by'], 'AQI=', true],
  ['bytes: 0 bytes (minLength 1)', ['by'], '', false],
  ['bytes: 4 bytes (maxLength 3)', ['by'], 'AQIDBA==', false],
  ['bytes: unpadded', ['by'], 'AQ', false],
  ['bytes: url-safe alphabet', ['by'], '-_8=', false],
  ['bytes: hex with prefix', ['by'], '0x0102', false],
  ['unbounded bytes: empty', ['raw'], '', true],
  ['unbounded bytes: long', ['raw'], Buffer.alloc(1000, 7).toString('base64'), true],
  ['unbounded bytes: bad padding', ['raw'], 'A===', false],
  ['timestamp ISO with ms', ['ts'], '2026-03-04T05:06:07.890Z', true],
  ['timestamp bad month', ['ts'], '2026-13-04T05:06:07.890Z', false],
  ['timestamp without time', ['ts'], '2026-03-04', false],
  ['timestamp as number', ['ts'], 0, false],
  ['duration', ['d'], 250000, true],
  ['duration fraction', ['d'], 0.5, false],
  ['duration as string', ['d'], '1s', false],
  ['duration at the safe integer limit', ['d'], -Number.MAX_SAFE_INTEGER, true],
  ['duration beyond safe integers', ['d'], 2 ** 60, false],
  ['uuid', ['id'], '123e4567-e89b-42d3-a456-426614174000', true],
  ['not a uuid', ['id'], '123e4567-e89b-42d3-a456', false],
  ['upper-case uuid', ['id'], '123E4567-E89B-42D3-A456-426614174000', true],
  ['uuid as urn', ['id'], 'urn:uuid:123e4567-e89b-42d3-a456-426614174000', false],
  ['json: anything', ['j'], [1, 'x', null, { a: {} }], true],
  ['json: null', ['j'], null, true],
  ['enum member', ['c'], 'green', true],
  ['enum unknown member', ['c'], 'blue', false],
  ['enum by number', ['c'], 1, false],
  ['union arm', ['sh'], { square: 4 }, true],
  ['union struct arm', ['sh'], { named: { n: 1 } }, true],
  ['union two arms', ['sh'], { circle: 1, square: 4 }, false],
  ['union no arm', ['sh'], {}, false],
  ['union unknown arm', ['sh'], { triangle: 3 }, false],
  ['union arm of wrong type', ['sh'], { square: -1 }, false],
  ['union as tagged object', ['sh'], { kind: 'square', value: 4 }, false],
  ['array at max items', ['arr'], [1, 2], true],
  ['array empty (minItems 1)', ['arr'], [], false],
  ['array too long', ['arr'], [1, 2, 3], false],
  ['array bad item', ['arr'], [256], false],
  ['array as object', ['arr'], { 0: 1 }, false],
  ['map u8 keys', ['m'], { 0: 'a', 255: 'b' }, true],
  ['map key out of range', ['m'], { 256: 'a' }, false],
  ['map key not canonical', ['m'], { '01': 'a' }, false],
  ['map key negative', ['m'], { '-1': 'a' }, false],
  ['map key not a number', ['m'], { a: 'a' }, false],
  ['map too many entries', ['m'], { 1: 'a', 2: 'b', 3: 'c' }, false],
  ['map bad value', ['m'], { 1: 1 }, false],
  ['map string keys, hostile key as data', ['ms'], JSON.parse('{"__proto__":{"n":1},"constructor":{"n":2}}'), true],
  ['map struct value with extra property', ['ms'], { a: { n: 1, x: 2 } }, false],
  ['map i64 keys', ['big'], { '-9223372036854775808': true, '9223372036854775807': false }, true],
  ['map i64 key over range', ['big'], { '9223372036854775808': true }, false],
  ['nested extra property', ['ms', 'key', 'extra'], 1, false],
  ['extra property', ['zzz'], 1, false],
  ['missing required bool', ['b'], DELETE, false],
  ['missing required union', ['sh'], DELETE, false],
  ['missing optional', ['opt'], DELETE, true],
  ['optional present', ['opt'], 'x', true],
];

function mutate(base: unknown, path: readonly (string | number)[], value: unknown): unknown {
  const root = clone(base) as Record<string | number, unknown>;
  let at = root;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- removing a member of a JSON value is the mutation under test
  if (value === DELETE) delete at[last];
  else at[last] = value;
  return root;
}

describe('valid and invalid JSON forms', () => {
  const { ir } = programFromText(SCHEMA);
  const schema = typeSchema(ir, 't.neg.All');
  const validate = freshAjv().compile(schema);
  const base = exampleJson(ir, 't.neg.All');
  let standalone: StandaloneValidator;

  beforeAll(async () => {
    standalone = (await importValidators(ir, 'negative')).get('validateAll')!;
  });
  afterAll(() => removeTmp('negative'));

  it('the example is valid and has every field', () => {
    expect(validate(base), JSON.stringify(validate.errors)).toBe(true);
    expect(standalone(base)).toBe(true);
    expect(Object.keys(base as object).length).toBeGreaterThan(20);
  });

  it.each(MUTATIONS.map((m) => [m[0], m] as const))('%s', (_label, [, path, value, valid]) => {
    const data = mutate(base, path, value);
    expect(validate(data), JSON.stringify(validate.errors)).toBe(valid);
    expect(standalone(data)).toBe(valid);
    if (!valid) expect(standalone.errors?.length).toBeGreaterThan(0);
  });

  it('rejects non-objects at the root', () => {
    for (const bad of [null, [], 'x', 1, true]) {
      expect(validate(bad)).toBe(false);
      expect(standalone(bad)).toBe(false);
    }
  });
});

describe('string formats', () => {
  const formats = [...FORMATS].sort();
  const text = readFileSync(repoPath('tests/jsonschema/cases/formats/input.midl'), 'utf8');
  const { ir } = programFromText(text);
  const validate = freshAjv().compile(typeSchema(ir, 't.formats.Formats'));
  const base = exampleJson(ir, 't.formats.Formats') as Record<string, unknown>;
  let standalone: StandaloneValidator;

  beforeAll(async () => {
    standalone = (await importValidators(ir, 'formats')).get('validateFormats')!;
  });
  afterAll(() => removeTmp('formats'));

  it('the case declares every format the checker accepts, in order', () => {
    expect(text).toContain(formats.map((f, i) => `  f${i}: string @${i + 1} (format = "${f}");`).join('\n'));
  });

  it('every format the checker accepts compiles in strict mode, and the example satisfies each', () => {
    expect(validate(base), JSON.stringify(validate.errors)).toBe(true);
    expect(standalone(base)).toBe(true);
  });

  it.each(formats.map((f, i) => [f, i] as const))('%s', (format, i) => {
    const data = { ...base, [`f${i}`]: 'not valid ( \u0000' };
    const expected = ANNOTATION_ONLY_FORMATS.includes(format);
    expect(validate(data)).toBe(expected);
    expect(standalone(data)).toBe(expected);
  });

  it('only the formats ajv-formats lacks are annotations', () => {
    expect(ANNOTATION_ONLY_FORMATS).toEqual(['idn-email', 'idn-hostname', 'iri', 'iri-reference']);
  });
});
