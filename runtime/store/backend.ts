/**
 * The store contract every backend keeps: JSON documents at (corpus, collection, id), with optimistic
 * versions, as FountainKit's registry addresses them (corpus → collection → document). Backends: the
 * seed directory on disk (disk.ts), a FountainStore v0.2.1 HTTP server (http.ts), memory (memory.ts).
 */
import type { JsonValue } from '../codec/index.ts';

/** A document as a backend holds it. */
export interface StoredDocument {
  readonly corpus: string;
  readonly collection: string;
  readonly id: string;
  readonly value: JsonValue;
  /**
   * Opaque optimistic version: changes whenever the document's content changes. Pass it back as
   * `ifVersion` to write only when nobody wrote in between.
   */
  readonly version: string;
}

/** `ifVersion`: the version the caller read (the write is refused with `conflict` when it changed); `null`: the document must not exist yet. */
export interface WriteCondition {
  readonly ifVersion?: string | null;
}

export interface ListOptions {
  /** Only ids starting with this (raw ids, before any file-name mapping). */
  readonly prefix?: string;
  /** Ids after this one (the `next` of the previous page). */
  readonly startAfter?: string;
  /** At most this many ids (default and ceiling 1000). */
  readonly limit?: number;
}

export interface ListPage {
  /** Ids in ascending code-unit order. */
  readonly ids: readonly string[];
  /** Set when more ids follow: pass it as `startAfter`. */
  readonly next?: string;
}

export interface StoreBackend {
  /** Where the documents live, for messages: a directory, a URL, `memory`. */
  readonly description: string;
  get(corpus: string, collection: string, id: string): Promise<StoredDocument | undefined>;
  /** Writes `value` (atomically: a reader sees the old or the new document, never a part). */
  put(corpus: string, collection: string, id: string, value: JsonValue, condition?: WriteCondition): Promise<StoredDocument>;
  list(corpus: string, collection: string, options?: ListOptions): Promise<ListPage>;
  /** True when a document was deleted. */
  delete(corpus: string, collection: string, id: string, condition?: WriteCondition): Promise<boolean>;
  close(): Promise<void>;
}

export const StoreErrorCode = {
  /** A corpus, collection or id the store cannot hold (empty, too long, a control character, `..`). */
  InvalidName: 'invalid-name',
  /** `ifVersion` did not match: someone else wrote first. */
  Conflict: 'conflict',
  /** A stored document that is not valid JSON, or a reply the protocol does not allow. */
  Corrupt: 'corrupt',
  /** The store refused the credentials (HTTP 401/403). */
  Unauthorized: 'unauthorized',
  /** The store cannot be reached or failed (I/O error, HTTP 5xx, timeout). */
  Unavailable: 'unavailable',
  /** A document or reply over the backend's size bound. */
  TooLarge: 'too-large',
} as const;
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

/** Every backend's failures: a code to branch on and a message naming the store and the document. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** FountainStore's collection-name rule; a corpus has no `.` as well (the HTTP backend joins corpus.collection). */
const COLLECTION_NAME = /^[A-Za-z0-9._-]{1,128}$/;
const CORPUS_NAME = /^[A-Za-z0-9_-]{1,128}$/;
/** The longest id in UTF-8 bytes: a file name is at most 255 bytes and the disk backend adds `.json`. */
export const MAX_ID_BYTES = 240;

/** Refuses a corpus, collection or id no backend may hold, with `invalid-name` saying which and why. */
export function checkStoreKey(corpus: string, collection: string, id: string): void {
  if (!CORPUS_NAME.test(corpus)) throw new StoreError('invalid-name', `corpus ${JSON.stringify(corpus)}: 1–128 of A–Z a–z 0–9 _ -`);
  if (!COLLECTION_NAME.test(collection) || collection === '.' || collection === '..')
    throw new StoreError('invalid-name', `collection ${JSON.stringify(collection)}: 1–128 of A–Z a–z 0–9 . _ -, not . or ..`);
  checkStoreId(id);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** An id: non-empty, at most MAX_ID_BYTES of UTF-8, no control character, no `|` (the file-name form of `/`), no `\`, and not `.`/`..` once `/` is mapped. */
export function checkStoreId(id: string): void {
  const bytes = new TextEncoder().encode(id).length;
  if (id.length === 0 || bytes > MAX_ID_BYTES) throw new StoreError('invalid-name', `id of ${bytes} bytes: 1–${MAX_ID_BYTES} bytes of UTF-8`);
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\u0000-\u001f\u007f|\\]/.test(id) || LONE_SURROGATE.test(id))
    throw new StoreError('invalid-name', `id ${JSON.stringify(id)}: no control character, '|', '\\' or lone surrogate`);
  if (id === '.' || id === '..') throw new StoreError('invalid-name', `id ${JSON.stringify(id)}: not . or ..`);
}

/** FountainKit's file-name form of an id: `/` → `|` (store-apply-seed takes the file name, less `.json`, as the id). */
export function idToFileName(id: string): string {
  return `${id.replace(/\//g, '|')}.json`;
}

/**
 * The bytes every backend stores a value as: keys sorted (code-unit order), two-space indent, one final
 * newline; so a document diffs cleanly and the same value always gives the same bytes.
 */
export function canonicalJson(value: JsonValue): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: JsonValue } = {};
  for (const key of Object.keys(value).sort())
    Object.defineProperty(out, key, { value: sortKeys(value[key]!), enumerable: true, writable: true, configurable: true });
  return out;
}
