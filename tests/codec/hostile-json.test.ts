/**
 * Hostile names and keys: a field or map key called `__proto__` (or `constructor`) is ordinary data in
 * every form (own properties, never the prototype), and JSON nested deeper than the stack allows is a
 * JsonDecodeError, not a crash.
 */
import { describe, expect, it } from 'vitest';
import { JsonDecodeError } from '../../runtime/codec/index.ts';
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
