/** The in-memory backend: for tests and for a process that needs a store it does not share. */
import type { JsonValue } from '../codec/index.ts';
import { checkStoreKey, StoreError, type ListOptions, type ListPage, type StoreBackend, type StoredDocument, type WriteCondition } from './backend.ts';
import { storableJson } from './canonical-text.ts';
import { listPage } from './paging.ts';

export class MemoryStore implements StoreBackend {
  readonly description = 'memory';
  /** corpus/collection → id → canonical JSON text (a copy: callers cannot change what is stored). */
  private readonly collections = new Map<string, Map<string, { text: string; version: number }>>();
  private versions = 0;

  get(corpus: string, collection: string, id: string): Promise<StoredDocument | undefined> {
    return settle(() => {
      checkStoreKey(corpus, collection, id);
      const held = this.collections.get(`${corpus}/${collection}`)?.get(id);
      return held && { corpus, collection, id, value: JSON.parse(held.text) as JsonValue, version: String(held.version) };
    });
  }

  put(corpus: string, collection: string, id: string, value: JsonValue, condition?: WriteCondition): Promise<StoredDocument> {
    return settle(() => {
      checkStoreKey(corpus, collection, id);
      const key = `${corpus}/${collection}`;
      const docs = this.collections.get(key) ?? new Map<string, { text: string; version: number }>();
      this.check(docs.get(id)?.version, condition, `${key}/${id}`);
      const text = storableJson(value, `memory: ${key}/${id}`);
      const version = ++this.versions;
      docs.set(id, { text, version });
      this.collections.set(key, docs);
      return { corpus, collection, id, value: JSON.parse(text) as JsonValue, version: String(version) };
    });
  }

  list(corpus: string, collection: string, options: ListOptions = {}): Promise<ListPage> {
    return settle(() => {
      checkStoreKey(corpus, collection, 'x');
      return listPage([...(this.collections.get(`${corpus}/${collection}`)?.keys() ?? [])], options);
    });
  }

  delete(corpus: string, collection: string, id: string, condition?: WriteCondition): Promise<boolean> {
    return settle(() => {
      checkStoreKey(corpus, collection, id);
      const docs = this.collections.get(`${corpus}/${collection}`);
      this.check(docs?.get(id)?.version, condition, `${corpus}/${collection}/${id}`);
      return docs?.delete(id) ?? false;
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private check(current: number | undefined, condition: WriteCondition | undefined, where: string): void {
    if (condition?.ifVersion === undefined) return;
    const expected = condition.ifVersion;
    if (expected === null ? current !== undefined : current === undefined || String(current) !== expected)
      throw new StoreError(
        'conflict',
        `memory: ${where}: ${current === undefined ? 'does not exist' : `is at version ${current}`}, not ${expected ?? 'absent'}`,
      );
  }
}

/** Runs `work` now and gives its result as a promise: a refused key rejects, as in every other backend, instead of throwing at the call. */
function settle<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => resolve(work()));
}
