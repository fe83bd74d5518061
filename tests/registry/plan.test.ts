import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../runtime/store/index.ts';
import type { JsonValue } from '../../runtime/index.ts';
import { applyPublish, planPublish, type Change } from '../../cli/registry/publish-plan.ts';
import { dryRunReport } from '../../cli/registry/change-report.ts';
import type { RegistryDocument } from '../../cli/registry/documents.ts';
import { RegistryError } from '../../cli/registry/errors.ts';

const schema = (contentHash: string, text = 'package a;\n'): RegistryDocument => ({
  kind: 'schema',
  corpus: 'midl',
  collection: 'schemas',
  id: 'a@1.0.0',
  value: { package: 'a', version: '1.0.0', contentHash, hashRule: 'sha256:midl-fmt/1', sources: { 'a.midl': text } },
});
const topic = (qos: string): RegistryDocument => ({
  kind: 'topic',
  corpus: 'midl',
  collection: 'topics',
  id: 'a/b',
  value: { address: 'a/b', program: 'p', qos },
});

async function registryError(run: () => Promise<unknown>): Promise<RegistryError> {
  const err: unknown = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RegistryError);
  return err as RegistryError;
}

describe('planPublish', () => {
  it('creates, keeps identical documents, changes others, removes what the program no longer has', async () => {
    const store = new MemoryStore();
    await applyPublish(store, await planPublish(store, [schema('h1'), topic('at_most_once')], ['p']));
    await store.put('midl', 'topics', 'a/gone', { address: 'a/gone', program: 'p' });
    await store.put('midl', 'topics', 'x/other', { address: 'x/other', program: 'q' });
    const plan = await planPublish(store, [schema('h1'), topic('exactly_once')], ['p']);
    expect(plan.map((c) => `${c.action} ${c.id}`)).toEqual(['unchanged a@1.0.0', 'change a/b', 'remove a/gone']);
    await applyPublish(store, plan);
    expect((await store.get('midl', 'topics', 'a/b'))?.value).toEqual({ address: 'a/b', program: 'p', qos: 'exactly_once' });
    expect(await store.get('midl', 'topics', 'a/gone')).toBeUndefined();
    expect(await store.get('midl', 'topics', 'x/other')).toBeDefined();
  });

  it('refuses drift with both hashes and the first differing line, and a package two jobs publish differently', async () => {
    const store = new MemoryStore();
    await applyPublish(store, await planPublish(store, [schema('h1', 'package a;\nversion "1.0.0";\n')], []));
    const drift = await registryError(() => planPublish(store, [schema('h2', 'package a;\nversion "1.0.0"; // edited\n')], []));
    expect(drift.code).toBe('drift');
    expect(drift.message).toBe(
      'refusing to publish: a package is already published under the same version with other content\n  a@1.0.0: stored content hash h1, local h2\n    a.midl: line 2: stored "version \\"1.0.0\\";", here "version \\"1.0.0\\"; // edited"',
    );
    const twice = await registryError(() => planPublish(new MemoryStore(), [schema('h1'), schema('h2')], []));
    expect(twice.message).toBe('midl/schemas/a@1.0.0: two generate jobs publish it with different content');
  });

  it('a write races another publisher: the store refuses it with conflict', async () => {
    const store = new MemoryStore();
    const plan = await planPublish(store, [topic('at_most_once')], []);
    await store.put('midl', 'topics', 'a/b', { address: 'a/b', program: 'other' });
    await expect(applyPublish(store, plan)).rejects.toMatchObject({ name: 'StoreError', code: 'conflict' });
  });

  it('property: whatever the store holds at a schema or topic key, planning gives a plan or a typed error', async () => {
    const json = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>;
    const stored = fc.oneof(json, fc.record({ contentHash: fc.oneof(fc.constant('h1'), json), sources: json }));
    await fc.assert(
      fc.asyncProperty(stored, json, async (atSchema, atTopic) => {
        const store = new MemoryStore();
        await store.put('midl', 'schemas', 'a@1.0.0', atSchema);
        await store.put('midl', 'topics', 'a/c', atTopic);
        try {
          const plan = await planPublish(store, [schema('h1'), topic('at_most_once')], ['p']);
          expect(plan.map((c) => c.id)).toContain('a/b');
        } catch (err) {
          expect(err).toBeInstanceOf(RegistryError);
        }
      }),
      { numRuns: 80 },
    );
  });
});

describe('dryRunReport', () => {
  const change = (before: JsonValue, after: JsonValue): Change => ({
    action: 'change',
    kind: 'facts',
    corpus: 'midl',
    collection: 'facts',
    id: 'p',
    value: after,
    before: { corpus: 'midl', collection: 'facts', id: 'p', value: before, version: '1' },
  });

  it('bounds the diff of a document: lines shown, line length, and the size diffed at all', () => {
    const before = Array.from({ length: 200 }, (_, i) => `line ${i}`);
    const report = dryRunReport([
      change(
        before,
        before.map((l, i) => (i % 2 ? `${l} changed ${'x'.repeat(300)}` : l)),
      ),
    ]);
    const lines = report.split('\n');
    expect(lines[0]).toBe('~ changed midl/facts/p');
    expect(lines[1]).toBe('    --- stored/midl/facts/p');
    expect(lines.filter((l) => l.startsWith('    '))).toHaveLength(41);
    expect(lines[41]).toMatch(/^ {4}… \d+ more diff lines$/);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(166);
    expect(report.endsWith('facts: 1 (1 would be changed)\n')).toBe(true);
    const huge = dryRunReport([change('x'.repeat(1 << 20), 'y')]);
    expect(huge.split('\n')[1]).toBe('    (1048579 characters stored, 4 here: too large to diff)');
  });
});
