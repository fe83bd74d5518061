import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../helpers/repo.ts';

const run = promisify(execFile);
const programs = readdirSync(repoPath('examples/programs'))
  .filter((f) => f.endsWith('.ts'))
  .sort();

/**
 * What each program prints (session ids and encoded sizes vary). The programs keep their buses' default
 * onError, which writes to stderr: an empty stderr is their "no bus reported an error".
 */
const OUTPUT: Readonly<Record<string, RegExp>> = {
  'gpu-loopback.ts': /^accepted job-blur-3x3 at queue position 0\nthe request travelled as \d+ bytes of payload\n$/,
  'gpu-network.ts': /^session \d+ granted gpu\.dispatch\naccepted job-blur-3x3 at queue position 0 \(exactly once, over UDP\)\n$/,
  'gpu-matmul.ts':
    /^512×512 u32 matrix product over UDP on .+\nmatches the CPU bit for bit \(262144 elements\)\nround trip \d+ ms \(upload 2 MiB, compile, dispatch, download 1 MiB\)\n$/,
};

/**
 * Lines Dawn's Vulkan backend writes to stderr itself (natively, when it creates an adapter): nothing
 * midl can turn off (docs/gpu.md), and no error.
 */
const DAWN_NOTICES =
  /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.\n/gm;

/** Every example program runs to completion as the README tells users to run it. */
describe('examples/programs', () => {
  it('has the programs whose output is known here', () => expect(programs).toEqual(Object.keys(OUTPUT).sort()));
  it.each(programs)('%s runs, prints what it should and exits 0', async (file) => {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', repoPath('examples/programs', file)], { timeout: 60_000 });
    expect(stderr.replace(/^npm warn.*\n/gm, '').replace(DAWN_NOTICES, '')).toBe('');
    expect(stdout).toMatch(OUTPUT[file]!);
  });
});
