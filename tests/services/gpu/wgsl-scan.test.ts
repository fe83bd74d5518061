import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeEntryPoints, declaresPushConstants, outlineWgsl, stripWgslComments } from '../../../services/gpu/wgsl-scan.ts';

// Pieces WGSL is made of, so random sources hit attributes, templates and comments often.
const PIECES = [
  '@',
  '@compute',
  '@workgroup_size(64)',
  '@group(3)',
  '@binding(0)',
  '@group(',
  ')',
  '(',
  'fn',
  ' fn main',
  'var',
  '<uniform>',
  '<',
  '>',
  ' ',
  '\n',
  '//',
  '/*',
  '*/',
  'x',
  ';',
  '{',
  '}',
  '3u',
  ',',
];
const wgslish = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 4 })), { maxLength: 80 }).map((parts) => parts.join(''));

describe('WGSL outline (entry points, push-constant slot)', () => {
  it('finds @compute functions whatever the attribute order, and skips commented ones', () => {
    const source = `
// @compute fn commented() {}
/* @compute /* nested */ fn alsoCommented() {} */
@workgroup_size(8, 8) @compute
fn first() {}
@compute @workgroup_size(min(4, 2))
fn second(@builtin(global_invocation_id) id: vec3u) {}
fn helper() {}
@vertex fn vs() -> @builtin(position) vec4f { return vec4f(); }
`;
    expect(computeEntryPoints(source)).toEqual(['first', 'second']);
  });

  it('sees the push-constant uniform only at @group(3) @binding(0) var<uniform>', () => {
    expect(declaresPushConstants('@group(3) @binding(0) var<uniform> push: P;')).toBe(true);
    expect(declaresPushConstants('@binding(0u)\n@group( 3i )\nvar < uniform > push: P;')).toBe(true);
    expect(declaresPushConstants('@group(0x3) @binding(0) var<uniform> push: P;')).toBe(true);
    expect(declaresPushConstants('@group(3) @binding(0) var<storage, read> push: P;')).toBe(false);
    expect(declaresPushConstants('@group(3) @binding(1) var<uniform> push: P;')).toBe(false);
    expect(declaresPushConstants('// @group(3) @binding(0) var<uniform> push: P;')).toBe(false);
    expect(declaresPushConstants('@group(13) @binding(0) var<uniform> push: P;')).toBe(false);
  });

  it('keeps every line and column when blanking comments, for any source', () => {
    fc.assert(
      fc.property(wgslish, (source) => {
        const stripped = stripWgslComments(source);
        expect(stripped.length).toBe(source.length);
        for (let i = 0; i < source.length; i++) if (source[i] === '\n') expect(stripped[i]).toBe('\n');
        expect(stripped).not.toMatch(/\/\/|\/\*/u);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on hostile sources, and outlines only names that occur in them', () => {
    fc.assert(
      fc.property(fc.oneof(wgslish, fc.string({ maxLength: 200 })), (source) => {
        const outline = outlineWgsl(source);
        for (const fn of outline.functions) expect(source).toContain(fn.name);
        expect(typeof declaresPushConstants(source)).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('scans adversarial 256 KiB sources in linear time', () => {
    const size = 262144;
    const hostile = ['@a', '@a(', '@a(((', '/*', 'var<', '@group(3) @binding(0) ', 'fn fn fn ', '@\n'];
    for (const unit of hostile) {
      const source = unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
      const started = performance.now();
      computeEntryPoints(source);
      declaresPushConstants(source);
      expect(performance.now() - started, `"${unit}" repeated`).toBeLessThan(1000);
    }
  });
});
