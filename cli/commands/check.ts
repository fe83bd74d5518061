import { Option, type Command } from 'commander';
import { compile, renderAll, summaryLine, toJson, type DiagnosticFormat, type Diagnostic, catalog } from '../../compiler/index.ts';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import { requireFiles, resolvePrograms } from '../inputs.ts';

export interface DiagnosticOptions {
  format: DiagnosticFormat;
  warningsAsErrors?: boolean;
  color?: boolean;
  config?: string;
}

/**
 * Runs `fn`; a coded usage error (invalid midl.yaml, no inputs) is also printed in the machine format
 * asked for, so CI parsers see it, before main() reports it and exits 2.
 */
export function withUsageDiagnostics<T>(opts: DiagnosticOptions, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof UsageError && err.code && opts.format !== 'human') {
      const entry = Object.values(catalog).find((e) => e.code === err.code);
      process.stdout.write(renderAll([{ code: err.code, severity: entry?.severity ?? 'error', message: err.message }], opts.format));
    }
    throw err;
  }
}

export function addDiagnosticOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--format <format>', 'diagnostic output').choices(['human', 'json', 'github']).default('human'))
    .option('--warnings-as-errors', 'exit 1 when there are warnings')
    .option('--no-color', 'plain text output')
    .option('--config <path>', 'midl.yaml to read (default: search upwards from the current directory)');
}

/**
 * A filter that passes each diagnostic once: programs that share files (generate jobs with common
 * inputs or imports) find the same problems in them, and a problem is reported once.
 */
export function unseenDiagnostics(): (list: readonly Diagnostic[]) => Diagnostic[] {
  const seen = new Set<string>();
  return (list) =>
    list.filter((d) => {
      const key = JSON.stringify(toJson(d));
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** Prints diagnostics (to stdout for json/github, stderr for humans) and returns whether they fail the run. */
export function reportDiagnostics(diagnostics: readonly Diagnostic[], opts: DiagnosticOptions): boolean {
  // A diagnostic is an error or a warning, so with warningsAsErrors every one of them fails the run.
  const failing = diagnostics.some((d) => d.severity === 'error' || opts.warningsAsErrors === true);
  if (opts.format === 'json' || opts.format === 'github') {
    process.stdout.write(renderAll(diagnostics, opts.format));
  } else if (diagnostics.length > 0) {
    const color = opts.color !== false && process.stderr.isTTY && !process.env['NO_COLOR'];
    process.stderr.write(renderAll(diagnostics, 'human', color));
    process.stderr.write(`\n${summaryLine(diagnostics)}\n`);
  }
  return failing;
}

export function registerCheck(program: Command, setExit: SetExitCode): void {
  addDiagnosticOptions(
    program
      .command('check')
      .description('check schemas and report every problem (default: the programs of midl.yaml and its checkOnly entries)')
      .argument('[paths...]', '.midl files or directories, compiled together as one program'),
  ).action((paths: string[], opts: DiagnosticOptions) => {
    const programs = withUsageDiagnostics(opts, () => resolvePrograms(paths, opts.config, true));
    const all: Diagnostic[] = [];
    const unseen = unseenDiagnostics();
    const files = new Set<string>();
    for (const p of programs) {
      withUsageDiagnostics(opts, () => requireFiles(p));
      const result = compile(p.files);
      if (result.unreadable.length > 0) {
        reportDiagnostics(
          result.diagnostics.filter((d) => d.code === 'MIDL1901'),
          opts,
        );
        throw new UsageError(`cannot read ${result.unreadable.length === 1 ? 'an input file' : `${result.unreadable.length} input files`}`);
      }
      // One at a time: spreading 200,000 diagnostics into push's arguments overflowed the stack.
      for (const d of unseen(result.diagnostics)) all.push(d);
      for (const f of result.files) files.add(f);
    }
    const failing = reportDiagnostics(all, opts);
    if (opts.format === 'human' && all.length === 0) process.stderr.write(`ok: ${files.size} file${files.size === 1 ? '' : 's'} checked, no problems\n`);
    setExit(failing ? ExitCode.Failure : ExitCode.Ok);
  });
}
