/**
 * The starter of `midl init` as its README runs it from the shell: `npm run serve` (example.ts --serve)
 * in one shell, `npx midl call …` in another. The example serves until SIGTERM and closes cleanly; the
 * call prints the typed reply, or the topic's error and exit 1.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_TEST_TIMEOUT_MS, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { repoPath } from '../helpers/repo.ts';
import { STARTER_CALLS, finished, makeStarterProject, spawnExample, typecheckStarter, type StarterProject } from '../helpers/starter-project.ts';
import { freeUdpPort } from '../helpers/udp-port.ts';

/** The one TypeScript block of docs/getting-started.md: an LLM host using the starter's facts and client. */
function gettingStartedHost(): string {
  const blocks = [...readFileSync(repoPath('docs/getting-started.md'), 'utf8').matchAll(/^```ts\n([\s\S]*?)^```$/gm)];
  expect(blocks).toHaveLength(1);
  return blocks[0]![1]!;
}

let project: StarterProject;
beforeAll(async () => {
  project = await makeStarterProject('init-slow-');
}, CLI_TEST_TIMEOUT_MS);
afterAll(() => project.remove());

describe('the starter example, serving', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('answers midl call with the typed reply or the error, and closes on SIGTERM', async () => {
    const port = await freeUdpPort();
    const child = spawnExample(project, ['--serve', '--port', String(port)]);
    const done = finished(child, 90_000);
    const listening = `listening on udp://127.0.0.1:${port}`;
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stderr?.on('data', (d: string) => {
        seen += d;
        if (seen.includes(`${listening}\n`)) resolve();
      });
      child.on('close', () => reject(new Error(`example exited before listening: ${seen}`)));
    });
    for (const call of STARTER_CALLS) {
      const r = await runMidl(['call', '--to', `udp://127.0.0.1:${port}`, '--topic', 'greeter/greet', '--json', call.json], { cwd: project.dir });
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: call.code, stdout: call.stdout, stderr: call.stderr });
    }
    child.kill('SIGTERM');
    const end = await done;
    expect(end.stderr).toBe(`${listening}\nSIGTERM: closing\n`);
    expect(end.stdout).toBe('');
    expect(end.code).toBe(0);
  });

  it('a port in use is one line and exit 1, not a stack trace', async () => {
    const port = await freeUdpPort();
    const first = spawnExample(project, ['--serve', '--port', String(port)]);
    const firstDone = finished(first, 90_000);
    await new Promise<void>((resolve) => first.stderr?.on('data', (d: string) => d.includes('listening on') && resolve()));
    const second = await finished(spawnExample(project, ['--serve', '--port', String(port)]), 60_000);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`^error: NM2: cannot bind udp://127\\.0\\.0\\.1:${port}: bind EADDRINUSE .*\\n$`));
    expect(stackTraceLines(second.stderr)).toEqual([]);
    first.kill('SIGINT');
    expect((await firstDone).code).toBe(0);
  });

  it('--port must be a port number', async () => {
    const r = await finished(spawnExample(project, ['--serve', '--port', '70000']), 60_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --port must be a UDP port number (0 to 65535), not 70000\n');
  });
});

describe('the starter, built', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('the starter passes midl check, fmt --check and gen, type-checks with tsc --strict, and its example greets over UDP', async () => {
    const p = await makeStarterProject('init-');
    try {
      const check = await runMidl(['check'], { cwd: p.dir });
      expect(check.code, check.stderr).toBe(0);
      expect(check.stderr).toContain('no problems');
      const fmt = await runMidl(['fmt', '--check'], { cwd: p.dir });
      expect(fmt.code, fmt.stderr).toBe(0);
      const genCheck = await runMidl(['gen', '--check'], { cwd: p.dir });
      expect(genCheck.code, genCheck.stderr).toBe(0);
      expect(existsSync(join(p.dir, 'generated/facts/facts.json'))).toBe(true);
      expect(existsSync(join(p.dir, 'midl.lock'))).toBe(true);
      // docs/getting-started.md's LLM host, compiled beside the example.
      writeFileSync(join(p.dir, 'host.ts'), gettingStartedHost());
      const tsc = await typecheckStarter(p);
      expect(tsc.out).toBe('');
      expect(tsc.code).toBe(0);
      const run = await finished(spawnExample(p, []), 60_000);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('Hello, Ada!\n');
      expect(run.code).toBe(0);
    } finally {
      p.remove();
    }
  });
});
