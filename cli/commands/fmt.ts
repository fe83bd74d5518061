import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatFile, nodeHost, parseFile, SourceFile } from '../../compiler/index.ts';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import { requireFiles, resolvePrograms } from '../inputs.ts';
import { addDiagnosticOptions, reportDiagnostics, type DiagnosticOptions } from './check.ts';

export function registerFmt(program: Command, setExit: SetExitCode): void {
  addDiagnosticOptions(
    program
      .command('fmt')
      .description('rewrite schemas in canonical layout, keeping every comment (default: every schema named in midl.yaml)')
      .argument('[paths...]', '.midl files or directories')
      .option('--check', 'write nothing; exit 1 and name the files that are not formatted'),
  ).action((paths: string[], opts: DiagnosticOptions & { check?: boolean }) => {
    const host = nodeHost();
    // A file in several programs (two generate jobs may share inputs) is formatted once.
    const files = [
      ...new Set(
        resolvePrograms(paths, opts.config, true).flatMap((p) => {
          requireFiles(p);
          return p.files;
        }),
      ),
    ];
    const unformatted: string[] = [];
    let broken = false;
    for (const abs of files) {
      let text: string;
      try {
        text = readFileSync(abs, 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read '${host.displayPath(abs)}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const parsed = parseFile(new SourceFile(host.displayPath(abs), text));
      if (parsed.hasSyntaxErrors) {
        reportDiagnostics(
          parsed.diagnostics.all.filter((d) => d.severity === 'error'),
          opts,
        );
        broken = true;
        continue;
      }
      const formatted = formatFile(parsed);
      if (formatted === text) continue;
      unformatted.push(host.displayPath(abs));
      if (!opts.check) writeFileSync(abs, formatted);
    }
    if (opts.check) {
      for (const f of unformatted) process.stdout.write(`${f}\n`);
      if (unformatted.length > 0)
        process.stderr.write(`${unformatted.length} file${unformatted.length === 1 ? ' is' : 's are'} not formatted; run 'midl fmt' to fix\n`);
    } else {
      for (const f of unformatted) process.stderr.write(`formatted ${f}\n`);
    }
    setExit(broken || (opts.check && unformatted.length > 0) ? ExitCode.Failure : ExitCode.Ok);
  });
}
