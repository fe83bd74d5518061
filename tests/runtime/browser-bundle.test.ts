import { build, type BuildFailure, type BuildOptions, type Message } from 'esbuild';
import { runInContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { nodeDedupeIdentity } from '../helpers/node-dedupe-identity.ts';
import { pageRealm } from '../helpers/page-realm.ts';
import { repoPath } from '../helpers/repo.ts';
import type { BrowserRun } from './browser-entry.ts';

/**
 * The runtime core and generated clients must work in a browser: their import graph holds no `node:`
 * module and nothing on it uses a Node-only global at run time. browser-entry.ts (what an app would
 * write) is bundled for the browser platform, and the bundle runs in a fresh JS realm that has only
 * what a page has — no Buffer, process, require, setImmediate, and timers that return numbers.
 */
const entryPoint = repoPath('tests/runtime/browser-entry.ts');
const common: BuildOptions = { entryPoints: [entryPoint], bundle: true, platform: 'browser', write: false, logLevel: 'silent', absWorkingDir: repoPath() };

const text = (messages: readonly Message[]): string[] => messages.map((m) => `${m.location ? `${m.location.file}:${m.location.line}: ` : ''}${m.text}`);

/** Builds, returning esbuild's errors instead of throwing them, so that a failure lists them all. */
async function bundle(options: BuildOptions) {
  try {
    return await build({ ...common, ...options });
  } catch (err) {
    const failure = err as BuildFailure;
    if (!Array.isArray(failure.errors)) throw err;
    return { errors: failure.errors, warnings: failure.warnings, outputFiles: [], metafile: undefined };
  }
}

describe('the runtime core and generated clients in a browser', () => {
  it('bundle for the browser platform: no node: module in the graph of the public entry points', async () => {
    // The public entry points themselves (every export kept), and the app's program.
    const entryPoints = [repoPath('runtime/index.ts'), repoPath('generated/index.ts'), entryPoint];
    const result = await bundle({ entryPoints, outdir: repoPath('tmp/browser-bundle'), format: 'esm', metafile: true });
    expect(text(result.errors)).toEqual([]);
    expect(text(result.warnings)).toEqual([]);
    const inputs = Object.entries(result.metafile!.inputs);
    expect(inputs.map(([path]) => path)).toContain('runtime/index.ts');
    expect(inputs.map(([path]) => path)).toContain('generated/index.ts');
    expect(inputs.map(([path]) => path)).toContain('node_modules/@noble/hashes/sha2.js');
    const nodeImports = inputs.flatMap(([path, input]) => [path, ...input.imports.map((i) => `${path} → ${i.path}`)]).filter((p) => /(^|→ )node:/.test(p));
    expect(nodeImports).toEqual([]);
  });

  it('run in a page-like realm: typed replies in process and over links, exactly-once identities as on Node', async () => {
    const result = await bundle({ format: 'iife', globalName: 'entry' });
    expect(text(result.errors)).toEqual([]);
    expect(text(result.warnings)).toEqual([]);
    const page = pageRealm();
    const context = page.context;
    try {
      runInContext(result.outputFiles![0]!.text, context, { filename: 'browser-bundle.js' });
      // JSON across the realm boundary: the test compares plain values, not the page realm's objects.
      const json = (await runInContext('entry.run().then((r) => JSON.stringify(r))', context)) as string;
      const run = JSON.parse(json) as BrowserRun;
      expect(run.errors).toEqual([]);
      expect(run.inProcess).toEqual({ jobId: 'job-blur-3x3', queuePosition: 1, resultTopic: 'gpu/job.result/1' });
      expect(run.overLinks).toEqual({ jobId: 'job-blur-3x3', queuePosition: 2, resultTopic: 'gpu/job.result/1' });
      // Two copies under one key: delivered once, under the identity node:crypto gives (journals depend on it).
      expect(run.keyedDeliveries).toEqual([nodeDedupeIdentity('client', 'gpu/job.dispatch', 42n, Uint8Array.from(run.keyedPayload))]);
    } finally {
      page.close();
    }
  });
});
