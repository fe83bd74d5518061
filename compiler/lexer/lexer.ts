import type { IToken } from 'chevrotain';
import { DiagnosticBag } from '../diagnostics/diagnostic.ts';
import { span, type SourceFile } from '../source.ts';
import { HashComment, MidlLexer, SingleQuotedString, UnterminatedComment, UnterminatedString } from './tokens.ts';

export interface LexResult {
  readonly tokens: IToken[];
  /** Comments and doc comments in source order; the formatter and doc attachment read them. */
  readonly comments: IToken[];
}

export function lex(file: SourceFile, diagnostics: DiagnosticBag): LexResult {
  const result = MidlLexer.tokenize(file.text);
  for (const err of result.errors) {
    const ch = file.text.slice(err.offset, err.offset + err.length);
    const first = String.fromCodePoint(ch.codePointAt(0) ?? 0xfffd);
    diagnostics.add('unexpectedCharacter', { char: printable(first) }, span(file, err.offset, err.offset + first.length), {
      help: 'remove it, or put it inside a string or a comment',
    });
  }
  for (const tok of result.groups['invalid'] ?? []) {
    if (tok.tokenType === HashComment) {
      const text = tok.image.slice(1).trim();
      const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
      diagnostics.add('hashComment', {}, span(file, tok.startOffset, tok.startOffset + 1), { help: `write \`// ${shown}\`` });
    } else if (tok.tokenType === UnterminatedComment) {
      diagnostics.add('unterminatedComment', {}, span(file, tok.startOffset, tok.startOffset + 2), { help: 'close the comment with */' });
    }
  }
  for (const tok of result.tokens) {
    if (tok.tokenType === UnterminatedString) {
      diagnostics.add('unterminatedString', {}, span(file, tok.startOffset, tok.endOffset! + 1), { help: 'add the closing " before the end of the line' });
    } else if (tok.tokenType === SingleQuotedString) {
      diagnostics.add('singleQuotedString', {}, span(file, tok.startOffset, tok.endOffset! + 1), {
        help: `write it with double quotes: "${tok.image.slice(1, -1)}"`,
      });
    }
  }
  return { tokens: result.tokens, comments: result.groups['comments'] ?? [] };
}

function printable(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0)) return `\\u{${cp.toString(16)}}`;
  return ch;
}
