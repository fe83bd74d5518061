/**
 * TypeScript types of declared types (docs/generated-code.md "TypeScript and JSON forms") and the
 * TS expressions of defaults and zero values.
 */
import type { IrEnum, IrErrorSet, IrField, IrStruct, IrType, IrUnion, IrValue } from '../../ir/ir.ts';
import type { ModuleContext } from './context.ts';
import { CodeWriter, docLines, jsonLiteral, propKey, str, typeKey } from './writer.ts';

/** The TS type of a field type. */
export function tsType(ctx: ModuleContext, t: IrType): string {
  switch (t.kind) {
    case 'named':
      return ctx.ref(t.name);
    case 'array': {
      const el = tsType(ctx, t.element);
      return /^[A-Za-z0-9_$.]+(\[\])*$/.test(el) ? `${el}[]` : `(${el})[]`;
    }
    case 'map':
      return `Map<${tsType(ctx, t.key)}, ${tsType(ctx, t.value)}>`;
    case 'scalar':
      switch (t.scalar) {
        case 'bool':
          return 'boolean';
        case 'u64':
        case 'i64':
          return 'bigint';
        case 'string':
        case 'uuid':
          return 'string';
        case 'bytes':
          return 'Uint8Array';
        case 'timestamp':
          return 'Date';
        case 'json':
          return ctx.rtType('JsonValue');
        default:
          return 'number';
      }
  }
}

function fieldLines(ctx: ModuleContext, f: IrField): string[] {
  return [...docLines(f.doc), `${typeKey(f.name)}${f.optional ? '?' : ''}: ${tsType(ctx, f.type)};`];
}

export function emitStructType(ctx: ModuleContext, w: CodeWriter, s: IrStruct, name: string): void {
  w.lines_(docLines(s.doc));
  if (s.fields.length === 0) {
    w.line(`export type ${name} = Record<string, never>;`);
    return;
  }
  w.block(
    `export type ${name} = {`,
    () => {
      for (const f of s.fields) w.lines_(fieldLines(ctx, f));
    },
    '};',
  );
}

export function emitUnionType(ctx: ModuleContext, w: CodeWriter, u: IrUnion, name: string): void {
  w.lines_(docLines(u.doc));
  if (u.arms.length === 0) {
    w.line(`export type ${name} = never;`);
    return;
  }
  w.line(`export type ${name} =`);
  w.indent(() => {
    u.arms.forEach((a, i) => {
      w.lines_(docLines(a.doc));
      w.line(`| { kind: ${str(a.name)}; value: ${tsType(ctx, a.type)} }${i === u.arms.length - 1 ? ';' : ''}`);
    });
  });
}

export function emitEnumType(w: CodeWriter, e: IrEnum, name: string): void {
  w.lines_(docLines(e.doc));
  w.line(`export type ${name} = ${e.members.length === 0 ? 'never' : e.members.map((m) => str(m.name)).join(' | ')};`);
}

/** `export const E = { CODE: 1, … } as const`, its key type, and the messages of the codes that have one. */
export function emitErrorSet(w: CodeWriter, e: IrErrorSet, name: string): void {
  w.lines_(docLines(e.doc));
  w.block(
    `export const ${name} = {`,
    () => {
      for (const m of e.members) {
        w.lines_(docLines(m.doc ?? m.message));
        w.line(`${propKey(m.name)}: ${m.value},`);
      }
    },
    '} as const;',
  );
  w.line(`export type ${name} = keyof typeof ${name};`);
  const withText = e.members.filter((m) => m.message !== undefined);
  if (withText.length === 0) return;
  w.line(`/** Messages of the ${name} codes that carry one. */`);
  w.block(
    `export const ${name}Messages: { readonly [K in ${name}]?: string } = {`,
    () => {
      for (const m of withText) w.line(`${propKey(m.name)}: ${str(m.message!)},`);
    },
    '};',
  );
}

/** A TS expression for an IR value (a default) of type `t`; evaluated anew each time (fresh objects). */
export function valueExpr(ctx: ModuleContext, v: IrValue, t: IrType): string {
  if (Array.isArray(v)) {
    const el = t.kind === 'array' ? t.element : t;
    return `[${v.map((x) => valueExpr(ctx, x, el)).join(', ')}]`;
  }
  if (v !== null && typeof v === 'object' && 'enumMember' in v) return str(v.enumMember);
  if (t.kind === 'scalar') {
    switch (t.scalar) {
      case 'u64':
      case 'i64':
        return `${BigInt(v as bigint | number)}n`;
      case 'f32':
        return numberLiteral(Math.fround(Number(v)));
      case 'timestamp':
        return `new Date(${Date.parse(String(v))})`;
      case 'bytes': {
        const hex = String(v);
        const bytes = Array.from({ length: hex.length / 2 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
        return bytes.length === 0 ? 'new Uint8Array(0)' : `new Uint8Array([${bytes.join(', ')}])`;
      }
      case 'json':
        return jsonLiteral(v);
      default:
        if (typeof v === 'number') return numberLiteral(v);
    }
  }
  if (typeof v === 'string') return str(v);
  return JSON.stringify(v) ?? 'null';
}

export function numberLiteral(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return Object.is(n, -0) ? '-0' : String(n);
}

/** The value of a required field absent from the input: its default, else the zero value of its type. */
export function absentExpr(ctx: ModuleContext, f: IrField): string {
  return f.default !== undefined ? valueExpr(ctx, f.default, f.type) : zeroExpr(ctx, f.type);
}

/** The zero value of a type (docs/generated-code.md "Defaults and absence"); a fresh object each time. */
export function zeroExpr(ctx: ModuleContext, t: IrType): string {
  switch (t.kind) {
    case 'array':
      return '[]';
    case 'map':
      return 'new Map()';
    case 'named': {
      const d = ctx.decl(t.name);
      if (d.kind === 'enum') return d.members.length > 0 ? str(d.members[0]!.name) : 'undefined as never';
      // A struct's zero value has every field at its default or zero value: what an empty message decodes to.
      // A union has no natural zero: it is the union's example.
      return d.kind === 'struct' ? `${ctx.ref(t.name)}.decode(new Uint8Array(0))` : `${ctx.ref(t.name)}.example()`;
    }
    case 'scalar':
      switch (t.scalar) {
        case 'bool':
          return 'false';
        case 'u64':
        case 'i64':
          return '0n';
        case 'string':
          return "''";
        case 'bytes':
          return 'new Uint8Array(0)';
        case 'timestamp':
          return 'new Date(0)';
        case 'uuid':
          return "'00000000-0000-0000-0000-000000000000'";
        case 'json':
          return 'null';
        default:
          return '0';
      }
  }
}

/** Whether the zero value of `t` is an immutable primitive (so it can be a plain initializer). */
export function zeroIsPrimitive(ctx: ModuleContext, t: IrType): boolean {
  if (t.kind === 'scalar') return !['bytes', 'timestamp'].includes(t.scalar);
  return t.kind === 'named' && ctx.decl(t.name).kind === 'enum';
}
