/**
 * `toJSON`/`fromJSON` of structs, unions and enums: the canonical JSON form of
 * docs/generated-code.md. `fromJSON` checks types and integer ranges (constraints are `validate`'s
 * job), rejects unknown properties (the JSON Schemas say `additionalProperties: false`), and gives
 * absent required fields their default or zero value.
 */
import type { IrEnum, IrStruct, IrType, IrUnion, ScalarName } from '../../ir/ir.ts';
import { bigintLiteral, cases, expr, identifier, lit, member, numberLiteral, object, property, stmt, stmts, type Syntax } from '../shared/ts/index.ts';
import { INT_RANGES, type ModuleContext } from './context.ts';
import { absentExpr } from './emit-types.ts';

type Expression = Syntax.Expression;

/** JSON form of `x` (type `t`) as an expression; `depth` keeps lambda parameters distinct. */
function toJson(ctx: ModuleContext, t: IrType, x: Expression, depth = 1): Expression {
  switch (t.kind) {
    case 'array': {
      const e = `e${depth}`;
      const inner = toJson(ctx, t.element, identifier(e), depth + 1);
      return inner.type === 'Identifier' && inner.name === e ? expr`${x}.slice()` : expr`${x}.map((${e}) => ${inner})`;
    }
    case 'map': {
      const v = `v${depth}`;
      return expr`${ctx.rt('toJsonMap')}(${x}, (${v}) => ${toJson(ctx, t.value, identifier(v), depth + 1)})`;
    }
    case 'named':
      return ctx.decl(t.name).kind === 'enum' ? x : expr`${ctx.fn('toJSON', t.name)}(${x})`;
    case 'scalar':
      switch (t.scalar) {
        case 'u64':
        case 'i64':
          return expr`${x}.toString()`;
        case 'f32':
          return expr`${ctx.rt('toJsonF32')}(${x})`;
        case 'f64':
          return expr`${ctx.rt('toJsonFloat')}(${x})`;
        case 'bytes':
          return expr`${ctx.rt('toJsonBytes')}(${x})`;
        case 'timestamp':
          return expr`${ctx.rt('toJsonTimestamp')}(${x})`;
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
function fromJson(ctx: ModuleContext, t: IrType, x: Expression, p: Expression, depth = 1): Expression {
  switch (t.kind) {
    case 'array': {
      const [e, ep] = [`e${depth}`, `p${depth}`];
      return expr`${ctx.rt('fromJsonList')}(${x}, ${p}, (${e}, ${ep}) => ${fromJson(ctx, t.element, identifier(e), identifier(ep), depth + 1)})`;
    }
    case 'map': {
      const [k, kp, v, vp] = [`k${depth}`, `q${depth}`, `v${depth}`, `p${depth}`];
      const key = t.key.kind === 'scalar' ? t.key.scalar : 'string';
      const range = INT_RANGES[key];
      const keyFn = !range
        ? expr`(${k}) => ${k}`
        : key === 'u64' || key === 'i64'
          ? expr`(${k}, ${kp}) => ${ctx.rt('fromJsonBigIntKey')}(${k}, ${kp}, ${bigintLiteral(range[0])}, ${bigintLiteral(range[1])})`
          : expr`(${k}, ${kp}) => ${ctx.rt('fromJsonIntKey')}(${k}, ${kp}, ${numberLiteral(Number(range[0]))}, ${numberLiteral(Number(range[1]))})`;
      return expr`${ctx.rt('fromJsonMap')}(${x}, ${p}, ${keyFn}, (${v}, ${vp}) => ${fromJson(ctx, t.value, identifier(v), identifier(vp), depth + 1)})`;
    }
    case 'named':
      return expr`${ctx.fn('fromJSON', t.name)}(${x}, ${p})`;
    case 'scalar': {
      const range = INT_RANGES[t.scalar];
      if (range) {
        return t.scalar === 'u64' || t.scalar === 'i64'
          ? expr`${ctx.rt('fromJsonBigInt')}(${x}, ${p}, ${bigintLiteral(range[0])}, ${bigintLiteral(range[1])})`
          : expr`${ctx.rt('fromJsonInt')}(${x}, ${p}, ${numberLiteral(Number(range[0]))}, ${numberLiteral(Number(range[1]))})`;
      }
      return expr`${ctx.rt(SCALAR_FROM[t.scalar]!)}(${x}, ${p})`;
    }
  }
}

/** Reads own property `name` of `o` (a `__proto__` key must be an own property to count). */
function own(o: string, name: string): Expression {
  return name === '__proto__' ? expr`Object.prototype.hasOwnProperty.call(${o}, '__proto__') ? ${o}['__proto__'] : undefined` : member(identifier(o), name);
}

/** `` `${path}/<name>` ``: the JSON Pointer of a property, escaped (RFC 6901). */
export function pathOf(name: string): Expression {
  const token = name.replace(/~/g, '~0').replace(/\//g, '~1');
  return { type: 'TemplateLiteral', quasis: ['', `/${token.replace(/[`\\]|\$(?=\{)/g, (c) => `\\${c}`)}`], expressions: [identifier('path')] };
}

export function structJson(ctx: ModuleContext, s: IrStruct, name: string): Syntax.Statement[] {
  const json = ctx.rtType('JsonValue');
  const v = identifier('v');
  const o = identifier('o');
  const firstOptional = s.fields.findIndex((f) => f.optional);
  const lead = firstOptional < 0 ? s.fields : s.fields.slice(0, firstOptional);
  const rest = s.fields.slice(lead.length);
  const initial = object(
    lead.map((f) => property(f.name, toJson(ctx, f.type, member(v, f.name)))),
    lead.length > 0,
  );
  const sets = rest.map((f) => {
    const value = toJson(ctx, f.type, member(v, f.name));
    const set = f.name === '__proto__' ? stmt`${ctx.rt('setJsonKey')}(o, '__proto__', ${value});` : stmt`${member(o, f.name)} = ${value};`;
    return f.optional ? stmt`if (${member(v, f.name)} !== undefined) ${set}` : set;
  });

  const known = s.fields.map((f) => f.name).join(', ');
  const accepted = s.fields.map((f, i) =>
    i === s.fields.length - 1
      ? cases`case ${lit(f.name)}:
    continue;`
      : cases`case ${lit(f.name)}:`,
  );
  const result =
    s.fields.length === 0
      ? stmt`return {};`
      : stmt`return {
          ${s.fields.map((f) => {
            const x = own('o', f.name);
            const absent = f.optional ? identifier('undefined') : absentExpr(ctx, f);
            return property(f.name, expr`${x} === undefined ? ${absent} : ${fromJson(ctx, f.type, x, pathOf(f.name))}`);
          })}
        };`;

  return stmts`function ${ctx.local('toJSON', s.name)}(v: ${name}): ${json} {
      const o: { [key: string]: ${json} } = ${initial};
      ${sets}
      return o;
    }

    function ${ctx.local('fromJSON', s.name)}(j: unknown, path: string): ${name} {
      const o = ${ctx.rt('fromJsonObject')}(j, path);
      for (const k of Object.keys(o)) {
        ${
          s.fields.length > 0
            ? stmts`switch (k) {
          ${accepted}
        }`
            : []
        }
        ${ctx.rt('unknownJsonKey')}(path, k, ${lit(known || 'no properties')});
      }
      ${result}
    }`;
}

export function unionJson(ctx: ModuleContext, u: IrUnion, name: string): Syntax.Statement[] {
  const json = ctx.rtType('JsonValue');
  const known = u.arms.map((a) => a.name).join(', ');
  const value = expr`v.value`;
  return stmts`function ${ctx.local('toJSON', u.name)}(v: ${name}): ${json} {
      switch (v.kind) {
        ${u.arms.map((a) => cases`case ${lit(a.name)}: return ${object([property(a.name, toJson(ctx, a.type, value))], false)};`)}
      }
      throw new TypeError(${lit(`${u.name}: unknown kind `)} + String((v as { kind?: unknown }).kind));
    }

    function ${ctx.local('fromJSON', u.name)}(j: unknown, path: string): ${name} {
      const o = ${ctx.rt('fromJsonObject')}(j, path);
      const keys = Object.keys(o);
      if (keys.length !== 1) throw new ${ctx.rt('JsonDecodeError')}(path, ${lit(`expected exactly one of: ${known}; got `)} + keys.length + ' properties');
      switch (keys[0]) {
        ${u.arms.map((a) => cases`case ${lit(a.name)}: return { kind: ${lit(a.name)}, value: ${fromJson(ctx, a.type, own('o', a.name), pathOf(a.name))} };`)}
      }
      return ${ctx.rt('unknownJsonKey')}(path, keys[0]!, ${lit(known)});
    }`;
}

export function enumJson(ctx: ModuleContext, e: IrEnum, name: string): Syntax.Statement[] {
  return stmts`function ${ctx.local('fromJSON', e.name)}(j: unknown, path: string): ${name} {
      switch (j) {
        ${e.members.map((m) => cases`case ${lit(m.name)}: return ${lit(m.name)};`)}
      }
      throw new ${ctx.rt('JsonDecodeError')}(path, ${lit(`expected one of: ${e.members.map((m) => m.name).join(', ')}`)});
    }`;
}
