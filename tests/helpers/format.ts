import type { IToken } from 'chevrotain';
import { formatFile } from '../../compiler/format/format.ts';
import { parseFile, type ParsedFile } from '../../compiler/parser/parse.ts';
import { SourceFile } from '../../compiler/source.ts';

export function parseText(text: string, path = 'input.midl'): ParsedFile {
  return parseFile(new SourceFile(path, text));
}

/** Token kinds and images: what formatting must preserve. */
export function tokenImages(tokens: readonly IToken[]): string[] {
  return tokens.map((t) => `${t.tokenType.name} ${t.image}`);
}

/**
 * What must hold for a file without syntax errors: formatting keeps every token and comment, yields a
 * file without syntax errors, and is idempotent. Returns the problems found (empty when all is well).
 */
export function formatProblems(text: string, path = 'input.midl'): string[] {
  const parsed = parseText(text, path);
  if (parsed.hasSyntaxErrors) return [];
  const problems: string[] = [];
  const once = formatFile(parsed);
  const reparsed = parseText(once, path);
  if (reparsed.hasSyntaxErrors) {
    problems.push(`formatted text has syntax errors: ${reparsed.diagnostics.all.map((d) => d.message).join('; ')}`);
    return problems;
  }
  const diff = firstDifference(tokenImages(parsed.tokens), tokenImages(reparsed.tokens));
  if (diff) problems.push(`tokens changed: ${diff}`);
  // Trailing white space of a `//` comment is layout, not content: the formatter trims it like any line
  // end, white space as JavaScript's \s has it (NBSP, U+2028, BOM included).
  const comments = (list: readonly IToken[]) => tokenImages(list).map((c) => c.replace(/\s+$/, ''));
  const commentDiff = firstDifference(comments(parsed.comments), comments(reparsed.comments));
  if (commentDiff) problems.push(`comments changed: ${commentDiff}`);
  const twice = formatFile(reparsed);
  if (twice !== once) problems.push(`not idempotent: ${firstDifference(once.split('\n'), twice.split('\n'))}`);
  return problems;
}

function firstDifference(a: readonly string[], b: readonly string[]): string | undefined {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return `at #${i}: ${JSON.stringify(a[i])} became ${JSON.stringify(b[i])}`;
  }
  return undefined;
}
