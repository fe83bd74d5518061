/**
 * Schema evolution on the wire: a newer schema's message decodes with the older schema (unknown fields
 * of every wire type are skipped), an older message decodes with the newer schema (absent fields take
 * their defaults), and duplicate fields resolve as docs/wire.md says (last wins).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DecodeError, type Codec } from '../../runtime/codec/index.ts';
import { arbitraryOf } from './arbitraries.ts';
import { generate, type Generated } from './generate.ts';

const V1 = `package evo;
enum Mood { calm = 0; }
struct Note { text: string @1; }
struct Msg {
  id: u32 @1;
  name: string @3;
  note?: Note @9;
  mood: Mood @12;
}
union Choice { a: string @1; }
`;

const V2 = `package evo;
enum Mood { calm = 0; angry = 1; }
struct Note { text: string @1; stars: u8 @2; }
struct Msg {
  id: u32 @1;
  big: u64 @2;
  name: string @3;
  ratio: f32 @4;
  precise: f64 @5;
  tags: string[] @6;
  counts: u32[] @7;
  attrs: map<string, Note> @8;
  note?: Note @9;
  when: timestamp @10;
  moods: Mood[] @11;
  mood: Mood @12 = angry;
  extra: Note @13;
  far: bool @100000;
}
union Choice { a: string @1; b: u32 @2; }
`;

let v1: Generated;
let v2: Generated;
const codec = (g: Generated, name: string) => g.modules.get('evo')![name] as Codec<Record<string, unknown>>;

beforeAll(async () => {
  v1 = await generate(V1);
  v2 = await generate(V2);
});

describe('payload evolution', () => {
  it('a newer message decodes with the older schema: unknown fields of every wire type are skipped', () => {
    fc.assert(
      fc.property(arbitraryOf(v2.ir, 'evo.Msg') as fc.Arbitrary<Record<string, unknown>>, (value) => {
        const old = codec(v1, 'Msg').decode(codec(v2, 'Msg').encode(value));
        const note = value['note'] as { text: string } | undefined;
        expect(old).toEqual({
          id: value['id'],
          name: value['name'],
          note: note === undefined ? undefined : { text: note.text },
          // A member the old enum does not know is skipped like an unknown field: the old default stays.
          mood: 'calm',
        });
      }),
      { numRuns: 100 },
    );
  });

  it('an older message decodes with the newer schema: absent fields take defaults or zero values', () => {
    const bytes = codec(v1, 'Msg').encode({ id: 7, name: 'x', mood: 'calm' });
    const m = codec(v2, 'Msg').decode(bytes);
    expect(m).toEqual({
      id: 7,
      big: 0n,
      name: 'x',
      ratio: 0,
      precise: 0,
      tags: [],
      counts: [],
      attrs: new Map(),
      note: undefined,
      when: new Date(0),
      moods: [],
      mood: 'calm',
      extra: { text: '', stars: 0 },
      far: false,
    });
    // The field was present (calm = 0), so the newer default (angry) does not apply.
    expect(codec(v2, 'Msg').decode(new Uint8Array([0x08, 0x07])).mood).toBe('angry');
  });

  it('a union arm the older schema does not know is a DecodeError', () => {
    const bytes = codec(v2, 'Choice').encode({ kind: 'b', value: 3 });
    expect(() => codec(v1, 'Choice').decode(bytes)).toThrow(DecodeError);
    expect(codec(v1, 'Choice').decode(codec(v2, 'Choice').encode({ kind: 'a', value: 'hi' }))).toEqual({ kind: 'a', value: 'hi' });
  });

  it('duplicate fields: the last one wins; repeated elements accumulate', () => {
    const Msg = codec(v2, 'Msg');
    // id=1, id=2, tags "a", tags "b", name "p", name "q"
    const bytes = new Uint8Array([0x08, 0x01, 0x08, 0x02, 0x32, 0x01, 0x61, 0x32, 0x01, 0x62, 0x1a, 0x01, 0x70, 0x1a, 0x01, 0x71]);
    const m = Msg.decode(bytes);
    expect([m['id'], m['name'], m['tags']]).toEqual([2, 'q', ['a', 'b']]);
    // Packed and unpacked u32s both decode (and mix).
    const counts = Msg.decode(new Uint8Array([0x3a, 0x02, 0x01, 0x02, 0x38, 0x03]))['counts'];
    expect(counts).toEqual([1, 2, 3]);
  });

  it('a field with a known number but another wire type is skipped as unknown', () => {
    // id (field 1) sent as a length-delimited field: skipped, id stays 0.
    expect(codec(v2, 'Msg').decode(new Uint8Array([0x0a, 0x02, 0x01, 0x02]))['id']).toBe(0);
  });
});
