import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listFiles, serializeLock, updatedProgramLock } from '../../compiler/index.ts';
import { canonicalJson, FountainStoreHttp, MemoryStore, type StoredDocument } from '../../runtime/store/index.ts';
import { compileJobs, publishPlan, type CompiledJob } from '../../cli/registry/compile-jobs.ts';
import { publishJobs } from '../../cli/registry/publish.ts';
import { pullProgram } from '../../cli/registry/pull.ts';
import { dryRunReport } from '../../cli/registry/change-report.ts';
import { checkPublishedSchema } from '../../cli/registry/published-schema.ts';
import { RegistryError } from '../../cli/registry/errors.ts';
import { listAll } from '../../cli/registry/list-all.ts';
import { repoPath } from '../helpers/repo.ts';
import { startFountainStoreServer } from '../helpers/fountainstore-server.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Project {
  readonly dir: string;
  readonly schema: string;
  compile(): Promise<CompiledJob[]>;
  /** Writes midl.lock as `midl gen` would for the schema as it is now. */
  pinLock(): Promise<void>;
}

/** A project of its own: the starter schema `midl init` writes, with a simple midl.yaml (program `schema`), its midl.lock written. */
async function starterProject(): Promise<Project> {
  const dir = mkdtempSync(join(tmpdir(), 'midl-publish-'));
  dirs.push(dir);
  cpSync(repoPath('templates/init/schema'), join(dir, 'schema'), { recursive: true });
  writeFileSync(join(dir, 'midl.yaml'), 'inputs:\n  - schema\noutput: generated\n');
  const compile = async () => (await compileJobs(publishPlan([], join(dir, 'midl.yaml'))))!;
  const pinLock = async () => {
    const programs = Object.fromEntries((await compile()).map((j) => [j.program, updatedProgramLock(undefined, j.ir)]));
    writeFileSync(join(dir, 'midl.lock'), serializeLock({ lockVersion: 1, programs }));
  };
  await pinLock();
  return { dir, schema: join(dir, 'schema/greeter.midl'), compile, pinLock };
}

/** Every document of a memory store, as canonical text with its version. */
async function snapshot(store: MemoryStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [corpus, collections] of [
    ['midl', ['schemas', 'programs', 'generated', 'topics', 'facts']],
    ['agents', ['agent-facts']],
  ] as const)
    for (const collection of collections)
      for (const id of await listAll(store, corpus, collection)) {
        const doc = (await store.get(corpus, collection, id)) as StoredDocument;
        out.set(`${corpus}/${collection}/${id}`, `${doc.version} ${canonicalJson(doc.value)}`);
      }
  return out;
}

async function registryError(run: () => Promise<unknown>): Promise<RegistryError> {
  const err: unknown = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RegistryError);
  return err as RegistryError;
}

describe('publish and pull in process', () => {
  it("round-trips the repository's idl and runtime-protocol jobs byte for byte, and a second publish changes nothing", async () => {
    const jobs = await compileJobs(publishPlan([], repoPath('midl.yaml')));
    expect(jobs?.map((j) => j.program)).toEqual(['idl', 'runtime-protocol']);
    const store = new MemoryStore();
    const first = await publishJobs(store, jobs!);
    expect(first.every((c) => c.action === 'create')).toBe(true);
    for (const [program, dir] of [
      ['idl', 'generated'],
      ['runtime-protocol', 'runtime/protocol'],
    ] as const) {
      const pulled = await pullProgram(store, program);
      // What gen wrote (and CI keeps in step with the schema), file for file.
      const onDisk = listFiles(repoPath(dir)).map((path) => ({ path, content: readFileSync(repoPath(dir, path), 'utf8') }));
      expect(pulled.files).toEqual(onDisk);
    }
    const before = await snapshot(store);
    const second = await publishJobs(store, jobs!);
    expect(second.filter((c) => c.action !== 'unchanged')).toEqual([]);
    expect(await snapshot(store)).toEqual(before);
    // The topic registry and both facts forms.
    expect((await store.get('midl', 'topics', 'gpu/job.dispatch'))?.value).toMatchObject({
      address: 'gpu/job.dispatch',
      program: 'idl',
      package: 'fountain.gpu',
      qos: 'exactly_once',
      capabilities: { publish: { names: ['gpu.dispatch'], mask: '0x0000000000000200' } },
    });
    expect((await store.get('agents', 'agent-facts', 'facts:agent:fountain.coach/agent/idl/midl'))?.value).toEqual(
      JSON.parse(readFileSync(repoPath('generated/facts/fountain-pe.json'), 'utf8')),
    );
    expect((await store.get('midl', 'facts', 'idl'))?.value).toEqual(JSON.parse(readFileSync(repoPath('generated/facts/facts.json'), 'utf8')));
    // A types-only job defines no bus: no facts, no topics of its own.
    expect(await store.get('midl', 'facts', 'runtime-protocol')).toBeUndefined();
  });

  it('refuses an edited package under the same version, naming the file and line, and writes nothing', async () => {
    const project = await starterProject();
    const store = new MemoryStore();
    await publishJobs(store, await project.compile());
    const before = await snapshot(store);
    const text = readFileSync(project.schema, 'utf8');
    writeFileSync(project.schema, text.replace('/// The greeting text.', '/// The text of the greeting.'));
    const err = await registryError(async () => publishJobs(store, await project.compile()));
    expect(err.code).toBe('drift');
    expect(err.message).toMatch(
      /^refusing to publish: a package is already published under the same version with other content\n {2}starter\.greeter@0\.1\.0: stored content hash [0-9a-f]{64}, local [0-9a-f]{64}\n {4}schema\/greeter\.midl: line \d+: stored " {2}\/\/\/ The greeting text\.", here " {2}\/\/\/ The text of the greeting\."$/,
    );
    expect(err.help).toContain('bump the `version`');
    expect(await snapshot(store)).toEqual(before);
    // A layout-only edit is the same package: nothing to publish.
    writeFileSync(project.schema, text.replace('  reply: Greeting;', '  reply   :   Greeting ;'));
    expect((await publishJobs(store, await project.compile())).filter((c) => c.action !== 'unchanged')).toEqual([]);
  });

  it('a dry run prints created, changed (with a diff) and removed documents and writes nothing', async () => {
    const project = await starterProject();
    const store = new MemoryStore();
    await publishJobs(store, await project.compile());
    const before = await snapshot(store);
    const text = readFileSync(project.schema, 'utf8');
    writeFileSync(
      project.schema,
      text
        .replace('version "0.1.0";', 'version "0.2.0";')
        .replace('title: "Greet someone";', 'title: "Greet anyone";')
        .replace('topic greeter/greet', 'topic greeter/hello'),
    );
    // A topic renamed: midl.lock no longer pins what would be published, until gen (here pinLock) updates it.
    const stale = await registryError(async () => publishJobs(store, await project.compile(), { dryRun: true }));
    expect([stale.code, stale.message, stale.help]).toEqual([
      'stale-lock',
      'midl.lock does not pin the capability bits and topic ids of schema as they would be published',
      "run 'midl gen' (it updates midl.lock), commit midl.lock, then publish",
    ]);
    await project.pinLock();
    const changes = await publishJobs(store, await project.compile(), { dryRun: true });
    expect(await snapshot(store)).toEqual(before);
    const report = dryRunReport(changes);
    expect(report).toContain('+ created midl/schemas/starter.greeter@0.2.0\n');
    expect(report).toContain('+ created midl/topics/greeter/hello\n');
    expect(report).toContain('- removed midl/topics/greeter/greet\n');
    expect(report).toContain('= unchanged midl/generated/schema/capabilities.ts\n');
    expect(report).toMatch(
      /~ changed midl\/generated\/schema\/facts\/facts\.json\n {4}--- stored\/midl\/generated\/schema\/facts\/facts\.json\n {4}\+\+\+ local\/midl\/generated\/schema\/facts\/facts\.json\n {4}@@ /,
    );
    expect(report).toMatch(/^ {4}-#### `greeter\/greet`: Greet someone$/m);
    expect(report).toMatch(/^ {4}\+#### `greeter\/hello`: Greet anyone$/m);
    // Each diff is bounded, whatever the size of the document.
    expect(report).toMatch(/^ {4}… \d+ more diff lines$/m);
    expect(report).toMatch(/\nschema: 1 \(1 would be created\)\n(.*\n)*topic: 1 \(1 would be created, 1 would be removed\)\n/);
    // Applied, the old version stays published beside the new one and the old topic is gone.
    await publishJobs(store, await project.compile());
    expect(await store.get('midl', 'schemas', 'starter.greeter@0.1.0')).toBeDefined();
    expect(await store.get('midl', 'topics', 'greeter/greet')).toBeUndefined();
    expect(await store.get('midl', 'topics', 'greeter/hello')).toBeDefined();
  });

  it('publishes to a FountainStore server over HTTP and pulls back the same files', async () => {
    const server = await startFountainStoreServer({ basePath: '/v1', apiKey: 'k' });
    const store = new FountainStoreHttp({ baseUrl: server.url, apiKey: 'k', timeoutMs: 10_000 });
    try {
      const project = await starterProject();
      const jobs = await project.compile();
      expect((await publishJobs(store, jobs)).every((c) => c.action === 'create')).toBe(true);
      expect((await publishJobs(store, jobs)).filter((c) => c.action !== 'unchanged')).toEqual([]);
      expect((await pullProgram(store, 'schema')).files).toEqual(jobs[0]!.files);
      await checkPublishedSchema(store, jobs);
    } finally {
      await store.close();
      await server.close();
    }
  });

  it('checkPublishedSchema: missing, matching, mismatched', async () => {
    const project = await starterProject();
    const store = new MemoryStore();
    const missing = await registryError(async () => checkPublishedSchema(store, await project.compile()));
    expect([missing.code, missing.message]).toEqual(['missing', 'memory lacks what this peer serves: schema starter.greeter@0.1.0; facts of schema']);
    expect(missing.help).toContain("run 'midl publish'");
    await publishJobs(store, await project.compile());
    await checkPublishedSchema(store, await project.compile());
    writeFileSync(project.schema, readFileSync(project.schema, 'utf8').replace('/// The greeting text.', '/// Other text.'));
    const mismatch = await registryError(async () => checkPublishedSchema(store, await project.compile()));
    expect(mismatch.code).toBe('mismatch');
    expect(mismatch.message).toMatch(
      /^memory holds another schema than this peer serves: schema starter\.greeter@0\.1\.0: stored content hash [0-9a-f]{64}, this schema's [0-9a-f]{64}; facts of schema: the stored document differs/,
    );
  });
});
