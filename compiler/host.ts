import { readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';

/** What the compiler needs from the outside world; tests substitute an in-memory host. */
export interface CompilerHost {
  /** Returns the file's text, or throws (ENOENT, EISDIR…). */
  readFile(absPath: string): string;
  /** Path as printed in diagnostics. */
  displayPath(absPath: string): string;
}

export function nodeHost(cwd = process.cwd()): CompilerHost {
  return {
    readFile: (p) => readFileSync(p, 'utf8'),
    displayPath: (p) => {
      const rel = relative(cwd, p);
      return (rel.startsWith('..') ? p : rel).split(sep).join('/');
    },
  };
}
