import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_TARGETS, EMIT_TARGETS, targetProblems, type EmitTarget } from './generate.ts';

/**
 * One generation job of midl.yaml: a program (its inputs compiled together), the targets generated
 * from it and the directory they go to, which the job owns alone.
 */
export interface GenerateJob {
  /** Key of the program in midl.lock, and the job's name in messages. */
  readonly name: string;
  /** Where the job is in midl.yaml, for messages (`generate[1]`, or `inputs[0]` in the simple form). */
  readonly where: string;
  /** Files and directories compiled together as one program (absolute). */
  readonly inputs: readonly string[];
  /** Absolute output directory. */
  readonly output: string;
  /** How generated TypeScript imports the runtime, relative to the output directory or a package name. */
  readonly runtimeImport: string;
  readonly targets: readonly EmitTarget[];
}

/** midl.yaml: which schemas make up the project and what is generated from them, where. */
export interface MidlConfig {
  /** Absolute path of the midl.yaml that was read. */
  readonly path: string;
  /** The generation jobs, in the order midl.yaml gives them. */
  readonly generate: readonly GenerateJob[];
  /** Checked and format-checked, each its own program, but never generated. */
  readonly checkOnly: readonly string[];
  /**
   * The simple form (`inputs`, `output`, `runtimeImport` at the top level) as written, which `midl gen
   * --out` and `midl gen PATHS` build on; undefined for a `generate` list.
   */
  readonly simple: { readonly inputs: readonly string[]; readonly output: string; readonly runtimeImport: string } | undefined;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const CONFIG_FILE = 'midl.yaml';
export const LOCK_FILE = 'midl.lock';
export const DEFAULT_RUNTIME_IMPORT = 'midl/runtime';

const SIMPLE_KEYS = ['inputs', 'checkOnly', 'output', 'runtimeImport'] as const;
const JOBS_KEYS = ['generate', 'checkOnly'] as const;
const JOB_KEYS = ['name', 'inputs', 'output', 'runtimeImport', 'targets'] as const;
/** Every key midl.yaml accepts, by where it may stand: the one list that messages and MIDL1902's docs follow. */
export const CONFIG_KEYS = { simple: SIMPLE_KEYS, jobs: JOBS_KEYS, job: JOB_KEYS } as const;
/** The simple form's keys that a job of `generate` takes over, so cannot stand beside `generate`. */
const PER_JOB_KEYS = SIMPLE_KEYS.filter((k) => (JOB_KEYS as readonly string[]).includes(k));

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

type Mapping = Readonly<Record<string, unknown>>;

const isMapping = (v: unknown): v is Mapping => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Reads one midl.yaml mapping's values, each error naming its key. */
class Fields {
  constructor(
    private readonly obj: Mapping,
    /** Prefix of key names in messages: '' at the top level, `generate[1].` in a job. */
    private readonly prefix: string,
    private readonly fail: (message: string) => never,
  ) {}

  known(keys: readonly string[], hint = ''): void {
    const unknown = Object.keys(this.obj).find((k) => !keys.includes(k));
    if (unknown !== undefined) this.fail(`unknown key '${this.prefix}${unknown}' (known: ${keys.join(', ')})${hint}`);
  }

  paths(key: string, required: boolean): string[] {
    const v = this.obj[key];
    if (v === undefined && !required) return [];
    if (!Array.isArray(v) || (v.length === 0 && required) || !v.every((x) => typeof x === 'string' && x.length > 0)) {
      this.fail(`'${this.prefix}${key}' must be a list of paths${required ? ' with at least one entry' : ''}`);
    }
    return v as string[];
  }

  text(key: string, fallback: string | undefined, what: string): string {
    const v = this.obj[key] ?? fallback;
    if (typeof v !== 'string' || v.length === 0) this.fail(`'${this.prefix}${key}' must be ${what}`);
    return v;
  }

  targets(key: string): readonly EmitTarget[] {
    const v = this.obj[key];
    if (v === undefined) return DEFAULT_TARGETS;
    const name = `${this.prefix}${key}`;
    if (!Array.isArray(v) || v.length === 0) this.fail(`'${name}' must be a list of targets with at least one entry (known: ${EMIT_TARGETS.join(', ')})`);
    const seen = new Set<EmitTarget>();
    for (const t of v as unknown[]) {
      if (!(EMIT_TARGETS as readonly unknown[]).includes(t)) this.fail(`'${name}': unknown target ${JSON.stringify(t)} (known: ${EMIT_TARGETS.join(', ')})`);
      if (seen.has(t as EmitTarget)) this.fail(`'${name}': target '${String(t)}' is listed twice`);
      seen.add(t as EmitTarget);
    }
    const problems = targetProblems([...seen]);
    if (problems.length > 0) this.fail(`'${name}': ${problems.join('; ')}`);
    // midl gen runs targets in one fixed order, whatever order midl.yaml lists them in.
    return EMIT_TARGETS.filter((t) => seen.has(t));
  }
}

export function loadConfig(path: string): MidlConfig {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${path}: ${(err as Error).message}`);
  }
  const fail = (message: string): never => {
    throw new ConfigError(`${path}: ${message}`);
  };
  if (!isMapping(raw)) fail("expected a mapping with 'inputs' (or a 'generate' list of jobs)");
  const obj = raw as Mapping;
  const base = dirname(path);
  const top = new Fields(obj, '', fail);
  const checkOnly = top.paths('checkOnly', false).map((p) => resolve(base, p));
  let generate: GenerateJob[];
  let simple: MidlConfig['simple'];
  if (obj['generate'] !== undefined) {
    const stray = PER_JOB_KEYS.find((k) => obj[k] !== undefined);
    if (stray) fail(`'${stray}' cannot stand beside 'generate': each job of 'generate' names its own ${listed(PER_JOB_KEYS)}`);
    top.known(JOBS_KEYS);
    generate = jobsOf(obj['generate'], base, fail);
  } else {
    top.known(SIMPLE_KEYS, ", or 'generate' for a list of jobs");
    simple = {
      inputs: top.paths('inputs', true).map((p) => resolve(base, p)),
      output: resolve(base, top.text('output', 'generated', 'a path')),
      runtimeImport: top.text('runtimeImport', DEFAULT_RUNTIME_IMPORT, 'a module specifier'),
    };
    generate = simpleJobs(base, simple.inputs, simple.output, simple.runtimeImport);
  }
  const problem = jobProblems(base, generate, checkOnly, [path, join(base, LOCK_FILE)]);
  if (problem) fail(problem);
  return { path, generate, checkOnly, simple };
}

/** `a, b and c`. */
function listed(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]!}`;
}

/** A name as midl.lock has always keyed programs: the inputs relative to midl.yaml's directory. */
function defaultName(base: string, inputs: readonly string[]): string {
  return inputs.map((i) => relative(base, i).split(sep).join('/') || '.').join(' ');
}

function jobsOf(value: unknown, base: string, fail: (message: string) => never): GenerateJob[] {
  if (!Array.isArray(value) || value.length === 0) fail("'generate' must be a list of jobs with at least one entry");
  return (value as unknown[]).map((entry, i) => {
    const where = `generate[${i}]`;
    if (!isMapping(entry)) return fail(`'${where}' must be a mapping with 'inputs' and 'output'`);
    const f = new Fields(entry, `${where}.`, fail);
    f.known(JOB_KEYS);
    const inputs = f.paths('inputs', true).map((p) => resolve(base, p));
    const name = entry['name'] === undefined ? defaultName(base, inputs) : f.text('name', undefined, 'a name (the key of its program in midl.lock)');
    if (/\p{Cc}/u.test(name) || name.trim() !== name) fail(`'${where}.name' must be one line without control characters or leading and trailing spaces`);
    return {
      name,
      where,
      inputs,
      output: resolve(base, f.text('output', undefined, 'a path')),
      runtimeImport: f.text('runtimeImport', DEFAULT_RUNTIME_IMPORT, 'a module specifier'),
      targets: f.targets('targets'),
    };
  });
}

/**
 * The simple form's jobs: each input its own program, with every default target, into `output` (one
 * input) or `output/<basename of the input>` (several).
 */
export function simpleJobs(base: string, inputs: readonly string[], output: string, runtimeImport: string): GenerateJob[] {
  return inputs.map((input, i) => ({
    name: defaultName(base, [input]),
    where: `inputs[${i}]`,
    inputs: [input],
    output: inputs.length === 1 ? output : join(output, basename(input)),
    runtimeImport,
    targets: DEFAULT_TARGETS,
  }));
}

/** `a` is `b` or lies below it. */
function within(a: string, b: string): boolean {
  const rel = relative(b, a);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Why these jobs cannot run together, or undefined: gen removes whatever it did not write from an
 * output directory, so no two jobs may share one (or nest), and none may hold an input, a checkOnly
 * entry or the project's own files. Two jobs may not share a midl.lock key either.
 */
export function jobProblems(base: string, jobs: readonly GenerateJob[], checkOnly: readonly string[], projectFiles: readonly string[]): string | undefined {
  const show = (p: string) => relative(base, p).split(sep).join('/') || '.';
  for (const [i, a] of jobs.entries()) {
    for (const b of jobs.slice(i + 1)) {
      if (a.name === b.name) return `${a.where} and ${b.where} are both named '${a.name}' (the key of their program in midl.lock): give one a distinct 'name'`;
      if (a.output === b.output) return `${a.where} and ${b.where} both write ${show(a.output)}: each job needs an output directory of its own`;
      const nested = within(b.output, a.output) ? { outer: a, inner: b } : within(a.output, b.output) ? { outer: b, inner: a } : undefined;
      if (nested) {
        const { outer, inner } = nested;
        return `the output of ${inner.where} (${show(inner.output)}) lies inside the output of ${outer.where} (${show(outer.output)}): each job needs an output directory of its own`;
      }
    }
  }
  const held = [
    ...jobs.flatMap((j) => j.inputs.map((p) => ({ p, what: `input ${show(p)} of ${j.where}` }))),
    ...checkOnly.map((p) => ({ p, what: `checkOnly entry ${show(p)}` })),
    ...projectFiles.map((p) => ({ p, what: show(p) })),
  ];
  for (const j of jobs) {
    const h = held.find((x) => within(x.p, j.output));
    if (h) return `the output of ${j.where} (${show(j.output)}) holds ${h.what}: an output directory belongs to midl gen and holds generated files only`;
  }
  return undefined;
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
