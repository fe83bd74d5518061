/**
 * The `ts` emitter: `types/<package>.ts` per package (docs/generated-code.md). Each declared struct,
 * union and enum becomes `export type N` plus `export const N`, a codec with specialised binary
 * (docs/wire.md § Payload), JSON and validation code; each error set becomes a const object of codes.
 */
import type { IrEnum, IrProgram, IrStruct, IrTypeDecl, IrUnion } from '../../ir/ir.ts';
import { GENERATED_HEADER, type EmitOptions, type EmittedFile, type Emitter } from '../emitter.ts';
import { exampleJson } from '../shared/example.ts';
import { packagesOf, tsNames } from '../shared/names.ts';
import { cases, jsonLiteral, lit, numberLiteral, printModule, property, stmts, withBlankLineAfter, withComments, type Syntax } from '../shared/ts/index.ts';
import { ModuleContext } from './context.ts';
import { structDecode, structEncode, unionDecode, unionEncode } from './emit-codec.ts';
import { enumJson, structJson, unionJson } from './emit-json.ts';
import { enumType, errorSet, structType, unionType } from './emit-types.ts';
import { enumValidate, structValidate, unionValidate } from './emit-validate.ts';

type Statement = Syntax.Statement;

export const tsEmitter: Emitter = {
  name: 'ts',
  emit(ir: IrProgram, options: EmitOptions): EmittedFile[] {
    const names = tsNames(ir);
    const pkgs = new Set([...packagesOf(ir), ...ir.errorSets.map((e) => e.package)]);
    return [...pkgs].sort().map((pkg) => {
      const ctx = new ModuleContext(ir, pkg, names, options.runtimeImport);
      return { path: `${ctx.module}.ts`, content: emitModule(ctx) };
    });
  },
};

/** Statement groups one after the other, a blank line between two groups. */
function paragraphs(groups: readonly (readonly Statement[])[]): Statement[] {
  const out: Statement[] = [];
  for (const g of groups) {
    if (g.length === 0) continue;
    if (out.length > 0) out.push(withBlankLineAfter(out.pop()!));
    for (const s of g) out.push(s);
  }
  return out;
}

/**
 * The text of one package's module: the header comments and imports, then each declaration after a
 * blank line. Declarations are printed as soon as they are built (top-level statements lay out on
 * their own), so that a large package never holds its whole syntax tree.
 */
export function emitModule(ctx: ModuleContext): string {
  const { ir, pkg } = ctx;
  const body: string[] = [];
  for (const e of ir.errorSets.filter((x) => x.package === pkg)) body.push(printModule(errorSet(e, ctx.names.get(e.name) ?? e.shortName)));
  for (const decl of ir.types.filter((t) => t.package === pkg)) body.push(printModule(declaration(ctx, decl)));
  const info = ir.packages.find((p) => p.name === pkg);
  const head = [
    GENERATED_HEADER,
    `// Types and codecs of package ${pkg || '(none)'}${info?.version ? ` ${info.version}` : ''}.`,
    '// Binary form: docs/wire.md § Payload. TS and JSON forms: docs/generated-code.md.',
  ];
  // The imports are known once the body is written.
  const header = ctx.header();
  const top = header.length === 0 ? `${head.join('\n')}\n` : printModule([withComments(header[0]!, head), ...header.slice(1)]);
  return [top, ...body].join('\n');
}

function declaration(ctx: ModuleContext, decl: IrTypeDecl): Statement[] {
  const name = ctx.ref(decl.name);
  if (decl.kind === 'enum') return paragraphs([enumType(decl, name), enumCodec(ctx, decl, name)]);
  if (decl.kind === 'struct') {
    return paragraphs([
      structType(ctx, decl, name),
      structEncode(ctx, decl, name),
      structDecode(ctx, decl, name),
      structJson(ctx, decl, name),
      structValidate(ctx, decl),
      messageCodec(ctx, decl, name),
    ]);
  }
  return paragraphs([
    unionType(ctx, decl, name),
    unionEncode(ctx, decl, name),
    unionDecode(ctx, decl, name),
    unionJson(ctx, decl, name),
    unionValidate(ctx, decl),
    messageCodec(ctx, decl, name),
  ]);
}

function messageCodec(ctx: ModuleContext, decl: IrStruct | IrUnion, name: string): Statement[] {
  const fn = (k: Parameters<ModuleContext['local']>[0]) => ctx.local(k, decl.name);
  // `encode` releases the shared writer again if the body throws.
  return stmts`export const ${name}: ${ctx.rtType('MessageCodec')}<${name}> = {
    typeName: ${lit(decl.name)},
    encode(v) {
      const w = ${ctx.rt('acquireWriter')}();
      try {
        ${fn('encode')}(w, v);
      } catch (err) {
        ${ctx.rt('releaseWriter')}(w);
        throw err;
      }
      return w.finish();
    },
    decode(bytes) {
      const r = new ${ctx.rt('Reader')}(bytes);
      return ${fn('decode')}(r, r.len);
    },
    toJSON: ${fn('toJSON')},
    fromJSON: (json) => ${ctx.rt('fromJsonRoot')}(${fn('fromJSON')}, json),
    validate: (v) => ${ctx.rt('validateRoot')}(${fn('validate')}, v),
    jsonSchema: ${ctx.schema(decl.name)},
    example: () => ${fn('fromJSON')}(${jsonLiteral(exampleJson(ctx.ir, decl.name), false)}, ''),
    $encode: ${fn('encode')},
    $decode: ${fn('decode')},
    $fromJSON: ${fn('fromJSON')},
    $validate: ${fn('validate')},
  };`;
}

function enumCodec(ctx: ModuleContext, e: IrEnum, name: string): Statement[] {
  const fn = (k: Parameters<ModuleContext['local']>[0]) => ctx.local(k, e.name);
  const values = `$values_${name}`;
  const names = `$names_${name}`;
  const byValue = [...e.members].sort((a, b) => a.value - b.value);
  // A negative number is not a valid bare key: `'-1': …`.
  const nameOf = byValue.map((m): Syntax.Property => ({
    type: 'Property',
    key: m.value < 0 ? lit(String(m.value)) : { type: 'NumericLiteral', raw: String(m.value) },
    computed: false,
    value: lit(m.name),
    shorthand: false,
  }));
  const first = lit(e.members[0]?.name ?? '');
  return paragraphs([
    stmts`const ${values} = {
        ${e.members.map((m) => property(m.name, numberLiteral(m.value)))}
      } as const;
      const ${names} = {
        ${nameOf}
      } as const;`,
    stmts`function ${fn('number')}(v: ${name}): number {
        switch (v) {
          ${e.members.map((m) => cases`case ${lit(m.name)}: return ${m.value};`)}
        }
        throw new TypeError(${lit(`not a member of ${e.name}: `)} + String(v));
      }`,
    stmts`function ${fn('member')}(n: number): ${name} | undefined {
        switch (n) {
          ${byValue.map((m) => cases`case ${m.value}: return ${lit(m.name)};`)}
        }
        return undefined;
      }`,
    enumJson(ctx, e, name),
    enumValidate(ctx, e),
    stmts`export const ${name}: ${ctx.rtType('EnumCodec')}<${name}> & { readonly values: typeof ${values}; readonly names: typeof ${names} } = {
        typeName: ${lit(e.name)},
        values: ${values},
        names: ${names},
        encode(v) {
          const w = ${ctx.rt('acquireWriter')}();
          try {
            w.byte(8);
            w.i32(${fn('number')}(v));
          } catch (err) {
            ${ctx.rt('releaseWriter')}(w);
            throw err;
          }
          return w.finish();
        },
        decode(bytes) {
          const r = new ${ctx.rt('Reader')}(bytes);
          let v: ${name} = ${first};
          while (r.pos < r.len) {
            const t = r.u32();
            if (t === 8) {
              const m = ${fn('member')}(r.i32());
              if (m !== undefined) v = m;
            } else r.skip(t);
          }
          return v;
        },
        toJSON: (v) => v,
        fromJSON: (json) => ${ctx.rt('fromJsonRoot')}(${fn('fromJSON')}, json),
        validate: (v) => ${ctx.rt('validateRoot')}(${fn('validate')}, v),
        jsonSchema: ${ctx.schema(e.name)},
        example: () => ${first},
        $number: ${fn('number')},
        $member: ${fn('member')},
        $fromJSON: ${fn('fromJSON')},
        $validate: ${fn('validate')},
      };`,
  ]);
}
