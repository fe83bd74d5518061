import type { HttpMethod, IrHints, IrIntent, IrProgram, IrTopic, Lane, Qos } from '../../ir/ir.ts';
import type { JsonValue } from '../../../runtime/index.ts';
import { exampleJson } from '../shared/example.ts';
import { formatBudget, formatBytes, paragraphs, renderTemplate } from '../shared/templates.ts';

/** A JSON Schema object (never the boolean form): what every tool list wants at the root. */
export type SchemaObject = { [key: string]: JsonValue };

/** The self-contained JSON Schema (2020-12, `$defs` inside) of a declared type. */
export type TypeSchemaFn = (ir: IrProgram, typeName: string) => SchemaObject;

export interface CapabilitySet {
  readonly names: readonly string[];
  /** 64-bit mask of the named bits, `0x` + 16 hex digits. */
  readonly mask: string;
}

export interface TypedSchema {
  /** Fully qualified type name. */
  readonly type: string;
  readonly schema: SchemaObject;
  /** A valid instance in canonical JSON form. */
  readonly example: JsonValue;
}

/**
 * One neutral fact: everything an LLM host needs to offer a topic or an intent as a tool. Every
 * projection (OpenAI, Anthropic, MCP, FountainKit PE) is computed from these entries alone. Fields
 * that do not apply to the kind are `null`, never absent.
 */
export interface FactsEntry {
  readonly kind: 'topic' | 'intent';
  /**
   * Whether a model may call it: intents and topics that ask something of their subscribers. A topic
   * that only reports (see `isCallableTopic`) is offered for subscription, never as a tool.
   */
  readonly callable: boolean;
  /** Tool name, `^[a-zA-Z0-9_-]{1,64}$`, unique in the program (checked by the compiler). */
  readonly name: string;
  readonly title: string | null;
  /** Topic address, e.g. `gpu/job.result/{corr}`. */
  readonly topic: string | null;
  /** Intent name, e.g. `planner.reason`. */
  readonly intent: string | null;
  readonly package: string;
  readonly version: string;
  /** What models read: the doc comment, then a summary of delivery, timing, capabilities and errors. */
  readonly description: string;
  readonly doc: string | null;
  /** Address parameters of the topic; their values are `params.<name>` in the tool input. */
  readonly params: readonly string[];
  /** Topic payload or intent body. */
  readonly payload: TypedSchema;
  readonly reply: TypedSchema | null;
  /** Schema of the tool's arguments: the payload itself, or `{params, payload}` for parameterised topics. */
  readonly inputSchema: SchemaObject;
  /** A valid instance of `inputSchema`. */
  readonly example: JsonValue;
  readonly capabilities: { readonly publish: CapabilitySet; readonly subscribe: CapabilitySet } | null;
  readonly qos: Qos | null;
  readonly budget: { readonly latencyUs: number | null; readonly jitterUs: number | null } | null;
  readonly errors: { readonly type: string; readonly codes: readonly { name: string; value: number; message: string | null }[] } | null;
  /** Where the reply of a request/reply topic arrives. */
  readonly responseTopic: string | null;
  readonly lane: Lane | null;
  readonly maxPayload: number | null;
  readonly stream: boolean;
  readonly http: {
    readonly method: HttpMethod;
    readonly path: string;
    readonly service: string;
    /** Body fields sent as multipart/form-data file parts, by part name. */
    readonly fileParts?: readonly { readonly field: string; readonly part: string }[];
  } | null;
  /** Exactly the hints the schema states (MCP annotations are made from these and nothing else). */
  readonly hints: IrHints;
}

export interface FactsDocument {
  readonly facts: 1;
  readonly packages: readonly { name: string; version: string; doc: string | null }[];
  readonly capabilities: readonly { name: string; bit: number; mask: string; doc: string | null }[];
  readonly tools: readonly FactsEntry[];
}

/**
 * Whether publishing on a topic is a call, decided from the IR. A topic only reports when it has no reply
 * and its messages are a stream (many per address, such as results under a correlation id) or are
 * declared `readOnly` (publishing changes nothing): a model publishing there would forge a report, not
 * ask for anything. A topic with a reply is always a call, and so is a command without one.
 */
export function isCallableTopic(t: IrTopic): boolean {
  return t.reply !== undefined || (!t.stream && t.hints.readOnly !== true);
}

/** Where the reply of a request/reply topic rides: `<address>/reply/{corr}`. */
export function responseTopicOf(address: string): string {
  return `${address}/reply/{corr}`;
}

/**
 * Value of one address parameter: one segment, as the bus accepts it (runtime/bus/address.ts
 * `paramValueProblem`): 1 to 256 characters without `/`, `{` or `}`, and not a wildcard.
 */
export function paramValueSchema(name: string): SchemaObject {
  return {
    type: 'string',
    minLength: 1,
    maxLength: 256,
    pattern: '^[^/{}]+$',
    not: { enum: ['*', '**'] },
    description: `Value of {${name}} in the topic address: one segment, without '/', '{' or '}'.`,
  };
}

export function maskHex(bits: readonly number[]): string {
  let mask = 0n;
  for (const b of bits) mask |= 1n << BigInt(b);
  return `0x${mask.toString(16).padStart(16, '0')}`;
}

const QOS_TEXT: Readonly<Record<Qos, string>> = {
  at_most_once: 'at most once (sent once, never retried; may be lost)',
  at_least_once: 'at least once (retried until acknowledged; may arrive more than once)',
  exactly_once: 'exactly once (retried and deduplicated)',
};

const HINT_TEXT: readonly (readonly [keyof IrHints, string])[] = [
  ['readOnly', 'read-only (changes nothing)'],
  ['idempotent', 'idempotent (safe to repeat)'],
  ['destructive', 'destructive (may destroy data)'],
  ['openWorld', 'open world (reaches outside the backplane)'],
];

/** Builds the neutral facts of a checked program. `typeSchema` is the JSON Schema emitter's. */
export function buildFacts(ir: IrProgram, typeSchema: TypeSchemaFn): FactsDocument {
  const ctx = new Context(ir, typeSchema);
  return {
    facts: 1,
    packages: ir.packages.map((p) => ({ name: p.name, version: p.version, doc: p.doc ?? null })),
    capabilities: ir.capabilities.map((c) => ({ name: c.name, bit: c.bit, mask: maskHex([c.bit]), doc: c.doc ?? null })),
    tools: [...ir.topics.map((t) => ctx.topicEntry(t)), ...ir.intents.map((i) => ctx.intentEntry(i))],
  };
}

class Context {
  private readonly shortNames: ReadonlyMap<string, string>;
  private readonly bits: ReadonlyMap<string, number>;

  constructor(
    private readonly ir: IrProgram,
    private readonly typeSchema: TypeSchemaFn,
  ) {
    this.shortNames = new Map([...ir.types, ...ir.errorSets].map((t) => [t.name, t.shortName]));
    this.bits = new Map(ir.capabilities.map((c) => [c.name, c.bit]));
  }

  private typed(type: string): TypedSchema {
    return { type, schema: this.typeSchema(this.ir, type), example: exampleJson(this.ir, type) };
  }

  private short(name: string): string {
    return this.shortNames.get(name) ?? name;
  }

  private caps(names: readonly string[]): CapabilitySet {
    const sorted = [...names].sort();
    return { names: sorted, mask: maskHex(sorted.map((n) => this.bits.get(n)).filter((b): b is number => b !== undefined)) };
  }

  private errors(name: string | undefined): FactsEntry['errors'] {
    if (name === undefined) return null;
    const set = this.ir.errorSets.find((e) => e.name === name);
    const codes = (set?.members ?? []).map((m) => ({ name: m.name, value: m.value, message: m.message ?? null }));
    return { type: name, codes };
  }

  private errorsView(errors: FactsEntry['errors']): DescriptionView['errors'] {
    return errors && { type: this.short(errors.type), codes: errors.codes.map((c) => c.name) };
  }

  topicEntry(t: IrTopic): FactsEntry {
    const payload = this.typed(t.payload);
    const reply = t.reply !== undefined ? this.typed(t.reply) : null;
    const input = t.params.length > 0 ? wrapWithParams(t.params, payload) : { schema: payload.schema, example: payload.example };
    const budget = { latencyUs: t.budget.latencyUs ?? null, jitterUs: t.budget.jitterUs ?? null };
    const errors = this.errors(t.errors);
    const responseTopic = reply ? responseTopicOf(t.address) : null;
    const capabilities = { publish: this.caps(t.publish), subscribe: this.caps(t.subscribe) };
    const callable = isCallableTopic(t);
    const description = describe(t, {
      callable,
      errors: this.errorsView(errors),
      maxPayload: formatBytes(t.maxPayload),
      topic: {
        address: t.address,
        payload: this.short(t.payload),
        reply: t.reply !== undefined ? this.short(t.reply) : null,
        responseTopic,
        params: t.params,
        stream: t.stream,
        qos: QOS_TEXT[t.qos],
        budget: formatBudget(t.budget),
        publish: capabilities.publish.names,
        subscribe: capabilities.subscribe.names,
      },
      intent: null,
    });
    return {
      kind: 'topic',
      callable,
      name: t.toolName,
      title: t.hints.title ?? null,
      topic: t.address,
      intent: null,
      package: t.package,
      version: t.version,
      description,
      doc: t.doc ?? null,
      params: [...t.params],
      payload,
      reply,
      inputSchema: input.schema,
      example: input.example,
      capabilities,
      qos: t.qos,
      budget,
      errors,
      responseTopic,
      lane: t.lane,
      maxPayload: t.maxPayload,
      stream: t.stream,
      http: null,
      hints: { ...t.hints },
    };
  }

  intentEntry(i: IrIntent): FactsEntry {
    const payload = this.typed(i.body);
    const reply = i.reply !== undefined ? this.typed(i.reply) : null;
    const errors = this.errors(i.errors);
    const description = describe(i, {
      callable: true,
      errors: this.errorsView(errors),
      maxPayload: null,
      topic: null,
      intent: {
        name: i.name,
        body: this.short(i.body),
        reply: i.reply !== undefined ? this.short(i.reply) : null,
        method: i.http.method,
        path: i.http.path,
        service: i.service,
      },
    });
    return {
      kind: 'intent',
      callable: true,
      name: i.toolName,
      title: i.hints.title ?? null,
      topic: null,
      intent: i.name,
      package: i.package,
      version: i.version,
      description,
      doc: i.doc ?? null,
      params: [],
      payload,
      reply,
      inputSchema: payload.schema,
      example: payload.example,
      capabilities: null,
      qos: null,
      budget: null,
      errors,
      responseTopic: null,
      lane: null,
      maxPayload: null,
      stream: false,
      http: { method: i.http.method, path: i.http.path, service: i.service, ...(i.http.fileParts ? { fileParts: i.http.fileParts } : {}) },
      hints: { ...i.hints },
    };
  }
}

interface DescriptionView {
  callable: boolean;
  errors: { type: string; codes: string[] } | null;
  maxPayload: string | null;
  topic: {
    address: string;
    payload: string;
    reply: string | null;
    responseTopic: string | null;
    params: readonly string[];
    stream: boolean;
    qos: string;
    budget: string | null;
    publish: readonly string[];
    subscribe: readonly string[];
  } | null;
  intent: { name: string; body: string; reply: string | null; method: string; path: string; service: string } | null;
}

/** Longest tool description every host accepts (OpenAI refuses more than 1,024 characters). */
export const MAX_DESCRIPTION = 1024;

/**
 * The tool description from `templates/facts/description.hbs`. Kept within MAX_DESCRIPTION,
 * deterministically: first the error codes are summarised by count, then the doc comment is cut at a
 * sentence (or word) boundary with an ellipsis; the summary of delivery, timing and capabilities stays.
 */
function describe(src: IrTopic | IrIntent, v: DescriptionView): string {
  const hints = HINT_TEXT.filter(([k]) => src.hints[k] === true).map(([, text]) => text);
  const doc = src.doc ? paragraphs(src.doc).join('\n\n') : null;
  const render = (d: string | null, listCodes: boolean) =>
    renderTemplate('facts/description.hbs', {
      ...v,
      package: src.package,
      version: src.version,
      doc: d,
      hints,
      errors: v.errors && { ...v.errors, codes: listCodes ? v.errors.codes : null, count: v.errors.codes.length },
    }).trimEnd();
  let text = render(doc, true);
  if (text.length <= MAX_DESCRIPTION) return text;
  text = render(doc, false);
  if (text.length <= MAX_DESCRIPTION || doc === null) return text;
  const room = MAX_DESCRIPTION - (render('', false).length + 1);
  return render(room > 0 ? shorten(doc, room) : null, false);
}

/** `text` cut to at most `max` characters at a sentence end, else a word end, with `…`. */
function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max - 1);
  const sentence = Math.max(head.lastIndexOf('. '), head.lastIndexOf('.\n'));
  if (sentence > max / 2) return `${head.slice(0, sentence + 1)} …`.slice(0, max);
  const word = head.lastIndexOf(' ');
  return `${head.slice(0, word > 0 ? word : head.length)}…`;
}

/**
 * The tool input of a parameterised topic: `{params: {<name>: string}, payload: <payload>}`. The
 * payload's `$defs` move to the root so that its `#/$defs/…` references still resolve; a reference to
 * the payload's own root (`#`) is rewritten to a `$defs` entry named after the payload type.
 */
function wrapWithParams(params: readonly string[], payload: TypedSchema): { schema: SchemaObject; example: JsonValue } {
  const { $schema, $id: _id, $defs, ...body } = payload.schema;
  const defs: SchemaObject = { ...(isObject($defs) ? $defs : {}) };
  let payloadSchema: JsonValue = body;
  if (refersToRoot(body) || Object.values(defs).some(refersToRoot)) {
    const key = payload.type;
    defs[key] = rewriteRootRefs(body, `#/$defs/${key}`);
    for (const [k, d] of Object.entries(defs)) if (k !== key) defs[k] = rewriteRootRefs(d, `#/$defs/${key}`);
    payloadSchema = { $ref: `#/$defs/${key}` };
  }
  const paramProps: SchemaObject = {};
  for (const p of params) paramProps[p] = paramValueSchema(p);
  const schema: SchemaObject = {
    ...($schema !== undefined ? { $schema } : {}),
    type: 'object',
    properties: {
      params: { type: 'object', description: 'Values of the address parameters.', properties: paramProps, required: [...params], additionalProperties: false },
      payload: payloadSchema,
    },
    required: ['params', 'payload'],
    additionalProperties: false,
    ...(Object.keys(defs).length > 0 ? { $defs: defs } : {}),
  };
  const example: SchemaObject = {};
  for (const p of params) example[p] = 'example';
  return { schema, example: { params: example, payload: payload.example } };
}

function isObject(v: unknown): v is SchemaObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const SCHEMA_MAPS = ['properties', '$defs', 'patternProperties', 'dependentSchemas'];
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const SCHEMA_ONE = ['items', 'additionalProperties', 'propertyNames', 'not', 'if', 'then', 'else', 'contains', 'unevaluatedProperties', 'unevaluatedItems'];

/** A reference into the document root other than into `$defs` (`#`, `#/properties/…`). */
const isRootRef = (x: JsonValue | undefined): x is string => typeof x === 'string' && (x === '#' || (x.startsWith('#/') && !x.startsWith('#/$defs/')));

/**
 * Rebuilds a schema with `f` applied to every `$ref` of it and of its subschemas; values of other
 * keywords (`enum`, `default`, `examples`, …) are data and stay as they are.
 */
function mapRefs(node: JsonValue, f: (ref: string) => string): JsonValue {
  if (!isObject(node)) return node;
  const out: SchemaObject = {};
  for (const [k, x] of Object.entries(node)) {
    if (k === '$ref' && typeof x === 'string') out[k] = f(x);
    else if (SCHEMA_MAPS.includes(k) && isObject(x)) out[k] = Object.fromEntries(Object.entries(x).map(([n, sub]) => [n, mapRefs(sub, f)]));
    else if (SCHEMA_LISTS.includes(k) && Array.isArray(x)) out[k] = x.map((sub) => mapRefs(sub, f));
    else if (SCHEMA_ONE.includes(k)) out[k] = mapRefs(x, f);
    else out[k] = x;
  }
  return out;
}

function refersToRoot(node: JsonValue): boolean {
  let found = false;
  mapRefs(node, (ref) => {
    found ||= isRootRef(ref);
    return ref;
  });
  return found;
}

function rewriteRootRefs(node: JsonValue, target: string): JsonValue {
  return mapRefs(node, (ref) => (!isRootRef(ref) ? ref : ref === '#' ? target : `${target}${ref.slice(1)}`));
}
