/**
 * A test double of the FountainStore v0.2.1 HTTP server, written from its documentation
 * (../shared/reference/fountain.md §1.3; the status codes that leaves out, such as 204 for a DELETE, from
 * Fountain-Store's docs/openapi-fountainstore.yaml), not from the Swift server's code: the routes
 * FountainStoreHttp uses, over node:http on 127.0.0.1.
 *
 * - `GET /health`; `GET|POST /collections` (names `^[A-Za-z0-9._-]{1,128}$`, 409 when it exists);
 *   `GET|DELETE /collections/{c}`;
 * - `PUT|GET|DELETE /collections/{c}/records/{id}`: PUT `{id?, data, version?}` → 201 with `Location` when
 *   created, 200 when replaced, body `{id, data, version, sequence, deleted}` (`version` is not kept, as
 *   over the real HTTP surface); DELETE → 204; a missing record or collection → 404;
 * - `POST /collections/{c}/query`: `{type:"byId",id}` and `{type:"scan",prefix?,startAfter?,limit?}` →
 *   `{items, nextPageToken}` (the last id returned when more follow, HMAC-signed when a key is set);
 * - auth only when `apiKey` is set (FS_API_KEY): `x-api-key: K` or `Authorization: Bearer K`, else 401;
 * - every error is RFC 7807 `application/problem+json`; the whole surface can sit under a base path.
 *
 * Ids are ordered by UTF-16 code units here; the real server's order is its engine's.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FountainStoreServerOptions {
  /** Where the API is mounted (`/v1`); the real server uses the root. */
  readonly basePath?: string;
  /** FS_API_KEY: when set, every request must carry it. */
  readonly apiKey?: string;
  /** Takes over a request before the API sees it (return true): a failing, hanging or hostile server. */
  readonly intercept?: (request: IncomingMessage, response: ServerResponse) => boolean;
}

export interface ServerRecord {
  readonly id: string;
  readonly data: unknown;
  readonly sequence: number;
}

export interface FountainStoreServer {
  /** The base URL, base path included. */
  readonly url: string;
  /** collection → id → record, as the server holds them. */
  readonly collections: ReadonlyMap<string, ReadonlyMap<string, ServerRecord>>;
  /** `METHOD path` of every request, in order. */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

const COLLECTION_NAME = /^[A-Za-z0-9._-]{1,128}$/;
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const MAX_ID_LENGTH = 512;

class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
  ) {
    super(title);
  }
}

export async function startFountainStoreServer(options: FountainStoreServerOptions = {}): Promise<FountainStoreServer> {
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const collections = new Map<string, Map<string, ServerRecord>>();
  const requests: string[] = [];
  let sequence = 0;

  const api = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://store');
    requests.push(`${request.method} ${url.pathname}`);
    if (options.intercept?.(request, response)) return;
    try {
      authorize(request, options.apiKey);
      if (!url.pathname.startsWith(`${basePath}/`)) throw new Problem(404, 'Not Found', `no route ${url.pathname}`);
      const segments = url.pathname
        .slice(basePath.length + 1)
        .split('/')
        .map((segment) => {
          try {
            return decodeURIComponent(segment);
          } catch {
            throw new Problem(400, 'Bad Request', `malformed path segment ${segment}`);
          }
        });
      const body = request.method === 'POST' || request.method === 'PUT' ? await readJson(request) : undefined;
      const [root, collection, kind, id, extra] = segments;
      if (root === 'health' && segments.length === 1 && request.method === 'GET')
        return send(response, 200, { status: 'ok', engine: { sequence, writable: true, lastFlushMs: 0 } });
      if (root !== 'collections' || extra !== undefined) throw new Problem(404, 'Not Found', `no route ${url.pathname}`);
      if (collection === undefined || (collection === '' && segments.length === 2)) return collectionsRoute(request.method, url, body, response);
      const records = collections.get(collection);
      if (kind === undefined) return collectionRoute(request.method, collection, records, response);
      if (records === undefined) throw new Problem(404, 'Not Found', `no collection ${collection}`);
      if (kind === 'query' && id === undefined) {
        if (request.method !== 'POST') throw new Problem(405, 'Method Not Allowed');
        return send(response, 200, query(records, body, options.apiKey));
      }
      if (kind !== 'records' || id === undefined) throw new Problem(404, 'Not Found', `no route ${url.pathname}`);
      return recordRoute(request.method, collection, records, id, body, response);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      sendProblem(response, error);
    }
  };

  function collectionsRoute(method: string | undefined, url: URL, body: unknown, response: ServerResponse): void {
    if (method === 'GET') {
      const pageSize = Number(url.searchParams.get('pageSize') ?? 100);
      const after = url.searchParams.get('pageToken') ?? '';
      const names = [...collections.keys()].sort().filter((name) => name > after);
      const items = names.slice(0, pageSize).map((name) => ({ name, recordsApprox: collections.get(name)!.size }));
      return send(response, 200, { items, nextPageToken: names.length > pageSize ? items.at(-1)!.name : null });
    }
    if (method !== 'POST') throw new Problem(405, 'Method Not Allowed');
    const name = isObject(body) ? body.name : undefined;
    if (typeof name !== 'string' || !COLLECTION_NAME.test(name)) throw new Problem(400, 'Bad Request', 'collection name must match ^[A-Za-z0-9._-]{1,128}$');
    if (collections.has(name)) throw new Problem(409, 'Conflict', `collection ${name} exists`);
    collections.set(name, new Map());
    send(response, 201, { name, recordsApprox: 0 });
  }

  function collectionRoute(method: string | undefined, name: string, records: Map<string, ServerRecord> | undefined, response: ServerResponse): void {
    if (records === undefined) throw new Problem(404, 'Not Found', `no collection ${name}`);
    if (method === 'GET') return send(response, 200, { name, recordsApprox: records.size, indexes: [] });
    if (method !== 'DELETE') throw new Problem(405, 'Method Not Allowed');
    collections.delete(name);
    response.writeHead(204).end();
  }

  function recordRoute(
    method: string | undefined,
    collection: string,
    records: Map<string, ServerRecord>,
    id: string,
    body: unknown,
    response: ServerResponse,
  ): void {
    if (id.length < 1 || id.length > MAX_ID_LENGTH) throw new Problem(400, 'Bad Request', `id must be 1–${MAX_ID_LENGTH} characters`);
    const held = records.get(id);
    if (method === 'GET') {
      if (held === undefined) throw new Problem(404, 'Not Found', `no record ${id} in ${collection}`);
      return send(response, 200, recordBody(held));
    }
    if (method === 'DELETE') {
      if (held === undefined) throw new Problem(404, 'Not Found', `no record ${id} in ${collection}`);
      records.delete(id);
      sequence++;
      response.writeHead(204).end();
      return;
    }
    if (method !== 'PUT') throw new Problem(405, 'Method Not Allowed');
    if (!isObject(body) || !('data' in body)) throw new Problem(400, 'Bad Request', 'a record is {id?, data, version?}');
    if (body.id !== undefined && body.id !== id) throw new Problem(400, 'Bad Request', `body id ${JSON.stringify(body.id)} is not the path id`);
    const record = { id, data: body.data, sequence: ++sequence };
    records.set(id, record);
    if (held === undefined) {
      response.setHeader('location', `${basePath}/collections/${encodeURIComponent(collection)}/records/${encodeURIComponent(id)}`);
      return send(response, 201, recordBody(record));
    }
    send(response, 200, recordBody(record));
  }

  const server = createServer((request, response) => {
    api(request, response).catch((error: unknown) => {
      sendProblem(response, new Problem(500, 'Internal Server Error', (error as Error).message));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    collections,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function authorize(request: IncomingMessage, apiKey: string | undefined): void {
  if (apiKey === undefined) return;
  if (request.headers['x-api-key'] === apiKey || request.headers.authorization === `Bearer ${apiKey}`) return;
  throw new Problem(401, 'Unauthorized', 'missing or wrong API key');
}

function query(records: Map<string, ServerRecord>, body: unknown, apiKey: string | undefined): unknown {
  if (!isObject(body)) throw new Problem(400, 'Bad Request', 'a query is a JSON object');
  if (body.type === 'byId') {
    if (typeof body.id !== 'string') throw new Problem(400, 'Bad Request', 'byId needs an id');
    const held = records.get(body.id);
    return { items: held ? [recordBody(held)] : [], nextPageToken: null };
  }
  if (body.type !== 'scan') throw new Problem(400, 'Bad Request', `query type ${JSON.stringify(body.type)} is not served by this double`);
  const prefix = body.prefix ?? '';
  const startAfter = body.startAfter ?? undefined;
  const limit = body.limit ?? 100;
  if (typeof prefix !== 'string' || (startAfter !== undefined && typeof startAfter !== 'string'))
    throw new Problem(400, 'Bad Request', 'prefix and startAfter are strings');
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Problem(400, 'Bad Request', 'limit is 1–1000');
  const ids = [...records.keys()].filter((id) => id.startsWith(prefix) && (startAfter === undefined || id > startAfter)).sort();
  const items = ids.slice(0, limit).map((id) => recordBody(records.get(id)!));
  const last = items.at(-1)?.id;
  const more = ids.length > limit && last !== undefined;
  return { items, nextPageToken: more ? pageToken(last, apiKey) : null };
}

function pageToken(lastId: string, apiKey: string | undefined): string {
  const token = Buffer.from(lastId).toString('base64url');
  return apiKey === undefined ? token : `${token}.${createHmac('sha256', apiKey).update(token).digest('base64url')}`;
}

function recordBody(record: ServerRecord): { id: string; data: unknown; version: null; sequence: number; deleted: false } {
  return { id: record.id, data: record.data, version: null, sequence: record.sequence, deleted: false };
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_BODY_BYTES) throw new Problem(413, 'Payload Too Large', `bodies are at most ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (error) {
    throw new Problem(400, 'Bad Request', `body is not JSON: ${(error as Error).message}`);
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function sendProblem(response: ServerResponse, problem: Problem): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response
    .writeHead(problem.status, { 'content-type': 'application/problem+json' })
    .end(JSON.stringify({ type: 'about:blank', title: problem.title, status: problem.status, ...(problem.detail ? { detail: problem.detail } : {}) }));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
