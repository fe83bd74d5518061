/**
 * The TypeScript syntax tree generated code is built as: the subset of TypeScript (ESTree node names)
 * that midl's emitters write. Code templates (template.ts) parse into it; layout.ts prints it.
 *
 * Two bits of layout live in the tree because prettier takes them from the source text: whether an
 * object literal or type literal is `expanded` (written with a line break after `{`, which prettier
 * keeps), and `blankLineAfter` on statements, properties and members (prettier keeps one blank line).
 */

export interface Comments {
  /** Comments printed on their own lines before the node: each one whole (`// …` or `/** … *\/`). */
  leadingComments?: readonly string[];
  /** A blank line follows the node in its list. */
  blankLineAfter?: boolean;
}

// ---------------------------------------------------------------- expressions

export interface Identifier extends Comments {
  readonly type: 'Identifier';
  readonly name: string;
}
export interface StringLiteral extends Comments {
  readonly type: 'StringLiteral';
  readonly value: string;
}
export interface NumericLiteral extends Comments {
  readonly type: 'NumericLiteral';
  /** Source text of a non-negative number (`0x1f`, `1e21`, `0.5`); printed normalised as prettier does. */
  readonly raw: string;
}
export interface BigIntLiteral extends Comments {
  readonly type: 'BigIntLiteral';
  /** Source text with the `n`. */
  readonly raw: string;
}
export interface BooleanLiteral extends Comments {
  readonly type: 'BooleanLiteral';
  readonly value: boolean;
}
export interface NullLiteral extends Comments {
  readonly type: 'NullLiteral';
}
export interface TemplateLiteral extends Comments {
  readonly type: 'TemplateLiteral';
  /** Raw text between the expressions (one more than `expressions`). */
  readonly quasis: readonly string[];
  readonly expressions: readonly Expression[];
}
export interface ArrayExpression extends Comments {
  readonly type: 'ArrayExpression';
  readonly elements: readonly (Expression | SpreadElement)[];
}
export interface ObjectExpression extends Comments {
  readonly type: 'ObjectExpression';
  readonly properties: readonly (Property | ObjectMethod | SpreadElement)[];
  readonly expanded: boolean;
}
export type PropertyKey = Identifier | StringLiteral | NumericLiteral;
export interface Property extends Comments {
  readonly type: 'Property';
  readonly key: PropertyKey | Expression;
  readonly computed: boolean;
  readonly value: Expression;
  readonly shorthand: boolean;
}
export interface ObjectMethod extends Comments {
  readonly type: 'ObjectMethod';
  readonly key: PropertyKey;
  readonly params: readonly Pattern[];
  readonly returnType?: TypeNode;
  readonly body: BlockStatement;
}
export interface SpreadElement extends Comments {
  readonly type: 'SpreadElement';
  readonly argument: Expression;
}
export interface ArrowFunctionExpression extends Comments {
  readonly type: 'ArrowFunctionExpression';
  readonly params: readonly Pattern[];
  readonly returnType?: TypeNode;
  readonly body: Expression | BlockStatement;
}
export interface CallExpression extends Comments {
  readonly type: 'CallExpression' | 'NewExpression';
  readonly callee: Expression;
  readonly typeArguments?: readonly TypeNode[];
  readonly arguments: readonly (Expression | SpreadElement)[];
}
export interface MemberExpression extends Comments {
  readonly type: 'MemberExpression';
  readonly object: Expression;
  readonly property: Expression;
  readonly computed: boolean;
}
export interface BinaryExpression extends Comments {
  /** `&&`, `||` and `??` make a LogicalExpression, as in ESTree (prettier groups the two kinds apart). */
  readonly type: 'BinaryExpression' | 'LogicalExpression';
  readonly operator: string;
  readonly left: Expression;
  readonly right: Expression;
}
export interface UnaryExpression extends Comments {
  readonly type: 'UnaryExpression';
  readonly operator: '!' | '-' | '+' | '~' | 'typeof' | 'void' | 'delete';
  readonly argument: Expression;
}
export interface UpdateExpression extends Comments {
  readonly type: 'UpdateExpression';
  readonly operator: '++' | '--';
  readonly prefix: boolean;
  readonly argument: Expression;
}
export interface ConditionalExpression extends Comments {
  readonly type: 'ConditionalExpression';
  readonly test: Expression;
  readonly consequent: Expression;
  readonly alternate: Expression;
}
export interface AssignmentExpression extends Comments {
  readonly type: 'AssignmentExpression';
  readonly operator: string;
  readonly left: Expression;
  readonly right: Expression;
}
export interface AsExpression extends Comments {
  readonly type: 'TSAsExpression';
  readonly expression: Expression;
  readonly typeAnnotation: TypeNode;
}
export interface NonNullExpression extends Comments {
  readonly type: 'TSNonNullExpression';
  readonly expression: Expression;
}

/**
 * A node filled in from a code template whose flat text is known at once (templates.ts decides when
 * that is safe): the printer uses `text` when the node is printed flat on a line that fits, and
 * builds the node (`build`) only when it needs the node's full layout.
 */
export interface LazyNode extends Comments {
  readonly type: 'Lazy';
  /** The kind of node it stands for, with the operator (and prefix) of an operator. */
  readonly root: string;
  readonly operator?: string;
  readonly prefix?: boolean;
  /** The node printed flat, without parentheses around it. */
  readonly text: string;
  /** Calls along the call and member chain it begins with (prettier may break long chains). */
  readonly calls: number;
  /** For a call: whether one of its arguments is an arrow function. */
  readonly arrowArguments: boolean;
  /** Builds the node (called with the lazy node itself, so that copies of it build too). */
  readonly build: (self: LazyNode) => Node;
}

export type Expression =
  | LazyNode
  | Identifier
  | StringLiteral
  | NumericLiteral
  | BigIntLiteral
  | BooleanLiteral
  | NullLiteral
  | TemplateLiteral
  | ArrayExpression
  | ObjectExpression
  | ArrowFunctionExpression
  | CallExpression
  | MemberExpression
  | BinaryExpression
  | UnaryExpression
  | UpdateExpression
  | ConditionalExpression
  | AssignmentExpression
  | AsExpression
  | NonNullExpression;

// ---------------------------------------------------------------- patterns

export interface BindingIdentifier extends Comments {
  readonly type: 'BindingIdentifier';
  readonly name: string;
  readonly optional: boolean;
  readonly typeAnnotation?: TypeNode;
}
export interface ArrayPattern extends Comments {
  readonly type: 'ArrayPattern';
  readonly elements: readonly BindingIdentifier[];
}
export type Pattern = BindingIdentifier | ArrayPattern;

// ---------------------------------------------------------------- types

export interface TypeReference extends Comments {
  readonly type: 'TSTypeReference';
  /** Possibly qualified: `a.b`. */
  readonly typeName: string;
  readonly typeArguments?: readonly TypeNode[];
}
export interface KeywordType extends Comments {
  readonly type: 'TSKeywordType';
  readonly keyword: string;
}
export interface LiteralType extends Comments {
  readonly type: 'TSLiteralType';
  readonly literal: StringLiteral | NumericLiteral | BooleanLiteral | UnaryExpression;
}
export interface ArrayType extends Comments {
  readonly type: 'TSArrayType';
  readonly elementType: TypeNode;
}
export interface UnionType extends Comments {
  readonly type: 'TSUnionType';
  readonly types: readonly TypeNode[];
}
export interface IntersectionType extends Comments {
  readonly type: 'TSIntersectionType';
  readonly types: readonly TypeNode[];
}
export interface TypeLiteral extends Comments {
  readonly type: 'TSTypeLiteral';
  readonly members: readonly (PropertySignature | IndexSignature | CallSignature)[];
  readonly expanded: boolean;
}
export interface PropertySignature extends Comments {
  readonly type: 'TSPropertySignature';
  readonly key: PropertyKey;
  readonly readonly: boolean;
  readonly optional: boolean;
  readonly typeAnnotation: TypeNode;
}
export interface IndexSignature extends Comments {
  readonly type: 'TSIndexSignature';
  readonly readonly: boolean;
  readonly parameter: BindingIdentifier;
  readonly typeAnnotation: TypeNode;
}
export interface CallSignature extends Comments {
  readonly type: 'TSCallSignatureDeclaration';
  readonly params: readonly Pattern[];
  readonly returnType: TypeNode;
}
export interface MappedType extends Comments {
  readonly type: 'TSMappedType';
  readonly readonly: boolean;
  readonly key: string;
  readonly constraint: TypeNode;
  readonly optional: boolean;
  readonly typeAnnotation: TypeNode;
}
export interface TypeQuery extends Comments {
  readonly type: 'TSTypeQuery';
  readonly exprName: string;
}
export interface IndexedAccessType extends Comments {
  readonly type: 'TSIndexedAccessType';
  readonly objectType: TypeNode;
  readonly indexType: TypeNode;
}
export interface TypeOperator extends Comments {
  readonly type: 'TSTypeOperator';
  readonly operator: 'keyof' | 'readonly' | 'unique';
  readonly typeAnnotation: TypeNode;
}

export type TypeNode =
  | TypeReference
  | KeywordType
  | LiteralType
  | ArrayType
  | UnionType
  | IntersectionType
  | TypeLiteral
  | MappedType
  | TypeQuery
  | IndexedAccessType
  | TypeOperator;

// ---------------------------------------------------------------- statements

export interface ExpressionStatement extends Comments {
  readonly type: 'ExpressionStatement';
  readonly expression: Expression;
}
export interface VariableDeclarator extends Comments {
  readonly type: 'VariableDeclarator';
  readonly id: Pattern;
  readonly init?: Expression;
}
export interface VariableDeclaration extends Comments {
  readonly type: 'VariableDeclaration';
  /** `declare const` (in a declaration file). */
  readonly declare?: boolean;
  readonly kind: 'const' | 'let';
  readonly declarations: readonly VariableDeclarator[];
}
export interface FunctionDeclaration extends Comments {
  readonly type: 'FunctionDeclaration';
  readonly name: string;
  readonly params: readonly Pattern[];
  readonly returnType?: TypeNode;
  readonly body: BlockStatement;
}
export interface ReturnStatement extends Comments {
  readonly type: 'ReturnStatement' | 'ThrowStatement';
  readonly argument?: Expression;
}
export interface IfStatement extends Comments {
  readonly type: 'IfStatement';
  readonly test: Expression;
  readonly consequent: Statement;
  readonly alternate?: Statement;
}
export interface ForStatement extends Comments {
  readonly type: 'ForStatement';
  readonly init: VariableDeclaration;
  readonly test: Expression;
  readonly update: Expression;
  readonly body: Statement;
}
export interface ForOfStatement extends Comments {
  readonly type: 'ForOfStatement';
  readonly left: VariableDeclaration;
  readonly right: Expression;
  readonly body: Statement;
}
export interface WhileStatement extends Comments {
  readonly type: 'WhileStatement';
  readonly test: Expression;
  readonly body: Statement;
}
export interface SwitchCase extends Comments {
  readonly type: 'SwitchCase';
  /** Absent for `default:`. */
  readonly test?: Expression;
  readonly consequent: readonly Statement[];
}
export interface SwitchStatement extends Comments {
  readonly type: 'SwitchStatement';
  readonly discriminant: Expression;
  readonly cases: readonly SwitchCase[];
}
export interface BreakStatement extends Comments {
  readonly type: 'BreakStatement' | 'ContinueStatement';
}
export interface BlockStatement extends Comments {
  readonly type: 'BlockStatement';
  readonly body: readonly Statement[];
}
export interface TryStatement extends Comments {
  readonly type: 'TryStatement';
  readonly block: BlockStatement;
  readonly param: string;
  readonly handler: BlockStatement;
}
export interface TypeAliasDeclaration extends Comments {
  readonly type: 'TSTypeAliasDeclaration';
  readonly name: string;
  readonly typeAnnotation: TypeNode;
}
export interface ModuleSpecifier {
  readonly imported: string;
  /** The local name when it differs (`a as b`). */
  readonly local?: string;
  readonly typeOnly: boolean;
}
export interface ImportDeclaration extends Comments {
  readonly type: 'ImportDeclaration';
  /** `import type { … }`. */
  readonly typeOnly?: boolean;
  /** `import * as name`, else named specifiers. */
  readonly namespace?: string;
  readonly specifiers: readonly ModuleSpecifier[];
  readonly source: string;
}
export interface ExportNamedDeclaration extends Comments {
  readonly type: 'ExportNamedDeclaration';
  readonly declaration?: VariableDeclaration | FunctionDeclaration | TypeAliasDeclaration;
  readonly specifiers: readonly ModuleSpecifier[];
  readonly source?: string;
}
export interface ExportAllDeclaration extends Comments {
  readonly type: 'ExportAllDeclaration';
  readonly source: string;
}

export type Statement =
  | LazyNode
  | ExpressionStatement
  | VariableDeclaration
  | FunctionDeclaration
  | ReturnStatement
  | IfStatement
  | ForStatement
  | ForOfStatement
  | WhileStatement
  | SwitchStatement
  | BreakStatement
  | BlockStatement
  | TryStatement
  | TypeAliasDeclaration
  | ImportDeclaration
  | ExportNamedDeclaration
  | ExportAllDeclaration;

export type Node =
  | Expression
  | Pattern
  | TypeNode
  | Statement
  | Property
  | ObjectMethod
  | SpreadElement
  | PropertySignature
  | IndexSignature
  | CallSignature
  | VariableDeclarator
  | SwitchCase;

// ---------------------------------------------------------------- constructors for what emitters compute

export function identifier(name: string): Identifier {
  return { type: 'Identifier', name };
}

export function stringLiteral(value: string): StringLiteral {
  return { type: 'StringLiteral', value };
}

/** A number as an expression: `-` before a negative one, `NaN`, `Infinity`, `-0`. */
export function numberLiteral(n: number): Expression {
  if (Number.isNaN(n)) return identifier('NaN');
  if (n === Infinity) return identifier('Infinity');
  if (n === -Infinity) return { type: 'UnaryExpression', operator: '-', argument: identifier('Infinity') };
  if (n < 0 || Object.is(n, -0)) return { type: 'UnaryExpression', operator: '-', argument: { type: 'NumericLiteral', raw: String(-n) } };
  return { type: 'NumericLiteral', raw: String(n) };
}

export function bigintLiteral(n: bigint): Expression {
  return n < 0n ? { type: 'UnaryExpression', operator: '-', argument: { type: 'BigIntLiteral', raw: `${-n}n` } } : { type: 'BigIntLiteral', raw: `${n}n` };
}

export function withComments<T extends Node>(node: T, comments: readonly string[]): T {
  return comments.length === 0 ? node : { ...node, leadingComments: [...comments, ...(node.leadingComments ?? [])] };
}

export function withBlankLineAfter<T extends Node>(node: T): T {
  return { ...node, blankLineAfter: true };
}
