/**
 * Projections of the neutral facts onto the tool formats of LLM hosts and FountainKit. Each reads
 * `FactsDocument` only. Shapes: idl-anchors.md §4 (OpenAI, Anthropic, MCP) and fountain.md §1.2
 * (FountainKit `midi-ci-pe` facts).
 */
import type { JsonValue } from '../../../runtime/index.ts';
import type { FactsDocument, FactsEntry, SchemaObject } from './model.ts';
import { toStrictArguments, toStrictSchema } from './openai.ts';

const MCP_HINTS = [
  ['readOnly', 'readOnlyHint'],
  ['destructive', 'destructiveHint'],
  ['idempotent', 'idempotentHint'],
  ['openWorld', 'openWorldHint'],
] as const;

/** Removes the document-identification keywords a tool list has no use for. */
function bareSchema(schema: SchemaObject): SchemaObject {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

/** OpenAI Chat Completions tools, strict mode. Arguments come back in the strict form (see openai.ts). */
export function openaiTools(doc: FactsDocument): JsonValue[] {
  return callables(doc).map((t) => ({
    type: 'function',
    function: { name: t.name, description: t.description, parameters: toStrictSchema(t.inputSchema), strict: true },
  }));
}

/** Example arguments in the strict form (absent optionals as null, maps as entries). */
export function openaiExample(t: FactsEntry): JsonValue {
  return toStrictArguments(t.inputSchema, t.example);
}

/** Anthropic Messages API tools. */
export function anthropicTools(doc: FactsDocument): JsonValue[] {
  return callables(doc).map((t) => ({
    name: t.name,
    description: t.description,
    input_schema: bareSchema(t.inputSchema),
    input_examples: [t.example],
  }));
}

/** The entries a model may call; topics that only report are left to subscriptions. */
function callables(doc: FactsDocument): readonly FactsEntry[] {
  return doc.tools.filter((t) => t.callable);
}

/** The MCP resource URI of a topic address (an RFC 6570 template where the address has parameters). */
export function topicResourceUri(address: string): string {
  return `midl://${address}`;
}

/**
 * MCP: the callable entries as a `tools/list` result (annotations only from hints the schema states, midl
 * metadata in `_meta`), and the topics that only report as resources to read and subscribe to:
 * `resources` for fixed addresses, `resourceTemplates` for addresses with parameters.
 */
export function mcpTools(doc: FactsDocument): { tools: JsonValue[]; resources: JsonValue[]; resourceTemplates: JsonValue[] } {
  const reports = doc.tools.filter((t) => !t.callable);
  const resource = (t: FactsEntry, at: { [k: string]: JsonValue }): JsonValue => ({
    ...at,
    name: t.name,
    ...(t.title !== null ? { title: t.title } : {}),
    description: t.description,
    mimeType: 'application/json',
    _meta: mcpMeta(t),
  });
  return {
    tools: callables(doc).map((t) => {
      const tool: { [k: string]: JsonValue } = { name: t.name };
      if (t.title !== null) tool['title'] = t.title;
      tool['description'] = t.description;
      tool['inputSchema'] = t.inputSchema;
      if (t.reply) tool['outputSchema'] = t.reply.schema;
      const annotations: { [k: string]: JsonValue } = {};
      if (t.hints.title !== undefined) annotations['title'] = t.hints.title;
      for (const [hint, key] of MCP_HINTS) {
        const v = t.hints[hint];
        if (v !== undefined) annotations[key] = v;
      }
      if (Object.keys(annotations).length > 0) tool['annotations'] = annotations;
      tool['_meta'] = mcpMeta(t);
      return tool;
    }),
    resources: reports.filter((t) => t.params.length === 0).map((t) => resource(t, { uri: topicResourceUri(t.topic!) })),
    resourceTemplates: reports.filter((t) => t.params.length > 0).map((t) => resource(t, { uriTemplate: topicResourceUri(t.topic!) })),
  };
}

function mcpMeta(t: FactsEntry): { [k: string]: JsonValue } {
  const meta: { [k: string]: JsonValue } = { 'midl/kind': t.kind };
  if (t.topic !== null) meta['midl/topic'] = t.topic;
  if (t.intent !== null) meta['midl/intent'] = t.intent;
  meta['midl/package'] = t.package;
  meta['midl/version'] = t.version;
  if (t.params.length > 0) meta['midl/params'] = [...t.params];
  if (t.qos !== null) meta['midl/qos'] = t.qos;
  if (t.budget !== null) meta['midl/budget'] = { ...t.budget };
  if (t.capabilities !== null) meta['midl/capabilities'] = capabilitiesJson(t.capabilities);
  if (t.responseTopic !== null) meta['midl/responseTopic'] = t.responseTopic;
  if (t.errors !== null) meta['midl/errors'] = errorsJson(t.errors);
  if (t.lane !== null) meta['midl/lane'] = t.lane;
  if (t.maxPayload !== null) meta['midl/maxPayload'] = t.maxPayload;
  if (t.kind === 'topic') meta['midl/stream'] = t.stream;
  if (t.http !== null) {
    const { fileParts, ...http } = t.http;
    meta['midl/http'] = { ...http, ...(fileParts ? { fileParts: fileParts.map((f) => ({ field: f.field, part: f.part })) } : {}) };
  }
  return meta;
}

function capabilitiesJson(c: NonNullable<FactsEntry['capabilities']>): JsonValue {
  return { publish: { names: [...c.publish.names], mask: c.publish.mask }, subscribe: { names: [...c.subscribe.names], mask: c.subscribe.mask } };
}

function errorsJson(e: NonNullable<FactsEntry['errors']>): JsonValue {
  return { type: e.type, codes: e.codes.map((c) => ({ ...c })) };
}

/** FountainKit property id rule: lower case, `[a-z0-9._-]`. */
function peId(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9._-]/g, '_');
}

/** Simple type name FountainKit uses in `params` (`string`, `integer`, `number`, `boolean`, …). */
function paramType(schema: JsonValue | undefined, root: SchemaObject): string {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return 'string';
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    const defs = root['$defs'];
    const name = ref.replace(/^#\/\$defs\//, '');
    const target = typeof defs === 'object' && defs !== null && !Array.isArray(defs) ? defs[name] : undefined;
    return ref === '#' ? 'object' : paramType(target, root);
  }
  if (Array.isArray(schema['enum'])) return 'string';
  const t = schema['type'];
  return typeof t === 'string' ? t : 'string';
}

/**
 * HTTP parameters of an intent: path parameters from `{field}` in the path, query parameters from
 * `key={field}` after `?`; each takes the type of the body field it names.
 */
function httpParams(t: FactsEntry): { path: string; params: { [where: string]: JsonValue } } {
  const [pathPart, query] = (t.http?.path ?? '').split('?', 2) as [string, string | undefined];
  const props = t.payload.schema['properties'];
  const required = t.payload.schema['required'];
  const fieldOf = (name: string) => ({
    type: paramType(typeof props === 'object' && props !== null && !Array.isArray(props) ? props[name] : undefined, t.payload.schema),
    required: Array.isArray(required) && required.includes(name),
  });
  const params: { [where: string]: JsonValue } = {};
  const path = [...pathPart.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1]!, ...fieldOf(m[1]!) }));
  if (path.length > 0) params['path'] = path.map((p) => ({ ...p, required: true }));
  if (query !== undefined) {
    const q = query
      .split('&')
      .map((pair) => /^([^=]+)=\{([^}]+)\}$/.exec(pair))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ name: m[1]!, ...fieldOf(m[2]!) }));
    if (q.length > 0) params['query'] = q;
  }
  return { path: pathPart, params };
}

function peProperty(t: FactsEntry, id: string): JsonValue {
  const request = { schema: t.payload.schema, contentTypes: ['application/json'] };
  const response = t.reply ? { schema: t.reply.schema, contentType: 'application/json', contentTypes: ['application/json'], headers: [] } : null;
  const samples: { [k: string]: JsonValue } = { request: t.example };
  if (t.reply) samples['response'] = t.reply.example;
  const xMidl: { [k: string]: JsonValue } = { tool: t.name, kind: t.kind, version: t.version };
  if (t.errors) xMidl['errors'] = errorsJson(t.errors);
  if (t.http) {
    const { path, params } = httpParams(t);
    const hasBody = t.http.method !== 'GET';
    xMidl['service'] = t.http.service;
    return {
      id,
      type: 'json',
      readable: !hasBody,
      writable: hasBody,
      mapsTo: { openapi: { method: t.http.method, path, body: t.http.fileParts ? 'multipart' : 'json' } },
      descriptor: { params, request, ...(response ? { response } : {}) },
      samples,
      'x-midl': xMidl,
    };
  }
  const property: { [k: string]: JsonValue } = {
    id,
    type: 'json',
    readable: t.stream || t.reply !== null || !t.callable,
    writable: t.callable,
    mapsTo: {
      backplane: {
        topic: t.topic,
        responseTopic: t.responseTopic,
        qos: t.qos,
        capabilities: t.capabilities ? capabilitiesJson(t.capabilities) : null,
        budget: t.budget ? { ...t.budget } : null,
      },
    },
    descriptor: { request, ...(response ? { response } : {}) },
    samples,
  };
  if (t.stream || !t.callable)
    property['notify'] = [{ on: t.topic, transport: 'ump', ...(t.budget?.latencyUs != null ? { latencyBudgetMs: t.budget.latencyUs / 1000 } : {}) }];
  property['x-midl'] = xMidl;
  return property;
}

/**
 * FountainKit `midi-ci-pe` facts: one function block per package (group 0), one property per topic
 * and intent. Topics map to the backplane, intents to their HTTP operation. Property ids follow
 * FountainKit's rule (lower case `[a-z0-9._-]`): the topic address with `/` → `.` and `{p}` → `p`, or
 * the intent name; should two collide within a block, both use their tool name instead.
 */
export function fountainPe(doc: FactsDocument): JsonValue {
  const byPackage = new Map<string, FactsEntry[]>();
  for (const t of doc.tools) {
    const list = byPackage.get(t.package) ?? [];
    list.push(t);
    byPackage.set(t.package, list);
  }
  const blocks = [...byPackage.keys()].sort().map((pkg) => {
    const tools = byPackage.get(pkg)!;
    const preferred = tools.map((t) => peId(t.topic !== null ? t.topic.replace(/\//g, '.').replace(/[{}]/g, '') : (t.intent ?? t.name)));
    const count = new Map<string, number>();
    for (const id of preferred) count.set(id, (count.get(id) ?? 0) + 1);
    return {
      name: pkg,
      group: 0,
      properties: tools.map((t, i) => peProperty(t, count.get(preferred[i]!) === 1 ? preferred[i]! : peId(t.name))),
    };
  });
  return { protocol: 'midi-ci-pe', functionBlocks: blocks };
}
