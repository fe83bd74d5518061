import type { CstNode, IToken } from 'chevrotain';
import { buildAst } from '../ast/build.ts';
import type { FileAst } from '../ast/nodes.ts';
import { DiagnosticBag } from '../diagnostics/diagnostic.ts';
import { lex } from '../lexer/lexer.ts';
import { span, type SourceFile, type Span } from '../source.ts';
import { parseTokens, type ParseError } from './parser.ts';

export interface ParsedFile {
  readonly ast: FileAst;
  readonly tokens: readonly IToken[];
  readonly comments: readonly IToken[];
  readonly diagnostics: DiagnosticBag;
  /** True when the lexer or parser reported an error; the formatter refuses such files. */
  readonly hasSyntaxErrors: boolean;
}

/** text → tokens → CST → AST for one file; never throws for bad input. */
export function parseFile(file: SourceFile): ParsedFile {
  const diagnostics = new DiagnosticBag();
  const { tokens, comments } = lex(file, diagnostics);
  const tooDeep = firstTooDeep(tokens);
  if (tooDeep) {
    // Refuse before parsing: every later stage recurses over nesting, and input must not choose the depth.
    diagnostics.add('nestingTooDeep', { max: MAX_NESTING }, span(file, tooDeep.startOffset, (tooDeep.endOffset ?? tooDeep.startOffset) + 1), {
      help: 'flatten the structure: name the inner type and refer to it',
    });
    const ast: FileAst = { file, headers: [], decls: [], firstDeclPosition: Infinity };
    return { ast, tokens, comments, diagnostics, hasSyntaxErrors: true };
  }
  const { cst, errors: parseErrors } = parseTokens(tokens);
  const errors = [...parseErrors, ...strayClosers(cst, tokens)];
  // A line the lexer already complained about would only produce echoes from the parser.
  const lexedBadLines = new Set(diagnostics.all.flatMap((d) => (d.span ? [d.span.file.position(d.span.start).line] : [])));
  reportSyntaxErrors(
    file,
    cst,
    tokens,
    errors.filter((e) => !lexedBadLines.has(e.token.startLine ?? -1)),
    diagnostics,
  );
  const hasSyntaxErrors = diagnostics.hasErrors;
  const errorOffsets = errors.map((e) => (Number.isFinite(e.token.startOffset) ? e.token.startOffset : file.text.length));
  const ast = buildAst(file, cst, comments, errorOffsets, diagnostics);
  return { ast, tokens, comments, diagnostics, hasSyntaxErrors };
}

/** Each '}' the grammar kept as a stray closer at top level, as the error Chevrotain would have raised for it. */
function strayClosers(cst: CstNode, tokens: readonly IToken[]): ParseError[] {
  // The closers come in source order, so one cursor over the tokens finds each one's predecessor.
  let index = 0;
  return ((cst.children['strayCloser'] ?? []) as CstNode[]).map((node) => {
    const token = (node.children['RCurly'] as IToken[])[0]!;
    while (index < tokens.length && tokens[index] !== token) index++;
    return {
      expected: 'a declaration',
      token,
      previousToken: index > 0 ? tokens[index - 1] : undefined,
      kind: 'not-all-input',
      resyncedTokens: [],
      ruleStack: ['file'],
    };
  });
}

/** Deepest nesting of brackets, blocks and type suffixes (`T[][]…`) accepted in a file. */
export const MAX_NESTING = 64;
const OPENERS = new Set(['LCurly', 'LParen', 'LSquare', 'Less']);
const CLOSERS = new Set(['RCurly', 'RParen', 'RSquare', 'Greater']);

function firstTooDeep(tokens: readonly IToken[]): IToken | undefined {
  let depth = 0;
  let suffixRun = 0;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    const kind = tok.tokenType.name;
    if (OPENERS.has(kind)) depth++;
    else if (CLOSERS.has(kind)) depth = Math.max(0, depth - 1);
    // `[]` and `?` after a type each add a level of type nesting without staying open.
    const suffix = (kind === 'LSquare' && tokens[i + 1]?.tokenType.name === 'RSquare') || kind === 'Question';
    suffixRun = suffix ? suffixRun + 1 : kind === 'RSquare' ? suffixRun : 0;
    if (depth > MAX_NESTING || suffixRun > MAX_NESTING) return tok;
  }
  return undefined;
}

const HELP: Record<string, string> = {
  "';'": "declarations, fields and properties end with ';'",
  "'@'": 'struct fields and union arms need a field number, e.g. `name: string @1;`',
  "'}'": "a block is missing its closing '}'",
  "'{'": "a declaration's body is written in braces: `struct Name { … }`",
  "':'": 'fields and properties are written `name: value`',
  "'='": 'enum members and error codes are written `NAME = number;`',
  'a name': 'names start with a letter or _ and contain letters, digits and _',
};

/**
 * One error per top-level declaration: after the first, Chevrotain's recovery often produces follow-on
 * errors that only restate the first (typespec#299), so the rest of that declaration stays quiet.
 */
function reportSyntaxErrors(file: SourceFile, cst: CstNode, tokens: readonly IToken[], errors: readonly ParseError[], out: DiagnosticBag): void {
  const tops = ((cst.children['topLevel'] ?? []) as CstNode[]).map((n) => [n.location?.startOffset ?? 0, n.location?.endOffset ?? 0] as const);
  const seenDecl = new Set<number>();
  const seenOffset = new Set<number>();
  let openBlocks: OpenBlocks | undefined;
  for (const e of errors) {
    const at = Number.isFinite(e.token.startOffset) ? e.token.startOffset : file.text.length;
    const declIndex = tops.findIndex(([s, end]) => at >= s && at <= end);
    if (seenOffset.has(at) || (declIndex >= 0 && seenDecl.has(declIndex))) continue;
    seenOffset.add(at);
    if (declIndex >= 0) seenDecl.add(declIndex);
    const found = describeFound(e.token);
    const where = errorSpan(file, e);
    const inMember = e.kind === 'no-alternative' && e.ruleStack[e.ruleStack.length - 1] === 'member';
    if (e.kind === 'mismatch' && e.expected === "'}'") {
      openBlocks ??= new OpenBlocks(file, tokens);
      const block = openBlocks.at(at);
      if (block)
        out.add('unclosedBlock', { block: `\`${block.name}\``, found }, where, {
          help: `add '}' to close \`${block.name}\``,
          notes: [{ message: 'its block opens here', span: block.brace }],
        });
      else out.add('expectedToken', { expected: "'}'", found }, where, { help: HELP["'}'"]! });
      continue;
    }
    const fieldName = inMember ? nextToken(tokens, e.token) : undefined;
    if (fieldName) {
      // `name Type @1;`: the member is clearly a field that lacks its colon; say so at the right place.
      out.add(
        'expectedToken',
        { expected: "':' after the field name", found: describeFound(fieldName) },
        span(file, fieldName.startOffset, (fieldName.endOffset ?? fieldName.startOffset) + 1),
        { help: `write \`${e.token.image}: Type @1;\`` },
      );
      continue;
    }
    const help = HELP[e.expected] ?? 'see docs/language.md for the grammar';
    if (e.kind === 'mismatch' && e.expected !== 'EOF') out.add('expectedToken', { expected: e.expected, found }, where, { help });
    else if (e.kind === 'not-all-input' || e.kind === 'mismatch')
      out.add('unexpectedToken', { found, expected: 'a declaration (struct, enum, union, errors, topic, intent, capability)' }, where, {
        help: 'top-level items are declarations; check for an extra closing brace above',
      });
    else out.add('unexpectedToken', { found, expected: e.expected }, where, { help });
  }
}

/**
 * The block a missing '}' belongs to: the innermost '{' still open before the error (blocks stop at the
 * next declaration, so that is the one left open), named by its head: `struct Strip`, `publish`. One pass
 * over the tokens serves every error of the file, so a file of many such errors stays linear.
 */
class OpenBlocks {
  /** For each token index (and one past the last), the index of the innermost '{' open before it, or -1. */
  private readonly innermost: Int32Array;

  constructor(
    private readonly file: SourceFile,
    private readonly tokens: readonly IToken[],
  ) {
    this.innermost = new Int32Array(tokens.length + 1);
    const open: number[] = [];
    for (let i = 0; i < tokens.length; i++) {
      this.innermost[i] = open.at(-1) ?? -1;
      const kind = tokens[i]!.tokenType.name;
      if (kind === 'LCurly') open.push(i);
      else if (kind === 'RCurly') open.pop();
    }
    this.innermost[tokens.length] = open.at(-1) ?? -1;
  }

  /** The block left open at offset `at`, or undefined when no '{' is open there or it has no head. */
  at(at: number): { name: string; brace: Span } | undefined {
    let lo = 0;
    let hi = this.tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tokens[mid]!.startOffset < at) lo = mid + 1;
      else hi = mid;
    }
    const brace = this.innermost[lo]!;
    if (brace < 0) return undefined;
    let head = brace;
    while (head > 0 && brace - head < MAX_HEAD_TOKENS && !BLOCK_HEAD_STOPS.has(this.tokens[head - 1]!.tokenType.name)) head--;
    if (head === brace) return undefined;
    const braceAt = this.tokens[brace]!.startOffset;
    const name = this.file.text.slice(this.tokens[head]!.startOffset, braceAt).trim().replace(/\s+/g, ' ');
    return { name: name.length > 40 ? `${name.slice(0, 40)}…` : name, brace: span(this.file, braceAt, braceAt + 1) };
  }
}

/** A block's head is a few tokens (`topic a/b`, `intent a.b.c`); a longer run is not walked, only named by its end. */
const MAX_HEAD_TOKENS = 16;
const BLOCK_HEAD_STOPS = new Set(['LCurly', 'RCurly', 'Semi']);

/** The token after `tok` when `tok` is a name followed by something other than ':' or '?'. */
function nextToken(tokens: readonly IToken[], tok: IToken): IToken | undefined {
  if (!(tok.tokenType.CATEGORIES ?? []).some((c) => c.name === 'Name')) return undefined;
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.startOffset <= tok.startOffset) lo = mid + 1;
    else hi = mid;
  }
  const next = tokens[lo];
  return next && next.tokenType.name !== 'Colon' && next.tokenType.name !== 'Question' ? next : undefined;
}

function describeFound(tok: IToken): string {
  if (tok.tokenType.name === 'EOF' || !Number.isFinite(tok.startOffset)) return 'end of file';
  const image = tok.image.length > 24 ? `${tok.image.slice(0, 24)}…` : tok.image;
  return `'${image}'`;
}

/** A missing token is reported right after the previous one when the next token is on a later line, as rustc does. */
function errorSpan(file: SourceFile, e: ParseError): Span {
  const tok = e.token;
  const tokValid = Number.isFinite(tok.startOffset) && tok.tokenType.name !== 'EOF';
  const prevLine = e.previousToken?.endLine ?? 0;
  if (!tokValid || (e.kind === 'mismatch' && (tok.startLine ?? 0) > prevLine)) {
    const after = afterPrevious(file, e);
    if (after) return after;
  }
  if (!tokValid) return span(file, file.text.length, file.text.length);
  return span(file, tok.startOffset, (tok.endOffset ?? tok.startOffset) + 1);
}

/** One character right after the token before the error, kept inside the file. */
function afterPrevious(file: SourceFile, e: ParseError): Span | undefined {
  const prev = e.previousToken;
  if (!prev || !Number.isFinite(prev.startOffset)) return undefined;
  const after = Math.min((prev.endOffset ?? prev.startOffset) + 1, file.text.length);
  return span(file, after, Math.min(after + 1, file.text.length));
}
