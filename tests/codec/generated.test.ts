/**
 * Properties of every codec in generated/types (the idl/ schemas), with values built from the IR:
 * - binary and JSON round trips are exact; `example()` is valid and round-trips;
 * - encoding is deterministic (same value → same bytes, whatever the Map insertion order);
 * - decoders fed random bytes or truncated/bit-flipped encodings throw DecodeError and nothing else;
 * - `validate(v).ok` agrees with the ajv validator of the JSON Schema on `toJSON(v)`.
 */
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { expandInputs } from '../../compiler/config.ts';
import { validatorName } from '../../compiler/emitters/jsonschema/index.ts';
import { tsNames, typesModule, validatorsModule } from '../../compiler/emitters/shared/names.ts';
import type { IrProgram, IrTypeDecl } from '../../compiler/ir/ir.ts';
import { compile } from '../../compiler/program.ts';
import { DecodeError, JsonDecodeError, type Codec } from '../../runtime/codec/index.ts';
import { repoPath } from '../helpers/repo.ts';
import { arbitraryOf } from './arbitraries.ts';

type Validator = ((data: unknown) => boolean) & { errors?: unknown };

const ir: IrProgram = compile(expandInputs([repoPath('idl')])).ir;
const names = tsNames(ir);
const codecs = new Map<string, Codec<unknown>>();
const validators = new Map<string, Validator>();

// Every type has its codec and its ajv validator in the committed generated/ (midl gen --check keeps them current);
// one missing fails here by name instead of leaving a property unchecked.
beforeAll(async () => {
  const missing: string[] = [];
  for (const pkg of new Set(ir.types.map((t) => t.package))) {
    const mod = (await import(pathToFileURL(repoPath('generated', `${typesModule(pkg)}.ts`)).href)) as Record<string, Codec<unknown>>;
    const val = (await import(pathToFileURL(repoPath('generated', `${validatorsModule(pkg)}.js`)).href)) as Record<string, Validator>;
    for (const t of ir.types.filter((x) => x.package === pkg)) {
      const name = names.get(t.name)!;
      const codec = mod[name];
      const validator = val[validatorName(name)];
      if (codec) codecs.set(t.name, codec);
      else missing.push(`${typesModule(pkg)}.ts: ${name}`);
      if (validator) validators.set(t.name, validator);
      else missing.push(`${validatorsModule(pkg)}.js: ${validatorName(name)}`);
    }
  }
  expect(missing).toEqual([]);
});

const types: readonly IrTypeDecl[] = ir.types;
const RUNS = 25;

/** Only DecodeError may escape a decoder. */
function decodesOrRejects(c: Codec<unknown>, bytes: Uint8Array): void {
  try {
    c.decode(bytes);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw new Error(`${c.typeName} threw ${String(err)} for ${Buffer.from(bytes).toString('hex')}`, { cause: err });
    expect(err.offset).toBeGreaterThanOrEqual(0);
    expect(err.offset).toBeLessThanOrEqual(bytes.length);
  }
}

/** The same value with every Map's entries re-inserted in reverse order. */
function reverseMaps(v: unknown): unknown {
  if (v instanceof Map) return new Map([...v].reverse().map(([k, x]) => [k, reverseMaps(x)]));
  if (Array.isArray(v)) return v.map(reverseMaps);
  if (v && typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reverseMaps(x)]));
  }
  return v;
}

describe.each(types.map((t) => [t.name, t] as const))('%s', (name) => {
  it('example() is valid and round-trips through binary and JSON', () => {
    const c = codecs.get(name)!;
    const ex = c.example();
    expect(c.validate(ex)).toEqual({ ok: true });
    expect(c.decode(c.encode(ex))).toEqual(ex);
    expect(c.fromJSON(JSON.parse(JSON.stringify(c.toJSON(ex))))).toEqual(ex);
    expect(validators.get(name)!(c.toJSON(ex))).toBe(true);
  });

  it('random values round-trip exactly, encode deterministically, and survive hostile bytes', () => {
    const c = codecs.get(name)!;
    fc.assert(
      fc.property(arbitraryOf(ir, name), fc.integer({ min: 0, max: 1 << 30 }), (value, seed) => {
        const bytes = c.encode(value);
        expect(c.decode(bytes)).toEqual(value);
        expect(c.fromJSON(c.toJSON(value))).toEqual(value);
        expect(c.fromJSON(JSON.parse(JSON.stringify(c.toJSON(value))))).toEqual(value);
        // Deterministic: again, and with every Map built in another order.
        expect(Buffer.from(c.encode(value)).equals(bytes)).toBe(true);
        expect(Buffer.from(c.encode(reverseMaps(value))).equals(bytes)).toBe(true);
        // Truncations and a bit flip: a value or a DecodeError, nothing else.
        for (let n = 0; n < bytes.length; n += Math.max(1, bytes.length >> 3)) decodesOrRejects(c, bytes.subarray(0, n));
        if (bytes.length > 0) {
          const flipped = bytes.slice();
          flipped[seed % bytes.length]! ^= 1 << (seed % 8);
          decodesOrRejects(c, flipped);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('random bytes decode or throw DecodeError', () => {
    const c = codecs.get(name)!;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        decodesOrRejects(c, bytes);
      }),
      { numRuns: 100 },
    );
  });

  it('fromJSON of arbitrary JSON returns a value or throws JsonDecodeError only', () => {
    const c = codecs.get(name)!;
    const near = arbitraryOf(ir, name).map((v) => c.toJSON(v));
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), near), (j) => {
        try {
          c.fromJSON(j);
        } catch (err) {
          if (!(err instanceof JsonDecodeError)) throw new Error(`${name} fromJSON threw ${String(err)} for ${JSON.stringify(j)}`, { cause: err });
        }
      }),
      { numRuns: 50 },
    );
  });

  it('validate agrees with the JSON Schema (ajv) on toJSON', () => {
    const c = codecs.get(name)!;
    const ajv = validators.get(name)!;
    fc.assert(
      fc.property(arbitraryOf(ir, name), (value) => {
        const ours = c.validate(value);
        const theirs = ajv(c.toJSON(value));
        if (ours.ok !== theirs)
          throw new Error(`validate ${JSON.stringify(ours)} but ajv ${theirs} ${JSON.stringify(ajv.errors)} for ${JSON.stringify(c.toJSON(value))}`);
      }),
      { numRuns: RUNS },
    );
  });
});
