/**
 * TypeScript types of declared types (docs/generated-code.md "TypeScript and JSON forms") and the
 * TS expressions of defaults and zero values.
 */
import type { IrEnum, IrErrorSet, IrField, IrStruct, IrType, IrUnion, IrValue } from '../../ir/ir.ts';
import {
  bigintLiteral,
  docComment,
  docCommentText,
  expr,
  jsonLiteral,
  lit,
  literalType,
  numberLiteral,
  property,
  propertySignature,
  stmts,
  union,
  withComments,
  type Syntax,
} from '../shared/ts/index.ts';
import type { ModuleContext } from './context.ts';

/** A type by name, with type arguments. */
export function typeRef(typeName: string, typeArguments?: readonly Syntax.TypeNode[]): Syntax.TypeReference {
  return typeArguments ? { type: 'TSTypeReference', typeName, typeArguments } : { type: 'TSTypeReference', typeName };
}

function keyword(name: string): Syntax.KeywordType {
  return { type: 'TSKeywordType', keyword: name };
}

/** The TS type of a field type. */
export function tsType(ctx: ModuleContext, t: IrType): Syntax.TypeNode {
  switch (t.kind) {
    case 'named':
      return typeRef(ctx.ref(t.name));
    case 'array':
      return { type: 'TSArrayType', elementType: tsType(ctx, t.element) };
    case 'map':
      return typeRef('Map', [tsType(ctx, t.key), tsType(ctx, t.value)]);
    case 'scalar':
      switch (t.scalar) {
        case 'bool':
          return keyword('boolean');
        case 'u64':
        case 'i64':
          return keyword('bigint');
        case 'string':
        case 'uuid':
          return keyword('string');
        case 'bytes':
          return typeRef('Uint8Array');
        case 'timestamp':
          return typeRef('Date');
        case 'json':
          return typeRef(ctx.rtType('JsonValue'));
        default:
          return keyword('number');
      }
  }
}

function fieldMember(ctx: ModuleContext, f: IrField): Syntax.PropertySignature {
  return propertySignature(f.name, tsType(ctx, f.type), f.optional, docCommentText(f.doc));
}

export function structType(ctx: ModuleContext, s: IrStruct, name: string): Syntax.Statement[] {
  if (s.fields.length === 0) {
    return stmts`${docComment(s.doc)}
      export type ${name} = Record<string, never>;`;
  }
  return stmts`${docComment(s.doc)}
    export type ${name} = {
      ${s.fields.map((f) => fieldMember(ctx, f))}
    };`;
}

export function unionType(ctx: ModuleContext, u: IrUnion, name: string): Syntax.Statement[] {
  const arms = u.arms.map((a) =>
    withComments<Syntax.TypeNode>(
      {
        type: 'TSTypeLiteral',
        members: [propertySignature('kind', literalType(a.name)), propertySignature('value', tsType(ctx, a.type))],
        expanded: false,
      },
      docCommentText(a.doc),
    ),
  );
  return stmts`${docComment(u.doc)}
    export type ${name} = ${union(arms)};`;
}

export function enumType(e: IrEnum, name: string): Syntax.Statement[] {
  return stmts`${docComment(e.doc)}
    export type ${name} = ${union(e.members.map((m) => literalType(m.name)))};`;
}

/** `export const E = { CODE: 1, … } as const`, its key type, and the messages of the codes that have one. */
export function errorSet(e: IrErrorSet, name: string): Syntax.Statement[] {
  const codes = e.members.map((m) => property(m.name, numberLiteral(m.value), docCommentText(m.doc ?? m.message)));
  const out = stmts`${docComment(e.doc)}
    export const ${name} = {
      ${codes}
    } as const;
    export type ${name} = keyof typeof ${name};`;
  const withText = e.members.filter((m) => m.message !== undefined);
  if (withText.length === 0) return out;
  const messages = `${name}Messages`;
  return [
    ...out,
    ...stmts`${docComment(`Messages of the ${name} codes that carry one.`)}
      export const ${messages}: { readonly [K in ${name}]?: string } = {
        ${withText.map((m) => property(m.name, lit(m.message!)))}
      };`,
  ];
}

/** A TS expression for an IR value (a default) of type `t`; evaluated anew each time (fresh objects). */
export function valueExpr(ctx: ModuleContext, v: IrValue, t: IrType): Syntax.Expression {
  if (Array.isArray(v)) {
    const el = t.kind === 'array' ? t.element : t;
    return { type: 'ArrayExpression', elements: (v as readonly IrValue[]).map((x) => valueExpr(ctx, x, el)) };
  }
  if (v !== null && typeof v === 'object' && 'enumMember' in v) return lit(v.enumMember);
  if (t.kind === 'scalar') {
    switch (t.scalar) {
      case 'u64':
      case 'i64':
        return bigintLiteral(BigInt(v as bigint | number));
      case 'f32':
        return numberLiteral(Math.fround(Number(v)));
      case 'timestamp':
        return expr`new Date(${numberLiteral(Date.parse(v as string))})`;
      case 'bytes': {
        const hex = v as string;
        const bytes = Array.from({ length: hex.length / 2 }, (_, i) => numberLiteral(parseInt(hex.slice(2 * i, 2 * i + 2), 16)));
        return bytes.length === 0 ? expr`new Uint8Array(0)` : expr`new Uint8Array([${bytes}])`;
      }
      case 'json':
        return jsonLiteral(v, false);
      default:
        if (typeof v === 'number') return numberLiteral(v);
    }
  }
  if (typeof v === 'string') return lit(v);
  if (typeof v === 'number') return numberLiteral(v);
  if (typeof v === 'bigint') return bigintLiteral(v);
  if (typeof v === 'boolean') return { type: 'BooleanLiteral', value: v };
  return { type: 'NullLiteral' };
}

/** The value of a required field absent from the input: its default, else the zero value of its type. */
export function absentExpr(ctx: ModuleContext, f: IrField): Syntax.Expression {
  return f.default !== undefined ? valueExpr(ctx, f.default, f.type) : zeroExpr(ctx, f.type);
}

/** The zero value of a type (docs/generated-code.md "Defaults and absence"); a fresh object each time. */
export function zeroExpr(ctx: ModuleContext, t: IrType): Syntax.Expression {
  switch (t.kind) {
    case 'array':
      return { type: 'ArrayExpression', elements: [] };
    case 'map':
      return expr`new Map()`;
    case 'named': {
      const d = ctx.decl(t.name);
      if (d.kind === 'enum') return d.members.length > 0 ? lit(d.members[0]!.name) : expr`undefined as never`;
      // A struct's zero value has every field at its default or zero value: what an empty message decodes to.
      // A union has no natural zero: it is the union's example.
      return d.kind === 'struct' ? expr`${ctx.ref(t.name)}.decode(new Uint8Array(0))` : expr`${ctx.ref(t.name)}.example()`;
    }
    case 'scalar':
      switch (t.scalar) {
        case 'bool':
          return { type: 'BooleanLiteral', value: false };
        case 'u64':
        case 'i64':
          return bigintLiteral(0n);
        case 'string':
          return lit('');
        case 'bytes':
          return expr`new Uint8Array(0)`;
        case 'timestamp':
          return expr`new Date(0)`;
        case 'uuid':
          return lit('00000000-0000-0000-0000-000000000000');
        case 'json':
          return { type: 'NullLiteral' };
        default:
          return numberLiteral(0);
      }
  }
}

/** Whether the zero value of `t` is an immutable primitive (so it can be a plain initializer). */
export function zeroIsPrimitive(ctx: ModuleContext, t: IrType): boolean {
  if (t.kind === 'scalar') return !['bytes', 'timestamp'].includes(t.scalar);
  return t.kind === 'named' && ctx.decl(t.name).kind === 'enum';
}
