import { relative } from 'node:path';
import { ConfigError, expandInputs, findConfig, loadConfig, type MidlConfig, catalog } from '../compiler/index.ts';
import { UsageError } from './exit.ts';

/** A set of files compiled together, with a label for messages. */
export interface ProgramInputs {
  readonly label: string;
  readonly files: readonly string[];
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

/**
 * Paths on the command line form one program. With none, each entry of midl.yaml's `inputs`
 * (and, when `withCheckOnly`, `checkOnly`) is its own program.
 */
export function resolvePrograms(paths: readonly string[], configPath: string | undefined, withCheckOnly: boolean): ProgramInputs[] {
  if (paths.length > 0) return [{ label: paths.join(' '), files: expandInputs(paths) }];
  const config = readConfig(configPath);
  if (!config) throw new UsageError('no paths given and no midl.yaml found in this directory or its parents');
  const entries = withCheckOnly ? [...config.inputs, ...config.checkOnly] : config.inputs;
  return entries.map((entry) => ({ label: relative(process.cwd(), entry) || '.', files: expandInputs([entry]) }));
}

export function requireFiles(program: ProgramInputs): void {
  if (program.files.length === 0) throw new UsageError(`no .midl files found in ${program.label}`, catalog.noInputs.code);
}
