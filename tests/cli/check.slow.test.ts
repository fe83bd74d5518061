import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JsonDiagnostic } from '../../compiler/diagnostics/render.ts';
import { CLI_TEST_TIMEOUT_MS, removeTempProjects, runMidl, stackTraceLines, tempProject } from '../helpers/cli.ts';
import { DIAGNOSTIC_CASES_DIR } from '../helpers/golden.ts';
import { ONE_ERROR, VALID, WARNING_ONLY } from '../helpers/schemas.ts';

afterAll(removeTempProjects);

const JSON_KEYS = ['code', 'column', 'endColumn', 'endLine', 'file', 'help', 'line', 'message', 'severity'];

describe.concurrent('midl check', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('a valid schema exits 0 and says so', async () => {
    const dir = tempProject({ 'transport.midl': VALID });
    const r = await runMidl(['check', 'transport.midl'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('ok: 1 file checked, no problems');
  });

  it('errors exit 1 and are printed with code, location, code frame and summary', async () => {
    const dir = tempProject({ 'transport.midl': ONE_ERROR });
    const r = await runMidl(['check', 'transport.midl'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error[MIDL1203]: unknown type 'Bool'");
    expect(r.stderr).toContain(' --> transport.midl:9:9');
    expect(r.stderr).toContain('9 |   play: Bool @2 = false;');
    expect(r.stderr).toContain("help: did you mean 'bool'?");
    expect(r.stderr).toContain('1 error, 0 warnings');
    expect(r.stderr).not.toContain('\x1b[');
  });

  it('warnings alone exit 0', async () => {
    const dir = tempProject({ 'transport.midl': WARNING_ONLY });
    const r = await runMidl(['check', 'transport.midl'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning[MIDL1602]');
    expect(r.stderr).toContain('0 errors, 1 warning');
  });

  it('warnings exit 1 with --warnings-as-errors', async () => {
    const dir = tempProject({ 'transport.midl': WARNING_ONLY });
    const r = await runMidl(['check', '--warnings-as-errors', 'transport.midl'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('warning[MIDL1602]');
  });

  it('MIDL1901: an unreadable input file exits 2', async () => {
    const dir = tempProject({ 'transport.midl': VALID });
    for (const format of ['human', 'json']) {
      const r = await runMidl(['check', '--format', format, 'transport.midl', 'missing.midl'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('cannot read');
      expect(stackTraceLines(r.stderr)).toEqual([]);
      if (format === 'json') {
        const list = JSON.parse(r.stdout) as JsonDiagnostic[];
        expect(list).toEqual([
          expect.objectContaining({ code: 'MIDL1901', severity: 'error', file: null, message: "cannot read 'missing.midl': no such file" }),
        ]);
      } else {
        expect(r.stderr).toContain("error[MIDL1901]: cannot read 'missing.midl': no such file");
      }
    }
  });

  it('a directory given as an input file is read as the .midl files inside it', async () => {
    const dir = tempProject({
      'schemas/transport.midl': VALID,
      'schemas/nested/bad.midl': ONE_ERROR.replace('studio.transport', 'studio.other').replace('transport/locate', 'transport/other'),
    });
    const r = await runMidl(['check', '--format', 'json', 'schemas'], { cwd: dir });
    expect(r.code).toBe(1);
    const list = JSON.parse(r.stdout) as JsonDiagnostic[];
    expect(list.map((d) => `${d.code} ${d.file}`)).toEqual(['MIDL1203 schemas/nested/bad.midl']);
  });

  it('--format json prints a JSON array of diagnostics with 1-based positions on stdout', async () => {
    const dir = tempProject({ 'transport.midl': ONE_ERROR.replace('version "2.0.1";\n', '') });
    const r = await runMidl(['check', '--format', 'json', 'transport.midl'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const list = JSON.parse(r.stdout) as JsonDiagnostic[];
    expect(list).toEqual([
      {
        code: 'MIDL1602',
        severity: 'warning',
        message: "package 'studio.transport' declares no version",
        file: 'transport.midl',
        line: 2,
        column: 1,
        endLine: 2,
        endColumn: 26,
        help: 'add a line like `version "1.0.0";` after the package line',
      },
      {
        code: 'MIDL1203',
        severity: 'error',
        message: "unknown type 'Bool'",
        file: 'transport.midl',
        line: 8,
        column: 9,
        endLine: 8,
        endColumn: 13,
        help: "did you mean 'bool'?",
      },
    ]);
    for (const d of list) expect(Object.keys(d).sort()).toEqual(JSON_KEYS);
  });

  it('--format json prints [] for a valid schema', async () => {
    const dir = tempProject({ 'transport.midl': VALID });
    const r = await runMidl(['check', '--format', 'json', 'transport.midl'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('--format json output equals the golden expected.json of a case', async () => {
    // A case with two files, so that paths of imported files are checked too.
    for (const name of ['MIDL1207-import-cycle']) {
      const caseDir = join(DIAGNOSTIC_CASES_DIR, name);
      const r = await runMidl(['check', '--format', 'json', 'input.midl'], { cwd: caseDir });
      expect(r.code, name).toBe(1);
      expect(JSON.parse(r.stdout), name).toEqual(JSON.parse(readFileSync(join(caseDir, 'expected.json'), 'utf8')));
    }
  });

  it('--format github prints one workflow command per diagnostic', async () => {
    const dir = tempProject({ 'transport.midl': ONE_ERROR.replace('version "2.0.1";\n', '') });
    const r = await runMidl(['check', '--format', 'github', 'transport.midl'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      '::warning file=transport.midl,line=2,col=1,endLine=2,endColumn=26,title=MIDL1602::package \'studio.transport\' declares no version%0Ahelp: add a line like `version "1.0.0";` after the package line',
      "::error file=transport.midl,line=8,col=9,endLine=8,endColumn=13,title=MIDL1203::unknown type 'Bool'%0Ahelp: did you mean 'bool'?",
      '',
    ]);
  });

  it('files on the command line form one program (imports resolve between them)', async () => {
    const common = 'package studio.common;\nversion "1.0.0";\n\nstruct Timecode {\n  frames: u64 @1;\n}\n';
    const user = VALID.replace('version "2.0.1";\n', 'version "2.0.1";\n\nimport "common.midl";\n').replace(
      'play: bool @2 = false;',
      'play: bool @2 = false;\n  at: common.Timecode @3;',
    );
    const dir = tempProject({ 'common.midl': common, 'transport.midl': user });
    const r = await runMidl(['check', 'transport.midl', 'common.midl'], { cwd: dir });
    expect(r.stderr).toContain('ok: 2 files checked, no problems');
    expect(r.code).toBe(0);
  });

  it('with no paths it checks the inputs and checkOnly entries of midl.yaml', async () => {
    const dir = tempProject({
      'midl.yaml': 'inputs:\n  - idl\ncheckOnly:\n  - examples\noutput: generated\n',
      'idl/transport.midl': VALID,
      'examples/demo.midl': ONE_ERROR.replace('studio.transport', 'studio.demo'),
      'elsewhere/ignored.midl': 'this is not a schema',
    });
    const r = await runMidl(['check', '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(1);
    const list = JSON.parse(r.stdout) as JsonDiagnostic[];
    expect(list.map((d) => `${d.code} ${d.file}:${d.line}:${d.column}`)).toEqual(['MIDL1203 examples/demo.midl:9:9']);
  });

  it('finds midl.yaml in a parent directory', async () => {
    const dir = tempProject({ 'midl.yaml': 'inputs: [idl]\n', 'idl/transport.midl': ONE_ERROR, 'idl/sub/notes.txt': '' });
    const r = await runMidl(['check', '--format', 'json'], { cwd: join(dir, 'idl', 'sub') });
    expect(r.code).toBe(1);
    const list = JSON.parse(r.stdout) as JsonDiagnostic[];
    // Files outside the working directory are shown with absolute paths.
    expect(list.map((d) => d.code)).toEqual(['MIDL1203']);
    expect(list[0]?.file).toBe(join(dir, 'idl', 'transport.midl').split('\\').join('/'));
  });

  it('--config names the midl.yaml to read', async () => {
    const dir = tempProject({ 'conf/project.yaml': 'inputs: [../idl]\n', 'idl/transport.midl': VALID });
    const r = await runMidl(['check', '--config', 'conf/project.yaml'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('ok: 1 file checked');
  });

  it('with no paths and no midl.yaml it exits 2', async () => {
    const dir = tempProject({ 'transport.midl': VALID });
    const r = await runMidl(['check'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no midl.yaml found');
  });

  it('MIDL1902: an invalid midl.yaml exits 2', async () => {
    const cases = {
      'not YAML': 'inputs: [idl\n',
      'unknown key': 'inputs: [idl]\noutputs: gen\n',
    };
    for (const [what, yaml] of Object.entries(cases)) {
      const dir = tempProject({ 'midl.yaml': yaml, 'idl/transport.midl': VALID });
      const r = await runMidl(['check'], { cwd: dir });
      expect(r.code, what).toBe(2);
      expect(r.stderr, what).toContain('invalid midl.yaml');
      expect(stackTraceLines(r.stderr), what).toEqual([]);
    }
  });

  it('MIDL1903: a directory with no .midl files exits 2', async () => {
    const dir = tempProject({ 'schemas/README.md': '# nothing here\n' });
    const r = await runMidl(['check', 'schemas'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no .midl files found in schemas');
  });

  it('MIDL1903: a midl.yaml input with no .midl files exits 2', async () => {
    const dir = tempProject({ 'midl.yaml': 'inputs: [idl]\n', 'idl/notes.txt': 'todo\n' });
    const r = await runMidl(['check'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no .midl files found in idl');
  });
});
