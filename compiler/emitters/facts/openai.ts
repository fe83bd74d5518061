/**
 * OpenAI strict mode (Structured Outputs / `strict: true` function calling) for midl's JSON Schemas.
 *
 * Strict mode accepts a subset of JSON Schema (reference: idl-anchors.md §4 and the OpenAI SDK's
 * `toStrictJsonSchema`): the root is an object, every object has `additionalProperties: false` and
 * lists every property in `required`, optional fields are nullable, and only a fixed set of keywords
 * is allowed. `toStrictSchema` never fails: keywords outside the set move into the node's
 * `description` (`minLength: 1; default: "main"`), and the two JSON shapes strict mode cannot express
 * are re-shaped, reversibly:
 *
 * - a map (`additionalProperties: <schema>`) becomes an array of `{key, value}` entries;
 * - an unconstrained JSON value (`{}`, or an object schema with no properties) becomes a string of
 *   JSON text.
 *
 * `toStrictArguments` and `fromStrictArguments` convert values between the two forms (absent optional
 * fields ⇄ `null`, maps ⇄ entries, JSON ⇄ JSON text), so that a tool runner can turn the arguments a
 * model produced for the strict schema back into the canonical JSON form of the original schema.
 */
import type { JsonValue } from '../../../runtime/index.ts';
import type { SchemaObject } from './model.ts';

/** Keywords strict mode accepts on any node (besides `format` with a supported value, and root `$defs`). */
export const STRICT_KEYWORDS: ReadonlySet<string> = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'anyOf',
  '$ref',
  'description',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
]);

/** String formats strict mode supports. */
export const STRICT_FORMATS: ReadonlySet<string> = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid']);

/** Keywords dropped without a note: identification and a title that repeats the type name. */
const SILENT_KEYWORDS: ReadonlySet<string> = new Set(['$schema', '$id', '$comment', 'title']);

const JSON_TYPES: ReadonlySet<string> = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

export const MAP_NOTE = 'A map, given as a list of {key, value} entries with distinct keys.';
export const JSON_TEXT_NOTE = 'Any JSON value, given as JSON text in a string.';

type Node = SchemaObject;

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Resolves a local `$ref` (`#` or `#/$defs/<name>`) against the document root. */
function resolveRef(root: Node, ref: string): Node | undefined {
  if (ref === '#') return root;
  const m = /^#\/\$defs\/(.+)$/.exec(ref);
  if (!m) return undefined;
  const defs = root['$defs'];
  const name = m[1]!.replace(/~1/g, '/').replace(/~0/g, '~');
  const target = isNode(defs) ? defs[name] : undefined;
  return isNode(target) ? target : undefined;
}

/** The root as a plain node (its definitions stay where they are). */
function withoutDefs(root: Node): Node {
  const { $defs: _defs, ...rest } = root;
  return rest;
}

/** Follows `$ref`s (with a guard against reference cycles). */
function deref(root: Node, node: Node): Node {
  const seen = new Set<string>();
  let cur = node;
  while (typeof cur['$ref'] === 'string' && !seen.has(cur['$ref'])) {
    seen.add(cur['$ref']);
    const next = resolveRef(root, cur['$ref']);
    if (!next) break;
    cur = next;
  }
  return cur;
}

const hasProperties = (n: Node) => isNode(n['properties']) && Object.keys(n['properties']).length > 0;

/** `{}`-like: no type, reference, combinator or shape; or an object schema open to any property. */
export function isAnySchema(n: Node): boolean {
  const shaped = ['type', '$ref', 'enum', 'const', 'anyOf', 'oneOf', 'allOf', 'properties', 'items', 'additionalProperties'].some((k) => k in n);
  if (!shaped) return true;
  return n['type'] === 'object' && !hasProperties(n) && !('$ref' in n) && (n['additionalProperties'] === undefined || n['additionalProperties'] === true);
}

/** An object schema whose keys are data: no declared properties, values described by `additionalProperties`. */
export function isMapSchema(n: Node): boolean {
  return !hasProperties(n) && isNode(n['additionalProperties']) && (n['type'] === 'object' || n['type'] === undefined);
}

function withNotes(description: unknown, notes: readonly string[]): string | undefined {
  const parts = [
    typeof description === 'string' && description !== '' ? description : undefined,
    ...(notes.length > 0 ? [`(${notes.join('; ')})`] : []),
  ].filter((p) => p !== undefined);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

function note(keyword: string, value: JsonValue): string {
  return `${keyword}: ${JSON.stringify(value)}`;
}

/** The strict-mode form of a root schema (an object schema, such as a struct's). Pure; never throws. */
export function toStrictSchema(schema: Node): Node {
  const out = strictNode(schema, schema, true);
  const defs = schema['$defs'];
  if (isNode(defs) && Object.keys(defs).length > 0) {
    const converted: Node = {};
    for (const [k, d] of Object.entries(defs)) converted[k] = isNode(d) ? strictNode(schema, d, false) : strictNode(schema, {}, false);
    out['$defs'] = converted;
  }
  return out;
}

function strictNode(root: Node, input: Node, isRoot: boolean, stack: ReadonlySet<string> = new Set()): Node {
  let n: Node = { ...input };
  const notes: string[] = [];
  // allOf with one branch is that branch; more cannot be merged exactly, so the first is kept.
  if (Array.isArray(n['allOf'])) {
    const branches = n['allOf'].filter(isNode);
    const { allOf: _allOf, ...rest } = n;
    if (branches.length > 1) notes.push(note('allOf', n['allOf']));
    n = { ...(branches[0] ?? {}), ...rest };
  }
  if ('const' in n) {
    const { const: value, ...rest } = n;
    n = { ...rest, enum: [value ?? null] };
  }
  if (Array.isArray(n['oneOf'])) {
    const { oneOf, ...rest } = n;
    n = { ...rest, anyOf: oneOf };
  }
  if (!isRoot && typeof n['$ref'] === 'string') {
    // Strict mode wants a `$ref` alone: a reference with a description (or noted keywords) is
    // replaced by the converted target, one level deep, carrying that description.
    for (const [k, v] of Object.entries(n)) if (k !== '$ref' && k !== 'description' && !SILENT_KEYWORDS.has(k)) notes.push(note(k, v));
    const target = resolveRef(root, n['$ref']);
    const description = withNotes(n['description'], notes);
    if (description === undefined || !target || stack.has(n['$ref'])) return { $ref: n['$ref'] };
    const inlined = strictNode(root, target === root ? withoutDefs(root) : target, false, new Set(stack).add(n['$ref']));
    if (typeof inlined['$ref'] === 'string') return { $ref: inlined['$ref'] };
    return { ...inlined, description };
  }
  if (!isRoot && isAnySchema(n)) {
    for (const [k, v] of Object.entries(n)) if (k !== 'description' && k !== 'type' && !SILENT_KEYWORDS.has(k)) notes.push(note(k, v));
    return { type: 'string', description: withNotes([n['description'], JSON_TEXT_NOTE].filter((d) => typeof d === 'string').join(' '), notes)! };
  }
  if (!isRoot && isMapSchema(n)) return strictMap(root, n, stack);

  const out: Node = {};
  const t = n['type'];
  const types = Array.isArray(t) ? t : typeof t === 'string' ? [t] : [];
  if (types.includes('object') || hasProperties(n)) {
    const props = isNode(n['properties']) ? n['properties'] : {};
    const required = new Set(Array.isArray(n['required']) ? n['required'].filter((r): r is string => typeof r === 'string') : []);
    const converted: Node = {};
    for (const [k, p] of Object.entries(props)) {
      const strict = strictNode(root, isNode(p) ? p : {}, false, stack);
      converted[k] = required.has(k) ? strict : nullable(strict);
    }
    if (t !== undefined) out['type'] = t;
    else out['type'] = 'object';
    if (typeof n['description'] === 'string') out['description'] = n['description'];
    out['properties'] = converted;
    out['required'] = Object.keys(converted);
    out['additionalProperties'] = false;
    for (const [k, v] of Object.entries(n)) {
      if (['type', 'description', 'properties', 'required', 'additionalProperties', '$defs'].includes(k) || SILENT_KEYWORDS.has(k)) continue;
      keep(out, notes, k, v);
    }
    if (n['additionalProperties'] !== undefined && n['additionalProperties'] !== false) notes.push(note('additionalProperties', n['additionalProperties']));
  } else {
    for (const [k, v] of Object.entries(n)) {
      if (k === '$defs' || SILENT_KEYWORDS.has(k)) continue;
      if (k === 'items') out[k] = isNode(v) ? strictNode(root, v, false, stack) : strictNode(root, {}, false, stack);
      else if (k === 'anyOf') out[k] = (Array.isArray(v) ? v : []).map((b) => strictNode(root, isNode(b) ? b : {}, false, stack));
      else keep(out, notes, k, v);
    }
    // An enum without a type: strict mode wants one, and the values tell which.
    if (Array.isArray(out['enum']) && out['type'] === undefined) {
      const kinds = new Set(out['enum'].map((v) => (v === null ? 'null' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v)));
      if (kinds.has('number')) kinds.delete('integer');
      const list = [...kinds].filter((k) => JSON_TYPES.has(k));
      if (list.length > 0) out['type'] = list.length === 1 ? list[0]! : list;
    }
  }
  const description = withNotes(out['description'], notes);
  if (description !== undefined) out['description'] = description;
  else delete out['description'];
  return out;
}

/** Copies a keyword strict mode knows, or notes it. */
function keep(out: Node, notes: string[], k: string, v: JsonValue): void {
  if (k === 'format') {
    if (typeof v === 'string' && STRICT_FORMATS.has(v)) out[k] = v;
    else notes.push(note(k, v));
  } else if (STRICT_KEYWORDS.has(k)) {
    out[k] = v;
  } else {
    notes.push(note(k, v));
  }
}

function strictMap(root: Node, n: Node, stack: ReadonlySet<string>): Node {
  const notes: string[] = [];
  const key = isNode(n['propertyNames']) ? strictNode(root, { type: 'string', ...n['propertyNames'] }, false, stack) : { type: 'string' };
  const value = strictNode(root, n['additionalProperties'] as Node, false, stack);
  const out: Node = {
    type: 'array',
    items: { type: 'object', properties: { key, value }, required: ['key', 'value'], additionalProperties: false },
  };
  for (const [k, v] of Object.entries(n)) {
    if (['type', 'description', 'additionalProperties', 'propertyNames', 'properties'].includes(k) || SILENT_KEYWORDS.has(k)) continue;
    if (k === 'minProperties') out['minItems'] = v;
    else if (k === 'maxProperties') out['maxItems'] = v;
    else notes.push(note(k, v));
  }
  out['description'] = withNotes([n['description'], MAP_NOTE].filter((d) => typeof d === 'string').join(' '), notes)!;
  return out;
}

/** Makes a converted schema accept `null` too (how strict mode spells an optional field). */
function nullable(s: Node): Node {
  const t = s['type'];
  if (typeof t === 'string' && !('$ref' in s) && !('anyOf' in s)) {
    const out: Node = { ...s, type: t === 'null' ? t : [t, 'null'] };
    if (Array.isArray(s['enum']) && !s['enum'].includes(null)) out['enum'] = [...s['enum'], null];
    return out;
  }
  if (Array.isArray(t) && !('$ref' in s) && !('anyOf' in s)) {
    const out: Node = { ...s, type: t.includes('null') ? t : [...t, 'null'] };
    if (Array.isArray(s['enum']) && !s['enum'].includes(null)) out['enum'] = [...s['enum'], null];
    return out;
  }
  if (Array.isArray(s['anyOf']) && Object.keys(s).every((k) => k === 'anyOf' || k === 'description')) {
    const branches = s['anyOf'];
    return branches.some((b) => isNode(b) && b['type'] === 'null') ? s : { ...s, anyOf: [...branches, { type: 'null' }] };
  }
  const { description, ...rest } = s;
  return { ...(description !== undefined ? { description } : {}), anyOf: [rest, { type: 'null' }] };
}

// ---------------------------------------------------------------------------------------------------
// Values: canonical JSON form ⇄ the form the strict schema describes.

/** Picks the branch of a union a value belongs to: by property names for objects, else by JSON type. */
function pickBranch(root: Node, branches: readonly JsonValue[], value: JsonValue): Node | undefined {
  const nodes = branches.filter(isNode);
  if (isNode(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== null);
    const found = nodes.find((b) => {
      const r = deref(root, b);
      const props = r['properties'];
      return isNode(props) && keys.length > 0 && keys.every((k) => k in props);
    });
    if (found) return found;
  }
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return (
    nodes.find((b) => {
      const r = deref(root, b);
      const t = r['type'];
      const ts = Array.isArray(t) ? t : [t];
      if (Array.isArray(r['enum'])) return r['enum'].some((e) => JSON.stringify(e) === JSON.stringify(value));
      return ts.includes(kind) || (kind === 'number' && ts.includes('integer'));
    }) ?? nodes[0]
  );
}

type Direction = 'toStrict' | 'fromStrict';

function convert(root: Node, schema: Node, value: JsonValue, dir: Direction): JsonValue {
  let n = deref(root, schema);
  if (Array.isArray(n['allOf']) && isNode(n['allOf'][0])) n = { ...deref(root, n['allOf'][0]), ...n };
  const union = Array.isArray(n['oneOf']) ? n['oneOf'] : Array.isArray(n['anyOf']) ? n['anyOf'] : undefined;
  if (union && !hasProperties(n)) {
    const branch = pickBranch(root, union, value);
    return branch ? convert(root, branch, value, dir) : value;
  }
  if (n !== root && isAnySchema(n)) {
    if (dir === 'toStrict') return JSON.stringify(value);
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as JsonValue;
    } catch {
      return value;
    }
  }
  if (isMapSchema(n)) {
    const valueSchema = n['additionalProperties'] as Node;
    if (dir === 'toStrict') {
      if (!isNode(value)) return value;
      return Object.entries(value).map(([key, v]) => ({ key, value: convert(root, valueSchema, v, dir) }));
    }
    if (!Array.isArray(value)) return value;
    const out: { [k: string]: JsonValue } = {};
    for (const e of value) if (isNode(e) && typeof e['key'] === 'string') out[e['key']] = convert(root, valueSchema, e['value'] ?? null, dir);
    return out;
  }
  if (isNode(n['properties']) && isNode(value)) {
    const props = n['properties'];
    const required = new Set(Array.isArray(n['required']) ? n['required'] : []);
    const out: { [k: string]: JsonValue } = {};
    if (dir === 'toStrict') {
      for (const [k, p] of Object.entries(props)) out[k] = k in value ? convert(root, isNode(p) ? p : {}, value[k]!, dir) : null;
    } else {
      for (const [k, v] of Object.entries(value)) {
        const p = props[k];
        if (v === null && !required.has(k)) continue;
        out[k] = p !== undefined && isNode(p) ? convert(root, p, v, dir) : v;
      }
    }
    return out;
  }
  if (isNode(n['items']) && Array.isArray(value)) return value.map((v) => convert(root, n['items'] as Node, v, dir));
  return value;
}

/** A value in canonical JSON form (valid for `schema`) in the form `toStrictSchema(schema)` accepts. */
export function toStrictArguments(schema: Node, value: JsonValue): JsonValue {
  return convert(schema, schema, value, 'toStrict');
}

/** Arguments produced for `toStrictSchema(schema)`, back in the canonical JSON form of `schema`. */
export function fromStrictArguments(schema: Node, value: JsonValue): JsonValue {
  return convert(schema, schema, value, 'fromStrict');
}

// ---------------------------------------------------------------------------------------------------
// Checker: the rules of strict mode, with the published size limits as configurable thresholds.

export interface StrictLimits {
  /** Properties over the whole schema (definitions included). Originally 100; 5,000 since 2026. */
  readonly maxProperties: number;
  /** Levels of object nesting, root = 1. Originally 5; 10 since 2026. */
  readonly maxDepth: number;
  /** Characters of all property names, definition names and enum values together. */
  readonly maxStringChars: number;
  /** Enum values over the whole schema. */
  readonly maxEnumValues: number;
  /** Characters of the values of one enum that has more than `largeEnumValues` values. */
  readonly maxLargeEnumChars: number;
  readonly largeEnumValues: number;
  /** Length of a function description. */
  readonly maxDescription: number;
}

export const DEFAULT_STRICT_LIMITS: StrictLimits = {
  maxProperties: 5000,
  maxDepth: 10,
  maxStringChars: 120_000,
  maxEnumValues: 1000,
  maxLargeEnumChars: 15_000,
  largeEnumValues: 250,
  maxDescription: 1024,
};

/** OpenAI, Anthropic and MCP tool names at once. */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Every way `schema` breaks strict mode, as `<json pointer>: <problem>`; empty when it complies. */
export function strictSchemaProblems(schema: JsonValue, limits: StrictLimits = DEFAULT_STRICT_LIMITS): string[] {
  const problems: string[] = [];
  if (!isNode(schema)) return ['<root>: schema is not an object'];
  if (schema['type'] !== 'object') problems.push(`<root>: type must be "object", got ${JSON.stringify(schema['type'] ?? null)}`);
  if ('anyOf' in schema) problems.push('<root>: a root anyOf is not allowed');
  const stats = { properties: 0, strings: 0, enumValues: 0 };
  const defs = schema['$defs'];
  if (defs !== undefined) {
    if (!isNode(defs)) problems.push('/$defs: must be an object');
    else
      for (const [k, d] of Object.entries(defs)) {
        stats.strings += k.length;
        checkNode(schema, d, `/$defs/${k}`, problems, stats, limits);
      }
  }
  checkNode(schema, schema, '', problems, stats, limits);
  if (stats.properties > limits.maxProperties) problems.push(`<root>: ${stats.properties} properties, more than ${limits.maxProperties}`);
  if (stats.strings > limits.maxStringChars) problems.push(`<root>: ${stats.strings} characters of names and enum values, more than ${limits.maxStringChars}`);
  if (stats.enumValues > limits.maxEnumValues) problems.push(`<root>: ${stats.enumValues} enum values, more than ${limits.maxEnumValues}`);
  const depth = objectDepth(schema, schema, new Set());
  if (depth > limits.maxDepth) problems.push(`<root>: objects nest ${depth} levels deep, more than ${limits.maxDepth}`);
  return problems;
}

function checkNode(
  root: Node,
  node: JsonValue,
  path: string,
  problems: string[],
  stats: { properties: number; strings: number; enumValues: number },
  limits: StrictLimits,
): void {
  const at = path || '<root>';
  if (!isNode(node)) {
    problems.push(`${at}: a schema must be an object, got ${JSON.stringify(node)}`);
    return;
  }
  for (const [k, v] of Object.entries(node)) {
    if (k === '$defs') {
      if (path !== '') problems.push(`${at}: $defs is allowed only at the root`);
      continue;
    }
    if (k === 'format') {
      if (typeof v !== 'string' || !STRICT_FORMATS.has(v)) problems.push(`${at}: unsupported format ${JSON.stringify(v)}`);
      continue;
    }
    if (!STRICT_KEYWORDS.has(k)) problems.push(`${at}: unsupported keyword "${k}"`);
  }
  const shaped = ['type', '$ref', 'anyOf', 'enum'].some((k) => k in node);
  if (!shaped) problems.push(`${at}: needs a type (or $ref, anyOf, enum)`);
  const t = node['type'];
  for (const one of Array.isArray(t) ? t : t === undefined ? [] : [t])
    if (typeof one !== 'string' || !JSON_TYPES.has(one)) problems.push(`${at}: unknown type ${JSON.stringify(one)}`);
  if (typeof node['$ref'] === 'string') {
    if (!resolveRef(root, node['$ref'])) problems.push(`${at}: $ref ${node['$ref']} does not resolve to the root or a root $defs entry`);
    const others = Object.keys(node).filter((k) => k !== '$ref');
    if (others.length > 0) problems.push(`${at}: $ref with siblings ${others.join(', ')}`);
  } else if ('$ref' in node) problems.push(`${at}: $ref must be a string`);
  const isObject = t === 'object' || (Array.isArray(t) && t.includes('object')) || 'properties' in node;
  if (isObject) {
    if (node['additionalProperties'] !== false) problems.push(`${at}: objects need additionalProperties: false`);
    const props = isNode(node['properties']) ? node['properties'] : {};
    const keys = Object.keys(props);
    const required = Array.isArray(node['required']) ? node['required'] : [];
    const missing = keys.filter((k) => !required.includes(k));
    if (missing.length > 0) problems.push(`${at}: properties not in required: ${missing.join(', ')}`);
    const unknown = required.filter((r) => typeof r !== 'string' || !keys.includes(r));
    if (unknown.length > 0) problems.push(`${at}: required names undeclared properties: ${unknown.map((u) => JSON.stringify(u)).join(', ')}`);
    stats.properties += keys.length;
    for (const k of keys) {
      stats.strings += k.length;
      checkNode(root, props[k]!, `${path}/properties/${escapePointer(k)}`, problems, stats, limits);
    }
  } else if ('additionalProperties' in node || 'required' in node) {
    problems.push(`${at}: additionalProperties/required on a schema that is not an object`);
  }
  if ('items' in node) {
    if (Array.isArray(node['items'])) problems.push(`${at}: tuple items are not allowed`);
    else checkNode(root, node['items'], `${path}/items`, problems, stats, limits);
  }
  if ('anyOf' in node) {
    const branches = node['anyOf'];
    if (!Array.isArray(branches) || branches.length === 0) problems.push(`${at}: anyOf must be a non-empty array`);
    else branches.forEach((b, i) => checkNode(root, b, `${path}/anyOf/${i}`, problems, stats, limits));
  }
  if ('enum' in node) {
    const values = node['enum'];
    if (!Array.isArray(values) || values.length === 0) problems.push(`${at}: enum must be a non-empty array`);
    else {
      stats.enumValues += values.length;
      const chars = values.reduce<number>((s, v) => s + (typeof v === 'string' ? v.length : JSON.stringify(v).length), 0);
      stats.strings += chars;
      if (values.length > limits.largeEnumValues && chars > limits.maxLargeEnumChars)
        problems.push(`${at}: enum of ${values.length} values has ${chars} characters, more than ${limits.maxLargeEnumChars}`);
    }
  }
}

const escapePointer = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

/** Deepest chain of nested objects, following `$ref`s; a reference back into the chain ends it. */
function objectDepth(root: Node, node: JsonValue, stack: ReadonlySet<string>): number {
  if (!isNode(node)) return 0;
  if (typeof node['$ref'] === 'string') {
    const ref = node['$ref'];
    if (stack.has(ref)) return 0;
    const target = resolveRef(root, ref);
    return target ? objectDepth(root, target === root ? { ...root, $defs: {} } : target, new Set(stack).add(ref)) : 0;
  }
  // Concatenated, not spread into push: a struct's fields are as many as its schema declares.
  const children: JsonValue[] = [
    ...(isNode(node['properties']) ? Object.values(node['properties']) : []),
    ...(node['items'] !== undefined ? [node['items']] : []),
    ...(Array.isArray(node['anyOf']) ? node['anyOf'] : []),
  ];
  const inner = children.reduce<number>((m, c) => Math.max(m, objectDepth(root, c, stack)), 0);
  const t = node['type'];
  const isObject = t === 'object' || (Array.isArray(t) && t.includes('object'));
  return inner + (isObject ? 1 : 0);
}

/** Problems of one Chat Completions tool `{type: "function", function: {name, description, parameters, strict}}`. */
export function openaiToolProblems(tool: JsonValue, limits: StrictLimits = DEFAULT_STRICT_LIMITS): string[] {
  if (!isNode(tool) || tool['type'] !== 'function' || !isNode(tool['function'])) return ['tool: not {type: "function", function: {…}}'];
  const f = tool['function'];
  const name = typeof f['name'] === 'string' ? f['name'] : '';
  const problems: string[] = [];
  if (!TOOL_NAME.test(name)) problems.push(`name ${JSON.stringify(f['name'])} does not match ${TOOL_NAME.source}`);
  if (f['strict'] !== true) problems.push(`${name}: strict is not true`);
  const description = f['description'];
  if (typeof description !== 'string' || description === '') problems.push(`${name}: missing description`);
  else if (description.length > limits.maxDescription)
    problems.push(`${name}: description has ${description.length} characters, more than ${limits.maxDescription}`);
  for (const p of strictSchemaProblems(f['parameters'] ?? null, limits)) problems.push(`${name}: ${p}`);
  return problems;
}
