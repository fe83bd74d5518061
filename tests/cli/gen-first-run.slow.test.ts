/**
 * The first `midl gen` of a project (no midl.lock yet, or new unpinned capabilities) records the bits
 * it assigns in midl.lock; what it generates must already say so, or the next `midl gen --check` (in CI,
 * right after the commit) reports the generated README stale.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_TEST_TIMEOUT_MS, removeTempProjects, runMidl, tempProject } from '../helpers/cli.ts';

afterAll(removeTempProjects);

const SCHEMA = `/// Doors.
package demo.doors;
version "1.0.0";

/// Open doors.
capability doors.open;

/// A door.
struct Door {
  id: string @1;
}

/// Opens a door.
topic doors/open {
  payload: Door;
  publish: doors.open;
}
`;

describe('midl gen, first run', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('what it writes is what gen --check expects once midl.lock is written', async () => {
    const dir = tempProject({ 'midl.yaml': 'inputs: [schema]\noutput: generated\n', 'schema/doors.midl': SCHEMA });
    const gen = await runMidl(['gen'], { cwd: dir });
    expect(gen.code, gen.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'midl.lock'), 'utf8'))).toMatchObject({ programs: { schema: { capabilities: { 'doors.open': 0 } } } });
    expect(readFileSync(join(dir, 'generated/README.md'), 'utf8')).toContain('`doors.open` | 0 | `0x0000000000000001` | lock |');
    const check = await runMidl(['gen', '--check'], { cwd: dir });
    expect(check.stdout).toBe('');
    expect(check.code).toBe(0);
  });
});
