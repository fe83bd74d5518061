/**
 * Every example validates: `exampleJson` (what `example()`, JSON Schema `examples`, the OpenAI and
 * Anthropic examples and FountainKit samples are made of) satisfies its own type's schema for every
 * schema in the repository and for generated sets of constrained string fields; where no example can be
 * derived, the checker says so (MIDL1319), naming the field, and an explicit `example` fixes it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exampleJson } from '../../compiler/emitters/shared/example.ts';
import { typeSchema } from '../../compiler/emitters/jsonschema/schema.ts';
import type { IrProgram } from '../../compiler/ir/ir.ts';
import * as generated from '../../generated/index.ts';
import { compileText } from '../helpers/compile.ts';
import { newAjv, repoPrograms } from './helpers.ts';

function invalidExamples(ir: IrProgram): string[] {
  const ajv = newAjv();
  const out: string[] = [];
  for (const t of ir.types) {
    const validate = ajv.compile(typeSchema(ir, t.name));
    const example = exampleJson(ir, t.name);
    if (!validate(example)) out.push(`${t.name}: ${JSON.stringify(example)} ${ajv.errorsText(validate.errors)}`);
  }
  return out;
}

function schemaWith(field: string): string {
  return `package demo.ex;
version "1.0.0";

struct Link {
  ${field}
}

topic demo/link {
  payload: Link;
}
`;
}

const errorsOf = (text: string) => compileText(text).diagnostics.filter((d) => d.severity === 'error');

describe('examples', () => {
  it('validate for every type of every repository schema', () => {
    for (const p of repoPrograms()) expect(invalidExamples(p.ir), p.label).toEqual([]);
  });

  it("validate through the generated codecs' own validate (generated/)", () => {
    let checked = 0;
    for (const [name, value] of Object.entries(generated)) {
      const codec = value as { example?: unknown; validate?: unknown };
      if (typeof codec !== 'object' || typeof codec.example !== 'function' || typeof codec.validate !== 'function') continue;
      const result = (codec.validate as (v: unknown) => { ok: boolean })((codec.example as () => unknown)());
      expect(result, name).toEqual({ ok: true });
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('take the literal prefix of an anchored pattern with a format', () => {
    const { ir, diagnostics } = compileText(schemaWith('href: string @1 (format = "uri", pattern = "^https://api\\\\.example\\\\.org/");'));
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(exampleJson(ir, 'demo.ex.Link')).toEqual({ href: 'https://api.example.org/' });
    expect(invalidExamples(ir)).toEqual([]);
  });

  it('are refused with MIDL1319 naming the field when none can be derived, and an explicit example fixes it', () => {
    const field = 'target: string @1 (format = "uri", pattern = "^[a-z]+:[0-9]+$")';
    const errors = errorsOf(schemaWith(`${field};`));
    expect(errors.map((d) => d.code)).toEqual(['MIDL1319']);
    expect(errors[0]!.message).toBe(`field 'target' has no valid example: no sample satisfies format = "uri", pattern = "^[a-z]+:[0-9]+$"`);
    expect(errors[0]!.help).toContain('example = ');
    const fixed = compileText(schemaWith(`${field.slice(0, -1)}, example = "tel:123");`));
    expect(fixed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(exampleJson(fixed.ir, 'demo.ex.Link')).toEqual({ target: 'tel:123' });
    expect(invalidExamples(fixed.ir)).toEqual([]);
  });

  it('must satisfy the constraints when written explicitly', () => {
    const errors = errorsOf(schemaWith('id: string @1 (pattern = "^[0-9]+$", example = "abc");'));
    expect(errors.map((d) => [d.code, d.message])).toEqual([['MIDL1319', `field 'id' has no valid example: example "abc" violates pattern = "^[0-9]+$"`]]);
    expect(errorsOf(schemaWith('n: u8 @1 (example = "1");')).map((d) => d.code)).toEqual(['MIDL1305']);
    // A default is the field's example, but a stated example is still held to the constraints.
    expect(errorsOf(schemaWith('id: string @1 (pattern = "^[0-9]+$", example = "abc") = "1";')).map((d) => d.code)).toEqual(['MIDL1319']);
    expect(errorsOf(schemaWith('target: string @1 (format = "uri", pattern = "^[a-z]+:[0-9]+$") = "tel:1";'))).toEqual([]);
  });

  it('exist for every type: a struct that must hold itself in a non-empty array is MIDL1316, not a stack overflow in gen', () => {
    const text = schemaWith('name: string @1;\n}\n\nstruct Tree {\n  children: Tree[] @1 (minItems = 1);\n  byName: map<string, Tree> @2;');
    const errors = errorsOf(text);
    expect(errors.map((d) => [d.code, d.message])).toEqual([['MIDL1316', "struct 'Tree' contains itself through required fields: Tree.children"]]);
    expect(errors[0]!.help).toContain('minItems = 0');
    const { ir, diagnostics } = compileText(text.replace(' (minItems = 1)', ''));
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(exampleJson(ir, 'demo.ex.Tree')).toEqual({ children: [], byName: {} });
    expect(invalidExamples(ir)).toEqual([]);
  });

  it('validate for generated constrained string fields, or the field is refused with MIDL1319', () => {
    const formats = [undefined, 'uri', 'email', 'hostname', 'date-time', 'ipv4', 'uuid', 'uri-reference', 'date'];
    const patterns = [
      undefined,
      '^https://',
      '^[a-z]+$',
      '^[A-Z][a-z0-9]*$',
      '^x-[0-9]{2}$',
      '^[a-z]+:[0-9]+$',
      '\\\\.com/?$',
      '^.{3,5}$',
      '^urn:',
      '@example\\\\.com$',
    ];
    const len = fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined });
    fc.assert(
      fc.property(fc.constantFrom(...formats), fc.constantFrom(...patterns), len, len, (format, pattern, a, b) => {
        const [minLength, maxLength] = a !== undefined && b !== undefined && a > b ? [b, a] : [a, b];
        const cs = [
          format !== undefined ? `format = "${format}"` : '',
          pattern !== undefined ? `pattern = "${pattern}"` : '',
          minLength !== undefined ? `minLength = ${minLength}` : '',
          maxLength !== undefined ? `maxLength = ${maxLength}` : '',
        ].filter((c) => c !== '');
        const text = schemaWith(`field: string @1${cs.length > 0 ? ` (${cs.join(', ')})` : ''};`);
        const result = compileText(text);
        const errors = result.diagnostics.filter((d) => d.severity === 'error');
        if (errors.length > 0) {
          expect(
            errors.map((d) => d.code),
            text,
          ).toEqual(['MIDL1319']);
          expect(errors[0]!.message).toContain("field 'field'");
          return;
        }
        expect(invalidExamples(result.ir), text).toEqual([]);
      }),
      { numRuns: 150, seed: 11 },
    );
  });
});
