import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskStore, StoreError } from '../../runtime/store/index.ts';
import { repoPath } from '../helpers/repo.ts';

const CHILD = repoPath('tests/store/disk-writer-child.ts');
const INCREMENTS = 60;
const CHURN_PAD_BYTES = 256 * 1024;

interface Child {
  readonly process: ChildProcess;
  readonly stdout: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function startChild(args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: repoPath('.'), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { process: child, stdout: () => stdout, exited };
}

describe('DiskStore with two processes', () => {
  let dir: string;
  const children: Child[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'midl-disk-procs-'));
  });
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('loses no increment when two processes compare-and-swap one counter', async () => {
    const writers = [startChild([dir, 'increment', String(INCREMENTS)]), startChild([dir, 'increment', String(INCREMENTS)])];
    children.push(...writers);
    const results = await Promise.all(writers.map((w) => w.exited));
    for (const result of results) expect(result).toEqual({ code: 0, signal: null, stderr: '' });
    // Each writer finished its loop and says how often it retried (how often depends on scheduling).
    for (const writer of writers) expect(JSON.parse(writer.stdout())).toEqual({ conflicts: expect.any(Number) as unknown });
    const counter = await new DiskStore(dir).get('t', 'c', 'counter');
    expect(counter?.value).toEqual({ count: 2 * INCREMENTS });
    expect(await readdir(join(dir, 't', 'c'))).toEqual(['counter.json']);
  });

  it('shows a reader the old or the new document while another process writes, and a whole one after that process is killed', async () => {
    const writer = startChild([dir, 'churn', String(CHURN_PAD_BYTES)]);
    children.push(writer);
    const deadline = Date.now() + 20_000;
    while (!writer.stdout().includes('ready')) {
      if (Date.now() > deadline || writer.process.exitCode !== null) throw new Error(`the writer did not start: ${(await writer.exited).stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const store = new DiskStore(dir);
    const seen = new Set<number>();
    const readUntil = Date.now() + 1_500;
    while (Date.now() < readUntil) {
      const doc = (await store.get('t', 'c', 'doc'))!.value as { i: number; pad: string };
      expect(doc.pad).toBe(String(doc.i % 10).repeat(CHURN_PAD_BYTES));
      seen.add(doc.i);
    }
    expect(seen.size).toBeGreaterThan(1);
    writer.process.kill('SIGKILL');
    expect((await writer.exited).signal).toBe('SIGKILL');
    const after = (await store.get('t', 'c', 'doc'))!.value as { i: number; pad: string };
    expect(after.pad).toBe(String(after.i % 10).repeat(CHURN_PAD_BYTES));
    expect(await store.list('t', 'c')).toEqual({ ids: ['doc'] });
    // A lock the killed writer held is broken once stale; the next write goes through.
    const next = await store.put('t', 'c', 'doc', { i: -1, pad: '' });
    expect(await store.get('t', 'c', 'doc')).toEqual(next);
  });
});

describe('DiskStore and a FIFO where a document should be', () => {
  it('refuses it as corrupt without waiting for a writer (made with mkfifo, hence a slow test)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'midl-disk-fifo-'));
    try {
      await mkdir(join(dir, 't', 'c'), { recursive: true });
      execFileSync('mkfifo', [join(dir, 't', 'c', 'fifo.json')]);
      const error = await new DiskStore(dir).get('t', 'c', 'fifo').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: 'corrupt', message: expect.stringContaining('a FIFO, not a document file') as unknown });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
