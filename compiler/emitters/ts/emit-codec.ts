/**
 * Binary encode/decode functions of structs and unions (docs/wire.md § Payload), specialised per
 * type: precomputed literal tags, straight-line code per field, no schema walking at run time.
 *
 * A field slot holds one value (tag + payload), or the elements of a collection: a packed run for
 * arrays of scalars and enums, one occurrence per element for other arrays, one entry message
 * (key @1, value @2) per map entry. A collection that must be one value (an array element, a union
 * arm, an optional field) is wrapped in a message whose field 1 is the collection.
 */
import type { IrField, IrStruct, IrType, IrUnion, ScalarName } from '../../ir/ir.ts';
import { isCollection, isPackable, Names, tagOf, wireType, type ModuleContext } from './context.ts';
import { absentExpr, tsType, zeroExpr, zeroIsPrimitive } from './emit-types.ts';
import { member, str, type CodeWriter } from './writer.ts';

const SCALAR_WRITE: Readonly<Record<ScalarName, string>> = {
  bool: 'bool',
  u8: 'u32',
  u16: 'u32',
  u32: 'u32',
  u64: 'u64',
  i8: 'i32',
  i16: 'i32',
  i32: 'i32',
  i64: 'i64',
  f32: 'f32',
  f64: 'f64',
  string: 'string',
  bytes: 'bytes',
  timestamp: 'timestamp',
  duration: 'i53',
  uuid: 'uuid',
  json: 'string',
};
const SCALAR_READ: Readonly<Record<ScalarName, string>> = {
  bool: 'bool',
  u8: 'u8',
  u16: 'u16',
  u32: 'u32',
  u64: 'u64',
  i8: 'i8',
  i16: 'i16',
  i32: 'i32',
  i64: 'i64',
  f32: 'f32',
  f64: 'f64',
  string: 'string',
  bytes: 'bytes',
  timestamp: 'timestamp',
  duration: 'i53',
  uuid: 'uuid',
  json: 'json',
};

/** Packed runs the reader decodes in one call (elements counted once per run). */
const PACKED_FAST: Readonly<Partial<Record<ScalarName, string>>> = {
  bool: 'packedBool',
  u32: 'packedU32',
  i32: 'packedI32',
  f32: 'packedF32',
  f64: 'packedF64',
};

// ---------------------------------------------------------------- encode

class Encoder {
  private readonly names = new Names();
  constructor(
    private readonly ctx: ModuleContext,
    private readonly w: CodeWriter,
  ) {}

  tag(n: number, wt: number): void {
    const t = tagOf(n, wt);
    this.w.line(t < 128 ? `w.byte(${t});` : `w.u32(${t});`);
  }

  /** The payload of one value (a collection here is wrapped in a message). */
  payload(t: IrType, x: string): void {
    const { w, ctx } = this;
    if (isCollection(t)) {
      const m = this.names.fresh('m');
      w.line(`const ${m} = w.fork();`);
      this.slot(t, x, 1);
      w.line(`w.join(${m});`);
    } else if (t.kind === 'named') {
      if (ctx.decl(t.name).kind === 'enum') {
        w.line(`w.i32(${ctx.fn('number', t.name)}(${x}));`);
        return;
      }
      const m = this.names.fresh('m');
      w.line(`const ${m} = w.fork();`);
      w.line(`${ctx.fn('encode', t.name)}(w, ${x});`);
      w.line(`w.join(${m});`);
    } else if (t.scalar === 'json') {
      w.line(`w.string(${ctx.rt('stringifySorted')}(${x}));`);
    } else {
      w.line(`w.${SCALAR_WRITE[t.scalar]}(${x});`);
    }
  }

  /** Field slot `n` holding `x`: tag and payload, or the elements of a collection. */
  slot(t: IrType, x: string, n: number): void {
    const { w } = this;
    if (t.kind === 'array') {
      const el = t.element;
      const e = this.names.fresh('e');
      if (isPackable(el)) {
        w.block(`if (${x}.length !== 0) {`, () => {
          this.tag(n, 2);
          const m = this.names.fresh('m');
          w.line(`const ${m} = w.fork();`);
          w.block(`for (const ${e} of ${x}) {`, () => this.payload(el, e));
          w.line(`w.join(${m});`);
        });
      } else {
        w.block(`for (const ${e} of ${x}) {`, () => {
          this.tag(n, isCollection(el) ? 2 : wireType(el));
          this.payload(el, e);
        });
      }
      return;
    }
    if (t.kind === 'map') {
      const kv = this.names.fresh('kv');
      const key = t.key.kind === 'scalar' ? t.key.scalar : 'string';
      const order =
        key === 'string'
          ? `(a, b) => ${this.ctx.rt('compareMapKeys')}(a[0], b[0])`
          : key === 'u64' || key === 'i64'
            ? '(a, b) => (a[0] < b[0] ? -1 : 1)'
            : '(a, b) => a[0] - b[0]';
      w.block(`for (const ${kv} of ${x}.size < 2 ? ${x} : [...${x}].sort(${order})) {`, () => {
        this.tag(n, 2);
        const m = this.names.fresh('m');
        w.line(`const ${m} = w.fork();`);
        this.tag(1, wireType(t.key));
        this.payload(t.key, `${kv}[0]`);
        this.slot(t.value, `${kv}[1]`, 2);
        w.line(`w.join(${m});`);
      });
      return;
    }
    this.tag(n, wireType(t));
    this.payload(t, x);
  }

  field(f: IrField, x: string): void {
    if (!f.optional) {
      this.slot(f.type, x, f.number);
      return;
    }
    const v = this.names.fresh('o');
    this.w.line(`const ${v} = ${x};`);
    this.w.block(`if (${v} !== undefined) {`, () => {
      this.tag(f.number, isCollection(f.type) ? 2 : wireType(f.type));
      this.payload(f.type, v);
    });
  }
}

const byNumber = (a: IrField, b: IrField) => a.number - b.number;

export function emitStructEncode(ctx: ModuleContext, w: CodeWriter, s: IrStruct, name: string): void {
  const fields = [...s.fields].sort(byNumber);
  w.block(`function ${ctx.local('encode', s.name)}(w: ${ctx.rtType('Writer')}, v: ${name}): void {`, () => {
    const enc = new Encoder(ctx, w);
    for (const f of fields) enc.field(f, member('v', f.name));
  });
}

export function emitUnionEncode(ctx: ModuleContext, w: CodeWriter, u: IrUnion, name: string): void {
  w.block(`function ${ctx.local('encode', u.name)}(w: ${ctx.rtType('Writer')}, v: ${name}): void {`, () => {
    const enc = new Encoder(ctx, w);
    w.block('switch (v.kind) {', () => {
      for (const a of [...u.arms].sort(byNumber)) {
        w.block(`case ${str(a.name)}: {`, () => {
          enc.tag(a.number, isCollection(a.type) ? 2 : wireType(a.type));
          enc.payload(a.type, 'v.value');
          w.line('return;');
        });
      }
    });
    w.line(`throw new TypeError(${str(`cannot encode ${u.name}: unknown kind `)} + String((v as { kind?: unknown }).kind));`);
  });
}

// ---------------------------------------------------------------- decode

class Decoder {
  private readonly names = new Names();
  constructor(
    private readonly ctx: ModuleContext,
    private readonly w: CodeWriter,
  ) {}

  /** Reads one value (a collection here is wrapped in a message) and hands its expression to `assign`. */
  payload(t: IrType, assign: (expr: string) => string): void {
    const { w, ctx } = this;
    if (isCollection(t)) {
      const c = this.names.fresh('c');
      w.line(`const ${c}: ${tsType(ctx, t)} = ${t.kind === 'array' ? '[]' : 'new Map()'};`);
      this.message(() => this.slotCases(t, 1, c));
      w.line(assign(c));
    } else if (t.kind === 'named') {
      if (ctx.decl(t.name).kind === 'enum') {
        // A number the schema does not know is skipped like an unknown field.
        const m = this.names.fresh('n');
        w.line(`const ${m} = ${ctx.fn('member', t.name)}(r.i32());`);
        w.line(`if (${m} !== undefined) ${assign(m)}`);
        return;
      }
      const e = this.names.fresh('end');
      w.line(`const ${e} = r.enter();`);
      w.line(assign(`${ctx.fn('decode', t.name)}(r, ${e})`));
      w.line(`r.leave(${e});`);
    } else {
      w.line(assign(`r.${SCALAR_READ[t.scalar]}()`));
    }
  }

  /** A nested message: enter, a tag loop with the cases `cases` writes, leave. */
  message(cases: () => void): void {
    const { w } = this;
    const e = this.names.fresh('end');
    const t = this.names.fresh('t');
    w.line(`const ${e} = r.enter();`);
    w.block(`while (r.pos < ${e}) {`, () => {
      w.line(`const ${t} = r.u32();`);
      w.block(`switch (${t}) {`, () => {
        cases();
        w.line('default:');
        w.indent(() => w.line(`r.skip(${t});`));
      });
    });
    w.line(`r.leave(${e});`);
  }

  /** `case` clauses reading field slot `n` into `target` (assigned, or appended to when a collection). */
  slotCases(t: IrType, n: number, target: string): void {
    const { w, ctx } = this;
    if (t.kind === 'array') {
      const el = t.element;
      const push = (x: string) => `${target}.push(${x});`;
      const fast = el.kind === 'scalar' ? PACKED_FAST[el.scalar] : undefined;
      if (fast) {
        w.block(`case ${tagOf(n, 2)}: {`, () => {
          w.line(`r.${fast}(${target});`);
          w.line('break;');
        });
      } else if (isPackable(el)) {
        w.block(`case ${tagOf(n, 2)}: {`, () => {
          const e = this.names.fresh('end');
          w.line(`const ${e} = r.enter();`);
          w.block(`while (r.pos < ${e}) {`, () => {
            w.line('r.item();');
            this.payload(el, push);
          });
          w.line(`r.leave(${e});`);
          w.line('break;');
        });
      }
      w.block(`case ${tagOf(n, isCollection(el) ? 2 : wireType(el))}: {`, () => {
        w.line('r.item();');
        this.payload(el, push);
        w.line('break;');
      });
      return;
    }
    if (t.kind === 'map') {
      w.block(`case ${tagOf(n, 2)}: {`, () => {
        w.line('r.item();');
        const k = this.names.fresh('k');
        const v = this.names.fresh('v');
        w.line(`let ${k}: ${tsType(ctx, t.key)} = ${zeroExpr(ctx, t.key)};`);
        const valueCollection = isCollection(t.value);
        if (valueCollection) w.line(`const ${v}: ${tsType(ctx, t.value)} = ${t.value.kind === 'array' ? '[]' : 'new Map()'};`);
        else w.line(`let ${v}: ${tsType(ctx, t.value)} | undefined;`);
        this.message(() => {
          w.block(`case ${tagOf(1, wireType(t.key))}: {`, () => {
            w.line(`${k} = r.${SCALAR_READ[(t.key as { scalar: ScalarName }).scalar]}();`);
            w.line('break;');
          });
          this.slotCases(t.value, 2, v);
        });
        w.line(`${target}.set(${k}, ${valueCollection ? v : `${v} ?? ${zeroExpr(ctx, t.value)}`});`);
        w.line('break;');
      });
      return;
    }
    w.block(`case ${tagOf(n, wireType(t))}: {`, () => {
      this.payload(t, (x) => `${target} = ${x};`);
      w.line('break;');
    });
  }
}

export function emitStructDecode(ctx: ModuleContext, w: CodeWriter, s: IrStruct, name: string): void {
  w.block(`function ${ctx.local('decode', s.name)}(r: ${ctx.rtType('Reader')}, end: number): ${name} {`, () => {
    const dec = new Decoder(ctx, w);
    const local = (f: IrField) => `f_${f.name}`;
    const late = new Set<string>();
    for (const f of s.fields) {
      const type = tsType(ctx, f.type);
      if (isCollection(f.type) && !f.optional) w.line(`const ${local(f)}: ${type} = ${f.type.kind === 'array' ? '[]' : 'new Map()'};`);
      else if (f.optional) w.line(`let ${local(f)}: ${type} | undefined;`);
      else if (zeroIsPrimitive(ctx, f.type)) w.line(`let ${local(f)}: ${type} = ${absentExpr(ctx, f)};`);
      else {
        w.line(`let ${local(f)}: ${type} | undefined;`);
        late.add(f.name);
      }
    }
    w.block('while (r.pos < end) {', () => {
      w.line('const t = r.u32();');
      w.block('switch (t) {', () => {
        for (const f of [...s.fields].sort(byNumber)) {
          if (f.optional && isCollection(f.type)) {
            w.block(`case ${tagOf(f.number, 2)}: {`, () => {
              dec.payload(f.type, (x) => `${local(f)} = ${x};`);
              w.line('break;');
            });
          } else dec.slotCases(f.type, f.number, local(f));
        }
        w.line('default:');
        w.indent(() => w.line('r.skip(t);'));
      });
    });
    if (s.fields.length === 0) {
      w.line('return {};');
      return;
    }
    w.block(
      'return {',
      () => {
        for (const f of s.fields) {
          const key = f.name === '__proto__' ? `['__proto__']` : f.name;
          w.line(`${key}: ${late.has(f.name) ? `${local(f)} ?? ${absentExpr(ctx, f)}` : local(f)},`);
        }
      },
      '};',
    );
  });
}

export function emitUnionDecode(ctx: ModuleContext, w: CodeWriter, u: IrUnion, name: string): void {
  w.block(`function ${ctx.local('decode', u.name)}(r: ${ctx.rtType('Reader')}, end: number): ${name} {`, () => {
    const dec = new Decoder(ctx, w);
    w.line(`let v: ${name} | undefined;`);
    w.block('while (r.pos < end) {', () => {
      w.line('const t = r.u32();');
      w.block('switch (t) {', () => {
        for (const a of [...u.arms].sort(byNumber)) {
          w.block(`case ${tagOf(a.number, isCollection(a.type) ? 2 : wireType(a.type))}: {`, () => {
            dec.payload(a.type, (x) => `v = { kind: ${str(a.name)}, value: ${x} };`);
            w.line('break;');
          });
        }
        w.line('default:');
        w.indent(() => w.line('r.skip(t);'));
      });
    });
    w.line(`if (v === undefined) throw r.error(${str(`${u.name}: no known arm present`)});`);
    w.line('return v;');
  });
}
