/**
 * How `midl init` says which midl a new project depends on (cli/init/midl-spec.ts), on fake install
 * layouts laid out as npm 11 writes them (checked by hand with `npx --package ./midl-0.1.0.tgz midl`:
 * ~/.npm/_npx/<hash>/package.json and node_modules/.package-lock.json record the tarball as a `file:`
 * path relative to <hash>), and the package names it makes of directory names.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectMidlSpec } from '../../cli/init/midl-spec.ts';
import { npmNameProblem, packageNameFor } from '../../cli/init/package-name.ts';
import { removeTempProjects, tempProject } from '../helpers/cli.ts';

afterAll(removeTempProjects);

const MIDL = JSON.stringify({ name: 'midl', version: '0.1.0' });
const lockWith = (key: string, resolved: string) => JSON.stringify({ name: 'x', lockfileVersion: 3, packages: { [key]: { version: '0.1.0', resolved } } });

describe('detectMidlSpec', () => {
  it("npm exec's cache: the tarball recorded in node_modules/.package-lock.json, made absolute", () => {
    const tmp = tempProject({ 'dl/midl-0.1.0.tgz': 'tarball' });
    const cache = join(tmp, 'home/.npm/_npx/ae742869a0565521');
    const installed = join(cache, 'node_modules/midl');
    mkdirSync(installed, { recursive: true });
    writeFileSync(join(installed, 'package.json'), MIDL);
    writeFileSync(join(cache, 'node_modules/.package-lock.json'), lockWith('node_modules/midl', 'file:../../../../dl/midl-0.1.0.tgz'));
    writeFileSync(join(cache, 'package.json'), JSON.stringify({ dependencies: { midl: 'file:../../../../dl/midl-0.1.0.tgz' } }));
    const r = detectMidlSpec(installed, '0.1.0');
    expect(r.spec).toBe(`file:${join(tmp, 'dl/midl-0.1.0.tgz')}`);
    expect(r.reason).toBe(`midl was installed from ${join(tmp, 'dl/midl-0.1.0.tgz')}, as ${cache} records it`);
  });

  it('without a lock, the installing package.json; an absolute file: path stays as it is', () => {
    const tmp = tempProject({
      'app/node_modules/midl/package.json': MIDL,
      'app/package.json': JSON.stringify({ devDependencies: { midl: 'file:../midl.tgz' } }),
    });
    expect(detectMidlSpec(join(tmp, 'app/node_modules/midl'), '0.1.0').spec).toBe(`file:${join(tmp, 'midl.tgz')}`);
    const abs = tempProject({
      'app/node_modules/midl/package.json': MIDL,
      'app/package.json': JSON.stringify({ dependencies: { midl: 'file:/opt/midl.tgz' } }),
    });
    expect(detectMidlSpec(join(abs, 'app/node_modules/midl'), '0.1.0').spec).toBe('file:/opt/midl.tgz');
  });

  it('a nested install is looked up under its own lock key', () => {
    const tmp = tempProject({ 'app/node_modules/tool/node_modules/midl/package.json': MIDL });
    writeFileSync(join(tmp, 'app/package-lock.json'), lockWith('node_modules/tool/node_modules/midl', 'file:vendor/midl.tgz'));
    expect(detectMidlSpec(join(tmp, 'app/node_modules/tool/node_modules/midl'), '0.1.0').spec).toBe(`file:${join(tmp, 'app/vendor/midl.tgz')}`);
  });

  it('from the registry (or nothing recorded): ^version', () => {
    const tmp = tempProject({ 'app/node_modules/midl/package.json': MIDL });
    writeFileSync(join(tmp, 'app/node_modules/.package-lock.json'), lockWith('node_modules/midl', 'https://registry.npmjs.org/midl/-/midl-0.1.0.tgz'));
    const r = detectMidlSpec(join(tmp, 'app/node_modules/midl'), '0.1.0');
    expect(r.spec).toBe('^0.1.0');
    expect(r.reason).toContain('came from the registry');
    const bare = tempProject({ 'lib/node_modules/midl/package.json': MIDL, 'lib/node_modules/.package-lock.json': '{ not json' });
    expect(detectMidlSpec(join(bare, 'lib/node_modules/midl'), '0.2.0').spec).toBe('^0.2.0');
  });

  it('a directory outside node_modules (a checkout, or a linked file: directory dependency): file: and its real path', () => {
    const tmp = tempProject({ 'src/midl/package.json': MIDL });
    expect(detectMidlSpec(join(tmp, 'src/midl'), '0.1.0')).toEqual({
      spec: `file:${join(tmp, 'src/midl')}`,
      reason: `midl runs from the directory ${join(tmp, 'src/midl')}, not from an installed package`,
    });
    mkdirSync(join(tmp, 'app/node_modules'), { recursive: true });
    symlinkSync(join(tmp, 'src/midl'), join(tmp, 'app/node_modules/midl'));
    expect(detectMidlSpec(join(tmp, 'app/node_modules/midl'), '0.1.0').spec).toBe(`file:${join(tmp, 'src/midl')}`);
  });
});

describe('package names', () => {
  it('a directory name becomes a valid npm name, or none', () => {
    expect(packageNameFor('My Project')).toBe('my-project');
    expect(packageNameFor('.hidden_dir')).toBe('hidden_dir');
    expect(packageNameFor('greeter.v2.')).toBe('greeter.v2');
    expect(packageNameFor('Ünïcode Räder')).toBe('n-code-r-der');
    expect(packageNameFor('x'.repeat(300))).toBe('x'.repeat(214));
    for (const hopeless of ['', '!!!', '___', 'http', 'node_modules', 'FS']) expect(packageNameFor(hopeless), hopeless).toBeUndefined();
  });

  it("npm's rules for a new package's name", () => {
    expect(npmNameProblem('greeter-app')).toBeUndefined();
    expect(npmNameProblem('')).toBe('it is empty');
    expect(npmNameProblem('Greeter')).toBe('it has upper-case letters');
    expect(npmNameProblem('_x')).toBe("it starts with '_'");
    expect(npmNameProblem('a b')).toBe("it contains ' ' (letters, digits, '-', '.' and '_' only)");
    expect(npmNameProblem('favicon.ico')).toBe("npm reserves 'favicon.ico'");
    expect(npmNameProblem('x'.repeat(215))).toBe('it is longer than 214 characters');
  });
});
