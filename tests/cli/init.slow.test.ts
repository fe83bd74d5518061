/**
 * The starter of `midl init` as its README runs it from the shell: `npm run serve` (example.ts --serve)
 * in one shell, `npx midl call …` in another. The example serves until SIGTERM and closes cleanly; the
 * call prints the typed reply, or the topic's error and exit 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_TEST_TIMEOUT_MS, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { STARTER_CALLS, finished, makeStarterProject, spawnExample, type StarterProject } from '../helpers/starter-project.ts';
import { freeUdpPort } from '../helpers/udp-port.ts';

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
