/**
 * Compiler problems found by the fuzz tests and reported to the lead, each with the narrowest filter
 * that lets the fuzz properties keep checking everything else. Each has a minimal regression test in
 * tests/frontend/known-issues.test.ts written with `it.fails`: when the compiler is fixed that test
 * starts failing, and then the `it.fails` becomes `it` and the entry here is deleted.
 */
export const KNOWN_ISSUES: readonly { readonly id: string; readonly matches: (problem: string) => boolean }[] = [];

/** The problems that are not explained by a known, reported compiler issue. */
export function unknownProblems(problems: readonly string[]): string[] {
  return problems.filter((p) => !KNOWN_ISSUES.some((k) => k.matches(p)));
}
