/**
 * Hostile names and keys: a field or map key called `__proto__` (or `constructor`) is ordinary data in
 * every form (own properties, never the prototype), and JSON nested deeper than the stack allows is a
 * JsonDecodeError, not a crash.
 */
import { describe, expect, it } from 'vitest';
import { JsonDecodeError, Writer } from '../../runtime/codec/index.ts';
import { generate } from './generate.ts';

describe('hostile JSON', () => {
  it('__proto__ and constructor as field names and map keys stay own data', async () => {
    const g = await generate('package p;\nstruct S { __proto__: string @1; constructor: u32 @2; m: map<string, u32> @3; }\n');
    const S = g.modules.get('p')!['S']!;
    const text = '{"__proto__":"x","constructor":3,"m":{"__proto__":1}}';
    const v = S.fromJSON(JSON.parse(text)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(v, '__proto__')).toBe(true);
    expect((v['m'] as Map<string, number>).get('__proto__')).toBe(1);
    expect(JSON.stringify(S.toJSON(S.decode(S.encode(v))))).toBe(text);
    expect(S.validate(v)).toEqual({ ok: true });
  });

  it('a __proto__ key inside a json field is refused with its path, in the JSON form and in the binary form (issue 10)', async () => {
    const g = await generate('package p;\nstruct D { data: json @1; }\n');
    const D = g.modules.get('p')!['D']!;
    expect(() => D.fromJSON(JSON.parse('{"data":{"list":[{"__proto__":{"admin":true}}]}}'))).toThrow(
      expect.objectContaining({ path: '/data/list/0/__proto__', message: '/data/list/0/__proto__: key "__proto__" is not accepted in a json value' }),
    );
    const hostile = new Writer();
    hostile.byte(0x0a); // field 1, length-delimited
    hostile.string('{"x":1,"__proto__":{"admin":true}}');
    expect(() => D.decode(hostile.finish())).toThrow(/json value at \/__proto__: key "__proto__" is not accepted/);
    const duplicate = new Writer();
    duplicate.byte(0x0a);
    duplicate.string('{"x":1,"x":2}');
    expect(() => D.decode(duplicate.finish())).toThrow(/json value at \/x: key "x" appears twice in one object/);
  });

  it('a recursive type nested beyond the stack is a JsonDecodeError', async () => {
    const g = await generate('package p;\nstruct Node { next?: Node @1; }\n');
    const Node = g.modules.get('p')!['Node']!;
    let j: unknown = {};
    for (let i = 0; i < 200_000; i++) j = { next: j };
    expect(() => Node.fromJSON(j)).toThrow(JsonDecodeError);
    const r = Node.validate(Node.fromJSON({ next: { next: {} } }));
    expect(r.ok).toBe(true);
  });
});
