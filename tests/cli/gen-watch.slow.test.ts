import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MIDL_BIN, removeTempProjects, stackTraceLines, tempProject } from '../helpers/cli.ts';
import { until as poll } from '../helpers/until.ts';

afterAll(removeTempProjects);

const CONFIG = 'inputs:\n  - schemas\noutput: out\n';
const schema = (extra: string) => `package watch.demo;\nversion "1.0.0";\n\nstruct Ping {\n  n: u32 @1;\n}\n${extra}\ntopic demo/ping {\n  payload: Ping;\n}\n`;

/** Watch mode reacts to the file system, so tests poll (every 100 ms). */
const until = (check: () => boolean, ms: number, what: string): Promise<void> => poll(check, ms, what, 100);

describe('midl gen --watch', () => {
  it('regenerates on change, survives schema errors, follows new imports, and stops cleanly', { timeout: 120_000 }, async () => {
    const root = tempProject({ 'midl.yaml': CONFIG, 'schemas/demo.midl': schema('') });
    const child = spawn(process.execPath, [MIDL_BIN, 'gen', '--watch'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const types = join(root, 'out/types/watch.demo.ts');
    try {
      await until(() => existsSync(types) && stderr.includes('watching'), 60_000, 'the first generation');
      expect(readFileSync(types, 'utf8')).toContain('export type Ping');

      // An edit is picked up.
      writeFileSync(join(root, 'schemas/demo.midl'), schema('struct Pong {\n  n: u32 @1;\n}\n'));
      await until(() => readFileSync(types, 'utf8').includes('export type Pong'), 30_000, 'Pong to be generated');

      // A broken schema is reported, nothing is written, and the watcher keeps going.
      const before = readFileSync(types, 'utf8');
      stderr = '';
      writeFileSync(join(root, 'schemas/demo.midl'), schema('struct Broken {\n  n: Nope @1;\n}\n'));
      await until(() => stderr.includes('MIDL1203'), 30_000, 'the diagnostic');
      expect(readFileSync(types, 'utf8')).toBe(before);
      expect(child.exitCode).toBeNull();

      // A fix, with an import of a file created now: the new file is followed too.
      writeFileSync(join(root, 'schemas/shared.midl'), 'package watch.demo;\nversion "1.0.0";\n\nstruct Shared {\n  s: string @1;\n}\n');
      writeFileSync(
        join(root, 'schemas/demo.midl'),
        'package watch.demo;\nversion "1.0.0";\n\nimport "shared.midl";\n\nstruct Ping {\n  n: u32 @1;\n  shared: Shared @2;\n}\n\ntopic demo/ping {\n  payload: Ping;\n}\n',
      );
      await until(() => readFileSync(types, 'utf8').includes('shared: Shared'), 30_000, 'the fixed schema');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stackTraceLines(stderr)).toEqual([]);
  });
});
