import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runMidl } from './cli.ts';
import { repoPath } from './repo.ts';

/**
 * A project made by `midl init`, generated, and set up to build and run against this checkout instead
 * of an installed midl: it lies below tmp/ (git ignores it) so that node_modules (ajv, @types/node)
 * resolve to the repository's, and tsconfig.test.json extends the project's own tsconfig, mapping
 * `midl/runtime` and `midl/runtime/transports` to this checkout's sources with `paths`. The real install
 * (npm pack, npm install, tsc, node) is the packaging end-to-end test's.
 */
/**
 * The calls the starter's README and docs/getting-started.md show from the shell, with what they print:
 * tests/cli/init.slow.test.ts makes them against the serving example, the doc tests find them verbatim.
 */
export const STARTER_CALLS = [
  { json: '{"name":"Ada","language":"fr"}', code: 0, stdout: '{"text":"Bonjour, Ada!"}\n', stderr: '' },
  { json: '{"name":"Ada","language":"xx"}', code: 1, stdout: '', stderr: "error: remote: UNKNOWN_LANGUAGE (1): no greeting is known in 'xx'\n" },
] as const;

/** The port `npm run serve` serves on unless given --port. */
export const STARTER_PORT = 5673;

/** `midl call` of one of STARTER_CALLS, as the docs show it (against the default port). */
export const starterCallLine = (json: string, port = STARTER_PORT) => `npx midl call --to udp://127.0.0.1:${port} --topic greeter/greet --json '${json}'`;

export interface StarterProject {
  readonly dir: string;
  readonly tsconfig: string;
  remove(): void;
}

export async function makeStarterProject(prefix: string): Promise<StarterProject> {
  const root = repoPath('tmp');
  mkdirSync(root, { recursive: true });
  const base = mkdtempSync(join(root, prefix));
  const dir = join(base, 'starter');
  const init = await runMidl(['init', dir, '--midl-spec', '^0.1.0']);
  expect(init.stderr).toBe('');
  expect(init.code).toBe(0);
  const gen = await runMidl(['gen'], { cwd: dir });
  expect(gen.code, gen.stderr).toBe(0);
  const tsconfig = join(dir, 'tsconfig.test.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: './tsconfig.json',
      // Every program at the top, so a test may add one (docs/getting-started.md's host) beside example.ts.
      include: ['*.ts', 'generated'],
      compilerOptions: {
        noEmit: true,
        // The mapped runtime is TypeScript source outside the project, imported with .ts extensions.
        rootDir: repoPath(),
        allowImportingTsExtensions: true,
        paths: { 'midl/runtime': [repoPath('runtime/index.ts')], 'midl/runtime/transports': [repoPath('runtime/transports/index.ts')] },
      },
    }),
  );
  return { dir, tsconfig, remove: () => rmSync(base, { recursive: true, force: true }) };
}

/** Runs tsc on the project with tsconfig.test.json; resolves to its exit code and output. */
export function typecheckStarter(p: StarterProject): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [repoPath('node_modules/typescript/bin/tsc'), '-p', p.tsconfig], { cwd: p.dir, maxBuffer: 8 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? 1 : 0, out: stdout + stderr }),
    ),
  );
}

/** Starts example.ts under tsx (one process, so signals reach the program itself) with the test tsconfig. */
export function spawnExample(p: StarterProject, args: readonly string[]): ChildProcess {
  return spawn(process.execPath, ['--import', repoPath('node_modules/tsx/dist/esm/index.mjs'), 'example.ts', ...args], {
    cwd: p.dir,
    env: { ...process.env, TSX_TSCONFIG_PATH: p.tsconfig, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collects a child's output and waits for its exit, killing it after `timeoutMs`. */
export function finished(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
