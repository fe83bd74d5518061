/**
 * The one TypeScript writer of the emitters: generated code is built as a syntax tree (code
 * templates for its shape, the builders below for what is computed) and printed by `printModule`
 * exactly as prettier formats it under the repository's .prettierrc.json, without running prettier.
 */
import type { CommentsValue } from './template.ts';
import * as S from './syntax.ts';
import { isBareKey, isIdentifier } from './literals.ts';

export { cases, code, comments, expr, parseStatements, stmt, stmts, type, keyNode, TemplateError, type CommentsValue, type HoleValue } from './template.ts';
export { printModule, PRINT_WIDTH, verifyFastPath } from './layout.ts';
export { isIdentifier, quote } from './literals.ts';
export { identifier, numberLiteral, bigintLiteral, withComments, withBlankLineAfter } from './syntax.ts';
export type * as Syntax from './syntax.ts';

/** `import { specifiers } from 'source';` */
export function importDeclaration(specifiers: readonly S.ModuleSpecifier[], source: string, typeOnly = false): S.ImportDeclaration {
  return typeOnly ? { type: 'ImportDeclaration', typeOnly, specifiers, source } : { type: 'ImportDeclaration', specifiers, source };
}

/** Specifiers for these names (`name`, `type name`, `name as local`). */
export function named(...names: readonly string[]): S.ModuleSpecifier[] {
  return names.map((n) => {
    const m = /^(type )?([\w$]+)(?: as ([\w$]+))?$/.exec(n);
    if (!m) throw new TypeError(`named: not an import specifier: ${n}`);
    return m[3] ? { imported: m[2]!, local: m[3], typeOnly: m[1] !== undefined } : { imported: m[2]!, typeOnly: m[1] !== undefined };
  });
}

/** A string literal (the printer picks the quotes). */
export function lit(value: string): S.StringLiteral {
  return S.stringLiteral(value);
}

/**
 * The JSDoc comment for a doc text, as comments leading the next element of a list; none for no
 * (or blank) text. Lines lose trailing spaces; `*\/` in the text cannot end the comment.
 */
export function docComment(text: string | undefined): CommentsValue {
  return { type: 'Comments', comments: docCommentText(text) };
}

/** The JSDoc comment for a doc text as comment texts (zero or one). */
export function docCommentText(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') return [];
  const lines = text
    .replace(/\*\//g, '*\\/')
    .split('\n')
    .map((l) => l.trimEnd());
  if (lines.length === 1) return [`/** ${lines[0]} */`];
  return [['/**', ...lines.map((l) => (l === '' ? ' *' : ` * ${l}`)), ' */'].join('\n')];
}

/** `object.name`, or `object['name']` where a dot will not do. */
export function member(object: S.Expression, name: string): S.MemberExpression {
  return isIdentifier(name)
    ? { type: 'MemberExpression', object, property: S.identifier(name), computed: false }
    : { type: 'MemberExpression', object, property: S.stringLiteral(name), computed: true };
}

/** A property of an object literal; a `__proto__` key is computed (`['__proto__']`) so that it stays an own property. */
export function property(name: string, value: S.Expression, comments: readonly string[] = []): S.Property {
  const node: S.Property =
    name === '__proto__'
      ? { type: 'Property', key: S.stringLiteral(name), computed: true, value, shorthand: false }
      : { type: 'Property', key: isBareKey(name) ? S.identifier(name) : S.stringLiteral(name), computed: false, value, shorthand: false };
  return S.withComments(node, comments);
}

/** `{ … }` with these properties; `expanded` keeps one property per line (as a line break after `{` does in source). */
export function object(properties: readonly (S.Property | S.ObjectMethod | S.SpreadElement)[], expanded: boolean): S.ObjectExpression {
  return { type: 'ObjectExpression', properties, expanded };
}

/** A member of a type literal: `name?: type`. */
export function propertySignature(name: string, typeAnnotation: S.TypeNode, optional = false, comments: readonly string[] = []): S.PropertySignature {
  const key = isBareKey(name) ? S.identifier(name) : S.stringLiteral(name);
  return S.withComments({ type: 'TSPropertySignature', key, readonly: false, optional, typeAnnotation }, comments);
}

/** A union of types (members may carry comments, printed before their `|`); one type is itself, none is `never`. */
export function union(types: readonly S.TypeNode[]): S.TypeNode {
  if (types.length === 0) return { type: 'TSKeywordType', keyword: 'never' };
  if (types.length === 1 && !types[0]!.leadingComments) return types[0]!;
  return { type: 'TSUnionType', types };
}

/** A string literal type. */
export function literalType(value: string): S.LiteralType {
  return { type: 'TSLiteralType', literal: S.stringLiteral(value) };
}

/**
 * A JSON value as a TS literal: objects, arrays, strings, finite numbers, booleans and null;
 * `expanded` puts each property of every non-empty object on its own line (as JSON.stringify with
 * an indent does), otherwise the printer fits what it can on a line. Keys named `__proto__` stay own
 * properties.
 */
export function jsonLiteral(value: unknown, expanded: boolean): S.Expression {
  if (value === null) return { type: 'NullLiteral' };
  if (Array.isArray(value)) return { type: 'ArrayExpression', elements: value.map((v) => jsonLiteral(v, expanded)) };
  switch (typeof value) {
    case 'string':
      return S.stringLiteral(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`jsonLiteral: ${value} is not a JSON number`);
      return S.numberLiteral(value);
    case 'boolean':
      return { type: 'BooleanLiteral', value };
    case 'object':
      return object(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => property(k, jsonLiteral(v, expanded))),
        expanded,
      );
    default:
      throw new TypeError(`jsonLiteral: a ${typeof value} is not a JSON value`);
  }
}

/** Statements written in order; `block` collects the statements written for a nested block. */
export class StatementList {
  private out: S.Statement[] = [];

  add(...statements: (S.Statement | readonly S.Statement[])[]): void {
    for (const s of statements) {
      if (Array.isArray(s)) for (const one of s as S.Statement[]) this.out.push(one);
      else this.out.push(s as S.Statement);
    }
  }

  block(write: () => void): S.Statement[] {
    const outer = this.out;
    this.out = [];
    try {
      write();
      return this.out;
    } finally {
      this.out = outer;
    }
  }
}
