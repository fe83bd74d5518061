import { expect } from 'vitest';

/** The slowest a 10 MB input may take on a loaded 2-core machine. */
export const LINEAR_LIMIT_MS = 10_000;
/**
 * Ten times the input may take at most this many times as long: linear work gives about 10, quadratic 100.
 * Not 20: the big input keeps ten times as much alive (2.5 million tokens), and the collector's cost
 * grows with it; a CI run under load measured 32× for linear lexing.
 */
export const LINEAR_RATIO = 45;
/** Times below this are noise (start-up, a collection): ratios are taken against at least this. */
const NOISE_MS = 50;

/** Milliseconds `run` took, and what it returned. */
export function timed<T>(run: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = run();
  return { ms: performance.now() - t0, value };
}

/** Same, for work that waits (a child process). */
export async function timedAsync<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await run();
  return { ms: performance.now() - t0, value };
}

/** Asserts that `big` (ten times `small`'s input) finishes in time and in proportion; returns its result. */
export function expectLinear<T>(small: () => unknown, big: () => T): T {
  small(); // warm-up: compilation of the code under test is not the input's cost
  const s = timed(small);
  const b = timed(big);
  expectProportional(s.ms, b.ms);
  return b.value;
}

export function expectProportional(smallMs: number, bigMs: number, noiseMs = NOISE_MS, limitMs = LINEAR_LIMIT_MS): void {
  expect(bigMs, `10× input took ${bigMs.toFixed(0)} ms`).toBeLessThan(limitMs);
  expect(bigMs / Math.max(smallMs, noiseMs), `10× input took ${bigMs.toFixed(0)} ms against ${smallMs.toFixed(0)} ms`).toBeLessThan(LINEAR_RATIO);
}
