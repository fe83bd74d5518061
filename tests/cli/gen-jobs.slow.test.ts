/**
 * midl.yaml's `generate` jobs end to end, on a project shaped like this repository: a main job
 * generating everything and a job generating one package's types into a folder of its own (as
 * runtime/protocol is generated from idl/). Each job keeps its own midl.lock entry and output, gen
 * --check catches a hand edit there, gen never removes a hand-written file, shared inputs are checked
 * once, and the operator commands load the main program only.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, type JsonDiagnostic } from '../../compiler/index.ts';
import { loadSchema, planFor } from '../../cli/schema-runtime.ts';
import { CLI_TEST_TIMEOUT_MS, removeTempProjects, runMidl, stackTraceLines, tempProject } from '../helpers/cli.ts';

afterAll(removeTempProjects);

const SESSION = `/// Sessions.
package demo.session;
version "1.0.0";

/// Where time comes from.
enum ClockSource {
  wall = 0;
  mono = 1;
}

/// Session failures.
errors SessionError {
  DENIED = 3003 "nothing granted";
}

/// Open a session.
struct Open {
  clock: ClockSource @1;
}

/// Opens a session.
topic session/open {
  payload: Open;
}

/// a doc comment for nothing: one warning, in a file both jobs compile
`;

const APP = `/// The application.
package demo.app;
version "1.0.0";

import "session.midl";

/// Work to do.
struct Job {
  n: u32 @1;
  clock: session.ClockSource @2;
}

/// Jobs.
topic app/job {
  payload: Job;
}
`;

const CONFIG = `generate:
  - name: main
    inputs: [schemas]
    output: gen
  - name: protocol
    inputs: [schemas/session.midl]
    output: rt/protocol
    runtimeImport: ../codec/index.ts
    targets: [ts, schemas, readme]
checkOnly: []
`;

let dir = '';
beforeAll(() => {
  dir = tempProject({
    'midl.yaml': CONFIG,
    'schemas/session.midl': SESSION,
    'schemas/app.midl': APP,
    'rt/codec/index.ts': '// hand-written, beside the output\n',
  });
});

describe('midl gen with generate jobs', () => {
  it('writes each job into its own output with its targets, and keys each in midl.lock by name', { timeout: CLI_TEST_TIMEOUT_MS }, async () => {
    const r = await runMidl(['gen'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('main: ');
    expect(r.stderr).toContain('protocol: 3 files in rt/protocol (3 written, 0 removed)');
    // The warning of the shared file is reported once, not once per job.
    expect(r.stderr.match(/MIDL1106/g)).toHaveLength(1);
    expect(listFiles(join(dir, 'rt/protocol'))).toEqual(['README.md', 'schemas/demo.session.ts', 'types/demo.session.ts']);
    expect(listFiles(join(dir, 'rt'))).toContain('codec/index.ts');
    expect(readFileSync(join(dir, 'rt/protocol/types/demo.session.ts'), 'utf8')).toContain("from '../../codec/index.ts';");
    expect(listFiles(join(dir, 'gen'))).toEqual(
      expect.arrayContaining(['registry.ts', 'client.ts', 'types/demo.app.ts', 'types/demo.session.ts', 'README.md']),
    );
    const lock = JSON.parse(readFileSync(join(dir, 'midl.lock'), 'utf8')) as { programs: Record<string, { topics: Record<string, number> }> };
    expect(Object.keys(lock.programs)).toEqual(['main', 'protocol']);
    expect(Object.keys(lock.programs['main']!.topics)).toEqual(['app/job', 'session/open']);
    expect(Object.keys(lock.programs['protocol']!.topics)).toEqual(['session/open']);
    const check = await runMidl(['gen', '--check'], { cwd: dir });
    expect(check.stdout).toBe('');
    expect(check.code, check.stderr).toBe(0);
  });

  it('--check lists a hand edit and a hand-written file in a job output; gen then stops without touching them', { timeout: CLI_TEST_TIMEOUT_MS }, async () => {
    const types = join(dir, 'rt/protocol/types/demo.session.ts');
    const generated = readFileSync(types, 'utf8');
    writeFileSync(types, generated.replace('DENIED: 3003', 'DENIED: 3004'));
    writeFileSync(join(dir, 'rt/protocol/helpers.ts'), 'export const mine = 1;\n');
    const check = await runMidl(['gen', '--check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout.split('\n').filter(Boolean)).toEqual(['stale:   rt/protocol/types/demo.session.ts', 'extra:   rt/protocol/helpers.ts']);

    const gen = await runMidl(['gen'], { cwd: dir });
    expect(gen.code).toBe(1);
    expect(gen.stderr).toContain('error: protocol: ');
    expect(gen.stderr).toContain('holds a file that midl gen did not write (helpers.ts)');
    expect(stackTraceLines(gen.stderr)).toEqual([]);
    expect(readFileSync(join(dir, 'rt/protocol/helpers.ts'), 'utf8')).toBe('export const mine = 1;\n');
    expect(readFileSync(types, 'utf8')).toContain('DENIED: 3004');

    rmSync(join(dir, 'rt/protocol/helpers.ts'));
    const again = await runMidl(['gen'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(types, 'utf8')).toBe(generated);
  });

  it('check reports a problem of a file two jobs compile once', { timeout: CLI_TEST_TIMEOUT_MS }, async () => {
    const r = await runMidl(['check', '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as JsonDiagnostic[]).map((d) => `${d.code} ${d.file}:${d.line}`)).toEqual(['MIDL1106 schemas/session.midl:26']);
  });

  it('refuses --out for several jobs, and an invalid job list, as usage errors', { timeout: CLI_TEST_TIMEOUT_MS }, async () => {
    const out = await runMidl(['gen', '--out', 'elsewhere'], { cwd: dir });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--out names one directory, but midl.yaml has 2 generate jobs, each with its own output');
    writeFileSync(join(dir, 'bad.yaml'), CONFIG.replace('output: rt/protocol', 'output: gen/protocol'));
    const bad = await runMidl(['gen', '--config', 'bad.yaml'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'error[MIDL1902]: invalid midl.yaml: bad.yaml: the output of generate[1] (gen/protocol) lies inside the output of generate[0] (gen): each job needs an output directory of its own',
    );
    expect(stackTraceLines(out.stderr + bad.stderr)).toEqual([]);
  });

  it('the operator commands load the jobs that generate a registry, not a types-only job', { timeout: CLI_TEST_TIMEOUT_MS }, async () => {
    const p = planFor(join(dir, 'midl.yaml'));
    expect(p.jobs.map((j) => j.label)).toEqual(['main']);
    // Loaded for real: both programs would define session/open, and loading the types-only one too would clash.
    const schema = await loadSchema(join(dir, 'midl.yaml'));
    expect(schema?.topics.map((t) => t.address)).toEqual(['app/job', 'session/open']);
    writeFileSync(join(dir, 'types-only.yaml'), 'generate:\n  - { inputs: [schemas], output: out, targets: [ts, schemas] }\n');
    expect(() => planFor(join(dir, 'types-only.yaml'))).toThrow("has no generate job with the 'registry' target");
  });
});
