import type * as A from '../ast/nodes.ts';
import type { DeclSymbol } from '../binder/binder.ts';
import type { LoadedFile } from '../binder/load.ts';
import {
  MAX_FIELD_NUMBER,
  type IrConstraints,
  type IrEnum,
  type IrErrorSet,
  type IrField,
  type IrStruct,
  type IrType,
  type IrTypeDecl,
  type IrUnion,
  type IrValue,
  type ScalarName,
} from '../ir/ir.ts';
import type { CheckContext } from './context.ts';
import { didYouMean } from './suggest.ts';
import { parseDurationUs } from './units.ts';
import { codePointLength } from '../../runtime/index.ts';
import { stringExample, stringProblem } from '../ir/string-example.ts';

const INT_RANGES: Partial<Record<ScalarName, readonly [bigint, bigint]>> = {
  u8: [0n, 255n],
  u16: [0n, 65535n],
  u32: [0n, 4294967295n],
  u64: [0n, 18446744073709551615n],
  i8: [-128n, 127n],
  i16: [-32768n, 32767n],
  i32: [-2147483648n, 2147483647n],
  i64: [-9223372036854775808n, 9223372036854775807n],
};
const FLOATS: ReadonlySet<string> = new Set(['f32', 'f64']);
const F32_MAX = 3.4028234663852886e38;
export const FORMATS: ReadonlySet<string> = new Set([
  'date-time',
  'date',
  'time',
  'duration',
  'email',
  'idn-email',
  'hostname',
  'idn-hostname',
  'ipv4',
  'ipv6',
  'uri',
  'uri-reference',
  'iri',
  'iri-reference',
  'uri-template',
  'uuid',
  'json-pointer',
  'relative-json-pointer',
  'regex',
]);
const CONSTRAINTS = ['min', 'max', 'minLength', 'maxLength', 'minItems', 'maxItems', 'pattern', 'format', 'example'] as const;
type ConstraintName = (typeof CONSTRAINTS)[number];
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const RFC3339_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

export interface TypeCheckResult {
  readonly types: IrTypeDecl[];
  readonly errorSets: IrErrorSet[];
}

/** Checks every struct, union, enum and error set, and lowers them to IR. */
export function checkTypes(ctx: CheckContext, files: readonly LoadedFile[], packageOf: (f: LoadedFile) => string): TypeCheckResult {
  const types: IrTypeDecl[] = [];
  const errorSets: IrErrorSet[] = [];
  const structs: { decl: A.StructDecl; ir: IrStruct }[] = [];
  for (const file of files) {
    const pkg = packageOf(file);
    for (const decl of file.parsed.ast.decls) {
      const base = {
        name: pkg ? `${pkg}.${declName(decl)}` : declName(decl),
        shortName: declName(decl),
        package: pkg,
        ...(decl.doc ? { doc: decl.doc } : {}),
        source: ctx.source(decl.span),
      };
      if (decl.kind === 'struct') {
        const ir: IrStruct = {
          kind: 'struct',
          ...base,
          fields: checkMembers(ctx, file, decl.fields, decl.reserved, 'struct'),
          reserved: reservedNumbers(decl.reserved),
        };
        types.push(ir);
        structs.push({ decl, ir });
      } else if (decl.kind === 'union') {
        if (decl.arms.length === 0 && !decl.recovered)
          ctx.diagnostics.add('emptyDeclaration', { kind: 'union', name: decl.name.text }, decl.name.span, { help: 'add at least one arm: `name: Type @1;`' });
        const ir: IrUnion = {
          kind: 'union',
          ...base,
          arms: checkMembers(ctx, file, decl.arms, decl.reserved, 'union'),
          reserved: reservedNumbers(decl.reserved),
        };
        types.push(ir);
      } else if (decl.kind === 'enum') {
        types.push({ kind: 'enum', ...base, members: checkEnumMembers(ctx, decl, 'enum') } satisfies IrEnum);
      } else if (decl.kind === 'errors') {
        errorSets.push({ kind: 'errors', ...base, members: checkEnumMembers(ctx, decl, 'errors') });
      }
    }
  }
  reportInfiniteStructs(
    ctx,
    structs,
    types.filter((t): t is IrUnion => t.kind === 'union'),
  );
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return { types: types.sort(byName), errorSets: errorSets.sort(byName) };
}

function declName(decl: A.Decl): string {
  return decl.kind === 'topic' ? (decl.address?.text ?? '') : decl.kind === 'intent' ? (decl.name?.text ?? '') : decl.name.text;
}

function reservedNumbers(reserved: readonly A.ReservedDecl[]): number[] {
  return [...new Set(reserved.flatMap((r) => r.numbers.map((n) => (n.kind === 'number' ? n.value : NaN))).filter(Number.isInteger))].sort((a, b) => a - b);
}

function checkMembers(
  ctx: CheckContext,
  file: LoadedFile,
  fields: readonly A.FieldDecl[],
  reserved: readonly A.ReservedDecl[],
  owner: 'struct' | 'union',
): IrField[] {
  const out: IrField[] = [];
  const names = new Map<string, A.FieldDecl>();
  const numbers = new Map<number, A.FieldDecl>();
  const reservedSet = new Set<number>();
  for (const r of reserved) {
    for (const n of r.numbers) {
      const num = fieldNumber(ctx, n);
      if (num !== undefined) reservedSet.add(num);
    }
  }
  for (const f of fields) {
    const prior = names.get(f.name.text);
    if (prior) {
      ctx.diagnostics.add('duplicateName', { name: f.name.text }, f.name.span, {
        help: 'give each field its own name',
        notes: [{ message: 'first declared here', span: prior.name.span }],
      });
    } else names.set(f.name.text, f);
    const number = f.number ? fieldNumber(ctx, f.number) : undefined;
    if (number !== undefined && f.number) {
      const other = numbers.get(number);
      if (other) {
        ctx.diagnostics.add('duplicateFieldNumber', { number, other: other.name.text }, f.number.span, {
          help: `the next free number is @${nextFree(numbers, reservedSet)}`,
        });
      } else if (reservedSet.has(number)) {
        ctx.diagnostics.add('reservedFieldNumber', { number }, f.number.span, { help: `retired numbers stay retired; use @${nextFree(numbers, reservedSet)}` });
      } else numbers.set(number, f);
    }
    if (!f.type) continue;
    const optional = f.optionalMark || f.type.kind === 'optional';
    if (f.optionalMark && f.type.kind === 'optional') {
      ctx.diagnostics.add('nestedOptional', { where: 'twice on the same field' }, f.type.span, {
        help: `write either '${f.name.text}?:' or a trailing '?' on the type, not both`,
      });
    }
    const typeExpr = f.type.kind === 'optional' ? f.type.inner : f.type;
    const type = lowerType(ctx, file, typeExpr);
    if (!type) continue;
    if (owner === 'union' && f.defaultValue) {
      ctx.diagnostics.add('defaultTypeMismatch', { value: describeLiteral(f.defaultValue), type: 'a union arm' }, f.defaultValue.span, {
        help: 'union arms cannot have defaults; a union value always names its arm',
      });
    }
    const constraints = checkConstraints(ctx, f, type);
    checkExample(ctx, f, constraints, f.defaultValue !== undefined && owner === 'struct');
    const field: IrField = {
      name: f.name.text,
      number: number ?? 0,
      type,
      optional,
      constraints,
      ...(f.doc ? { doc: f.doc } : {}),
    };
    if (f.defaultValue && owner === 'struct') {
      const value = checkDefault(ctx, file, f.defaultValue, type, typeExpr);
      if (value !== undefined) {
        checkDefaultAgainstConstraints(ctx, f.defaultValue, value, constraints, type);
        out.push({ ...field, default: value });
        continue;
      }
    }
    out.push(field);
  }
  return out;
}

function nextFree(used: ReadonlyMap<number, unknown>, reserved: ReadonlySet<number>): number {
  let n = 1;
  while (used.has(n) || reserved.has(n)) n++;
  return n;
}

function fieldNumber(ctx: CheckContext, lit: A.Literal): number | undefined {
  if (lit.kind !== 'number' || lit.integer === null) return undefined;
  if (lit.integer < 1n || lit.integer > BigInt(MAX_FIELD_NUMBER)) {
    ctx.diagnostics.add('fieldNumberRange', { number: lit.text, max: MAX_FIELD_NUMBER }, lit.span, { help: 'field numbers start at @1' });
    return undefined;
  }
  return Number(lit.integer);
}

/** Resolves a type expression to IR; a `?` met here is inside an array or map, where it is an error. */
export function lowerType(ctx: CheckContext, file: LoadedFile, t: A.TypeExpr): IrType | undefined {
  switch (t.kind) {
    case 'optional':
      ctx.diagnostics.add('nestedOptional', { where: 'inside an array or map' }, t.span, {
        help: 'make the whole field optional instead (`name?: T[]`), or drop the ?',
      });
      return lowerType(ctx, file, t.inner);
    case 'array': {
      const element = lowerType(ctx, file, t.element);
      return element && { kind: 'array', element };
    }
    case 'map': {
      const key = lowerType(ctx, file, t.key);
      const value = lowerType(ctx, file, t.value);
      if (key && !(key.kind === 'scalar' && (key.scalar === 'string' || key.scalar in INT_RANGES))) {
        ctx.diagnostics.add('invalidMapKey', { type: typeText(t.key) }, t.key.span, { help: 'write map<string, V> or map<u32, V> (any integer type)' });
        return undefined;
      }
      return key && value && { kind: 'map', key, value };
    }
    case 'named': {
      const found = ctx.lookupDecl(file, t.name, ['struct', 'union', 'enum'], 'a type');
      if (!found) return undefined;
      if ('scalar' in found) return { kind: 'scalar', scalar: found.scalar as ScalarName };
      return { kind: 'named', name: found.fqName, declKind: found.decl.kind as 'struct' | 'union' | 'enum' };
    }
  }
}

export function typeText(t: A.TypeExpr): string {
  switch (t.kind) {
    case 'named':
      return t.name.text;
    case 'array':
      return `${typeText(t.element)}[]`;
    case 'optional':
      return `${typeText(t.inner)}?`;
    case 'map':
      return `map<${typeText(t.key)}, ${typeText(t.value)}>`;
  }
}

export function irTypeText(t: IrType): string {
  switch (t.kind) {
    case 'scalar':
      return t.scalar;
    case 'named':
      return t.name.split('.').pop() ?? t.name;
    case 'array':
      return `${irTypeText(t.element)}[]`;
    case 'map':
      return `map<${irTypeText(t.key)}, ${irTypeText(t.value)}>`;
  }
}

function applicable(name: ConstraintName, type: IrType): boolean {
  const scalar = type.kind === 'scalar' ? type.scalar : undefined;
  switch (name) {
    case 'min':
    case 'max':
      return scalar !== undefined && (scalar in INT_RANGES || FLOATS.has(scalar));
    case 'minLength':
    case 'maxLength':
      return scalar === 'string' || scalar === 'bytes';
    case 'minItems':
    case 'maxItems':
      return type.kind === 'array' || type.kind === 'map';
    case 'pattern':
    case 'format':
    case 'example':
      return scalar === 'string';
  }
}

function checkConstraints(ctx: CheckContext, f: A.FieldDecl, type: IrType): IrConstraints {
  const out: Record<string, number | bigint | string> = {};
  const seen = new Set<string>();
  for (const c of f.constraints) {
    const name = c.name.text;
    if (!(CONSTRAINTS as readonly string[]).includes(name)) {
      ctx.diagnostics.add('unknownConstraint', { name }, c.name.span, { help: didYouMean(name, CONSTRAINTS, `constraints are ${CONSTRAINTS.join(', ')}`)! });
      continue;
    }
    if (seen.has(name)) {
      ctx.diagnostics.add('duplicateConstraint', { name }, c.name.span, { help: 'keep one of them' });
      continue;
    }
    seen.add(name);
    const cn = name as ConstraintName;
    if (!applicable(cn, type)) {
      ctx.diagnostics.add('constraintNotApplicable', { constraint: name, type: irTypeText(type) }, c.name.span, { help: constraintHelp(cn) });
      continue;
    }
    const v = c.value;
    if (!v) continue;
    if (cn === 'pattern' || cn === 'format' || cn === 'example') {
      if (v.kind !== 'string') {
        ctx.diagnostics.add('constraintValueType', { name, expected: 'a string', found: describeLiteral(v) }, v.span, { help: `write ${name} = "…"` });
        continue;
      }
      if (cn === 'pattern') {
        try {
          new RegExp(v.value, 'u');
        } catch (err) {
          ctx.diagnostics.add('invalidRegex', { reason: (err as Error).message.replace(/^Invalid regular expression: /, '') }, v.span, {
            help: 'patterns use ECMAScript regular expression syntax (with the u flag); escape \\ as \\\\ inside strings',
          });
          continue;
        }
      } else if (cn === 'format' && !FORMATS.has(v.value)) {
        ctx.diagnostics.add('unknownFormat', { format: v.value }, v.span, { help: didYouMean(v.value, FORMATS, `known formats: ${[...FORMATS].join(', ')}`)! });
        continue;
      }
      out[cn] = v.value;
      continue;
    }
    if (v.kind !== 'number') {
      ctx.diagnostics.add('constraintValueType', { name, expected: 'a number', found: describeLiteral(v) }, v.span, { help: `write ${name} = 10` });
      continue;
    }
    if (cn === 'min' || cn === 'max') {
      const scalar = (type as { scalar: ScalarName }).scalar;
      const range = INT_RANGES[scalar];
      if (range) {
        if (v.integer === null) {
          ctx.diagnostics.add('constraintValueType', { name, expected: `an integer (the field is ${scalar})`, found: v.text }, v.span, {
            help: 'integer fields take integer bounds',
          });
          continue;
        }
        if (v.integer < range[0] || v.integer > range[1]) {
          ctx.diagnostics.add('valueOutOfRange', { what: `${name} bound`, value: v.text, range: `${scalar} is ${range[0]} to ${range[1]}` }, v.span, {
            help: `pick a bound inside the range of ${scalar}, or widen the type`,
          });
          continue;
        }
        out[cn] = scalar === 'u64' || scalar === 'i64' ? v.integer : Number(v.integer);
      } else {
        if (scalar === 'f32' && Math.abs(v.value) > F32_MAX) {
          ctx.diagnostics.add('valueOutOfRange', { what: `${name} bound`, value: v.text, range: 'f32' }, v.span, { help: 'use f64 for larger bounds' });
          continue;
        }
        out[cn] = v.value;
      }
      continue;
    }
    if (v.integer === null || v.integer < 0n || v.integer > 4294967295n) {
      ctx.diagnostics.add('constraintValueType', { name, expected: 'a whole number from 0 to 4294967295', found: v.text }, v.span, {
        help: `${name} counts ${cn.endsWith('Items') ? 'items' : 'characters or bytes'}`,
      });
      continue;
    }
    out[cn] = Number(v.integer);
  }
  for (const [lo, hi] of [
    ['min', 'max'],
    ['minLength', 'maxLength'],
    ['minItems', 'maxItems'],
  ] as const) {
    const a = out[lo];
    const b = out[hi];
    if (a !== undefined && b !== undefined && (typeof a === 'bigint' || typeof b === 'bigint' ? BigInt(a) > BigInt(b) : (a as number) > (b as number))) {
      const at = f.constraints.find((c) => c.name.text === lo)!;
      ctx.diagnostics.add('minGreaterThanMax', { min: lo, minValue: String(a), max: hi, maxValue: String(b) }, at.span, { help: 'swap the two bounds' });
    }
  }
  return out;
}

function constraintHelp(name: ConstraintName): string {
  switch (name) {
    case 'min':
    case 'max':
      return `${name} applies to integer and float fields`;
    case 'minLength':
    case 'maxLength':
      return `${name} applies to string and bytes fields; for arrays use ${name.replace('Length', 'Items')}`;
    case 'minItems':
    case 'maxItems':
      return `${name} applies to arrays and maps; for strings use ${name.replace('Items', 'Length')}`;
    default:
      return `${name} applies to string fields`;
  }
}

export function describeLiteral(l: A.Literal): string {
  switch (l.kind) {
    case 'string':
      return `string ${JSON.stringify(l.value)}`;
    case 'number':
      return `number ${l.text}`;
    case 'quantity':
      return `quantity ${l.text}`;
    case 'bool':
      return `boolean ${l.value}`;
    case 'name':
      return `name '${l.name.text}'`;
    case 'list':
      return 'a list';
  }
}

/** Checks a default against the field type and lowers it to an IR value. */
function checkDefault(ctx: CheckContext, file: LoadedFile, lit: A.Literal, type: IrType, typeExpr: A.TypeExpr): IrValue | undefined {
  const mismatch = (help: string): undefined => {
    ctx.diagnostics.add('defaultTypeMismatch', { value: describeLiteral(lit), type: irTypeText(type) }, lit.span, { help });
    return undefined;
  };
  if (type.kind === 'array') {
    if (lit.kind !== 'list') return mismatch('array defaults are lists: = [1, 2]');
    const elemExpr = typeExpr.kind === 'array' ? typeExpr.element : typeExpr;
    const items: IrValue[] = [];
    for (const item of lit.items) {
      const v = checkDefault(ctx, file, item, type.element, elemExpr);
      if (v === undefined) return undefined;
      items.push(v);
    }
    return items;
  }
  if (type.kind === 'map') return mismatch('maps cannot have defaults; an absent map is empty');
  if (type.kind === 'named') {
    if (type.declKind !== 'enum') return mismatch(`${type.declKind} fields cannot have defaults`);
    if (lit.kind !== 'name') return mismatch('enum defaults name a member: = ok');
    const sym = typeExpr.kind === 'named' ? ctx.binder.resolve(file, typeExpr.name) : undefined;
    const decl = sym?.kind === 'decl' && sym.symbol.decl.kind === 'enum' ? sym.symbol.decl : undefined;
    const parts = lit.name.parts.map((p) => p.text);
    const member = parts[parts.length - 1]!;
    if (decl && parts.length > 1 && parts[parts.length - 2] !== decl.name.text)
      return mismatch(`write the member name alone, e.g. = ${decl.members[0]?.name.text ?? 'member'}`);
    if (decl && !decl.members.some((m) => m.name.text === member)) {
      ctx.diagnostics.add('unknownEnumMember', { enum: decl.name.text, name: member }, lit.span, {
        help: ctx.suggester.didYouMean(
          member,
          decl.members.map((m) => m.name.text),
          `members: ${decl.members.map((m) => m.name.text).join(', ')}`,
        )!,
      });
      return undefined;
    }
    return { enumMember: member };
  }
  const s = type.scalar;
  const range = INT_RANGES[s];
  if (range) {
    if (lit.kind !== 'number' || lit.integer === null) return mismatch(`${s} defaults are whole numbers`);
    if (lit.integer < range[0] || lit.integer > range[1]) {
      ctx.diagnostics.add('valueOutOfRange', { what: 'default', value: lit.text, range: `${s} is ${range[0]} to ${range[1]}` }, lit.span, {
        help: 'pick a value inside the range, or widen the type',
      });
      return undefined;
    }
    return s === 'u64' || s === 'i64' ? lit.integer : Number(lit.integer);
  }
  switch (s) {
    case 'f32':
    case 'f64':
      if (lit.kind !== 'number') return mismatch('float defaults are numbers: = 0.5');
      if (s === 'f32' && Math.abs(lit.value) > F32_MAX) return mismatch('the value is beyond the f32 range; use f64');
      return lit.value;
    case 'bool':
      return lit.kind === 'bool' ? lit.value : mismatch('bool defaults are true or false');
    case 'string':
      return lit.kind === 'string' ? lit.value : mismatch('string defaults are quoted: = "text"');
    case 'uuid':
      return lit.kind === 'string' && UUID_RE.test(lit.value)
        ? lit.value.toLowerCase()
        : mismatch('uuid defaults are quoted UUIDs: = "123e4567-e89b-12d3-a456-426614174000"');
    case 'timestamp':
      return lit.kind === 'string' && isRfc3339(lit.value)
        ? lit.value
        : mismatch('timestamp defaults are RFC 3339 strings of real dates: = "2026-01-01T00:00:00Z"');
    case 'duration': {
      if (lit.kind !== 'quantity') return mismatch('duration defaults carry a unit: = 250ms');
      const us = parseDurationUs(lit);
      return us === undefined ? mismatch('duration units are us, ms and s') : us;
    }
    case 'bytes':
      return lit.kind === 'string' && /^(?:[0-9a-fA-F]{2})*$/.test(lit.value) ? lit.value.toLowerCase() : mismatch('bytes defaults are hex strings: = "00ff"');
    case 'json':
      return jsonValue(lit) ?? mismatch('json defaults are strings, numbers, booleans or lists of them');
  }
  return undefined;
}

/** RFC 3339 with a real calendar date and time (Date.parse alone accepts 2026-02-30). */
function isRfc3339(text: string): boolean {
  if (!RFC3339_RE.test(text) || Number.isNaN(Date.parse(text))) return false;
  const [y, mo, d, h, mi, s] = text.slice(0, 19).split(/[-T:]/).map(Number) as [number, number, number, number, number, number];
  const probe = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return (
    probe.getUTCFullYear() === y &&
    probe.getUTCMonth() === mo - 1 &&
    probe.getUTCDate() === d &&
    probe.getUTCHours() === h &&
    probe.getUTCMinutes() === mi &&
    s < 60
  );
}

function jsonValue(lit: A.Literal): IrValue | undefined {
  switch (lit.kind) {
    case 'string':
      return lit.value;
    case 'number':
      return lit.value;
    case 'bool':
      return lit.value;
    case 'list': {
      const items = lit.items.map(jsonValue);
      return items.every((i) => i !== undefined) ? items : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Every generated `example()` must validate, and so must the examples the facts ship to LLM hosts: a
 * string field needs an example that satisfies its constraints, derived (compiler/ir/string-example.ts)
 * or written as `example = "…"`. A field with a default takes the default as its example.
 */
function checkExample(ctx: CheckContext, f: A.FieldDecl, c: IrConstraints, hasDefault: boolean): void {
  if (c.example !== undefined) {
    const problem = stringProblem(c.example, c);
    const at = f.constraints.find((x) => x.name.text === 'example')?.value?.span ?? f.name.span;
    if (problem !== undefined)
      ctx.diagnostics.add('noValidExample', { field: f.name.text, reason: `example ${JSON.stringify(c.example)} violates ${problem}` }, at, {
        help: 'write an example that satisfies every constraint of the field',
      });
    return;
  }
  if (hasDefault || (c.pattern === undefined && c.format === undefined && c.minLength === undefined && c.maxLength === undefined)) return;
  if (stringExample(c) !== undefined) return;
  const stated = (['format', 'pattern', 'minLength', 'maxLength'] as const)
    .filter((k) => c[k] !== undefined)
    .map((k) => `${k} = ${typeof c[k] === 'string' ? JSON.stringify(c[k]) : String(c[k])}`)
    .join(', ');
  ctx.diagnostics.add('noValidExample', { field: f.name.text, reason: `no sample satisfies ${stated}` }, f.name.span, {
    help: 'add an explicit example to the constraints: (…, example = "a value that matches")',
  });
}

function checkDefaultAgainstConstraints(ctx: CheckContext, lit: A.Literal, value: IrValue, c: IrConstraints, type: IrType): void {
  const fail = (constraint: string) =>
    ctx.diagnostics.add('defaultViolatesConstraint', { value: describeLiteral(lit), constraint }, lit.span, {
      help: 'change the default or relax the constraint',
    });
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (c.min !== undefined && value < c.min) fail(`min = ${c.min}`);
    else if (c.max !== undefined && value > c.max) fail(`max = ${c.max}`);
  } else if (typeof value === 'string') {
    // Lengths count characters of strings but bytes of `bytes` (whose default is written in hex).
    const len = type.kind === 'scalar' && type.scalar === 'bytes' ? value.length / 2 : codePointLength(value);
    if (c.minLength !== undefined && len < c.minLength) fail(`minLength = ${c.minLength}`);
    else if (c.maxLength !== undefined && len > c.maxLength) fail(`maxLength = ${c.maxLength}`);
    else if (c.pattern !== undefined && !new RegExp(c.pattern, 'u').test(value)) fail(`pattern = ${JSON.stringify(c.pattern)}`);
  } else if (Array.isArray(value)) {
    if (c.minItems !== undefined && value.length < c.minItems) fail(`minItems = ${c.minItems}`);
    else if (c.maxItems !== undefined && value.length > c.maxItems) fail(`maxItems = ${c.maxItems}`);
  }
}

function checkEnumMembers(ctx: CheckContext, decl: A.EnumDecl | A.ErrorsDecl, kind: 'enum' | 'errors') {
  if (decl.members.length === 0 && !decl.recovered) {
    ctx.diagnostics.add('emptyDeclaration', { kind: kind === 'enum' ? 'enum' : 'error set', name: decl.name.text }, decl.name.span, {
      help: kind === 'enum' ? 'add a member: `ok = 0;`' : 'add an error code: `FAILED = 1;`',
    });
  }
  const names = new Map<string, A.EnumMember>();
  const values = new Map<number, A.EnumMember>();
  const out: { name: string; value: number; doc?: string; message?: string }[] = [];
  for (const m of decl.members) {
    if (names.has(m.name.text)) {
      ctx.diagnostics.add('duplicateName', { name: m.name.text }, m.name.span, { help: 'each member needs its own name' });
      continue;
    }
    names.set(m.name.text, m);
    if (!m.value || m.value.kind !== 'number' || m.value.integer === null) continue;
    const v = m.value.integer;
    if (kind === 'errors' && (v < 1n || v > 65535n)) {
      ctx.diagnostics.add('errorCodeRange', { value: m.value.text }, m.value.span, { help: 'use a code from 1 to 65535' });
      continue;
    }
    if (kind === 'enum' && (v < -2147483648n || v > 2147483647n)) {
      ctx.diagnostics.add('valueOutOfRange', { what: 'enum value', value: m.value.text, range: '-2147483648 to 2147483647' }, m.value.span, {
        help: 'enum values are 32-bit signed integers',
      });
      continue;
    }
    const num = Number(v);
    const other = values.get(num);
    if (other) {
      const lo = kind === 'errors' ? 1 : 0;
      const hi = kind === 'errors' ? 65535 : 2147483647;
      let free = lo;
      while (values.has(free) && free < hi) free++;
      ctx.diagnostics.add('duplicateEnumValue', { value: num, other: other.name.text }, m.value.span, {
        help: values.has(free) ? 'every value is taken' : `use a value no other member has, e.g. ${free}`,
      });
      continue;
    }
    values.set(num, m);
    const message = (m as A.ErrorMember).message;
    out.push({ name: m.name.text, value: num, ...(m.doc ? { doc: m.doc } : {}), ...(message !== undefined ? { message } : {}) });
  }
  return out;
}

/**
 * A struct has no finite value when every way of building it needs itself: through required struct
 * fields, required arrays or maps that must hold at least one of it (`minItems` ≥ 1), or unions whose
 * arms all need it. Finiteness is a least fixpoint computed with a
 * worklist (linear, no recursion, so long chains cannot exhaust the stack); each cycle of structs left
 * without a finite value is reported once, at its first struct in source order.
 */
function reportInfiniteStructs(ctx: CheckContext, structs: readonly { decl: A.StructDecl; ir: IrStruct }[], unions: readonly IrUnion[]): void {
  type Dep = { to: string; field: string };
  const needs = new Map<string, Dep[]>();
  const unionArms = new Map<string, Dep[]>();
  const finite = new Set<string>();
  const worklist: string[] = [];
  const markFinite = (name: string) => {
    if (!finite.has(name)) {
      finite.add(name);
      worklist.push(name);
    }
  };
  const isAggregate = (t: IrType): t is Extract<IrType, { kind: 'named' }> => t.kind === 'named' && t.declKind !== 'enum';
  // What a required field cannot be built without: its struct or union, or the one its collection must hold.
  const needed = (f: IrField): string | undefined => {
    if (f.optional) return undefined;
    if (isAggregate(f.type)) return f.type.name;
    const inner = f.type.kind === 'array' ? f.type.element : f.type.kind === 'map' ? f.type.value : undefined;
    return inner !== undefined && (f.constraints.minItems ?? 0) > 0 && isAggregate(inner) ? inner.name : undefined;
  };
  for (const { ir } of structs)
    needs.set(
      ir.name,
      ir.fields.flatMap((f) => {
        const to = needed(f);
        return to !== undefined ? [{ to, field: f.name }] : [];
      }),
    );
  for (const u of unions)
    unionArms.set(
      u.name,
      u.arms.filter((a) => isAggregate(a.type)).map((a) => ({ to: (a.type as { name: string }).name, field: a.name })),
    );
  const remaining = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const [name, deps] of needs) {
    remaining.set(name, deps.length);
    for (const d of deps) dependents.set(d.to, [...(dependents.get(d.to) ?? []), name]);
    if (deps.length === 0) markFinite(name);
  }
  for (const u of unions) {
    for (const d of unionArms.get(u.name)!) dependents.set(d.to, [...(dependents.get(d.to) ?? []), u.name]);
    // An arm of a scalar, enum or collection type (or an empty union) builds a finite value directly.
    if (u.arms.length === 0 || u.arms.some((a) => !isAggregate(a.type))) markFinite(u.name);
  }
  while (worklist.length > 0) {
    const done = worklist.pop()!;
    for (const dep of dependents.get(done) ?? []) {
      if (unionArms.has(dep)) markFinite(dep);
      else {
        const left = remaining.get(dep)! - 1;
        remaining.set(dep, left);
        if (left === 0) markFinite(dep);
      }
    }
  }
  const byName = new Map(structs.map((s) => [s.ir.name, s]));
  const reported = new Set<string>();
  for (const start of structs) {
    if (finite.has(start.ir.name) || reported.has(start.ir.name)) continue;
    // Walk through what keeps it infinite until the walk repeats: that loop is the cycle to report.
    const path: { name: string; field: string }[] = [];
    const seenAt = new Map<string, number>();
    let at = start.ir.name;
    while (!seenAt.has(at)) {
      seenAt.set(at, path.length);
      const next = (needs.get(at) ?? unionArms.get(at) ?? []).find((d) => !finite.has(d.to));
      if (!next) break;
      path.push({ name: at, field: next.field });
      at = next.to;
    }
    const cycle = path.slice(seenAt.get(at) ?? path.length);
    const head = cycle.find((p) => byName.has(p.name));
    if (!head || cycle.some((p) => reported.has(p.name))) continue;
    for (const p of cycle) reported.add(p.name);
    const s = byName.get(head.name)!;
    const rotated = [...cycle.slice(cycle.indexOf(head)), ...cycle.slice(0, cycle.indexOf(head))];
    const field = s.decl.fields.find((f) => f.name.text === head.field)!;
    const collection = s.ir.fields.find((f) => f.name === head.field)?.type.kind !== 'named';
    ctx.diagnostics.add(
      'infiniteStruct',
      { name: s.ir.shortName, path: rotated.map((p) => `${p.name.split('.').pop()}.${p.field}`).join(' → ') },
      field.name.span,
      {
        help: collection
          ? `make '${field.name.text}' optional (\`${field.name.text}?:\`) or let it be empty (minItems = 0)`
          : `make '${field.name.text}' optional (\`${field.name.text}?:\`) or an array`,
      },
    );
  }
}

export type { DeclSymbol };
