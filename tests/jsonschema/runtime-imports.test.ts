/**
 * Generated code needs only midl at run time: every import of every emitted module is a sibling
 * generated file or the runtime (`runtimeImport`, as seen from that module), so a project that
 * depends on midl alone (pnpm, or any layout where midl's own dependencies are not hoisted) can load
 * it. The ajv standalone validators get what ajv's code needs (its `ucs2length` helper, the
 * ajv-formats table) from the runtime too, and run against the repository's runtime here.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitAll } from '../../compiler/emitters/index.ts';
import { standaloneValidators, UnsupportedValidatorHelperError } from '../../compiler/emitters/jsonschema/validators.ts';
import type { EmittedFile } from '../../compiler/emitters/emitter.ts';
import { repoPath } from '../helpers/repo.ts';
import { programFromText, repoPrograms, type StandaloneValidator } from './helpers.ts';

const SCHEMA = `/// A contact card.
package t.deps;
version "1.0.0";

capability t.deps.use = 1;

/// Who to ask.
struct Contact {
  /// At most three code points: an emoji is one, though it is two UTF-16 units.
  initials: string @1 (maxLength = 3);
  /// A web page.
  site: string @2 (format = "uri");
  /// When the card was made.
  made: string @3 (format = "date-time");
}

/// Cards as they change.
topic t/deps/contacts {
  payload: Contact;
  qos: at_least_once;
  publish: t.deps.use;
  subscribe: t.deps.use;
}
`;

const { ir } = programFromText(SCHEMA);

/** Module specifiers a file imports (static, type-only and dynamic imports, re-exports). */
function specifiersOf(f: EmittedFile): string[] {
  return ts.preProcessFile(f.content, true, true).importedFiles.map((i) => i.fileName);
}

/** Imports of `f` that are neither a generated sibling nor the runtime as `runtimeImport` names it from the output directory. */
function strayImports(files: readonly EmittedFile[], f: EmittedFile, runtimeImport: string): string[] {
  const emitted = new Set(files.map((x) => x.path));
  const runtime = runtimeImport.startsWith('.') ? posix.normalize(runtimeImport) : undefined;
  return specifiersOf(f).filter((spec) => {
    if (!spec.startsWith('./') && !spec.startsWith('../')) return spec !== runtimeImport;
    const target = posix.normalize(posix.join(posix.dirname(f.path), spec));
    return !emitted.has(target) && target !== runtime;
  });
}

describe('generated code imports only siblings and the runtime', () => {
  it.each(['midl/runtime', '../runtime/index.ts', '../../../runtime/index.ts'])('runtimeImport %s', (runtimeImport) => {
    const files = emitAll(ir, { runtimeImport }).filter((f) => /\.(ts|js)$/.test(f.path));
    // The validators and their declarations are among them, and import the runtime.
    const validators = files.filter((f) => f.path.startsWith('validators/'));
    expect(validators.map((f) => f.path).sort()).toEqual([
      'validators/envelope/index.d.ts',
      'validators/envelope/index.js',
      'validators/t.deps.d.ts',
      'validators/t.deps.js',
    ]);
    const stray = files.flatMap((f) => strayImports(files, f, runtimeImport).map((spec) => `${f.path}: ${spec}`));
    expect(stray).toEqual([]);
    for (const f of validators) {
      expect(specifiersOf(f).length, `${f.path} imports the runtime`).toBe(1);
      expect(f.content, `${f.path} has no CommonJS require left`).not.toMatch(/\brequire\(/);
    }
  });

  it.each(repoPrograms().map((p) => [p.label, p] as const))('the repository’s %s', (_label, { ir: program }) => {
    const files = emitAll(program, { runtimeImport: 'midl/runtime' }).filter((f) => /\.(ts|js)$/.test(f.path));
    expect(files.filter((f) => f.path.startsWith('validators/')).length).toBeGreaterThan(2);
    expect(files.flatMap((f) => strayImports(files, f, 'midl/runtime').map((spec) => `${f.path}: ${spec}`))).toEqual([]);
  });
});

describe('an ajv helper the runtime does not provide', () => {
  it('fails the emit, naming the helper, rather than writing a module that imports ajv', () => {
    // uniqueItems over objects needs ajv's deep `equal`, which no midl schema produces today.
    const schema = { $id: 'urn:t:set', type: 'array', items: { type: 'object' }, uniqueItems: true };
    const emit = () => standaloneValidators([{ exportName: 'validateSet', id: 'urn:t:set', what: 'A set.' }], [schema], 'midl/runtime');
    expect(emit).toThrow(UnsupportedValidatorHelperError);
    expect(emit).toThrow(/require\("ajv\/dist\/runtime\/equal"\)\.default.*validatorSupport/);
  });
});

/** A value, whether it is valid, and the ajv keywords of its errors when not. */
type Case = readonly [label: string, value: unknown, valid: boolean, keywords: readonly string[]];

const VALID = { initials: 'ABC', site: 'https://example.com/x', made: '2026-12-07T06:00:00Z' };
const CASES: readonly Case[] = [
  ['valid', VALID, true, []],
  ['wrong type', { ...VALID, initials: 7 }, false, ['type']],
  ['missing fields', { initials: 'A' }, false, ['required']],
  ['not a uri', { ...VALID, site: 'not a uri' }, false, ['format']],
  ['month 13', { ...VALID, made: '2026-13-07T06:00:00Z' }, false, ['format']],
  ['three emoji', { ...VALID, initials: '\u{1F600}\u{1F600}\u{1F600}' }, true, []],
  ['four emoji', { ...VALID, initials: '\u{1F600}\u{1F600}\u{1F600}\u{1F600}' }, false, ['maxLength']],
  ['four letters', { ...VALID, initials: 'ABCD' }, false, ['maxLength']],
];

/** What `validateContact` says of each case: [valid, keywords of its errors]. */
type Verdicts = [boolean, string[]][];

/** Run in the module's loader: Node's own (a child process) or vitest's (this one). */
const VERDICTS_SCRIPT = `
const [url, cases] = JSON.parse(process.argv[1]);
const { validateContact } = await import(url);
const verdicts = cases.map(([, value]) => [validateContact(value), (validateContact.errors ?? []).map((e) => e.keyword)]);
process.stdout.write(JSON.stringify(verdicts));
`;

function verdictsIn(validate: StandaloneValidator): Verdicts {
  return CASES.map(([, value]) => [validate(value), (validate.errors ?? []).map((e) => (e as { keyword: string }).keyword)]);
}

/** Node's ESM loader, with tsx for the runtime's TypeScript (as bin/midl.mjs runs it): a child process. */
function verdictsInNode(url: string): Promise<{ verdicts?: Verdicts; error?: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', VERDICTS_SCRIPT, JSON.stringify([url, CASES])],
      { cwd: repoPath(), timeout: 60_000, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => resolve(err ? { error: `${err.message}\n${stderr}` } : { verdicts: JSON.parse(stdout) as Verdicts }),
    ),
  );
}

const expected = (): Verdicts => CASES.map(([, , valid, keywords]) => [valid, [...keywords]]);

describe('a generated validators module outside the repository, run against its runtime', () => {
  // Outside the repository no node_modules is above the generated files: like a project whose only
  // dependency is midl, they resolve nothing but what they import by path (the runtime, by URL here).
  let dir: string;
  let url: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'midl-runtime-imports-'));
    for (const f of emitAll(ir, { runtimeImport: pathToFileURL(repoPath('runtime/index.ts')).href })) {
      mkdirSync(dirname(join(dir, 'gen', f.path)), { recursive: true });
      writeFileSync(join(dir, 'gen', f.path), f.content);
    }
    writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
    url = pathToFileURL(join(dir, 'gen/validators/t.deps.js')).href;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('checks values, formats and code-point lengths under Node’s ESM loader', async () => {
    const r = await verdictsInNode(url);
    expect(r.error).toBeUndefined();
    expect(r.verdicts).toEqual(expected());
  }, 90_000);

  it('checks values, formats and code-point lengths under vitest’s loader', async () => {
    const { validateContact } = (await import(url)) as Record<string, StandaloneValidator>;
    expect(verdictsIn(validateContact!)).toEqual(expected());
  });

  it('loads the envelope validators from the same runtime', async () => {
    const envelope = (await import(pathToFileURL(join(dir, 'gen/validators/envelope/index.js')).href)) as Record<string, StandaloneValidator>;
    expect(Object.keys(envelope).length).toBeGreaterThan(0);
    for (const [name, v] of Object.entries(envelope)) {
      expect(typeof v, name).toBe('function');
      expect(v(null), `${name}(null)`).toBe(false);
    }
  });
});
