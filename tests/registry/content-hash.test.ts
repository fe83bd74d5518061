import { describe, expect, it } from 'vitest';
import { canonicalSources, fileSetHash, packageContentHash } from '../../cli/registry/content-hash.ts';
import { sourceDifferences } from '../../cli/registry/source-diff.ts';

const SOURCE = `/// Greetings.
package starter.greeter;
version "0.1.0";

// Whom to greet.
struct GreetRequest {
  name: string @1;
}
`;

const hashOf = (files: Record<string, string>) => packageContentHash(canonicalSources(new Map(Object.entries(files))));

describe('package content hash', () => {
  it('is the same for a layout-only edit and for a moved file (the canonical form is the same)', () => {
    const base = hashOf({ 'schema/greeter.midl': SOURCE });
    expect(hashOf({ 'schema/greeter.midl': SOURCE.replace('  name: string @1;', 'name   :   string   @1 ;') })).toBe(base);
    expect(hashOf({ 'elsewhere/g.midl': SOURCE })).toBe(base);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with any token, comment or doc comment', () => {
    const base = hashOf({ 'g.midl': SOURCE });
    for (const edit of [SOURCE.replace('@1', '@2'), SOURCE.replace('// Whom', '// Who'), SOURCE.replace('/// Greetings.', '/// Hellos.')])
      expect(hashOf({ 'g.midl': edit })).not.toBe(base);
  });

  it('stores the canonical text, and splits no two file sets alike', () => {
    expect(canonicalSources(new Map([['g.midl', SOURCE.replace('  name', '      name')]]))).toEqual({ 'g.midl': SOURCE });
    expect(fileSetHash({ a: 'bc' })).not.toBe(fileSetHash({ ab: 'c' }));
    expect(fileSetHash({ a: '1', b: '2' })).toBe(fileSetHash({ b: '2', a: '1' }));
  });
});

describe('sourceDifferences', () => {
  it('names each file that differs with its first differing line, bounded', () => {
    expect(sourceDifferences({ 'a.midl': 'x\ny\n', 'gone.midl': 'g', 'bin.midl': 1 }, { 'a.midl': 'x\nz\n', 'new.midl': 'n', 'bin.midl': 'b' })).toEqual([
      'a.midl: line 2: stored "y", here "z"',
      'bin.midl: the stored source is not text',
      'gone.midl: only in the store',
      'new.midl: only here',
    ]);
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}.midl`, `${'long '.repeat(100)}${i}`]));
    const lines = sourceDifferences(many, {});
    expect(lines).toHaveLength(11);
    expect(lines.at(-1)).toBe('… and 20 more files');
    expect(sourceDifferences({ 'a.midl': 'q'.repeat(500) }, { 'a.midl': `${'q'.repeat(499)}r` })[0]!.length).toBeLessThan(300);
  });
});
