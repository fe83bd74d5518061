import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findConfig, readLock, LockError, writeOutput, compile, generate, type EmittedFile, type EmitTarget } from '../compiler/index.ts';
import type { AnyIntentDescriptor, AnyTopicDescriptor, CapabilityInfo } from '../runtime/index.ts';
import { UsageError } from './exit.ts';
import { plan, type GenPlan } from './commands/gen.ts';
import { reportDiagnostics } from './commands/check.ts';

/**
 * The schema an operator command (peer, send, tail, replay) works with, loaded at run time: the same
 * front end and emitters as `midl gen`, emitted into a content-addressed cache and imported, so the
 * codecs, validators and topic ids are exactly the generated ones, for any schema.
 */
export interface LoadedSchema {
  /** Every topic of every program, in address order. */
  readonly topics: readonly AnyTopicDescriptor[];
  readonly topicsById: ReadonlyMap<number, AnyTopicDescriptor>;
  readonly intents: readonly AnyIntentDescriptor[];
  /** Capability name → bit and mask. */
  readonly capabilities: Readonly<Record<string, CapabilityInfo>>;
  /** Directory the generated modules were imported from. */
  readonly cacheDir: string;
}

/**
 * Where the generated modules import the runtime from: this midl's own runtime, by absolute URL — the
 * source (`.ts`) in a checkout, the compiled module (`.js`) in an installed package.
 */
const RUNTIME_URL = new URL(`../runtime/index${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;

/**
 * Whether this module runs from its TypeScript source, under a loader (tsx, vitest) that also runs the
 * emitted TypeScript as it is; compiled, it runs under plain Node, so the emitted code is transpiled.
 */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const MODULE_EXT = FROM_SOURCE ? '.ts' : '.js';

/** Bumped when the cache layout changes, so an old layout is never mistaken for a new one. */
const CACHE_LAYOUT = `midl-schema-cache/3${MODULE_EXT}`;

interface RegistryModule {
  readonly topics: Readonly<Record<string, AnyTopicDescriptor>>;
  readonly intents: Readonly<Record<string, AnyIntentDescriptor>>;
}
interface CapabilitiesModule {
  readonly Capabilities: Readonly<Record<string, CapabilityInfo>>;
}

/**
 * Loads `schemaPath` (a midl.yaml, or a .midl file or directory), or the midl.yaml found from the
 * current directory when undefined. Schema errors are printed like `midl check` prints them and the
 * result is undefined (the caller exits 1); unusable arguments throw `UsageError`.
 */
export async function loadSchema(schemaPath: string | undefined): Promise<LoadedSchema | undefined> {
  const p = planFor(schemaPath);
  let prior: Readonly<Record<string, { readonly capabilities: Readonly<Record<string, number>> }>> = {};
  try {
    if (p.lockPath) prior = readLock(p.lockPath).programs;
  } catch (err) {
    if (err instanceof LockError) throw new UsageError(err.message);
    throw err;
  }
  // Types, their schema constants, validators, capabilities, registry and client: everything a registry
  // import needs (index.ts re-exports the validators and the client). Schema files, facts and docs are not.
  const targets: readonly EmitTarget[] = ['ts', 'schemas', 'validators', 'registry', 'client'];
  const programs: EmittedFile[][] = [];
  let failed = false;
  for (const job of p.jobs) {
    if (job.files.length === 0) throw new UsageError(`no .midl files found in ${job.label}`);
    const result = compile(job.files, { lockedCapabilityBits: new Map(Object.entries(prior[job.label]?.capabilities ?? {})) });
    if (result.unreadable.length > 0) {
      reportDiagnostics(
        result.diagnostics.filter((d) => d.code === 'MIDL1901'),
        { format: 'human' },
      );
      throw new UsageError('cannot read a schema file');
    }
    if (reportDiagnostics(result.diagnostics, { format: 'human' }) || result.hasErrors) {
      failed = true;
      continue;
    }
    programs.push(await generate(result.ir, { runtimeImport: RUNTIME_URL, targets }));
  }
  if (failed) return undefined;
  const dir = await materialize(programs);
  return importPrograms(dir, programs.length);
}

/**
 * The schema of a client command (send, tail, call): `--schema`, or the midl.yaml found from here, else —
 * outside any project — the FountainAI schema this package ships compiled (generated/), so that
 * `midl send --topic flex/envelope` reaches a `midl bridge` from anywhere. A note on stderr says which.
 */
export async function loadClientSchema(schemaPath: string | undefined): Promise<LoadedSchema | undefined> {
  if (schemaPath !== undefined || findConfig()) return loadSchema(schemaPath);
  const bundled = await import('../generated/index.ts');
  process.stderr.write('note: no --schema given and no midl.yaml found here: using the bundled FountainAI schema (flex/envelope, sse/…, gpu/…)\n');
  const topics = Object.values(bundled.topics as Readonly<Record<string, AnyTopicDescriptor>>).sort((a, b) =>
    a.address < b.address ? -1 : a.address > b.address ? 1 : 0,
  );
  return {
    topics,
    topicsById: new Map(topics.map((t) => [t.id, t])),
    intents: Object.values(bundled.intents as Readonly<Record<string, AnyIntentDescriptor>>),
    capabilities: bundled.Capabilities,
    cacheDir: fileURLToPath(new URL('../generated/', import.meta.url)),
  };
}

/**
 * The programs whose topics a peer serves: those a generate job makes a registry of. A job that
 * generates types only (the runtime's own protocol types, say) defines no topics of the bus, and its
 * program repeats packages of another, whose topics would clash.
 */
export function planFor(schemaPath: string | undefined): GenPlan {
  let p: GenPlan;
  if (schemaPath === undefined) {
    if (!findConfig()) throw new UsageError('no --schema given and no midl.yaml found in this directory or its parents');
    p = plan([], { format: 'human' });
  } else if (/\.ya?ml$/i.test(schemaPath)) p = plan([], { format: 'human', config: schemaPath });
  else return plan([schemaPath], { format: 'human' });
  const jobs = p.jobs.filter((j) => j.targets.includes('registry'));
  if (jobs.length === 0)
    throw new UsageError(`${p.configPath ?? 'midl.yaml'} has no generate job with the 'registry' target: none defines the topics of a bus`);
  return { ...p, jobs };
}

/**
 * Where compiled schemas are cached, in order of preference: `$MIDL_CACHE_DIR`, beside the installed packages
 * (`node_modules/.cache/midl`, where build tools keep theirs, so removing node_modules clears it), then
 * the temporary directory, for a tree mounted read-only (the ALSA guest) or installed by another user.
 * Generated modules import nothing by bare name (the runtime by absolute URL), so either place works.
 */
function cacheRoots(): string[] {
  const roots: string[] = [];
  const chosen = process.env['MIDL_CACHE_DIR'];
  if (chosen !== undefined && chosen !== '') roots.push(resolve(chosen));
  try {
    const ajv = createRequire(import.meta.url).resolve('ajv/package.json');
    roots.push(join(dirname(dirname(ajv)), '.cache', 'midl'));
  } catch {
    // No node_modules to keep it beside: the temporary directory only.
  }
  roots.push(join(tmpdir(), 'midl-schema-cache'));
  return roots;
}

/**
 * Writes the programs into `<cache>/<sha256 of everything emitted>/p<i>/` unless that directory
 * exists under one of the cache roots. It is filled under a private name and renamed into place, so a
 * process that sees it sees it complete, and two processes starting at once (a peer and a sender) do
 * not trip over each other.
 */
async function materialize(programs: readonly (readonly EmittedFile[])[]): Promise<string> {
  const hash = createHash('sha256').update(CACHE_LAYOUT);
  for (const files of programs) {
    hash.update(`\0program ${files.length}\0`);
    for (const f of files) hash.update(`${f.path}\0${f.content.length}\0${f.content}`);
  }
  const name = hash.digest('hex');
  const roots = cacheRoots();
  for (const root of roots) {
    // An existing directory is complete: it was renamed into place whole.
    if (existsSync(join(root, name))) return join(root, name);
  }
  const runnable = FROM_SOURCE ? programs : await toJavaScript(programs);
  const failures: string[] = [];
  for (const root of roots) {
    try {
      return writeCache(root, name, runnable);
    } catch (err) {
      failures.push(`${root}: ${(err as Error).message}`);
    }
  }
  throw new UsageError(`cannot write the schema cache in any of ${failures.join('; ')}`);
}

/** Writes one cache entry under `root`; throws when `root` cannot be written. */
function writeCache(root: string, name: string, programs: readonly (readonly EmittedFile[])[]): string {
  const dir = join(root, name);
  mkdirSync(root, { recursive: true });
  const staging = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    programs.forEach((files, i) => writeOutput(join(staging, `p${i}`), files));
    // Below node_modules a file without a package.json above it is CommonJS; generated code is ESM.
    writeFileSync(join(staging, 'package.json'), '{ "type": "module", "private": true }\n');
    renameSync(staging, dir);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    // Another process renamed the same content into place first: theirs is as good.
    if (!(existsSync(dir) && (code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'EPERM'))) throw err;
  }
  return dir;
}

/**
 * The emitted TypeScript as JavaScript that plain Node runs (an installed midl has no TypeScript
 * loader): types stripped file by file, relative `.ts` imports rewritten to `.js`. Emitted `.js`
 * (validators) is kept; declarations are not needed to run.
 */
async function toJavaScript(programs: readonly (readonly EmittedFile[])[]): Promise<EmittedFile[][]> {
  const { default: ts } = await import('typescript');
  const compilerOptions = { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, rewriteRelativeImportExtensions: true };
  return programs.map((files) =>
    files
      .filter((f) => !f.path.endsWith('.d.ts'))
      .map((f) => {
        if (!f.path.endsWith('.ts')) return f;
        const out = ts.transpileModule(f.content, { compilerOptions, fileName: f.path, reportDiagnostics: true });
        const problem = out.diagnostics?.[0];
        if (problem) throw new Error(`midl: cannot transpile the generated ${f.path}: ${ts.flattenDiagnosticMessageText(problem.messageText, '\n')}`);
        return { ...f, path: `${f.path.slice(0, -3)}.js`, content: out.outputText };
      }),
  );
}

async function importPrograms(dir: string, count: number): Promise<LoadedSchema> {
  const topics = new Map<string, AnyTopicDescriptor>();
  const topicsById = new Map<number, AnyTopicDescriptor>();
  const intents = new Map<string, AnyIntentDescriptor>();
  const capabilities: Record<string, CapabilityInfo> = {};
  for (let i = 0; i < count; i++) {
    const base = join(dir, `p${i}`);
    const registry = (await import(pathToFileURL(join(base, `registry${MODULE_EXT}`)).href)) as RegistryModule;
    const caps = (await import(pathToFileURL(join(base, `capabilities${MODULE_EXT}`)).href)) as CapabilitiesModule;
    // Programs of one midl.yaml share the bus, so they must agree on what they share.
    for (const t of Object.values(registry.topics)) {
      const clash = topicsById.get(t.id) ?? topics.get(t.address);
      if (clash) throw new UsageError(`topic ${t.address} (id ${t.id}) clashes with ${clash.address} (id ${clash.id}) of another input`);
      topics.set(t.address, t);
      topicsById.set(t.id, t);
    }
    for (const intent of Object.values(registry.intents)) intents.set(intent.name, intent);
    for (const [name, info] of Object.entries(caps.Capabilities)) {
      const prior = capabilities[name];
      if (prior && prior.bit !== info.bit) throw new UsageError(`capability '${name}' has bit ${prior.bit} in one input and ${info.bit} in another`);
      capabilities[name] = info;
    }
  }
  const sorted = [...topics.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return { topics: sorted, topicsById, intents: [...intents.values()], capabilities, cacheDir: dir };
}
