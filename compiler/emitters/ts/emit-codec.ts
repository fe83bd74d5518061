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
import { cases, expr, identifier, lit, member, StatementList, stmt, stmts, type Syntax } from '../shared/ts/index.ts';
import { isCollection, isPackable, Names, tagOf, wireType, type ModuleContext } from './context.ts';
import { absentExpr, tsType, zeroExpr, zeroIsPrimitive } from './emit-types.ts';

type Expression = Syntax.Expression;
type Statement = Syntax.Statement;

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

class Encoder extends StatementList {
  private readonly names = new Names();
  constructor(private readonly ctx: ModuleContext) {
    super();
  }

  tag(n: number, wt: number): void {
    const t = tagOf(n, wt);
    this.add(t < 128 ? stmt`w.byte(${t});` : stmt`w.u32(${t});`);
  }

  /** The payload of one value (a collection here is wrapped in a message). */
  payload(t: IrType, x: Expression): void {
    const { ctx } = this;
    if (isCollection(t)) {
      const m = this.names.fresh('m');
      this.add(stmt`const ${m} = w.fork();`);
      this.slot(t, x, 1);
      this.add(stmt`w.join(${m});`);
    } else if (t.kind === 'named') {
      if (ctx.decl(t.name).kind === 'enum') {
        this.add(stmt`w.i32(${ctx.fn('number', t.name)}(${x}));`);
        return;
      }
      const m = this.names.fresh('m');
      this.add(stmts`const ${m} = w.fork();
        ${ctx.fn('encode', t.name)}(w, ${x});
        w.join(${m});`);
    } else if (t.scalar === 'json') {
      this.add(stmt`w.string(${ctx.rt('stringifySorted')}(${x}));`);
    } else {
      this.add(stmt`w.${SCALAR_WRITE[t.scalar]}(${x});`);
    }
  }

  /** Field slot `n` holding `x`: tag and payload, or the elements of a collection. */
  slot(t: IrType, x: Expression, n: number): void {
    if (t.kind === 'array') {
      const el = t.element;
      const e = this.names.fresh('e');
      if (isPackable(el)) {
        const body = this.block(() => {
          this.tag(n, 2);
          const m = this.names.fresh('m');
          this.add(stmt`const ${m} = w.fork();`);
          this.add(stmt`for (const ${e} of ${x}) {
            ${this.block(() => this.payload(el, identifier(e)))}
          }`);
          this.add(stmt`w.join(${m});`);
        });
        this.add(stmt`if (${x}.length !== 0) {
          ${body}
        }`);
      } else {
        const body = this.block(() => {
          this.tag(n, isCollection(el) ? 2 : wireType(el));
          this.payload(el, identifier(e));
        });
        this.add(stmt`for (const ${e} of ${x}) {
          ${body}
        }`);
      }
      return;
    }
    if (t.kind === 'map') {
      const kv = this.names.fresh('kv');
      const key = t.key.kind === 'scalar' ? t.key.scalar : 'string';
      const order =
        key === 'string'
          ? expr`(a, b) => ${this.ctx.rt('compareMapKeys')}(a[0], b[0])`
          : key === 'u64' || key === 'i64'
            ? expr`(a, b) => (a[0] < b[0] ? -1 : 1)`
            : expr`(a, b) => a[0] - b[0]`;
      const body = this.block(() => {
        this.tag(n, 2);
        const m = this.names.fresh('m');
        this.add(stmt`const ${m} = w.fork();`);
        this.tag(1, wireType(t.key));
        this.payload(t.key, expr`${kv}[0]`);
        this.slot(t.value, expr`${kv}[1]`, 2);
        this.add(stmt`w.join(${m});`);
      });
      this.add(stmt`for (const ${kv} of ${x}.size < 2 ? ${x} : [...${x}].sort(${order})) {
        ${body}
      }`);
      return;
    }
    this.tag(n, wireType(t));
    this.payload(t, x);
  }

  field(f: IrField, x: Expression): void {
    if (!f.optional) {
      this.slot(f.type, x, f.number);
      return;
    }
    const v = this.names.fresh('o');
    this.add(stmt`const ${v} = ${x};`);
    const body = this.block(() => {
      this.tag(f.number, isCollection(f.type) ? 2 : wireType(f.type));
      this.payload(f.type, identifier(v));
    });
    this.add(stmt`if (${v} !== undefined) {
      ${body}
    }`);
  }
}

const byNumber = (a: IrField, b: IrField) => a.number - b.number;

export function structEncode(ctx: ModuleContext, s: IrStruct, name: string): Statement[] {
  const enc = new Encoder(ctx);
  const body = enc.block(() => {
    for (const f of [...s.fields].sort(byNumber)) enc.field(f, member(identifier('v'), f.name));
  });
  return stmts`function ${ctx.local('encode', s.name)}(w: ${ctx.rtType('Writer')}, v: ${name}): void {
    ${body}
  }`;
}

export function unionEncode(ctx: ModuleContext, u: IrUnion, name: string): Statement[] {
  const enc = new Encoder(ctx);
  const arms = [...u.arms].sort(byNumber).map((a) => {
    const body = enc.block(() => {
      enc.tag(a.number, isCollection(a.type) ? 2 : wireType(a.type));
      enc.payload(a.type, expr`v.value`);
    });
    return cases`case ${lit(a.name)}: {
      ${body}
      return;
    }`;
  });
  return stmts`function ${ctx.local('encode', u.name)}(w: ${ctx.rtType('Writer')}, v: ${name}): void {
    switch (v.kind) {
      ${arms}
    }
    throw new TypeError(${lit(`cannot encode ${u.name}: unknown kind `)} + String((v as { kind?: unknown }).kind));
  }`;
}

// ---------------------------------------------------------------- decode

class Decoder extends StatementList {
  private readonly names = new Names();
  constructor(private readonly ctx: ModuleContext) {
    super();
  }

  /** Reads one value (a collection here is wrapped in a message) and hands its expression to `assign`. */
  payload(t: IrType, assign: (value: Expression) => Statement): void {
    const { ctx } = this;
    if (isCollection(t)) {
      const c = this.names.fresh('c');
      this.add(stmt`const ${c}: ${tsType(ctx, t)} = ${t.kind === 'array' ? expr`[]` : expr`new Map()`};`);
      this.message(() => this.slotCases(t, 1, identifier(c)));
      this.add(assign(identifier(c)));
    } else if (t.kind === 'named') {
      if (ctx.decl(t.name).kind === 'enum') {
        // A number the schema does not know is skipped like an unknown field.
        const m = this.names.fresh('n');
        this.add(stmts`const ${m} = ${ctx.fn('member', t.name)}(r.i32());
          if (${m} !== undefined) ${assign(identifier(m))}`);
        return;
      }
      const e = this.names.fresh('end');
      this.add(stmt`const ${e} = r.enter();`);
      this.add(assign(expr`${ctx.fn('decode', t.name)}(r, ${e})`));
      this.add(stmt`r.leave(${e});`);
    } else {
      this.add(assign(expr`r.${SCALAR_READ[t.scalar]}()`));
    }
  }

  /** A nested message: enter, a tag loop with the cases `writeCases` adds, leave. */
  message(writeCases: () => void): void {
    const e = this.names.fresh('end');
    const t = this.names.fresh('t');
    this.add(stmt`const ${e} = r.enter();`);
    const caseList = this.caseBlock(writeCases);
    this.add(stmts`while (r.pos < ${e}) {
        const ${t} = r.u32();
        switch (${t}) {
          ${caseList}
          default:
            r.skip(${t});
        }
      }
      r.leave(${e});`);
  }

  private readonly caseLists: Syntax.SwitchCase[][] = [];

  /** Adds `case` clauses to the switch being written. */
  addCases(...c: Syntax.SwitchCase[][]): void {
    const list = this.caseLists[this.caseLists.length - 1]!;
    for (const group of c) for (const one of group) list.push(one);
  }

  /** The `case` clauses `write` adds. */
  caseBlock(write: () => void): Syntax.SwitchCase[] {
    this.caseLists.push([]);
    try {
      write();
      return this.caseLists[this.caseLists.length - 1]!;
    } finally {
      this.caseLists.pop();
    }
  }

  /** A `case` clause with a block body: `case tag: { …; break; }`. */
  private caseWithBlock(tag: number, write: () => void): void {
    const body = this.block(write);
    this.addCases(
      cases`case ${tag}: {
        ${body}
        break;
      }`,
    );
  }

  /** `case` clauses reading field slot `n` into `target` (assigned, or appended to when a collection). */
  slotCases(t: IrType, n: number, target: Expression): void {
    const { ctx } = this;
    if (t.kind === 'array') {
      const el = t.element;
      const push = (x: Expression) => stmt`${target}.push(${x});`;
      const fast = el.kind === 'scalar' ? PACKED_FAST[el.scalar] : undefined;
      if (fast) {
        this.caseWithBlock(tagOf(n, 2), () => this.add(stmt`r.${fast}(${target});`));
      } else if (isPackable(el)) {
        this.caseWithBlock(tagOf(n, 2), () => {
          const e = this.names.fresh('end');
          this.add(stmt`const ${e} = r.enter();`);
          const item = this.block(() => {
            this.add(stmt`r.item();`);
            this.payload(el, push);
          });
          this.add(stmts`while (r.pos < ${e}) {
              ${item}
            }
            r.leave(${e});`);
        });
      }
      this.caseWithBlock(tagOf(n, isCollection(el) ? 2 : wireType(el)), () => {
        this.add(stmt`r.item();`);
        this.payload(el, push);
      });
      return;
    }
    if (t.kind === 'map') {
      this.caseWithBlock(tagOf(n, 2), () => {
        this.add(stmt`r.item();`);
        const k = this.names.fresh('k');
        const v = this.names.fresh('v');
        this.add(stmt`let ${k}: ${tsType(ctx, t.key)} = ${zeroExpr(ctx, t.key)};`);
        const valueCollection = isCollection(t.value);
        if (valueCollection) this.add(stmt`const ${v}: ${tsType(ctx, t.value)} = ${t.value.kind === 'array' ? expr`[]` : expr`new Map()`};`);
        else this.add(stmt`let ${v}: ${tsType(ctx, t.value)} | undefined;`);
        this.message(() => {
          this.caseWithBlock(tagOf(1, wireType(t.key)), () => this.add(stmt`${k} = r.${SCALAR_READ[(t.key as { scalar: ScalarName }).scalar]}();`));
          this.slotCases(t.value, 2, identifier(v));
        });
        this.add(stmt`${target}.set(${k}, ${valueCollection ? identifier(v) : expr`${v} ?? ${zeroExpr(ctx, t.value)}`});`);
      });
      return;
    }
    this.caseWithBlock(tagOf(n, wireType(t)), () => this.payload(t, (x) => stmt`${target} = ${x};`));
  }
}

export function structDecode(ctx: ModuleContext, s: IrStruct, name: string): Statement[] {
  const dec = new Decoder(ctx);
  const local = (f: IrField) => `f_${f.name}`;
  const late = new Set<string>();
  const declarations = s.fields.map((f) => {
    const type = tsType(ctx, f.type);
    if (isCollection(f.type) && !f.optional) return stmt`const ${local(f)}: ${type} = ${f.type.kind === 'array' ? expr`[]` : expr`new Map()`};`;
    if (f.optional) return stmt`let ${local(f)}: ${type} | undefined;`;
    if (zeroIsPrimitive(ctx, f.type)) return stmt`let ${local(f)}: ${type} = ${absentExpr(ctx, f)};`;
    late.add(f.name);
    return stmt`let ${local(f)}: ${type} | undefined;`;
  });
  const fieldCases = dec.caseBlock(() => {
    for (const f of [...s.fields].sort(byNumber)) {
      if (f.optional && isCollection(f.type)) {
        const body = dec.block(() => dec.payload(f.type, (x) => stmt`${local(f)} = ${x};`));
        dec.addCases(
          cases`case ${tagOf(f.number, 2)}: {
            ${body}
            break;
          }`,
        );
      } else dec.slotCases(f.type, f.number, identifier(local(f)));
    }
  });
  const result =
    s.fields.length === 0
      ? stmt`return {};`
      : stmt`return {
          ${s.fields.map((f) => {
            const value = late.has(f.name) ? expr`${local(f)} ?? ${absentExpr(ctx, f)}` : identifier(local(f));
            const entry: Syntax.Property =
              f.name === '__proto__'
                ? { type: 'Property', key: lit('__proto__'), computed: true, value, shorthand: false }
                : { type: 'Property', key: identifier(f.name), computed: false, value, shorthand: false };
            return entry;
          })}
        };`;
  return stmts`function ${ctx.local('decode', s.name)}(r: ${ctx.rtType('Reader')}, end: number): ${name} {
    ${declarations}
    while (r.pos < end) {
      const t = r.u32();
      switch (t) {
        ${fieldCases}
        default:
          r.skip(t);
      }
    }
    ${result}
  }`;
}

export function unionDecode(ctx: ModuleContext, u: IrUnion, name: string): Statement[] {
  const dec = new Decoder(ctx);
  const armCases = dec.caseBlock(() => {
    for (const a of [...u.arms].sort(byNumber)) {
      const body = dec.block(() => dec.payload(a.type, (x) => stmt`v = { kind: ${lit(a.name)}, value: ${x} };`));
      dec.addCases(
        cases`case ${tagOf(a.number, isCollection(a.type) ? 2 : wireType(a.type))}: {
          ${body}
          break;
        }`,
      );
    }
  });
  return stmts`function ${ctx.local('decode', u.name)}(r: ${ctx.rtType('Reader')}, end: number): ${name} {
    let v: ${name} | undefined;
    while (r.pos < end) {
      const t = r.u32();
      switch (t) {
        ${armCases}
        default:
          r.skip(t);
      }
    }
    if (v === undefined) throw r.error(${lit(`${u.name}: no known arm present`)});
    return v;
  }`;
}
