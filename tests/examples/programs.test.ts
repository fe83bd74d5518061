import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../helpers/repo.ts';

const run = promisify(execFile);
const programs = readdirSync(repoPath('examples/programs'))
  .filter((f) => f.endsWith('.ts'))
  .sort();

/** Every example program runs to completion as the README tells users to run it. */
describe('examples/programs', () => {
  it('has programs', () => expect(programs.length).toBeGreaterThan(0));
  it.each(programs)('%s runs and exits 0', async (file) => {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', repoPath('examples/programs', file)], { timeout: 60_000 });
    expect(stderr.replace(/^npm warn.*\n/gm, '')).toBe('');
    expect(stdout.length).toBeGreaterThan(0);
  });
});
