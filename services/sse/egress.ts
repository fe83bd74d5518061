/**
 * The SSE egress: an HTTP server at the far side of the bus that answers OpenAI-style requests as the
 * upstream would. Each request gets a fresh stream id; the egress subscribes to sse/stream/{id} first,
 * then asks the ingress on sse/open, answers with the head it gets back and, for a stream, writes
 * the events in seq order. A gap that does not fill, a lost ingress, a broken event or an error event
 * ends the stream with an `event: error` an OpenAI SDK throws — never with a silent hole. A client that
 * goes away cancels the upstream request (sse/cancel/{id}).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BusError, type Bus, type NetworkBus } from '../../runtime/index.ts';
import { topics, type SseEnvelope, type SseHeader, type SseResponseHead } from '../../generated/index.ts';
import { isMetricsRequest } from '../metrics/http.ts';
import { newSseCounters, type SseCounters } from './counters.ts';
import { FORWARDED_REQUEST_HEADERS, MAX_SSE_BODY_BYTES } from './ingress.ts';
import { asOpenAiError, openAiErrorJson } from './openai-error.ts';
import { SequenceError, StreamSequencer, type SequencedEvent } from './sequencer.ts';
import { eventText, parseEventText, SseTextError } from './sse-text.ts';
import { listenHttp } from '../http/listen.ts';

const openTopic = topics['sse/open'];
const streamTopic = topics['sse/stream/{id}'];
const cancelTopic = topics['sse/cancel/{id}'];

export interface SseEgressOptions {
  readonly host: string;
  /** 0: any free port (see `url`). */
  readonly port: number;
  /** The path the upstream's base URL maps to: POST {basePath}/chat/completions → the upstream's /chat/completions. Default "/v1". */
  readonly basePath?: string;
  /** Most streams and requests at once; more are answered 429. Default 64. */
  readonly maxStreams?: number;
  /** How long the ingress may take to answer with the upstream's head. Default 65,000 ms. */
  readonly headTimeoutMs?: number;
  /** How long a gap in seq may stay open before the stream ends in an error. Default 10,000 ms. */
  readonly gapTimeoutMs?: number;
  /** How long a stream may go without any event before it ends in an error. Default 120,000 ms. */
  readonly idleTimeoutMs?: number;
  /** Most bytes waiting for a slow HTTP client before its stream ends in an error. Default 8 MiB. */
  readonly maxBufferedBytes?: number;
  /**
   * The bus sessions alive now (NetworkBus: `networkSessions`); a stream whose ingress session has been
   * gone for `gapTimeoutMs` (long enough for a resume after a short outage) ends in an error.
   */
  readonly liveSessions?: () => ReadonlySet<number>;
  /** Where the counts go (a metrics exporter reads it); default a fresh object, see `counters`. */
  readonly counters?: SseCounters;
  /** Called once per message seq written to a client: its events and UTF-8 bytes (`streamMetrics(registry).flushed`). */
  readonly flushed?: (events: number, bytes: number) => void;
  /**
   * Answers the requests for METRICS_PATH (`/metrics`, whatever the query: `isMetricsRequest`), e.g.
   * `metricsHandler(registry, …)`. That path is the egress's own and never relayed, whatever `basePath`
   * (OpenAI's API has no such path; under basePath "/" an upstream's own /metrics is out of reach).
   */
  readonly metrics?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Failures no HTTP client can be told of (a cancel that could not be sent). */
  readonly onError: (err: unknown) => void;
}

export interface SseEgress {
  /** http://host:port of the server. */
  readonly url: string;
  /** Requests and streams open now. */
  readonly open: number;
  readonly counters: SseCounters;
  /** Stops listening; open streams end with an error event. */
  close(): Promise<void>;
}

/** The established sessions of a NetworkBus, for `liveSessions`: one that ended, or waits detached for a resume, is not. */
export function networkSessions(bus: NetworkBus): () => ReadonlySet<number> {
  return () => new Set(bus.stats().peers.flatMap((p) => (p.state === 'established' ? [p.sessionId] : [])));
}

/** How often streams are checked for gaps, silence and lost ingress sessions (more often for a short --gap-timeout). */
const TICK_MS = 250;

function sendJson(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

/** The request body, or null when it is longer than `max` bytes. */
function readBody(req: IncomingMessage, max: number): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        resolve(null);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(size > max ? null : new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function headersOf(list: readonly SseHeader[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of list) out[h.name] = h.value;
  return out;
}

/** What a failed sse/open means to the HTTP client. */
function requestFailure(err: unknown): { status: number; message: string } {
  if (err instanceof BusError) {
    if (err.code === 'no-responder') return { status: 503, message: 'no SSE ingress is connected to the bus' };
    if (err.code === 'timeout') return { status: 504, message: `the SSE ingress did not answer in time: ${err.message}` };
    if (err.code === 'backpressure' || err.code === 'limit') return { status: 429, message: err.message };
    return { status: 502, message: `the bus could not carry the request: ${err.message}` };
  }
  return { status: 502, message: err instanceof Error ? err.message : String(err) };
}

class EgressStream {
  readonly sequencer = new StreamSequencer();
  /** Events ready before the head arrived. */
  private early: SequencedEvent[] = [];
  started = false;
  finished = false;
  session: number | undefined;
  /** Since when the session of the ingress has not been alive; undefined while it is. */
  lostSince: number | undefined;
  lastEventAt: number;

  constructor(
    readonly id: string,
    private readonly res: ServerResponse,
    private readonly egress: {
      counters: SseCounters;
      maxBufferedBytes: number;
      flushed: ((events: number, bytes: number) => void) | undefined;
      cancel(id: string, reason: string): void;
      end(s: EgressStream): void;
    },
  ) {
    this.lastEventAt = Date.now();
  }

  /** Whether the stream has ended (read through a call: callbacks end it while the request awaits). */
  over(): boolean {
    return this.finished;
  }

  onEvent(env: SseEnvelope, sessionId: number): void {
    if (this.finished) return;
    this.session = sessionId;
    this.lastEventAt = Date.now();
    const before = this.sequencer.duplicates;
    let ready: SequencedEvent[];
    try {
      ready = this.sequencer.push(env, this.lastEventAt);
    } catch (err) {
      if (!(err instanceof SequenceError)) throw err;
      this.fail(`the stream broke on the bus: ${err.message}`);
      return;
    }
    this.egress.counters.busEvents++;
    this.egress.counters.duplicates += this.sequencer.duplicates - before;
    this.egress.counters.reorderDepthMax = Math.max(this.egress.counters.reorderDepthMax, this.sequencer.depthMax);
    if (env.frag !== undefined) this.egress.counters.fragments++;
    if (!this.started) {
      this.early.push(...ready);
      return;
    }
    for (const e of ready) this.write(e);
  }

  /** The head is written: what arrived before it goes out now. */
  start(status: number, headers: Record<string, string>): void {
    this.res.writeHead(status, { 'cache-control': 'no-cache', 'x-accel-buffering': 'no', ...headers });
    this.res.flushHeaders();
    this.started = true;
    this.egress.counters.streamsOpened++;
    const early = this.early;
    this.early = [];
    for (const e of early) this.write(e);
  }

  private write(e: SequencedEvent): void {
    if (this.finished) return;
    if (e.kind === 'error') {
      this.fail(e.data, false);
      return;
    }
    if (e.kind === 'done') {
      this.finished = true;
      this.egress.counters.streamsDone++;
      this.res.end(e.sentinel === undefined ? undefined : eventText({ data: e.sentinel }));
      this.egress.end(this);
      return;
    }
    let count: number;
    try {
      count = parseEventText(e.text).length;
    } catch (err) {
      if (!(err instanceof SseTextError)) throw err;
      this.fail(`the stream broke on the bus: ${err.message}`);
      return;
    }
    this.egress.counters.sseEvents += count;
    this.egress.counters.textChars += e.text.length;
    this.egress.flushed?.(count, Buffer.byteLength(e.text));
    this.res.write(e.text);
    if (this.res.writableLength > this.egress.maxBufferedBytes) this.fail(`the HTTP client reads too slowly (${this.res.writableLength} bytes waiting)`);
  }

  /**
   * Ends the stream in an error the client sees: an `event: error` once the stream has begun, else an
   * error answer. `message` is the egress's own reason, or (fromEgress false) the ingress's error data.
   */
  fail(message: string, fromEgress = true): void {
    if (this.finished) return;
    this.finished = true;
    this.egress.counters.streamsErrored++;
    const body = fromEgress ? openAiErrorJson(message, 'bridge_error') : asOpenAiError(message, 'upstream_error');
    if (this.started) this.res.end(eventText({ event: 'error', data: body }));
    else sendJson(this.res, 502, body);
    if (fromEgress) this.egress.cancel(this.id, message.slice(0, 256));
    this.egress.end(this);
  }

  /** The HTTP client went away before the end. */
  clientGone(): void {
    if (this.finished) return;
    this.finished = true;
    this.egress.counters.streamsCancelled++;
    this.egress.cancel(this.id, 'the HTTP client closed the connection');
    this.egress.end(this);
  }
}

export async function serveSseEgress(bus: Bus, options: SseEgressOptions): Promise<SseEgress> {
  const basePath = (options.basePath ?? '/v1').replace(/\/+$/, '');
  const maxStreams = options.maxStreams ?? 64;
  const headTimeoutMs = options.headTimeoutMs ?? 65_000;
  const gapTimeoutMs = options.gapTimeoutMs ?? 10_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
  const counters = options.counters ?? newSseCounters();
  const open = new Map<string, { stream: EgressStream; unsubscribe(): void }>();
  const context = {
    counters,
    maxBufferedBytes: options.maxBufferedBytes ?? 8 * 1024 * 1024,
    flushed: options.flushed,
    cancel(id: string, reason: string) {
      bus
        .publish(cancelTopic, { reason }, { params: { id } })
        .catch((err: unknown) => options.onError(new Error(`sse/cancel/${id}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })));
    },
    end(s: EgressStream) {
      open.get(s.id)?.unsubscribe();
      open.delete(s.id);
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (options.metrics !== undefined && isMetricsRequest(req)) {
      options.metrics(req, res);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://egress');
    const method = req.method ?? 'GET';
    if (!url.pathname.startsWith(`${basePath}/`) || url.pathname.length <= basePath.length + 1) {
      sendJson(res, 404, openAiErrorJson(`no route ${url.pathname}: the SSE egress serves ${basePath}/…`, 'invalid_request_error'));
      return;
    }
    if (method !== 'GET' && method !== 'POST' && method !== 'DELETE') {
      sendJson(res, 405, openAiErrorJson(`method ${method} is not relayed`, 'invalid_request_error'), { allow: 'GET, POST, DELETE' });
      return;
    }
    if (open.size >= maxStreams) {
      sendJson(res, 429, openAiErrorJson(`the SSE egress has ${maxStreams} streams open`, 'bridge_error'), { 'retry-after': '1' });
      return;
    }
    const path = `${url.pathname.slice(basePath.length)}${url.search}`;
    if (path.length > 2048 || path.startsWith('//') || path.includes('\\')) {
      sendJson(res, 400, openAiErrorJson('the request path is too long or malformed', 'invalid_request_error'));
      return;
    }
    const id = randomUUID().replaceAll('-', '');
    const stream = new EgressStream(id, res, context);
    // Subscribed before asking, so that no event of the stream can go past unseen.
    const sub = bus.subscribe(streamTopic, (env, delivery) => stream.onEvent(env, delivery.sessionId), { params: { id } });
    open.set(id, { stream, unsubscribe: () => sub.unsubscribe() });
    res.on('close', () => {
      if (!res.writableFinished) stream.clientGone();
    });
    const body = await readBody(req, MAX_SSE_BODY_BYTES);
    if (body === null) {
      stream.finished = true;
      context.end(stream);
      sendJson(res, 413, openAiErrorJson(`the request body is larger than ${MAX_SSE_BODY_BYTES} bytes`, 'invalid_request_error'));
      return;
    }
    if (stream.over()) return;
    const headers: SseHeader[] = [];
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string' && value.length <= 1024) headers.push({ name, value });
    }
    let head: SseResponseHead;
    try {
      await sub.ready;
      head = await bus.request(openTopic, { id, method, path, headers, body }, { timeoutMs: headTimeoutMs });
    } catch (err) {
      if (stream.over()) return;
      stream.finished = true;
      context.end(stream);
      const { status, message } = requestFailure(err);
      sendJson(res, status, openAiErrorJson(message, 'bridge_error'));
      return;
    }
    if (stream.over()) return;
    const passed = headersOf(head.headers);
    if (head.contentType !== undefined) passed['content-type'] = head.contentType;
    if (!head.stream) {
      stream.finished = true;
      context.end(stream);
      counters.plainAnswers++;
      res.writeHead(head.status, { ...passed, 'content-length': head.body.byteLength });
      res.end(head.body);
      return;
    }
    stream.start(head.status, passed);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.onError(err);
      sendJson(res, 500, openAiErrorJson(`the SSE egress failed: ${err instanceof Error ? err.message : String(err)}`, 'bridge_error'));
    });
  });
  const ticker = setInterval(
    () => {
      const now = Date.now();
      const live = options.liveSessions?.();
      for (const { stream } of [...open.values()]) {
        const s = stream.sequencer;
        if (s.gapSince !== undefined && now - s.gapSince > gapTimeoutMs)
          stream.fail(`seq ${s.expected} of the stream did not arrive within ${gapTimeoutMs} ms (${s.heldCount} later events wait)`);
        else if (stream.session !== undefined && live !== undefined && !live.has(stream.session)) {
          stream.lostSince ??= now;
          if (now - stream.lostSince > gapTimeoutMs) stream.fail(`the SSE ingress left the bus mid-stream (its session has been gone for ${gapTimeoutMs} ms)`);
        } else {
          stream.lostSince = undefined;
          if (stream.started && now - stream.lastEventAt > idleTimeoutMs) stream.fail(`no event of the stream for ${idleTimeoutMs} ms`);
        }
      }
    },
    Math.max(10, Math.min(TICK_MS, gapTimeoutMs / 4)),
  );
  ticker.unref();
  // Its own close below, not the listener's: open streams are ended with an error event before the connections go.
  const { origin } = await listenHttp(server, options.host, options.port, options.onError);
  return {
    url: origin,
    get open() {
      return open.size;
    },
    counters,
    async close() {
      clearInterval(ticker);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const { stream } of [...open.values()]) stream.fail('the SSE egress is shutting down');
      server.closeIdleConnections();
      await closed;
    },
  };
}
