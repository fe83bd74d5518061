/**
 * prettier's decisions about syntax nodes that do not depend on a document: node classes, operator
 * precedence and flattening, hugging, argument expansion, member-chain groups and parentheses
 * (needs-parentheses.js). Shared by the layout and by the templates' lazy nodes, which must decide
 * parentheses and chains the same way.
 */
import { quote } from './literals.ts';
import type * as S from './syntax.ts';

type AnyNode = S.Node;

/** .prettierrc.json's printWidth; indents are two spaces. */
export const PRINT_WIDTH = 160;
export const TAB_WIDTH = 2;

export const isCall = (n: AnyNode | undefined): n is S.CallExpression => n?.type === 'CallExpression';
export const isCallOrNew = (n: AnyNode | undefined): n is S.CallExpression => n?.type === 'CallExpression' || n?.type === 'NewExpression';
export const isMember = (n: AnyNode | undefined): n is S.MemberExpression => n?.type === 'MemberExpression';
export const isBinaryish = (n: AnyNode | undefined): n is S.BinaryExpression => n?.type === 'BinaryExpression' || n?.type === 'LogicalExpression';
export const isObjectType = (n: AnyNode | undefined): boolean => n?.type === 'TSTypeLiteral' || n?.type === 'TSMappedType';
export const isStringLiteral = (n: AnyNode | undefined): n is S.StringLiteral => n?.type === 'StringLiteral';
const isLiteral = (n: AnyNode): boolean =>
  n.type === 'StringLiteral' || n.type === 'NumericLiteral' || n.type === 'BigIntLiteral' || n.type === 'BooleanLiteral' || n.type === 'NullLiteral';
const isSignedNumericLiteral = (n: AnyNode): boolean =>
  n.type === 'UnaryExpression' && (n.operator === '-' || n.operator === '+') && n.argument.type === 'NumericLiteral';
export const isArrow = (n: AnyNode | undefined): n is S.ArrowFunctionExpression => n?.type === 'ArrowFunctionExpression';
export const isReturnOrThrow = (n: AnyNode | undefined): boolean => n?.type === 'ReturnStatement' || n?.type === 'ThrowStatement';

const PRECEDENCE: Readonly<Record<string, number>> = {
  '??': 1,
  '||': 2,
  '&&': 3,
  '|': 4,
  '^': 5,
  '&': 6,
  '==': 7,
  '===': 7,
  '!=': 7,
  '!==': 7,
  '<': 8,
  '>': 8,
  '<=': 8,
  '>=': 8,
  in: 8,
  instanceof: 8,
  '>>': 9,
  '<<': 9,
  '>>>': 9,
  '+': 10,
  '-': 10,
  '*': 11,
  '/': 11,
  '%': 11,
  '**': 12,
};
const precedence = (op: string | undefined): number | undefined => (op === undefined ? undefined : PRECEDENCE[op]);
const EQUALITY = new Set(['==', '!=', '===', '!==']);
const MULTIPLICATIVE = new Set(['*', '/', '%']);
const BITSHIFT = new Set(['>>', '>>>', '<<']);
const BITWISE = new Set(['>>', '>>>', '<<', '&', '|', '^']);

export function shouldFlatten(parentOp: string, nodeOp: string | undefined): boolean {
  if (nodeOp === undefined || precedence(nodeOp) !== precedence(parentOp)) return false;
  if (parentOp === '**') return false;
  if (EQUALITY.has(parentOp) && EQUALITY.has(nodeOp)) return false;
  if ((nodeOp === '%' && MULTIPLICATIVE.has(parentOp)) || (parentOp === '%' && MULTIPLICATIVE.has(nodeOp))) return false;
  if (nodeOp !== parentOp && MULTIPLICATIVE.has(nodeOp) && MULTIPLICATIVE.has(parentOp)) return false;
  if (BITSHIFT.has(parentOp) && BITSHIFT.has(nodeOp)) return false;
  return true;
}

/** Whether `left` is printed as part of `parent`'s operator chain (prettier's printBinaryishExpressions flattens it, without parentheses). */
export function isFlattenedOperand(
  parent: { readonly operator: string },
  left: { readonly type: string; readonly root?: string; readonly operator?: string },
): boolean {
  const kind = left.type === 'Lazy' ? left.root : left.type;
  return (kind === 'BinaryExpression' || kind === 'LogicalExpression') && shouldFlatten(parent.operator, left.operator);
}

export function shouldInlineLogicalExpression(n: AnyNode): boolean {
  if (n.type !== 'LogicalExpression') return false;
  if (n.right.type === 'ObjectExpression' && n.right.properties.length > 0) return true;
  return n.right.type === 'ArrayExpression' && n.right.elements.length > 0;
}

function isSimpleType(n: AnyNode): boolean {
  return n.type === 'TSKeywordType' || n.type === 'TSLiteralType' || (n.type === 'TSTypeReference' && !n.typeArguments);
}

export function shouldHugUnionType(u: S.UnionType): boolean {
  if (u.types.some((t) => t.leadingComments && t.leadingComments.length > 0)) return false;
  const objectType = u.types.find((t) => t.type === 'TSTypeLiteral' || t.type === 'TSTypeReference');
  if (!objectType) return false;
  return u.types.every((t) => t === objectType || (t.type === 'TSKeywordType' && (t.keyword === 'void' || t.keyword === 'null')));
}

export function shouldHugType(n: S.TypeNode): boolean {
  if (isSimpleType(n) || isObjectType(n)) return true;
  return n.type === 'TSUnionType' && shouldHugUnionType(n);
}

export function isConciselyPrintedArray(n: AnyNode): boolean {
  return n.type === 'ArrayExpression' && n.elements.length > 0 && n.elements.every((e) => e.type === 'NumericLiteral' || isSignedNumericLiteral(e));
}

export function isSimpleCallArgument(n: AnyNode, depth = 2): boolean {
  if (depth <= 0) return false;
  const child = (c: AnyNode) => isSimpleCallArgument(c, depth - 1);
  if (isLiteral(n) || n.type === 'Identifier') return true;
  if (n.type === 'TemplateLiteral') return n.quasis.every((q) => !q.includes('\n')) && n.expressions.every(child);
  if (n.type === 'ObjectExpression') return n.properties.every((p) => p.type === 'Property' && !p.computed && (p.shorthand || child(p.value)));
  if (n.type === 'ArrayExpression') return n.elements.every(child);
  if (isCallOrNew(n)) return isSimpleCallArgument(n.callee, depth) && n.arguments.length <= depth && n.arguments.every(child);
  if (isMember(n)) return isSimpleCallArgument(n.object, depth) && isSimpleCallArgument(n.property, depth);
  if (n.type === 'UnaryExpression' && ['!', '-', '+', '~'].includes(n.operator)) return isSimpleCallArgument(n.argument, depth);
  if (n.type === 'UpdateExpression') return isSimpleCallArgument(n.argument, depth);
  return false;
}

export function isLoneShortArgument(n: AnyNode): boolean {
  const threshold = PRINT_WIDTH * 0.25;
  if ((n.type === 'Identifier' && n.name.length <= threshold) || isSignedNumericLiteral(n)) return true;
  if (n.type === 'StringLiteral') return quote(n.value).length <= threshold;
  if (n.type === 'TemplateLiteral') return n.expressions.length === 0 && n.quasis[0]!.length <= threshold && !n.quasis[0]!.includes('\n');
  if (n.type === 'UnaryExpression') return isLoneShortArgument(n.argument);
  if (n.type === 'CallExpression' && n.arguments.length === 0 && n.callee.type === 'Identifier') return n.callee.name.length <= threshold - 2;
  return isLiteral(n);
}

export function isHopefullyShortCallArgument(n: AnyNode): boolean {
  if (n.type === 'TSAsExpression') {
    let t: S.TypeNode = n.typeAnnotation;
    if (t.type === 'TSArrayType') {
      t = t.elementType;
      if (t.type === 'TSArrayType') t = t.elementType;
    }
    if (t.type === 'TSTypeReference' && t.typeArguments?.length === 1) t = t.typeArguments[0]!;
    return isSimpleType(t) && isSimpleCallArgument(n.expression, 1);
  }
  if (isCallOrNew(n) && n.arguments.length > 1) return false;
  if (isBinaryish(n)) return isSimpleCallArgument(n.left, 1) && isSimpleCallArgument(n.right, 1);
  return isSimpleCallArgument(n);
}

export function couldExpandArg(arg: AnyNode, arrowChainRecursion = false): boolean {
  if (arg.type === 'ObjectExpression' && arg.properties.length > 0) return true;
  if (arg.type === 'ArrayExpression' && arg.elements.length > 0) return true;
  if (arg.type === 'TSAsExpression' && couldExpandArg(arg.expression)) return true;
  if (arg.type === 'ArrowFunctionExpression') {
    const body = arg.body;
    if (body.type === 'BlockStatement' || body.type === 'ObjectExpression' || body.type === 'ArrayExpression') return true;
    if (body.type === 'ArrowFunctionExpression' && couldExpandArg(body, true)) return true;
    if (!arrowChainRecursion && (body.type === 'ConditionalExpression' || body.type === 'CallExpression')) return true;
  }
  return false;
}

export function isFunctionCompositionArguments(args: readonly AnyNode[]): boolean {
  if (args.length <= 1) return false;
  let count = 0;
  for (const arg of args) {
    if (kindOf(arg) === 'ArrowFunctionExpression') {
      if (++count > 1) return true;
    } else if (isCall(arg) ? arg.arguments.some((a) => kindOf(a) === 'ArrowFunctionExpression') : arg.type === 'Lazy' && arg.arrowArguments) return true;
  }
  return false;
}

export function isReactHookCallWithDepsArray(args: readonly AnyNode[]): boolean {
  const ok = (f: AnyNode | undefined, deps: AnyNode | undefined) =>
    isArrow(f) && f.params.length === 0 && f.body.type === 'BlockStatement' && deps?.type === 'ArrayExpression';
  if (args.length === 2) return ok(args[0], args[1]);
  return args.length === 3 && args[0]!.type === 'Identifier' && ok(args[1], args[2]);
}

export function shouldHugTheOnlyFunctionParameter(params: readonly S.Pattern[]): boolean {
  if (params.length !== 1) return false;
  const p = params[0]!;
  return p.type === 'ArrayPattern' || (p.typeAnnotation !== undefined && isObjectType(p.typeAnnotation));
}

/**
 * The groups prettier's member-chain.js splits a call on a member into (`a.b(…)` `.c(…)` `.d`), and
 * whether the chain is long enough to be printed as a chain (labelled) rather than on one line.
 */
export function memberChainGroups(
  n: S.CallExpression,
  isExpressionStatement: boolean,
): { nodes: AnyNode[]; groups: AnyNode[][]; merge: boolean; labelled: boolean } {
  // The chain innermost first: the object, then each member access, call and non-null assertion.
  const nodes: AnyNode[] = [n];
  for (let c: AnyNode = n.callee; ;) {
    if (isCall(c) && (isMember(c.callee) || isCall(c.callee))) {
      nodes.unshift(c);
      c = c.callee;
    } else if (isMember(c)) {
      nodes.unshift(c);
      c = c.object;
    } else if (c.type === 'TSNonNullExpression') {
      nodes.unshift(c);
      c = c.expression;
    } else {
      nodes.unshift(c);
      break;
    }
  }
  const groups: AnyNode[][] = [];
  let current: AnyNode[] = [nodes[0]!];
  let i = 1;
  for (; i < nodes.length; i++) {
    const x = nodes[i]!;
    if (x.type === 'TSNonNullExpression' || isCall(x) || (isMember(x) && x.computed && x.property.type === 'NumericLiteral')) current.push(x);
    else break;
  }
  if (!isCall(nodes[0])) {
    for (; i + 1 < nodes.length; i++) {
      if (isMember(nodes[i]) && isMember(nodes[i + 1])) current.push(nodes[i]!);
      else break;
    }
  }
  groups.push(current);
  current = [];
  let hasSeenCall = false;
  for (; i < nodes.length; i++) {
    const x = nodes[i]!;
    if (hasSeenCall && isMember(x)) {
      if (x.computed && x.property.type === 'NumericLiteral') {
        current.push(x);
        continue;
      }
      groups.push(current);
      current = [];
      hasSeenCall = false;
    }
    if (isCall(x)) hasSeenCall = true;
    current.push(x);
  }
  if (current.length > 0) groups.push(current);
  // `Object.keys(…)`, `z.object(…)`: a factory or short name stays on the first line.
  const isFactory = (name: string) => /^[A-Z]|^[$_]+$/.test(name);
  let merge = false;
  if (groups.length >= 2 && groups[1]!.length > 0) {
    const next = groups[1]![0];
    const hasComputed = isMember(next) && next.computed;
    if (groups[0]!.length === 1) {
      const first = groups[0]![0]!;
      merge = first.type === 'Identifier' && (isFactory(first.name) || (isExpressionStatement && first.name.length <= TAB_WIDTH) || hasComputed);
    } else {
      const last = groups[0]![groups[0]!.length - 1]!;
      merge = isMember(last) && last.property.type === 'Identifier' && (isFactory(last.property.name) || hasComputed);
    }
  }
  return { nodes, groups, merge, labelled: groups.length > (merge ? 3 : 2) };
}

/** prettier's rule: an array of several objects (or arrays) each with more than one entry breaks. */
export function arrayShouldBreak(elements: readonly AnyNode[]): boolean {
  if (elements.length <= 1) return false;
  for (let i = 0; i < elements.length; i++) {
    const e = elements[i]!;
    // A lazy object or array may have more than one entry: assume the break (the full layout decides).
    if (e.type === 'Lazy' && (e.root === 'ObjectExpression' || e.root === 'ArrayExpression')) return true;
    const next = elements[i + 1];
    if (e.type !== 'ArrayExpression' && e.type !== 'ObjectExpression') return false;
    if (next && next.type !== e.type) return false;
    if ((e.type === 'ArrayExpression' ? e.elements.length : e.properties.length) <= 1) return false;
  }
  return true;
}

/** How many calls a chain of calls, members and non-null assertions ending in `n` makes. */
export function chainedCalls(n: AnyNode): number {
  let calls = 0;
  let c: AnyNode = n;
  for (; isCall(c) || isMember(c) || c.type === 'TSNonNullExpression';) {
    if (isCall(c)) calls++;
    c = isCall(c) ? c.callee : isMember(c) ? c.object : c.expression;
  }
  return c.type === 'Lazy' ? calls + c.calls : calls;
}

/** The kind of node `n` is or (a lazy node) stands for. */
export function kindOf(n: AnyNode): string {
  return n.type === 'Lazy' ? n.root : n.type;
}

/**
 * prettier's needs-parentheses.js for the node kinds here: whether `node` (or what a lazy node
 * stands for), the child `key` of `parent`, needs parentheses. `beginsStatementOrArrowBody` answers
 * for an object whether it would begin a statement or an arrow function's body.
 */
export function needsParentheses(
  node: { readonly type: string; readonly root?: string; readonly operator?: string; readonly prefix?: boolean },
  parent: AnyNode | undefined,
  key: string,
  beginsStatementOrArrowBody: () => boolean,
): boolean {
  if (!parent) return false;
  const kind = node.type === 'Lazy' ? node.root! : node.type;
  switch (kind) {
    case 'ObjectExpression':
      // An object cannot begin a statement or an arrow function's body.
      return beginsStatementOrArrowBody();
    case 'UpdateExpression':
    case 'UnaryExpression':
      switch (parent.type) {
        case 'UnaryExpression':
          return node.operator === parent.operator && (node.operator === '+' || node.operator === '-');
        case 'MemberExpression':
          return key === 'object';
        case 'CallExpression':
        case 'NewExpression':
          return key === 'callee';
        case 'BinaryExpression':
          return key === 'left' && (((parent.operator === 'in' || parent.operator === 'instanceof') && kind === 'UnaryExpression') || parent.operator === '**');
        case 'TSNonNullExpression':
          return true;
        default:
          return false;
      }
    case 'BinaryExpression':
      if (parent.type === 'UpdateExpression') return true;
    // falls through
    case 'TSAsExpression':
    case 'LogicalExpression':
      switch (parent.type) {
        case 'TSAsExpression':
          return kind !== 'TSAsExpression';
        case 'ConditionalExpression':
          return kind === 'TSAsExpression' || (kind === 'LogicalExpression' && node.operator === '??');
        case 'CallExpression':
        case 'NewExpression':
          return key === 'callee';
        case 'SpreadElement':
        case 'TSNonNullExpression':
        case 'UpdateExpression':
        case 'UnaryExpression':
          return true;
        case 'MemberExpression':
          return key === 'object';
        case 'AssignmentExpression':
          return key === 'left' && kind === 'TSAsExpression';
        case 'LogicalExpression':
          if (kind === 'LogicalExpression') return parent.operator !== node.operator;
        // falls through
        case 'BinaryExpression': {
          if (kind === 'TSAsExpression') return true;
          const op = node.operator!;
          const parentOp = parent.operator;
          const np = precedence(op)!;
          const pp = precedence(parentOp)!;
          if (pp > np) return true;
          if (key === 'right' && pp === np) return true;
          if (pp === np && !shouldFlatten(parentOp, op)) return true;
          if (pp < np && op === '%') return parentOp === '+' || parentOp === '-';
          return BITWISE.has(parentOp);
        }
        default:
          return false;
      }
    case 'ConditionalExpression':
      switch (parent.type) {
        case 'UnaryExpression':
        case 'SpreadElement':
        case 'BinaryExpression':
        case 'LogicalExpression':
        case 'TSAsExpression':
        case 'TSNonNullExpression':
          return true;
        case 'CallExpression':
        case 'NewExpression':
          return key === 'callee';
        case 'ConditionalExpression':
          return key === 'test';
        case 'MemberExpression':
          return key === 'object';
        default:
          return false;
      }
    case 'ArrowFunctionExpression':
      switch (parent.type) {
        case 'BinaryExpression':
        case 'TSAsExpression':
        case 'TSNonNullExpression':
        case 'UnaryExpression':
        case 'LogicalExpression':
          return true;
        case 'CallExpression':
        case 'NewExpression':
          return key === 'callee';
        case 'MemberExpression':
          return key === 'object';
        case 'ConditionalExpression':
          return key === 'test';
        default:
          return false;
      }
    case 'AssignmentExpression':
      return (
        !(key === 'expression' && parent.type === 'ExpressionStatement') &&
        parent.type !== 'AssignmentExpression' &&
        !(key === 'update' && parent.type === 'ForStatement')
      );
    case 'NumericLiteral':
      return key === 'object' && parent.type === 'MemberExpression';
    case 'TSUnionType':
    case 'TSIntersectionType':
      if (parent.type === 'TSUnionType' || parent.type === 'TSIntersectionType') return true;
    // falls through
    case 'TSTypeOperator':
      return parent.type === 'TSArrayType' || parent.type === 'TSTypeOperator' || (key === 'objectType' && parent.type === 'TSIndexedAccessType');
    case 'TSTypeQuery':
      return (key === 'elementType' && parent.type === 'TSArrayType') || (key === 'objectType' && parent.type === 'TSIndexedAccessType');
    default:
      return false;
  }
}

export function shouldExpandLastArg(args: readonly AnyNode[]): boolean {
  const last = args[args.length - 1]!;
  const penultimate = args[args.length - 2];
  return (
    couldExpandArg(last) &&
    (!penultimate || penultimate.type !== last.type) &&
    (args.length !== 2 || penultimate?.type !== 'ArrowFunctionExpression' || last.type !== 'ArrayExpression') &&
    !(args.length > 1 && isConciselyPrintedArray(last))
  );
}

export function hasComplexTypeAnnotation(n: S.VariableDeclarator): boolean {
  const t = n.id.type === 'BindingIdentifier' ? n.id.typeAnnotation : undefined;
  const params = t?.type === 'TSTypeReference' ? t.typeArguments : undefined;
  return (
    params !== undefined && params.length > 1 && params.some((p) => p.type === 'TSTypeReference' && p.typeArguments !== undefined && p.typeArguments.length > 0)
  );
}

export function startsWithObject(expr: S.Expression): boolean {
  let e: AnyNode = expr;
  for (;;) {
    if (e.type === 'ObjectExpression') return true;
    if (e.type === 'ConditionalExpression') e = e.test;
    else if (e.type === 'BinaryExpression' || e.type === 'LogicalExpression') e = e.left;
    else if (e.type === 'CallExpression') e = e.callee;
    else if (e.type === 'MemberExpression') e = e.object;
    else if (e.type === 'TSAsExpression' || e.type === 'TSNonNullExpression') e = e.expression;
    else return false;
  }
}
