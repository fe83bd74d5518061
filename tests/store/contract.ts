/**
 * The behaviour every StoreBackend keeps, as one suite each backend's test file runs: put/get/list/delete,
 * optimistic versions, canonical values, and hostile ids (refused with `invalid-name` or stored and
 * listed under exactly that id).
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonValue } from '../../runtime/codec/index.ts';
import { StoreError, type StoreBackend } from '../../runtime/store/index.ts';

export interface OpenedStore {
  readonly store: StoreBackend;
  readonly dispose?: () => Promise<void>;
}

/** Characters ids are built from in the fuzz: the ones the id rules and file/URL mappings care about, and any. */
const ID_CHARS = ['a', 'Z', '0', '/', '.', '|', '\\', '%', '?', '#', ' ', ':', '\u0000', '\u001f', '\u007f', 'é', '\u{1F3B9}', '\uD800', '+', '&', '~', '*'];
const hostileId = fc.oneof(
  fc.array(fc.constantFrom(...ID_CHARS), { minLength: 0, maxLength: 12 }).map((chars) => chars.join('')),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.constantFrom('.', '..', '/', '../x', 'a/../b', '/..', '.hidden', 'x.json', 'x.json.lock', '.tmp-1-abc', 'é'.repeat(121), 'a'.repeat(240), 'a'.repeat(241)),
);

export async function expectStoreError(action: Promise<unknown>, code: string): Promise<StoreError> {
  const error = await action.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  expect((error as StoreError).code).toBe(code);
  return error as StoreError;
}

export function describeStoreContract(name: string, open: () => Promise<OpenedStore>, options: { fuzzRuns: number }): void {
  describe(`${name}: the StoreBackend contract`, () => {
    let opened: OpenedStore;
    let store: StoreBackend;
    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });
    afterEach(async () => {
      await store.close();
      await opened.dispose?.();
    });

    it('puts, gets and deletes a document; a missing one reads as undefined', async () => {
      expect(await store.get('midl', 'schemas', 'idl@1.0.0')).toBeUndefined();
      const written = await store.put('midl', 'schemas', 'idl@1.0.0', { name: 'idl', topics: [1, 2, { b: true, a: null }] });
      expect(written).toMatchObject({ corpus: 'midl', collection: 'schemas', id: 'idl@1.0.0' });
      expect(typeof written.version).toBe('string');
      const read = await store.get('midl', 'schemas', 'idl@1.0.0');
      expect(read).toEqual(written);
      expect(await store.get('midl', 'topics', 'idl@1.0.0')).toBeUndefined();
      expect(await store.delete('midl', 'schemas', 'idl@1.0.0')).toBe(true);
      expect(await store.delete('midl', 'schemas', 'idl@1.0.0')).toBe(false);
      expect(await store.get('midl', 'schemas', 'idl@1.0.0')).toBeUndefined();
    });

    it('gives back the canonical value: keys sorted at every depth, a copy the caller cannot change', async () => {
      const value = { z: 1, a: { y: [{ d: 1, c: 2 }], x: 'é\u{1F3B9}' }, m: -0.5 };
      const written = await store.put('midl', 'facts', 'f', value);
      value.z = 99;
      const read = (await store.get('midl', 'facts', 'f'))!;
      expect(read.value).toEqual({ a: { x: 'é\u{1F3B9}', y: [{ c: 2, d: 1 }] }, m: -0.5, z: 1 });
      expect(JSON.stringify(read.value)).toBe('{"a":{"x":"é\u{1F3B9}","y":[{"c":2,"d":1}]},"m":-0.5,"z":1}');
      expect(JSON.stringify(written.value)).toBe(JSON.stringify(read.value));
    });

    it('changes the version when the content changes, and writes only under the version read', async () => {
      const first = await store.put('midl', 'topics', 'gpu/job.dispatch', { n: 1 }, { ifVersion: null });
      await expectStoreError(store.put('midl', 'topics', 'gpu/job.dispatch', { n: 2 }, { ifVersion: null }), 'conflict');
      const second = await store.put('midl', 'topics', 'gpu/job.dispatch', { n: 2 }, { ifVersion: first.version });
      expect(second.version).not.toBe(first.version);
      const error = await expectStoreError(store.put('midl', 'topics', 'gpu/job.dispatch', { n: 3 }, { ifVersion: first.version }), 'conflict');
      expect(error.message).toContain('gpu/job.dispatch');
      expect((await store.get('midl', 'topics', 'gpu/job.dispatch'))!.value).toEqual({ n: 2 });
      await expectStoreError(store.put('midl', 'topics', 'absent', { n: 1 }, { ifVersion: first.version }), 'conflict');
      await expectStoreError(store.delete('midl', 'topics', 'gpu/job.dispatch', { ifVersion: first.version }), 'conflict');
      await expectStoreError(store.delete('midl', 'topics', 'gpu/job.dispatch', { ifVersion: null }), 'conflict');
      await expectStoreError(store.delete('midl', 'never', 'x', { ifVersion: first.version }), 'conflict');
      expect(await store.delete('midl', 'topics', 'gpu/job.dispatch', { ifVersion: second.version })).toBe(true);
      expect(await store.delete('midl', 'topics', 'gpu/job.dispatch', { ifVersion: null })).toBe(false);
    });

    it('lists ids sorted, by prefix and in pages; a missing collection lists empty', async () => {
      expect(await store.list('midl', 'nothing-here')).toEqual({ ids: [] });
      const ids = ['b/2', 'a/1', 'b/10', 'b/1', 'c', 'a/2', 'b/3'];
      for (const id of ids) await store.put('midl', 'topics', id, { id });
      expect((await store.list('midl', 'topics')).ids).toEqual([...ids].sort());
      expect(await store.list('midl', 'topics', { prefix: 'b/' })).toEqual({ ids: ['b/1', 'b/10', 'b/2', 'b/3'] });
      expect(await store.list('midl', 'topics', { prefix: 'zz' })).toEqual({ ids: [] });
      const pages: string[][] = [];
      let startAfter: string | undefined;
      do {
        const page = await store.list('midl', 'topics', { limit: 2, ...(startAfter === undefined ? {} : { startAfter }) });
        expect(page.ids.length).toBeLessThanOrEqual(2);
        pages.push([...page.ids]);
        startAfter = page.next;
      } while (startAfter !== undefined && pages.length < 10);
      expect(pages.flat()).toEqual([...ids].sort());
      expect(pages.length).toBeGreaterThanOrEqual(4);
      const prefixed = await store.list('midl', 'topics', { prefix: 'b/', limit: 3 });
      expect(prefixed.ids).toEqual(['b/1', 'b/10', 'b/2']);
      expect(await store.list('midl', 'topics', { prefix: 'b/', startAfter: prefixed.next! })).toEqual({ ids: ['b/3'] });
    });

    it('refuses a corpus or collection no backend may hold with invalid-name', async () => {
      for (const [corpus, collection] of [
        ['', 'x'],
        ['a.b', 'x'],
        ['../up', 'x'],
        ['midl', '..'],
        ['midl', 'a/b'],
        ['midl', 'x'.repeat(129)],
      ] as const) {
        await expectStoreError(store.put(corpus, collection, 'id', 1), 'invalid-name');
        await expectStoreError(store.get(corpus, collection, 'id'), 'invalid-name');
        await expectStoreError(store.list(corpus, collection), 'invalid-name');
        await expectStoreError(store.delete(corpus, collection, 'id'), 'invalid-name');
      }
    });

    it('refuses a value nested too deeply to serialize with too-large, and keeps what it held', async () => {
      await store.put('midl', 'facts', 'deep', { ok: true });
      const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as JsonValue;
      expect((await expectStoreError(store.put('midl', 'facts', 'deep', deep), 'too-large')).message).toContain('nested too deeply');
      expect((await store.get('midl', 'facts', 'deep'))?.value).toEqual({ ok: true });
    });

    it('stores any id under exactly that id, or refuses it with invalid-name (fuzz)', async () => {
      await fc.assert(
        fc.asyncProperty(hostileId, fc.integer(), async (id, n) => {
          const put = await store.put('fuzz', 'ids', id, { n }).then(
            (doc) => doc,
            (e: unknown) => e,
          );
          if (put instanceof StoreError && put.code === 'invalid-name') {
            await expectStoreError(store.get('fuzz', 'ids', id), 'invalid-name');
            return;
          }
          if (put instanceof Error) throw put;
          expect(await store.get('fuzz', 'ids', id)).toMatchObject({ id, value: { n } });
          const listed = await store.list('fuzz', 'ids', { prefix: id });
          expect(listed.ids).toContain(id);
          expect(await store.delete('fuzz', 'ids', id)).toBe(true);
        }),
        { numRuns: options.fuzzRuns },
      );
      expect(await store.list('fuzz', 'ids')).toEqual({ ids: [] });
    });
  });
}
