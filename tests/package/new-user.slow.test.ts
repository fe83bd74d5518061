/**
 * What a new user does, end to end, outside this repository: `npm pack` midl, then in an empty
 * temporary directory `npx <tarball> init`, `npm install`, `npm run gen`, `npm run build` (tsc --strict,
 * NodeNext), run the example with plain `node` (Node 20 and 22), serve it and call it over UDP with
 * `midl call` from the installed package, type-check the generated code under `Bundler` resolution, and
 * bundle it with the installed runtime for a browser (run in a page-like realm).
 * npm works from its cache (`--prefer-offline`): everything the project installs is what `npm ci` of
 * this repository already fetched.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInContext } from 'node:vm';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageRealm } from '../helpers/page-realm.ts';
import { repoPath } from '../helpers/repo.ts';
import { node22 } from '../helpers/node-versions.ts';
import { until } from '../helpers/until.ts';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of a shell a user opens: none of the npm_* variables `npm test` sets for vitest. */
const userEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'INIT_CWD' && k !== 'NODE_OPTIONS'),
);
Object.assign(userEnv, {
  NO_COLOR: '1',
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  npm_config_yes: 'true',
});

function run(command: string, args: readonly string[], cwd: string, timeoutMs = 180_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: userEnv, timeout: timeoutMs, maxBuffer: 32 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

/** `r` exited 0; otherwise the assertion shows what it printed. */
function ok(r: Run, what: string): Run {
  expect(r.code, `${what} failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

let home: string;
let tarball: string;
let project: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'midl-new-user-'));
  // `npm pack` runs the prepack build; a unique destination per run also keeps npx from reusing an
  // install of an older tarball with the same path.
  const packed = ok(await run('npm', ['pack', '--pack-destination', home, '--silent'], repoPath()), 'npm pack');
  tarball = join(home, packed.stdout.trim().split('\n').pop()!);
  expect(existsSync(tarball), tarball).toBe(true);
  project = join(home, 'my-app');
}, 300_000);

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

describe('a new user, from an empty directory', () => {
  it('npx --package <tarball> midl init writes a project that depends on that tarball', async () => {
    const r = ok(await run('npx', ['--yes', '--package', tarball, 'midl', 'init', 'my-app'], home), 'npx --package <tarball> midl init my-app');
    expect(r.stdout + r.stderr).toContain(`file:${tarball}`);
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { type: string; dependencies: Record<string, string> };
    expect(pkg.type).toBe('module');
    expect(pkg.dependencies['midl']).toBe(`file:${tarball}`);
    // Refuses to overwrite.
    const again = await run('npx', ['--yes', '--package', tarball, 'midl', 'init', 'my-app'], home);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/package\.json/);
  }, 180_000);

  it('npm install, npm run gen, npm run build (tsc --strict, NodeNext)', async () => {
    ok(await run('npm', ['install'], project), 'npm install');
    // Only the packaged build: no TypeScript sources of midl and no tsx.
    const installed = join(project, 'node_modules', 'midl');
    expect(existsSync(join(installed, 'dist', 'runtime', 'index.js'))).toBe(true);
    expect(existsSync(join(installed, 'runtime'))).toBe(false);
    expect(existsSync(join(project, 'node_modules', 'tsx'))).toBe(false);
    ok(await run('npm', ['run', 'gen'], project), 'npm run gen');
    ok(await run('npm', ['run', 'check'], project), 'npm run check');
    ok(await run('npm', ['run', 'build'], project), 'npm run build');
    expect(existsSync(join(project, 'dist', 'example.js'))).toBe(true);
    // Generated code imports nothing but its siblings and midl's public entry points.
    const bare = new Set<string>();
    for (const file of walk(join(project, 'generated')))
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/g))
        if (!m[1]!.startsWith('.')) bare.add(m[1]!);
    expect([...bare].sort()).toEqual(['midl/runtime']);
  }, 300_000);

  it('the example serves and calls a topic over UDP, and the CLI runs, under plain node 20 and 22', async () => {
    for (const node of [process.execPath, await node22()]) {
      const r = ok(await run(node, ['dist/example.js'], project, 60_000), `${node} dist/example.js`);
      expect(r.stdout.trim()).toBe('Hello, Ada!');
      // The CLI too: what `npm run gen` wrote is what this node's midl generates.
      ok(await run(node, [join('node_modules', 'midl', 'bin', 'midl.mjs'), 'gen', '--check'], project, 120_000), `${node} midl gen --check`);
    }
  }, 300_000);

  it('npx midl call gets the typed reply (and the error code) from the example serving over UDP', async () => {
    const server = spawn(process.execPath, ['dist/example.js', '--serve', '--port', '0'], { cwd: project, env: userEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    server.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      await until(() => /listening on (udp:\/\/\S+)/.test(stderr) || server.exitCode !== null, 60_000, 'the example to listen');
      const url = /listening on (udp:\/\/\S+)/.exec(stderr)?.[1];
      expect(url, stderr).toBeDefined();
      const call = ok(
        await run('npx', ['midl', 'call', '--to', url!, '--topic', 'greeter/greet', '--json', '{"name":"Grace","language":"de"}'], project, 120_000),
        'midl call',
      );
      expect(JSON.parse(call.stdout)).toMatchObject({ text: 'Hallo, Grace!' });
      const refused = await run(
        'npx',
        ['midl', 'call', '--to', url!, '--topic', 'greeter/greet', '--json', '{"name":"Grace","language":"xx"}'],
        project,
        120_000,
      );
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toContain('UNKNOWN_LANGUAGE');
    } finally {
      server.kill('SIGTERM');
      await until(() => server.exitCode !== null || server.signalCode !== null, 20_000, 'the example to stop');
    }
    expect(server.exitCode, stderr).toBe(0);
  }, 300_000);

  it('the generated code type-checks under Bundler resolution too, without Node types', async () => {
    writeFileSync(
      join(project, 'tsconfig.bundler.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          strict: true,
          allowImportingTsExtensions: true,
          allowJs: true,
          noEmit: true,
          types: [],
          lib: ['ES2022', 'DOM'],
        },
        include: ['generated'],
      }),
    );
    ok(await run(process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.bundler.json'], project), 'tsc (Bundler)');
  }, 120_000);

  it('the generated client and the installed runtime bundle for a browser and answer there', async () => {
    // What a web app of this project would write: the generated client over the in-process hub.
    writeFileSync(
      join(project, 'page.ts'),
      [
        "import { CapabilityMask, createClient } from './generated/index.ts';",
        "import { LoopbackHub } from 'midl/runtime';",
        'export async function run(): Promise<string> {',
        '  const hub = new LoopbackHub();',
        "  const service = hub.connect({ capabilities: CapabilityMask.maskOf('greeter.answer') });",
        "  const app = hub.connect({ capabilities: CapabilityMask.maskOf('greeter.ask') });",
        '  await createClient(service).greeter.greet.serve((r) => ({ text: `Hello, ${r.name}!` })).ready;',
        "  const reply = await createClient(app).greeter.greet.request({ name: 'Page', language: 'en' }, { timeoutMs: 2000 });",
        '  await Promise.all([service.close(), app.close()]);',
        '  return reply.text;',
        '}',
        '',
      ].join('\n'),
    );
    const result = await build({
      entryPoints: [join(project, 'page.ts')],
      absWorkingDir: project,
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'page',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    const inputs = Object.entries(result.metafile.inputs);
    expect(inputs.map(([path]) => path)).toContain('node_modules/midl/dist/runtime/index.js');
    expect(inputs.flatMap(([path, input]) => [path, ...input.imports.map((i) => i.path)]).filter((p) => p.startsWith('node:'))).toEqual([]);
    const page = pageRealm();
    try {
      runInContext(result.outputFiles[0]!.text, page.context, { filename: 'page.js' });
      expect(await runInContext('page.run()', page.context)).toBe('Hello, Page!');
    } finally {
      page.close();
    }
  }, 120_000);
});

function* walk(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}
