import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerCommands } from '../../cli/commands/index.ts';
import { FIRST_RUN } from '../../cli/init/project.ts';
import { repoPath } from '../helpers/repo.ts';
import { STARTER_CALLS, starterCallLine } from '../helpers/starter-project.ts';

/**
 * docs/getting-started.md shows what `midl init` prints and what the starter does: its commands are the
 * ones init prints, and its shell calls are the ones tests/cli/init.slow.test.ts makes, with their
 * output. (Its TypeScript is compiled in a starter project by tests/cli/init-compile.slow.test.ts.)
 */
const doc = readFileSync(repoPath('docs/getting-started.md'), 'utf8');

describe('docs/getting-started.md', () => {
  it('runs the first steps init prints', () => {
    expect(doc).toContain(['```sh', 'cd my-app', ...FIRST_RUN, '```'].join('\n'));
  });

  it('shows each call from the shell with what it prints', () => {
    for (const call of STARTER_CALLS) expect(doc).toContain(`$ ${starterCallLine(call.json)}\n${call.stdout}${call.stderr}`);
  });

  it('is linked from the README', () => {
    expect(readFileSync(repoPath('README.md'), 'utf8')).toContain('[docs/getting-started.md](docs/getting-started.md)');
  });
});

describe('docs/cli.md', () => {
  it('has a section for every command', async () => {
    const program = new Command('midl');
    await registerCommands(program, () => undefined);
    const headings = readFileSync(repoPath('docs/cli.md'), 'utf8')
      .split('\n')
      .filter((l) => /^#+ .*\bmidl\b/.test(l));
    const names = program.commands.map((c) => c.name());
    expect(names).toContain('init');
    for (const name of names)
      expect(
        headings.some((h) => new RegExp(`\\b${name}\\b`).test(h)),
        name,
      ).toBe(true);
  });
});
