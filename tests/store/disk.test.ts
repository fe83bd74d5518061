import { chmod, lutimes, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalJson, contentVersion, DiskStore, DISK_MAX_DOCUMENT_BYTES, idToFileName, StoreError } from '../../runtime/store/index.ts';
import { expectStoreError } from './contract.ts';

const FACTS_ID = 'facts:agent:fountain.coach/agent/x/y';
const FACTS_FILE = 'facts:agent:fountain.coach|agent|x|y.json';

describe('DiskStore on disk', () => {
  let dir: string;
  let root: string;
  let store: DiskStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'midl-disk-'));
    root = join(dir, 'store');
    store = new DiskStore(root);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const collection = () => join(root, 'agents', 'agent-facts');

  it('writes the seed-directory layout FountainKit ingests, byte for byte, and nothing beside it', async () => {
    const value = { protocol: 'midi-ci-pe', functionBlocks: [{ name: 'idl', group: 0, properties: [] }] };
    const written = await store.put('agents', 'agent-facts', FACTS_ID, value);
    const bytes = await readFile(join(collection(), FACTS_FILE));
    expect(bytes.toString('utf8')).toBe(canonicalJson(value));
    expect(bytes.toString('utf8')).toBe(
      '{\n  "functionBlocks": [\n    {\n      "group": 0,\n      "name": "idl",\n      "properties": []\n    }\n  ],\n  "protocol": "midi-ci-pe"\n}\n',
    );
    expect(written.version).toBe(contentVersion(bytes));
    expect(await readdir(collection())).toEqual([FACTS_FILE]);
    expect(await readdir(root)).toEqual(['agents']);
    await store.put('agents', 'agent-facts', FACTS_ID, value);
    expect(await readFile(join(collection(), FACTS_FILE))).toEqual(bytes);
    expect(await store.list('agents', 'agent-facts')).toEqual({ ids: [FACTS_ID] });
  });

  it('gives a new file fileMode less the umask, and keeps the mode of a file it replaces (a chmod 600 outlives updates)', async () => {
    await store.put('midl', 'secrets', 'peer', { alice: 'pw1' });
    const file = join(root, 'midl', 'secrets', 'peer.json');
    const plain = join(dir, 'plain'); // a file made as any process makes one: 0o644 less the umask
    await writeFile(plain, '', { mode: 0o644 });
    expect((await stat(file)).mode & 0o777).toBe((await stat(plain)).mode & 0o777);
    await chmod(file, 0o600);
    await store.put('midl', 'secrets', 'peer', { alice: 'pw2' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await new DiskStore(root, { fileMode: 0o600 }).put('midl', 'secrets', 'other', { bob: 'pw' });
    expect((await stat(join(root, 'midl', 'secrets', 'other.json'))).mode & 0o777).toBe(0o600);
  });

  it('reads a seed file written by hand: the id from its name, the version from its bytes', async () => {
    await mkdir(collection(), { recursive: true });
    const text = '{"b": 1,\n "a": [2]}';
    await writeFile(join(collection(), 'facts:agent:fountain.coach|agent|planner|core.json'), text);
    await writeFile(join(collection(), 'README.md'), 'not a document');
    const read = await store.get('agents', 'agent-facts', 'facts:agent:fountain.coach/agent/planner/core');
    expect(read).toEqual({
      corpus: 'agents',
      collection: 'agent-facts',
      id: 'facts:agent:fountain.coach/agent/planner/core',
      value: { b: 1, a: [2] },
      version: contentVersion(new TextEncoder().encode(text)),
    });
    expect(await store.list('agents', 'agent-facts')).toEqual({ ids: ['facts:agent:fountain.coach/agent/planner/core'] });
  });

  it('ignores what a crash leaves: a torn temp file, a temp file never renamed', async () => {
    await store.put('agents', 'agent-facts', FACTS_ID, { n: 1 });
    await writeFile(join(collection(), '.tmp-999999-0badc0ffee00'), '{"n": 2, "tor');
    await writeFile(join(collection(), '.tmp-999998-0badc0ffee01'), canonicalJson({ n: 3 }));
    expect((await store.get('agents', 'agent-facts', FACTS_ID))?.value).toEqual({ n: 1 });
    expect(await store.list('agents', 'agent-facts')).toEqual({ ids: [FACTS_ID] });
    const next = await store.put('agents', 'agent-facts', FACTS_ID, { n: 4 });
    expect(await store.get('agents', 'agent-facts', FACTS_ID)).toEqual(next);
  });

  it('breaks a lock left by a dead process once it is stale, and waits for a live holder, then names it', async () => {
    await store.put('agents', 'agent-facts', FACTS_ID, { n: 1 });
    const lock = join(collection(), `${FACTS_FILE}.lock`);
    const deadPid = 2 ** 30; // above every system's pid_max: no process has it
    const owner = (pid: number) => JSON.stringify({ pid, host: hostname(), process: 'earlier', token: 't', since: '2026-01-01T00:00:00.000Z' });
    const old = new Date(Date.now() - 60_000);

    await writeFile(lock, owner(deadPid));
    await utimes(lock, old, old);
    expect((await store.put('agents', 'agent-facts', FACTS_ID, { n: 2 })).value).toEqual({ n: 2 });
    expect(await readdir(collection())).toEqual([FACTS_FILE]);

    await writeFile(lock, '');
    await utimes(lock, old, old);
    expect((await store.put('agents', 'agent-facts', FACTS_ID, { n: 3 })).value).toEqual({ n: 3 });

    const impatient = new DiskStore(root, { lockWaitMs: 50 });
    await writeFile(lock, owner(process.ppid));
    await utimes(lock, old, old);
    const error = await expectStoreError(impatient.put('agents', 'agent-facts', FACTS_ID, { n: 4 }), 'unavailable');
    expect(error.message).toContain(`held by pid ${process.ppid} on ${hostname()}`);
    await writeFile(lock, owner(deadPid));
    await expectStoreError(impatient.delete('agents', 'agent-facts', FACTS_ID), 'unavailable');
    expect((await store.get('agents', 'agent-facts', FACTS_ID))?.value).toEqual({ n: 3 });

    // A link planted as the lock is neither followed nor shown, and is removed (not its target) once stale.
    await rm(lock);
    const target = join(dir, 'elsewhere.txt');
    await writeFile(target, 'private words');
    await symlink(target, lock);
    const planted = await expectStoreError(impatient.put('agents', 'agent-facts', FACTS_ID, { n: 5 }), 'unavailable');
    expect(planted.message).toContain('(a symbolic link)');
    expect(planted.message).not.toContain('private words');
    await lutimes(lock, old, old);
    expect((await store.put('agents', 'agent-facts', FACTS_ID, { n: 6 })).value).toEqual({ n: 6 });
    expect(await readFile(target, 'utf8')).toBe('private words');
  });

  it('refuses a document that is not JSON or not UTF-8, naming its file', async () => {
    await mkdir(collection(), { recursive: true });
    await writeFile(join(collection(), 'broken.json'), '{"a": ');
    await writeFile(join(collection(), 'latin1.json'), Buffer.from([0x22, 0xe9, 0x22]));
    const error = await expectStoreError(store.get('agents', 'agent-facts', 'broken'), 'corrupt');
    expect(error.message).toContain(join(collection(), 'broken.json'));
    expect(error.message).toContain('not JSON');
    expect((await expectStoreError(store.get('agents', 'agent-facts', 'latin1'), 'corrupt')).message).toContain('not UTF-8');
    expect((await store.put('agents', 'agent-facts', 'broken', { repaired: true })).value).toEqual({ repaired: true });
  });

  it('refuses a file over the size bound without reading it, and a document over it before writing', async () => {
    await mkdir(collection(), { recursive: true });
    const huge = join(collection(), 'huge.json');
    await writeFile(huge, '');
    await truncate(huge, DISK_MAX_DOCUMENT_BYTES + 1); // sparse: no disk used, and reading it would take a while
    const error = await expectStoreError(store.get('agents', 'agent-facts', 'huge'), 'too-large');
    expect(error.message).toContain(`${DISK_MAX_DOCUMENT_BYTES + 1} bytes`);
    const small = new DiskStore(root, { maxDocumentBytes: 64 });
    await expectStoreError(small.put('agents', 'agent-facts', 'big', 'x'.repeat(100)), 'too-large');
    expect(await readdir(collection())).toEqual(['huge.json']);
  });

  it('follows no symbolic link below the root, and gives typed errors for a directory or a file where they do not belong', async () => {
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.json'), '{"secret": true}');
    await mkdir(collection(), { recursive: true });
    await symlink(join(outside, 'secret.json'), join(collection(), 'link.json'));
    const linked = await expectStoreError(store.get('agents', 'agent-facts', 'link'), 'corrupt');
    expect(linked.message).toContain('symbolic link');
    expect(linked.message).not.toContain('secret": true');
    await expectStoreError(store.list('agents', 'agent-facts'), 'corrupt');
    await rm(join(collection(), 'link.json'));

    await symlink(outside, join(root, 'agents', 'linked-collection'));
    for (const action of [
      () => store.get('agents', 'linked-collection', 'secret'),
      () => store.list('agents', 'linked-collection'),
      () => store.put('agents', 'linked-collection', 'planted', 1),
      () => store.delete('agents', 'linked-collection', 'secret'),
    ])
      expect((await expectStoreError(action(), 'corrupt')).message).toContain('symbolic link');
    expect(await readdir(outside)).toEqual(['secret.json']);

    await mkdir(join(collection(), 'dir.json'));
    expect((await expectStoreError(store.get('agents', 'agent-facts', 'dir'), 'corrupt')).message).toContain('a directory, not a document file');
    expect((await expectStoreError(store.list('agents', 'agent-facts'), 'corrupt')).message).toContain('dir.json');
    await expectStoreError(store.put('agents', 'agent-facts', 'dir', 1), 'corrupt');
    await rm(join(collection(), 'dir.json'), { recursive: true });

    await writeFile(join(root, 'agents', 'not-a-dir'), 'x');
    expect((await expectStoreError(store.get('agents', 'not-a-dir', 'x'), 'corrupt')).message).toContain('not a directory');
    await expectStoreError(store.put('agents', 'not-a-dir', 'x', 1), 'corrupt');

    await writeFile(join(collection(), 'back\\slash.json'), '1');
    expect((await expectStoreError(store.list('agents', 'agent-facts'), 'corrupt')).message).toContain('names no valid id');
  });

  it('reads any file as a document or refuses it with a typed error (fuzz)', async () => {
    await mkdir(collection(), { recursive: true });
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.json().map((text) => new TextEncoder().encode(text)),
      fc.string({ unit: 'binary', maxLength: 32 }).map((text) => new TextEncoder().encode(text)),
    );
    await fc.assert(
      fc.asyncProperty(bytes, async (content) => {
        await writeFile(join(collection(), 'fuzzed.json'), content);
        const read = await store.get('agents', 'agent-facts', 'fuzzed').catch((e: unknown) => e);
        if (read instanceof StoreError) expect(read.code).toBe('corrupt');
        else expect(read).toMatchObject({ id: 'fuzzed', version: contentVersion(content) });
      }),
      { numRuns: 40 },
    );
  });

  it('lists any file name as the id it maps to, or refuses it with corrupt (fuzz)', async () => {
    const name = fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).filter((n) => !n.includes('/') && !n.includes('\u0000'));
    await fc.assert(
      fc.asyncProperty(name, async (base) => {
        await rm(root, { recursive: true, force: true });
        await mkdir(collection(), { recursive: true });
        const file = `${base}.json`;
        try {
          await writeFile(join(collection(), file), '1');
        } catch (error) {
          expect((error as NodeJS.ErrnoException).code).toBe('ENAMETOOLONG');
          return;
        }
        const listed = await store.list('agents', 'agent-facts').catch((e: unknown) => e);
        if (listed instanceof StoreError) expect(listed.code).toBe('corrupt');
        else {
          const ids = (listed as { ids: string[] }).ids;
          expect(ids.map(idToFileName)).toEqual([Buffer.from(file).toString()]); // the name as written: lone surrogates become U+FFFD
          expect((await store.get('agents', 'agent-facts', ids[0]!))?.value).toBe(1);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('treats a root that does not exist as empty, and a root that is a file as corrupt', async () => {
    const absent = new DiskStore(join(dir, 'absent'));
    expect(await absent.get('a', 'b', 'c')).toBeUndefined();
    expect(await absent.list('a', 'b')).toEqual({ ids: [] });
    expect(await absent.delete('a', 'b', 'c')).toBe(false);
    await writeFile(join(dir, 'file-root'), 'x');
    await expectStoreError(new DiskStore(join(dir, 'file-root')).get('a', 'b', 'c'), 'corrupt');
    await expectStoreError(new DiskStore(join(dir, 'file-root')).put('a', 'b', 'c', 1), 'corrupt');
  });
});
