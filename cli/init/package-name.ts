import { builtinModules } from 'node:module';

/** npm's limit on a package name's length. */
const MAX_LENGTH = 214;
/** Names npm refuses whatever their spelling. */
const RESERVED = new Set(['node_modules', 'favicon.ico']);

/**
 * Why `name` cannot be the name of a new npm package, or undefined when it can. The rules are npm's
 * (validate-npm-package-name, for new packages): lower case, URL-safe characters only, not led by `.`
 * or `_`, at most 214 characters, not a Node built-in module's name (it would shadow it in `require`).
 */
export function npmNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_LENGTH) return `it is longer than ${MAX_LENGTH} characters`;
  if (name !== name.toLowerCase()) return 'it has upper-case letters';
  if (/^[._]/.test(name)) return `it starts with '${name[0]!}'`;
  const bad = /[^a-z0-9._-]/.exec(name);
  if (bad) return `it contains '${bad[0]}' (letters, digits, '-', '.' and '_' only)`;
  if (RESERVED.has(name)) return `npm reserves '${name}'`;
  if (builtinModules.includes(name)) return `'${name}' is a Node.js built-in module`;
  return undefined;
}

/**
 * The package name a directory's base name gives: lower-cased, every run of characters npm does not
 * allow turned into one `-`, leading `.`/`_`/`-` and trailing `.`/`-` dropped. Undefined when what is
 * left is still not a valid name (nothing left, a built-in module's name, …).
 */
export function packageNameFor(base: string): string | undefined {
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+/, '')
    .replace(/[.-]+$/, '')
    .slice(0, MAX_LENGTH)
    .replace(/[.-]+$/, '');
  return npmNameProblem(name) === undefined ? name : undefined;
}
