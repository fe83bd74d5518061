/**
 * Opens a store from what an operator writes: `--store DIR|URL`, else `$FOUNTAINSTORE_DIR`, else
 * `.fountain/store` (FountainKit's tools look in the same places). Backends are found by URL scheme in a
 * registry, so another backend plugs in with `register` instead of a new branch here.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StoreError, type StoreBackend } from './backend.ts';
import { DiskStore } from './disk.ts';
import { FountainStoreHttp } from './http.ts';
import { MemoryStore } from './memory.ts';

/** The environment variables a store is opened with. */
export type StoreEnvironment = Readonly<Record<string, string | undefined>>;

/** Opens the backend a spec of its scheme names (the whole spec is passed, scheme included). */
export type StoreOpener = (spec: string, env: StoreEnvironment) => StoreBackend;

/** Where the tools look when no store is named (relative to the working directory), as FountainKit's do. */
export const DEFAULT_STORE_DIR = '.fountain/store';

/** A scheme is two or more characters, so a Windows drive letter (`C:\…`) reads as a path. */
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]+):/;

export class StoreRegistry {
  private readonly openers = new Map<string, StoreOpener>();

  /** Adds (or replaces) the backend for `scheme` (without the colon, any case). */
  register(scheme: string, opener: StoreOpener): this {
    this.openers.set(scheme.toLowerCase(), opener);
    return this;
  }

  /** The registered schemes, sorted. */
  schemes(): string[] {
    return [...this.openers.keys()].sort();
  }

  /** A spec with a registered scheme goes to its opener; one without a scheme is a directory (DiskStore). */
  open(spec: string, env: StoreEnvironment = process.env): StoreBackend {
    if (spec.trim() === '') throw new StoreError('invalid-name', 'an empty store spec: give a directory or a URL');
    const scheme = SCHEME.exec(spec)?.[1];
    if (scheme === undefined) return new DiskStore(resolve(spec));
    const opener = this.openers.get(scheme.toLowerCase());
    if (opener === undefined)
      throw new StoreError(
        'invalid-name',
        `store ${JSON.stringify(redact(spec))}: unknown scheme ${JSON.stringify(`${scheme}:`)}; known: ${this.schemes()
          .map((s) => `${s}:`)
          .join(', ')}, or a directory path`,
      );
    return opener(spec, env);
  }
}

function openFile(spec: string): StoreBackend {
  let path: string;
  try {
    path = fileURLToPath(spec);
  } catch (error) {
    throw new StoreError('invalid-name', `store ${JSON.stringify(spec)}: not an absolute file URL (${(error as Error).message})`, { cause: error });
  }
  return new DiskStore(path);
}

function openMemory(spec: string): StoreBackend {
  if (spec.toLowerCase() !== 'memory:') throw new StoreError('invalid-name', `store ${JSON.stringify(spec)}: the memory store is written \`memory:\` alone`);
  return new MemoryStore();
}

/** The API key comes from $FOUNTAINSTORE_API_KEY only: a key in a URL ends up in shell history, logs and messages. */
function openHttp(spec: string, env: StoreEnvironment): StoreBackend {
  let url: URL;
  try {
    url = new URL(spec);
  } catch (error) {
    throw new StoreError('invalid-name', `store ${JSON.stringify(redact(spec))}: not a URL (${(error as Error).message})`, { cause: error });
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    throw new StoreError(
      'invalid-name',
      `store ${JSON.stringify(redact(spec))}: a FountainStore URL has no credentials, query or fragment; put the key in $FOUNTAINSTORE_API_KEY`,
    );
  const apiKey = env.FOUNTAINSTORE_API_KEY;
  return new FountainStoreHttp({ baseUrl: url.href, ...(apiKey ? { apiKey } : {}) });
}

/** A spec for a message: no user info or query (where a key may sit) is repeated. */
function redact(spec: string): string {
  return spec.replace(/\/\/[^/@]*@/, '//…@').replace(/\?.*$/, '?…');
}

/** The registry `openStore` uses: `http:`, `https:`, `file:`, `memory:` and plain paths. */
export const storeRegistry = new StoreRegistry()
  .register('http', openHttp)
  .register('https', openHttp)
  .register('file', openFile)
  .register('memory', openMemory);

/** Opens `spec` (`--store`), else `$FOUNTAINSTORE_DIR`, else `.fountain/store` under the working directory. */
export function openStore(spec?: string, env: StoreEnvironment = process.env): StoreBackend {
  if (spec !== undefined) return storeRegistry.open(spec, env);
  const dir = env.FOUNTAINSTORE_DIR;
  return new DiskStore(resolve(dir !== undefined && dir !== '' ? dir : DEFAULT_STORE_DIR));
}
