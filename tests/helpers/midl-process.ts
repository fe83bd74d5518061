import { spawn, type ChildProcess } from 'node:child_process';
import { MIDL_BIN } from './cli.ts';
import { repoPath } from './repo.ts';

/**
 * A long-running `midl` process (peer, tail, send) for tests: its output collected as it comes, ways
 * to wait for a line, and cleanup. Every process started here is killed by `killAll` (call it from
 * afterEach), so a failing test never leaves a peer listening.
 */
export interface MidlProcess {
  readonly child: ChildProcess;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  /** Complete stdout lines so far. */
  lines(): string[];
  /** Resolves with the first match of `pattern` in stderr (or stdout), failing after `ms`. */
  waitFor(pattern: RegExp, ms: number, stream?: 'stdout' | 'stderr'): Promise<RegExpMatchArray>;
  /** Resolves once stdout holds at least `n` lines, failing after `ms`. */
  waitForLines(n: number, ms: number): Promise<string[]>;
  /** Exit code (null when killed by a signal), once the process has exited. */
  readonly exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();

export function startMidl(args: readonly string[], options: { cwd?: string } = {}): MidlProcess {
  const child = spawn(process.execPath, [MIDL_BIN, ...args], {
    cwd: options.cwd ?? repoPath(),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  running.add(child);
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    wake();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    wake();
  });
  const exited = new Promise<number | null>((done) =>
    child.on('exit', (code) => {
      running.delete(child);
      // Let the last 'data' events land before anyone reads the output.
      setImmediate(() => {
        wake();
        done(code);
      });
    }),
  );
  const until = <T>(test: () => T | undefined, ms: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hit = test();
        if (hit === undefined) return;
        cleanup();
        resolve(hit);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `timed out after ${ms} ms waiting for ${what}\n--- stdout (${out.length} chars, tail):\n${out.slice(-2000)}\n--- stderr:\n${err.slice(-4000)}`,
          ),
        );
      }, ms);
      const onExit = () =>
        setImmediate(() => {
          check();
          if (waiters.has(check)) {
            cleanup();
            reject(
              new Error(`midl ${args[0]} exited (${String(child.exitCode ?? child.signalCode)}) while waiting for ${what}\n--- stderr:\n${err.slice(-4000)}`),
            );
          }
        });
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off('exit', onExit);
      };
      waiters.add(check);
      child.once('exit', onExit);
      check();
    });
  const lines = () => out.split('\n').slice(0, -1);
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    lines,
    waitFor: (pattern, ms, stream = 'stderr') => until(() => (stream === 'stderr' ? err : out).match(pattern) ?? undefined, ms, `${pattern} on ${stream}`),
    waitForLines: (n, ms) => until(() => (lines().length >= n ? lines() : undefined), ms, `${n} lines on stdout`),
    exited,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * Kills every process startMidl started that is still running, but those in `keep` (a peer shared by
 * a file's tests); SIGKILL, so cleanup never hangs.
 */
export async function killAll(keep: readonly (MidlProcess | undefined)[] = []): Promise<void> {
  const spared = new Set(keep.map((p) => p?.child));
  const list = [...running].filter((c) => !spared.has(c));
  await Promise.all(
    list.map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** Starts `midl peer --listen udp://127.0.0.1:0 …args` and resolves once it printed its address. */
export async function startPeer(
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<MidlProcess & { url: string; port: number }> {
  const peer = startMidl(['peer', '--listen', 'udp://127.0.0.1:0', ...args], options);
  const m = await peer.waitFor(/listening on (udp:\/\/127\.0\.0\.1:(\d+))/, options.timeoutMs ?? 60_000);
  return Object.assign(peer, { url: m[1]!, port: Number(m[2]) });
}
