/**
 * The TypeScript subset that code templates are written in, parsed into the syntax tree of syntax.ts:
 * a tokenizer that keeps comments and blank lines, and a recursive-descent parser that marks each
 * `${…}` hole (written as U+0000 index U+0000 in the joined template strings) with its context.
 */

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** How a string or number value in a list hole becomes a node. */
export type ElementKind = 'expression' | 'type' | 'statement' | 'param';

// ---------------------------------------------------------------- tokens

type TokenKind = 'name' | 'number' | 'bigint' | 'string' | 'punct' | 'hole' | 'template' | 'eof';

interface Token {
  readonly kind: TokenKind;
  readonly value: string;
  /** For `template`: the raw quasis and the tokens of each expression. */
  readonly template?: { readonly quasis: string[]; readonly parts: Token[][] };
  /** Line breaks between the previous token and the first comment before this one (or this one). */
  readonly newlinesBefore: number;
  /** Line breaks right before the token (after its comments). */
  readonly newlinesAdjacent: number;
  /** Comments before the token, with '' after one that a blank line follows. */
  readonly comments: readonly string[];
  readonly pos: number;
}

export const HOLE = '\u0000';
const PUNCTUATORS = [
  '>>>=',
  '...',
  '===',
  '!==',
  '**=',
  '<<=',
  '>>=',
  '>>>',
  '=>',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '??',
  '?.',
  '++',
  '--',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '**',
  '<<',
  '>>',
];

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (msg: string): never => {
    throw new TemplateError(`${msg} at ${i}: ${JSON.stringify(src.slice(Math.max(0, i - 30), i + 30))}`);
  };
  // Template literals nest: `${` pushes, the matching `}` resumes the literal.
  const braceStack: ('brace' | Token[][])[] = [];
  let target = tokens;
  const templateStack: { quasis: string[]; parts: Token[][]; outer: Token[]; start: number; newlines: number; comments: string[] }[] = [];
  for (;;) {
    let newlines = 0;
    let newlinesBefore = -1;
    const comments: string[] = [];
    for (;;) {
      const c = src[i];
      if (c === '\n') {
        newlines++;
        i++;
      } else if (c === ' ' || c === '\t' || c === '\r') i++;
      else if (c === '/' && (src[i + 1] === '/' || src[i + 1] === '*')) {
        if (newlinesBefore < 0) newlinesBefore = newlines;
        const line = src[i + 1] === '/';
        const end = line ? src.indexOf('\n', i) : src.indexOf('*/', i + 2);
        if (end < 0 && !line) fail('unterminated comment');
        const stop = end < 0 ? src.length : line ? end : end + 2;
        comments.push(reindentComment(src.slice(i, stop).trimEnd()));
        i = stop;
        newlines = 0;
        if (blankAhead(src, i)) comments.push('');
      } else break;
    }
    const start = i;
    const before = newlinesBefore < 0 ? newlines : newlinesBefore;
    const push = (kind: TokenKind, value: string, extra?: Partial<Token>) =>
      target.push({ kind, value, newlinesBefore: before, newlinesAdjacent: newlines, comments, pos: start, ...extra });
    if (i >= src.length) {
      if (braceStack.length > 0 || templateStack.length > 0) fail('unbalanced braces');
      push('eof', '');
      return tokens;
    }
    const c = src[i]!;
    if (c === HOLE) {
      const end = src.indexOf(HOLE, i + 1);
      push('hole', src.slice(i + 1, end));
      i = end + 1;
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][\w$]*/.exec(src.slice(i))![0];
      push('name', m);
      i += m.length;
    } else if (/[0-9]/.test(c)) {
      const m = /^(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)n?/.exec(src.slice(i))![0];
      if (m.endsWith('n')) push('bigint', m);
      else push('number', m);
      i += m.length;
    } else if (c === "'" || c === '"') {
      let value = '';
      i++;
      while (src[i] !== c) {
        if (i >= src.length || src[i] === '\n') fail('unterminated string');
        if (src[i] === '\\') {
          const e = src[i + 1]!;
          const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
          if (Object.hasOwn(simple, e)) {
            value += simple[e]!;
            i += 2;
          } else if (e === 'u' || e === 'x') {
            const n = e === 'u' ? 4 : 2;
            value += String.fromCharCode(parseInt(src.slice(i + 2, i + 2 + n), 16));
            i += 2 + n;
          } else fail('unsupported escape');
        } else value += src.charAt(i++);
      }
      i++;
      push('string', value);
    } else if (c === '`') {
      i++;
      templateStack.push({ quasis: [], parts: [], outer: target, start, newlines: before, comments });
      readQuasi();
    } else if (c === '}' && braceStack.length > 0 && braceStack[braceStack.length - 1] !== 'brace') {
      braceStack.pop();
      i++;
      target.push({ kind: 'eof', value: '', newlinesBefore: 0, newlinesAdjacent: 0, comments: [], pos: i });
      readQuasi();
    } else {
      const p = PUNCTUATORS.find((x) => src.startsWith(x, i)) ?? c;
      if (!'{}()[];,<>+-*/%&|^!~?:=.@'.includes(p[0]!)) fail(`unexpected character ${JSON.stringify(c)}`);
      if (p === '{') braceStack.push('brace');
      if (p === '}') {
        if (braceStack.pop() !== 'brace') fail('unbalanced }');
      }
      push('punct', p);
      i += p.length;
    }
  }

  // Reads template text up to `${` (then tokens go to a new part) or the closing backtick.
  function readQuasi(): void {
    const t = templateStack[templateStack.length - 1]!;
    let raw = '';
    for (;;) {
      if (i >= src.length) fail('unterminated template literal');
      if (src[i] === '\\') {
        raw += src.slice(i, i + 2);
        i += 2;
      } else if (src[i] === '`') {
        i++;
        t.quasis.push(raw);
        templateStack.pop();
        target = t.outer;
        target.push({
          kind: 'template',
          value: '',
          template: { quasis: t.quasis, parts: t.parts },
          newlinesBefore: t.newlines,
          newlinesAdjacent: t.newlines,
          comments: t.comments,
          pos: t.start,
        });
        return;
      } else if (src.startsWith('${', i)) {
        i += 2;
        t.quasis.push(raw);
        const part: Token[] = [];
        t.parts.push(part);
        braceStack.push(t.parts);
        target = part;
        return;
      } else raw += src.charAt(i++);
    }
  }
}

/** Whether a blank line follows position `i` (after the rest of its line). */
function blankAhead(src: string, i: number): boolean {
  return /^[ \t\r]*\n[ \t\r]*\n/.test(src.slice(i, i + 200));
}

/** A block comment's lines after the first, without the template's indentation (the printer indents them). */
function reindentComment(text: string): string {
  if (!text.startsWith('/*') || !text.includes('\n')) return text;
  const lines = text.split('\n');
  return [lines[0]!, ...lines.slice(1).map((l) => ` ${l.trim()}`)].join('\n');
}

// ---------------------------------------------------------------- holes in the parsed tree

export type HoleContext = 'expression' | 'type' | 'name' | 'objectKey' | 'typeKey' | 'statement' | 'element';

/** A hole in the parsed tree; `fill` replaces it. Elements of lists may be arrays (spliced). */
export interface Hole {
  readonly type: 'Hole';
  readonly index: number;
  readonly context: HoleContext;
  /** For 'element' holes: how a string or number value becomes a node. */
  readonly element?: ElementKind;
}

// ---------------------------------------------------------------- parser

export class Parser {
  private p = 0;
  constructor(private readonly tokens: Token[]) {}

  private get t(): Token {
    return this.tokens[this.p]!;
  }
  private peek(n = 1): Token {
    return this.tokens[Math.min(this.p + n, this.tokens.length - 1)]!;
  }
  private fail(msg: string): never {
    throw new TemplateError(`${msg}, found ${this.t.kind} ${JSON.stringify(this.t.value)} at ${this.t.pos}`);
  }
  private is(value: string): boolean {
    return (this.t.kind === 'punct' || this.t.kind === 'name') && this.t.value === value;
  }
  private eat(value: string): boolean {
    if (!this.is(value)) return false;
    this.p++;
    return true;
  }
  private expect(value: string): Token {
    if (!this.is(value)) this.fail(`expected '${value}'`);
    return this.tokens[this.p++]!;
  }
  private hole(context: HoleContext, element?: Hole['element']): Hole {
    const tok = this.tokens[this.p++]!;
    return element ? { type: 'Hole', index: Number(tok.value), context, element } : { type: 'Hole', index: Number(tok.value), context };
  }
  private name(): string | Hole {
    if (this.t.kind === 'hole') return this.hole('name');
    if (this.t.kind !== 'name') this.fail('expected a name');
    return this.tokens[this.p++]!.value;
  }
  /** Leading comments of the current token, for the node it starts. */
  private lead<T>(tok: Token, node: T): T {
    return tok.comments.length > 0 ? { ...node, leadingComments: tok.comments } : node;
  }
  /** Whether a blank line comes before the current token (after the element just parsed). */
  private blankBefore(): boolean {
    return this.t.newlinesBefore >= 2;
  }
  /** Whether the current token starts a new line: a hole there is a list element, not an expression. */
  private holeStandsAlone(): boolean {
    const next = this.peek();
    return next.kind === 'eof' || next.newlinesBefore > 0 || (next.kind === 'punct' && next.value === '}');
  }
  atEnd(): boolean {
    return this.t.kind === 'eof';
  }
  expectEnd(): void {
    if (!this.atEnd()) this.fail('expected the end of the template');
  }

  // ------------------------------------------------ statements

  statements(until: string | null): unknown[] {
    const out: unknown[] = [];
    while (until === null ? !this.atEnd() : !this.is(until)) {
      if (this.atEnd()) this.fail(`expected '${until}'`);
      const first = this.t;
      let s: unknown = this.t.kind === 'hole' && this.holeStandsAlone() ? this.hole('element', 'statement') : this.lead(first, this.statement());
      if (this.blankBefore()) s = { ...(s as object), blankLineAfter: true };
      out.push(s);
    }
    return out;
  }

  cases(until: string | null): unknown[] {
    const out: unknown[] = [];
    while (until === null ? !this.atEnd() : !this.is(until)) {
      const first = this.t;
      let c: unknown;
      if (this.t.kind === 'hole') c = this.hole('element');
      else {
        let test: unknown;
        if (this.eat('default')) test = undefined;
        else {
          this.expect('case');
          test = this.expression();
        }
        this.expect(':');
        // A hole after a case's statements is more of its statements, not more cases.
        const consequent: unknown[] = [];
        while (!this.is('case') && !this.is('default') && !(until === null ? this.atEnd() : this.is(until))) {
          const st = this.t;
          let s: unknown = st.kind === 'hole' && this.holeStandsAlone() ? this.hole('element', 'statement') : this.lead(st, this.statement());
          if (this.blankBefore()) s = { ...(s as object), blankLineAfter: true };
          consequent.push(s);
        }
        c = this.lead(first, { type: 'SwitchCase', ...(test === undefined ? {} : { test }), consequent });
      }
      if (this.blankBefore()) c = { ...(c as object), blankLineAfter: true };
      out.push(c);
    }
    return out;
  }

  private semicolon(): void {
    this.expect(';');
  }

  private statement(): unknown {
    const t = this.t;
    // A hole before `else` or on its own line is a whole statement (`if (…) ${statement} else …`).
    if (t.kind === 'hole' && (this.holeStandsAlone() || this.peek().value === 'else')) return this.hole('statement');
    if (t.kind === 'name') {
      switch (t.value) {
        case 'import':
          return this.importDeclaration();
        case 'export':
          return this.exportDeclaration();
        case 'const':
        case 'let': {
          const d = this.variableDeclaration();
          this.semicolon();
          return d;
        }
        case 'function':
          return this.functionDeclaration();
        case 'type':
          if (this.peek().kind === 'name' || this.peek().kind === 'hole') return this.typeAlias();
          break;
        case 'if': {
          this.p++;
          this.expect('(');
          const test = this.expression();
          this.expect(')');
          const consequent = this.statement();
          const alternate = this.eat('else') ? this.statement() : undefined;
          return { type: 'IfStatement', test, consequent, ...(alternate ? { alternate } : {}) };
        }
        case 'for':
          return this.forStatement();
        case 'while': {
          this.p++;
          this.expect('(');
          const test = this.expression();
          this.expect(')');
          return { type: 'WhileStatement', test, body: this.statement() };
        }
        case 'switch': {
          this.p++;
          this.expect('(');
          const discriminant = this.expression();
          this.expect(')');
          this.expect('{');
          const cases = this.cases('}');
          this.expect('}');
          return { type: 'SwitchStatement', discriminant, cases };
        }
        case 'return':
        case 'throw': {
          this.p++;
          const argument = this.is(';') ? undefined : this.expression();
          this.semicolon();
          return { type: t.value === 'return' ? 'ReturnStatement' : 'ThrowStatement', ...(argument ? { argument } : {}) };
        }
        case 'break':
        case 'continue':
          this.p++;
          this.semicolon();
          return { type: t.value === 'break' ? 'BreakStatement' : 'ContinueStatement' };
        case 'try': {
          this.p++;
          const block = this.block();
          this.expect('catch');
          this.expect('(');
          const param = this.name();
          this.expect(')');
          return { type: 'TryStatement', block, param, handler: this.block() };
        }
      }
    }
    if (this.is('{')) return this.block();
    const expression = this.expression();
    this.semicolon();
    return { type: 'ExpressionStatement', expression };
  }

  private block(): unknown {
    this.expect('{');
    const body = this.statements('}');
    this.expect('}');
    return { type: 'BlockStatement', body };
  }

  private variableDeclaration(): unknown {
    const kind = this.tokens[this.p++]!.value;
    const declarations: unknown[] = [];
    do {
      const id = this.pattern();
      const init = this.eat('=') ? this.assignment() : undefined;
      declarations.push({ type: 'VariableDeclarator', id, ...(init ? { init } : {}) });
    } while (this.eat(','));
    return { type: 'VariableDeclaration', kind, declarations };
  }

  private pattern(): unknown {
    if (this.eat('[')) {
      const elements: unknown[] = [];
      while (!this.eat(']')) {
        elements.push(this.bindingIdentifier());
        if (!this.is(']')) this.expect(',');
      }
      return { type: 'ArrayPattern', elements };
    }
    return this.bindingIdentifier();
  }

  private bindingIdentifier(): unknown {
    const name = this.name();
    const optional = this.eat('?');
    const typeAnnotation = this.eat(':') ? this.type() : undefined;
    return { type: 'BindingIdentifier', name, optional, ...(typeAnnotation ? { typeAnnotation } : {}) };
  }

  private params(): unknown[] {
    this.expect('(');
    const params: unknown[] = [];
    while (!this.eat(')')) {
      params.push(this.t.kind === 'hole' && (this.peek().value === ')' || this.peek().value === ',') ? this.hole('element', 'param') : this.pattern());
      if (!this.is(')')) this.expect(',');
    }
    return params;
  }

  private functionDeclaration(): unknown {
    this.expect('function');
    const name = this.name();
    const params = this.params();
    const returnType = this.eat(':') ? this.type() : undefined;
    return { type: 'FunctionDeclaration', name, params, ...(returnType ? { returnType } : {}), body: this.block() };
  }

  private typeAlias(): unknown {
    this.expect('type');
    const name = this.name();
    this.expect('=');
    const typeAnnotation = this.type();
    this.semicolon();
    return { type: 'TSTypeAliasDeclaration', name, typeAnnotation };
  }

  private forStatement(): unknown {
    this.expect('for');
    this.expect('(');
    const kind = this.t.value;
    if (kind !== 'const' && kind !== 'let') this.fail('expected a declaration');
    const save = this.p;
    this.p++;
    const id = this.pattern();
    if (this.eat('of')) {
      const right = this.expression();
      this.expect(')');
      return {
        type: 'ForOfStatement',
        left: { type: 'VariableDeclaration', kind, declarations: [{ type: 'VariableDeclarator', id }] },
        right,
        body: this.statement(),
      };
    }
    this.p = save;
    const init = this.variableDeclaration();
    this.semicolon();
    const test = this.expression();
    this.semicolon();
    const update = this.expression();
    this.expect(')');
    return { type: 'ForStatement', init, test, update, body: this.statement() };
  }

  private specifiers(): unknown[] {
    this.expect('{');
    const out: unknown[] = [];
    while (!this.eat('}')) {
      if (this.t.kind === 'hole' && (this.peek().value === ',' || this.peek().value === '}')) out.push(this.hole('element'));
      else {
        const typeOnly = this.is('type') && this.peek().kind !== 'punct' ? (this.p++, true) : false;
        const imported = this.name();
        const local = this.eat('as') ? this.name() : undefined;
        out.push({ imported, ...(local !== undefined ? { local } : {}), typeOnly });
      }
      if (!this.is('}')) this.expect(',');
    }
    return out;
  }

  private source(): string | Hole {
    this.expect('from');
    if (this.t.kind === 'hole') return this.hole('name');
    if (this.t.kind !== 'string') this.fail('expected a module specifier');
    return this.tokens[this.p++]!.value;
  }

  private importDeclaration(): unknown {
    this.expect('import');
    const typeOnly = this.is('type') && this.peek().value === '{' ? (this.p++, true) : false;
    if (this.eat('*')) {
      this.expect('as');
      const namespace = this.name();
      const source = this.source();
      this.semicolon();
      return { type: 'ImportDeclaration', namespace, specifiers: [], source };
    }
    const specifiers = this.specifiers();
    const source = this.source();
    this.semicolon();
    return { type: 'ImportDeclaration', ...(typeOnly ? { typeOnly } : {}), specifiers, source };
  }

  private exportDeclaration(): unknown {
    this.expect('export');
    if (this.eat('*')) {
      const source = this.source();
      this.semicolon();
      return { type: 'ExportAllDeclaration', source };
    }
    if (this.is('{')) {
      const specifiers = this.specifiers();
      const source = this.is('from') ? this.source() : undefined;
      this.semicolon();
      return { type: 'ExportNamedDeclaration', specifiers, ...(source !== undefined ? { source } : {}) };
    }
    let declaration: unknown;
    if (this.eat('declare')) {
      declaration = { ...(this.variableDeclaration() as object), declare: true };
      this.semicolon();
    } else if (this.is('const') || this.is('let')) {
      declaration = this.variableDeclaration();
      this.semicolon();
    } else if (this.is('function')) declaration = this.functionDeclaration();
    else if (this.is('type')) declaration = this.typeAlias();
    else this.fail('expected a declaration to export');
    return { type: 'ExportNamedDeclaration', declaration, specifiers: [] };
  }

  // ------------------------------------------------ expressions

  expression(): unknown {
    return this.assignment();
  }

  private assignment(): unknown {
    const arrow = this.tryArrow();
    if (arrow) return arrow;
    const left = this.conditional();
    if (this.t.kind === 'punct' && /^(?:=|\+=|-=|\*=|\/=|%=|\|=|&=|\^=|\?\?=|\|\|=|&&=)$/.test(this.t.value)) {
      const operator = this.tokens[this.p++]!.value;
      return { type: 'AssignmentExpression', operator, left, right: this.assignment() };
    }
    return left;
  }

  /** `(a, b: T): R => body` (parameters in parentheses, as prettier prints them). */
  private tryArrow(): unknown {
    if (!this.is('(')) return undefined;
    let depth = 0;
    let j = this.p;
    for (; j < this.tokens.length; j++) {
      const v = this.tokens[j]!;
      if (v.kind !== 'punct') continue;
      if (v.value === '(') depth++;
      else if (v.value === ')' && --depth === 0) break;
    }
    const after = this.tokens[j + 1];
    if (!after || !(after.kind === 'punct' && (after.value === '=>' || after.value === ':'))) return undefined;
    const save = this.p;
    try {
      const params = this.params();
      const returnType = this.eat(':') ? this.type() : undefined;
      this.expect('=>');
      const body = this.is('{') ? this.block() : this.assignment();
      return { type: 'ArrowFunctionExpression', params, ...(returnType ? { returnType } : {}), body };
    } catch (err) {
      if (!(err instanceof TemplateError) || after.value === '=>') throw err;
      this.p = save;
      return undefined;
    }
  }

  private conditional(): unknown {
    const test = this.binary(0);
    if (!this.eat('?')) return test;
    const consequent = this.assignment();
    this.expect(':');
    return { type: 'ConditionalExpression', test, consequent, alternate: this.assignment() };
  }

  private static readonly PRECEDENCE: Readonly<Record<string, number>> = {
    '??': 1,
    '||': 2,
    '&&': 3,
    '|': 4,
    '^': 5,
    '&': 6,
    '==': 7,
    '!=': 7,
    '===': 7,
    '!==': 7,
    '<': 8,
    '>': 8,
    '<=': 8,
    '>=': 8,
    instanceof: 8,
    in: 8,
    as: 8,
    '<<': 9,
    '>>': 9,
    '>>>': 9,
    '+': 10,
    '-': 10,
    '*': 11,
    '/': 11,
    '%': 11,
    '**': 12,
  };

  private binary(minPrecedence: number): unknown {
    let left = this.unary();
    for (;;) {
      const op = this.t.value;
      const prec = (this.t.kind === 'punct' || this.t.kind === 'name') && Object.hasOwn(Parser.PRECEDENCE, op) ? Parser.PRECEDENCE[op]! : -1;
      if (prec < 0 || prec < minPrecedence) return left;
      this.p++;
      if (op === 'as') {
        left = {
          type: 'TSAsExpression',
          expression: left,
          typeAnnotation: this.is('const') ? (this.p++, { type: 'TSTypeReference', typeName: 'const' }) : this.type(),
        };
        continue;
      }
      // `**` is right-associative; every other operator is left-associative.
      const right = this.binary(op === '**' ? prec : prec + 1);
      const logical = op === '&&' || op === '||' || op === '??';
      left = { type: logical ? 'LogicalExpression' : 'BinaryExpression', operator: op, left, right };
    }
  }

  private unary(): unknown {
    const t = this.t;
    if ((t.kind === 'punct' && ['!', '-', '+', '~'].includes(t.value)) || (t.kind === 'name' && ['typeof', 'void', 'delete'].includes(t.value))) {
      this.p++;
      return { type: 'UnaryExpression', operator: t.value, argument: this.unary() };
    }
    if (t.kind === 'punct' && (t.value === '++' || t.value === '--')) {
      this.p++;
      return { type: 'UpdateExpression', operator: t.value, prefix: true, argument: this.unary() };
    }
    let e = this.leftHandSide();
    if (this.t.kind === 'punct' && (this.t.value === '++' || this.t.value === '--') && this.t.newlinesBefore === 0) {
      e = { type: 'UpdateExpression', operator: this.tokens[this.p++]!.value, prefix: false, argument: e };
    }
    return e;
  }

  private leftHandSide(): unknown {
    let e: unknown;
    if (this.eat('new')) {
      const callee = this.memberOnly(this.primary());
      const typeArguments = this.is('<') ? this.tryTypeArguments() : undefined;
      e = { type: 'NewExpression', callee, ...(typeArguments ? { typeArguments } : {}), arguments: this.is('(') ? this.args() : [] };
    } else e = this.primary();
    for (;;) {
      if (this.eat('.')) e = { type: 'MemberExpression', object: e, property: { type: 'Identifier', name: this.name() }, computed: false };
      else if (this.eat('[')) {
        const property = this.expression();
        this.expect(']');
        e = { type: 'MemberExpression', object: e, property, computed: true };
      } else if (this.is('(')) e = { type: 'CallExpression', callee: e, arguments: this.args() };
      else if (this.is('<')) {
        const save = this.p;
        const typeArguments = this.tryTypeArguments();
        if (typeArguments && this.is('(')) e = { type: 'CallExpression', callee: e, typeArguments, arguments: this.args() };
        else {
          this.p = save;
          return e;
        }
      } else if (this.is('!') && !(this.peek().kind === 'punct' && this.peek().value === '=')) {
        this.p++;
        e = { type: 'TSNonNullExpression', expression: e };
      } else return e;
    }
  }

  /** Member accesses only (the callee of `new`). */
  private memberOnly(e: unknown): unknown {
    while (this.eat('.')) e = { type: 'MemberExpression', object: e, property: { type: 'Identifier', name: this.name() }, computed: false };
    return e;
  }

  private tryTypeArguments(): unknown[] | undefined {
    const save = this.p;
    try {
      return this.typeArguments();
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      this.p = save;
      return undefined;
    }
  }

  private args(): unknown[] {
    this.expect('(');
    const out: unknown[] = [];
    while (!this.eat(')')) {
      out.push(this.element());
      if (!this.is(')')) this.expect(',');
    }
    return out;
  }

  /** An element of an argument or array list: a spread, a spliced hole, or an expression. */
  private element(): unknown {
    if (this.eat('...')) return { type: 'SpreadElement', argument: this.assignment() };
    if (this.t.kind === 'hole' && this.peek().kind === 'punct' && [',', ')', ']'].includes(this.peek().value)) return this.hole('element', 'expression');
    return this.assignment();
  }

  private primary(): unknown {
    const t = this.t;
    switch (t.kind) {
      case 'hole':
        return this.hole('expression');
      case 'number':
        this.p++;
        return { type: 'NumericLiteral', raw: t.value };
      case 'bigint':
        this.p++;
        return { type: 'BigIntLiteral', raw: t.value };
      case 'string':
        this.p++;
        return { type: 'StringLiteral', value: t.value };
      case 'template': {
        this.p++;
        const expressions = t.template!.parts.map((part) => {
          const sub = new Parser(part);
          const e = sub.expression();
          sub.expectEnd();
          return e;
        });
        return { type: 'TemplateLiteral', quasis: t.template!.quasis, expressions };
      }
      case 'name':
        this.p++;
        if (t.value === 'true' || t.value === 'false') return { type: 'BooleanLiteral', value: t.value === 'true' };
        if (t.value === 'null') return { type: 'NullLiteral' };
        return { type: 'Identifier', name: t.value };
      case 'punct':
        if (t.value === '(') {
          this.p++;
          const e = this.expression();
          this.expect(')');
          return e;
        }
        if (t.value === '[') {
          this.p++;
          const elements: unknown[] = [];
          while (!this.eat(']')) {
            elements.push(this.element());
            if (!this.is(']')) this.expect(',');
          }
          return { type: 'ArrayExpression', elements };
        }
        if (t.value === '{') return this.object();
    }
    return this.fail('expected an expression');
  }

  private object(): unknown {
    this.expect('{');
    const expanded = this.t.newlinesBefore > 0 || this.t.newlinesAdjacent > 0;
    const properties: unknown[] = [];
    while (!this.is('}')) {
      const first = this.t;
      let prop: unknown;
      if (this.eat('...')) prop = { type: 'SpreadElement', argument: this.assignment() };
      else if (this.t.kind === 'hole' && this.peek().kind === 'punct' && (this.peek().value === ',' || this.peek().value === '}')) prop = this.hole('element');
      else {
        let key: unknown;
        let computed = false;
        if (this.eat('[')) {
          key = this.expression();
          this.expect(']');
          computed = true;
        } else if (this.t.kind === 'hole') key = this.hole('objectKey');
        else if (this.t.kind === 'string') key = { type: 'StringLiteral', value: this.tokens[this.p++]!.value };
        else if (this.t.kind === 'number') key = { type: 'NumericLiteral', raw: this.tokens[this.p++]!.value };
        else if (this.t.kind === 'name') key = { type: 'Identifier', name: this.tokens[this.p++]!.value };
        else this.fail('expected a property');
        if (this.is('(')) {
          const params = this.params();
          const returnType = this.eat(':') ? this.type() : undefined;
          prop = { type: 'ObjectMethod', key, params, ...(returnType ? { returnType } : {}), body: this.block() };
        } else if (this.eat(':')) prop = { type: 'Property', key, computed, value: this.assignment(), shorthand: false };
        else prop = { type: 'Property', key, computed: false, value: key, shorthand: true };
        prop = this.lead(first, prop);
      }
      if (!this.is('}')) this.expect(',');
      if (this.blankBefore()) prop = { ...(prop as object), blankLineAfter: true };
      properties.push(prop);
    }
    this.expect('}');
    return { type: 'ObjectExpression', properties, expanded };
  }

  // ------------------------------------------------ types

  type(): unknown {
    // Comments before a `|` lead the member after it.
    const member = (bar: Token | undefined) => {
      const first = this.t;
      const t = this.intersectionType();
      const texts = [...(bar?.comments ?? []), ...first.comments];
      return texts.length > 0 ? { ...(t as object), leadingComments: texts } : t;
    };
    const leading = this.is('|') ? this.tokens[this.p++] : undefined;
    const types = [member(leading)];
    while (this.is('|')) types.push(member(this.tokens[this.p++]));
    if (types.length === 1 && !leading) return types[0];
    return { type: 'TSUnionType', types };
  }

  private intersectionType(): unknown {
    const types = [this.postfixType()];
    while (this.eat('&')) types.push(this.postfixType());
    return types.length === 1 ? types[0] : { type: 'TSIntersectionType', types };
  }

  private postfixType(): unknown {
    let t = this.primaryType();
    while (this.is('[')) {
      this.p++;
      if (this.eat(']')) t = { type: 'TSArrayType', elementType: t };
      else {
        const indexType = this.type();
        this.expect(']');
        t = { type: 'TSIndexedAccessType', objectType: t, indexType };
      }
    }
    return t;
  }

  private static readonly KEYWORD_TYPES = new Set([
    'string',
    'number',
    'boolean',
    'bigint',
    'void',
    'unknown',
    'never',
    'undefined',
    'null',
    'any',
    'object',
    'symbol',
  ]);

  static isKeywordType(name: string): boolean {
    return Parser.KEYWORD_TYPES.has(name);
  }

  private primaryType(): unknown {
    const t = this.t;
    if (t.kind === 'hole' && !(this.peek().kind === 'punct' && (this.peek().value === '<' || this.peek().value === '.'))) return this.hole('type');
    if (t.kind === 'string') {
      this.p++;
      return { type: 'TSLiteralType', literal: { type: 'StringLiteral', value: t.value } };
    }
    if (t.kind === 'number') {
      this.p++;
      return { type: 'TSLiteralType', literal: { type: 'NumericLiteral', raw: t.value } };
    }
    if (t.kind === 'punct') {
      if (t.value === '-' && this.peek().kind === 'number') {
        this.p += 2;
        return { type: 'TSLiteralType', literal: { type: 'UnaryExpression', operator: '-', argument: { type: 'NumericLiteral', raw: this.peek(-1).value } } };
      }
      if (t.value === '(') {
        this.p++;
        const inner = this.type();
        this.expect(')');
        return inner;
      }
      if (t.value === '{') return this.typeLiteral();
      this.fail('expected a type');
    }
    if (t.kind !== 'name' && t.kind !== 'hole') this.fail('expected a type');
    if (t.value === 'true' || t.value === 'false') {
      this.p++;
      return { type: 'TSLiteralType', literal: { type: 'BooleanLiteral', value: t.value === 'true' } };
    }
    if (t.value === 'typeof') {
      this.p++;
      return { type: 'TSTypeQuery', exprName: this.qualifiedName() };
    }
    if (t.value === 'keyof' || t.value === 'readonly' || t.value === 'unique') {
      this.p++;
      return { type: 'TSTypeOperator', operator: t.value, typeAnnotation: this.postfixType() };
    }
    if (Parser.KEYWORD_TYPES.has(t.value) && !(this.peek().kind === 'punct' && this.peek().value === '.')) {
      this.p++;
      return { type: 'TSKeywordType', keyword: t.value };
    }
    const typeName = this.qualifiedName();
    const typeArguments = this.is('<') ? this.typeArguments() : undefined;
    return { type: 'TSTypeReference', typeName, ...(typeArguments ? { typeArguments } : {}) };
  }

  /** `a.b.c`; a hole there gives the whole name. */
  private qualifiedName(): string | Hole {
    if (this.t.kind === 'hole') return this.hole('name');
    let name = this.tokens[this.p++]!.value;
    while (this.is('.') && this.peek().kind === 'name') {
      this.p++;
      name += `.${this.tokens[this.p++]!.value}`;
    }
    return name;
  }

  private typeArguments(): unknown[] {
    this.expect('<');
    const out: unknown[] = [];
    for (;;) {
      out.push(
        this.t.kind === 'hole' && this.peek().kind === 'punct' && [',', '>', '>>', '>>>'].includes(this.peek().value)
          ? this.hole('element', 'type')
          : this.type(),
      );
      if (this.eat(',')) continue;
      this.closeAngle();
      return out;
    }
  }

  /** `>`, splitting `>>` and `>>>` that close nested type arguments. */
  private closeAngle(): void {
    const t = this.t;
    if (t.kind === 'punct' && (t.value === '>>' || t.value === '>>>' || t.value === '>=' || t.value === '>>=')) {
      this.tokens[this.p] = { ...t, value: t.value.slice(1), pos: t.pos + 1, comments: [], newlinesBefore: 0, newlinesAdjacent: 0 };
      return;
    }
    this.expect('>');
  }

  private typeLiteral(): unknown {
    this.expect('{');
    const expanded = this.t.newlinesBefore > 0 || this.t.newlinesAdjacent > 0;
    // `{ [K in T]: V }` is a mapped type.
    const mappedAt = this.is('readonly') ? 1 : 0;
    if (this.peek(mappedAt).value === '[' && this.peek(mappedAt + 2).value === 'in') {
      const readonly = this.eat('readonly');
      this.expect('[');
      const key = this.tokens[this.p++]!.value;
      this.expect('in');
      const constraint = this.type();
      this.expect(']');
      const optional = this.eat('?');
      this.expect(':');
      const typeAnnotation = this.type();
      this.eat(';');
      this.expect('}');
      return { type: 'TSMappedType', readonly, key, constraint, optional, typeAnnotation };
    }
    const members: unknown[] = [];
    while (!this.is('}')) {
      const first = this.t;
      let member: unknown;
      if (this.t.kind === 'hole' && this.peek().kind === 'punct' && [';', '}', ','].includes(this.peek().value)) member = this.hole('element');
      else {
        const next = this.peek();
        const readonly = this.is('readonly') && (next.kind !== 'punct' || next.value === '[') ? (this.p++, true) : false;
        if (this.eat('[')) {
          const parameter = this.bindingIdentifier();
          this.expect(']');
          this.expect(':');
          member = { type: 'TSIndexSignature', readonly, parameter, typeAnnotation: this.type() };
        } else if (this.is('(')) {
          const params = this.params();
          this.expect(':');
          member = { type: 'TSCallSignatureDeclaration', params, returnType: this.type() };
        } else {
          let key: unknown;
          if (this.t.kind === 'hole') key = this.hole('typeKey');
          else if (this.t.kind === 'string') key = { type: 'StringLiteral', value: this.tokens[this.p++]!.value };
          else if (this.t.kind === 'name') key = { type: 'Identifier', name: this.tokens[this.p++]!.value };
          else this.fail('expected a member');
          const optional = this.eat('?');
          this.expect(':');
          member = { type: 'TSPropertySignature', key, readonly, optional, typeAnnotation: this.type() };
        }
        member = this.lead(first, member);
      }
      if (!this.eat(';') && !this.eat(',') && !this.is('}')) this.fail("expected ';'");
      if (this.blankBefore()) member = { ...(member as object), blankLineAfter: true };
      members.push(member);
    }
    this.expect('}');
    return { type: 'TSTypeLiteral', members, expanded };
  }
}
