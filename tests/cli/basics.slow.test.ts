import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_TEST_TIMEOUT_MS, MIDL_BIN, removeTempProjects, runMidl, stackTraceLines, tempProject } from '../helpers/cli.ts';
import { repoPath } from '../helpers/repo.ts';

const version = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string }).version;

afterAll(removeTempProjects);

describe.concurrent('midl: version, help and usage errors', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('--version prints the package.json version and exits 0', async () => {
    const r = await runMidl(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('--help exits 0 and lists the commands and options', async () => {
    const r = await runMidl(['--help']);
    expect(r.code).toBe(0);
    for (const word of ['Usage: midl', 'check', 'fmt', '--version', '--help']) expect(r.stdout).toContain(word);
  });

  it('check --help exits 0 and lists every check option', async () => {
    const r = await runMidl(['check', '--help']);
    expect(r.code).toBe(0);
    for (const word of ['Usage: midl check', '[paths...]', '--format', 'human', 'json', 'github', '--warnings-as-errors', '--config'])
      expect(r.stdout).toContain(word);
  });

  it('fmt --help exits 0 and lists every fmt option', async () => {
    const r = await runMidl(['fmt', '--help']);
    expect(r.code).toBe(0);
    for (const word of ['Usage: midl fmt', '[paths...]', '--check', '--config']) expect(r.stdout).toContain(word);
  });

  it('a reader that goes away after the first line (| head -1) ends the output quietly: exit 0, no stack trace', async () => {
    const child = spawn(process.execPath, [MIDL_BIN, 'peer', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Like `head -1`: read the first chunk, then close the pipe while the CLI still writes.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stackTraceLines(stderr)).toEqual([]);
    expect(stderr).not.toMatch(/EPIPE/);
    expect(code).toBe(0);
  });

  it('an unknown option exits 2 and says which', async () => {
    const dir = tempProject({ 'a.midl': 'package a;\nversion "1.0.0";\n' });
    const r = await runMidl(['check', '--frobnicate', 'a.midl'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--frobnicate'");
    expect(stackTraceLines(r.stderr)).toEqual([]);
  });

  it('an invalid --format value exits 2 and lists the choices', async () => {
    const r = await runMidl(['check', '--format', 'yaml', 'x.midl']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/human.*json.*github/);
  });

  it('an unknown command exits 2', async () => {
    const r = await runMidl(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });
});
