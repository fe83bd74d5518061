/**
 * The store over a FountainStore v0.2.1 HTTP server (reference/fountain.md §1.3): a corpus/collection is
 * the server's collection `<corpus>.<collection>` (made on first write), a document is the record `{id,
 * data}`, a listing is a `scan` query. The server keeps no version over HTTP, so the version is a hash
 * of the document's canonical bytes, as on disk, and `ifVersion` is read-compare-write: serialized
 * within this process, but NOT atomic against other writers of the same server (its transactions offer
 * only a store-wide `requireSequenceAtLeast`, no per-record compare). FountainKit's
 * DiskFountainStoreClient cannot read these records (it stores base64 payloads); see docs/store.md.
 */
import type { JsonValue } from '../codec/index.ts';
import {
  checkStoreId,
  checkStoreKey,
  StoreError,
  type ListOptions,
  type ListPage,
  type StoreBackend,
  type StoredDocument,
  type WriteCondition,
} from './backend.ts';
import { storableJson } from './canonical-text.ts';
import { MAX_LIST_LIMIT } from './paging.ts';
import { contentVersion } from './version.ts';

/** The largest reply read (and document sent): a bigger one is `too-large`. */
export const HTTP_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** A store that does not answer within this is `unavailable`, so a dead server fails a command quickly. */
export const HTTP_DEFAULT_TIMEOUT_MS = 5_000;

export interface FountainStoreHttpOptions {
  /** The server's root, with whatever base path it is served under (`http://host:8080`, `https://host/v1`). */
  readonly baseUrl: string;
  /** Sent as `x-api-key` (the server checks it only when started with FS_API_KEY). */
  readonly apiKey?: string;
  /** Per request, reply body included (default HTTP_DEFAULT_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof globalThis.fetch;
  /** Default HTTP_MAX_RESPONSE_BYTES. */
  readonly maxResponseBytes?: number;
}

interface Reply {
  readonly status: number;
  readonly text: string;
  readonly where: string;
}

/** A record as the server returns it (Record in its OpenAPI: id and data required). */
interface HttpRecord {
  readonly id: string;
  readonly data: JsonValue;
  readonly deleted: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class FountainStoreHttp implements StoreBackend {
  readonly description: string;
  private readonly base: string;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof globalThis.fetch;
  private readonly maxBytes: number;
  /** Collections known to exist, so each is created at most once per process. */
  private readonly collections = new Set<string>();
  /** The tail of each document's queue of writes in this process. */
  private readonly writes = new Map<string, Promise<unknown>>();

  constructor(options: FountainStoreHttpOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch (error) {
      throw new StoreError('invalid-name', `FountainStore base URL ${JSON.stringify(options.baseUrl)}: not a URL`, { cause: error });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new StoreError('invalid-name', `FountainStore base URL ${JSON.stringify(options.baseUrl)}: http: or https: only`);
    this.base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    this.description = this.base;
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? HTTP_DEFAULT_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.maxBytes = options.maxResponseBytes ?? HTTP_MAX_RESPONSE_BYTES;
  }

  async get(corpus: string, collection: string, id: string): Promise<StoredDocument | undefined> {
    const name = collectionName(corpus, collection, id);
    const reply = await this.request('GET', recordPath(name, id));
    if (reply.status === 404) return undefined;
    if (reply.status !== 200) throw this.unexpected(reply);
    const record = this.record(reply, id);
    return record.deleted ? undefined : this.document(corpus, collection, id, record.data);
  }

  async put(corpus: string, collection: string, id: string, value: JsonValue, condition?: WriteCondition): Promise<StoredDocument> {
    const name = collectionName(corpus, collection, id);
    const body = JSON.stringify({ id, data: JSON.parse(storableJson(value, `${this.base}: ${name}/${id}`)) as JsonValue });
    if (new TextEncoder().encode(body).length > this.maxBytes)
      throw new StoreError('too-large', `${this.base}: ${name}/${id}: the record is over the bound of ${this.maxBytes} bytes`);
    return this.serialized(`${name}\u0000${id}`, async () => {
      if (condition?.ifVersion !== undefined) this.check(name, id, await this.get(corpus, collection, id), condition.ifVersion);
      let reply = await this.putRecord(name, id, body);
      if (reply.status === 404) {
        // The collection was dropped since this process made it.
        this.collections.delete(name);
        reply = await this.putRecord(name, id, body);
      }
      if (reply.status !== 200 && reply.status !== 201) throw this.unexpected(reply);
      return this.document(corpus, collection, id, this.record(reply, id).data);
    });
  }

  async list(corpus: string, collection: string, options: ListOptions = {}): Promise<ListPage> {
    const name = collectionName(corpus, collection, 'x');
    const limit = Math.max(1, Math.min(MAX_LIST_LIMIT, Math.floor(options.limit ?? MAX_LIST_LIMIT)));
    const prefix = options.prefix ?? '';
    const query = {
      type: 'scan',
      ...(prefix !== '' ? { prefix } : {}),
      ...(options.startAfter !== undefined ? { startAfter: options.startAfter } : {}),
      limit,
    };
    const reply = await this.request('POST', `/collections/${encodeURIComponent(name)}/query`, JSON.stringify(query));
    if (reply.status === 404) return { ids: [] };
    if (reply.status !== 200) throw this.unexpected(reply);
    const page = this.json(reply);
    if (
      !isObject(page) ||
      !Array.isArray(page.items) ||
      !(page.nextPageToken === undefined || page.nextPageToken === null || typeof page.nextPageToken === 'string')
    )
      throw new StoreError('corrupt', `${reply.where}: not a query reply {items, nextPageToken}`);
    if (page.items.length > limit) throw new StoreError('corrupt', `${reply.where}: ${page.items.length} items for a limit of ${limit}`);
    const records = page.items.map((item, index) => this.listedRecord(reply, item, index, prefix));
    const ids = records.filter((r) => !r.deleted).map((r) => r.id);
    ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const last = records.at(-1);
    return typeof page.nextPageToken === 'string' && page.nextPageToken !== '' && last !== undefined ? { ids, next: last.id } : { ids };
  }

  async delete(corpus: string, collection: string, id: string, condition?: WriteCondition): Promise<boolean> {
    const name = collectionName(corpus, collection, id);
    return this.serialized(`${name}\u0000${id}`, async () => {
      // Read first: the reply to DELETE does not say reliably whether there was a record.
      const current = await this.get(corpus, collection, id);
      if (condition?.ifVersion !== undefined) this.check(name, id, current, condition.ifVersion);
      if (current === undefined) return false;
      const reply = await this.request('DELETE', recordPath(name, id));
      if (reply.status === 404) return false;
      if (reply.status !== 204 && reply.status !== 200) throw this.unexpected(reply);
      return true;
    });
  }

  close(): Promise<void> {
    return Promise.resolve(); // fetch keeps no connection this backend owns
  }

  private async putRecord(name: string, id: string, body: string): Promise<Reply> {
    await this.ensureCollection(name);
    return this.request('PUT', recordPath(name, id), body);
  }

  private async ensureCollection(name: string): Promise<void> {
    if (this.collections.has(name)) return;
    const reply = await this.request('POST', '/collections', JSON.stringify({ name }));
    if (reply.status !== 201 && reply.status !== 200 && reply.status !== 409) throw this.unexpected(reply);
    this.collections.add(name);
  }

  private document(corpus: string, collection: string, id: string, data: JsonValue): StoredDocument {
    const text = storableJson(data, `${this.base}: the record ${corpus}.${collection}/${id} it returned`);
    return { corpus, collection, id, value: data, version: contentVersion(new TextEncoder().encode(text)) };
  }

  private check(name: string, id: string, current: StoredDocument | undefined, expected: string | null): void {
    if (expected === null ? current === undefined : current?.version === expected) return;
    throw new StoreError(
      'conflict',
      `${this.base}: ${name}/${id}: ${current === undefined ? 'does not exist' : `is at version ${current.version}`}, not ${expected ?? 'absent'}`,
    );
  }

  /** Runs `work` after every earlier write of the same document in this process has finished. */
  private serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.writes.get(key) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.then(
      () => undefined,
      () => undefined, // the caller gets the failure through `run`; the queue only waits for it to settle
    );
    this.writes.set(key, tail);
    void tail.then(() => {
      if (this.writes.get(key) === tail) this.writes.delete(key);
    });
    return run;
  }

  private async request(method: string, path: string, body?: string): Promise<Reply> {
    const url = `${this.base}${path}`;
    const where = `${method} ${url}`;
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.apiKey !== undefined) headers['x-api-key'] = this.apiKey;
    let text: string;
    let status: number;
    try {
      const response = await this.fetchImpl(url, { method, headers, body, redirect: 'error', signal: AbortSignal.timeout(this.timeoutMs) });
      status = response.status;
      text = await this.readBody(response, where);
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw this.unreachable(error, where);
    }
    const reply = { status, text, where };
    if (status === 401 || status === 403)
      throw new StoreError(
        'unauthorized',
        `${where}: ${status}: the store refused the credentials${this.apiKey === undefined ? ' (no key was sent: set $FOUNTAINSTORE_API_KEY)' : ''}${problemText(text)}`,
      );
    if (status >= 500) throw new StoreError('unavailable', `${where}: the store failed with ${status}${problemText(text)}`);
    return reply;
  }

  /** The body as text, refusing one over the bound before or while it is read. */
  private async readBody(response: Response, where: string): Promise<string> {
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > this.maxBytes) {
      await response.body?.cancel();
      throw new StoreError('too-large', `${where}: a reply of ${declared} bytes, over the bound of ${this.maxBytes}`);
    }
    if (response.body === null) return '';
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > this.maxBytes) {
        await reader.cancel();
        throw new StoreError('too-large', `${where}: a reply over the bound of ${this.maxBytes} bytes`);
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    try {
      return utf8.decode(bytes);
    } catch (error) {
      throw new StoreError('corrupt', `${where}: a reply that is not UTF-8`, { cause: error });
    }
  }

  private unreachable(error: unknown, where: string): StoreError {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError')
      return new StoreError('unavailable', `${where}: no reply within ${this.timeoutMs} ms`, { cause: error });
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    return new StoreError('unavailable', `${where}: cannot reach the store (${reason})`, { cause: error });
  }

  /** A status the protocol does not give for this request. */
  private unexpected(reply: Reply): StoreError {
    const detail = `${reply.where}: ${reply.status}${problemText(reply.text)}`;
    if (reply.status === 400 || reply.status === 422) return new StoreError('invalid-name', `the store refused the request: ${detail}`);
    if (reply.status === 409) return new StoreError('conflict', `the store reports a conflict: ${detail}`);
    if (reply.status === 413) return new StoreError('too-large', `the store refused the size: ${detail}`);
    return new StoreError('corrupt', `a reply the FountainStore API does not give: ${detail}`);
  }

  private json(reply: Reply): unknown {
    try {
      return JSON.parse(reply.text) as unknown;
    } catch (error) {
      throw new StoreError('corrupt', `${reply.where}: a reply that is not JSON (${(error as Error).message})`, { cause: error });
    }
  }

  private record(reply: Reply, id: string): HttpRecord {
    const value = this.json(reply);
    if (!isObject(value) || typeof value.id !== 'string' || !('data' in value) || !(value.deleted === undefined || typeof value.deleted === 'boolean'))
      throw new StoreError('corrupt', `${reply.where}: not a record {id, data}`);
    if (value.id !== id) throw new StoreError('corrupt', `${reply.where}: a record for id ${JSON.stringify(value.id)}, not ${JSON.stringify(id)}`);
    return { id, data: value.data as JsonValue, deleted: value.deleted === true };
  }

  private listedRecord(reply: Reply, item: unknown, index: number, prefix: string): { id: string; deleted: boolean } {
    if (!isObject(item) || typeof item.id !== 'string' || !(item.deleted === undefined || typeof item.deleted === 'boolean'))
      throw new StoreError('corrupt', `${reply.where}: items[${index}] is not a record {id, data}`);
    if (!item.id.startsWith(prefix))
      throw new StoreError('corrupt', `${reply.where}: items[${index}] (${JSON.stringify(item.id)}) lacks the prefix ${JSON.stringify(prefix)}`);
    try {
      checkStoreId(item.id);
    } catch (error) {
      throw new StoreError('corrupt', `${reply.where}: items[${index}] holds an id this store cannot address (${(error as Error).message})`, { cause: error });
    }
    return { id: item.id, deleted: item.deleted === true };
  }
}

/** The server's collection for a corpus and collection: `<corpus>.<collection>` (a corpus has no `.`, so the split is unambiguous). */
function collectionName(corpus: string, collection: string, id: string): string {
  checkStoreKey(corpus, collection, id);
  const name = `${corpus}.${collection}`;
  if (name.length > 128) throw new StoreError('invalid-name', `collection ${JSON.stringify(name)}: FountainStore names are at most 128 characters`);
  return name;
}

function recordPath(name: string, id: string): string {
  return `/collections/${encodeURIComponent(name)}/records/${encodeURIComponent(id)}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `: title: detail` of an RFC 7807 problem body, or a short excerpt of another body, for a message. */
function problemText(text: string): string {
  if (text === '') return '';
  try {
    const problem = JSON.parse(text) as unknown;
    if (isObject(problem) && (typeof problem.title === 'string' || typeof problem.detail === 'string'))
      return `: ${[problem.title, problem.detail].filter((s) => typeof s === 'string' && s !== '').join(': ')}`;
  } catch {
    // not JSON: the excerpt below says what came
  }
  return `: ${JSON.stringify(text.slice(0, 200))}`;
}
