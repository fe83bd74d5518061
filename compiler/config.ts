import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** midl.yaml: which schemas make up the project and where generated files go. */
export interface MidlConfig {
  /** Absolute path of the midl.yaml that was read. */
  readonly path: string;
  /** Each entry (file or directory) is compiled as one program and generated into `output`. */
  readonly inputs: readonly string[];
  /** Checked and format-checked like inputs, each its own program, but never generated. */
  readonly checkOnly: readonly string[];
  readonly output: string;
  /** How generated TypeScript imports the runtime (default `midl/runtime`). */
  readonly runtimeImport: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const CONFIG_FILE = 'midl.yaml';
export const LOCK_FILE = 'midl.lock';
export const DEFAULT_RUNTIME_IMPORT = 'midl/runtime';

/** Finds midl.yaml in `cwd` or its parents, like git finds .git. */
export function findConfig(cwd = process.cwd()): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function loadConfig(path: string): MidlConfig {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${path}: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${path}: expected a mapping with 'inputs' and 'output'`);
  const obj = raw as Record<string, unknown>;
  const known = new Set(['inputs', 'checkOnly', 'output', 'runtimeImport']);
  const unknown = Object.keys(obj).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new ConfigError(`${path}: unknown key '${unknown[0]}' (known: ${[...known].join(', ')})`);
  const list = (key: string, required: boolean): string[] => {
    const v = obj[key];
    if (v === undefined && !required) return [];
    if (!Array.isArray(v) || (v.length === 0 && required) || !v.every((x) => typeof x === 'string' && x.length > 0)) {
      throw new ConfigError(`${path}: '${key}' must be a list of paths${required ? ' with at least one entry' : ''}`);
    }
    return v as string[];
  };
  const base = dirname(path);
  const output = obj['output'] ?? 'generated';
  if (typeof output !== 'string' || output.length === 0) throw new ConfigError(`${path}: 'output' must be a path`);
  const runtimeImport = obj['runtimeImport'] ?? DEFAULT_RUNTIME_IMPORT;
  if (typeof runtimeImport !== 'string' || runtimeImport.length === 0) throw new ConfigError(`${path}: 'runtimeImport' must be a module specifier`);
  return {
    path,
    runtimeImport,
    inputs: list('inputs', true).map((p) => resolve(base, p)),
    checkOnly: list('checkOnly', false).map((p) => resolve(base, p)),
    output: resolve(base, output),
  };
}

/** A file stays as given; a directory expands to every .midl file below it, sorted. */
export function expandInputs(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.midl')) out.push(full);
    }
  };
  for (const p of paths) {
    const abs = resolve(p);
    let isDir = false;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      // Missing paths are passed on so the loader reports them as unreadable inputs.
    }
    if (isDir) walk(abs);
    else out.push(abs);
  }
  return [...new Set(out)];
}
