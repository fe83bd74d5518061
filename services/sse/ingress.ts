/**
 * The SSE ingress: the side that holds the upstream's API key. It serves sse/open — makes the HTTP
 * request upstream, answers with the head of the upstream's answer — and turns a text/event-stream
 * answer into bus events on sse/stream/{id}: the events' text coalesced per flush interval, `[DONE]` as
 * done, a failure of the upstream mid-stream as an error event followed by done. sse/cancel/{id} from
 * the egress aborts the upstream request.
 */
import type { Bus, Subscription } from '../../runtime/index.ts';
import { topics, type SseHeader, type SseRequest, type SseResponseHead } from '../../generated/index.ts';
import { SseCoalescer } from './coalescer.ts';
import { newSseCounters, type SseCounters } from './counters.ts';
import { openAiErrorJson } from './openai-error.ts';
import { eventText, sseReader } from './sse-text.ts';
import { WindowedPublisher } from './windowed-publisher.ts';

const openTopic = topics['sse/open'];
const streamTopic = topics['sse/stream/{id}'];
const cancelTopic = topics['sse/cancel/{id}'];

/** Largest request or plain answer body that fits sse/open (idl/sse SseRequest.body, SseResponseHead.body). */
export const MAX_SSE_BODY_BYTES = 1_032_192;
/**
 * Most UTF-16 units of event text in one bus event. sse/stream/{id} carries at most 16 KiB of JSON on the
 * Flex lane; 2,048 units stay under it even when every one is escaped as \uXXXX.
 */
export const MAX_SSE_EVENT_CHARS = 2048;
/** The content type of a message event's data: canonical SSE text (sse-text.ts `eventText`), one or more whole events. */
export const SSE_TEXT = 'text/event-stream';
/** Longest unfinished upstream event read (eventsource-parser's buffer). */
const MAX_UPSTREAM_EVENT_CHARS = 1024 * 1024;
/** How many cancelled stream ids are remembered, so that a cancel that overtook its request still stops it. */
const REMEMBERED_CANCELS = 1024;

/** Request headers passed to the upstream; the client's own authorization never is (the ingress holds the key). */
export const FORWARDED_REQUEST_HEADERS: readonly string[] = ['content-type', 'accept', 'openai-beta'];
/** Response headers passed back besides the content type. */
export const FORWARDED_RESPONSE_HEADERS: readonly string[] = [
  'x-request-id',
  'retry-after',
  'retry-after-ms',
  'openai-processing-ms',
  'openai-model',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
];

export interface SseIngressOptions {
  /** The upstream's base URL as OpenAI SDKs take it, e.g. http://127.0.0.1:8080/v1; request paths are relative to it. */
  readonly upstream: string;
  /** Sent upstream as `authorization: Bearer …`. */
  readonly apiKey?: string;
  /** Events arriving within this many ms go in one bus event (0: one bus event per upstream event). Default 20. */
  readonly flushMs?: number;
  /** Most bus events of one stream unacknowledged by the bus. Default 64. */
  readonly window?: number;
  /** Most streams at once; more are answered 429. Default 64. */
  readonly maxStreams?: number;
  /** How long the upstream may take to answer with its head (and a plain answer's body). Default 60,000 ms. */
  readonly headTimeoutMs?: number;
  /** Most UTF-16 units of text per bus event. Default MAX_SSE_EVENT_CHARS. */
  readonly maxEventChars?: number;
  readonly fetch?: typeof fetch;
  /** Where the counts go (a metrics exporter reads it); default a fresh object, see `counters`. */
  readonly counters?: SseCounters;
  /**
   * Called once per seq published with message text: how many upstream events it carries and their UTF-8
   * bytes (the fragments of one long event: 1 event, once). For `streamMetrics(registry).flushed`.
   */
  readonly flushed?: (events: number, bytes: number) => void;
  /** Failures no HTTP client can be told of: a stream whose bus events could not be delivered. */
  readonly onError: (err: unknown) => void;
}

export interface SseIngress {
  /** Resolves once sse/open and sse/cancel/{id} are served. */
  readonly ready: Promise<void>;
  /** Streams being relayed now. */
  readonly open: number;
  readonly counters: SseCounters;
  /** Stops taking requests; streams in flight end with an error event; resolves when they have. */
  close(): Promise<void>;
}

interface OpenStream {
  readonly id: string;
  readonly abort: AbortController;
  /** Why the egress cancelled it; undefined while it runs. */
  cancelled: string | undefined;
}

/** The upstream URL of `path` under `base`; null for a path that would leave the base (dot segments, another origin). */
export function upstreamUrl(base: URL, path: string): URL | null {
  if (!path.startsWith('/') || path.startsWith('//') || path.includes('\\') || path.includes('#')) return null;
  const pathOnly = path.split('?', 1)[0]!;
  if (/(^|\/)(\.|%2e){1,2}(\/|$)/i.test(pathOnly)) return null;
  const url = new URL(`${base.origin}${base.pathname.replace(/\/+$/, '')}${path}`);
  return url.origin === base.origin ? url : null;
}

function plainHead(status: number, message: string, type: string): SseResponseHead {
  return { status, contentType: 'application/json', stream: false, headers: [], body: new TextEncoder().encode(openAiErrorJson(message, type)) };
}

function pickHeaders(from: Headers, names: readonly string[]): SseHeader[] {
  const out: SseHeader[] = [];
  for (const name of names) {
    const value = from.get(name);
    if (value !== null && value.length <= 1024) out.push({ name, value });
  }
  return out;
}

/** The body of `res`, or null when it is longer than `max` bytes (the rest is not read). */
async function readBounded(res: Response, max: number): Promise<Uint8Array | null> {
  if (!res.body) return new Uint8Array(0);
  // The global Response types its body loosely; fetch gives bytes.
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    size += next.value.byteLength;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(next.value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}

const describe = (err: unknown): string =>
  err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);

export function serveSseIngress(bus: Bus, options: SseIngressOptions): SseIngress {
  const base = new URL(options.upstream);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError(`upstream ${options.upstream}: expected an http: or https: URL`);
  const fetchFn = options.fetch ?? fetch;
  const flushMs = options.flushMs ?? 20;
  const window = options.window ?? 64;
  const maxStreams = options.maxStreams ?? 64;
  const headTimeoutMs = options.headTimeoutMs ?? 60_000;
  const maxEventChars = options.maxEventChars ?? MAX_SSE_EVENT_CHARS;
  const counters = options.counters ?? newSseCounters();
  const streams = new Map<string, OpenStream>();
  const cancelledIds = new Set<string>();
  const pumps = new Set<Promise<void>>();
  let closing = false;

  async function answer(req: SseRequest): Promise<SseResponseHead> {
    if (closing) return plainHead(503, 'the SSE ingress is shutting down', 'bridge_error');
    if (streams.has(req.id) || cancelledIds.has(req.id)) return plainHead(409, `stream id ${req.id} is already in use`, 'bridge_error');
    if (streams.size >= maxStreams) return plainHead(429, `the SSE ingress relays ${maxStreams} streams already`, 'bridge_error');
    const url = upstreamUrl(base, req.path);
    if (url === null) return plainHead(400, `path ${JSON.stringify(req.path.slice(0, 100))} is not under the upstream base`, 'invalid_request_error');
    const stream: OpenStream = { id: req.id, abort: new AbortController(), cancelled: undefined };
    streams.set(req.id, stream);
    const headers: Record<string, string> = {};
    for (const h of req.headers) if (FORWARDED_REQUEST_HEADERS.includes(h.name)) headers[h.name] = h.value;
    if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
    const head = { timedOut: false };
    const timer = setTimeout(() => {
      head.timedOut = true;
      stream.abort.abort(new Error(`no answer within ${headTimeoutMs} ms`));
    }, headTimeoutMs);
    let streaming = false;
    try {
      const res = await fetchFn(url, {
        method: req.method,
        headers,
        ...(req.method === 'GET' ? {} : { body: req.body }),
        signal: stream.abort.signal,
      });
      const contentType = res.headers.get('content-type') ?? undefined;
      const passed = pickHeaders(res.headers, FORWARDED_RESPONSE_HEADERS);
      const ct = contentType !== undefined && contentType.length <= 256 ? { contentType } : {};
      if (res.ok && res.body && contentType?.toLowerCase().startsWith(SSE_TEXT) === true) {
        streaming = true;
        clearTimeout(timer);
        counters.streamsOpened++;
        const pump = relay(stream, res.body).finally(() => {
          streams.delete(stream.id);
          pumps.delete(pump);
        });
        pumps.add(pump);
        return { status: res.status, ...ct, stream: true, headers: passed, body: new Uint8Array(0) };
      }
      const body = await readBounded(res, MAX_SSE_BODY_BYTES);
      counters.plainAnswers++;
      if (body === null) return plainHead(502, `the upstream's answer is larger than ${MAX_SSE_BODY_BYTES} bytes`, 'upstream_error');
      return { status: res.status, ...ct, stream: false, headers: passed, body };
    } catch (err) {
      counters.plainAnswers++;
      if (stream.cancelled !== undefined) return plainHead(499, `cancelled: ${stream.cancelled}`, 'bridge_error');
      if (head.timedOut) return plainHead(504, `the upstream ${url.origin} did not answer within ${headTimeoutMs} ms`, 'upstream_error');
      return plainHead(502, `the upstream ${url.origin} could not be reached: ${describe(err)}`, 'upstream_error');
    } finally {
      clearTimeout(timer);
      if (!streaming) streams.delete(stream.id);
    }
  }

  /** Reads the upstream's events and publishes them on sse/stream/{id} until done, an error or a cancel. */
  async function relay(stream: OpenStream, body: ReadableStream<Uint8Array>): Promise<void> {
    const id = stream.id;
    const out = new WindowedPublisher((env) => bus.publish(streamTopic, env, { params: { id } }), window);
    const coalescer = new SseCoalescer(maxEventChars);
    let seq = 0n;
    let timer: NodeJS.Timeout | undefined;
    const flush = (all = true): void => {
      if (all) {
        clearTimeout(timer);
        timer = undefined;
      }
      for (const { parts, events } of coalescer.take(all)) {
        const n = parts.length;
        options.flushed?.(
          events,
          parts.reduce((sum, p) => sum + Buffer.byteLength(p), 0),
        );
        parts.forEach((data, i) => out.enqueue({ v: 1, ev: 'message', ct: SSE_TEXT, seq, ...(n > 1 ? { frag: { i, n } } : {}), data }));
        counters.busEvents += n;
        if (n > 1) counters.fragments += n;
        seq++;
      }
    };
    let sentinel: string | undefined;
    const reader = sseReader(MAX_UPSTREAM_EVENT_CHARS, (e) => {
      if (sentinel !== undefined) return;
      if (e.data === '[DONE]') {
        sentinel = e.data;
        return;
      }
      const text = eventText(e);
      coalescer.add(text);
      counters.sseEvents++;
      counters.textChars += text.length;
      if (flushMs === 0) flush();
      else {
        // A full bus event goes at once; the rest waits for the flush interval.
        if (coalescer.size >= maxEventChars) flush(false);
        if (coalescer.count > 0) timer ??= setTimeout(flush, flushMs);
      }
    });
    let failure: string | undefined;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) {
        reader.feed(decoder.decode(chunk, { stream: true }));
        const problem = reader.problem();
        if (problem !== undefined) throw new Error(problem);
        if (sentinel !== undefined) break;
        await out.room();
      }
      reader.feed(decoder.decode());
    } catch (err) {
      if (stream.cancelled === undefined) failure = `the upstream stream failed: ${describe(err)}`;
    } finally {
      clearTimeout(timer);
    }
    if (stream.cancelled !== undefined) {
      counters.streamsCancelled++;
      out.stop();
      stream.abort.abort(new Error(`cancelled: ${stream.cancelled}`));
      return;
    }
    flush();
    if (failure !== undefined) {
      stream.abort.abort(new Error(failure));
      out.enqueue({ v: 1, ev: 'error', ct: 'application/json', seq: seq++, data: openAiErrorJson(failure, 'upstream_error') });
      counters.streamsErrored++;
    } else counters.streamsDone++;
    out.enqueue({ v: 1, ev: 'done', seq: seq++, ...(sentinel === undefined ? {} : { data: sentinel }) });
    counters.busEvents += failure === undefined ? 1 : 2;
    try {
      await out.drained();
    } catch (err) {
      options.onError(new Error(`sse/stream/${id}: events not delivered, the stream is broken at the egress: ${describe(err)}`, { cause: err }));
    }
  }

  const served: Subscription = bus.serve(openTopic, (req: SseRequest) => answer(req));
  const cancels: Subscription = bus.subscribe(cancelTopic, (cancel, delivery) => {
    const id = delivery.params.id;
    const stream = streams.get(id);
    if (stream === undefined) {
      // A cancel that overtook its request (or came for a stream already over): remembered, bounded.
      cancelledIds.add(id);
      if (cancelledIds.size > REMEMBERED_CANCELS) cancelledIds.delete(cancelledIds.values().next().value!);
      return;
    }
    stream.cancelled ??= cancel.reason || 'cancelled by the egress';
    stream.abort.abort(new Error(`cancelled: ${stream.cancelled}`));
  });
  return {
    ready: Promise.all([served.ready, cancels.ready]).then(() => undefined),
    get open() {
      return streams.size;
    },
    counters,
    async close() {
      closing = true;
      served.unsubscribe();
      cancels.unsubscribe();
      for (const s of streams.values()) s.abort.abort(new Error('the SSE ingress is shutting down'));
      await Promise.all([...pumps]);
    },
  };
}
