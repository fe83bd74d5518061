import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { isGeneratedFile, type EmittedFile } from './emitters/emitter.ts';

export interface OutputDiff {
  /** Files whose content differs from what gen would write. */
  readonly stale: string[];
  readonly missing: string[];
  /** Files in the output directory that gen would not write. */
  readonly extra: string[];
}

/** Every file below `dir`, as POSIX paths relative to it (dot-files included: nothing may hide there). */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

export function diffOutput(dir: string, files: readonly EmittedFile[]): OutputDiff {
  const wanted = new Map(files.map((f) => [f.path, f.content]));
  const present = new Set(listFiles(dir));
  const stale: string[] = [];
  const missing: string[] = [];
  for (const [path, content] of wanted) {
    if (!present.has(path)) missing.push(path);
    else if (readFileSync(join(dir, path), 'utf8') !== content) stale.push(path);
  }
  const extra = [...present].filter((p) => !wanted.has(p));
  return { stale, missing, extra };
}

/** An output directory holds files midl gen did not write: gen stops rather than replace or remove them. */
export class ForeignFilesError extends Error {
  override readonly name = 'ForeignFilesError';
  constructor(
    readonly dir: string,
    /** POSIX paths relative to `dir`. */
    readonly files: readonly string[],
  ) {
    const list = files.length > 5 ? `${files.slice(0, 5).join(', ')} and ${files.length - 5} more` : files.join(', ');
    super(
      `${dir} holds ${files.length === 1 ? 'a file' : `${files.length} files`} that midl gen did not write (${list}); ` +
        'the output directory belongs to midl gen, which replaces and removes the files in it: move hand-written files elsewhere',
    );
  }
}

/** The first bytes of a file: enough to recognise a generated header; '' for what cannot be read as a file (so it counts as foreign). */
function headOf(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const buf = Buffer.alloc(128);
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
  } catch {
    return '';
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes `dir` hold exactly `files`: writes what changed, removes what gen no longer produces (the
 * output directory belongs to gen), and leaves unchanged files untouched so watchers stay quiet.
 * Before touching anything it checks that every file it would replace or remove is one gen writes
 * (`isGeneratedFile`), and throws `ForeignFilesError` otherwise: a hand-written file is never lost.
 */
export function writeOutput(dir: string, files: readonly EmittedFile[]): { written: string[]; removed: string[] } {
  const diff = diffOutput(dir, files);
  const foreign = [...diff.stale, ...diff.extra].filter((p) => !isGeneratedFile(p, headOf(join(dir, p)))).sort();
  if (foreign.length > 0) throw new ForeignFilesError(dir, foreign);
  const changed = new Set([...diff.stale, ...diff.missing]);
  for (const f of files) {
    if (!changed.has(f.path)) continue;
    const full = join(dir, f.path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, f.content);
  }
  for (const p of diff.extra) rmSync(join(dir, p), { force: true });
  removeEmptyDirs(dir);
  return { written: [...changed].sort(), removed: diff.extra };
}

function removeEmptyDirs(dir: string): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const sub = join(dir, e.name);
    removeEmptyDirs(sub);
    if (readdirSync(sub).length === 0) rmdirSync(sub);
  }
}
