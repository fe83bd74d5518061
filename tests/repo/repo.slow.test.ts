import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const midl = (...args: string[]) => spawnSync(process.execPath, ['bin/midl.mjs', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

/** The checks CI promises on the repository itself, run exactly as a user would. */
describe('the repository', () => {
  it('passes `midl check` with no arguments (midl.yaml inputs and checkOnly)', () => {
    const r = midl('check', '--format', 'json', '--warnings-as-errors');
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(r.status).toBe(0);
  });

  it('passes `midl gen --check` with no arguments: generated/ and runtime/protocol/ are what idl/ generates, midl.lock is current', () => {
    const r = midl('gen', '--check');
    // A hand edit anywhere in an output directory (runtime/protocol included) is listed here as stale or extra.
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('passes `midl fmt --check` with no arguments', () => {
    const r = midl('fmt', '--check');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });
});
