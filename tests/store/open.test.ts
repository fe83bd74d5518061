import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DiskStore, FountainStoreHttp, MemoryStore, openStore, StoreRegistry, storeRegistry } from '../../runtime/store/index.ts';
import { expectStoreError } from './contract.ts';

function expectRefused(action: () => unknown, code: string): string {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toMatchObject({ name: 'StoreError', code });
  return (caught as Error).message;
}

describe('openStore', () => {
  it('opens .fountain/store under the working directory when nothing names a store', () => {
    const store = openStore(undefined, {});
    expect(store).toBeInstanceOf(DiskStore);
    expect(store.description).toBe(resolve('.fountain/store'));
    expect(openStore(undefined, { FOUNTAINSTORE_DIR: '' }).description).toBe(resolve('.fountain/store'));
  });

  it('takes $FOUNTAINSTORE_DIR when no spec is given, and a spec over it', () => {
    expect(openStore(undefined, { FOUNTAINSTORE_DIR: '/srv/seed' }).description).toBe(resolve('/srv/seed'));
    expect(openStore('relative/dir', { FOUNTAINSTORE_DIR: '/srv/seed' }).description).toBe(resolve('relative/dir'));
  });

  it('opens a directory from a path or a file URL', () => {
    const dir = join(resolve('/tmp'), 'a store');
    expect(openStore(dir, {})).toBeInstanceOf(DiskStore);
    const fromUrl = openStore(pathToFileURL(dir).href, {});
    expect(fromUrl).toBeInstanceOf(DiskStore);
    expect(fromUrl.description).toBe(dir);
    expect(expectRefused(() => openStore('file://remote-host/x', {}), 'invalid-name')).toContain('file URL');
  });

  it('opens memory: and FountainStore HTTP(S) URLs, the key from $FOUNTAINSTORE_API_KEY only', () => {
    expect(openStore('memory:', {})).toBeInstanceOf(MemoryStore);
    expectRefused(() => openStore('memory:named', {}), 'invalid-name');
    const http = openStore('http://127.0.0.1:8080/v1/', { FOUNTAINSTORE_API_KEY: 'k' });
    expect(http).toBeInstanceOf(FountainStoreHttp);
    expect(http.description).toBe('http://127.0.0.1:8080/v1');
    expect(openStore('HTTPS://store.example/', {}).description).toBe('https://store.example');
    const message = expectRefused(() => openStore('http://127.0.0.1:8080/?api_key=s3cret', {}), 'invalid-name');
    expect(message).toContain('FOUNTAINSTORE_API_KEY');
    expect(message).not.toContain('s3cret');
    expect(expectRefused(() => openStore('http://user:pw@127.0.0.1:8080/', {}), 'invalid-name')).not.toContain('pw');
  });

  it('refuses an unknown scheme naming the known ones, and an empty spec', () => {
    const message = expectRefused(() => openStore('ftp://host/x', {}), 'invalid-name');
    expect(message).toContain('"ftp:"');
    expect(message).toContain('file:, http:, https:, memory:');
    expectRefused(() => openStore('  ', {}), 'invalid-name');
    expect(storeRegistry.schemes()).toEqual(['file', 'http', 'https', 'memory']);
  });

  it('opens any spec as a store or refuses it with invalid-name, touching nothing (fuzz)', () => {
    const spec = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc
        .tuple(fc.constantFrom('http:', 'https:', 'file:', 'memory:', 'HTTP://', 'file:///', 'x+y:', 'c:'), fc.string({ maxLength: 30 }))
        .map(([a, b]) => a + b),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
    );
    fc.assert(
      fc.property(spec, (s) => {
        let store;
        try {
          store = openStore(s, { FOUNTAINSTORE_API_KEY: 'S3CR3T-ENV-KEY' });
        } catch (error) {
          expect(error).toMatchObject({ name: 'StoreError', code: 'invalid-name' });
          expect((error as Error).message).not.toContain('S3CR3T-ENV-KEY');
          return;
        }
        expect(typeof store.description).toBe('string');
        if (store instanceof FountainStoreHttp) {
          const url = new URL(store.description);
          expect([url.username, url.password, url.search, url.hash]).toEqual(['', '', '', '']);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('opens a registered scheme through its opener, with the spec and environment', async () => {
    const seen: [string, string | undefined][] = [];
    const registry = new StoreRegistry().register('Mem', (spec, env) => {
      seen.push([spec, env.X]);
      return new MemoryStore();
    });
    const store = registry.open('mem:one', { X: 'y' });
    expect(seen).toEqual([['mem:one', 'y']]);
    await store.put('c', 'd', 'e', 1);
    expect(registry.open('C:\\data\\store', {})).toBeInstanceOf(DiskStore);
    await expectStoreError(store.get('c', '..', 'e'), 'invalid-name');
  });
});
