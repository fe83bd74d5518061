import { describe, expect, it } from 'vitest';
import { parseFile } from '../../compiler/parser/parse.ts';
import { SourceFile } from '../../compiler/source.ts';
import { compileText, diagnosticProblems } from '../helpers/compile.ts';

/**
 * Regression tests for compiler problems found while writing the golden and fuzz tests. A problem not
 * yet fixed is written with `it.fails` (and, for fuzz findings, an entry in tests/helpers/known-issues.ts);
 * these are all fixed now.
 */
describe('fixed compiler issues', () => {
  it('a syntax error at the very end of the file has a span inside the file', () => {
    // `package a.b` without ';' at EOF: MIDL1101 spans [11, 12) in an 11-character file.
    const parsed = parseFile(new SourceFile('input.midl', 'package a.b'));
    expect(parsed.diagnostics.all.map((d) => d.code)).toEqual(['MIDL1101']);
    expect(diagnosticProblems(parsed.diagnostics.all)).toEqual([]);
  });

  it('deeply nested list defaults do not overflow the stack', () => {
    // 400 unclosed '[' throw RangeError: Maximum call stack size exceeded (from Chevrotain's recursion).
    const text = 'package deep.test;\nversion "1.0.0";\nstruct S { a: json @1 = ' + '['.repeat(400) + '; }\n';
    expect(compileText(text).diagnostics.map((d) => d.code)).toContain('MIDL1007');
  });

  it('deeply nested map types do not overflow the stack', () => {
    const text = 'package deep.test;\nversion "1.0.0";\nstruct S { a: ' + 'map<string, '.repeat(1000) + 'u8' + '>'.repeat(1000) + ' @1; }\n';
    expect(compileText(text).diagnostics.map((d) => d.code)).toEqual(['MIDL1007']);
  });

  it('a long run of array suffixes is refused, not recursed into', () => {
    const text = 'package deep.test;\nversion "1.0.0";\nstruct S { a: u8' + '[]'.repeat(5000) + ' @1; }\n';
    expect(compileText(text).diagnostics.map((d) => d.code)).toEqual(['MIDL1007']);
  });
});
