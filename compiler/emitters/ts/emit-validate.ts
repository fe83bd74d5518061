/**
 * `validate` of structs, unions and enums: specialised checks of a TypeScript value (types, integer
 * ranges, constraints, required fields, union shape, map keys) that agree with the JSON Schema of the
 * type applied to `toJSON(value)`. Issues carry JSON Pointers into the JSON form.
 */
import type { IrConstraints, IrEnum, IrStruct, IrType, IrUnion } from '../../ir/ir.ts';
import { INT_RANGES, Names, type ModuleContext } from './context.ts';
import { numberLiteral } from './emit-types.ts';
import { member, str, type CodeWriter } from './writer.ts';

/** Earliest and latest instants whose `toISOString()` is an RFC 3339 date-time (years 0000–9999). */
const MIN_ISO_MS = -62167219200000;
const MAX_ISO_MS = 253402300799999;

class Checker {
  private readonly names = new Names();
  constructor(
    private readonly ctx: ModuleContext,
    private readonly w: CodeWriter,
  ) {}

  private issue(p: string, message: string): string {
    return `e.push({ path: ${p}, message: ${message} });`;
  }

  /** Statements checking value `x` of type `t` at JSON Pointer `p` (an expression). */
  check(t: IrType, x: string, p: string, c: IrConstraints): void {
    const { w, ctx } = this;
    switch (t.kind) {
      case 'named':
        w.line(`${ctx.fn('validate', t.name)}(${x}, ${p}, e);`);
        return;
      case 'array': {
        w.line(`if (!Array.isArray(${x})) ${this.issue(p, "'must be an array'")}`);
        w.block('else {', () => {
          this.counts(`${x}.length`, p, c, 'item');
          const i = this.names.fresh('i');
          const el = this.names.fresh('x');
          w.block(`for (let ${i} = 0; ${i} < ${x}.length; ${i}++) {`, () => {
            w.line(`const ${el}: unknown = ${x}[${i}];`);
            this.check(t.element, el, `${p} + '/' + ${i}`, {});
          });
        });
        return;
      }
      case 'map': {
        w.line(`if (!(${x} instanceof Map)) ${this.issue(p, "'must be a Map'")}`);
        w.block('else {', () => {
          this.counts(`${x}.size`, p, c, 'entry');
          const [k, v, kp] = [this.names.fresh('k'), this.names.fresh('v'), this.names.fresh('p')];
          w.block(`for (const [${k}, ${v}] of ${x} as Map<unknown, unknown>) {`, () => {
            w.line(`const ${kp} = ${ctx.rt('jsonPointer')}(${p}, String(${k}));`);
            const key = t.key.kind === 'scalar' ? t.key.scalar : 'string';
            const range = INT_RANGES[key];
            if (!range) w.line(`if (typeof ${k} !== 'string') ${this.issue(kp, "'map keys must be strings'")}`);
            else if (key === 'u64' || key === 'i64') {
              w.line(
                `if (typeof ${k} !== 'bigint' || ${k} < ${range[0]}n || ${k} > ${range[1]}n) ${this.issue(kp, str(`map keys must be bigints from ${range[0]} to ${range[1]}`))}`,
              );
            } else {
              w.line(
                `if (typeof ${k} !== 'number' || !Number.isInteger(${k}) || ${k} < ${range[0]} || ${k} > ${range[1]}) ${this.issue(kp, str(`map keys must be integers from ${range[0]} to ${range[1]}`))}`,
              );
            }
            this.check(t.value, v, kp, {});
          });
        });
        return;
      }
      case 'scalar':
        this.scalar(t.scalar, x, p, c);
    }
  }

  private counts(size: string, p: string, c: IrConstraints, what: 'item' | 'entry'): void {
    if (c.minItems !== undefined) this.w.line(`if (${size} < ${c.minItems}) ${this.issue(p, str(`must have at least ${plural(c.minItems, what)}`))}`);
    if (c.maxItems !== undefined) this.w.line(`if (${size} > ${c.maxItems}) ${this.issue(p, str(`must have at most ${plural(c.maxItems, what)}`))}`);
  }

  private scalar(scalar: string, x: string, p: string, c: IrConstraints): void {
    const { w, ctx } = this;
    const range = INT_RANGES[scalar as keyof typeof INT_RANGES];
    if (range) {
      const lo = c.min !== undefined && BigInt(c.min) > range[0] ? BigInt(c.min) : range[0];
      const hi = c.max !== undefined && BigInt(c.max) < range[1] ? BigInt(c.max) : range[1];
      if (scalar === 'u64' || scalar === 'i64') {
        w.line(`if (typeof ${x} !== 'bigint' || ${x} < ${lo}n || ${x} > ${hi}n) ${this.issue(p, str(`must be a bigint from ${lo} to ${hi}`))}`);
      } else {
        w.line(
          `if (typeof ${x} !== 'number' || !Number.isInteger(${x}) || ${x} < ${lo} || ${x} > ${hi}) ${this.issue(p, str(`must be an integer from ${lo} to ${hi}`))}`,
        );
      }
      return;
    }
    switch (scalar) {
      case 'bool':
        w.line(`if (typeof ${x} !== 'boolean') ${this.issue(p, "'must be a boolean'")}`);
        return;
      case 'f32':
      case 'f64': {
        const bounded = c.min !== undefined || c.max !== undefined;
        w.line(`if (typeof ${x} !== 'number') ${this.issue(p, "'must be a number'")}`);
        if (!bounded) return;
        // Bounds apply to the JSON form (an f32 as its shortest decimal); NaN satisfies none.
        const y = scalar === 'f32' ? `${ctx.rt('shortestF32')}(${x})` : x;
        w.block('else {', () => {
          if (c.min !== undefined) w.line(`if (!(${y} >= ${numberLiteral(Number(c.min))})) ${this.issue(p, str(`must be at least ${c.min}`))}`);
          if (c.max !== undefined) w.line(`if (!(${y} <= ${numberLiteral(Number(c.max))})) ${this.issue(p, str(`must be at most ${c.max}`))}`);
        });
        return;
      }
      case 'duration':
        w.line(`if (!Number.isSafeInteger(${x})) ${this.issue(p, "'must be integer microseconds'")}`);
        return;
      case 'timestamp':
        w.line(
          `if (!(${x} instanceof Date) || !(${x}.getTime() >= ${MIN_ISO_MS} && ${x}.getTime() <= ${MAX_ISO_MS})) ${this.issue(p, "'must be a valid Date in years 0000 to 9999'")}`,
        );
        return;
      case 'uuid':
        w.line(`if (typeof ${x} !== 'string' || !${ctx.rt('UUID_PATTERN')}.test(${x})) ${this.issue(p, "'must be a UUID string'")}`);
        return;
      case 'json':
        w.line(`if (!${ctx.rt('isJsonValue')}(${x})) ${this.issue(p, "'must be a JSON value'")}`);
        return;
      case 'bytes': {
        w.line(`if (!(${x} instanceof Uint8Array)) ${this.issue(p, "'must be a Uint8Array'")}`);
        if (c.minLength === undefined && c.maxLength === undefined) return;
        w.block('else {', () => {
          if (c.minLength !== undefined) w.line(`if (${x}.length < ${c.minLength}) ${this.issue(p, str(`must have at least ${plural(c.minLength, 'byte')}`))}`);
          if (c.maxLength !== undefined) w.line(`if (${x}.length > ${c.maxLength}) ${this.issue(p, str(`must have at most ${plural(c.maxLength, 'byte')}`))}`);
        });
        return;
      }
      case 'string': {
        w.line(`if (typeof ${x} !== 'string') ${this.issue(p, "'must be a string'")}`);
        if (c.minLength === undefined && c.maxLength === undefined && c.pattern === undefined && c.format === undefined) return;
        w.block('else {', () => {
          if (c.minLength !== undefined || c.maxLength !== undefined) {
            const n = this.names.fresh('n');
            w.line(`const ${n} = ${ctx.rt('codePointLength')}(${x});`);
            if (c.minLength !== undefined) w.line(`if (${n} < ${c.minLength}) ${this.issue(p, str(`must have at least ${plural(c.minLength, 'character')}`))}`);
            if (c.maxLength !== undefined) w.line(`if (${n} > ${c.maxLength}) ${this.issue(p, str(`must have at most ${plural(c.maxLength, 'character')}`))}`);
          }
          if (c.pattern !== undefined) w.line(`if (!${ctx.regex(c.pattern)}.test(${x})) ${this.issue(p, str(`must match the pattern ${c.pattern}`))}`);
          if (c.format !== undefined) w.line(`if (!${ctx.rt('matchesFormat')}(${str(c.format)}, ${x})) ${this.issue(p, str(`must be a valid ${c.format}`))}`);
        });
      }
    }
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : noun === 'entry' ? 'entries' : `${noun}s`}`;
}

const pathOf = (name: string) => `\`\${path}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}\``;

function signature(ctx: ModuleContext, typeName: string): string {
  return `function ${ctx.local('validate', typeName)}(v: unknown, path: string, e: ${ctx.rtType('ValidationIssue')}[]): void {`;
}

export function emitStructValidate(ctx: ModuleContext, w: CodeWriter, s: IrStruct): void {
  w.block(signature(ctx, s.name), () => {
    w.block("if (typeof v !== 'object' || v === null || Array.isArray(v)) {", () => {
      w.line("e.push({ path, message: 'must be an object' });");
      w.line('return;');
    });
    if (s.fields.length === 0) return;
    w.line('const o = v as { readonly [key: string]: unknown };');
    const chk = new Checker(ctx, w);
    s.fields.forEach((f, i) => {
      const x = `f${i}`;
      const p = pathOf(f.name);
      w.line(
        `const ${x} = ${f.name === '__proto__' ? `Object.prototype.hasOwnProperty.call(o, '__proto__') ? o['__proto__'] : undefined` : member('o', f.name)};`,
      );
      if (f.optional) w.block(`if (${x} !== undefined) {`, () => chk.check(f.type, x, p, f.constraints));
      else {
        w.line(`if (${x} === undefined) e.push({ path: ${p}, message: 'is required' });`);
        w.block('else {', () => chk.check(f.type, x, p, f.constraints));
      }
    });
  });
}

export function emitUnionValidate(ctx: ModuleContext, w: CodeWriter, u: IrUnion): void {
  w.block(signature(ctx, u.name), () => {
    w.block("if (typeof v !== 'object' || v === null) {", () => {
      w.line("e.push({ path, message: 'must be an object with kind and value' });");
      w.line('return;');
    });
    w.line('const o = v as { readonly kind?: unknown; readonly value?: unknown };');
    const chk = new Checker(ctx, w);
    w.block('switch (o.kind) {', () => {
      for (const a of u.arms) {
        w.block(`case ${str(a.name)}: {`, () => {
          chk.check(a.type, 'o.value', pathOf(a.name), a.constraints);
          w.line('return;');
        });
      }
    });
    w.line(`e.push({ path, message: ${str(`kind must be one of: ${u.arms.map((a) => a.name).join(', ')}`)} });`);
  });
}

export function emitEnumValidate(ctx: ModuleContext, w: CodeWriter, en: IrEnum): void {
  w.block(signature(ctx, en.name), () => {
    w.block('switch (v) {', () => {
      w.line(`${en.members.map((m) => `case ${str(m.name)}:`).join(' ')}`);
      w.indent(() => w.line('return;'));
    });
    w.line(`e.push({ path, message: ${str(`must be one of: ${en.members.map((m) => m.name).join(', ')}`)} });`);
  });
}
