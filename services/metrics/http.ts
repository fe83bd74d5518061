/**
 * The Prometheus endpoint over node:http: `metricsHandler` answers GET (and HEAD) /metrics with the
 * registry's text exposition, and can be mounted in a server that serves other paths too (an SSE
 * egress); `serveMetrics` is a server of its own for a process that has none (`midl bridge --metrics`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenHttp } from '../http/listen.ts';
import type { Registry } from 'prom-client';

export const METRICS_PATH = '/metrics';

export interface MetricsHandlerOptions {
  /** A collector that failed during a scrape (the scraper gets 500). */
  readonly onError: (error: Error) => void;
}

/**
 * A node:http request handler: GET or HEAD /metrics → 200 with the exposition (text/plain; version=0.0.4),
 * another method on /metrics → 405, any other path → 404. It answers every request it is given; a server
 * that serves other paths calls it for `/metrics` only (`isMetricsRequest`).
 */
export function metricsHandler(registry: Registry, options: MetricsHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (!isMetricsRequest(req)) return plain(res, 404, `not found: metrics are served at ${METRICS_PATH}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, `${req.method ?? '?'} is not served: GET ${METRICS_PATH}`);
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        options.onError(error);
        plain(res, 500, `metrics unavailable: ${error.message}`);
      },
    );
  };
}

/** Whether a request is for the metrics path (whatever its query). */
export function isMetricsRequest(req: IncomingMessage): boolean {
  return new URL(req.url ?? '/', 'http://host').pathname === METRICS_PATH;
}

export interface MetricsServerOptions extends MetricsHandlerOptions {
  /** Address to bind (an IP address or `localhost`). */
  readonly host: string;
  /** 0 lets the system choose. */
  readonly port: number;
  /** Connections open at once (16); more are closed as they come. */
  readonly maxConnections?: number;
}

export interface MetricsServer {
  /** `http://HOST:PORT/metrics`, with the port really bound. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `registry` at `http://host:port/metrics`; rejects when the address cannot be bound. */
export async function serveMetrics(registry: Registry, options: MetricsServerOptions): Promise<MetricsServer> {
  const http = createServer(metricsHandler(registry, options));
  http.maxConnections = options.maxConnections ?? 16;
  // A scraper that opens a connection and sends nothing holds it no longer than this.
  http.requestTimeout = 10_000;
  http.headersTimeout = 5_000;
  const listening = await listenHttp(http, options.host, options.port, options.onError);
  return { url: `${listening.origin}${METRICS_PATH}`, close: listening.close };
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}
