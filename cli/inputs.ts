import { relative } from 'node:path';
import { ConfigError, expandInputs, findConfig, loadConfig, type MidlConfig, catalog } from '../compiler/index.ts';
import { UsageError } from './exit.ts';

/** A set of files compiled together, with a label for messages. */
export interface ProgramInputs {
  readonly label: string;
  readonly files: readonly string[];
  /** Entries (as given, or relative to the working directory) that hold no .midl file. */
  readonly empty: readonly string[];
}

export function readConfig(explicit: string | undefined): MidlConfig | undefined {
  const path = explicit ?? findConfig();
  if (!path) return undefined;
  try {
    return loadConfig(path);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`invalid midl.yaml: ${err.message}`, catalog.invalidConfig.code);
    throw err;
  }
}

/** One program of several entries: each entry must hold a .midl file, or it is reported as empty. */
function programOf(label: string, entries: readonly string[]): ProgramInputs {
  const perEntry = entries.map((entry) => ({ entry, files: expandInputs([entry]) }));
  return {
    label,
    files: [...new Set(perEntry.flatMap((e) => e.files))],
    empty: perEntry.filter((e) => e.files.length === 0).map((e) => relative(process.cwd(), e.entry) || '.'),
  };
}

/**
 * Paths on the command line form one program. With none, each generate job of midl.yaml (each entry
 * of a simple form's `inputs`) is a program and, when `withCheckOnly`, each `checkOnly` entry too.
 */
export function resolvePrograms(paths: readonly string[], configPath: string | undefined, withCheckOnly: boolean): ProgramInputs[] {
  if (paths.length > 0) {
    const files = expandInputs(paths);
    const label = paths.join(' ');
    return [{ label, files, empty: files.length === 0 ? [label] : [] }];
  }
  const config = readConfig(configPath);
  if (!config) throw new UsageError('no paths given and no midl.yaml found in this directory or its parents');
  const programs = config.generate.map((job) => programOf(job.name, job.inputs));
  if (withCheckOnly) for (const entry of config.checkOnly) programs.push(programOf(relative(process.cwd(), entry) || '.', [entry]));
  return programs;
}

export function requireFiles(program: ProgramInputs): void {
  const empty = program.empty[0];
  if (empty !== undefined) throw new UsageError(`no .midl files found in ${empty}`, catalog.noInputs.code);
}
