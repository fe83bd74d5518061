/**
 * MCP over Streamable HTTP on a plain node:http server, stateless: every POST to the endpoint gets a
 * server and a transport of its own, closed when the response ends, so nothing is kept between requests
 * and no number of clients makes the process grow. What a server would push unasked (list-changed
 * notifications, the GET event stream) needs a session and is not offered: GET and DELETE answer 405.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenHttp } from '../http/listen.ts';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';

export interface McpHttpOptions {
  /** Address to bind (an IP address or `localhost`). */
  readonly host: string;
  /** 0 lets the system choose. */
  readonly port: number;
  /** The endpoint's path ('/mcp'). */
  readonly path?: string;
  /** Connections open at once (64); more are closed as they come, so no number of clients grows the process. */
  readonly maxConnections?: number;
  /** A request that failed inside the SDK or a transport (after any HTTP answer was given). */
  readonly onError: (error: Error) => void;
}

export interface McpHttpServer {
  /** `http://HOST:PORT/PATH`, with the port really bound. */
  readonly url: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Serves `makeServer()`'s MCP server at `http://host:port/path`. On a loopback address the Host header
 * must name this server (DNS rebinding: a web page must not reach the tools through a name it controls);
 * bound to another address, the operator has chosen who may reach it.
 */
// The low-level Server on purpose: tool input schemas are the schema's own JSON Schemas, not zod re-descriptions.
// eslint-disable-next-line @typescript-eslint/no-deprecated
export async function serveMcpHttp(makeServer: () => Promise<Server>, options: McpHttpOptions): Promise<McpHttpServer> {
  // Imported here, not at the top: importing midl/services does not load the SDK (server.ts).
  const { StreamableHTTPServerTransport } = await import('@modelcontextprotocol/sdk/server/streamableHttp.js');
  const path = options.path ?? '/mcp';
  let allowedHosts: string[] | undefined;
  const http = createServer((req, res) => {
    void answer(req, res).catch((err: unknown) => {
      options.onError(err instanceof Error ? err : new Error(String(err)));
      if (!res.headersSent) plain(res, 500, 'internal error');
      else res.destroy();
    });
  });
  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = new URL(req.url ?? '/', 'http://host');
    if (target.pathname !== path) return plain(res, 404, `not found: the MCP endpoint is ${path}`);
    const refused = allowedHosts && foreignHost(req, allowedHosts);
    if (refused) return plain(res, 403, refused);
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return plain(res, 405, 'this MCP server is stateless: only POST is served');
    }
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    transport.onerror = (error) => options.onError(error);
    const server = await makeServer();
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };
  http.maxConnections = options.maxConnections ?? 64;
  const listening = await listenHttp(http, options.host, options.port, options.onError);
  if (LOOPBACK.has(options.host)) allowedHosts = [...LOOPBACK].map((h) => `${h.includes(':') ? `[${h}]` : h}:${listening.port}`);
  return { url: `${listening.origin}${path}`, close: listening.close };
}

/** Why a request is refused as coming through a name other than this server's (DNS rebinding), or undefined. */
function foreignHost(req: IncomingMessage, allowed: readonly string[]): string | undefined {
  const host = req.headers.host;
  if (host === undefined || !allowed.includes(host)) return `forbidden: Host ${host ?? '(none)'} is not this server (${allowed.join(', ')})`;
  const origin = req.headers.origin;
  // A browser names the page's origin: only a page served from this very host and port may call.
  if (origin !== undefined && !allowed.some((h) => origin === `http://${h}`)) return `forbidden: Origin ${origin} is not this server`;
  return undefined;
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}
