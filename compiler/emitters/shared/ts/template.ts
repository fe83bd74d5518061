/**
 * Code templates: tagged template literals of TypeScript source (`stmts`, `cases`, `expr`, `type`)
 * parsed into the syntax tree of syntax.ts. Each template is parsed once per call site (the strings
 * array is the cache key); its `${…}` holes are filled with each call's values:
 *
 *   - in an expression or type position: a node, or code text (parsed: `v.name`, `$Writer`,
 *     `t_pkg.Name`), or a number, bigint or boolean literal value;
 *   - where a name goes (declared names, parameters, imported names): a string;
 *   - as a property key: a string (bare when it is an identifier, quoted otherwise; `__proto__` as a
 *     computed key in object literals, so that it stays an own property) or a key node;
 *   - as an element of a list (statements, cases, arguments, array elements, properties, members,
 *     parameters, type arguments, union members): a node or an array of them, spliced in; a
 *     `comments(…)` value there becomes the leading comments of the next element.
 *
 * Layout comes from the template text as prettier takes it from source: an object or type literal
 * with a line break after `{` stays expanded, a blank line after a statement, property or member is
 * kept, and comments before a statement, property, member or union member lead it.
 */
import { flatText } from './layout.ts';
import { isBareKey, printNumber, quote } from './literals.ts';
import { chainedCalls, isFlattenedOperand, kindOf, needsParentheses } from './rules.ts';
import { type ElementKind, HOLE, type Hole, type HoleContext, Parser, TemplateError, tokenize } from './parse.ts';
import type * as S from './syntax.ts';

export interface CommentsValue {
  readonly type: 'Comments';
  readonly comments: readonly string[];
}

export type HoleValue = S.Node | CommentsValue | string | number | bigint | boolean | readonly HoleValue[];

export { TemplateError };

// ---------------------------------------------------------------- filling holes

type Kind = 'statements' | 'cases' | 'expression' | 'type';

const parsed = new WeakMap<TemplateStringsArray, unknown>();
/**
 * Parts of parsed templates that hold a hole, with (for objects) the keys that lead to one; `fill`
 * copies only these and shares the rest.
 */
interface HoleInfo {
  readonly keys: readonly string[];
  /** For an expression or statement: how it prints flat when its holes allow (see `plan`). */
  plan?: Plan | undefined;
}
const withHoles = new WeakMap<object, HoleInfo>();
const NO_KEYS: HoleInfo = { keys: [] };

function markHoles(tree: unknown): boolean {
  if (typeof tree !== 'object' || tree === null) return false;
  if (Array.isArray(tree)) {
    let has = false;
    for (const v of tree) if (markHoles(v)) has = true;
    if (has) withHoles.set(tree, NO_KEYS);
    return has;
  }
  const keys = Object.keys(tree).filter((k) => markHoles((tree as Record<string, unknown>)[k]));
  const has = isHole(tree) || keys.length > 0;
  if (has) withHoles.set(tree, { keys });
  return has;
}

/** Plans every expression and statement with holes in a parsed template (outermost first, so that whole parts go lazy). */
function planAll(tree: unknown, forHead = false): void {
  if (typeof tree !== 'object' || tree === null) return;
  const info = withHoles.get(tree);
  if (!info) return;
  if (Array.isArray(tree)) {
    for (const v of tree) planAll(v);
    return;
  }
  if (isHole(tree)) return;
  const type = (tree as { type: string }).type;
  // A declaration in a `for` head prints without its `;`: it is not a part on its own.
  if (PLANNED_KINDS.test(type) && !forHead) info.plan = plan(tree);
  for (const k of info.keys)
    planAll((tree as Record<string, unknown>)[k], (type === 'ForOfStatement' && k === 'left') || (type === 'ForStatement' && k === 'init'));
}

const PLANNED_KINDS = /Expression$|Statement$|^VariableDeclaration$|^TemplateLiteral$/;

function parseTemplate(kind: Kind, strings: TemplateStringsArray): unknown {
  let tree = parsed.get(strings);
  if (tree === undefined) {
    const src = strings.map((s, i) => (i === 0 ? s : `${HOLE}${i - 1}${HOLE}${s}`)).join('');
    const parser = new Parser(tokenize(src));
    switch (kind) {
      case 'statements':
        tree = parser.statements(null);
        break;
      case 'cases':
        tree = parser.cases(null);
        break;
      case 'expression':
        tree = parser.expression();
        break;
      case 'type':
        tree = parser.type();
    }
    parser.expectEnd();
    markHoles(tree);
    planAll(tree);
    parsed.set(strings, tree);
  }
  return tree;
}

// Code text given for holes (`v.name`, `$fromJsonInt`), parsed once per process; bounded.
const codeCache = new Map<string, unknown>();
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function parseCode(kind: 'expression' | 'type' | 'statement', code: string): unknown {
  if (IDENTIFIER.test(code)) {
    if (kind === 'expression' && !isReserved(code)) return { type: 'Identifier', name: code };
    if (kind === 'type' && !Parser.isKeywordType(code) && code !== 'true' && code !== 'false') return { type: 'TSTypeReference', typeName: code };
  }
  const key = `${kind}\u0000${code}`;
  let tree = codeCache.get(key);
  if (tree === undefined) {
    if (codeCache.size >= 10_000) codeCache.clear();
    tree = parseUncached(kind, code);
    codeCache.set(key, tree);
  }
  return tree;
}

function isReserved(name: string): boolean {
  return name === 'true' || name === 'false' || name === 'null' || name === 'this';
}

function parseUncached(kind: 'expression' | 'type' | 'statement', code: string): unknown {
  const parser = new Parser(tokenize(code));
  const tree = kind === 'expression' ? parser.expression() : kind === 'type' ? parser.type() : parser.statements(null);
  parser.expectEnd();
  return tree;
}

/** A property key for `name`: bare when prettier would leave it bare, else a string literal. */
export function keyNode(name: string): S.Identifier | S.StringLiteral {
  return isBareKey(name) ? { type: 'Identifier', name } : { type: 'StringLiteral', value: name };
}

function valueNode(kind: ElementKind, v: HoleValue): unknown {
  if (kind === 'param') {
    if (typeof v === 'string') return { type: 'BindingIdentifier', name: v, optional: false };
    return v;
  }
  if (typeof v === 'string') return parseCode(kind, v);
  if (typeof v === 'number') {
    if (kind !== 'expression') throw new TemplateError(`a number cannot fill a ${kind} hole`);
    if (Number.isNaN(v) || !Number.isFinite(v)) throw new TemplateError(`${v} is not a literal`);
    return v < 0 || Object.is(v, -0)
      ? { type: 'UnaryExpression', operator: '-', argument: { type: 'NumericLiteral', raw: String(-v) } }
      : { type: 'NumericLiteral', raw: String(v) };
  }
  if (typeof v === 'bigint') {
    if (kind !== 'expression') throw new TemplateError(`a bigint cannot fill a ${kind} hole`);
    return v < 0n ? { type: 'UnaryExpression', operator: '-', argument: { type: 'BigIntLiteral', raw: `${-v}n` } } : { type: 'BigIntLiteral', raw: `${v}n` };
  }
  if (typeof v === 'boolean')
    return kind === 'type' ? { type: 'TSLiteralType', literal: { type: 'BooleanLiteral', value: v } } : { type: 'BooleanLiteral', value: v };
  if (Array.isArray(v)) throw new TemplateError('a list can only fill a hole that is an element of a list');
  if (isComments(v)) throw new TemplateError('comments can only fill a hole that is an element of a list');
  if (kind === 'statement' && !isStatementNode(v as S.Node)) return { type: 'ExpressionStatement', expression: v };
  return v;
}

function isStatementNode(n: S.Node): boolean {
  return /Statement$|Declaration$/.test(n.type === 'Lazy' ? n.root : n.type);
}

function fillHole(h: Hole, values: readonly HoleValue[]): unknown {
  const v = values[h.index];
  if (v === undefined) throw new TemplateError(`hole ${h.index} has no value`);
  switch (h.context) {
    case 'expression':
    case 'type':
      return valueNode(h.context, v);
    case 'name':
      if (typeof v !== 'string') throw new TemplateError(`hole ${h.index} needs a name`);
      return v;
    case 'statement': {
      const node = valueNode('statement', v);
      if (Array.isArray(node)) {
        if (node.length !== 1) throw new TemplateError(`hole ${h.index} needs one statement`);
        return node[0];
      }
      return node;
    }
    case 'objectKey':
    case 'typeKey':
      if (typeof v !== 'string') return v;
      if (h.context === 'objectKey' && v === '__proto__') return { computedKey: { type: 'StringLiteral', value: v } };
      return keyNode(v);
    case 'element':
      throw new TemplateError('internal: element hole outside a list');
  }
}

/** A copy of `tree` with every hole filled; parts without holes are shared, not copied. */
function fill(tree: unknown, values: readonly HoleValue[]): unknown {
  if (typeof tree !== 'object' || tree === null) return tree;
  const info = withHoles.get(tree);
  if (info === undefined) return tree;
  if (Array.isArray(tree)) return fillList(tree, values);
  if (isHole(tree)) return fillHole(tree, values);
  if (info.plan) {
    const l = lazy(info.plan, tree, values);
    if (l) return l;
  }
  return copyFilled(tree as Record<string, unknown>, info.keys, values);
}

/** `tree` filled without making it lazy (what a lazy node builds). */
function fillNode(tree: unknown, values: readonly HoleValue[]): unknown {
  const info = typeof tree === 'object' && tree !== null ? withHoles.get(tree) : undefined;
  if (!info || Array.isArray(tree) || isHole(tree)) return fill(tree, values);
  return copyFilled(tree as Record<string, unknown>, info.keys, values);
}

function copyFilled(source: Record<string, unknown>, keys: readonly string[], values: readonly HoleValue[]): unknown {
  const out: Record<string, unknown> = { ...source };
  for (const k of keys) out[k] = fill(source[k], values);
  // A `__proto__` key filled in an object literal becomes `['__proto__']`.
  const key = out['key'];
  if (typeof key === 'object' && key !== null && 'computedKey' in key) {
    out['key'] = key.computedKey;
    out['computed'] = true;
  }
  return out;
}

/** A list with its element holes spliced in (arrays flattened); comments lead the next element. */
function fillList(list: readonly unknown[], values: readonly HoleValue[]): unknown[] {
  const out: unknown[] = [];
  const pending: string[] = [];
  for (const item of list) {
    if (isHole(item) && item.context === 'element')
      splice(out, pending, values[item.index] as HoleValue, item.element ?? 'expression', item.blankLineAfter === true);
    else pushElement(out, pending, fill(item, values));
  }
  if (pending.length > 0) throw new TemplateError('comments with nothing after them to lead');
  return out;
}

function splice(out: unknown[], pending: string[], v: HoleValue, kind: ElementKind, blankLineAfter: boolean): void {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) splice(out, pending, v[i] as HoleValue, kind, blankLineAfter && i === v.length - 1);
    return;
  }
  if (isComments(v)) {
    for (const c of v.comments) pending.push(c);
    return;
  }
  const node = valueNode(kind, v);
  // Code text for statements parses to a list.
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++)
      pushElement(out, pending, blankLineAfter && i === node.length - 1 ? { ...(node[i] as object), blankLineAfter: true } : node[i]);
  } else pushElement(out, pending, blankLineAfter ? { ...(node as object), blankLineAfter: true } : node);
}

function pushElement(out: unknown[], pending: string[], node: unknown): void {
  if (pending.length > 0) {
    const n = node as S.Comments;
    node = { ...(node as object), leadingComments: [...pending, ...(n.leadingComments ?? [])] };
    pending.length = 0;
  }
  out.push(node);
}

// ---------------------------------------------------------------- lazy nodes

/**
 * How a template part (a statement of `stmts`, the expression of `expr`) prints flat: its text with
 * slots where the holes go, valid when each hole's value is safe where it goes (checked when
 * filled). Parts whose own shape may break have no plan.
 */
interface Plan {
  /** Text around the slots: pieces[0], slot 0, pieces[1], …. */
  readonly pieces: readonly string[];
  readonly slots: readonly Slot[];
  readonly root: string;
  readonly operator?: string;
  readonly prefix?: boolean;
  readonly calls: number;
  readonly arrowArguments: boolean;
}

interface Slot {
  readonly hole: Hole;
  readonly parent: S.Node;
  readonly key: string;
  /** For an element of a list: how spliced elements are separated, and whether it is the list's only element. */
  readonly separator?: string;
  readonly alone?: boolean;
  /** For an object value here: whether it needs parentheses (undefined: it depends on where the part goes). */
  readonly objectParens: boolean | undefined;
}

/** Lists whose element holes plans handle, with the flat separator of their elements. */
const LIST_SEPARATORS: Readonly<Record<string, string>> = {
  arguments: ', ',
  elements: ', ',
  params: ', ',
  properties: ', ',
  typeArguments: ', ',
  members: '; ',
};
const SLOT = '\u0001';

/** The flat plan of a template part, or undefined when it has none. */
function plan(part: unknown): Plan | undefined {
  if (isHole(part)) return undefined;
  const slots: Slot[] = [];
  const placeholder = (root: string): S.LazyNode => ({
    type: 'Lazy',
    root,
    text: `${SLOT}${slots.length - 1}${SLOT}`,
    calls: 0,
    arrowArguments: false,
    build: () => {
      throw new TemplateError('internal: a placeholder was built');
    },
  });
  // Ancestors of the node being copied (with keys), for where each slot sits.
  const path: { node: S.Node; key: string }[] = [];
  // Cleared when the part has something a plan cannot handle (an object: the copy closure sets it).
  const state = { possible: true };
  const copy = (x: unknown, key: string): unknown => {
    if (!state.possible || typeof x !== 'object' || x === null || !withHoles.has(x)) return x;
    const parent = path[path.length - 1]?.node;
    if (Array.isArray(x)) {
      // Element holes of a list (flat: joined with ', ', or '; ' between type members).
      const separator = LIST_SEPARATORS[key];
      if (!x.some((e) => isHole(e) && e.context === 'element')) return x.map((e) => copy(e, key));
      if (separator === undefined || !parent) {
        state.possible = false;
        return x;
      }
      return x.map((e) => {
        if (!isHole(e) || e.context !== 'element') return copy(e, key);
        slots.push({ hole: e, parent, key, separator, alone: x.length === 1, objectParens: objectParensAt(path, key) });
        return placeholder(e.element === 'type' ? 'TSTypeReference' : 'Identifier');
      });
    }
    if (isHole(x)) {
      if (!parent) {
        state.possible = false;
        return x;
      }
      slots.push({ hole: x, parent, key, objectParens: objectParensAt(path, key) });
      const i = slots.length - 1;
      switch (x.context) {
        case 'name':
        case 'objectKey':
        case 'typeKey':
          return x.context === 'name' ? `${SLOT}${i}${SLOT}` : { type: 'Identifier', name: `${SLOT}${i}${SLOT}` };
        case 'statement':
          return placeholder('ExpressionStatement');
        case 'type':
          return placeholder('TSTypeReference');
        default:
          return placeholder('Identifier');
      }
    }
    const node = x as S.Node;
    path.push({ node, key });
    const out: Record<string, unknown> = { ...(x as Record<string, unknown>) };
    for (const k of withHoles.get(x)!.keys) out[k] = copy((x as Record<string, unknown>)[k], k);
    path.pop();
    return out;
  };
  const skeleton = copy(part, 'root') as S.Node;
  if (!state.possible || leftmostObject(skeleton)) return undefined;
  const text = flatText(skeleton);
  if (text === undefined) return undefined;
  const split = text.split(SLOT);
  const pieces: string[] = [];
  const order: Slot[] = [];
  for (let i = 0; i < split.length; i++) {
    if (i % 2 === 0) pieces.push(split[i]!);
    else order.push(slots[Number(split[i])]!);
  }
  if (order.length !== slots.length) return undefined;
  const root = skeleton as unknown as { type: string; operator?: string; prefix?: boolean; arguments?: unknown[] };
  return {
    pieces,
    slots: order,
    root: root.type,
    ...(root.operator !== undefined ? { operator: root.operator } : {}),
    ...(root.prefix !== undefined ? { prefix: root.prefix } : {}),
    calls: chainedCalls(skeleton),
    arrowArguments: root.type === 'CallExpression' && (root.arguments ?? []).some((a) => kindOf(a as S.Node) === 'ArrowFunctionExpression'),
  };
}

/** Whether an object begins the part somewhere below its root (whether it needs parentheses depends on where the part goes). */
function leftmostObject(n: S.Node): boolean {
  for (let c: S.Node | undefined = leftChild(n); c; c = leftChild(c)) if (c.type === 'ObjectExpression') return true;
  return false;
}

function leftChild(n: S.Node): S.Node | undefined {
  switch (n.type) {
    case 'CallExpression':
      return n.callee;
    case 'MemberExpression':
      return n.object;
    case 'BinaryExpression':
    case 'LogicalExpression':
    case 'AssignmentExpression':
      return n.left;
    case 'ConditionalExpression':
      return n.test;
    case 'TSAsExpression':
    case 'TSNonNullExpression':
    case 'ExpressionStatement':
      return n.expression;
    case 'UpdateExpression':
      return n.prefix ? undefined : n.argument;
    default:
      return undefined;
  }
}

/** Whether an object at `key` below `path` needs parentheses: it does at the start of a statement or an arrow body. */
function objectParensAt(path: readonly { node: S.Node; key: string }[], key: string): boolean | undefined {
  let k = key;
  for (let i = path.length - 1; i >= 0; i--) {
    const parent = path[i]!.node;
    if (parent.type === 'ExpressionStatement') return true;
    if (parent.type === 'ArrowFunctionExpression') return k === 'body';
    const leftmost =
      (k === 'callee' && parent.type === 'CallExpression') ||
      (k === 'object' && parent.type === 'MemberExpression') ||
      (k === 'left' && (parent.type === 'BinaryExpression' || parent.type === 'LogicalExpression' || parent.type === 'AssignmentExpression')) ||
      (k === 'test' && parent.type === 'ConditionalExpression') ||
      (k === 'expression' && (parent.type === 'TSAsExpression' || parent.type === 'TSNonNullExpression'));
    if (!leftmost) return false;
    k = path[i]!.key;
  }
  return undefined;
}

/** What a hole's value prints as flat, and what decides its parentheses and its neighbours' layout. */
interface ValueText {
  readonly text: string;
  /** The node kind (a lazy node's `root`); 'Name' and 'Key' for names and property keys. */
  readonly type: string;
  readonly root?: string;
  readonly operator?: string;
  readonly prefix?: boolean;
  readonly calls: number;
  readonly arrowArguments: boolean;
}

function nodeText(n: S.Node): ValueText | undefined {
  if (n.leadingComments && n.leadingComments.length > 0) return undefined;
  if (n.type === 'Lazy') return n;
  switch (n.type) {
    case 'Identifier':
      return { text: n.name, type: 'Identifier', calls: 0, arrowArguments: false };
    case 'StringLiteral':
      return { text: quote(n.value), type: 'StringLiteral', calls: 0, arrowArguments: false };
  }
  const text = leftmostObject(n) ? undefined : flatText(n);
  if (text === undefined) return undefined;
  const o = n as { operator?: string; prefix?: boolean; arguments?: readonly S.Node[] };
  return {
    text,
    type: n.type,
    operator: o.operator,
    prefix: o.prefix,
    calls: chainedCalls(n),
    arrowArguments: n.type === 'CallExpression' && (o.arguments ?? []).some((a) => kindOf(a) === 'ArrowFunctionExpression'),
  };
}

// The flat text of code text given for holes, parsed once (see `codeCache`).
const codeTexts = new Map<string, ValueText | undefined>();

function codeText(kind: 'expression' | 'type' | 'statement', code: string): ValueText | undefined {
  if (IDENTIFIER.test(code) && kind === 'expression' && !isReserved(code)) return { text: code, type: 'Identifier', calls: 0, arrowArguments: false };
  const key = `${kind}\u0000${code}`;
  let t = codeTexts.get(key);
  if (t === undefined && !codeTexts.has(key)) {
    if (codeTexts.size >= 10_000) codeTexts.clear();
    const node = parseCode(kind, code);
    t = Array.isArray(node) ? (node.length === 1 ? nodeText(node[0] as S.Node) : undefined) : nodeText(node as S.Node);
    codeTexts.set(key, t);
  }
  return t;
}

function valueText(v: HoleValue, context: HoleContext, element: ElementKind | undefined): ValueText | undefined {
  switch (typeof v) {
    case 'string':
      switch (context) {
        case 'name':
          return { text: v, type: 'Name', calls: 0, arrowArguments: false };
        case 'objectKey':
        case 'typeKey':
          return {
            text: context === 'objectKey' && v === '__proto__' ? `[${quote(v)}]` : isBareKey(v) ? v : quote(v),
            type: 'Key',
            calls: 0,
            arrowArguments: false,
          };
        default: {
          const kind = context === 'element' ? (element ?? 'expression') : context;
          if (kind === 'param') return { text: v, type: 'Identifier', calls: 0, arrowArguments: false };
          return codeText(kind, v);
        }
      }
    case 'number':
      if (!Number.isFinite(v)) return undefined;
      return v < 0 || Object.is(v, -0)
        ? { text: `-${printNumber(String(-v))}`, type: 'UnaryExpression', operator: '-', prefix: true, calls: 0, arrowArguments: false }
        : { text: printNumber(String(v)), type: 'NumericLiteral', calls: 0, arrowArguments: false };
    case 'bigint':
      return v < 0n
        ? { text: `-${-v}n`, type: 'UnaryExpression', operator: '-', prefix: true, calls: 0, arrowArguments: false }
        : { text: `${v}n`, type: 'BigIntLiteral', calls: 0, arrowArguments: false };
    case 'boolean':
      return { text: String(v), type: 'BooleanLiteral', calls: 0, arrowArguments: false };
    default:
      if (Array.isArray(v) || isComments(v)) return undefined;
      if (context === 'objectKey' || context === 'typeKey') return nodeText(v as S.Node) && { ...nodeText(v as S.Node)!, type: 'Key' };
      return nodeText(v as S.Node);
  }
}

/** Whether a value of this kind at `key` of `parent` leaves the parent's flat layout as the plan has it. */
function safeAt(kind: string, v: ValueText, parent: S.Node, key: string): boolean {
  if (key === 'arguments') return kind !== 'ArrowFunctionExpression' && !v.arrowArguments;
  if (key === 'elements') return kind !== 'ObjectExpression' && kind !== 'ArrayExpression';
  if (key === 'callee' || (key === 'object' && parent.type === 'MemberExpression') || (key === 'expression' && parent.type === 'TSNonNullExpression'))
    return v.calls === 0;
  if (key === 'body' && parent.type === 'ArrowFunctionExpression') return kind !== 'ConditionalExpression';
  if (key === 'consequent' && parent.type === 'ConditionalExpression') return kind !== 'ConditionalExpression';
  if (parent.type === 'IfStatement' && key === 'consequent') return kind !== 'BlockStatement';
  return true;
}

/** The text of a value at a slot, with parentheses where it needs them; undefined when not safe. */
function slotText(v: ValueText, slot: Slot): string | undefined {
  const kind = v.root ?? v.type;
  if (!safeAt(kind, v, slot.parent, slot.key)) return undefined;
  let parens: boolean;
  if (kind === 'ObjectExpression') {
    if (slot.objectParens === undefined) return undefined;
    parens = slot.objectParens;
  } else {
    const chained =
      slot.key === 'left' && (slot.parent.type === 'BinaryExpression' || slot.parent.type === 'LogicalExpression') && isFlattenedOperand(slot.parent, v);
    parens = !chained && kind !== 'Name' && kind !== 'Key' && PARENS_KINDS.has(kind) && needsParentheses(v, slot.parent, slot.key, () => false);
  }
  return parens ? `(${v.text})` : v.text;
}

/** Kinds that ever need parentheses (see `needsParentheses`). */
const PARENS_KINDS = new Set([
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

/** The part filled with `values` as a lazy node, or undefined when some value is not safe where it goes. */
function lazy(p: Plan, part: unknown, values: readonly HoleValue[]): S.LazyNode | undefined {
  let text = p.pieces[0]!;
  for (let i = 0; i < p.slots.length; i++) {
    const slot = p.slots[i]!;
    const value = values[slot.hole.index] as HoleValue;
    let t: string | undefined;
    if (slot.separator !== undefined && Array.isArray(value)) {
      // Spliced elements; none leaves the list's separators wrong unless the hole is the whole list.
      if (value.length === 0 && !slot.alone) return undefined;
      t = '';
      for (let j = 0; j < value.length; j++) {
        const v = valueText(value[j] as HoleValue, 'element', slot.hole.element);
        const et = v && slotText(v, slot);
        if (et === undefined) return undefined;
        t += j === 0 ? et : slot.separator + et;
      }
    } else {
      const v = valueText(value, slot.hole.context, slot.hole.element);
      t = v && slotText(v, slot);
    }
    if (t === undefined) return undefined;
    text += t + p.pieces[i + 1]!;
  }
  const source = part as S.Comments;
  // One shape for every lazy node (a plain object: copies made with `{ ...node }` keep `build`).
  return {
    type: 'Lazy',
    root: p.root,
    operator: p.operator,
    prefix: p.prefix,
    text,
    calls: p.calls,
    arrowArguments: p.arrowArguments,
    leadingComments: source.leadingComments,
    blankLineAfter: source.blankLineAfter,
    build: buildLazy,
    part,
    values,
  } as S.LazyNode;
}

function buildLazy(n: S.LazyNode): S.Node {
  const { part, values } = n as unknown as { part: unknown; values: readonly HoleValue[] };
  return fillNode(part, values) as S.Node;
}

function isComments(v: HoleValue): v is CommentsValue {
  return typeof v === 'object' && !Array.isArray(v) && (v as S.Node | CommentsValue).type === 'Comments';
}

function isHole(x: unknown): x is Hole & { blankLineAfter?: boolean } {
  return typeof x === 'object' && x !== null && (x as { type?: unknown }).type === 'Hole';
}

// ---------------------------------------------------------------- tags

/** Statements (a module body, a block's body, a case's consequent). */
export function stmts(strings: TemplateStringsArray, ...values: HoleValue[]): S.Statement[] {
  return fill(parseTemplate('statements', strings), values) as S.Statement[];
}

/** One statement. */
export function stmt(strings: TemplateStringsArray, ...values: HoleValue[]): S.Statement {
  const list = stmts(strings, ...values);
  if (list.length !== 1) throw new TemplateError(`expected one statement, got ${list.length}`);
  return list[0]!;
}

/** `case …:` and `default:` clauses. */
export function cases(strings: TemplateStringsArray, ...values: HoleValue[]): S.SwitchCase[] {
  return fill(parseTemplate('cases', strings), values) as S.SwitchCase[];
}

export function expr(strings: TemplateStringsArray, ...values: HoleValue[]): S.Expression {
  return fill(parseTemplate('expression', strings), values) as S.Expression;
}

export function type(strings: TemplateStringsArray, ...values: HoleValue[]): S.TypeNode {
  return fill(parseTemplate('type', strings), values) as S.TypeNode;
}

/** Comments that lead the next element of a list; none for no text. */
export function comments(...texts: readonly string[]): CommentsValue {
  return { type: 'Comments', comments: texts };
}

/**
 * TypeScript source of the subset templates accept (no holes) as statements, with comments and blank
 * lines as templates keep them: for tests that compare the writer with prettier on source text.
 */
export function parseStatements(source: string): S.Statement[] {
  if (source.includes(HOLE)) throw new TemplateError('source text cannot hold a U+0000');
  const parser = new Parser(tokenize(source));
  const tree = parser.statements(null);
  parser.expectEnd();
  return tree as S.Statement[];
}

/** Code text as an expression (`v.name`, `a[0]`), for places where a node is needed. */
export function code(text: string): S.Expression {
  return parseCode('expression', text) as S.Expression;
}
