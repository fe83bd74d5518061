import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoPath } from './repo.ts';

/**
 * The `midl` the tests run: bin/midl.mjs (the TypeScript sources through tsx), or with
 * MIDL_TEST_CLI=built the compiled dist/ (tests/helpers/midl-built.mjs), which starts much faster where
 * the CPU is emulated (the ALSA guest).
 */
export const MIDL_BIN = process.env.MIDL_TEST_CLI === 'built' ? repoPath('tests/helpers/midl-built.mjs') : repoPath('bin/midl.mjs');

/**
 * A spawn costs 2-3 s of CPU (tsx and Chevrotain start-up), and much more wall time on a loaded
 * machine, so CLI tests get generous limits: a process is killed after CLI_TIMEOUT_MS, a test that
 * spawns a few gets CLI_TEST_TIMEOUT_MS.
 */
export const CLI_TIMEOUT_MS = 120_000;
export const CLI_TEST_TIMEOUT_MS = 300_000;

export interface CliResult {
  /** Exit code, or null when the process was killed (see `signal`). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node bin/midl.mjs …args` without colour (`env` added to this process's); never rejects, so tests can assert on failures. */
export function runMidl(
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number; env?: Readonly<Record<string, string>> } = {},
): Promise<CliResult> {
  return new Promise((resolveRun) => {
    execFile(
      process.execPath,
      [MIDL_BIN, ...args],
      {
        cwd: options.cwd ?? repoPath(),
        timeout: options.timeoutMs ?? CLI_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, ...options.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        const signal = error?.signal ?? null;
        resolveRun({ code, signal: signal, stdout, stderr });
      },
    );
  });
}

/** Runs `tasks` with at most `limit` in flight, keeping the result order. */
export async function inBatches<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * The lines a `midl` process printed for its bus's `onError` (`warning: ADDRESS: …`): a handler failure,
 * an undecodable or malformed frame. A test asserts them like the errors of an in-process bus
 * (helpers/bus-errors.ts): none, or exactly those it provoked.
 */
export function busWarnings(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('warning: '));
}

/** Lines of a Node stack trace (`    at fn (file:1:2)`): the CLI must never print one. */
export function stackTraceLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /^\s{4}at /.test(l));
}

const made: string[] = [];

/** A fresh directory under the OS temp dir holding `files` (paths relative to it; parents created). */
export function tempProject(files: Readonly<Record<string, string>> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'midl-test-'));
  made.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    const full = join(dir, rel);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  return dir;
}

/** Removes every directory tempProject made; call from afterAll. */
export function removeTempProjects(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
