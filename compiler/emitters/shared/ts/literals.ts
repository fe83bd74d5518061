/**
 * Literal and name text as prettier writes it (singleQuote): string literals in the quote that needs
 * fewer escapes, numbers normalised, property keys bare where they may be.
 */
import type * as S from './syntax.ts';

// Characters that decide the quotes or need an escape.
const NEEDS_CARE = /['"\\\p{Cc}\u2028\u2029]/u;

/**
 * A string literal: single quotes unless the text holds more of them than double quotes (prettier's
 * choice); backslash, the quote, line breaks, control characters and U+2028/U+2029 escaped.
 */
export function quote(text: string): string {
  if (!NEEDS_CARE.test(text)) return `'${text}'`;
  let singles = 0;
  let doubles = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 39) singles++;
    else if (c === 34) doubles++;
  }
  const q = singles > doubles ? '"' : "'";
  let out = q;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const c = ch.charCodeAt(0);
    if (ch === q || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + q;
}

/** prettier's number normalisation: lower case, no `+` or leading zeros in exponents, no trailing zeros or dot. */
export function printNumber(raw: string): string {
  if (raw.length === 1 || /^[1-9][0-9]*$/.test(raw)) return raw;
  return raw
    .toLowerCase()
    .replace(/^([+-]?[\d.]+e)(?:\+|(-))?0*(?=\d)/, '$1$2')
    .replace(/^([+-]?[\d.]+)e[+-]?0+$/, '$1')
    .replace(/^([+-])?\./, '$10.')
    .replace(/(\.\d+?)0+(?=e|$)/, '$1')
    .replace(/\.(?=e|$)/, '');
}

// An ES5 IdentifierName (letters by Unicode category): keys prettier writes without quotes.
const ES5_IDENTIFIER = /^[$_\p{L}\p{Nl}][$_\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}\u200c\u200d]*$/u;

export function isBareKey(name: string): boolean {
  return ES5_IDENTIFIER.test(name);
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Whether `name` can be written as a plain identifier (`o.name`); generated names are ASCII. */
export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** The text of a node that is one token (a name or a literal): the same in a laid-out document and on a flat line. */
export function leafText(n: S.Identifier | S.StringLiteral | S.NumericLiteral | S.BigIntLiteral | S.BooleanLiteral | S.NullLiteral): string {
  switch (n.type) {
    case 'Identifier':
      return n.name;
    case 'StringLiteral':
      return quote(n.value);
    case 'NumericLiteral':
      return printNumber(n.raw);
    case 'BigIntLiteral':
      return n.raw.toLowerCase();
    case 'BooleanLiteral':
      return String(n.value);
    case 'NullLiteral':
      return 'null';
  }
}
