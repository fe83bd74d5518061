import type { AnyIntentDescriptor, JsonValue } from '../../runtime/index.ts';
import type { FlexFailure, FlexSuccess } from '../../generated/index.ts';
import { flexFailure } from './failures.ts';

/**
 * The HTTP request an intent's mapping makes of a body: path and query parameters filled from the
 * body's fields, the rest as JSON, or as multipart/form-data where the intent names file parts.
 */
export interface IntentRequest {
  readonly method: string;
  readonly url: string;
  /** FormData sets its own content-type with the boundary. */
  readonly body: string | FormData | undefined;
}

/** Builds the request of `intent` with `body` (its validated JSON form) against `baseUrl`; a parameter that is not a string or number is an error naming it. */
export function intentRequest(intent: AnyIntentDescriptor, baseUrl: string, body: { readonly [key: string]: JsonValue }): IntentRequest {
  const path = intent.path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_whole, name: string) => {
    const value = body[name];
    if (typeof value !== 'string' && typeof value !== 'number')
      throw new TypeError(`/${name}: the ${intent.method} ${intent.path} parameter must be a string or a number`);
    return encodeURIComponent(String(value));
  });
  const rest = Object.fromEntries(Object.entries(body).filter(([key]) => !intent.pathParams.includes(key)));
  const url = baseUrl.replace(/\/+$/, '') + path;
  if (intent.fileParts) return { method: intent.method, url, body: formOf(rest, intent.fileParts) };
  const sendsBody = intent.method !== 'DELETE';
  return { method: intent.method, url, body: sendsBody ? JSON.stringify(rest) : undefined };
}

/**
 * The body as multipart/form-data: each field of `fileParts` as a JSON file part `<field>.json`
 * (application/json), the others as form fields, strings as they are and other values as JSON text.
 */
function formOf(body: { readonly [key: string]: JsonValue }, fileParts: Readonly<Record<string, string>>): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(body)) {
    const part = Object.hasOwn(fileParts, key) ? fileParts[key] : undefined;
    if (part !== undefined) form.append(part, new Blob([JSON.stringify(value)], { type: 'application/json' }), `${key}.json`);
    else form.append(key, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return form;
}

export interface CallOptions {
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly headers: Readonly<Record<string, string>>;
}

export type CallOutcome = { readonly success: FlexSuccess } | { readonly error: FlexFailure };

/**
 * Calls the service and turns its answer into the final reply: a 2xx JSON body valid against the
 * intent's reply type is a success; anything else is the FlexError member that says why.
 */
export async function callService(intent: AnyIntentDescriptor, request: IntentRequest, options: CallOptions): Promise<CallOutcome> {
  const service = intent.service;
  const signal = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await options.fetch(request.url, {
      method: request.method,
      headers: { accept: 'application/json', ...(typeof request.body === 'string' ? { 'content-type': 'application/json' } : {}), ...options.headers },
      body: request.body,
      signal,
      redirect: 'error',
    });
    text = await readLimited(response, options.maxResponseBytes);
  } catch (err) {
    if (signal.aborted) return { error: flexFailure('UPSTREAM_TIMEOUT', `${service}: no answer in ${options.timeoutMs} ms`) };
    if (err instanceof TooLarge) return { error: flexFailure('PAYLOAD_TOO_LARGE', `${service}: response over ${options.maxResponseBytes} bytes`) };
    return { error: flexFailure('UPSTREAM_UNAVAILABLE', `${service} unreachable: ${causeOf(err)}`) };
  }
  const json = parseJson(text);
  if (response.status < 200 || response.status > 299) {
    const detail = json.ok ? json.value : text.length > 0 ? text.slice(0, 1024) : undefined;
    return {
      error: flexFailure('UPSTREAM_ERROR', `${service}: HTTP ${response.status}`, { httpStatus: response.status, ...(detail !== undefined ? { detail } : {}) }),
    };
  }
  const invalid = (why: string) => ({ error: flexFailure('UPSTREAM_ERROR', `${service}: invalid reply: ${why}`, { httpStatus: response.status }) });
  if (!intent.reply) return { success: { status: response.status, body: null } };
  if (!json.ok) return invalid(`not JSON (${json.why})`);
  let value: unknown;
  try {
    value = intent.reply.fromJSON(json.value);
  } catch (err) {
    return invalid(err instanceof Error ? err.message : String(err));
  }
  const verdict = intent.reply.validate(value);
  if (!verdict.ok) return invalid(verdict.errors.map((e) => `${e.path || '/'}: ${e.message}`).join('; '));
  return { success: { status: response.status, body: intent.reply.toJSON(value) } };
}

class TooLarge extends Error {}

/** The response text, refusing (TooLarge) one longer than `limit` bytes without reading the rest. */
async function readLimited(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    // Leaving the loop cancels the stream (the iterator's return), so the rest is never read.
    if (size > limit) break;
    chunks.push(chunk);
  }
  if (size > limit) throw new TooLarge();
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(all);
}

function parseJson(text: string): { ok: true; value: JsonValue } | { ok: false; why: string } {
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue };
  } catch (err) {
    return { ok: false, why: (err as Error).message };
  }
}

/** The innermost reason a fetch failed (undici wraps ECONNREFUSED and the like in `cause`). */
function causeOf(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  const code = (e as { code?: unknown }).code;
  return `${typeof code === 'string' ? `${code} ` : ''}${e instanceof Error ? e.message : String(e)}`.trim();
}
