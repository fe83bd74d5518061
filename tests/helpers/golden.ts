import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoPath } from './repo.ts';

export const DIAGNOSTIC_CASES_DIR = repoPath('tests/golden/diagnostics');

/** `npm run golden:update` sets this; only then are expected files (re)written. */
export const UPDATE_GOLDEN = process.env['MIDL_UPDATE_GOLDEN'] === '1';

/**
 * A test, in every run, that says which mode a golden file ran in. Update mode names the diff to review;
 * otherwise MIDL_UPDATE_GOLDEN must be unset, so that a value meant as "update" but not "1" (`true`, `yes`)
 * fails instead of comparing. Never a skip: a skipped test reads like a check that was left out.
 */
export function goldenModeTest(reviewPath: string): void {
  const title = UPDATE_GOLDEN
    ? `ran in update mode: review \`git diff ${reviewPath}\` before committing`
    : 'compared with the expected files (not in update mode)';
  it(title, () => expect(process.env['MIDL_UPDATE_GOLDEN'], 'MIDL_UPDATE_GOLDEN is "1" (update) or unset (compare)').toBe(UPDATE_GOLDEN ? '1' : undefined));
}

export interface DiagnosticCase {
  /** Directory name, `<code>-<catalog name>`. */
  readonly name: string;
  readonly dir: string;
  readonly code: string;
  /** The part after the code: the catalog name of the code. */
  readonly slug: string;
  readonly input: string;
}

/** Every case directory under tests/golden/diagnostics, sorted by name. */
export function diagnosticCases(): DiagnosticCase[] {
  return readdirSync(DIAGNOSTIC_CASES_DIR)
    .filter((n) => statSync(join(DIAGNOSTIC_CASES_DIR, n)).isDirectory())
    .sort()
    .map((name) => {
      const m = /^(MIDL\d{4})-(.+)$/.exec(name);
      const dir = join(DIAGNOSTIC_CASES_DIR, name);
      return { name, dir, code: m?.[1] ?? name, slug: m?.[2] ?? '', input: join(dir, 'input.midl') };
    });
}

/**
 * Compares `actual` with the expected file, or (re)writes the file in update mode. Outside update mode
 * a missing expected file is a failure, never silently created.
 */
export function expectGolden(path: string, actual: string, label: string): void {
  if (UPDATE_GOLDEN) {
    if (!existsSync(path) || readFileSync(path, 'utf8') !== actual) writeFileSync(path, actual);
    return;
  }
  expect(existsSync(path), `${label}: ${path} is missing; run \`npm run golden:update\` and review the diff`).toBe(true);
  expect(actual, `${label}: output differs from ${path}; if the change is intended run \`npm run golden:update\``).toBe(readFileSync(path, 'utf8'));
}
