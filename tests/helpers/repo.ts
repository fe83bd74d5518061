import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (no trailing slash). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/[\\/]$/, '');

export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}

/** Repository-relative path with forward slashes, for test names. */
export function repoRelative(abs: string): string {
  return relative(REPO_ROOT, abs).split(sep).join('/');
}

/**
 * Every `.midl` file below the given directories (relative to the repo root), sorted. A directory that
 * does not exist, or holds no .midl file, is an error: the corpora built from it must not shrink quietly.
 */
export function findMidlFiles(dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.midl')) out.push(full);
    }
  };
  for (const d of dirs) {
    const before = out.length;
    walk(repoPath(d));
    if (out.length === before) throw new Error(`${d}/ holds no .midl file`);
  }
  return out;
}
