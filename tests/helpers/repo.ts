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
 * Every `.midl` file below the given directories (relative to the repo root), sorted. Directories that
 * do not exist yet are skipped: idl/ and examples/ grow while these tests are written.
 */
export function findMidlFiles(dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const full = join(dir, name);
      let isDir = false;
      try {
        isDir = statSync(full).isDirectory();
      } catch {
        continue;
      }
      if (isDir) walk(full);
      else if (name.endsWith('.midl')) out.push(full);
    }
  };
  for (const d of dirs) walk(repoPath(d));
  return out;
}
