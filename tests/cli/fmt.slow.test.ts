import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatFile } from '../../compiler/format/format.ts';
import { parseFile } from '../../compiler/parser/parse.ts';
import { SourceFile } from '../../compiler/source.ts';
import { CLI_TEST_TIMEOUT_MS, removeTempProjects, runMidl, tempProject } from '../helpers/cli.ts';
import { SYNTAX_ERROR, UNFORMATTED, VALID } from '../helpers/schemas.ts';

afterAll(removeTempProjects);

const read = (dir: string, rel: string) => readFileSync(join(dir, rel), 'utf8');

describe.concurrent('midl fmt', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('fmt --check on an unformatted file exits 1, names it on stdout and writes nothing', async () => {
    const dir = tempProject({ 'idl/transport.midl': UNFORMATTED, 'idl/ok.midl': VALID.replace('studio.transport', 'studio.ok') });
    const r = await runMidl(['fmt', '--check', 'idl'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('idl/transport.midl\n');
    expect(r.stderr).toContain('not formatted');
    expect(read(dir, 'idl/transport.midl')).toBe(UNFORMATTED);
  });

  it('fmt --check on formatted files exits 0 and prints nothing on stdout', async () => {
    const dir = tempProject({ 'transport.midl': VALID });
    const r = await runMidl(['fmt', '--check', 'transport.midl'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('fmt rewrites the file in canonical layout, then fmt --check passes', async () => {
    const dir = tempProject({ 'transport.midl': UNFORMATTED });
    const r = await runMidl(['fmt', 'transport.midl'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('formatted transport.midl');
    const text = read(dir, 'transport.midl');
    expect(text).toBe(formatFile(parseFile(new SourceFile('transport.midl', UNFORMATTED))));
    expect(text).toContain('// stays stopped');
    const again = await runMidl(['fmt', '--check', 'transport.midl'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('');
  });

  it('fmt on a file with syntax errors exits 1, reports them and leaves the file unchanged', async () => {
    const dir = tempProject({ 'transport.midl': SYNTAX_ERROR, 'other.midl': UNFORMATTED });
    const r = await runMidl(['fmt', 'transport.midl', 'other.midl'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[MIDL1101]');
    expect(r.stderr).toContain('transport.midl:8:17');
    expect(read(dir, 'transport.midl')).toBe(SYNTAX_ERROR);
    // The other file is still formatted.
    expect(read(dir, 'other.midl')).not.toBe(UNFORMATTED);
  });

  it('fmt --check on a file with syntax errors exits 1 and writes nothing', async () => {
    const dir = tempProject({ 'transport.midl': SYNTAX_ERROR });
    const r = await runMidl(['fmt', '--check', 'transport.midl'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(read(dir, 'transport.midl')).toBe(SYNTAX_ERROR);
  });

  it('fmt with no paths formats every schema named in midl.yaml', async () => {
    const dir = tempProject({
      'midl.yaml': 'inputs: [idl]\ncheckOnly: [examples]\n',
      'idl/a.midl': UNFORMATTED,
      'examples/b.midl': UNFORMATTED,
      'other/c.midl': UNFORMATTED,
    });
    const check = await runMidl(['fmt', '--check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout.split('\n').filter(Boolean).sort()).toEqual(['examples/b.midl', 'idl/a.midl']);
    const r = await runMidl(['fmt'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(read(dir, 'idl/a.midl')).not.toBe(UNFORMATTED);
    expect(read(dir, 'examples/b.midl')).not.toBe(UNFORMATTED);
    expect(read(dir, 'other/c.midl')).toBe(UNFORMATTED);
  });

  it('fmt on a missing file or an empty directory exits 2', async () => {
    const dir = tempProject({ 'empty/README.md': 'nothing\n' });
    const missing = await runMidl(['fmt', 'missing.midl'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read 'missing.midl'");
    const empty = await runMidl(['fmt', 'empty'], { cwd: dir });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no .midl files found in empty');
  });
});
