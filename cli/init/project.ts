import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { MIDL_PACKAGE, TEMPLATES_DIR, renderTemplate } from '../../compiler/index.ts';
import { UsageError } from '../exit.ts';
import { detectMidlSpec, type MidlSpec } from './midl-spec.ts';
import { npmNameProblem, packageNameFor } from './package-name.ts';

/** The commands that take a new project from `midl init` to a running example, as its README and docs/getting-started.md give them. */
export const FIRST_RUN = ['npm install', 'npm run gen', 'npm run build', 'npm start'] as const;

/** Files copied as they are from templates/init/ (project path → template path). */
const VERBATIM: ReadonlyArray<readonly [string, string]> = [
  ['midl.yaml', 'midl.yaml'],
  ['schema/greeter.midl', 'schema/greeter.midl'],
  ['tsconfig.json', 'tsconfig.json'],
  ['example.ts', 'example.ts'],
  // npm pack leaves out every file named .gitignore, so the template cannot carry the dot.
  ['.gitignore', 'gitignore'],
];

export interface InitOptions {
  /** The project directory as given (created when absent). */
  readonly dir: string;
  /** The package name; default: made from the directory's name. */
  readonly name?: string | undefined;
  /** `dependencies.midl`; default: the spec of the running midl (midl-spec.ts). */
  readonly midlSpec?: string | undefined;
}

export interface InitResult {
  /** Absolute project directory. */
  readonly dir: string;
  readonly name: string;
  readonly midl: MidlSpec;
  /** The files written, relative to `dir`, in the order written. */
  readonly files: readonly string[];
}

/**
 * Writes a new midl project into `opts.dir`. Refuses (UsageError, nothing written) when any file it
 * would write is there already, naming each, or when the directory is a file or yields no package name.
 */
export function initProject(opts: InitOptions): InitResult {
  const dir = resolve(opts.dir);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`${opts.dir} exists and is not a directory`);
  const name = projectName(dir, opts);
  const midl = opts.midlSpec === undefined ? detectMidlSpec(MIDL_PACKAGE.root, MIDL_PACKAGE.version) : givenSpec(opts.midlSpec);
  const files = projectFiles(name, midl.spec);
  // A file standing where a directory goes is named once, however many files would go below it.
  const taken = [...new Set([...files.keys()].map((rel) => occupant(dir, rel)).filter((p) => p !== undefined))];
  if (taken.length > 0) {
    throw new UsageError(`refusing to overwrite in ${opts.dir}: ${taken.join(', ')} already exist${taken.length === 1 ? 's' : ''}; nothing was written`);
  }
  writeAllOrNothing(dir, opts.dir, files);
  return { dir, name, midl, files: [...files.keys()] };
}

/**
 * Writes `files` below `dir`; when one cannot be written (a race with another writer, no permission),
 * removes what this call made and throws a UsageError naming it.
 */
export function writeAllOrNothing(dir: string, shownDir: string, files: ReadonlyMap<string, string>): void {
  const made: string[] = [];
  for (const [rel, content] of files) {
    const path = join(dir, rel);
    try {
      const firstNewDir = mkdirSync(dirname(path), { recursive: true });
      if (firstNewDir !== undefined) made.push(firstNewDir);
      // 'wx': a file that appeared since the check for existing files is still never overwritten.
      writeFileSync(path, content, { flag: 'wx' });
      made.push(path);
    } catch (err) {
      // Newest first: files before the directories that hold them. Each was created by this call.
      for (const p of made.reverse()) rmSync(p, { recursive: true, force: true });
      throw new UsageError(`cannot write ${rel} in ${shownDir}: ${(err as Error).message}; nothing was written`);
    }
  }
}

/**
 * What writing `rel` would replace or trip over, relative to `dir`: the file itself, or a non-directory
 * where one of its parent directories goes; undefined when nothing is in the way.
 */
function occupant(dir: string, rel: string): string | undefined {
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    const parent = join(dir, ...parts.slice(0, i));
    // A link to a directory is a directory here; a dangling link is in the way like a file.
    if (existsSync(parent) ? !statSync(parent).isDirectory() : isLink(parent)) return parts.slice(0, i).join('/');
  }
  const path = join(dir, rel);
  return existsSync(path) || isLink(path) ? rel : undefined;
}

/** A dangling symbolic link is "there" too: writing through it would create a file elsewhere. */
function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function projectName(dir: string, opts: InitOptions): string {
  if (opts.name !== undefined) {
    const problem = npmNameProblem(opts.name);
    if (problem) throw new UsageError(`--name '${opts.name}' is not a valid npm package name: ${problem}`);
    return opts.name;
  }
  const base = basename(dir);
  const name = packageNameFor(base);
  if (name === undefined) throw new UsageError(`cannot make an npm package name of the directory name '${base}'; give one with --name`);
  return name;
}

function givenSpec(spec: string): MidlSpec {
  if (spec.trim() === '' || spec !== spec.trim())
    throw new UsageError(`--midl-spec must be a non-empty npm dependency spec without surrounding spaces, not ${JSON.stringify(spec)}`);
  return { spec, reason: 'given with --midl-spec' };
}

/** Every file of a new project, path (relative, `/`-separated) → content, in the order they are written. */
function projectFiles(name: string, midlSpec: string): Map<string, string> {
  const files = new Map<string, string>();
  files.set('package.json', `${JSON.stringify(packageJson(name, midlSpec), null, 2)}\n`);
  for (const [target, template] of VERBATIM) files.set(target, readFileSync(join(TEMPLATES_DIR, 'init', template), 'utf8'));
  files.set('README.md', renderTemplate('init/README.md.hbs', { name }));
  return files;
}

function packageJson(name: string, midlSpec: string): object {
  return {
    name,
    version: '0.1.0',
    private: true,
    description: 'A midl project: schema/ compiled by midl gen into generated/, and an example that serves and calls it',
    type: 'module',
    engines: { node: '>=20' },
    scripts: {
      gen: 'midl gen',
      check: 'midl check',
      fmt: 'midl fmt',
      build: 'tsc',
      start: 'node dist/example.js',
      serve: 'node dist/example.js --serve',
    },
    dependencies: { midl: midlSpec },
    devDependencies: { '@types/node': builtWith('@types/node'), typescript: builtWith('typescript') },
  };
}

/** `^` and the version of `pkg` that midl itself is built with, as midl's package.json names it. */
function builtWith(pkg: string): string {
  const range = MIDL_PACKAGE.devDependencies[pkg] ?? MIDL_PACKAGE.dependencies[pkg];
  const version = range === undefined ? undefined : /\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?/.exec(range)?.[0];
  if (version === undefined) throw new Error(`midl's package.json (${MIDL_PACKAGE.root}) names no version of ${pkg}, which midl init gives new projects`);
  return `^${version}`;
}
