/**
 * Validator modules: types of the same shape share one compiled function (written once, so the
 * module loads), references are calls to the referenced type's function, and recursion works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatorType } from '../../compiler/emitters/jsonschema/schema.ts';
import { exampleJson } from '../../compiler/emitters/shared/example.ts';
import { emit, freshAjv, importValidators, programFromText, removeTmp, type StandaloneValidator } from './helpers.ts';
import { typeSchema } from '../../compiler/emitters/jsonschema/schema.ts';

const SCHEMA = `package t.shapes;
version "1.0.0";

/// Documented differently: docs, titles and defaults do not make a shape.
struct A { x: u32 @1; }
struct B { x: u32 @1 = 3; }
struct C { x: u32 @1 (max = 5); }
struct WA { a: A @1; }
struct WB { a: B @1; }
struct WC { a: C @1; }
struct Node { next?: Node @1; v: u8 @2; }
struct Node2 { next?: Node2 @1; v: u8 @2; }
struct P { q?: Q @1; n: u8 @2; }
struct Q { p?: P @1; }
struct P2 { q?: Q @1; n: u8 @2; }
union U { a: A @1; b: B @2; }
union U2 { a: B @1; b: A @2; }
`;

describe('validators of equal shapes', () => {
  const { ir } = programFromText(SCHEMA);
  const files = emit(ir);
  const js = files.find((f) => f.path.endsWith('.js'))!.content;
  let v: Map<string, StandaloneValidator>;

  beforeAll(async () => {
    v = await importValidators(ir, 'shapes');
  });
  afterAll(() => removeTmp('shapes'));

  it('share the validator of the first declared type of the shape', () => {
    const of = (n: string) => validatorType(ir, `t.shapes.${n}`);
    expect([of('A'), of('B'), of('C')]).toEqual(['t.shapes.A', 't.shapes.A', 't.shapes.C']);
    expect([of('WA'), of('WB'), of('WC')]).toEqual(['t.shapes.WA', 't.shapes.WA', 't.shapes.WC']);
    expect([of('Node'), of('Node2')]).toEqual(['t.shapes.Node', 't.shapes.Node']);
    expect([of('U'), of('U2')]).toEqual(['t.shapes.U', 't.shapes.U']);
    // On a cycle through another type: their own.
    expect([of('P'), of('Q'), of('P2')]).toEqual(['t.shapes.P', 't.shapes.Q', 't.shapes.P2']);
    expect(v.get('validateB')).toBe(v.get('validateA'));
    expect(v.get('validateWB')).toBe(v.get('validateWA'));
    expect(v.get('validateC')).not.toBe(v.get('validateA'));
  });

  it('write each function once', () => {
    const names = [...js.matchAll(/^function (validate\d+)\(/gm)].map((m) => m[1]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('agree with ajv on each type’s own schema', () => {
    const cases: [string, unknown, boolean][] = [
      ['C', { x: 5 }, true],
      ['C', { x: 6 }, false],
      ['WB', { a: { x: 1 } }, true],
      ['WB', { a: { x: -1 } }, false],
      ['WC', { a: { x: 6 } }, false],
      ['Node2', { v: 1, next: { v: 2, next: { v: 3 } } }, true],
      ['Node2', { v: 1, next: { v: 2, next: { v: 300 } } }, false],
      ['P2', { n: 1, q: { p: { n: 2, q: {} } } }, true],
      ['P2', { n: 1, q: { p: { n: 2, q: { p: {} } } } }, false],
      ['U2', { a: { x: 1 } }, true],
      ['U2', { b: { y: 1 } }, false],
    ];
    for (const [name, data, valid] of cases) {
      const ajv = freshAjv().compile(typeSchema(ir, `t.shapes.${name}`));
      expect(ajv(data), `ajv ${name} ${JSON.stringify(data)}`).toBe(valid);
      expect(v.get(`validate${name}`)!(data), `${name} ${JSON.stringify(data)}`).toBe(valid);
    }
    for (const t of ir.types) expect(v.get(`validate${t.shortName}`)!(exampleJson(ir, t.name)), t.name).toBe(true);
  });
});
