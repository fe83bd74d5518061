/**
 * `toJSON`/`fromJSON` of structs, unions and enums: the canonical JSON form of
 * docs/generated-code.md. `fromJSON` checks types and integer ranges (constraints are `validate`'s
 * job), rejects unknown properties (the JSON Schemas say `additionalProperties: false`), and gives
 * absent required fields their default or zero value.
 */
import type { IrEnum, IrStruct, IrType, IrUnion, ScalarName } from '../../ir/ir.ts';
import { INT_RANGES, type ModuleContext } from './context.ts';
import { absentExpr } from './emit-types.ts';
import { member, propKey, str, type CodeWriter } from './writer.ts';

/** JSON form of `x` (type `t`) as an expression; `depth` keeps lambda parameters distinct. */
function toJson(ctx: ModuleContext, t: IrType, x: string, depth = 1): string {
  switch (t.kind) {
    case 'array': {
      const e = `e${depth}`;
      const inner = toJson(ctx, t.element, e, depth + 1);
      return inner === e ? `${x}.slice()` : `${x}.map((${e}) => ${inner})`;
    }
    case 'map': {
      const v = `v${depth}`;
      return `${ctx.rt('toJsonMap')}(${x}, (${v}) => ${toJson(ctx, t.value, v, depth + 1)})`;
    }
    case 'named':
      return ctx.decl(t.name).kind === 'enum' ? x : `${ctx.fn('toJSON', t.name)}(${x})`;
    case 'scalar':
      switch (t.scalar) {
        case 'u64':
        case 'i64':
          return `${x}.toString()`;
        case 'f32':
          return `${ctx.rt('toJsonF32')}(${x})`;
        case 'f64':
          return `${ctx.rt('toJsonFloat')}(${x})`;
        case 'bytes':
          return `${ctx.rt('toJsonBytes')}(${x})`;
        case 'timestamp':
          return `${ctx.rt('toJsonTimestamp')}(${x})`;
        default:
          return x;
      }
  }
}

const SCALAR_FROM: Readonly<Partial<Record<ScalarName, string>>> = {
  bool: 'fromJsonBool',
  f32: 'fromJsonF32',
  f64: 'fromJsonFloat',
  string: 'fromJsonString',
  bytes: 'fromJsonBytes',
  timestamp: 'fromJsonTimestamp',
  duration: 'fromJsonDuration',
  uuid: 'fromJsonUuid',
  json: 'fromJsonAny',
};

/** The value of type `t` read from JSON `x` at JSON Pointer `p` (both expressions). */
function fromJson(ctx: ModuleContext, t: IrType, x: string, p: string, depth = 1): string {
  switch (t.kind) {
    case 'array': {
      const [e, ep] = [`e${depth}`, `p${depth}`];
      return `${ctx.rt('fromJsonList')}(${x}, ${p}, (${e}, ${ep}) => ${fromJson(ctx, t.element, e, ep, depth + 1)})`;
    }
    case 'map': {
      const [k, kp, v, vp] = [`k${depth}`, `q${depth}`, `v${depth}`, `p${depth}`];
      const key = t.key.kind === 'scalar' ? t.key.scalar : 'string';
      const range = INT_RANGES[key];
      const keyFn = !range
        ? `(${k}) => ${k}`
        : key === 'u64' || key === 'i64'
          ? `(${k}, ${kp}) => ${ctx.rt('fromJsonBigIntKey')}(${k}, ${kp}, ${range[0]}n, ${range[1]}n)`
          : `(${k}, ${kp}) => ${ctx.rt('fromJsonIntKey')}(${k}, ${kp}, ${range[0]}, ${range[1]})`;
      return `${ctx.rt('fromJsonMap')}(${x}, ${p}, ${keyFn}, (${v}, ${vp}) => ${fromJson(ctx, t.value, v, vp, depth + 1)})`;
    }
    case 'named':
      return `${ctx.fn('fromJSON', t.name)}(${x}, ${p})`;
    case 'scalar': {
      const range = INT_RANGES[t.scalar];
      if (range) {
        return t.scalar === 'u64' || t.scalar === 'i64'
          ? `${ctx.rt('fromJsonBigInt')}(${x}, ${p}, ${range[0]}n, ${range[1]}n)`
          : `${ctx.rt('fromJsonInt')}(${x}, ${p}, ${range[0]}, ${range[1]})`;
      }
      return `${ctx.rt(SCALAR_FROM[t.scalar]!)}(${x}, ${p})`;
    }
  }
}

/** Reads own property `name` of `o` (a `__proto__` key must be an own property to count). */
function own(o: string, name: string): string {
  return name === '__proto__' ? `(Object.prototype.hasOwnProperty.call(${o}, '__proto__') ? ${o}['__proto__'] : undefined)` : member(o, name);
}

const pathOf = (name: string) => `\`\${path}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}\``;

export function emitStructJson(ctx: ModuleContext, w: CodeWriter, s: IrStruct, name: string): void {
  const json = ctx.rtType('JsonValue');
  w.block(`function ${ctx.local('toJSON', s.name)}(v: ${name}): ${json} {`, () => {
    const firstOptional = s.fields.findIndex((f) => f.optional);
    const lead = firstOptional < 0 ? s.fields : s.fields.slice(0, firstOptional);
    const rest = s.fields.slice(lead.length);
    const decl = `const o: { [key: string]: ${json} } =`;
    if (lead.length === 0) w.line(`${decl} {};`);
    else w.block(`${decl} {`, () => lead.forEach((f) => w.line(`${propKey(f.name)}: ${toJson(ctx, f.type, member('v', f.name))},`)), '};');
    for (const f of rest) {
      const set = (x: string) => (f.name === '__proto__' ? `${ctx.rt('setJsonKey')}(o, '__proto__', ${x});` : `${member('o', f.name)} = ${x};`);
      if (!f.optional) w.line(set(toJson(ctx, f.type, member('v', f.name))));
      else w.line(`if (${member('v', f.name)} !== undefined) ${set(toJson(ctx, f.type, member('v', f.name)))}`);
    }
    w.line('return o;');
  });
  w.line();
  w.block(`function ${ctx.local('fromJSON', s.name)}(j: unknown, path: string): ${name} {`, () => {
    w.line(`const o = ${ctx.rt('fromJsonObject')}(j, path);`);
    const known = s.fields.map((f) => f.name).join(', ');
    w.block('for (const k of Object.keys(o)) {', () => {
      if (s.fields.length > 0) {
        w.block('switch (k) {', () => {
          w.line(`${s.fields.map((f) => `case ${str(f.name)}:`).join(' ')}`);
          w.indent(() => w.line('continue;'));
        });
      }
      w.line(`${ctx.rt('unknownJsonKey')}(path, k, ${str(known || 'no properties')});`);
    });
    if (s.fields.length === 0) {
      w.line('return {};');
      return;
    }
    w.block(
      'return {',
      () => {
        for (const f of s.fields) {
          const x = own('o', f.name);
          const absent = f.optional ? 'undefined' : absentExpr(ctx, f);
          w.line(`${propKey(f.name)}: ${x} === undefined ? ${absent} : ${fromJson(ctx, f.type, x, pathOf(f.name))},`);
        }
      },
      '};',
    );
  });
}

export function emitUnionJson(ctx: ModuleContext, w: CodeWriter, u: IrUnion, name: string): void {
  const json = ctx.rtType('JsonValue');
  const known = u.arms.map((a) => a.name).join(', ');
  w.block(`function ${ctx.local('toJSON', u.name)}(v: ${name}): ${json} {`, () => {
    w.block('switch (v.kind) {', () => {
      for (const a of u.arms) w.line(`case ${str(a.name)}: return { ${propKey(a.name)}: ${toJson(ctx, a.type, 'v.value')} };`);
    });
    w.line(`throw new TypeError(${str(`${u.name}: unknown kind `)} + String((v as { kind?: unknown }).kind));`);
  });
  w.line();
  w.block(`function ${ctx.local('fromJSON', u.name)}(j: unknown, path: string): ${name} {`, () => {
    w.line(`const o = ${ctx.rt('fromJsonObject')}(j, path);`);
    w.line('const keys = Object.keys(o);');
    w.line(
      `if (keys.length !== 1) throw new ${ctx.rt('JsonDecodeError')}(path, ${str(`expected exactly one of: ${known}; got `)} + keys.length + ' properties');`,
    );
    w.block('switch (keys[0]) {', () => {
      for (const a of u.arms) {
        w.line(`case ${str(a.name)}: return { kind: ${str(a.name)}, value: ${fromJson(ctx, a.type, own('o', a.name), pathOf(a.name))} };`);
      }
    });
    w.line(`return ${ctx.rt('unknownJsonKey')}(path, keys[0]!, ${str(known)});`);
  });
}

export function emitEnumJson(ctx: ModuleContext, w: CodeWriter, e: IrEnum, name: string): void {
  w.block(`function ${ctx.local('fromJSON', e.name)}(j: unknown, path: string): ${name} {`, () => {
    w.block('switch (j) {', () => {
      for (const m of e.members) w.line(`case ${str(m.name)}: return ${str(m.name)};`);
    });
    w.line(`throw new ${ctx.rt('JsonDecodeError')}(path, ${str(`expected one of: ${e.members.map((m) => m.name).join(', ')}`)});`);
  });
}
