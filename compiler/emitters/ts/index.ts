/**
 * The `ts` emitter: `types/<package>.ts` per package (docs/generated-code.md). Each declared struct,
 * union and enum becomes `export type N` plus `export const N`, a codec with specialised binary
 * (docs/wire.md § Payload), JSON and validation code; each error set becomes a const object of codes.
 */
import type { IrEnum, IrProgram, IrStruct, IrTypeDecl, IrUnion } from '../../ir/ir.ts';
import { GENERATED_HEADER, type EmitOptions, type EmittedFile, type Emitter } from '../emitter.ts';
import { exampleJson } from '../shared/example.ts';
import { packagesOf, tsNames } from '../shared/names.ts';
import { ModuleContext } from './context.ts';
import { emitStructDecode, emitStructEncode, emitUnionDecode, emitUnionEncode } from './emit-codec.ts';
import { emitEnumJson, emitStructJson, emitUnionJson } from './emit-json.ts';
import { emitEnumType, emitErrorSet, emitStructType, emitUnionType } from './emit-types.ts';
import { emitEnumValidate, emitStructValidate, emitUnionValidate } from './emit-validate.ts';
import { CodeWriter, jsonLiteral, propKey, str } from './writer.ts';

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

/** The text of one package's module. */
export function emitModule(ctx: ModuleContext): string {
  const { ir, pkg } = ctx;
  const body = new CodeWriter();
  for (const e of ir.errorSets.filter((x) => x.package === pkg)) {
    body.line();
    emitErrorSet(body, e, ctx.names.get(e.name) ?? e.shortName);
  }
  for (const decl of ir.types.filter((t) => t.package === pkg)) {
    body.line();
    emitDecl(ctx, body, decl);
  }
  const info = ir.packages.find((p) => p.name === pkg);
  const head = new CodeWriter();
  head.line(GENERATED_HEADER);
  head.line(`// Types and codecs of package ${pkg || '(none)'}${info?.version ? ` ${info.version}` : ''}.`);
  head.line('// Binary form: docs/wire.md § Payload. TS and JSON forms: docs/generated-code.md.');
  head.lines_(ctx.header());
  return head.toString() + body.toString();
}

function emitDecl(ctx: ModuleContext, w: CodeWriter, decl: IrTypeDecl): void {
  const name = ctx.ref(decl.name);
  if (decl.kind === 'enum') {
    emitEnumType(w, decl, name);
    w.line();
    emitEnumCodec(ctx, w, decl, name);
    return;
  }
  const parts: (() => void)[] =
    decl.kind === 'struct'
      ? [emitStructType, emitStructEncode, emitStructDecode, emitStructJson]
          .map((f) => () => f(ctx, w, decl, name))
          .concat(() => emitStructValidate(ctx, w, decl))
      : [emitUnionType, emitUnionEncode, emitUnionDecode, emitUnionJson].map((f) => () => f(ctx, w, decl, name)).concat(() => emitUnionValidate(ctx, w, decl));
  for (const part of parts) {
    part();
    w.line();
  }
  emitMessageCodec(ctx, w, decl, name);
}

/** `encode(v)` of a codec: the shared writer, released again if the body throws. */
function emitEncodeMethod(ctx: ModuleContext, w: CodeWriter, body: readonly string[]): void {
  w.block(
    'encode(v) {',
    () => {
      w.line(`const w = ${ctx.rt('acquireWriter')}();`);
      w.block('try {', () => w.lines_(body), '} catch (err) {');
      w.indent(() => {
        w.line(`${ctx.rt('releaseWriter')}(w);`);
        w.line('throw err;');
      });
      w.line('}');
      w.line('return w.finish();');
    },
    '},',
  );
}

function emitMessageCodec(ctx: ModuleContext, w: CodeWriter, decl: IrStruct | IrUnion, name: string): void {
  const fn = (k: Parameters<ModuleContext['local']>[0]) => ctx.local(k, decl.name);
  w.block(
    `export const ${name}: ${ctx.rtType('MessageCodec')}<${name}> = {`,
    () => {
      w.line(`typeName: ${str(decl.name)},`);
      emitEncodeMethod(ctx, w, [`${fn('encode')}(w, v);`]);
      w.block(
        'decode(bytes) {',
        () => {
          w.line(`const r = new ${ctx.rt('Reader')}(bytes);`);
          w.line(`return ${fn('decode')}(r, r.len);`);
        },
        '},',
      );
      w.line(`toJSON: ${fn('toJSON')},`);
      w.line(`fromJSON: (json) => ${ctx.rt('fromJsonRoot')}(${fn('fromJSON')}, json),`);
      w.line(`validate: (v) => ${ctx.rt('validateRoot')}(${fn('validate')}, v),`);
      w.line(`jsonSchema: ${ctx.schema(decl.name)},`);
      const example = jsonLiteral(exampleJson(ctx.ir, decl.name), '  ');
      w.line(`example: () => ${fn('fromJSON')}(${example}, ''),`);
      w.line(`$encode: ${fn('encode')},`);
      w.line(`$decode: ${fn('decode')},`);
      w.line(`$fromJSON: ${fn('fromJSON')},`);
      w.line(`$validate: ${fn('validate')},`);
    },
    '};',
  );
}

function emitEnumCodec(ctx: ModuleContext, w: CodeWriter, e: IrEnum, name: string): void {
  const fn = (k: Parameters<ModuleContext['local']>[0]) => ctx.local(k, e.name);
  const values = `$values_${name}`;
  const names = `$names_${name}`;
  w.block(`const ${values} = {`, () => e.members.forEach((m) => w.line(`${propKey(m.name)}: ${m.value},`)), '} as const;');
  w.block(
    `const ${names} = {`,
    () => {
      for (const m of [...e.members].sort((a, b) => a.value - b.value)) w.line(`${m.value < 0 ? str(String(m.value)) : m.value}: ${str(m.name)},`);
    },
    '} as const;',
  );
  w.line();
  w.block(`function ${fn('number')}(v: ${name}): number {`, () => {
    w.block('switch (v) {', () => e.members.forEach((m) => w.line(`case ${str(m.name)}: return ${m.value};`)));
    w.line(`throw new TypeError(${str(`not a member of ${e.name}: `)} + String(v));`);
  });
  w.line();
  w.block(`function ${fn('member')}(n: number): ${name} | undefined {`, () => {
    w.block('switch (n) {', () => [...e.members].sort((a, b) => a.value - b.value).forEach((m) => w.line(`case ${m.value}: return ${str(m.name)};`)));
    w.line('return undefined;');
  });
  w.line();
  emitEnumJson(ctx, w, e, name);
  w.line();
  emitEnumValidate(ctx, w, e);
  w.line();
  const first = str(e.members[0]?.name ?? '');
  w.block(
    `export const ${name}: ${ctx.rtType('EnumCodec')}<${name}> & { readonly values: typeof ${values}; readonly names: typeof ${names} } = {`,
    () => {
      w.line(`typeName: ${str(e.name)},`);
      w.line(`values: ${values},`);
      w.line(`names: ${names},`);
      emitEncodeMethod(ctx, w, ['w.byte(8);', `w.i32(${fn('number')}(v));`]);
      w.block(
        'decode(bytes) {',
        () => {
          w.line(`const r = new ${ctx.rt('Reader')}(bytes);`);
          w.line(`let v: ${name} = ${first};`);
          w.block('while (r.pos < r.len) {', () => {
            w.line('const t = r.u32();');
            w.block(
              'if (t === 8) {',
              () => {
                w.line(`const m = ${fn('member')}(r.i32());`);
                w.line('if (m !== undefined) v = m;');
              },
              '} else r.skip(t);',
            );
          });
          w.line('return v;');
        },
        '},',
      );
      w.line('toJSON: (v) => v,');
      w.line(`fromJSON: (json) => ${ctx.rt('fromJsonRoot')}(${fn('fromJSON')}, json),`);
      w.line(`validate: (v) => ${ctx.rt('validateRoot')}(${fn('validate')}, v),`);
      w.line(`jsonSchema: ${ctx.schema(e.name)},`);
      w.line(`example: () => ${first},`);
      w.line(`$number: ${fn('number')},`);
      w.line(`$member: ${fn('member')},`);
      w.line(`$fromJSON: ${fn('fromJSON')},`);
      w.line(`$validate: ${fn('validate')},`);
    },
    '};',
  );
}
