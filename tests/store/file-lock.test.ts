import { mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLockLost, FileLockTimeout, withFileLock } from '../../runtime/store/file-lock.ts';

describe('withFileLock', () => {
  let dir: string;
  let lock: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'midl-lock-'));
    lock = join(dir, 'doc.json.lock');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const options = { waitMs: 2_000, staleMs: 2_000 };

  it('lets one holder in at a time, also within one process, and leaves no file behind', async () => {
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withFileLock(lock, options, async () => {
          most = Math.max(most, ++inside);
          await new Promise((r) => setTimeout(r, 2));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('releases the lock when the work fails, and passes the failure on', async () => {
    await expect(withFileLock(lock, options, () => Promise.reject(new Error('work failed')))).rejects.toThrow('work failed');
    expect(await readdir(dir)).toEqual([]);
  });

  it('gives up after waitMs naming the holder', async () => {
    await writeFile(lock, JSON.stringify({ pid: process.ppid, host: 'elsewhere', process: 'p', token: 't', since: '2026-01-01T00:00:00.000Z' }));
    const error = await withFileLock(lock, { waitMs: 30, staleMs: 0 }, () => Promise.resolve()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileLockTimeout);
    expect((error as Error).message).toContain(`held by pid ${process.ppid} on elsewhere since 2026-01-01T00:00:00.000Z`);
  });

  it('says so when its lock was replaced while it held it', async () => {
    const error = await withFileLock(lock, options, async () => {
      await unlink(lock);
      await writeFile(lock, 'someone else');
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileLockLost);
    expect((error as Error).message).toContain('broken by another process');
  });
});
