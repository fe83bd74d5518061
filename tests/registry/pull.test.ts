import { isAbsolute, join, relative, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore, type ListPage, type StoreBackend } from '../../runtime/store/index.ts';
import type { JsonValue } from '../../runtime/index.ts';
import { checkPulledPath, pullProgram, selectPrograms } from '../../cli/registry/pull.ts';
import { listAll, MAX_LISTED_IDS } from '../../cli/registry/list-all.ts';
import { textHash } from '../../cli/registry/content-hash.ts';
import { RegistryError } from '../../cli/registry/errors.ts';

/** The registry error `run` rejects with (a test fails when it resolves or throws anything else). */
async function registryError(run: () => Promise<unknown>): Promise<RegistryError> {
  const err: unknown = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RegistryError);
  return err as RegistryError;
}

/** A store holding program `p` with `files` published as midl publish writes them. */
async function storeWith(files: Record<string, string>): Promise<MemoryStore> {
  const store = new MemoryStore();
  for (const [path, content] of Object.entries(files)) await store.put('midl', 'generated', `p/${path}`, { program: 'p', path, content });
  const hashes = Object.fromEntries(Object.entries(files).map(([path, content]) => [path, textHash(content)]));
  await store.put('midl', 'programs', 'p', { program: 'p', packages: { 'x.y': '1.0.0' }, files: hashes });
  await store.put('midl', 'schemas', 'x.y@1.0.0', { package: 'x.y', version: '1.0.0', contentHash: 'h' });
  return store;
}

describe('checkPulledPath', () => {
  it('accepts relative POSIX paths and refuses everything that could leave the output directory', () => {
    for (const ok of ['index.ts', 'facts/facts.json', 'types/a.b.ts', '..x', 'a/.hidden']) expect(() => checkPulledPath(ok, 'p')).not.toThrow();
    for (const bad of [
      '',
      '../x',
      'a/../../x',
      '/etc/passwd',
      'C:/x',
      'c:x',
      'a\\..\\x',
      'a//b',
      'a/./b',
      'a/',
      '.',
      '..',
      'a\u0000b',
      'a\nb',
      'x'.repeat(1025),
    ]) {
      let caught: unknown;
      try {
        checkPulledPath(bad, 'p');
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(bad)).toBeInstanceOf(RegistryError);
      expect((caught as RegistryError).code).toBe('unsafe-path');
    }
  });

  it('property: a path it accepts stays below the output directory and means itself', () => {
    const segment = fc.oneof(fc.constantFrom('.', '..', '', 'a', '\\', 'C:', '~'), fc.string({ maxLength: 6 }));
    const path = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.array(segment, { maxLength: 5 }).map((s) => s.join('/')),
    );
    const dir = resolve('/tmp/out');
    fc.assert(
      fc.property(path, (p) => {
        let accepted = true;
        try {
          checkPulledPath(p, 'p');
        } catch (err) {
          if (!(err instanceof RegistryError) || err.code !== 'unsafe-path') throw err;
          accepted = false;
        }
        if (!accepted) return;
        const full = join(dir, p);
        const rel = relative(dir, full);
        expect(isAbsolute(rel) || rel.startsWith('..') || rel === '').toBe(false);
        expect(rel.split('\\').join('/')).toBe(p);
      }),
      { numRuns: 500 },
    );
  });
});

describe('pullProgram on a hostile store', () => {
  it('reads back what the manifest names, sorted', async () => {
    const store = await storeWith({ 'b.ts': 'B\n', 'a/x.json': '{}\n' });
    expect(await pullProgram(store, 'p')).toEqual({
      program: 'p',
      files: [
        { path: 'a/x.json', content: '{}\n' },
        { path: 'b.ts', content: 'B\n' },
      ],
    });
  });

  it('refuses a traversing or absolute file name before reading any file', async () => {
    for (const path of ['../escape.ts', '/abs.ts', 'a/../../x']) {
      const store = await storeWith({ 'ok.ts': 'x' });
      await store.put('midl', 'programs', 'p', { files: { 'ok.ts': textHash('x'), [path]: textHash('evil') } });
      expect((await registryError(() => pullProgram(store, 'p'))).code).toBe('unsafe-path');
    }
  });

  it('refuses a file whose content does not match its manifest hash, a missing file, a content that is not text', async () => {
    const tampered = await storeWith({ 'a.ts': 'A' });
    await tampered.put('midl', 'generated', 'p/a.ts', { program: 'p', path: 'a.ts', content: 'evil' });
    const e1 = await registryError(() => pullProgram(tampered, 'p'));
    expect([e1.code, e1.message]).toEqual(['corrupt', expect.stringContaining('p/a.ts does not match the hash')]);

    const missing = await storeWith({ 'a.ts': 'A' });
    await missing.delete('midl', 'generated', 'p/a.ts');
    expect((await registryError(() => pullProgram(missing, 'p'))).code).toBe('missing');

    const binary = await storeWith({ 'a.ts': 'A' });
    await binary.put('midl', 'generated', 'p/a.ts', { content: 42 });
    expect((await registryError(() => pullProgram(binary, 'p'))).code).toBe('corrupt');
  });

  it('refuses a path that is both a file and a directory', async () => {
    const store = await storeWith({ a: 'file', 'a/b.ts': 'B' });
    const err = await registryError(() => pullProgram(store, 'p'));
    expect([err.code, err.message]).toEqual(['unsafe-path', expect.stringContaining('a is both a file and the directory of a/b.ts')]);
  });

  it('property: any manifest gives checked files or a typed error', async () => {
    const json = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>;
    const manifest = fc.oneof(
      json,
      fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('a.ts', '../a', 'x/y')), json, { maxKeys: 4 }).map((files) => ({ files })),
    );
    await fc.assert(
      fc.asyncProperty(manifest, fc.option(json), async (value, fileDoc) => {
        const store = new MemoryStore();
        await store.put('midl', 'programs', 'p', value);
        if (fileDoc !== null) await store.put('midl', 'generated', 'p/a.ts', fileDoc);
        try {
          const pulled = await pullProgram(store, 'p');
          for (const f of pulled.files) expect(() => checkPulledPath(f.path, 'p')).not.toThrow();
        } catch (err) {
          expect(err).toBeInstanceOf(RegistryError);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('selectPrograms', () => {
  it('selects by program name and by package@version, and says what the store has when a name is unknown', async () => {
    const store = await storeWith({ 'a.ts': 'A' });
    expect(await selectPrograms(store, [])).toEqual(['p']);
    expect(await selectPrograms(store, ['p'])).toEqual(['p']);
    expect(await selectPrograms(store, ['x.y@1.0.0'])).toEqual(['p']);
    const unknown = await registryError(() => selectPrograms(store, ['q']));
    expect([unknown.code, unknown.message]).toEqual(['not-found', 'memory has no published program "q" (it has: p)']);
    expect((await registryError(() => selectPrograms(store, ['x.y@2.0.0']))).message).toBe('memory has no published schema x.y@2.0.0');
    expect((await registryError(() => selectPrograms(new MemoryStore(), []))).code).toBe('not-found');
  });
});

describe('listAll', () => {
  /** A store whose list answers with `page` for every call. */
  const listing = (page: (startAfter: string | undefined) => ListPage): StoreBackend => {
    const store = new MemoryStore();
    return Object.assign(store, { list: (_c: string, _k: string, o?: { startAfter?: string }) => Promise.resolve(page(o?.startAfter)) });
  };

  it('walks every page', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 1001; i++) await store.put('midl', 'topics', `t${String(i).padStart(4, '0')}`, i);
    const ids = await listAll(store, 'midl', 'topics');
    expect(ids).toHaveLength(1001);
    expect(ids.at(-1)).toBe('t1000');
  });

  it('refuses a store whose pages do not advance or never end', async () => {
    const stuck = listing(() => ({ ids: ['a'], next: 'a' }));
    expect((await registryError(() => listAll(stuck, 'midl', 'topics'))).message).toContain('does not advance');
    let n = 0;
    const endless = listing(() => {
      const ids = Array.from({ length: 1000 }, () => `id${String(n++).padStart(9, '0')}`);
      return { ids, next: ids.at(-1)! };
    });
    const err = await registryError(() => listAll(endless, 'midl', 'topics'));
    expect([err.code, err.message]).toEqual(['corrupt', `memory: midl/topics lists more than ${MAX_LISTED_IDS} ids`]);
  });
});
