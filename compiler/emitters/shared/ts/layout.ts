/**
 * The layout of the syntax tree as a document: prettier's TypeScript printing rules (its estree
 * printer, for the node kinds of syntax.ts and the options of .prettierrc.json: printWidth 160,
 * singleQuote, two-space indents, semicolons, trailing commas everywhere, arrow parentheses always),
 * ported rule by rule so that printing the document gives what prettier gives. Function and variable
 * names follow prettier's sources (src/language-js/print/*.js) so that each rule can be checked
 * against them. Decisions that need no document (precedence, hugging, parentheses) are in rules.ts.
 */
import {
  align,
  breakParent,
  canBreak,
  conditionalGroup,
  fill,
  group,
  hardline,
  ifBreak,
  indent,
  indentIfBreak,
  join,
  label,
  line,
  printDoc,
  printDocInto,
  removeLines,
  softline,
  willBreak,
  type Doc,
} from './doc.ts';
import { isBareKey, leafText, quote } from './literals.ts';
import {
  PRINT_WIDTH,
  TAB_WIDTH,
  arrayShouldBreak,
  chainedCalls,
  couldExpandArg,
  hasComplexTypeAnnotation,
  isArrow,
  isBinaryish,
  isCall,
  isCallOrNew,
  isConciselyPrintedArray,
  isFlattenedOperand,
  isFunctionCompositionArguments,
  isHopefullyShortCallArgument,
  isLoneShortArgument,
  isMember,
  isObjectType,
  isReactHookCallWithDepsArray,
  isReturnOrThrow,
  isSimpleCallArgument,
  isStringLiteral,
  kindOf,
  memberChainGroups,
  needsParentheses,
  shouldExpandLastArg,
  shouldFlatten,
  shouldHugTheOnlyFunctionParameter,
  shouldHugType,
  shouldHugUnionType,
  shouldInlineLogicalExpression,
  startsWithObject,
} from './rules.ts';
import type * as S from './syntax.ts';
import { textWidth } from './width.ts';

export { PRINT_WIDTH };

type AssignmentLayout = 'break-after-operator' | 'never-break-after-operator' | 'fluid' | 'break-lhs' | 'only-left';

interface Args {
  readonly expandLastArg?: boolean;
  readonly expandFirstArg?: boolean;
  readonly assignmentLayout?: AssignmentLayout;
}

/** Thrown when an expanded last (or first) argument cannot be printed hugged. */
class ArgExpansionBailout extends Error {}

type AnyNode = S.Node;
/** The path from the root to the current node: each node and the key it has in its parent. */
interface Path {
  readonly nodes: AnyNode[];
  readonly keys: string[];
}

const MEMBER_CHAIN = 'member-chain';

/** The node kinds that ever need parentheses (the cases of `needsParens`). */
const PARENS_CANDIDATES = new Set([
  'ObjectExpression',
  'UpdateExpression',
  'UnaryExpression',
  'BinaryExpression',
  'TSAsExpression',
  'LogicalExpression',
  'ConditionalExpression',
  'ArrowFunctionExpression',
  'AssignmentExpression',
  'NumericLiteral',
  'TSUnionType',
  'TSIntersectionType',
  'TSTypeOperator',
  'TSTypeQuery',
]);

// ---------------------------------------------------------------- the printer

class Layout {
  private stack: Path = { nodes: [], keys: [] };

  /** When set, every item printed flat is checked against its document printed (tests only). */
  constructor(private readonly verifyFastPath = false) {}

  private get node(): AnyNode {
    return this.stack.nodes[this.stack.nodes.length - 1]!;
  }
  private get key(): string {
    return this.stack.keys[this.stack.keys.length - 1]!;
  }
  private push(node: AnyNode, key: string): void {
    this.stack.nodes.push(node);
    this.stack.keys.push(key);
  }

  private pop(): void {
    this.stack.nodes.pop();
    this.stack.keys.pop();
  }

  /** The n-th ancestor (0: the parent). */
  private ancestor(n = 0): AnyNode | undefined {
    return this.stack.nodes[this.stack.nodes.length - 2 - n];
  }
  private keyOf(n: number): string | undefined {
    return this.stack.keys[this.stack.keys.length - 1 - n];
  }

  /** Prints `node` as the child `key` of the current node. */
  print(node: AnyNode, key: string, args?: Args): Doc {
    this.push(node, key);
    try {
      const doc = this.printWithoutComments(args);
      return node.leadingComments && node.leadingComments.length > 0 ? [printLeadingComments(node.leadingComments), doc] : doc;
    } finally {
      this.pop();
    }
  }

  /** Runs `fn` with `node` pushed as the child `key` (prettier's path.call). */
  private within<T>(node: AnyNode, key: string, fn: () => T): T {
    this.push(node, key);
    try {
      return fn();
    } finally {
      this.pop();
    }
  }

  private printWithoutComments(args: Args | undefined): Doc {
    const doc = this.printNode(args);
    return this.needsParens() ? ['(', doc, ')'] : doc;
  }

  // ------------------------------------------------ parentheses (prettier's needs-parentheses.js)

  private needsParens(): boolean {
    const node = this.node;
    if (!PARENS_CANDIDATES.has(kindOf(node))) return false;
    return needsParentheses(node, this.ancestor(), this.key, () => this.beginsStatementOrArrowBody());
  }

  /**
   * Whether the current node is the leftmost part of an expression statement or of an arrow
   * function's (non-assignment) body: climbs while it is the object, callee, left operand, test or
   * operand that an expression begins with.
   */
  private beginsStatementOrArrowBody(): boolean {
    const { nodes, keys } = this.stack;
    for (let i = nodes.length - 1; i > 0; i--) {
      const node = nodes[i]!;
      const key = keys[i]!;
      const parent = nodes[i - 1]!;
      if (parent.type === 'ExpressionStatement') return true;
      if (parent.type === 'ArrowFunctionExpression') return key === 'body' && kindOf(node) !== 'AssignmentExpression';
      const leftmost =
        (key === 'callee' && parent.type === 'CallExpression') ||
        (key === 'object' && parent.type === 'MemberExpression') ||
        (key === 'left' && (parent.type === 'BinaryExpression' || parent.type === 'LogicalExpression' || parent.type === 'AssignmentExpression')) ||
        (key === 'test' && parent.type === 'ConditionalExpression') ||
        (key === 'expression' && (parent.type === 'TSAsExpression' || parent.type === 'TSNonNullExpression')) ||
        (key === 'argument' && parent.type === 'UpdateExpression' && !parent.prefix);
      if (!leftmost) return false;
    }
    return false;
  }

  private findAncestor(pred: (n: AnyNode) => boolean): AnyNode | undefined {
    const { nodes } = this.stack;
    for (let i = nodes.length - 2; i >= 0; i--) if (pred(nodes[i]!)) return nodes[i];
    return undefined;
  }

  // ------------------------------------------------ dispatch

  private printNode(args: Args | undefined): Doc {
    const n = this.node;
    switch (n.type) {
      case 'Lazy':
        throw new Error(`ts writer: a lazy ${n.root} reached the layout unbuilt`);
      case 'Identifier':
      case 'StringLiteral':
      case 'NumericLiteral':
      case 'BigIntLiteral':
      case 'BooleanLiteral':
      case 'NullLiteral':
        return leafText(n);
      case 'TemplateLiteral':
        return this.templateLiteral(n);
      case 'ArrayExpression':
        return this.array(n.elements, 'elements', true);
      case 'ObjectExpression':
        return this.object(n);
      case 'Property':
        return n.shorthand ? this.print(n.value, 'value') : this.assignment(this.propertyKey(n.key, n.computed), ':', n.value, 'value');
      case 'ObjectMethod':
        return [this.propertyKey(n.key, false), this.methodValue(n)];
      case 'SpreadElement':
        return ['...', this.print(n.argument, 'argument')];
      case 'ArrowFunctionExpression':
        return this.arrowFunction(n, args ?? {});
      case 'CallExpression':
      case 'NewExpression':
        return this.callExpression(n).doc;
      case 'MemberExpression':
        return this.memberExpression(n);
      case 'BinaryExpression':
      case 'LogicalExpression':
        return this.binaryish(n);
      case 'UnaryExpression':
        return [n.operator, /[a-z]$/.test(n.operator) ? ' ' : '', this.print(n.argument, 'argument')];
      case 'UpdateExpression':
        return n.prefix ? [n.operator, this.print(n.argument, 'argument')] : [this.print(n.argument, 'argument'), n.operator];
      case 'ConditionalExpression':
        return this.ternary(n);
      case 'AssignmentExpression':
        return this.assignment(this.print(n.left, 'left'), ` ${n.operator}`, n.right, 'right');
      case 'TSAsExpression': {
        const parts = [this.print(n.expression, 'expression'), ' as ', this.print(n.typeAnnotation, 'typeAnnotation')];
        const parent = this.ancestor();
        if ((this.key === 'callee' && isCallOrNew(parent)) || (this.key === 'object' && isMember(parent)))
          return group([indent([softline, ...parts]), softline]);
        return parts;
      }
      case 'TSNonNullExpression':
        return [this.print(n.expression, 'expression'), '!'];
      case 'BindingIdentifier':
        return [n.name, n.optional ? '?' : '', n.typeAnnotation ? [': ', this.print(n.typeAnnotation, 'typeAnnotation')] : ''];
      case 'ArrayPattern':
        return this.array(n.elements, 'elements', false);
      // types
      case 'TSTypeReference':
        return [n.typeName, n.typeArguments ? this.typeArguments(n.typeArguments) : ''];
      case 'TSKeywordType':
        return n.keyword;
      case 'TSLiteralType':
        return this.print(n.literal, 'literal');
      case 'TSArrayType':
        return [this.print(n.elementType, 'elementType'), '[]'];
      case 'TSUnionType':
        return this.unionType(n, args);
      case 'TSIntersectionType':
        return this.intersectionType(n);
      case 'TSTypeLiteral':
        return this.typeLiteral(n);
      case 'TSPropertySignature':
        return [
          group([n.readonly ? 'readonly ' : '', this.propertyKey(n.key, false), n.optional ? '?' : '', ': ', this.print(n.typeAnnotation, 'typeAnnotation')]),
          this.memberSemicolon(),
        ];
      case 'TSIndexSignature':
        return [
          group([
            n.readonly ? 'readonly ' : '',
            '[',
            group([indent([softline, this.print(n.parameter, 'parameters')]), softline]),
            ']',
            ': ',
            this.print(n.typeAnnotation, 'typeAnnotation'),
          ]),
          this.memberSemicolon(),
        ];
      case 'TSMappedType':
        return group([
          '{',
          indent([
            line,
            n.readonly ? 'readonly ' : '',
            group(['[', indent([softline, n.key, ' in ', this.print(n.constraint, 'constraint')]), softline, ']']),
            n.optional ? '?' : '',
            ': ',
            this.print(n.typeAnnotation, 'typeAnnotation'),
            ifBreak(';'),
          ]),
          line,
          '}',
        ]);
      case 'TSTypeQuery':
        return ['typeof ', n.exprName];
      case 'TSIndexedAccessType':
        return [this.print(n.objectType, 'objectType'), '[', this.print(n.indexType, 'indexType'), ']'];
      case 'TSCallSignatureDeclaration': {
        const returnType: Doc = [': ', this.print(n.returnType, 'returnType')];
        const params = this.functionParameters(n.params, false);
        return [group([shouldGroupFunctionParameters(n.params, n.returnType, returnType) ? group(params) : params, returnType]), this.memberSemicolon()];
      }
      case 'TSTypeOperator':
        return [n.operator, ' ', this.print(n.typeAnnotation, 'typeAnnotation')];
      // statements
      case 'ExpressionStatement':
        return [this.print(n.expression, 'expression'), ';'];
      case 'VariableDeclaration':
        return this.variableDeclaration(n);
      case 'VariableDeclarator':
        return this.assignment(this.print(n.id, 'id'), ' =', n.init, 'init');
      case 'FunctionDeclaration':
        return this.functionDeclaration(n);
      case 'ReturnStatement':
      case 'ThrowStatement':
        return [n.type === 'ThrowStatement' ? 'throw' : 'return', n.argument ? [' ', this.returnArgument(n.argument)] : '', ';'];
      case 'IfStatement':
        return this.ifStatement(n);
      case 'ForStatement':
        return group([
          'for (',
          group([indent([softline, this.print(n.init, 'init'), ';', line, this.print(n.test, 'test'), ';', line, this.print(n.update, 'update')]), softline]),
          ')',
          this.clause(n.body, 'body'),
        ]);
      case 'ForOfStatement':
        return group(['for', ' (', this.print(n.left, 'left'), ' of ', this.print(n.right, 'right'), ')', this.clause(n.body, 'body')]);
      case 'WhileStatement':
        return group(['while (', this.condition(n.test), ')', this.clause(n.body, 'body')]);
      case 'SwitchStatement':
        return [
          group(['switch (', indent([softline, this.print(n.discriminant, 'discriminant')]), softline, ')']),
          ' {',
          n.cases.length > 0 ? indent(this.lines(n.cases, 'cases', '')) : '',
          hardline,
          '}',
        ];
      case 'SwitchCase': {
        const head: Doc = n.test ? ['case ', this.print(n.test, 'test'), ':'] : 'default:';
        if (n.consequent.length === 0) return head;
        const only = n.consequent.length === 1 ? n.consequent[0] : undefined;
        if (only?.type === 'BlockStatement') return [head, ' ', this.print(only, 'consequent')];
        return [head, indent(this.lines(n.consequent, 'consequent', ''))];
      }
      case 'BreakStatement':
        return 'break;';
      case 'ContinueStatement':
        return 'continue;';
      case 'BlockStatement':
        return this.block(n);
      case 'TryStatement':
        return ['try ', this.print(n.block, 'block'), ' catch (', n.param, ') ', this.print(n.handler, 'handler')];
      case 'TSTypeAliasDeclaration':
        return [this.assignment(['type ', n.name], ' =', n.typeAnnotation, 'typeAnnotation'), ';'];
      case 'ImportDeclaration':
        return [
          'import',
          n.typeOnly ? ' type' : '',
          n.namespace !== undefined ? ` * as ${n.namespace}` : this.moduleSpecifiers(n.specifiers),
          ' from ',
          quote(n.source),
          ';',
        ];
      case 'ExportNamedDeclaration':
        if (n.declaration) return ['export ', this.print(n.declaration, 'declaration')];
        return ['export', this.moduleSpecifiers(n.specifiers), n.source !== undefined ? [' from ', quote(n.source)] : '', ';'];
      case 'ExportAllDeclaration':
        return ['export * from ', quote(n.source), ';'];
    }
  }

  // ------------------------------------------------ statements

  // ------------------------------------------------ lists of lines, and the fast path

  /**
   * Items of a list one per line (statements, cases, properties of an expanded object, members of an
   * expanded type literal), each followed by `separator`, keeping a blank line where one was written
   * (not after the last). Each item is laid out on its own when the printer reaches the list: in a
   * list of lines nothing after an item shares its line, so its layout depends on the item alone.
   */
  lines(items: readonly AnyNode[], key: string, separator: string): Doc {
    const context: Path = { nodes: [...this.stack.nodes], keys: [...this.stack.keys] };
    return { type: 'lines', render: (out, indentation) => this.renderLines(context, items, key, separator, indentation, out) };
  }

  private renderLines(context: Path, items: readonly AnyNode[], key: string, separator: string, indentation: number, out: string[]): void {
    const saved = this.stack;
    this.stack = context;
    const pad = ' '.repeat(indentation);
    try {
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        if (i > 0 && items[i - 1]!.blankLineAfter) out.push('\n');
        if (item.leadingComments) for (const c of item.leadingComments) out.push(c === '' ? '\n' : `\n${pad}${commentLines(c).join(`\n${pad}`)}`);
        out.push(`\n${pad}`);
        this.printItem(item, key, separator, indentation, out);
      }
    } finally {
      this.stack = saved;
    }
  }

  /**
   * One item of a list of lines (without its comments), from column `indentation`, appended to
   * `out`. The fast path: an item that cannot hold a forced break and fits is its flat text; an item
   * whose only forced breaks are its own nested lists (a block, an expanded object) is its head line
   * flat, the lists, and its tail, when those lines fit. Anything else gets the full layout.
   */
  private printItem(item: AnyNode, key: string, separator: string, indentation: number, out: string[]): void {
    this.push(item, key);
    try {
      const mark = out.length;
      // The item's own comments are printed by the list, before it.
      this.broken = false;
      const flat = this.flatNode(item);
      if (!this.wasBroken()) {
        const text = flat + separator;
        if (fitsAt(indentation, text)) out.push(text);
      } else if (this.headAndLines(item, '', indentation, indentation, out)) out.push(separator);
      else out.length = mark;
      if (out.length > mark && !this.verifyFastPath) return;
      // The full layout works on the built node.
      this.stack.nodes[this.stack.nodes.length - 1] = built(item);
      if (out.length > mark) this.verify(out.slice(mark).join(''), separator, indentation);
      else printDocInto(out, [this.printWithoutComments(undefined), separator], PRINT_WIDTH, indentation);
    } finally {
      this.pop();
    }
  }

  private verify(text: string, separator: string, indentation: number): void {
    const slow: string[] = [];
    printDocInto(slow, [this.printWithoutComments(undefined), separator], PRINT_WIDTH, indentation);
    if (slow.join('') !== text) throw new Error(`ts writer: fast path ${JSON.stringify(text)} differs from the layout ${JSON.stringify(slow.join(''))}`);
  }

  /**
   * Appends the current node as a flat head whose nested lists break (`lead` first, the line's text
   * so far starting at `column`; the node's lines are indented by `indentation`), or returns false
   * when that is not how prettier lays it out or a line would not fit (the caller drops what was
   * appended). It covers statements with a block body, switches and cases, and expanded objects or
   * type literals after `=`, `:`, `return` or as a call's hugged last argument.
   */
  private headAndLines(n: AnyNode, lead: string, column: number, indentation: number, out: string[]): boolean {
    switch (n.type) {
      case 'IfStatement':
        return this.ifHeadAndLines(n, lead, column, indentation, out);
      case 'ForStatement': {
        if (n.body.type !== 'BlockStatement') return false;
        const head = this.flatParts(`${lead}for (`, n.init, 'init', '; ', n.test, 'test', '; ', n.update, 'update', ') ');
        return head !== undefined && this.around(head, column, n.body, 'body', indentation, '', out);
      }
      case 'ForOfStatement': {
        if (n.body.type !== 'BlockStatement') return false;
        const head = this.flatParts(`${lead}for (`, n.left, 'left', ' of ', n.right, 'right', ') ');
        return head !== undefined && this.around(head, column, n.body, 'body', indentation, '', out);
      }
      case 'WhileStatement': {
        if (n.body.type !== 'BlockStatement') return false;
        const head = this.flatParts(`${lead}while (`, n.test, 'test', ') ');
        return head !== undefined && this.around(head, column, n.body, 'body', indentation, '', out);
      }
      case 'SwitchStatement': {
        const discriminant = this.flatPart(n.discriminant, 'discriminant');
        if (discriminant === undefined || n.cases.length === 0) return false;
        const head = `${lead}switch (${discriminant}) {`;
        if (!fitsAt(column, head)) return false;
        out.push(head);
        this.renderLines(this.stack, n.cases, 'cases', '', indentation + TAB_WIDTH, out);
        out.push(`\n${' '.repeat(indentation)}}`);
        return true;
      }
      case 'SwitchCase': {
        const test = n.test ? this.flatPart(n.test, 'test') : 'default';
        if (test === undefined) return false;
        const head = `${lead}${n.test ? `case ${test}:` : 'default:'}`;
        const only = n.consequent.length === 1 ? n.consequent[0] : undefined;
        if (only?.type === 'BlockStatement') return this.around(`${head} `, column, only, 'consequent', indentation, '', out);
        if (!fitsAt(column, head)) return false;
        out.push(head);
        this.renderLines(this.stack, n.consequent, 'consequent', '', indentation + TAB_WIDTH, out);
        return true;
      }
      case 'FunctionDeclaration': {
        const signature = this.flatSignature(n.params, n.returnType);
        return signature !== undefined && this.around(`${lead}function ${n.name}${signature} `, column, n.body, 'body', indentation, '', out);
      }
      case 'ObjectMethod': {
        const signature = this.flatSignature(n.params, n.returnType);
        const key = this.flatKeyPart(n.key, false);
        if (signature === undefined || key === undefined) return false;
        return this.around(`${lead}${key}${signature} `, column, n.body, 'body', indentation, '', out);
      }
      case 'TryStatement':
        if (!fitsAt(indentation, `} catch (${n.param}) {`) || !this.around(`${lead}try `, column, n.block, 'block', indentation, '', out)) return false;
        out.push(` catch (${n.param}) `);
        return this.braces(n.handler, 'handler', indentation, out);
      case 'ExportNamedDeclaration':
        return (
          n.declaration !== undefined &&
          this.child(n.declaration, 'declaration', () => this.headAndLines(n.declaration!, `${lead}export `, column, indentation, out))
        );
      case 'VariableDeclaration': {
        const d = n.declarations[0];
        if (n.declarations.length !== 1 || !d?.init || d.leadingComments) return false;
        return this.child(d, 'declarations', () => {
          const id = this.flatPart(d.id, 'id');
          return (
            id !== undefined && this.expandedValue(`${lead}${n.declare ? 'declare ' : ''}${n.kind} ${id} = `, column, d.init!, 'init', indentation, ';', out)
          );
        });
      }
      case 'ReturnStatement':
        return n.argument !== undefined && this.expandedValue(`${lead}return `, column, n.argument, 'argument', indentation, ';', out);
      case 'TSTypeAliasDeclaration':
        return this.expandedValue(`${lead}type ${n.name} = `, column, n.typeAnnotation, 'typeAnnotation', indentation, ';', out);
      case 'Property': {
        const key = n.shorthand ? undefined : this.flatKeyPart(n.key, n.computed);
        return key !== undefined && this.expandedValue(`${lead}${key}: `, column, n.value, 'value', indentation, '', out);
      }
      case 'ExpressionStatement':
        return this.child(n.expression, 'expression', () => this.expandedCall(n.expression, lead, column, indentation, ';', out));
      default:
        return false;
    }
  }

  /** `fn` with `node` as the current node (the child `key`); for the fast path, where it runs once per item. */
  private child<T>(node: AnyNode, key: string, fn: () => T): T {
    this.push(node, key);
    try {
      return fn();
    } finally {
      this.pop();
    }
  }

  private ifHeadAndLines(n: S.IfStatement, lead: string, column: number, indentation: number, out: string[]): boolean {
    const test = this.flatPart(n.test, 'test');
    if (test === undefined) return false;
    const head = `${lead}if (${test}) `;
    const alternate = n.alternate;
    if (n.consequent.type !== 'BlockStatement') {
      // `if (…) statement;` on its line, then `else …` on the next.
      const consequent = alternate ? this.flatPart(n.consequent, 'consequent') : undefined;
      if (!alternate || consequent === undefined) return false;
      const opening = head + consequent;
      if (!fitsAt(column, opening)) return false;
      out.push(opening, `\n${' '.repeat(indentation)}`);
      return this.elseText(alternate, 'else ', indentation, indentation, out);
    }
    if (!this.around(head, column, n.consequent, 'consequent', indentation, '', out)) return false;
    // `} else {` or `} else if (…) {` continues the last line, which is `}` at `indentation`.
    if (!alternate) return true;
    if (alternate.type !== 'BlockStatement' && alternate.type !== 'IfStatement') return false;
    return this.elseText(alternate, ' else ', indentation + 1, indentation, out);
  }

  /** `lead` (`else `) and what follows it: a block, an `if` (flat or with blocks), or a flat statement. */
  private elseText(alternate: S.Statement, lead: string, column: number, indentation: number, out: string[]): boolean {
    if (alternate.type === 'BlockStatement') {
      if (!fitsAt(column, `${lead}{`)) return false;
      out.push(lead);
      return this.braces(alternate, 'alternate', indentation, out);
    }
    const flat = this.flatPart(alternate, 'alternate');
    if (flat !== undefined) {
      const text = `${lead}${flat}`;
      if (!fitsAt(column, text)) return false;
      out.push(text);
      return true;
    }
    return alternate.type === 'IfStatement' && this.child(alternate, 'alternate', () => this.ifHeadAndLines(alternate, lead, column, indentation, out));
  }

  /** Appends a block, expanded object or expanded type literal at `key`: `{`, its lines, `}` at `indentation`. */
  private braces(c: AnyNode, key: string, indentation: number, out: string[]): boolean {
    if (c.leadingComments && c.leadingComments.length > 0) return false;
    let items: readonly AnyNode[];
    let itemKey: string;
    let separator: string;
    if (c.type === 'BlockStatement' && c.body.length > 0) [items, itemKey, separator] = [c.body, 'body', ''];
    else if (c.type === 'ObjectExpression' && c.expanded && c.properties.length > 0) [items, itemKey, separator] = [c.properties, 'properties', ','];
    else if (c.type === 'TSTypeLiteral' && c.expanded && c.members.length > 0) [items, itemKey, separator] = [c.members, 'members', ';'];
    else return false;
    out.push('{');
    this.push(c, key);
    this.renderLines(this.stack, items, itemKey, separator, indentation + TAB_WIDTH, out);
    this.pop();
    out.push(`\n${' '.repeat(indentation)}}`);
    return true;
  }

  /** `head` + braces + `tail`, if the head line (from `column`) and the tail line fit. */
  private around(head: string, column: number, c: AnyNode, key: string, indentation: number, tail: string, out: string[]): boolean {
    if (!fitsAt(column, `${head}{`) || !fitsAt(indentation, `}${tail}`)) return false;
    out.push(head);
    if (!this.braces(c, key, indentation, out)) return false;
    out.push(tail);
    return true;
  }

  /** `(params): R` flat, or undefined when some part could break. */
  private flatSignature(params: readonly S.Pattern[], returnType: S.TypeNode | undefined): string | undefined {
    this.broken = false;
    const text = `${this.flatParams(params)}${returnType ? `: ${this.flatChild(returnType, 'returnType')}` : ''}`;
    return this.wasBroken() ? undefined : text;
  }

  /** A child's flat text, or undefined when it may hold a forced break. */
  private flatPart(n: AnyNode, key: string): string | undefined {
    this.broken = false;
    const text = this.flatChild(n, key);
    return this.wasBroken() ? undefined : text;
  }

  private flatKeyPart(key: S.PropertyKey | S.Expression, computed: boolean): string | undefined {
    this.broken = false;
    const text = this.flatKey(key, computed);
    return this.wasBroken() ? undefined : text;
  }

  /** Text, then child, key, text, child, key, … flat; undefined when a child may hold a forced break. */
  private flatParts(...parts: (string | AnyNode)[]): string | undefined {
    this.broken = false;
    let text = '';
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (typeof p === 'string') text += p;
      else text += this.flatChild(p, parts[++i] as string);
    }
    return this.wasBroken() ? undefined : text;
  }

  /**
   * `head` followed by `value` (the child `key`) when the value is an expanded object or type literal
   * (maybe `as const`) or a call whose last argument is one, printed with its head line flat; the
   * caller's node decides the layout of `head` + value, which these values never break after.
   */
  private expandedValue(head: string, column: number, value: AnyNode, key: string, indentation: number, tail: string, out: string[]): boolean {
    if (value.leadingComments) return false;
    if (value.type === 'ObjectExpression' || value.type === 'TSTypeLiteral') {
      return !this.child(value, key, () => this.needsParens()) && this.around(head, column, value, key, indentation, tail, out);
    }
    return this.child(value, key, () => {
      if (value.type === 'TSAsExpression' && value.expression.type === 'ObjectExpression') {
        const type = this.flatPart(value.typeAnnotation, 'typeAnnotation');
        return type !== undefined && this.expandedValue(head, column, value.expression, 'expression', indentation, ` as ${type}${tail}`, out);
      }
      return this.expandedCall(value, head, column, indentation, tail, out);
    });
  }

  /** The current node when it is a call hugging an expanded object as its last argument: `head callee(args, {`, lines, `})` + `tail`. */
  private expandedCall(call: AnyNode, head: string, column: number, indentation: number, tail: string, out: string[]): boolean {
    if (!isCallOrNew(call) || call.leadingComments) return false;
    const args = call.arguments;
    const last = args[args.length - 1];
    if (!last || last.type !== 'ObjectExpression' || !last.expanded || last.properties.length === 0 || last.leadingComments) return false;
    if (isFunctionCompositionArguments(args) || !shouldExpandLastArg(args) || this.shouldExpandFirstArg(args)) return false;
    // A chain of calls may lay out one call per line: left to the full layout.
    if (chainedCalls(call) > 1) return false;
    this.broken = false;
    const typeArgs = call.typeArguments ? `<${this.flatList(call.typeArguments, 'params')}>` : '';
    let headArgs = '';
    for (let i = 0; i < args.length - 1; i++) headArgs += `${this.flatChild(args[i]!, 'arguments')}, `;
    const callHead = `${head}${call.type === 'NewExpression' ? 'new ' : ''}${this.flatChild(call.callee, 'callee')}${typeArgs}(${headArgs}`;
    return !this.wasBroken() && this.expandedValue(callHead, column, last, 'arguments', indentation, `)${tail}`, out);
  }

  /**
   * Set by the flat printer when the node it prints may hold a forced line break (a hard line, a
   * group that must break, comments), so that it cannot print flat. Conservative: a false alarm only
   * sends the node to the full layout, which is always right; no alarm must be sure.
   */
  private broken = false;

  /** `n` at the root (no parent) printed flat, without parentheses; undefined when its layout may break. */
  flatRoot(n: AnyNode): string | undefined {
    const saved = this.stack;
    this.stack = { nodes: [n], keys: ['root'] };
    this.broken = false;
    try {
      const text = this.flatNode(n);
      return this.wasBroken() ? undefined : text;
    } finally {
      this.stack = saved;
    }
  }

  /** The node printed on one line: its layout with every group flat (prettier's output when it fits). */
  private flat(n: AnyNode): string {
    if (n.leadingComments !== undefined && n.leadingComments.length > 0) return this.breaks();
    const text = this.flatNode(n);
    return this.needsParens() ? `(${text})` : text;
  }

  /** Whether the flat printing since `broken` was last cleared met a forced break (a method: printing sets it). */
  private wasBroken(): boolean {
    return this.broken;
  }

  private breaks(): string {
    this.broken = true;
    return '';
  }

  private flatChild(n: AnyNode, key: string): string {
    this.push(n, key);
    const text = this.flat(n);
    this.pop();
    return text;
  }

  private flatList(nodes: readonly AnyNode[], key: string, separator = ', '): string {
    let out = '';
    for (let i = 0; i < nodes.length; i++) {
      if (i > 0) out += separator;
      out += this.flatChild(nodes[i]!, key);
    }
    return out;
  }

  private flatParams(params: readonly S.Pattern[]): string {
    return `(${this.flatList(params, 'params')})`;
  }

  private flatKey(key: S.PropertyKey | S.Expression, computed: boolean): string {
    if (computed) return `[${this.flatChild(key, 'key')}]`;
    if (key.type === 'StringLiteral' && isBareKey(key.value)) return key.value;
    return this.flatChild(key, 'key');
  }

  private flatNode(n: AnyNode): string {
    switch (n.type) {
      case 'Lazy':
        return n.text;
      case 'Identifier':
      case 'StringLiteral':
      case 'NumericLiteral':
      case 'BigIntLiteral':
      case 'BooleanLiteral':
      case 'NullLiteral':
        return leafText(n);
      case 'TemplateLiteral': {
        let out = '`';
        n.quasis.forEach((q, i) => {
          out += q;
          const e = n.expressions[i];
          if (e) out += `\${${this.flatChild(e, 'expressions')}}`;
        });
        return `${out}\``;
      }
      case 'ArrayExpression':
        if (arrayShouldBreak(n.elements)) return this.breaks();
        return `[${this.flatList(n.elements, 'elements')}]`;
      case 'ArrayPattern':
        return `[${this.flatList(n.elements, 'elements')}]`;
      case 'ObjectExpression':
        if (n.properties.length === 0) return '{}';
        return n.expanded ? this.breaks() : `{ ${this.flatList(n.properties, 'properties')} }`;
      case 'Property':
        return n.shorthand ? this.flatChild(n.value, 'value') : `${this.flatKey(n.key, n.computed)}: ${this.flatChild(n.value, 'value')}`;
      case 'ObjectMethod':
        return this.breaks();
      case 'SpreadElement':
        return `...${this.flatChild(n.argument, 'argument')}`;
      case 'ArrowFunctionExpression': {
        // Whether a lazy conditional body begins with an object is not known: the full layout decides.
        if (n.body.type === 'Lazy' && n.body.root === 'ConditionalExpression') return this.breaks();
        const body = this.flatChild(n.body, 'body');
        const parens = n.body.type === 'ConditionalExpression' && !startsWithObject(n.body);
        return `${this.flatParams(n.params)}${n.returnType ? `: ${this.flatChild(n.returnType, 'returnType')}` : ''} => ${parens ? `(${body})` : body}`;
      }
      case 'CallExpression':
      case 'NewExpression':
        // A chain of several calls may lay out one call per line: left to the full layout.
        if (isFunctionCompositionArguments(n.arguments) || chainedCalls(n) > 1) return this.breaks();
        return `${n.type === 'NewExpression' ? 'new ' : ''}${this.flatChild(n.callee, 'callee')}${n.typeArguments ? `<${this.flatList(n.typeArguments, 'params')}>` : ''}(${this.flatList(n.arguments, 'arguments')})`;
      case 'MemberExpression': {
        const object = this.flatChild(n.object, 'object');
        if (!n.computed) return `${object}.${this.flatChild(n.property, 'property')}`;
        return `${object}[${this.flatChild(n.property, 'property')}]`;
      }
      case 'BinaryExpression':
      case 'LogicalExpression': {
        // An operand chained at the same precedence is printed as part of the chain, never parenthesised.
        let left: string;
        if (isFlattenedOperand(n, n.left)) {
          this.push(n.left, 'left');
          left = n.left.leadingComments?.length ? this.breaks() : this.flatNode(n.left);
          this.pop();
        } else left = this.flatChild(n.left, 'left');
        return `${left} ${n.operator} ${this.flatChild(n.right, 'right')}`;
      }
      case 'UnaryExpression':
        return `${n.operator}${/[a-z]$/.test(n.operator) ? ' ' : ''}${this.flatChild(n.argument, 'argument')}`;
      case 'UpdateExpression':
        return n.prefix ? `${n.operator}${this.flatChild(n.argument, 'argument')}` : `${this.flatChild(n.argument, 'argument')}${n.operator}`;
      case 'ConditionalExpression': {
        // A conditional consequent is parenthesised when the ternary is flat.
        const consequent = this.flatChild(n.consequent, 'consequent');
        const c = kindOf(n.consequent) === 'ConditionalExpression' ? `(${consequent})` : consequent;
        return `${this.flatChild(n.test, 'test')} ? ${c} : ${this.flatChild(n.alternate, 'alternate')}`;
      }
      case 'AssignmentExpression':
        return `${this.flatChild(n.left, 'left')} ${n.operator} ${this.flatChild(n.right, 'right')}`;
      case 'TSAsExpression':
        return `${this.flatChild(n.expression, 'expression')} as ${this.flatChild(n.typeAnnotation, 'typeAnnotation')}`;
      case 'TSNonNullExpression':
        return `${this.flatChild(n.expression, 'expression')}!`;
      case 'BindingIdentifier':
        return `${n.name}${n.optional ? '?' : ''}${n.typeAnnotation ? `: ${this.flatChild(n.typeAnnotation, 'typeAnnotation')}` : ''}`;
      case 'TSTypeReference':
        return n.typeArguments ? `${n.typeName}<${this.flatList(n.typeArguments, 'params')}>` : n.typeName;
      case 'TSKeywordType':
        return n.keyword;
      case 'TSLiteralType':
        return this.flatChild(n.literal, 'literal');
      case 'TSArrayType':
        return `${this.flatChild(n.elementType, 'elementType')}[]`;
      case 'TSUnionType':
        return this.flatList(n.types, 'types', ' | ');
      case 'TSIntersectionType':
        return this.flatList(n.types, 'types', ' & ');
      case 'TSTypeLiteral': {
        if (n.members.length === 0) return '{}';
        if (n.expanded) return this.breaks();
        return `{ ${n.members.map((m, i) => this.flatChild(m, 'members') + (i < n.members.length - 1 ? ';' : '')).join(' ')} }`;
      }
      case 'TSPropertySignature':
        return `${n.readonly ? 'readonly ' : ''}${this.flatKey(n.key, false)}${n.optional ? '?' : ''}: ${this.flatChild(n.typeAnnotation, 'typeAnnotation')}`;
      case 'TSIndexSignature':
        return `${n.readonly ? 'readonly ' : ''}[${this.flatChild(n.parameter, 'parameters')}]: ${this.flatChild(n.typeAnnotation, 'typeAnnotation')}`;
      case 'TSCallSignatureDeclaration':
        return `${this.flatParams(n.params)}: ${this.flatChild(n.returnType, 'returnType')}`;
      case 'TSMappedType':
        return `{ ${n.readonly ? 'readonly ' : ''}[${n.key} in ${this.flatChild(n.constraint, 'constraint')}]${n.optional ? '?' : ''}: ${this.flatChild(n.typeAnnotation, 'typeAnnotation')} }`;
      case 'TSTypeQuery':
        return `typeof ${n.exprName}`;
      case 'TSIndexedAccessType':
        return `${this.flatChild(n.objectType, 'objectType')}[${this.flatChild(n.indexType, 'indexType')}]`;
      case 'TSTypeOperator':
        return `${n.operator} ${this.flatChild(n.typeAnnotation, 'typeAnnotation')}`;
      case 'ExpressionStatement':
        return `${this.flatChild(n.expression, 'expression')};`;
      case 'VariableDeclaration': {
        if (n.declarations.length > 1) return this.breaks();
        const parent = this.ancestor();
        const inForHead = (this.key === 'init' && parent?.type === 'ForStatement') || (this.key === 'left' && parent?.type === 'ForOfStatement');
        return `${n.declare ? 'declare ' : ''}${n.kind} ${this.flatList(n.declarations, 'declarations')}${inForHead ? '' : ';'}`;
      }
      case 'VariableDeclarator':
        return n.init ? `${this.flatChild(n.id, 'id')} = ${this.flatChild(n.init, 'init')}` : this.flatChild(n.id, 'id');
      case 'ReturnStatement':
      case 'ThrowStatement':
        return `${n.type === 'ThrowStatement' ? 'throw' : 'return'}${n.argument ? ` ${this.flatChild(n.argument, 'argument')}` : ''};`;
      case 'IfStatement':
        if (n.alternate && kindOf(n.consequent) !== 'BlockStatement') return this.breaks();
        return `if (${this.flatChild(n.test, 'test')}) ${this.flatChild(n.consequent, 'consequent')}${n.alternate ? ` else ${this.flatChild(n.alternate, 'alternate')}` : ''}`;
      case 'ForStatement':
        return `for (${this.flatChild(n.init, 'init')}; ${this.flatChild(n.test, 'test')}; ${this.flatChild(n.update, 'update')}) ${this.flatChild(n.body, 'body')}`;
      case 'ForOfStatement':
        return `for (${this.flatChild(n.left, 'left')} of ${this.flatChild(n.right, 'right')}) ${this.flatChild(n.body, 'body')}`;
      case 'WhileStatement':
        return `while (${this.flatChild(n.test, 'test')}) ${this.flatChild(n.body, 'body')}`;
      case 'SwitchCase':
        if (n.consequent.length > 0) return this.breaks();
        return n.test ? `case ${this.flatChild(n.test, 'test')}:` : 'default:';
      case 'BreakStatement':
        return 'break;';
      case 'ContinueStatement':
        return 'continue;';
      case 'BlockStatement':
        return this.breaks();
      case 'TSTypeAliasDeclaration':
        return `type ${n.name} = ${this.flatChild(n.typeAnnotation, 'typeAnnotation')};`;
      case 'ImportDeclaration': {
        const what = n.namespace !== undefined ? `* as ${n.namespace}` : flatSpecifiers(n.specifiers);
        return `import ${n.typeOnly ? 'type ' : ''}${what} from ${quote(n.source)};`;
      }
      case 'ExportNamedDeclaration':
        if (n.declaration) return `export ${this.flatChild(n.declaration, 'declaration')}`;
        return `export ${flatSpecifiers(n.specifiers)}${n.source !== undefined ? ` from ${quote(n.source)}` : ''};`;
      case 'ExportAllDeclaration':
        return `export * from ${quote(n.source)};`;
      case 'SwitchStatement':
      case 'TryStatement':
      case 'FunctionDeclaration':
        return this.breaks();
    }
  }

  private block(n: S.BlockStatement): Doc {
    if (n.body.length > 0) return ['{', indent(this.lines(n.body, 'body', '')), hardline, '}'];
    const parent = this.ancestor();
    const bare =
      parent?.type === 'ArrowFunctionExpression' ||
      parent?.type === 'FunctionDeclaration' ||
      parent?.type === 'ObjectMethod' ||
      parent?.type === 'ForStatement' ||
      parent?.type === 'WhileStatement' ||
      (parent?.type === 'TryStatement' && this.key === 'handler');
    return bare ? '{}' : ['{', hardline, '}'];
  }

  /** The body of `if`, `for` and `while`: a block after a space, else the statement indented on the next line. */
  private clause(body: S.Statement, key: string): Doc {
    const doc = this.print(body, key);
    if (body.type === 'BlockStatement' || (body.type === 'IfStatement' && key === 'alternate')) return [' ', doc];
    return indent([line, doc]);
  }

  private condition(test: S.Expression): Doc {
    const doc = this.print(test, 'test');
    // `!(a || b)` stays inline so that the indentation does not change with the negation.
    if (test.type === 'UnaryExpression' && test.operator === '!') {
      const inner = test.argument.type === 'UnaryExpression' && test.argument.operator === '!' ? test.argument.argument : test.argument;
      if (inner.type === 'LogicalExpression') return doc;
    }
    return group([indent([softline, doc]), softline]);
  }

  private ifStatement(n: S.IfStatement): Doc {
    const opening = group(['if (', this.condition(n.test), ')', this.clause(n.consequent, 'consequent')]);
    if (!n.alternate) return opening;
    const blockConsequent = n.consequent.type === 'BlockStatement';
    return [opening, blockConsequent ? ' ' : hardline, 'else', group(this.clause(n.alternate, 'alternate'))];
  }

  private variableDeclaration(n: S.VariableDeclaration): Doc {
    const printed = n.declarations.map((d) => this.print(d, 'declarations'));
    const parent = this.ancestor();
    const inForHead = (this.key === 'init' && parent?.type === 'ForStatement') || (this.key === 'left' && parent?.type === 'ForOfStatement');
    const hasValue = n.declarations.some((d) => d.init !== undefined);
    const first = printed.length === 1 && !n.declarations[0]!.leadingComments ? printed[0]! : indent(printed[0]!);
    return group([
      n.declare ? 'declare ' : '',
      n.kind,
      ' ',
      first,
      indent(printed.slice(1).map((d) => [',', hasValue && !inForHead ? hardline : line, d])),
      inForHead ? '' : ';',
    ]);
  }

  private functionDeclaration(n: S.FunctionDeclaration): Doc {
    const params = this.functionParameters(n.params, false);
    const returnType = n.returnType ? [': ', this.print(n.returnType, 'returnType')] : '';
    const grouped = shouldGroupFunctionParameters(n.params, n.returnType, returnType) ? group(params) : params;
    return ['function ', n.name, group([grouped, returnType]), ' ', this.print(n.body, 'body')];
  }

  private methodValue(n: S.ObjectMethod): Doc {
    const params = this.functionParameters(n.params, false);
    const returnType = n.returnType ? [': ', this.print(n.returnType, 'returnType')] : '';
    const grouped = shouldGroupFunctionParameters(n.params, n.returnType, returnType) ? group(params) : params;
    return [group([grouped, returnType]), ' ', this.print(n.body, 'body')];
  }

  private functionParameters(params: readonly S.Pattern[], expand: boolean): Doc {
    if (params.length === 0) return '()';
    const hug = shouldHugTheOnlyFunctionParameter(params);
    const printed: Doc[] = [];
    params.forEach((p, i) => {
      printed.push(this.print(p, 'params'));
      if (i < params.length - 1) printed.push(',', hug ? ' ' : line);
    });
    // An expanded last argument keeps its parameters on one line (or the whole call breaks instead).
    if (expand) {
      if (willBreak(printed)) throw new ArgExpansionBailout();
      return group(['(', removeLines(printed), ')']);
    }
    if (hug) return ['(', ...printed, ')'];
    return ['(', indent([softline, ...printed]), ifBreak(','), softline, ')'];
  }

  private returnArgument(arg: S.Expression): Doc {
    const doc = this.print(arg, 'argument');
    if (isBinaryish(arg)) return group([ifBreak('('), indent([softline, doc]), softline, ifBreak(')')]);
    return doc;
  }

  private moduleSpecifiers(specifiers: readonly S.ModuleSpecifier[]): Doc {
    if (specifiers.length === 0) return ' {}';
    const printed = specifiers.map(
      (s) => `${s.typeOnly ? 'type ' : ''}${s.imported}${s.local !== undefined && s.local !== s.imported ? ` as ${s.local}` : ''}`,
    );
    if (printed.length === 1) return [' { ', printed[0]!, ' }'];
    return [' ', group(['{', indent([line, join([',', line], printed)]), ifBreak(','), line, '}'])];
  }

  // ------------------------------------------------ assignments (prettier's assignment.js)

  private assignment(left: Doc, operator: string, right: AnyNode | undefined, rightKey: string): Doc {
    const layout = this.chooseLayout(left, right);
    const rightDoc = right ? this.print(right, rightKey, { assignmentLayout: layout }) : '';
    switch (layout) {
      case 'break-after-operator':
        return group([group(left), operator, group(indent([line, rightDoc]))]);
      case 'never-break-after-operator':
        return group([group(left), operator, ' ', rightDoc]);
      case 'fluid': {
        const id = Symbol('assignment');
        return group([group(left), operator, group(indent(line), { id }), indentIfBreak(rightDoc, id)]);
      }
      case 'break-lhs':
        return group([left, operator, ' ', group(rightDoc)]);
      case 'only-left':
        return left;
    }
  }

  private chooseLayout(left: Doc, right: AnyNode | undefined): AssignmentLayout {
    const node = this.node;
    if (!right) return 'only-left';
    if (right.type === 'TSUnionType' && !shouldHugUnionType(right)) return 'break-after-operator';
    const canBreakLeft = canBreak(left);
    if (node.type === 'VariableDeclarator' && (hasComplexTypeAnnotation(node) || (right.type === 'ArrowFunctionExpression' && canBreakLeft)))
      return 'break-lhs';
    const hasShortKey = node.type === 'Property' && typeof left === 'string' && textWidth(left) < TAB_WIDTH + 3;
    if (this.within(right, 'right', () => this.shouldBreakAfterOperator(right, hasShortKey))) return 'break-after-operator';
    if (!canBreakLeft && (hasShortKey || right.type === 'TemplateLiteral' || right.type === 'BooleanLiteral' || right.type === 'NumericLiteral')) {
      return 'never-break-after-operator';
    }
    return 'fluid';
  }

  private shouldBreakAfterOperator(right: AnyNode, hasShortKey: boolean): boolean {
    if (isBinaryish(right) && !shouldInlineLogicalExpression(right)) return true;
    if (right.type === 'ConditionalExpression') return isBinaryish(right.test) && !shouldInlineLogicalExpression(right.test);
    if (hasShortKey) return false;
    let n: AnyNode = right;
    while (n.type === 'UnaryExpression' || n.type === 'TSNonNullExpression') n = n.type === 'UnaryExpression' ? n.argument : n.expression;
    return isStringLiteral(n) || this.isPoorlyBreakableMemberOrCallChain(n, false);
  }

  /** A chain of members and calls without arguments (or with one short one), not printed as a member chain. */
  private isPoorlyBreakableMemberOrCallChain(n: AnyNode, deep: boolean): boolean {
    if (isCall(n)) {
      if (isMember(n.callee) && memberChainGroups(n, this.ancestor()?.type === 'ExpressionStatement').labelled) return false;
      const poorlyBreakableCall = n.arguments.length === 0 || (n.arguments.length === 1 && isLoneShortArgument(n.arguments[0]!));
      if (!poorlyBreakableCall) return false;
      if (n.typeArguments && (n.typeArguments.length > 1 || willBreak(this.typeArguments(n.typeArguments)))) return false;
      if (n.typeArguments?.length === 1 && ['TSUnionType', 'TSIntersectionType', 'TSTypeLiteral'].includes(n.typeArguments[0]!.type)) return false;
      return this.within(n.callee, 'callee', () => this.isPoorlyBreakableMemberOrCallChain(n.callee, true));
    }
    if (isMember(n)) return this.within(n.object, 'object', () => this.isPoorlyBreakableMemberOrCallChain(n.object, true));
    return deep && n.type === 'Identifier';
  }

  // ------------------------------------------------ objects, arrays, keys

  private propertyKey(key: S.PropertyKey | S.Expression, computed: boolean): Doc {
    if (computed) return ['[', this.print(key, 'key'), ']'];
    if (key.type === 'StringLiteral' && isBareKey(key.value)) return key.value;
    return this.print(key, 'key');
  }

  private object(n: S.ObjectExpression): Doc {
    if (n.properties.length === 0) return '{}';
    // Expanded (a line break after `{` in the source): broken, one property per line.
    if (n.expanded) return group(['{', indent(this.lines(n.properties, 'properties', ',')), hardline, '}'], { shouldBreak: true });
    const parts: Doc[] = [];
    n.properties.forEach((p, i) => {
      parts.push(this.print(p, 'properties'));
      if (i < n.properties.length - 1) {
        parts.push(',', line);
        if (p.blankLineAfter) parts.push(hardline);
      }
    });
    return group(['{', indent([line, ...parts]), ifBreak(','), line, '}']);
  }

  private array(elements: readonly AnyNode[], key: string, isExpression: boolean): Doc {
    if (elements.length === 0) return '[]';
    const shouldBreak = arrayShouldBreak(elements);
    const concise = isExpression && isConciselyPrintedArray({ type: 'ArrayExpression', elements } as S.ArrayExpression);
    const id = Symbol('array');
    const trailingComma = concise ? ifBreak(',', '', id) : ifBreak(',');
    let content: Doc;
    if (concise) {
      const parts: Doc[] = [];
      elements.forEach((e, i) => {
        const last = i === elements.length - 1;
        parts.push([this.print(e, key), last ? trailingComma : ',']);
        if (!last) parts.push(line);
      });
      content = fill(parts);
    } else {
      const parts: Doc[] = [];
      elements.forEach((e, i) => {
        parts.push(group(this.print(e, key)));
        if (i < elements.length - 1) parts.push([',', line]);
      });
      content = [parts, trailingComma];
    }
    return group(['[', indent([softline, content]), softline, ']'], { shouldBreak, id });
  }

  private typeLiteral(n: S.TypeLiteral): Doc {
    if (n.members.length === 0) return '{}';
    if (n.expanded) return group(['{', indent(this.lines(n.members, 'members', ';')), hardline, '}'], { shouldBreak: true });
    const parts: Doc[] = [];
    n.members.forEach((m, i) => {
      parts.push(this.print(m, 'members'));
      if (i < n.members.length - 1) {
        parts.push(line);
        if (m.blankLineAfter) parts.push(hardline);
      }
    });
    return group(['{', indent([line, ...parts]), line, '}']);
  }

  /** `;` after a type literal member: always between members, only when broken after the last; an expanded literal's lines add their own. */
  private memberSemicolon(): Doc {
    const parent = this.ancestor() as S.TypeLiteral;
    if (parent.expanded) return '';
    return parent.members[parent.members.length - 1] === this.node ? ifBreak(';') : ';';
  }

  private templateLiteral(n: S.TemplateLiteral): Doc {
    const parts: Doc[] = ['`'];
    n.quasis.forEach((q, i) => {
      parts.push(q);
      const e = n.expressions[i];
      if (!e) return;
      // Interpolations never get line breaks they did not have.
      const flat = printDoc(this.print(e, 'expressions'), Infinity);
      parts.push(group(['${', flat, '}']));
    });
    parts.push('`');
    return parts;
  }

  // ------------------------------------------------ types

  private typeArguments(params: readonly S.TypeNode[]): Doc {
    const printed = params.map((p) => this.print(p, 'params'));
    if (params.length === 0 || (params.length === 1 && shouldHugType(params[0]!))) return ['<', join(', ', printed), '>'];
    return group(['<', indent([softline, join([',', line], printed)]), softline, '>']);
  }

  private unionType(n: S.UnionType, args: Args | undefined): Doc {
    if (shouldHugUnionType(n))
      return join(
        ' | ',
        n.types.map((t) => this.print(t, 'types')),
      );
    // Comments before the first member sit before the union itself (where prettier attaches them):
    // printed ahead of it, they do not break it. Any other member's comments go on their own lines
    // before its `|` (where prettier keeps them), which breaks the union.
    const lifted = n.types[0]?.leadingComments ?? [];
    const hasComments = n.types.some((t, i) => i > 0 && t.leadingComments && t.leadingComments.length > 0);
    const members = group(
      n.types.map((t, i) => {
        const comments = i === 0 ? [] : (t.leadingComments ?? []);
        const doc = this.within(t, 'types', () => this.printWithoutComments(undefined));
        const bar = i === 0 ? ifBreak('| ') : [line, '| '];
        return comments.length > 0 ? [line, printLeadingComments(comments), '| ', align(2, doc)] : [bar, align(2, doc)];
      }),
      { shouldBreak: hasComments },
    );
    const printed = lifted.length > 0 ? [printLeadingComments(lifted), members] : members;
    if (this.needsParens()) return group([indent([softline, printed]), softline]);
    if (args?.assignmentLayout === 'break-after-operator' || this.key === 'params') return printed;
    return group(indent([softline, printed]));
  }

  private intersectionType(n: S.IntersectionType): Doc {
    let wasIndented = false;
    return group(
      n.types.map((t, i) => {
        const doc = this.print(t, 'types');
        if (i === 0) return doc;
        const current = isObjectType(t);
        const previous = isObjectType(n.types[i - 1]);
        if (previous && current) return [' & ', wasIndented ? indent(doc) : doc];
        if (!previous && !current) return indent([' &', line, doc]);
        if (i > 1) wasIndented = true;
        return [' & ', i > 1 ? indent(doc) : doc];
      }),
    );
  }

  // ------------------------------------------------ calls and members

  private callExpression(n: S.CallExpression): { doc: Doc; memberChain: boolean } {
    const typeArgs = n.typeArguments ? this.typeArguments(n.typeArguments) : '';
    if (n.type === 'CallExpression' && isMember(n.callee)) return this.memberChain(n);
    const contents: Doc = [n.type === 'NewExpression' ? 'new ' : '', this.print(n.callee, 'callee'), typeArgs, this.callArguments(n)];
    return { doc: isCall(n.callee) ? group(contents) : contents, memberChain: false };
  }

  private callArguments(n: S.CallExpression): Doc {
    const args = n.arguments;
    if (args.length === 0) return '()';
    if (isReactHookCallWithDepsArray(args)) {
      return [
        '(',
        join(
          ', ',
          args.map((a) => this.print(a, 'arguments')),
        ),
        ')',
      ];
    }
    const printed = args.map((a, i) => {
      const doc = this.print(a, 'arguments');
      return i === args.length - 1 ? doc : [doc, ',', line];
    });
    const allArgsBrokenOut = () => group(['(', indent([line, ...printed]), ifBreak(','), line, ')'], { shouldBreak: true });
    if (isFunctionCompositionArguments(args)) return allArgsBrokenOut();

    if (this.shouldExpandFirstArg(args)) {
      const tail = printed.slice(1);
      if (tail.some(willBreak)) return allArgsBrokenOut();
      let first: Doc;
      try {
        first = this.print(args[0]!, 'arguments', { expandFirstArg: true });
      } catch (err) {
        if (err instanceof ArgExpansionBailout) return allArgsBrokenOut();
        throw err;
      }
      if (willBreak(first)) return [breakParent, conditionalGroup([['(', group(first, { shouldBreak: true }), ', ', ...tail, ')'], allArgsBrokenOut()])];
      return conditionalGroup([['(', first, ', ', ...tail, ')'], ['(', group(first, { shouldBreak: true }), ', ', ...tail, ')'], allArgsBrokenOut()]);
    }

    if (shouldExpandLastArg(args)) {
      const head = printed.slice(0, -1);
      if (head.some(willBreak)) return allArgsBrokenOut();
      let last: Doc;
      try {
        last = this.print(args[args.length - 1]!, 'arguments', { expandLastArg: true });
      } catch (err) {
        if (err instanceof ArgExpansionBailout) return allArgsBrokenOut();
        throw err;
      }
      if (willBreak(last)) return [breakParent, conditionalGroup([['(', ...head, group(last, { shouldBreak: true }), ')'], allArgsBrokenOut()])];
      return conditionalGroup([['(', ...head, last, ')'], ['(', ...head, group(last, { shouldBreak: true }), ')'], allArgsBrokenOut()]);
    }

    return group(['(', indent([softline, ...printed]), ifBreak(','), softline, ')'], { shouldBreak: printed.some(willBreak) });
  }

  private shouldExpandFirstArg(args: readonly AnyNode[]): boolean {
    if (args.length !== 2) return false;
    const [first, second] = args as [AnyNode, AnyNode];
    return (
      isArrow(first) &&
      first.body.type === 'BlockStatement' &&
      second.type !== 'ArrowFunctionExpression' &&
      second.type !== 'ConditionalExpression' &&
      isHopefullyShortCallArgument(second) &&
      !couldExpandArg(second)
    );
  }

  private memberLookup(n: S.MemberExpression): Doc {
    const property = this.print(n.property, 'property');
    if (!n.computed) return ['.', property];
    if (n.property.type === 'NumericLiteral') return ['[', property, ']'];
    return group(['[', indent([softline, property]), softline, ']']);
  }

  private memberExpression(n: S.MemberExpression): Doc {
    const objectDoc = this.print(n.object, 'object');
    const lookup = this.memberLookup(n);
    const firstNonMemberParent = this.findAncestor((a) => a.type !== 'MemberExpression' && a.type !== 'TSNonNullExpression');
    const parent = this.ancestor();
    const shouldInline =
      (firstNonMemberParent?.type === 'AssignmentExpression' && firstNonMemberParent.left.type !== 'Identifier') ||
      this.isNewCalleeChain() ||
      n.computed ||
      (n.object.type === 'Identifier' && n.property.type === 'Identifier' && !isMember(parent)) ||
      ((parent?.type === 'AssignmentExpression' || parent?.type === 'VariableDeclarator') &&
        ((isCall(n.object) && n.object.arguments.length > 0) || isMemberChainDoc(objectDoc)));
    const doc: Doc = [objectDoc, shouldInline ? lookup : group(indent([softline, lookup]))];
    return isMemberChainDoc(objectDoc) ? label(MEMBER_CHAIN, doc) : doc;
  }

  /** Whether the current member expression is (the object chain of) the callee of a `new`. */
  private isNewCalleeChain(): boolean {
    let child = this.node;
    for (let i = 0; ; i++) {
      const a = this.ancestor(i);
      if (!a) return false;
      if ((a.type === 'MemberExpression' && a.object === child) || (a.type === 'TSNonNullExpression' && a.expression === child)) {
        child = a;
        continue;
      }
      return a.type === 'NewExpression' && a.callee === child;
    }
  }

  /** prettier's member-chain.js: `a.b(…).c(…)` as one line, or one call per line when long and busy. */
  private memberChain(n: S.CallExpression): { doc: Doc; memberChain: boolean } {
    const chain = memberChainGroups(n, this.ancestor()?.type === 'ExpressionStatement');
    // The printed parts of the chain, innermost first, each printed with its ancestors on the stack.
    const printed = new Map<AnyNode, Doc>();
    const typeArgsOf = (c: S.CallExpression) => (c.typeArguments ? this.typeArguments(c.typeArguments) : '');
    printed.set(n, [typeArgsOf(n), this.callArguments(n)]);
    const rec = (node: AnyNode, key: string): void => {
      if (isCall(node) && (isMember(node.callee) || isCall(node.callee))) {
        this.within(node, key, () => {
          printed.set(node, [typeArgsOf(node), this.callArguments(node)]);
          rec(node.callee, 'callee');
        });
      } else if (isMember(node)) {
        this.within(node, key, () => {
          printed.set(node, this.memberLookup(node));
          rec(node.object, 'object');
        });
      } else if (node.type === 'TSNonNullExpression') {
        this.within(node, key, () => {
          printed.set(node, '!');
          rec(node.expression, 'expression');
        });
      } else printed.set(node, this.print(node, key));
    };
    rec(n.callee, 'callee');
    const printGroup = (g: readonly AnyNode[]): Doc => g.map((x) => printed.get(x)!);
    const groups = chain.groups;
    const printedGroups = groups.map(printGroup);
    const oneLine = printedGroups;
    if (!chain.labelled) return { doc: group(oneLine), memberChain: false };

    const rest = groups.slice(chain.merge ? 2 : 1);
    const expanded: Doc = [printGroup(groups[0]!), chain.merge ? printGroup(groups[1]!) : '', indent([hardline, join(hardline, rest.map(printGroup))])];
    const callExpressions = chain.nodes.filter(isCall);
    const lastGroupWillBreakAndOtherCallsHaveFunctionArguments = () => {
      const lastNode = groups[groups.length - 1]![groups[groups.length - 1]!.length - 1]!;
      return isCall(lastNode) && willBreak(printedGroups[printedGroups.length - 1]!) && callExpressions.slice(0, -1).some((c) => c.arguments.some(isArrow));
    };
    let result: Doc;
    if (
      (callExpressions.length > 2 && callExpressions.some((c) => c.arguments.some((a) => !isSimpleCallArgument(a)))) ||
      printedGroups.slice(0, -1).some(willBreak) ||
      lastGroupWillBreakAndOtherCallsHaveFunctionArguments()
    ) {
      result = group(expanded);
    } else result = [willBreak(oneLine) ? breakParent : '', conditionalGroup([oneLine, expanded])];
    return { doc: label(MEMBER_CHAIN, result), memberChain: true };
  }

  // ------------------------------------------------ operators

  private binaryish(n: S.BinaryExpression): Doc {
    const parent = this.ancestor();
    const grandparent = this.ancestor(1);
    const key = this.key;
    const isInsideParenthesis = key !== 'body' && (parent?.type === 'IfStatement' || parent?.type === 'WhileStatement' || parent?.type === 'SwitchStatement');
    const parts = this.binaryishParts(n, isInsideParenthesis);
    if (isInsideParenthesis) return parts;
    if ((key === 'callee' && isCallOrNew(parent)) || parent?.type === 'UnaryExpression' || (isMember(parent) && !parent.computed)) {
      return group([indent([softline, ...parts]), softline]);
    }
    const shouldNotIndent =
      isReturnOrThrow(parent) ||
      (parent?.type === 'ArrowFunctionExpression' && key === 'body') ||
      (parent?.type === 'ForStatement' && key !== 'body') ||
      (parent?.type === 'ConditionalExpression' && !isReturnOrThrow(grandparent) && !isCallOrNew(grandparent)) ||
      parent?.type === 'TemplateLiteral';
    const shouldIndentIfInlining = parent?.type === 'AssignmentExpression' || parent?.type === 'VariableDeclarator' || parent?.type === 'Property';
    const samePrecedenceSubExpression = isBinaryish(n.left) && shouldFlatten(n.operator, n.left.operator);
    if (
      shouldNotIndent ||
      (shouldInlineLogicalExpression(n) && !samePrecedenceSubExpression) ||
      (!shouldInlineLogicalExpression(n) && shouldIndentIfInlining)
    ) {
      return group(parts);
    }
    const firstGroupIndex = parts.findIndex((p) => typeof p !== 'string' && !Array.isArray(p) && (p as { type: string }).type === 'group');
    const head = parts.slice(0, firstGroupIndex === -1 ? 1 : firstGroupIndex + 1);
    const rest = parts.slice(head.length);
    return group([...head, indent(rest)], { id: Symbol('logicalChain') });
  }

  /** The operands and operators of a chain of same-precedence operators, flattened. */
  private binaryishParts(n: S.BinaryExpression, isInsideParenthesis: boolean): Doc[] {
    let parts: Doc[];
    if (isBinaryish(n.left) && shouldFlatten(n.operator, n.left.operator)) {
      parts = this.within(n.left, 'left', () => this.binaryishParts(n.left as S.BinaryExpression, isInsideParenthesis));
    } else parts = [group(this.print(n.left, 'left'))];
    const shouldInline = shouldInlineLogicalExpression(n);
    let right: Doc = shouldInline ? [n.operator, ' ', this.print(n.right, 'right')] : [n.operator, line, this.print(n.right, 'right')];
    const parent = this.ancestor();
    const shouldGroup =
      !(isInsideParenthesis && n.type === 'LogicalExpression') && parent?.type !== n.type && n.left.type !== n.type && n.right.type !== n.type;
    if (shouldGroup) right = group(right);
    parts.push(' ', right);
    return parts;
  }

  /** prettier's ternary-old.js (non-JSX mode). */
  private ternary(n: S.ConditionalExpression): Doc {
    const parent = this.ancestor();
    const isParentTest = parent?.type === 'ConditionalExpression' && parent.test === n;
    const forceNoIndent = parent?.type === 'ConditionalExpression' && !isParentTest;
    // The outermost non-conditional ancestor, climbing through conditionals whose test this is not.
    let firstNonConditionalParent: AnyNode | undefined;
    let previous: AnyNode = n;
    for (let i = 0; ; i++) {
      const a = this.ancestor(i);
      if (a?.type === 'ConditionalExpression' && a.test !== previous) {
        previous = a;
        continue;
      }
      firstNonConditionalParent = a ?? parent;
      break;
    }
    const branch = (e: S.Expression, key: string) => align(2, this.print(e, key));
    const consequentIsConditional = n.consequent.type === 'ConditionalExpression';
    const part: Doc[] = [
      line,
      '? ',
      consequentIsConditional ? ifBreak('', '(') : '',
      branch(n.consequent, 'consequent'),
      consequentIsConditional ? ifBreak('', ')') : '',
      line,
      ': ',
      branch(n.alternate, 'alternate'),
    ];
    const parts: Doc = parent?.type !== 'ConditionalExpression' || parent.alternate === n || isParentTest ? part : align(Math.max(0, TAB_WIDTH - 2), part);
    const maybeGroup = (d: Doc) => (parent === firstNonConditionalParent ? group(d) : d);
    const breakClosingParen = isMember(parent) && !parent.computed;
    const shouldExtraIndent = this.shouldExtraIndentForConditionalExpression();
    let test = this.print(n.test, 'test');
    if (parent?.type === 'ConditionalExpression' && parent.alternate === n) test = align(2, test);
    const result = maybeGroup([test, forceNoIndent ? parts : indent(parts), breakClosingParen && !shouldExtraIndent ? softline : '']);
    return isParentTest || shouldExtraIndent ? group([indent([softline, result]), softline]) : result;
  }

  private shouldExtraIndentForConditionalExpression(): boolean {
    const node = this.node;
    let child: AnyNode = node;
    let parent: AnyNode | undefined;
    for (let i = 0; !parent; i++) {
      const a = this.ancestor(i);
      if (!a) return false;
      if ((isCall(a) && a.callee === child) || (isMember(a) && a.object === child) || (a.type === 'TSNonNullExpression' && a.expression === child)) {
        child = a;
        continue;
      }
      if ((a.type === 'NewExpression' && a.callee === child) || (a.type === 'TSAsExpression' && a.expression === child)) {
        parent = this.ancestor(i + 1);
        child = a;
      } else parent = a;
    }
    if (child === node) return false;
    const slot: Partial<Record<string, string>> = {
      AssignmentExpression: 'right',
      VariableDeclarator: 'init',
      ReturnStatement: 'argument',
      ThrowStatement: 'argument',
      UnaryExpression: 'argument',
    };
    const name = slot[parent.type];
    return name !== undefined && (parent as unknown as Record<string, unknown>)[name] === child;
  }

  // ------------------------------------------------ arrow functions (prettier's arrow-function.js, no chains)

  private arrowFunction(n: S.ArrowFunctionExpression, args: Args): Doc {
    if (n.body.type === 'ArrowFunctionExpression') throw new Error('ts writer: arrow function chains are not supported');
    const expand = args.expandLastArg === true || args.expandFirstArg === true;
    let returnType: Doc = n.returnType ? [': ', this.print(n.returnType, 'returnType')] : '';
    if (expand) {
      if (willBreak(returnType)) throw new ArgExpansionBailout();
      returnType = group(removeLines(returnType));
    }
    const signature = group([this.functionParameters(n.params, expand), returnType]);
    const body = n.body;
    const bodyDoc = this.print(body, 'body', args);
    const shouldAddParensIfNotBreak = body.type === 'ConditionalExpression' && !startsWithObject(body);
    const shouldPutBodyOnSameLine =
      body.type === 'ArrayExpression' || body.type === 'ObjectExpression' || body.type === 'BlockStatement' || shouldAddParensIfNotBreak;
    const trailingComma = args.expandLastArg ? ifBreak(',') : '';
    const trailingSpace = args.expandLastArg ? softline : '';
    let printedBody: Doc;
    if (shouldPutBodyOnSameLine && shouldAddParensIfNotBreak) {
      printedBody = [' ', group([ifBreak('', '('), indent([softline, bodyDoc]), ifBreak('', ')'), trailingComma, trailingSpace])];
    } else if (shouldPutBodyOnSameLine) printedBody = [' ', bodyDoc];
    else printedBody = [indent([line, bodyDoc]), trailingComma, trailingSpace];
    return group([group(signature), ' =>', group(printedBody)]);
  }
}

function fitsAt(indentation: number, line: string): boolean {
  // No character is wider than two columns: a short line fits without measuring.
  return indentation + 2 * line.length <= PRINT_WIDTH || indentation + textWidth(line) <= PRINT_WIDTH;
}

function flatSpecifiers(specifiers: readonly S.ModuleSpecifier[]): string {
  if (specifiers.length === 0) return '{}';
  return `{ ${specifiers.map((s) => `${s.typeOnly ? 'type ' : ''}${s.imported}${s.local !== undefined && s.local !== s.imported ? ` as ${s.local}` : ''}`).join(', ')} }`;
}

/**
 * `n` with every lazy node in it built (for the full layout), sharing what holds none. A lazy
 * node's comments and blank line go to the node it builds.
 */
export function built(n: AnyNode): AnyNode {
  if (n.type === 'Lazy') {
    const node = built(n.build(n));
    return n.leadingComments || n.blankLineAfter ? { ...node, leadingComments: n.leadingComments, blankLineAfter: n.blankLineAfter } : node;
  }
  let copy: Record<string, unknown> | undefined;
  for (const k in n) {
    const v = (n as unknown as Record<string, unknown>)[k];
    let w: unknown = v;
    if (Array.isArray(v)) {
      const items = v as unknown[];
      let list: unknown[] | undefined;
      items.forEach((x, i) => {
        if (!isNodeLike(x)) return;
        const y = built(x);
        if (y !== x) (list ??= [...items])[i] = y;
      });
      if (list) w = list;
    } else if (isNodeLike(v)) w = built(v);
    if (w !== v) (copy ??= { ...(n as unknown as Record<string, unknown>) })[k] = w;
  }
  return (copy as unknown as AnyNode | undefined) ?? n;
}

function isNodeLike(x: unknown): x is AnyNode {
  return typeof x === 'object' && x !== null && typeof (x as { type?: unknown }).type === 'string';
}

function shouldGroupFunctionParameters(params: readonly S.Pattern[], returnType: S.TypeNode | undefined, returnTypeDoc: Doc): boolean {
  return returnType !== undefined && params.length === 1 && (isObjectType(returnType) || willBreak(returnTypeDoc));
}

function isMemberChainDoc(doc: Doc): boolean {
  return (
    typeof doc === 'object' &&
    !Array.isArray(doc) &&
    (doc as { type?: string; label?: string }).type === 'label' &&
    (doc as { label: string }).label === MEMBER_CHAIN
  );
}

/** Comments on their own lines: each followed by a line break, a '' entry by a blank line. */
function printLeadingComments(comments: readonly string[]): Doc {
  return comments.map((c) => (c === '' ? hardline : [join(hardline, commentLines(c)), hardline]));
}

/** A block comment's lines, each after the first starting with its ` *` (prettier re-indents JSDoc). */
function commentLines(text: string): string[] {
  if (!text.includes('\n')) return [text];
  return text.split('\n').map((l, i) => (i === 0 ? l.trimEnd() : ` ${l.trim()}`));
}

const flatLayout = new Layout();
let verifyingFastPath = false;

/**
 * Tests: whether every module printed from now on checks each line it prints flat (and each lazy
 * node's text) against the full layout, throwing where they differ.
 */
export function verifyFastPath(on: boolean): void {
  verifyingFastPath = on;
}

/** A node printed flat as a whole (no parentheses around it), or undefined when its layout may break. */
export function flatText(n: AnyNode): string | undefined {
  return flatLayout.flatRoot(n);
}

/**
 * The text of a module, formatted as prettier formats it: statements (with their comments) one per
 * line, ending with a line break. `verifyFastPath` (tests) checks every line printed flat against its
 * full layout.
 */
export function printModule(statements: readonly S.Statement[], verifyFastPath = verifyingFastPath): string {
  if (statements.length === 0) return '';
  const out: string[] = [];
  printDocInto(out, new Layout(verifyFastPath).lines(statements, 'body', ''), PRINT_WIDTH, 0);
  return `${out.join('').slice(1)}\n`;
}
