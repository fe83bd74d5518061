/**
 * Compiler problems found by the fuzz tests and reported to the lead, each with the narrowest filter
 * that lets the fuzz properties keep checking everything else. Each has a minimal regression test in
 * tests/frontend/known-issues.test.ts written with `it.fails`: when the compiler is fixed that test
 * starts failing, and then the `it.fails` becomes `it` and the entry here is deleted.
 */
export const KNOWN_ISSUES: readonly { readonly id: string; readonly matches: (problem: string) => boolean }[] = [
  {
    // `package a` at the very end of a file: "expected ';', found end of file" spans [len, len + 1).
    id: 'syntax error at end of file spans one character past the end',
    matches: (p) => /^(parseFile|compile): MIDL110[12] '[^]*(found end of file|unexpected end of file)[^]*': span \[(\d+), (\d+)\) outside [^]* \(length (\d+)\)$/.test(p) && sameLength(p),
  },
];

function sameLength(problem: string): boolean {
  const m = /span \[(\d+), (\d+)\) outside .* \(length (\d+)\)$/.exec(problem);
  return m !== null && Number(m[1]) === Number(m[3]) && Number(m[2]) === Number(m[3]) + 1;
}

/** The problems that are not explained by a known, reported compiler issue. */
export function unknownProblems(problems: readonly string[]): string[] {
  return problems.filter((p) => !KNOWN_ISSUES.some((k) => k.matches(p)));
}
