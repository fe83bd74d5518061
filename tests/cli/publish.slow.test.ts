import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { listFiles } from '../../compiler/index.ts';
import { canonicalJson } from '../../runtime/store/index.ts';
import type { JsonValue } from '../../runtime/index.ts';
import { CLI_TEST_TIMEOUT_MS, removeTempProjects, runMidl, stackTraceLines, tempProject } from '../helpers/cli.ts';
import { killAll, startPeer } from '../helpers/midl-process.ts';
import { repoPath } from '../helpers/repo.ts';

/**
 * `midl publish`, `midl pull` and `midl peer --require-schema` as an operator runs them, against a
 * DiskStore directory (FountainKit's seed layout): real processes, files compared byte for byte.
 */

afterEach(() => killAll());
afterAll(() => removeTempProjects());

/** Every file below `dir` with its bytes and modification time. */
function filesOf(dir: string): Map<string, { bytes: string; mtimeMs: number }> {
  return new Map(listFiles(dir).map((p) => [p, { bytes: readFileSync(join(dir, p), 'latin1'), mtimeMs: statSync(join(dir, p)).mtimeMs }]));
}

/** The bytes of every file below `dir`, by path. */
const contentsOf = (dir: string) => new Map([...filesOf(dir)].map(([p, f]) => [p, f.bytes]));

/** A project `midl init` made, generated with `midl gen` (its program is `schema`, output generated/). */
async function initProject(): Promise<{ dir: string; schema: string }> {
  const dir = join(tempProject(), 'starter');
  const init = await runMidl(['init', dir, '--midl-spec', '^0.1.0']);
  expect(init.code, init.stderr).toBe(0);
  const gen = await runMidl(['gen'], { cwd: dir });
  expect(gen.code, gen.stderr).toBe(0);
  return { dir, schema: join(dir, 'schema/greeter.midl') };
}

describe('midl publish and midl pull', () => {
  it(
    'round-trip a new project byte for byte into a seed directory FountainKit reads; republishing changes no byte; an edit under the same version is refused',
    async () => {
      const { dir, schema } = await initProject();
      const store = join(tempProject(), 'store');
      const first = await runMidl(['publish', '--store', store], { cwd: dir });
      expect([first.code, first.stderr]).toEqual([0, `published to ${store}\n`]);
      expect(first.stdout).toMatch(
        /^schema: 1 \(1 created\)\ngenerated: \d+ \(\d+ created\)\nprogram: 1 \(1 created\)\ntopic: 1 \(1 created\)\nfacts: 1 \(1 created\)\nagent-facts: 1 \(1 created\)\n$/,
      );

      // FountainKit's store-apply-seed reads agents/agent-facts/<id with / as |>.json.
      const agentFile = join(store, 'agents/agent-facts/facts:agent:fountain.coach|agent|schema|midl.json');
      const fountainPe = JSON.parse(readFileSync(join(dir, 'generated/facts/fountain-pe.json'), 'utf8')) as JsonValue;
      expect(readFileSync(agentFile, 'utf8')).toBe(canonicalJson(fountainPe));
      expect(JSON.parse(readFileSync(join(store, 'midl/facts/schema.json'), 'utf8'))).toEqual(
        JSON.parse(readFileSync(join(dir, 'generated/facts/facts.json'), 'utf8')),
      );
      expect(JSON.parse(readFileSync(join(store, 'midl/schemas/starter.greeter@0.1.0.json'), 'utf8'))).toMatchObject({
        package: 'starter.greeter',
        version: '0.1.0',
        contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
        sources: { 'schema/greeter.midl': readFileSync(schema, 'utf8') },
      });

      // A second publish: every document unchanged, not a byte or an mtime of the store touched.
      const before = filesOf(store);
      const second = await runMidl(['publish', '--store', store], { cwd: dir });
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).not.toMatch(/\d+ (created|changed)/);
      expect(filesOf(store)).toEqual(before);

      // Pulled into a fresh directory: what midl gen wrote, byte for byte.
      const out = join(tempProject(), 'pulled');
      const pull = await runMidl(['pull', '--store', store, '--out', out, 'schema'], { cwd: dir });
      expect(pull.code, pull.stderr).toBe(0);
      expect(contentsOf(out)).toEqual(contentsOf(join(dir, 'generated')));

      // A doc comment edited, the version kept: refused, with what differs and what to do; nothing written.
      const text = readFileSync(schema, 'utf8');
      writeFileSync(schema, text.replace('/// The greeting text.', '/// The text of the greeting.'));
      for (const args of [
        ['publish', '--store', store],
        ['publish', '--store', store, '--dry-run'],
      ]) {
        const drift = await runMidl(args, { cwd: dir });
        expect(drift.code).toBe(1);
        expect(drift.stdout).toBe('');
        expect(stackTraceLines(drift.stderr)).toEqual([]);
        expect(drift.stderr).toMatch(
          /^error\[drift\]: refusing to publish: a package is already published under the same version with other content\n {2}starter\.greeter@0\.1\.0: stored content hash [0-9a-f]{64}, local [0-9a-f]{64}\n {4}schema\/greeter\.midl: line \d+: stored " {2}\/\/\/ The greeting text\.", here " {2}\/\/\/ The text of the greeting\."\nhelp: bump the `version` of each package named/,
        );
      }
      expect(filesOf(store)).toEqual(before);

      // With the version bumped, a dry run shows what would change, with diffs, and writes nothing.
      writeFileSync(schema, readFileSync(schema, 'utf8').replace('version "0.1.0";', 'version "0.2.0";'));
      const dry = await runMidl(['publish', '--store', store, '--dry-run'], { cwd: dir });
      expect([dry.code, dry.stderr]).toEqual([0, `dry run: nothing written to ${store}\n`]);
      expect(dry.stdout).toContain('+ created midl/schemas/starter.greeter@0.2.0\n');
      expect(dry.stdout).toContain('= unchanged midl/generated/schema/capabilities.ts\n');
      expect(dry.stdout).toMatch(
        /~ changed midl\/facts\/schema\n {4}--- stored\/midl\/facts\/schema\n {4}\+\+\+ local\/midl\/facts\/schema\n {4}@@ [^\n]+\n(?: {4}[ +-][^\n]*\n)*? {4}- {6}"version": "0\.1\.0"\n {4}\+ {6}"version": "0\.2\.0"\n/,
      );
      expect(dry.stdout).toMatch(/\nschema: 1 \(1 would be created\)\n/);
      expect(filesOf(store)).toEqual(before);
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    "round-trips the repository's idl job (its midl.yaml entry and midl.lock) through a fresh store",
    async () => {
      const project = tempProject({
        'midl.yaml': 'generate:\n  - name: idl\n    inputs: [idl]\n    output: generated\n    runtimeImport: ../runtime/index.ts\n',
      });
      cpSync(repoPath('idl'), join(project, 'idl'), { recursive: true });
      copyFileSync(repoPath('midl.lock'), join(project, 'midl.lock'));
      const gen = await runMidl(['gen'], { cwd: project });
      expect(gen.code, gen.stderr).toBe(0);
      // The repository's own generated/ is what `midl gen` writes for this job.
      expect(contentsOf(join(project, 'generated'))).toEqual(contentsOf(repoPath('generated')));
      const store = join(tempProject(), 'store');
      const publish = await runMidl(['publish', '--store', store], { cwd: project });
      expect(publish.code, publish.stderr).toBe(0);
      const out = join(tempProject(), 'fresh');
      const pull = await runMidl(['pull', '--store', store, '--out', out, 'fountain.gpu@0.1.0'], { cwd: project });
      expect(pull.code, pull.stderr).toBe(0);
      expect(contentsOf(out)).toEqual(contentsOf(join(project, 'generated')));
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    'pull refuses a hostile store (a stored file name outside the output directory) and a directory holding files gen did not write',
    async () => {
      const store = tempProject({
        'midl/programs/evil.json': canonicalJson({ program: 'evil', files: { '../escape.ts': 'a'.repeat(64) } }),
        'midl/generated/evil|..|escape.ts.json': canonicalJson({ program: 'evil', path: '../escape.ts', content: 'pwned' }),
      });
      const out = join(tempProject(), 'out');
      const hostile = await runMidl(['pull', '--store', store, '--out', out]);
      expect(hostile.code).toBe(1);
      expect(hostile.stderr).toBe('error[unsafe-path]: program evil: stored file name "../escape.ts" has an empty, . or .. segment; nothing was written\n');
      expect(existsSync(out)).toBe(false);
      expect(existsSync(join(out, '../escape.ts'))).toBe(false);

      const { dir } = await initProject();
      const good = join(tempProject(), 'store');
      expect((await runMidl(['publish', '--store', good], { cwd: dir })).code).toBe(0);
      const mine = tempProject({ 'notes.md': 'hand-written\n' });
      const foreign = await runMidl(['pull', '--store', good, '--out', mine]);
      expect(foreign.code).toBe(1);
      expect(foreign.stderr).toMatch(/^error: .* holds a file that midl gen did not write \(notes\.md\)/);
      expect(readFileSync(join(mine, 'notes.md'), 'utf8')).toBe('hand-written\n');
    },
    CLI_TEST_TIMEOUT_MS,
  );
});

describe('midl peer --store S --require-schema', () => {
  it(
    'refuses to start when the store lacks the schema or holds another, and starts when it holds this one',
    async () => {
      const { dir, schema } = await initProject();
      const store = join(tempProject(), 'store');
      mkdirSync(store);
      const listen = ['peer', '--listen', 'udp://127.0.0.1:0', '--store', store, '--require-schema'];
      const missing = await runMidl(listen, { cwd: dir });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe(
        `error[missing]: ${store} lacks what this peer serves: schema starter.greeter@0.1.0; facts of schema\nhelp: run 'midl publish' with this schema (and the same midl.lock) to publish it, or serve the schema that is published\n`,
      );

      expect((await runMidl(['publish', '--store', store], { cwd: dir })).code).toBe(0);
      const peer = await startPeer(['--store', store, '--require-schema'], { cwd: dir });
      expect(peer.stderr()).toContain(`--require-schema: ${store} holds this schema (starter.greeter@0.1.0)\n`);
      // The peer installs its SIGTERM handler just after printing its address: a signal sent at once may beat it.
      await new Promise((done) => setTimeout(done, 500));
      expect(await peer.stop()).toBe(0);

      writeFileSync(schema, readFileSync(schema, 'utf8').replace('/// The greeting text.', '/// Another text.'));
      const mismatch = await runMidl(listen, { cwd: dir });
      expect(mismatch.code).toBe(1);
      expect(mismatch.stderr).toMatch(
        /^error\[mismatch\]: .* holds another schema than this peer serves: schema starter\.greeter@0\.1\.0: stored content hash [0-9a-f]{64}, this schema's [0-9a-f]{64}; facts of schema: the stored document differs from what this schema generates\nhelp: run 'midl publish'/,
      );
      expect(mismatch.stderr).not.toContain('listening on');
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
