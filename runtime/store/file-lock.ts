/**
 * A lock on one file shared by every process on this host: an exclusively created `<file>.lock` holding
 * who took it (pid, host, a per-process nonce), so a read-check-write by one process cannot interleave
 * with another's. A lock left by a dead process is broken once it is older than `staleMs`.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FileLockOptions {
  /** How long to wait for a held lock before giving up with FileLockTimeout. */
  readonly waitMs: number;
  /** A lock whose process is dead is broken only when its file is older than this. */
  readonly staleMs: number;
}

/** What a lock file holds. */
interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** Tells this process from an earlier one that had the same pid (containers reuse small pids). */
  readonly process: string;
  /** Tells this lock from another taken by the same process. */
  readonly token: string;
  readonly since: string;
}

/** Thrown when the lock stayed held for the whole wait; `holder` says by whom, for the message. */
export class FileLockTimeout extends Error {
  override readonly name = 'FileLockTimeout';
  constructor(
    readonly lockPath: string,
    readonly holder: string,
    waitedMs: number,
  ) {
    super(`${lockPath}: held by ${holder}; waited ${waitedMs} ms`);
  }
}

/** Thrown on release when the lock file is no longer the one this holder created (another process broke it). */
export class FileLockLost extends Error {
  override readonly name = 'FileLockLost';
}

const PROCESS_NONCE = randomBytes(8).toString('hex');
const HOST = hostname();
const MAX_POLL_MS = 25;

/** Runs `work` while holding the lock `lockPath`, and releases it whatever `work` does. */
export async function withFileLock<T>(lockPath: string, options: FileLockOptions, work: () => Promise<T>): Promise<T> {
  const token = await acquire(lockPath, options);
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await release(lockPath, token);
    throw error;
  }
  await release(lockPath, token);
  return result;
}

async function acquire(lockPath: string, options: FileLockOptions): Promise<string> {
  const token = randomBytes(8).toString('hex');
  const owner: LockOwner = { pid: process.pid, host: HOST, process: PROCESS_NONCE, token, since: new Date().toISOString() };
  const started = Date.now();
  let pollMs = 1;
  for (;;) {
    if (await tryCreate(lockPath, JSON.stringify(owner))) return token;
    const held = await readLock(lockPath);
    if (held === undefined) continue; // released between our create and our read
    const stale = isStale(held, options.staleMs);
    if (stale) await breakStale(lockPath, options.staleMs);
    const waited = Date.now() - started;
    if (waited >= options.waitMs) throw new FileLockTimeout(lockPath, describeHolder(held), waited);
    if (!stale) {
      await sleep(pollMs);
      pollMs = Math.min(MAX_POLL_MS, pollMs * 2);
    }
  }
}

async function release(lockPath: string, token: string): Promise<void> {
  const held = await readLock(lockPath);
  if (held?.owner?.token !== token)
    throw new FileLockLost(`${lockPath}: broken by another process while this one held it (now ${held ? describeHolder(held) : 'absent'})`);
  await unlink(lockPath);
}

/** True when this process created the lock file; false when it exists already. */
async function tryCreate(path: string, content: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(content);
  } catch (error) {
    // An empty lock would hold everyone off until it is stale: take it back before failing.
    await handle.close();
    await unlink(path);
    throw error;
  }
  await handle.close();
  return true;
}

interface HeldLock {
  /** Undefined while the creator has not written it yet, or when a crash left it empty or garbled. */
  readonly owner: LockOwner | undefined;
  readonly ageMs: number;
  readonly text: string;
}

/** A lock file holds a few hundred bytes; this much is read of one at most. */
const MAX_LOCK_BYTES = 4096;
/** No link is followed (a planted link must not make the lock's message show another file) and no FIFO waited on. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

async function readLock(path: string): Promise<HeldLock | undefined> {
  let handle;
  try {
    handle = await open(path, READ_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code !== 'ELOOP') throw error;
    const stat = await lstat(path);
    return { owner: undefined, ageMs: Date.now() - stat.mtimeMs, text: '(a symbolic link)' };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { owner: undefined, ageMs: Date.now() - stat.mtimeMs, text: '(not a regular file)' };
    const buffer = Buffer.alloc(MAX_LOCK_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_LOCK_BYTES, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    return { owner: parseOwner(text), ageMs: Date.now() - stat.mtimeMs, text };
  } finally {
    await handle.close();
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner> | null;
    if (
      typeof value?.pid === 'number' &&
      typeof value.host === 'string' &&
      typeof value.process === 'string' &&
      typeof value.token === 'string' &&
      typeof value.since === 'string'
    )
      return value as LockOwner;
    return undefined;
  } catch {
    return undefined; // a lock file caught between its creation and its write, or torn by a crash
  }
}

/** Old enough and its process gone; a holder on another host is never judged dead (its pid means nothing here). */
function isStale(held: HeldLock, staleMs: number): boolean {
  if (held.ageMs < staleMs) return false;
  const owner = held.owner;
  if (owner === undefined) return true;
  if (owner.host !== HOST) return false;
  if (owner.pid === process.pid) return owner.process !== PROCESS_NONCE;
  return !processAlive(owner.pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes a stale lock under a second lock (`<lock>.break`), re-reading it there: two processes that both
 * saw the same stale lock must not both remove it, or the second would remove the lock the first has
 * since taken. A break lock left by a crash mid-break is itself broken once stale.
 */
async function breakStale(lockPath: string, staleMs: number): Promise<void> {
  const breakPath = `${lockPath}.break`;
  const breaker: LockOwner = {
    pid: process.pid,
    host: HOST,
    process: PROCESS_NONCE,
    token: randomBytes(8).toString('hex'),
    since: new Date().toISOString(),
  };
  if (!(await tryCreate(breakPath, JSON.stringify(breaker)))) {
    const held = await readLock(breakPath);
    if (held !== undefined && isStale(held, staleMs)) await unlinkIfPresent(breakPath);
    else await sleep(1);
    return;
  }
  try {
    const held = await readLock(lockPath);
    if (held !== undefined && isStale(held, staleMs)) await unlinkIfPresent(lockPath);
  } finally {
    await unlinkIfPresent(breakPath);
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function describeHolder(held: HeldLock): string {
  const owner = held.owner;
  const age = `${Math.round(held.ageMs / 1000)} s ago`;
  return owner === undefined
    ? `an unreadable lock file (${JSON.stringify(held.text.slice(0, 80))}, written ${age})`
    : `pid ${owner.pid} on ${owner.host} since ${owner.since} (${age})`;
}
