import { basename, dirname, extname, relative, resolve, sep } from 'node:path';
import {
  asRecordedInLock,
  compile,
  generate,
  LockError,
  nodeHost,
  readLock,
  type EmittedFile,
  type EmitTarget,
  type IrProgram,
  type ProgramLock,
  updatedProgramLock,
} from '../../compiler/index.ts';
import { UsageError } from '../exit.ts';
import { plan, type GenPlan } from '../commands/gen.ts';
import { reportDiagnostics } from '../commands/check.ts';
import { canonicalSources, packageContentHash } from './content-hash.ts';

/** One package of a compiled program, as the registry holds it. */
export interface PackageSource {
  readonly name: string;
  readonly version: string;
  /** `packageContentHash` of `sources`. */
  readonly contentHash: string;
  /** Canonical (`midl fmt`) text by POSIX path relative to the project root. */
  readonly sources: Readonly<Record<string, string>>;
}

/** A generate job compiled and generated exactly as `midl gen` would, in memory. */
export interface CompiledJob {
  /** The job's name in midl.yaml and midl.lock: the program's name in the registry. */
  readonly program: string;
  /** Output directory relative to the project root, POSIX. */
  readonly output: string;
  readonly targets: readonly EmitTarget[];
  readonly ir: IrProgram;
  /** What `midl gen` writes into the output directory, sorted by path. */
  readonly files: readonly EmittedFile[];
  readonly packages: readonly PackageSource[];
  /**
   * Whether midl.lock already pins what this job compiles to (false when `midl gen` would rewrite its
   * entry: a capability given a bit now, a topic added or gone); true without a midl.lock.
   */
  readonly lockCurrent: boolean;
}

const posix = (p: string) => p.split(sep).join('/');

/**
 * Compiles every job of `p` with midl.lock's capability bits and generates its files as `midl gen`
 * does (the same compile, lock and generate calls, so the bytes are the same). Schema errors are
 * printed as `midl check` prints them and the result is undefined; `targets` narrows what is generated
 * (a peer checking its facts needs no TypeScript).
 */
export async function compileJobs(p: GenPlan, only?: { targets: readonly EmitTarget[] }): Promise<CompiledJob[] | undefined> {
  let lock: Readonly<Record<string, ProgramLock>> = {};
  try {
    if (p.lockPath) lock = readLock(p.lockPath).programs;
  } catch (err) {
    if (err instanceof LockError) throw new UsageError(err.message);
    throw err;
  }
  const root = p.configPath ? dirname(p.configPath) : process.cwd();
  const jobs: CompiledJob[] = [];
  let failed = false;
  for (const job of p.jobs) {
    if (job.files.length === 0) throw new UsageError(`no .midl files found in ${job.label}`);
    // The texts the compiler read, so that the hash is of exactly what was compiled.
    const texts = new Map<string, string>();
    const base = nodeHost();
    const host = {
      readFile: (abs: string) => {
        const text = base.readFile(abs);
        texts.set(base.displayPath(abs), text);
        return text;
      },
      displayPath: (abs: string) => base.displayPath(abs),
    };
    const byDisplay = new Map<string, string>();
    const result = compile(job.files, { host, lockedCapabilityBits: new Map(Object.entries(lock[job.label]?.capabilities ?? {})) });
    for (const abs of result.files) byDisplay.set(base.displayPath(abs), abs);
    if (result.unreadable.length > 0) {
      reportDiagnostics(
        result.diagnostics.filter((d) => d.code === 'MIDL1901'),
        { format: 'human' },
      );
      throw new UsageError('cannot read an input file');
    }
    if (reportDiagnostics(result.diagnostics, { format: 'human' }) || result.hasErrors) {
      failed = true;
      continue;
    }
    // With a midl.lock the bits are the lock's, as `midl gen` records them in the output.
    const ir = p.lockPath ? asRecordedInLock(result.ir) : result.ir;
    const targets = only?.targets ?? job.targets;
    const files = await generate(ir, { runtimeImport: job.runtimeImport, targets });
    const packages = ir.packages.map((pkg): PackageSource => {
      const own = new Map<string, string>();
      for (const display of pkg.files) {
        const abs = byDisplay.get(display) ?? resolve(display);
        own.set(posix(relative(root, abs)), texts.get(display)!);
      }
      const sources = canonicalSources(own);
      return { name: pkg.name, version: pkg.version, contentHash: packageContentHash(sources), sources };
    });
    const prior = lock[job.label];
    const lockCurrent = !p.lockPath || (prior !== undefined && JSON.stringify(updatedProgramLock(prior, result.ir)) === JSON.stringify(prior));
    jobs.push({ program: job.label, output: posix(relative(root, job.outDir)) || '.', targets, ir, files, packages, lockCurrent });
  }
  return failed ? undefined : jobs;
}

/**
 * The jobs of midl.yaml (`config`), or the paths given as one program, as `midl gen` plans them. Paths
 * given as one program are named `program`, else after the first path (`idl/gpu` → gpu, `x.midl` → x).
 */
export function publishPlan(paths: readonly string[], config: string | undefined, program?: string): GenPlan {
  return namedPlan(plan(paths, { format: 'human', ...(config === undefined ? {} : { config }) }), paths, program);
}

/** `p` with its paths program (`paths` non-empty) named as publishPlan names it. */
export function namedPlan(p: GenPlan, paths: readonly string[], program?: string): GenPlan {
  if (paths.length === 0) return p;
  const name = program ?? basename(paths[0]!, extname(paths[0]!));
  return { ...p, jobs: p.jobs.map((j) => ({ ...j, label: name })) };
}
