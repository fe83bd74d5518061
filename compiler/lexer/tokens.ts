import type { ILexingResult, TokenType } from 'chevrotain';
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
/** `# text`, a comment in YAML, shell and Python but not in midl: lexed whole so the parser never sees its words. */
export const HashComment = createToken({ name: 'HashComment', pattern: /#[^\n]*/, group: 'invalid' });
export const UnterminatedComment = createToken({ name: 'UnterminatedComment', pattern: /\/\*[\s\S]*/, line_breaks: true, group: 'invalid' });
export const StringLiteral = createToken({
  name: 'StringLiteral',
  pattern: { exec: matchString },
  start_chars_hint: ['"'],
  line_breaks: false,
  label: 'a string',
});

/**
 * A closed double-quoted string on one line, escapes included: what `/"(?:[^"\\\n]|\\[^\n])*"/` matches,
 * without the expression's backtracking stack, which overflowed (RangeError) on a string of 10 MB.
 */
function matchString(text: string, offset: number): RegExpExecArray | null {
  if (text.charCodeAt(offset) !== 34 /* " */) return null;
  for (let i = offset + 1; i < text.length;) {
    const c = text.charCodeAt(i);
    if (c === 34) return [text.slice(offset, i + 1)] as unknown as RegExpExecArray;
    if (c === 10 /* \n */) return null;
    if (c === 92 /* \\ */) {
      if (i + 1 >= text.length || text.charCodeAt(i + 1) === 10) return null;
      i += 2;
    } else i++;
  }
  return null;
}

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
  // An unterminated string most likely ends where its statement does: before the first ';'. The search
  // stops at the line's end: an unbounded indexOf per token makes a file of such lines quadratic.
  for (let i = offset + 1; i < end; i++) {
    if (text.charCodeAt(i) === 59) {
      end = i;
      break;
    }
  }
  while (end > offset + 1 && /[ \t\r]/.test(text[end - 1]!)) end--;
  const match = [text.slice(offset, end)] as unknown as RegExpExecArray;
  return match;
}
/** A topic address: segments joined by '/'; the checker validates the segments precisely. */
export const Address = createToken({
  name: 'Address',
  pattern: { exec: matchAddress },
  start_chars_hint: Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_{}.-', (c) => c),
  line_breaks: false,
  label: 'a topic address',
});
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

function isAddressChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) /* a-z */ ||
    (c >= 65 && c <= 90) /* A-Z */ ||
    (c >= 48 && c <= 57) /* 0-9 */ ||
    c === 95 /* _ */ ||
    c === 123 /* { */ ||
    c === 125 /* } */ ||
    c === 46 /* . */ ||
    c === 45 /* - */
  );
}

/**
 * Where the last failed attempt's first segment ended, in the text being tokenized: every later offset
 * before it lies inside the same run of segment characters, so its attempt fails the same way and needs
 * no second scan. `MidlLexer.tokenize` resets it.
 */
let noAddressBefore = 0;

/**
 * `segment ('/' segment)+` with segment = [A-Za-z0-9_{}.-]+, longest match, as the regular expression
 * `/[A-Za-z0-9_{}.-]+(?:\/[A-Za-z0-9_{}.-]+)+/` would match it, in time linear in the whole text: the
 * expression scans the run to its end and back at every offset the lexer tries, so a dotted package name
 * of 200,000 segments (tried once per segment) never finished.
 */
function matchAddress(text: string, offset: number): RegExpExecArray | null {
  if (offset < noAddressBefore) return null;
  let end = offset;
  while (end < text.length && isAddressChar(text.charCodeAt(end))) end++;
  if (end === offset) return null;
  let segments = 1;
  while (text.charCodeAt(end) === 47 /* / */ && isAddressChar(text.charCodeAt(end + 1))) {
    end += 2;
    while (end < text.length && isAddressChar(text.charCodeAt(end))) end++;
    segments++;
  }
  if (segments === 1) {
    noAddressBefore = end;
    return null;
  }
  return [text.slice(offset, end)] as unknown as RegExpExecArray;
}

/** Order matters: Chevrotain takes the first pattern that matches, not the longest. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  DocComment,
  LineComment,
  BlockComment,
  UnterminatedComment,
  HashComment,
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

const lexer = new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false });

export const MidlLexer = {
  tokenize(text: string): ILexingResult {
    noAddressBefore = 0;
    try {
      return lexer.tokenize(text);
    } finally {
      noAddressBefore = 0;
    }
  },
};
