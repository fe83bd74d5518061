import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFile } from '../../compiler/parser/parse.ts';
import type { CompilerHost } from '../../compiler/host.ts';
import { compile } from '../../compiler/program.ts';
import { SourceFile } from '../../compiler/source.ts';
import { diagnosticProblems, VIRTUAL_ROOT } from '../helpers/compile.ts';
import { formatProblems } from '../helpers/format.ts';
import { applyEdits, fuzzRuns, fuzzSeed, midlFileText, mutation } from '../helpers/fuzz.ts';
import { unknownProblems } from '../helpers/known-issues.ts';
import { findMidlFiles, REPO_ROOT, repoRelative } from '../helpers/repo.ts';

/**
 * The front end's contract: whatever the input, parseFile and compile return normally, every diagnostic
 * has a catalog code and a span inside its file, and files without syntax errors format idempotently
 * without losing a token or comment. Inputs are random texts over the language's vocabulary and random
 * edits of the real schemas. MIDL_FUZZ_SEED reproduces a run, MIDL_FUZZ_SCALE makes it longer.
 */

/** `path` holds `text`; other .midl files of the repository are read from disk so that imports resolve. */
function overlayHost(path: string, text: string): CompilerHost {
  return {
    readFile: (p) => {
      if (p === path) return text;
      if (p.startsWith(REPO_ROOT) && p.endsWith('.midl')) return readFileSync(p, 'utf8');
      throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    },
    displayPath: (p) => repoRelative(p),
  };
}

/** Every invariant for one input; returns the problems (empty when all is well). Throws if the compiler throws. */
function frontEndProblems(path: string, text: string): string[] {
  const parsed = parseFile(new SourceFile(repoRelative(path), text));
  const problems = diagnosticProblems(parsed.diagnostics.all).map((p) => `parseFile: ${p}`);
  const result = compile([path], { host: overlayHost(path, text) });
  problems.push(...diagnosticProblems(result.diagnostics).map((p) => `compile: ${p}`));
  if (result.unreadable.length > 0) problems.push(`compile: entry reported unreadable`);
  if (result.hasErrors !== result.diagnostics.some((d) => d.severity === 'error')) problems.push('compile: hasErrors disagrees with the diagnostics');
  problems.push(...formatProblems(text, repoRelative(path)).map((p) => `fmt: ${p}`));
  return unknownProblems(problems);
}

const corpus = findMidlFiles(['idl', 'examples', 'tests/golden']).map((abs) => ({ abs, text: readFileSync(abs, 'utf8') }));
const texts = new Map(corpus.map((c) => [c.abs, c.text]));

describe('front-end fuzzing', () => {
  it('random texts over the language vocabulary', () => {
    const path = resolve(VIRTUAL_ROOT, 'input.midl');
    fc.assert(
      fc.property(midlFileText, (text) => {
        expect(frontEndProblems(path, text), `input: ${JSON.stringify(text)}`).toEqual([]);
      }),
      { numRuns: fuzzRuns(400), ...fuzzSeed() },
    );
  });

  it('random edits of the real schemas (delete, duplicate, swap, replace tokens; cut, copy, insert characters; truncate)', () => {
    expect(corpus.length).toBeGreaterThan(0);
    fc.assert(
      fc.property(fc.constantFrom(...corpus.map((c) => c.abs)), mutation, (abs, edits) => {
        const text = applyEdits(texts.get(abs)!, edits);
        expect(frontEndProblems(abs, text), `${repoRelative(abs)} edited to: ${JSON.stringify(text)}`).toEqual([]);
      }),
      { numRuns: fuzzRuns(400), ...fuzzSeed() },
    );
  });

  it('every real schema, unchanged, keeps the invariants too', () => {
    for (const { abs, text } of corpus) expect(frontEndProblems(abs, text), repoRelative(abs)).toEqual([]);
  });
});
