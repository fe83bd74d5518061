import { readdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { FIRST_RUN, writeAllOrNothing } from '../../cli/init/project.ts';
import { CLI_TEST_TIMEOUT_MS, removeTempProjects, runMidl, stackTraceLines, tempProject } from '../helpers/cli.ts';
import { repoPath } from '../helpers/repo.ts';
import { STARTER_CALLS, STARTER_PORT, starterCallLine } from '../helpers/starter-project.ts';

afterAll(removeTempProjects);

const FILES = ['.gitignore', 'README.md', 'example.ts', 'midl.yaml', 'package.json', 'schema/greeter.midl', 'tsconfig.json'];

interface Manifest {
  name: string;
  private: boolean;
  type: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

const midlManifest = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as Manifest;
const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** Every file below `dir`, relative and sorted. */
function listTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe.concurrent('midl init', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('creates DIR with an ESM package.json named after it, depending on the running midl, and prints the next steps', async () => {
    const parent = tempProject();
    const r = await runMidl(['init', 'Hello World!'], { cwd: parent });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const dir = join(parent, 'Hello World!');
    expect(listTree(dir)).toEqual(FILES);
    const pkg = readManifest(dir);
    expect(pkg).toMatchObject({ name: 'hello-world', private: true, type: 'module' });
    expect(pkg.scripts).toMatchObject({
      gen: 'midl gen',
      check: 'midl check',
      build: 'tsc',
      start: 'node dist/example.js',
      serve: 'node dist/example.js --serve',
    });
    // Run from this checkout, midl is a directory outside any node_modules: the project depends on it.
    const checkout = realpathSync(repoPath());
    expect(pkg.dependencies).toEqual({ midl: `file:${checkout}` });
    const caret = (v: string | undefined) => `^${v!}`;
    expect(pkg.devDependencies).toEqual({
      // typescript is a run-time dependency of midl (the operator commands transpile generated code).
      typescript: caret(midlManifest.dependencies['typescript']),
      '@types/node': caret(midlManifest.devDependencies['@types/node']),
    });
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(readme.startsWith('# hello-world\n')).toBe(true);
    expect(readme).toContain(starterCallLine(STARTER_CALLS[0].json));
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toMatch(/^node_modules\/$/m);
    expect(r.stdout).toContain(`dependencies.midl: file:${checkout} (midl runs from the directory ${checkout}, not from an installed package)`);
    expect(r.stdout).toContain(['next:', "  cd 'Hello World!'", ...FIRST_RUN.map((s) => `  ${s}`)].join('\n'));
  });

  it('DIR defaults to the current directory, which may hold other files; --midl-spec is written as given', async () => {
    const dir = tempProject({ 'notes.txt': 'mine\n' });
    const r = await runMidl(['init', '--midl-spec', '^0.1.0', '--name', 'greeter-app'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(listTree(dir)).toEqual([...FILES, 'notes.txt'].sort());
    expect(readManifest(dir)).toMatchObject({ name: 'greeter-app', dependencies: { midl: '^0.1.0' } });
    expect(r.stdout).toContain('dependencies.midl: ^0.1.0 (given with --midl-spec)');
    expect(r.stdout).toContain(['next:', ...FIRST_RUN.map((s) => `  ${s}`)].join('\n'));
    expect(r.stdout).not.toContain('  cd ');
  });

  it('refuses to overwrite: names every file that exists and writes nothing', async () => {
    const dir = tempProject({ 'README.md': 'my readme\n', 'schema/greeter.midl': '// mine\n' });
    const r = await runMidl(['init', '.'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: refusing to overwrite in .: schema/greeter.midl, README.md already exist; nothing was written\n');
    expect(listTree(dir)).toEqual(['README.md', 'schema/greeter.midl']);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('my readme\n');
  });

  it('refuses a file where a directory goes, and a DIR that is a file', async () => {
    const dir = tempProject({ schema: 'not a directory\n', 'file.txt': 'x\n' });
    const r = await runMidl(['init'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: refusing to overwrite in .: schema already exists; nothing was written\n');
    const f = await runMidl(['init', 'file.txt'], { cwd: dir });
    expect(f.code).toBe(2);
    expect(f.stderr).toBe('error: file.txt exists and is not a directory\n');
    const under = await runMidl(['init', 'file.txt/app'], { cwd: dir });
    expect(under.code).toBe(2);
    expect(under.stderr).toMatch(/^error: cannot write package\.json in file\.txt\/app: ENOTDIR: .*; nothing was written\n$/);
    expect(listTree(dir)).toEqual(['file.txt', 'schema']);
  });

  it('a dangling link where a file or directory goes is in the way too', async () => {
    const dir = tempProject();
    symlinkSync(join(dir, 'nowhere'), join(dir, 'schema'));
    symlinkSync(join(dir, 'nowhere'), join(dir, 'README.md'));
    const r = await runMidl(['init'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: refusing to overwrite in .: schema, README.md already exist; nothing was written\n');
    expect(readdirSync(dir).sort()).toEqual(['README.md', 'schema']);
  });

  it('a file it cannot write after others were written: those are removed again', () => {
    const dir = tempProject();
    // A dangling link where the third file's directory goes: mkdir fails there, after two files.
    symlinkSync(join(dir, 'nowhere'), join(dir, 'c'));
    const files = new Map([
      ['a.txt', 'a'],
      ['b/b.txt', 'b'],
      ['c/c.txt', 'c'],
    ]);
    expect(() => writeAllOrNothing(dir, 'DIR', files)).toThrow(/^cannot write c\/c\.txt in DIR: .*; nothing was written$/);
    expect(readdirSync(dir)).toEqual(['c']);
  });

  it('a name that cannot be made valid is a usage error naming it', async () => {
    const dir = tempProject();
    for (const [args, message] of [
      [['init', '!!!'], "error: cannot make an npm package name of the directory name '!!!'; give one with --name\n"],
      [['init', 'x', '--name', 'Greeter'], "error: --name 'Greeter' is not a valid npm package name: it has upper-case letters\n"],
      [['init', 'x', '--midl-spec', ''], 'error: --midl-spec must be a non-empty npm dependency spec without surrounding spaces, not ""\n'],
    ] as const) {
      const r = await runMidl(args, { cwd: dir });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toBe(message);
      expect(stackTraceLines(r.stderr)).toEqual([]);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('the README tells the first run exactly as init prints it, and the calls on the port the example serves on', () => {
    const readme = readFileSync(repoPath('templates/init/README.md.hbs'), 'utf8');
    expect(readme).toContain(['```sh', ...FIRST_RUN, '```'].join('\n'));
    expect(readFileSync(repoPath('templates/init/example.ts'), 'utf8')).toContain(`const DEFAULT_PORT = ${STARTER_PORT};`);
    expect(readme).toContain(`listening on udp://127.0.0.1:${STARTER_PORT}`);
    expect(readme).toContain(starterCallLine(STARTER_CALLS[0].json));
    expect(readme).toContain(`\`${STARTER_CALLS[0].stdout.trim()}\``);
  });

  it('the tsconfig is strict NodeNext, emits .js for .ts imports and copies the generated validators', () => {
    const text = readFileSync(repoPath('templates/init/tsconfig.json'), 'utf8');
    const parsed = ts.parseConfigFileTextToJson('tsconfig.json', text);
    expect(parsed.error).toBeUndefined();
    expect(parsed.config).toMatchObject({
      compilerOptions: {
        strict: true,
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        rewriteRelativeImportExtensions: true,
        allowJs: true,
        outDir: 'dist',
        types: ['node'],
      },
      include: ['example.ts', 'generated'],
    });
  });
});
