import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allEntries } from '../../compiler/diagnostics/catalog.ts';
import { diagnosticCases } from '../helpers/golden.ts';
import { repoPath } from '../helpers/repo.ts';

/**
 * Codes that no schema file can produce (they are about the command line and midl.yaml), each with the
 * title of the CLI test that covers it. Every other code needs a golden case.
 */
const CLI_ONLY_CODES: Readonly<Record<string, readonly string[]>> = {
  MIDL1901: ['MIDL1901: an unreadable input file exits 2'],
  MIDL1902: ['MIDL1902: an invalid midl.yaml exits 2'],
  MIDL1903: ['MIDL1903: a directory with no .midl files exits 2', 'MIDL1903: a midl.yaml input with no .midl files exits 2'],
  MIDL1904: ['MIDL1904: an invalid policy file is reported with its line, column, code frame and help'],
  MIDL1905: ['MIDL1905: a policy naming an unknown capability is reported with the capabilities of the schema'],
  MIDL1906: ['MIDL1906: a file of secrets that others may read is refused, naming the mode and the fix, never the content'],
  MIDL1907: ['MIDL1907: a bridge policy key that is not known is reported with its line, column, code frame and help'],
  MIDL1908: ['MIDL1908: an unknown service or intent is reported with what the bridge serves'],
  MIDL1909: ['MIDL1909: a setting, service or device defined in two files of a directory names both places'],
};

const cliDir = repoPath('tests/cli');
const cliSources = readdirSync(cliDir)
  .filter((n) => n.endsWith('.test.ts'))
  .map((n) => readFileSync(join(cliDir, n), 'utf8'))
  .join('\n');

describe('every catalog code is covered', () => {
  const withCase = new Set(diagnosticCases().map((c) => c.code));

  it.each(allEntries().map((e) => [e.code, e.name] as const))('%s %s has a golden case or a named CLI test', (code) => {
    const cli = CLI_ONLY_CODES[code];
    if (cli) {
      expect(withCase.has(code), `${code} is CLI-only but also has a golden case; drop it from CLI_ONLY_CODES`).toBe(false);
      for (const title of cli) expect(cliSources, `tests/cli has no test titled '${title}'`).toContain(`it('${title}'`);
    } else {
      expect(withCase.has(code), `${code} needs tests/golden/diagnostics/${code}-<name>/ (or, if no schema can trigger it, an entry in CLI_ONLY_CODES)`).toBe(
        true,
      );
    }
  });

  it('CLI_ONLY_CODES names only catalog codes', () => {
    const codes = new Set(allEntries().map((e) => e.code));
    for (const code of Object.keys(CLI_ONLY_CODES)) expect(codes.has(code as `MIDL${number}`), code).toBe(true);
  });
});
