import { describe, expect, it } from 'vitest';
import { DiagnosticBag } from '../../compiler/diagnostics/diagnostic.ts';
import { lex } from '../../compiler/lexer/lexer.ts';
import { SourceFile } from '../../compiler/source.ts';
import { expectLinear } from '../helpers/linear.ts';

/**
 * Issue 10, item 9: the lexer is linear in its input. Each case is a 10 MB text built from one short
 * piece repeated, timed against the same piece at 1 MB. Before the fix, a dotted name (`package a.a.a…`)
 * took 11 s at 40,000 segments and never finished at 200,000: the address pattern scanned the whole run
 * of name characters and back at every segment.
 */
const MB = 1_000_000;

function lexed(text: string): { tokens: number; diagnostics: string[] } {
  const bag = new DiagnosticBag();
  const r = lex(new SourceFile('long.midl', text), bag);
  return { tokens: r.tokens.length + r.comments.length, diagnostics: [...new Set(bag.all.map((d) => d.code))] };
}

/** A text of about `size` characters: `piece` repeated, then `tail`. */
const repeat = (piece: string, size: number, head = '', tail = ''): string => head + piece.repeat(Math.floor(size / piece.length)) + tail;

interface Case {
  readonly name: string;
  readonly make: (size: number) => string;
  /** What lexing the 10 MB text must give. */
  readonly expected: (size: number) => { tokens: number; diagnostics: string[] };
}

/** Ten characters of name: pieces are long enough that 10 MB is about a million tokens, as a large real file. */
const NAME = 'abcdefghij';

const CASES: readonly Case[] = [
  {
    name: 'a package name of 200,000 dotted segments',
    make: (n) => repeat(`${NAME.repeat(5).slice(1)}.`, n, 'package ', 'a;'),
    expected: (n) => ({ tokens: 2 * Math.floor(n / 50) + 3, diagnostics: [] }),
  },
  {
    name: 'a run of 200,000 dashes between names',
    make: (n) => repeat(`${NAME.repeat(5).slice(1)}-`, n),
    expected: () => ({ tokens: -1, diagnostics: ['MIDL1001'] }),
  },
  { name: 'a run of names in braces', make: (n) => repeat(`{${NAME}}`, n), expected: (n) => ({ tokens: 3 * Math.floor(n / 12), diagnostics: [] }) },
  { name: 'a run of dotted numbers', make: (n) => repeat('123456789.', n), expected: () => ({ tokens: -1, diagnostics: [] }) },
  { name: 'one long name', make: (n) => 'a'.repeat(n), expected: () => ({ tokens: 1, diagnostics: [] }) },
  { name: 'one long number', make: (n) => '1'.repeat(n), expected: () => ({ tokens: 1, diagnostics: [] }) },
  { name: 'one long string', make: (n) => `"${'a'.repeat(n)}"`, expected: () => ({ tokens: 1, diagnostics: [] }) },
  { name: 'one long escaped string', make: (n) => `"${'\\"'.repeat(n / 2)}"`, expected: () => ({ tokens: 1, diagnostics: [] }) },
  { name: 'one long unterminated string', make: (n) => `"${'a'.repeat(n)}`, expected: () => ({ tokens: 1, diagnostics: ['MIDL1002'] }) },
  {
    name: 'lines of unterminated strings and no semicolon',
    make: (n) => repeat(`"${NAME}\n`, n),
    expected: (n) => ({ tokens: Math.floor(n / 12), diagnostics: ['MIDL1002'] }),
  },
  {
    name: 'lines of single-quoted strings',
    make: (n) => repeat(`'${NAME}\n`, n),
    expected: (n) => ({ tokens: Math.floor(n / 12), diagnostics: ['MIDL1006'] }),
  },
  {
    name: "lines of '#' comments",
    make: (n) => repeat(`# ${NAME}\n`, n),
    expected: () => ({ tokens: 0, diagnostics: ['MIDL1008'] }),
  },
  { name: "one long '#' comment", make: (n) => `#${'#'.repeat(n)}`, expected: () => ({ tokens: 0, diagnostics: ['MIDL1008'] }) },
  { name: 'one long unterminated comment', make: (n) => `/*${'a'.repeat(n)}`, expected: () => ({ tokens: 0, diagnostics: ['MIDL1003'] }) },
  { name: 'a run of block comments', make: (n) => repeat(`/* ${NAME} */`, n), expected: (n) => ({ tokens: Math.floor(n / 16), diagnostics: [] }) },
  { name: 'a long address', make: (n) => repeat(`${NAME}/`, n, '', 'a'), expected: () => ({ tokens: 1, diagnostics: [] }) },
  { name: 'a long hex number', make: (n) => `0x${'f'.repeat(n)}`, expected: () => ({ tokens: 1, diagnostics: [] }) },
  { name: 'a run of exponents without digits', make: (n) => repeat('123456789e', n), expected: () => ({ tokens: -1, diagnostics: [] }) },
];

describe('the lexer is linear in its input (10 MB of each kind)', () => {
  for (const c of CASES) {
    it(c.name, { timeout: 120_000 }, () => {
      const small = c.make(MB);
      const big = c.make(10 * MB);
      const result = expectLinear(
        () => lexed(small),
        () => lexed(big),
      );
      const expected = c.expected(10 * MB);
      expect(result.diagnostics).toEqual(expected.diagnostics);
      if (expected.tokens >= 0) expect(result.tokens).toBe(expected.tokens);
    });
  }
});
