import type { SourceFile, Span } from '../source.ts';

/** Typed syntax tree of one file. Every node has a span; nodes built from recovered syntax may lack parts. */
export interface Ident {
  readonly text: string;
  readonly span: Span;
}

export interface QualifiedName {
  readonly parts: readonly Ident[];
  /** Parts joined with '.'. */
  readonly text: string;
  readonly span: Span;
}

export type TypeExpr =
  | { readonly kind: 'named'; readonly name: QualifiedName; readonly span: Span }
  | { readonly kind: 'map'; readonly key: TypeExpr; readonly value: TypeExpr; readonly span: Span }
  | { readonly kind: 'array'; readonly element: TypeExpr; readonly span: Span }
  | { readonly kind: 'optional'; readonly inner: TypeExpr; readonly span: Span };

export type Literal =
  | { readonly kind: 'string'; readonly value: string; readonly span: Span }
  /** Integers keep an exact bigint beside the float so that u64/i64 bounds stay exact. */
  | { readonly kind: 'number'; readonly text: string; readonly value: number; readonly integer: bigint | null; readonly span: Span }
  | { readonly kind: 'quantity'; readonly text: string; readonly amount: number; readonly unit: string; readonly span: Span }
  | { readonly kind: 'bool'; readonly value: boolean; readonly span: Span }
  | { readonly kind: 'name'; readonly name: QualifiedName; readonly span: Span }
  | { readonly kind: 'list'; readonly items: readonly Literal[]; readonly span: Span };

export interface Constraint {
  readonly name: Ident;
  readonly value: Literal | undefined;
  readonly span: Span;
}

export interface FieldDecl {
  readonly kind: 'field';
  readonly name: Ident;
  readonly optionalMark: boolean;
  readonly type: TypeExpr | undefined;
  readonly number: Literal | undefined;
  readonly constraints: readonly Constraint[];
  readonly defaultValue: Literal | undefined;
  readonly doc: string | undefined;
  readonly span: Span;
}

export interface ReservedDecl {
  readonly kind: 'reserved';
  readonly numbers: readonly Literal[];
  readonly span: Span;
}

interface DeclBase {
  readonly doc: string | undefined;
  readonly span: Span;
  /** True when the parser had to recover inside this declaration; checks that would only echo the syntax error are skipped. */
  readonly recovered: boolean;
}

export interface CapabilityDecl extends DeclBase {
  readonly kind: 'capability';
  readonly name: QualifiedName;
  readonly bit: Literal | undefined;
}

export interface StructDecl extends DeclBase {
  readonly kind: 'struct';
  readonly name: Ident;
  readonly fields: readonly FieldDecl[];
  readonly reserved: readonly ReservedDecl[];
}

export interface UnionDecl extends DeclBase {
  readonly kind: 'union';
  readonly name: Ident;
  readonly arms: readonly FieldDecl[];
  readonly reserved: readonly ReservedDecl[];
}

export interface EnumMember {
  readonly name: Ident;
  readonly value: Literal | undefined;
  readonly doc: string | undefined;
  readonly span: Span;
}

export interface EnumDecl extends DeclBase {
  readonly kind: 'enum';
  readonly name: Ident;
  readonly members: readonly EnumMember[];
}

export interface ErrorMember extends EnumMember {
  readonly message: string | undefined;
}

export interface ErrorsDecl extends DeclBase {
  readonly kind: 'errors';
  readonly name: Ident;
  readonly members: readonly ErrorMember[];
}

/** One comma-separated part of a property value; `POST "/x"` is one group of two items. */
export type ValueItem = { readonly kind: 'type'; readonly type: TypeExpr; readonly span: Span } | Literal;

export interface Property {
  readonly name: Ident;
  /** `name: a, b c;` → [[a], [b, c]]; absent for block properties. */
  readonly values: readonly (readonly ValueItem[])[] | undefined;
  /** `name { … }` */
  readonly block: readonly Property[] | undefined;
  readonly doc: string | undefined;
  readonly span: Span;
}

export interface TopicDecl extends DeclBase {
  readonly kind: 'topic';
  /** The address as written; the checker parses its segments. */
  readonly address: { readonly text: string; readonly span: Span } | undefined;
  readonly properties: readonly Property[];
}

export interface IntentDecl extends DeclBase {
  readonly kind: 'intent';
  readonly name: QualifiedName | undefined;
  readonly properties: readonly Property[];
}

export type Decl = CapabilityDecl | StructDecl | UnionDecl | EnumDecl | ErrorsDecl | TopicDecl | IntentDecl;
export type TypeDecl = StructDecl | UnionDecl | EnumDecl;

export interface HeaderDecl {
  readonly kind: 'package' | 'version' | 'import';
  /** Package name text, or the string value of version/import. */
  readonly value: string | undefined;
  readonly valueSpan: Span | undefined;
  readonly span: Span;
  /** Index among the file's top-level items, to check that headers come first. */
  readonly position: number;
  /** Doc comment; only package lines carry one (the package's description). */
  readonly doc: string | undefined;
}

export interface FileAst {
  readonly file: SourceFile;
  readonly headers: readonly HeaderDecl[];
  readonly decls: readonly Decl[];
  /** Index of the first declaration among top-level items (Infinity if none). */
  readonly firstDeclPosition: number;
}
