import type { TokenType } from 'chevrotain';
import { createToken, Lexer } from './chevrotain.ts';

/**
 * Token vocabulary of .midl. Keywords belong to the `Name` category so that a keyword can still be
 * used as a field or property name (`errors: GpuError;`, `version: string @1;`).
 */
export const Name = createToken({ name: 'Name', pattern: Lexer.NA, label: 'a name' });
export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, categories: [Name], label: 'a name' });

function keyword(word: string, inName = true): TokenType {
  return createToken({
    name: word[0]!.toUpperCase() + word.slice(1),
    pattern: new RegExp(`${word}(?![A-Za-z0-9_])`),
    longer_alt: Identifier,
    categories: inName ? [Name] : [],
    label: `'${word}'`,
  });
}

export const Package = keyword('package');
export const Version = keyword('version');
export const Import = keyword('import');
export const Capability = keyword('capability');
export const Struct = keyword('struct');
export const Enum = keyword('enum');
export const Union = keyword('union');
export const Errors = keyword('errors');
export const Topic = keyword('topic');
export const Intent = keyword('intent');
export const Reserved = keyword('reserved');
export const Map = keyword('map');
export const True = keyword('true', false);
export const False = keyword('false', false);

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\uFEFF]+/, group: Lexer.SKIPPED });
export const DocComment = createToken({ name: 'DocComment', pattern: /\/\/\/(?!\/)[^\n]*/, group: 'comments' });
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\n]*/, group: 'comments' });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, line_breaks: true, group: 'comments' });
export const UnterminatedComment = createToken({ name: 'UnterminatedComment', pattern: /\/\*[\s\S]*/, line_breaks: true, group: 'invalid' });
export const StringLiteral = createToken({ name: 'StringLiteral', pattern: /"(?:[^"\\\n]|\\[^\n])*"/, label: 'a string' });
/**
 * Mistyped strings stay strings (and are reported once by the lexer) so that the parser does not
 * produce follow-on errors: single-quoted text, and a string whose closing quote is missing, which
 * ends before a final ';' on its line so the statement still ends.
 */
export const SingleQuotedString = createToken({
  name: 'SingleQuotedString',
  pattern: { exec: (text: string, offset: number) => matchQuoted(text, offset, 39) },
  start_chars_hint: ["'"],
  line_breaks: false,
  categories: [StringLiteral],
  label: 'a string',
});
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: { exec: (text: string, offset: number) => matchQuoted(text, offset, 34, false) },
  start_chars_hint: ['"'],
  line_breaks: false,
  categories: [StringLiteral],
  label: 'a string',
});

/**
 * A string opened by `quote`: up to its closing quote (when `allowClosed`), else to the first ';' or the
 * end of its line, minus trailing blanks. Double-quoted strings reach this only when unterminated, since
 * StringLiteral is tried first.
 */
function matchQuoted(text: string, offset: number, quote: number, allowClosed = true): RegExpExecArray | null {
  if (text.charCodeAt(offset) !== quote) return null;
  let end = offset + 1;
  while (end < text.length && text.charCodeAt(end) !== 10) {
    if (text.charCodeAt(end) === quote && allowClosed) return [text.slice(offset, end + 1)] as unknown as RegExpExecArray;
    if (text.charCodeAt(end) === 92 && end + 1 < text.length && text.charCodeAt(end + 1) !== 10) end++;
    end++;
  }
  // An unterminated string most likely ends where its statement does: before the first ';'.
  const semi = text.indexOf(';', offset + 1);
  if (semi !== -1 && semi < end) end = semi;
  while (end > offset + 1 && /[ \t\r]/.test(text[end - 1]!)) end--;
  const match = [text.slice(offset, end)] as unknown as RegExpExecArray;
  return match;
}
/** A topic address: segments joined by '/'; the checker validates the segments precisely. */
export const Address = createToken({ name: 'Address', pattern: /[A-Za-z0-9_{}.-]+(?:\/[A-Za-z0-9_{}.-]+)+/, label: 'a topic address' });
export const HexNumber = createToken({ name: 'HexNumber', pattern: /0[xX][0-9A-Fa-f_]+/, label: 'a number' });
export const ExpNumber = createToken({ name: 'ExpNumber', pattern: /-?\d+(?:\.\d+)?[eE][+-]?\d+/, label: 'a number' });
/** A number with a unit: 50ms, 1MiB. Which units are valid is the checker's job. */
export const Quantity = createToken({ name: 'Quantity', pattern: /\d+(?:\.\d+)?[A-Za-z]+/, label: 'a quantity' });
export const NumberLiteral = createToken({ name: 'NumberLiteral', pattern: /-?\d+(?:\.\d+)?/, label: 'a number' });

export const LCurly = createToken({ name: 'LCurly', pattern: /{/, label: "'{'" });
export const RCurly = createToken({ name: 'RCurly', pattern: /}/, label: "'}'" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const LSquare = createToken({ name: 'LSquare', pattern: /\[/, label: "'['" });
export const RSquare = createToken({ name: 'RSquare', pattern: /]/, label: "']'" });
export const Less = createToken({ name: 'Less', pattern: /</, label: "'<'" });
export const Greater = createToken({ name: 'Greater', pattern: />/, label: "'>'" });
export const Semi = createToken({ name: 'Semi', pattern: /;/, label: "';'" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: "'='" });
export const Question = createToken({ name: 'Question', pattern: /\?/, label: "'?'" });
export const At = createToken({ name: 'At', pattern: /@/, label: "'@'" });
export const Dot = createToken({ name: 'Dot', pattern: /\./, label: "'.'" });

const keywords = [Package, Version, Import, Capability, Struct, Enum, Union, Errors, Topic, Intent, Reserved, Map, True, False];

/** Order matters: Chevrotain takes the first pattern that matches, not the longest. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  DocComment,
  LineComment,
  BlockComment,
  UnterminatedComment,
  StringLiteral,
  SingleQuotedString,
  UnterminatedString,
  Address,
  HexNumber,
  ExpNumber,
  Quantity,
  NumberLiteral,
  ...keywords,
  Name,
  Identifier,
  LCurly,
  RCurly,
  LParen,
  RParen,
  LSquare,
  RSquare,
  Less,
  Greater,
  Semi,
  Colon,
  Comma,
  Equals,
  Question,
  At,
  Dot,
];

export const MidlLexer = new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false });
