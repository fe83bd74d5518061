import { watch, writeFileSync, readFileSync, type FSWatcher } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  DEFAULT_RUNTIME_IMPORT,
  DEFAULT_TARGETS,
  ForeignFilesError,
  expandInputs,
  jobProblems,
  simpleJobs,
  type EmitTarget,
  LOCK_FILE,
  readLock,
  serializeLock,
  updatedProgramLock,
  asRecordedInLock,
  vanishedTopics,
  LockError,
  type LockFile,
  type ProgramLock,
  diffOutput,
  writeOutput,
  compile,
  generate,
  catalog,
} from '../../compiler/index.ts';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import { readConfig } from '../inputs.ts';
import { addDiagnosticOptions, reportDiagnostics, unseenDiagnostics, type DiagnosticOptions } from './check.ts';

export interface GenOptions extends DiagnosticOptions {
  out?: string;
  check?: boolean;
  watch?: boolean;
}

interface GenJob {
  /** Key of this program in midl.lock. */
  readonly label: string;
  readonly files: readonly string[];
  readonly outDir: string;
  readonly runtimeImport: string;
  readonly targets: readonly EmitTarget[];
}

export interface GenPlan {
  readonly jobs: readonly GenJob[];
  /** Absolute path of midl.lock, when a midl.yaml drives the run. */
  readonly lockPath: string | undefined;
  readonly configPath: string | undefined;
}

/** Which programs `gen` compiles, where each goes and which midl.lock pins them (also used by the run-time schema loader). */
export function plan(paths: readonly string[], opts: GenOptions): GenPlan {
  const config = readConfig(opts.config);
  if (paths.length > 0) {
    const job: GenJob = {
      label: paths.join(' '),
      files: expandInputs(paths),
      outDir: resolve(opts.out ?? config?.simple?.output ?? 'generated'),
      runtimeImport: config?.simple?.runtimeImport ?? DEFAULT_RUNTIME_IMPORT,
      targets: DEFAULT_TARGETS,
    };
    return { jobs: [job], lockPath: undefined, configPath: config?.path };
  }
  if (!config) throw new UsageError('no paths given and no midl.yaml found in this directory or its parents');
  const base = dirname(config.path);
  const lockPath = join(base, LOCK_FILE);
  let jobs = config.generate;
  if (opts.out) {
    const out = resolve(opts.out);
    if (config.simple) jobs = simpleJobs(base, config.simple.inputs, out, config.simple.runtimeImport);
    else if (jobs.length === 1) jobs = [{ ...jobs[0]!, output: out }];
    else
      throw new UsageError(`--out names one directory, but ${relative(process.cwd(), config.path)} has ${jobs.length} generate jobs, each with its own output`);
    const problem = jobProblems(base, jobs, config.checkOnly, [config.path, lockPath]);
    if (problem) throw new UsageError(`--out ${opts.out}: ${problem}`);
  }
  return {
    jobs: jobs.map((j) => {
      const empty = j.inputs.find((input) => expandInputs([input]).length === 0);
      if (empty !== undefined) throw new UsageError(`no .midl files found in ${relative(process.cwd(), empty) || '.'}`, catalog.noInputs.code);
      return { label: j.name, files: expandInputs(j.inputs), outDir: j.output, runtimeImport: j.runtimeImport, targets: j.targets };
    }),
    lockPath,
    configPath: config.path,
  };
}

/** One generation pass; returns the exit code. Never throws for schema or output problems. */
async function runOnce(p: GenPlan, opts: GenOptions): Promise<{ code: number; inputs: string[] }> {
  let lock: LockFile;
  try {
    lock = p.lockPath ? readLock(p.lockPath) : { lockVersion: 1, programs: {} };
  } catch (err) {
    if (err instanceof LockError) throw new UsageError(err.message);
    throw err;
  }
  const newPrograms: Record<string, ProgramLock> = { ...lock.programs };
  const inputs: string[] = [];
  let failed = false;
  const problems: string[] = [];
  const unseen = unseenDiagnostics();
  for (const job of p.jobs) {
    if (job.files.length === 0) throw new UsageError(`no .midl files found in ${job.label}`);
    const prior = lock.programs[job.label];
    const result = compile(job.files, { lockedCapabilityBits: new Map(Object.entries(prior?.capabilities ?? {})) });
    for (const f of result.files) inputs.push(f);
    if (result.unreadable.length > 0) {
      reportDiagnostics(
        result.diagnostics.filter((d) => d.code === 'MIDL1901'),
        opts,
      );
      throw new UsageError('cannot read an input file');
    }
    if (reportDiagnostics(unseen(result.diagnostics), opts) || result.hasErrors) {
      failed = true;
      continue;
    }
    for (const gone of vanishedTopics(prior, result.ir)) {
      process.stderr.write(
        `note: topic '${gone}' (id ${prior!.topics[gone]}) is gone from ${job.label}; if it was renamed, subscribers of the old address stop receiving\n`,
      );
    }
    newPrograms[job.label] = updatedProgramLock(prior, result.ir);
    // With a midl.lock, the bits assigned now are written to it below: the output says they are the lock's.
    const ir = p.lockPath ? asRecordedInLock(result.ir) : result.ir;
    const files = await generate(ir, { runtimeImport: job.runtimeImport, targets: job.targets });
    const display = (f: string) => relative(process.cwd(), join(job.outDir, f)).split('\\').join('/');
    if (opts.check) {
      const diff = diffOutput(job.outDir, files);
      for (const f of diff.stale) problems.push(`stale:   ${display(f)}`);
      for (const f of diff.missing) problems.push(`missing: ${display(f)}`);
      for (const f of diff.extra) problems.push(`extra:   ${display(f)}`);
    } else {
      try {
        const { written, removed } = writeOutput(job.outDir, files);
        const outLabel = relative(process.cwd(), job.outDir) || '.';
        process.stderr.write(`${job.label}: ${files.length} files in ${outLabel} (${written.length} written, ${removed.length} removed)\n`);
      } catch (err) {
        if (!(err instanceof ForeignFilesError)) throw err;
        process.stderr.write(`error: ${job.label}: ${err.message}\n`);
        failed = true;
      }
    }
  }
  if (p.lockPath && !failed) {
    const text = serializeLock({ lockVersion: 1, programs: newPrograms });
    let current = '';
    try {
      current = readFileSync(p.lockPath, 'utf8');
    } catch {
      // A missing lock is created below (or reported as missing under --check).
    }
    if (current !== text) {
      if (opts.check) problems.push(`${current ? 'stale:  ' : 'missing:'} ${relative(process.cwd(), p.lockPath)}`);
      else writeFileSync(p.lockPath, text);
    }
  }
  if (opts.check) {
    for (const line of problems) process.stdout.write(`${line}\n`);
    if (problems.length > 0) process.stderr.write(`generated files are out of date (${problems.length}); run 'midl gen'\n`);
  }
  return { code: failed || problems.length > 0 ? ExitCode.Failure : ExitCode.Ok, inputs };
}

export function registerGen(program: Command, setExit: SetExitCode): void {
  addDiagnosticOptions(
    program
      .command('gen')
      .description('generate TypeScript, JSON Schema, facts and clients (default: every generate job of midl.yaml)')
      .argument('[paths...]', '.midl files or directories, compiled together as one program')
      .option('--out <dir>', 'output directory (default: output of midl.yaml, or ./generated)')
      .option('--check', 'write nothing; exit 1 listing every stale, missing or extra file')
      .option('--watch', 'regenerate whenever an input, an import or midl.yaml changes'),
  ).action(async (paths: string[], opts: GenOptions) => {
    if (opts.check && opts.watch) throw new UsageError('--check and --watch cannot be combined');
    const p = plan(paths, opts);
    const first = await runOnce(p, opts);
    if (!opts.watch) {
      setExit(first.code as ExitCode);
      return;
    }
    await watchLoop(paths, opts, first.inputs);
  });
}

/** Re-runs gen on every change; errors are reported and the loop goes on. Ends on SIGINT/SIGTERM. */
async function watchLoop(paths: readonly string[], opts: GenOptions, initial: readonly string[]): Promise<void> {
  let watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const rewatch = (files: readonly string[], configPath: string | undefined) => {
    for (const w of watchers) w.close();
    const targets = new Set([...files, ...(configPath ? [configPath] : [])]);
    // Watch directories too, so that files created later (a new import target) are noticed.
    for (const f of files) targets.add(dirname(f));
    watchers = [...targets].flatMap((t) => {
      try {
        return [watch(t, () => schedule())];
      } catch {
        return [];
      }
    });
    process.stderr.write(`watching ${files.length} files for changes (Ctrl-C to stop)\n`);
  };
  const rerun = async () => {
    try {
      const p = plan(paths, opts);
      const { inputs } = await runOnce(p, opts);
      rewatch(inputs, p.configPath);
    } catch (err) {
      process.stderr.write(`error: ${(err as Error).message}\n`);
    }
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void rerun(), 100);
  };
  rewatch(initial, readConfig(opts.config)?.path);
  await new Promise<void>((done) => {
    const stop = () => {
      for (const w of watchers) w.close();
      if (timer) clearTimeout(timer);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
