/**
 * `validate` of structs, unions and enums: specialised checks of a TypeScript value (types, integer
 * ranges, constraints, required fields, union shape, map keys) that agree with the JSON Schema of the
 * type applied to `toJSON(value)`. Issues carry JSON Pointers into the JSON form.
 */
import type { IrConstraints, IrEnum, IrStruct, IrType, IrUnion } from '../../ir/ir.ts';
import { bigintLiteral, cases, expr, identifier, lit, member, numberLiteral, StatementList, stmt, stmts, type Syntax } from '../shared/ts/index.ts';
import { INT_RANGES, Names, type ModuleContext } from './context.ts';
import { pathOf } from './emit-json.ts';

type Expression = Syntax.Expression;
type Statement = Syntax.Statement;

/** Earliest and latest instants whose `toISOString()` is an RFC 3339 date-time (years 0000–9999). */
const MIN_ISO_MS = -62167219200000;
const MAX_ISO_MS = 253402300799999;

function issue(p: Expression, message: string): Statement {
  return stmt`e.push({ path: ${p}, message: ${lit(message)} });`;
}

class Checker extends StatementList {
  private readonly names = new Names();
  constructor(private readonly ctx: ModuleContext) {
    super();
  }

  /** Statements checking value `x` of type `t` at JSON Pointer `p` (an expression). */
  check(t: IrType, x: Expression, p: Expression, c: IrConstraints): void {
    const { ctx } = this;
    switch (t.kind) {
      case 'named':
        this.add(stmt`${ctx.fn('validate', t.name)}(${x}, ${p}, e);`);
        return;
      case 'array': {
        const elements = this.block(() => {
          this.counts(expr`${x}.length`, p, c, 'item');
          const i = this.names.fresh('i');
          const el = this.names.fresh('x');
          const body = this.block(() => {
            this.add(stmt`const ${el}: unknown = ${x}[${i}];`);
            this.check(t.element, identifier(el), expr`${p} + '/' + ${i}`, {});
          });
          this.add(stmt`for (let ${i} = 0; ${i} < ${x}.length; ${i}++) {
            ${body}
          }`);
        });
        this.add(stmt`if (!Array.isArray(${x})) ${issue(p, 'must be an array')}
          else {
            ${elements}
          }`);
        return;
      }
      case 'map': {
        const entries = this.block(() => {
          this.counts(expr`${x}.size`, p, c, 'entry');
          const [k, v, kp] = [this.names.fresh('k'), this.names.fresh('v'), this.names.fresh('p')];
          const key = t.key.kind === 'scalar' ? t.key.scalar : 'string';
          const range = INT_RANGES[key];
          const keyPath = identifier(kp);
          const body = this.block(() => {
            this.add(stmt`const ${kp} = ${ctx.rt('jsonPointer')}(${p}, String(${k}));`);
            if (!range) this.add(stmt`if (typeof ${k} !== 'string') ${issue(keyPath, 'map keys must be strings')}`);
            else if (key === 'u64' || key === 'i64') {
              this.add(
                stmt`if (typeof ${k} !== 'bigint' || ${k} < ${bigintLiteral(range[0])} || ${k} > ${bigintLiteral(range[1])}) ${issue(keyPath, `map keys must be bigints from ${range[0]} to ${range[1]}`)}`,
              );
            } else {
              this.add(
                stmt`if (typeof ${k} !== 'number' || !Number.isInteger(${k}) || ${k} < ${numberLiteral(Number(range[0]))} || ${k} > ${numberLiteral(Number(range[1]))}) ${issue(keyPath, `map keys must be integers from ${range[0]} to ${range[1]}`)}`,
              );
            }
            this.check(t.value, identifier(v), keyPath, {});
          });
          this.add(stmt`for (const [${k}, ${v}] of ${x} as Map<unknown, unknown>) {
            ${body}
          }`);
        });
        this.add(stmt`if (!(${x} instanceof Map)) ${issue(p, 'must be a Map')}
          else {
            ${entries}
          }`);
        return;
      }
      case 'scalar':
        this.scalar(t.scalar, x, p, c);
    }
  }

  private counts(size: Expression, p: Expression, c: IrConstraints, what: 'item' | 'entry'): void {
    if (c.minItems !== undefined) this.add(stmt`if (${size} < ${c.minItems}) ${issue(p, `must have at least ${plural(c.minItems, what)}`)}`);
    if (c.maxItems !== undefined) this.add(stmt`if (${size} > ${c.maxItems}) ${issue(p, `must have at most ${plural(c.maxItems, what)}`)}`);
  }

  /** `if (x fails) issue` then, when there are more checks, `else { … }`. */
  private guarded(test: Expression, failure: Statement, more: Statement[]): void {
    this.add(
      more.length === 0
        ? stmt`if (${test}) ${failure}`
        : stmt`if (${test}) ${failure}
          else {
            ${more}
          }`,
    );
  }

  private scalar(scalar: string, x: Expression, p: Expression, c: IrConstraints): void {
    const { ctx } = this;
    const range = INT_RANGES[scalar as keyof typeof INT_RANGES];
    if (range) {
      const lo = c.min !== undefined && BigInt(c.min) > range[0] ? BigInt(c.min) : range[0];
      const hi = c.max !== undefined && BigInt(c.max) < range[1] ? BigInt(c.max) : range[1];
      if (scalar === 'u64' || scalar === 'i64') {
        this.add(
          stmt`if (typeof ${x} !== 'bigint' || ${x} < ${bigintLiteral(lo)} || ${x} > ${bigintLiteral(hi)}) ${issue(p, `must be a bigint from ${lo} to ${hi}`)}`,
        );
      } else {
        this.add(
          stmt`if (typeof ${x} !== 'number' || !Number.isInteger(${x}) || ${x} < ${numberLiteral(Number(lo))} || ${x} > ${numberLiteral(Number(hi))}) ${issue(p, `must be an integer from ${lo} to ${hi}`)}`,
        );
      }
      return;
    }
    switch (scalar) {
      case 'bool':
        this.add(stmt`if (typeof ${x} !== 'boolean') ${issue(p, 'must be a boolean')}`);
        return;
      case 'f32':
      case 'f64': {
        // Bounds apply to the JSON form (an f32 as its shortest decimal); NaN satisfies none.
        const bounded = c.min !== undefined || c.max !== undefined;
        const y = bounded && scalar === 'f32' ? expr`${ctx.rt('shortestF32')}(${x})` : x;
        const bounds: Statement[] = [];
        if (c.min !== undefined) bounds.push(stmt`if (!(${y} >= ${numberLiteral(Number(c.min))})) ${issue(p, `must be at least ${c.min}`)}`);
        if (c.max !== undefined) bounds.push(stmt`if (!(${y} <= ${numberLiteral(Number(c.max))})) ${issue(p, `must be at most ${c.max}`)}`);
        this.guarded(expr`typeof ${x} !== 'number'`, issue(p, 'must be a number'), bounds);
        return;
      }
      case 'duration':
        this.add(stmt`if (!Number.isSafeInteger(${x})) ${issue(p, 'must be integer microseconds')}`);
        return;
      case 'timestamp':
        this.add(
          stmt`if (!(${x} instanceof Date) || !(${x}.getTime() >= ${numberLiteral(MIN_ISO_MS)} && ${x}.getTime() <= ${numberLiteral(MAX_ISO_MS)})) ${issue(p, 'must be a valid Date in years 0000 to 9999')}`,
        );
        return;
      case 'uuid':
        this.add(stmt`if (typeof ${x} !== 'string' || !${ctx.rt('UUID_PATTERN')}.test(${x})) ${issue(p, 'must be a UUID string')}`);
        return;
      case 'json':
        this.add(stmt`if (!${ctx.rt('isJsonValue')}(${x})) ${issue(p, 'must be a JSON value')}`);
        return;
      case 'bytes': {
        const lengths: Statement[] = [];
        if (c.minLength !== undefined) lengths.push(stmt`if (${x}.length < ${c.minLength}) ${issue(p, `must have at least ${plural(c.minLength, 'byte')}`)}`);
        if (c.maxLength !== undefined) lengths.push(stmt`if (${x}.length > ${c.maxLength}) ${issue(p, `must have at most ${plural(c.maxLength, 'byte')}`)}`);
        this.guarded(expr`!(${x} instanceof Uint8Array)`, issue(p, 'must be a Uint8Array'), lengths);
        return;
      }
      case 'string': {
        const more = this.block(() => {
          if (c.minLength !== undefined || c.maxLength !== undefined) {
            const n = this.names.fresh('n');
            this.add(stmt`const ${n} = ${ctx.rt('codePointLength')}(${x});`);
            if (c.minLength !== undefined) this.add(stmt`if (${n} < ${c.minLength}) ${issue(p, `must have at least ${plural(c.minLength, 'character')}`)}`);
            if (c.maxLength !== undefined) this.add(stmt`if (${n} > ${c.maxLength}) ${issue(p, `must have at most ${plural(c.maxLength, 'character')}`)}`);
          }
          if (c.pattern !== undefined) this.add(stmt`if (!${ctx.regex(c.pattern)}.test(${x})) ${issue(p, `must match the pattern ${c.pattern}`)}`);
          if (c.format !== undefined) this.add(stmt`if (!${ctx.rt('matchesFormat')}(${lit(c.format)}, ${x})) ${issue(p, `must be a valid ${c.format}`)}`);
        });
        this.guarded(expr`typeof ${x} !== 'string'`, issue(p, 'must be a string'), more);
      }
    }
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : noun === 'entry' ? 'entries' : `${noun}s`}`;
}

function signature(ctx: ModuleContext, typeName: string, body: readonly Statement[]): Statement[] {
  return stmts`function ${ctx.local('validate', typeName)}(v: unknown, path: string, e: ${ctx.rtType('ValidationIssue')}[]): void {
    ${body}
  }`;
}

export function structValidate(ctx: ModuleContext, s: IrStruct): Statement[] {
  const chk = new Checker(ctx);
  const body = chk.block(() => {
    chk.add(stmt`if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      e.push({ path, message: 'must be an object' });
      return;
    }`);
    if (s.fields.length === 0) return;
    chk.add(stmt`const o = v as { readonly [key: string]: unknown };`);
    s.fields.forEach((f, i) => {
      const x = `f${i}`;
      const p = pathOf(f.name);
      const value =
        f.name === '__proto__' ? expr`Object.prototype.hasOwnProperty.call(o, '__proto__') ? o['__proto__'] : undefined` : member(identifier('o'), f.name);
      chk.add(stmt`const ${x} = ${value};`);
      const checks = chk.block(() => chk.check(f.type, identifier(x), p, f.constraints));
      if (f.optional) {
        chk.add(stmt`if (${x} !== undefined) {
          ${checks}
        }`);
      } else {
        chk.add(stmt`if (${x} === undefined) e.push({ path: ${p}, message: 'is required' });
          else {
            ${checks}
          }`);
      }
    });
  });
  return signature(ctx, s.name, body);
}

export function unionValidate(ctx: ModuleContext, u: IrUnion): Statement[] {
  const chk = new Checker(ctx);
  const arms = u.arms.map((a) => {
    const checks = chk.block(() => chk.check(a.type, expr`o.value`, pathOf(a.name), a.constraints));
    return cases`case ${lit(a.name)}: {
      ${checks}
      return;
    }`;
  });
  return signature(
    ctx,
    u.name,
    stmts`if (typeof v !== 'object' || v === null) {
        e.push({ path, message: 'must be an object with kind and value' });
        return;
      }
      const o = v as { readonly kind?: unknown; readonly value?: unknown };
      switch (o.kind) {
        ${arms}
      }
      e.push({ path, message: ${lit(`kind must be one of: ${u.arms.map((a) => a.name).join(', ')}`)} });`,
  );
}

export function enumValidate(ctx: ModuleContext, en: IrEnum): Statement[] {
  const members = en.members.map((m, i) =>
    i === en.members.length - 1
      ? cases`case ${lit(m.name)}:
    return;`
      : cases`case ${lit(m.name)}:`,
  );
  return signature(
    ctx,
    en.name,
    stmts`switch (v) {
        ${members}
      }
      e.push({ path, message: ${lit(`must be one of: ${en.members.map((m) => m.name).join(', ')}`)} });`,
  );
}
