/**
 * The store on disk, as the seed directory FountainKit ingests: `<root>/<corpus>/<collection>/<file>`
 * where the file is the id with `/` → `|` plus `.json`, holding the document's canonical JSON and
 * nothing else (the version is a hash of those bytes). Writes are atomic (temp file, fsync, rename,
 * fsync of the directory) and go through a per-document lock file, so conditional writes are
 * compare-and-swap across processes on this host.
 */
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { JsonValue } from '../codec/index.ts';
import {
  checkStoreId,
  checkStoreKey,
  idToFileName,
  StoreError,
  type ListOptions,
  type ListPage,
  type StoreBackend,
  type StoredDocument,
  type WriteCondition,
} from './backend.ts';
import { storableJson } from './canonical-text.ts';
import { FileLockLost, FileLockTimeout, withFileLock } from './file-lock.ts';
import { listPage } from './paging.ts';
import { contentVersion } from './version.ts';

/** The largest document file read or written: a bigger one is refused with `too-large` before it is read. */
export const DISK_MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

export interface DiskStoreOptions {
  /** Default DISK_MAX_DOCUMENT_BYTES. */
  readonly maxDocumentBytes?: number;
  /** How long a write waits for another process's lock on the same document (default 10 s). */
  readonly lockWaitMs?: number;
  /** Permissions of a new document file, less the umask (default 0o644); a document written again keeps its file's permissions. */
  readonly fileMode?: number;
  /** A lock left by a dead process is broken once older than this (default 2 s: a live holder keeps it for milliseconds). */
  readonly staleLockMs?: number;
}

const DOCUMENT_SUFFIX = '.json';
/** Temp files never end in `.json`, so no listing or reader takes one for a document. */
const TEMP_PREFIX = '.tmp-';
/** O_NONBLOCK: opening a FIFO planted where a document should be must not wait for a writer. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class DiskStore implements StoreBackend {
  readonly root: string;
  readonly description: string;
  private readonly maxDocumentBytes: number;
  private readonly fileMode: number;
  private readonly lockOptions: { waitMs: number; staleMs: number };

  constructor(root: string, options: DiskStoreOptions = {}) {
    this.root = resolve(root);
    this.description = this.root;
    this.maxDocumentBytes = options.maxDocumentBytes ?? DISK_MAX_DOCUMENT_BYTES;
    this.fileMode = options.fileMode ?? 0o644;
    this.lockOptions = { waitMs: options.lockWaitMs ?? 10_000, staleMs: options.staleLockMs ?? 2_000 };
  }

  /** The file a document is kept in (whether or not it exists): `<root>/<corpus>/<collection>/<id, / → |>.json`. */
  documentPath(corpus: string, collection: string, id: string): string {
    checkStoreKey(corpus, collection, id);
    return join(this.root, corpus, collection, idToFileName(id));
  }

  async get(corpus: string, collection: string, id: string): Promise<StoredDocument | undefined> {
    checkStoreKey(corpus, collection, id);
    const dir = await this.collectionDir(corpus, collection, false);
    if (dir === undefined) return undefined;
    const path = join(dir, idToFileName(id));
    const bytes = await this.readFileBytes(path);
    if (bytes === undefined) return undefined;
    return { corpus, collection, id, value: this.parse(bytes, path), version: contentVersion(bytes) };
  }

  async put(corpus: string, collection: string, id: string, value: JsonValue, condition?: WriteCondition): Promise<StoredDocument> {
    checkStoreKey(corpus, collection, id);
    const text = storableJson(value, `${this.root}: ${corpus}/${collection}/${id}`);
    const bytes = new TextEncoder().encode(text);
    if (bytes.length > this.maxDocumentBytes)
      throw new StoreError('too-large', `${this.root}: ${corpus}/${collection}/${id}: ${bytes.length} bytes, over the bound of ${this.maxDocumentBytes}`);
    const dir = (await this.collectionDir(corpus, collection, true))!;
    const path = join(dir, idToFileName(id));
    await this.locked(path, async () => {
      if (condition?.ifVersion !== undefined) this.checkCondition(corpus, collection, id, await this.currentVersion(path), condition.ifVersion);
      await this.writeAtomically(dir, path, bytes);
    });
    return { corpus, collection, id, value: JSON.parse(text) as JsonValue, version: contentVersion(bytes) };
  }

  async list(corpus: string, collection: string, options: ListOptions = {}): Promise<ListPage> {
    checkStoreKey(corpus, collection, 'x');
    const dir = await this.collectionDir(corpus, collection, false);
    if (dir === undefined) return { ids: [] };
    const entries = await this.io(`listing ${dir}`, () => readdir(dir, { withFileTypes: true, encoding: 'buffer' }));
    const ids: string[] = [];
    for (const entry of entries) {
      const name = this.fileName(entry.name, dir);
      if (!name.endsWith(DOCUMENT_SUFFIX)) continue; // temp files, lock files, anything not a document
      const path = join(dir, name);
      if (!entry.isFile()) throw new StoreError('corrupt', `${path}: ${entryKind(entry)}, not a document file`);
      ids.push(this.idOfFile(name, path));
    }
    return listPage(ids, options);
  }

  async delete(corpus: string, collection: string, id: string, condition?: WriteCondition): Promise<boolean> {
    checkStoreKey(corpus, collection, id);
    const dir = await this.collectionDir(corpus, collection, false);
    if (dir === undefined) {
      if (typeof condition?.ifVersion === 'string') this.checkCondition(corpus, collection, id, undefined, condition.ifVersion);
      return false;
    }
    const path = join(dir, idToFileName(id));
    return this.locked(path, async () => {
      if (condition?.ifVersion !== undefined) this.checkCondition(corpus, collection, id, await this.currentVersion(path), condition.ifVersion);
      try {
        await unlink(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw this.ioError(error, `deleting ${path}`);
      }
      await this.syncDir(dir);
      return true;
    });
  }

  close(): Promise<void> {
    return Promise.resolve(); // no handle outlives a call
  }

  /** `<root>/<corpus>/<collection>`, made when `create`; undefined when absent and not `create`. Refuses links and non-directories on the way. */
  private async collectionDir(corpus: string, collection: string, create: boolean): Promise<string | undefined> {
    if (create) await this.io(`creating ${this.root}`, () => mkdir(this.root, { recursive: true }));
    const corpusDir = join(this.root, corpus);
    const dir = join(corpusDir, collection);
    for (const [path, parent] of [
      [corpusDir, this.root],
      [dir, corpusDir],
    ] as const) {
      if (create) {
        try {
          await mkdir(path);
          await this.syncDir(parent); // a document written next must not outlive a crash that loses its directory
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw this.ioError(error, `creating ${path}`);
        }
      }
      let stat: Stats;
      try {
        stat = await lstat(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !create) return undefined;
        throw this.ioError(error, `reading ${path}`);
      }
      if (stat.isSymbolicLink()) throw new StoreError('corrupt', `${path}: a symbolic link; the store follows no link below its root`);
      if (!stat.isDirectory()) throw new StoreError('corrupt', `${path}: ${statKind(stat)}, not a directory`);
    }
    return dir;
  }

  /** The file's bytes, or undefined when there is none; refuses links, non-files and files over the bound without reading them. */
  private async readFileBytes(path: string): Promise<Uint8Array | undefined> {
    let handle;
    try {
      handle = await open(path, READ_FLAGS);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'ELOOP') throw new StoreError('corrupt', `${path}: a symbolic link; the store follows no link below its root`, { cause: error });
      throw this.ioError(error, `opening ${path}`);
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new StoreError('corrupt', `${path}: ${statKind(stat)}, not a document file`);
      if (stat.size > this.maxDocumentBytes) throw new StoreError('too-large', `${path}: ${stat.size} bytes, over the bound of ${this.maxDocumentBytes}`);
      // One byte more than the bound, in case the file grew after the stat.
      const buffer = new Uint8Array(Math.min(stat.size, this.maxDocumentBytes) + 1);
      let filled = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
        if (filled === buffer.length) {
          if (filled > this.maxDocumentBytes)
            throw new StoreError('too-large', `${path}: over the bound of ${this.maxDocumentBytes} bytes (it grew while read)`);
          break;
        }
      }
      return buffer.subarray(0, filled);
    } catch (error) {
      throw error instanceof StoreError ? error : this.ioError(error, `reading ${path}`);
    } finally {
      await handle.close();
    }
  }

  private parse(bytes: Uint8Array, path: string): JsonValue {
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch (error) {
      throw new StoreError('corrupt', `${path}: not UTF-8 text`, { cause: error });
    }
    try {
      return JSON.parse(text) as JsonValue;
    } catch (error) {
      throw new StoreError('corrupt', `${path}: not JSON (${(error as Error).message})`, { cause: error });
    }
  }

  private async currentVersion(path: string): Promise<string | undefined> {
    const bytes = await this.readFileBytes(path);
    return bytes && contentVersion(bytes);
  }

  private checkCondition(corpus: string, collection: string, id: string, current: string | undefined, expected: string | null): void {
    if (expected === null ? current === undefined : current === expected) return;
    const path = join(this.root, corpus, collection, idToFileName(id));
    throw new StoreError(
      'conflict',
      `${corpus}/${collection}/${id} (${path}): ${current === undefined ? 'does not exist' : `is at version ${current}`}, not ${expected ?? 'absent'}`,
    );
  }

  /** Temp file in the same directory, fsync, rename over the target, fsync the directory: a crash leaves the old file or the new one. */
  private async writeAtomically(dir: string, path: string, bytes: Uint8Array): Promise<void> {
    const temp = join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
    const replacedMode = await this.modeOf(path);
    try {
      // A new file: fileMode less the umask, as any file a process creates; a replacement: exactly the old mode.
      const handle = await open(temp, 'wx', replacedMode === undefined ? this.fileMode : 0o600);
      try {
        if (replacedMode !== undefined) await handle.chmod(replacedMode);
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
    } catch (error) {
      const failure = this.ioError(error, `writing ${path}`);
      try {
        await unlink(temp);
      } catch (cleanup) {
        if ((cleanup as NodeJS.ErrnoException).code !== 'ENOENT')
          throw new StoreError(failure.code, `${failure.message}; and the temp file ${temp} could not be removed (${(cleanup as Error).message})`, {
            cause: error,
          });
      }
      throw failure;
    }
    await this.syncDir(dir);
  }

  /** The permissions of the document file a write replaces (an operator's chmod 600 must outlive updates); undefined when there is none. */
  private async modeOf(path: string): Promise<number | undefined> {
    try {
      const stat = await lstat(path);
      return stat.isFile() ? stat.mode & 0o777 : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.ioError(error, `reading ${path}`);
    }
  }

  /** Makes a rename or unlink in `dir` durable. */
  private async syncDir(dir: string): Promise<void> {
    await this.io(`syncing ${dir}`, async () => {
      const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  private async locked<T>(path: string, work: () => Promise<T>): Promise<T> {
    try {
      return await withFileLock(`${path}.lock`, this.lockOptions, work);
    } catch (error) {
      if (error instanceof StoreError) throw error;
      if (error instanceof FileLockTimeout) throw new StoreError('unavailable', `${path}: another writer holds its lock: ${error.message}`, { cause: error });
      if (error instanceof FileLockLost) throw new StoreError('unavailable', `${path}: the write went ahead, but its lock ${error.message}`, { cause: error });
      throw this.ioError(error, `locking ${path}`);
    }
  }

  private fileName(name: Buffer, dir: string): string {
    try {
      return utf8.decode(name);
    } catch (error) {
      throw new StoreError('corrupt', `${dir}: a file name that is not UTF-8 (${name.toString('hex')})`, { cause: error });
    }
  }

  /** The raw id a document file stands for (file name less `.json`, `|` → `/`), refusing names no id maps to. */
  private idOfFile(name: string, path: string): string {
    const id = name.slice(0, -DOCUMENT_SUFFIX.length).replace(/\|/g, '/');
    try {
      checkStoreId(id);
    } catch (error) {
      throw new StoreError('corrupt', `${path}: the file name names no valid id (${(error as Error).message})`, { cause: error });
    }
    if (idToFileName(id) !== name) throw new StoreError('corrupt', `${path}: the file name does not map back to an id`);
    return id;
  }

  private async io<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw this.ioError(error, what);
    }
  }

  /** A failed file-system call as a StoreError: a path of the wrong kind is `corrupt`, anything else `unavailable`. */
  private ioError(error: unknown, what: string): StoreError {
    if (error instanceof StoreError) return error;
    const code = (error as NodeJS.ErrnoException).code;
    const message = `${this.root}: ${what}: ${(error as Error).message}`;
    if (code === 'ENOTDIR' || code === 'EISDIR' || code === 'ELOOP' || code === 'EEXIST') return new StoreError('corrupt', message, { cause: error });
    if (code === 'ENAMETOOLONG') return new StoreError('invalid-name', message, { cause: error });
    return new StoreError('unavailable', message, { cause: error });
  }
}

function statKind(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isBlockDevice() || stat.isCharacterDevice()) return 'a device';
  return 'a file';
}

function entryKind(entry: { isDirectory(): boolean; isSymbolicLink(): boolean; isFile(): boolean }): string {
  if (entry.isDirectory()) return 'a directory';
  if (entry.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}
