/**
 * The tools of `midl mcp`: each entry of the schema's MCP projection bound to its topic or intent, the
 * arguments a host sends read into a typed value (the schema's own JSON form, or the OpenAI strict form
 * reshaped back), and a call turned into one bus operation whose outcome becomes the tool result.
 */
import { fromStrictArguments } from '../../compiler/index.ts';
import {
  JsonDecodeError,
  isBusError,
  maskAllows,
  type AnyIntentDescriptor,
  type AnyTopicDescriptor,
  type Codec,
  type JsonValue,
  type NetworkBus,
} from '../../runtime/index.ts';
import type { McpTool, McpToolResult } from '../../services/index.ts';
import type { LoadedSchema } from '../schema-runtime.ts';
import { describeError } from './options.ts';

export type ToolTarget = { readonly kind: 'topic'; readonly topic: AnyTopicDescriptor } | { readonly kind: 'intent'; readonly intent: AnyIntentDescriptor };

export interface BoundTool {
  readonly tool: McpTool;
  readonly target: ToolTarget;
}

/** Arguments read into what the bus takes. */
export interface ToolArguments {
  readonly value: unknown;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Binds every projected tool to the descriptor its `_meta` names (`midl/topic` or `midl/intent`). A
 * tool naming neither, or a name the loaded schema lacks, means the projection and the registry came
 * from different schemas: a bug, thrown.
 */
export function bindTools(tools: readonly McpTool[], schema: Pick<LoadedSchema, 'topics' | 'intents'>): BoundTool[] {
  return tools.map((tool) => {
    const topicAddress = tool._meta?.['midl/topic'];
    const intentName = tool._meta?.['midl/intent'];
    if (typeof topicAddress === 'string') {
      const topic = schema.topics.find((t) => t.address === topicAddress);
      if (topic) return { tool, target: { kind: 'topic', topic } };
    } else if (typeof intentName === 'string') {
      const intent = schema.intents.find((i) => i.name === intentName);
      if (intent) return { tool, target: { kind: 'intent', intent } };
    }
    throw new Error(`tool ${tool.name}: its topic or intent is not in the loaded schema`);
  });
}

/**
 * Whether a session granted `granted` may call the tool: a topic needs one of its publish capabilities
 * (none declared: anyone); an intent declares none. Without a session (undefined) the tool counts as
 * allowed: the session asks for every capability, so until a peer answers each tool may yet be granted.
 */
export function toolAllowed(bound: BoundTool, granted: bigint | undefined): boolean {
  if (granted === undefined || bound.target.kind === 'intent') return true;
  return maskAllows(granted, bound.target.topic.publish);
}

/**
 * How tool arguments are read: `auto` takes a value in the schema's own JSON form as it is and reads
 * only one that is not as the OpenAI strict form; `strict` reads every value as the strict form (for a
 * host that shows its model the strict schemas of generated/facts/openai.json).
 */
export type ArgumentForm = 'auto' | 'strict';

/**
 * Reads a tool's arguments. The OpenAI strict form (`fromStrictArguments`: null for an absent optional,
 * {key, value} lists for maps, JSON text for untyped values) is reshaped to the schema's own form first
 * under `strict`; under `auto` only when the own form is not valid and the reshaped value is. Under
 * `auto` a string given for an untyped JSON field is therefore that string, not JSON text to parse: the
 * one reading the two forms share. Returns the problems (of the own form, under `auto`), each led by its
 * JSON Pointer.
 */
export function readArguments(bound: BoundTool, args: Readonly<Record<string, unknown>> | undefined, form: ArgumentForm = 'auto'): ToolArguments | string[] {
  const given = (args ?? {}) as JsonValue;
  const reshaped = () => fromStrictArguments(bound.tool.inputSchema as { [key: string]: JsonValue }, given);
  if (form === 'strict') return readForm(bound.target, reshaped());
  const own = readForm(bound.target, given);
  if (!Array.isArray(own)) return own;
  const strict = readForm(bound.target, reshaped());
  return Array.isArray(strict) ? own : strict;
}

function readForm(target: ToolTarget, json: JsonValue): ToolArguments | string[] {
  if (target.kind === 'intent' || target.topic.params.length === 0) {
    const value = readValue(target.kind === 'topic' ? target.topic.payload : target.intent.body, json, '');
    return Array.isArray(value) ? value : { value: value.value, params: {} };
  }
  const { topic } = target;
  const params = topic.params;
  // A topic with address parameters takes {params: {name: value}, payload} (the projection's input schema).
  if (!isRecord(json)) return ['/: expected an object {params, payload}'];
  const problems = Object.keys(json)
    .filter((k) => k !== 'params' && k !== 'payload')
    .map((k) => `/${escapePointer(k)}: unknown argument (expected params and payload)`);
  const given = json['params'];
  const values: Record<string, string> = {};
  if (!isRecord(given)) problems.push('/params: expected an object with the address parameters');
  else {
    for (const p of params) {
      const v = given[p];
      if (typeof v !== 'string') problems.push(`/params/${escapePointer(p)}: expected a string (the value of {${p}} in ${topic.address})`);
      else values[p] = v;
    }
    for (const k of Object.keys(given)) if (!params.includes(k)) problems.push(`/params/${escapePointer(k)}: not a parameter of the address`);
  }
  if (!('payload' in json)) problems.push('/payload: required');
  const payload = 'payload' in json ? readValue(topic.payload, json['payload'], '/payload') : [];
  if (Array.isArray(payload)) problems.push(...payload);
  return problems.length > 0 || Array.isArray(payload) ? problems : { value: payload.value, params: values };
}

/** A typed value from its JSON form (generated codec: `fromJSON`, then `validate`), or its problems. */
function readValue(codec: Codec<unknown>, json: JsonValue, at: string): { value: unknown } | string[] {
  let value: unknown;
  try {
    value = codec.fromJSON(json);
  } catch (err) {
    if (err instanceof JsonDecodeError) return [`${at}${err.path || (at === '' ? '/' : '')}: ${err.reason}`];
    throw err;
  }
  const checked = codec.validate(value);
  if (!checked.ok) return checked.errors.map((e) => `${at}${e.path || (at === '' ? '/' : '')}: ${e.message}`);
  return { value };
}

const isRecord = (v: unknown): v is Record<string, JsonValue> => typeof v === 'object' && v !== null && !Array.isArray(v);
const escapePointer = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** Problems listed in a tool error at most; a count of the rest follows. */
const MAX_PROBLEMS = 10;

/** The tool result of arguments that are not valid: every problem led by its JSON Pointer. */
export function invalidArguments(bound: BoundTool, problems: readonly string[]): McpToolResult {
  const shown = problems.slice(0, MAX_PROBLEMS);
  if (problems.length > MAX_PROBLEMS) shown.push(`… and ${problems.length - MAX_PROBLEMS} more`);
  return errorResult(`invalid arguments for ${bound.tool.name}: ${shown.join('; ')}`, { 'midl/error': { kind: 'invalid-arguments', problems: [...problems] } });
}

/**
 * Makes the bus operation of a call: a request on a topic with a reply, a publication on one without
 * (resolving once the peer acknowledged it, for at-least-once topics), an invocation of an intent. The
 * typed reply becomes `structuredContent` (when the tool has an output schema) and JSON text; every
 * failure a tool error.
 */
export async function callTool(bound: BoundTool, args: ToolArguments, bus: NetworkBus, timeoutMs: number): Promise<McpToolResult> {
  const { target } = bound;
  try {
    if (target.kind === 'intent') {
      const reply: unknown = await bus.invoke(target.intent, args.value, { timeoutMs });
      return target.intent.reply ? replyResult(bound, target.intent.reply.toJSON(reply)) : doneResult(`invoked ${target.intent.name}: done`);
    }
    const { topic } = target;
    if (topic.reply) {
      const reply: unknown = await bus.request(topic, args.value, { params: args.params, timeoutMs });
      return replyResult(bound, topic.reply.toJSON(reply));
    }
    await bus.publish(topic, args.value, { params: args.params });
    return doneResult(`published on ${concreteAddress(topic.address, args.params)}${topic.qos === 'at_most_once' ? '' : ' (acknowledged by the peer)'}`);
  } catch (err) {
    return failureResult(bound, err);
  }
}

const concreteAddress = (template: string, params: Readonly<Record<string, string>>): string =>
  template.replace(/\{([^}]+)\}/g, (whole, name: string) => params[name] ?? whole);

function replyResult(bound: BoundTool, reply: JsonValue): McpToolResult {
  const text = JSON.stringify(reply);
  // Structured content is an object by the protocol; a reply type is a struct, whose JSON form is one.
  return bound.tool.outputSchema && isRecord(reply) ? { content: [{ type: 'text', text }], structuredContent: reply } : { content: [{ type: 'text', text }] };
}

const doneResult = (text: string): McpToolResult => ({ content: [{ type: 'text', text }] });

function errorResult(text: string, meta: Record<string, JsonValue>): McpToolResult {
  return { isError: true, content: [{ type: 'text', text }], _meta: meta };
}

/**
 * A failed call as a tool error. An error reply reads as the schema spells it: `GpuError.COMPILE_FAILED
 * (1003): message`, then its detail as JSON and its retry hint on lines of their own; the same in
 * `_meta['midl/error']` for a program. Any other bus failure leads with its code (timeout, no-responder,
 * forbidden, closed…).
 */
export function failureResult(bound: BoundTool, err: unknown): McpToolResult {
  if (isBusError(err, 'remote') && err.remote) {
    const { name, code, message, detail, retryAfterMs } = err.remote;
    const errors = bound.target.kind === 'topic' ? bound.target.topic.errors : bound.target.intent.errors;
    const set = errors ? errors.name.slice(errors.name.lastIndexOf('.') + 1) : undefined;
    let text = `${set ? `${set}.` : ''}${name} (${code}): ${message}`;
    if (detail !== undefined) text += `\ndetail: ${JSON.stringify(detail)}`;
    if (retryAfterMs !== undefined) text += `\nretry: the responder says a retry may succeed after ${retryAfterMs} ms`;
    const info: Record<string, JsonValue> = { kind: 'remote', name, code, message };
    if (set) info['errorSet'] = errors!.name;
    if (detail !== undefined) info['detail'] = detail as JsonValue;
    if (retryAfterMs !== undefined) info['retryAfterMs'] = retryAfterMs;
    return errorResult(text, { 'midl/error': info });
  }
  const kind = isBusError(err) ? err.code : 'failed';
  return errorResult(describeError(err), { 'midl/error': { kind, message: err instanceof Error ? err.message : String(err) } });
}

/** The tool error of a call made while the peer cannot be reached. */
export function unreachableResult(why: string): McpToolResult {
  return errorResult(`the peer cannot be reached: ${why}; each call tries again`, { 'midl/error': { kind: 'unreachable', message: why } });
}
