import type { IToken } from 'chevrotain';
import type { ParsedFile } from '../parser/parse.ts';

const INDENT = '  ';
const NO_SPACE_BEFORE = new Set(['Semi', 'Comma', 'RParen', 'RSquare', 'Colon', 'Greater', 'Dot', 'Less']);
const NO_SPACE_AFTER = new Set(['LParen', 'LSquare', 'Less', 'At', 'Dot']);
/** Tokens after which `[` is a type suffix (`T[]`) rather than a list literal. */
const TYPE_END = new Set(['Identifier', 'Name', 'RSquare', 'Greater', 'Question']);

/**
 * Canonical layout of a file that parsed without errors. Works on the token stream, so every comment is
 * kept exactly; the layout is a function of the tokens alone (plus where blank lines and trailing
 * comments were), which makes it idempotent.
 */
export function formatFile(parsed: ParsedFile): string {
  if (parsed.hasSyntaxErrors) throw new Error('formatFile needs a file without syntax errors');
  const text = parsed.ast.file.text;
  const items = [...parsed.tokens, ...parsed.comments].sort((a, b) => a.startOffset - b.startOffset);
  const lines: string[] = [];
  let line = '';
  let depth = 0;
  let prev: IToken | undefined;
  let pendingBlank = false;

  const flush = () => {
    if (line.trim() !== '') lines.push(line.replace(/\s+$/, ''));
    line = '';
  };
  const startLine = () => {
    if (line.trim() !== '') flush();
    if (pendingBlank && lines.length > 0 && !lines[lines.length - 1]!.endsWith('{')) lines.push('');
    pendingBlank = false;
    line = INDENT.repeat(depth);
  };
  const atLineStart = () => line.trim() === '';

  for (let i = 0; i < items.length; i++) {
    const tok = items[i]!;
    const kind = tok.tokenType.name;
    const gap = prev ? text.slice(prev.endOffset! + 1, tok.startOffset) : '';
    const newlines = (gap.match(/\n/g) ?? []).length;
    if (newlines >= 2) pendingBlank = true;

    if (kind === 'LineComment' || kind === 'BlockComment' || kind === 'DocComment') {
      const trailing = prev !== undefined && newlines === 0 && kind !== 'DocComment';
      if (trailing && !atLineStart()) {
        line += ` ${tok.image}`;
        if (kind === 'LineComment' || prev?.tokenType.name === 'Semi') flush();
      } else {
        startLine();
        line += tok.image;
        if (kind !== 'BlockComment' || nextOnNewLine(text, tok, items[i + 1])) flush();
      }
      prev = tok;
      continue;
    }

    if (kind === 'RCurly') {
      depth = Math.max(0, depth - 1);
      if (prev?.tokenType.name === 'LCurly' && !atLineStart()) {
        line += '}';
      } else {
        pendingBlank = false;
        startLine();
        line += '}';
      }
      const next = items[i + 1];
      const trailingComment =
        next && isComment(next) && next.tokenType.name !== 'DocComment' && !text.slice(tok.endOffset! + 1, next.startOffset).includes('\n');
      if (!trailingComment) flush();
      // Top-level declarations are separated by one blank line.
      if (depth === 0 && next) pendingBlank = true;
      prev = tok;
      continue;
    }

    if (atLineStart()) {
      startLine();
      line += tok.image;
    } else {
      line += spaceBetween(prev, tok) ? ` ${tok.image}` : tok.image;
    }

    if (kind === 'LCurly') {
      depth++;
      const next = items[i + 1];
      if (next?.tokenType.name !== 'RCurly') flush();
    } else if (kind === 'Semi') {
      const next = items[i + 1];
      const trailingComment =
        next && isComment(next) && !text.slice(tok.endOffset! + 1, next.startOffset).includes('\n') && next.tokenType.name !== 'DocComment';
      if (!trailingComment) flush();
    }
    prev = tok;
  }
  flush();
  return lines.join('\n') + '\n';
}

function isComment(tok: IToken): boolean {
  const k = tok.tokenType.name;
  return k === 'LineComment' || k === 'BlockComment' || k === 'DocComment';
}

function nextOnNewLine(text: string, tok: IToken, next: IToken | undefined): boolean {
  return !next || text.slice(tok.endOffset! + 1, next.startOffset).includes('\n');
}

function spaceBetween(prev: IToken | undefined, tok: IToken): boolean {
  if (!prev) return false;
  const p = prev.tokenType.name;
  const k = tok.tokenType.name;
  if (isComment(prev)) return true;
  if (NO_SPACE_AFTER.has(p)) return false;
  if (NO_SPACE_BEFORE.has(k)) return false;
  if (k === 'Question') return false;
  if (k === 'LSquare') return !(TYPE_END.has(p) || isKeywordName(prev));
  if (k === 'LParen') return true;
  return true;
}

/** Keywords used as names (`map`, `errors`…) end a type just like identifiers do. */
function isKeywordName(tok: IToken): boolean {
  return (tok.tokenType.CATEGORIES ?? []).some((c) => c.name === 'Name');
}
