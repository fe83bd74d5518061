import { describe, expect, it } from 'vitest';
import { wallClockUs } from '../../runtime/bus/wall-clock.ts';

/**
 * Envelope timestamps are compared across processes (latency, staleness), so every process must read the
 * same wall clock. `performance.timeOrigin + performance.now()` does not: each process anchors it once at
 * start-up, and on this machine it ran 1.4–2 ms ahead of `Date.now()` (a CI run saw a −5.8 ms latency
 * between two processes on one host).
 */
describe('wallClockUs', () => {
  it('agrees with Date.now() to within its millisecond, never ahead of it', () => {
    for (let i = 0; i < 2_000; i++) {
      const before = Date.now();
      const us = wallClockUs();
      const after = Date.now();
      expect(us).toBeGreaterThanOrEqual(BigInt(before) * 1000n);
      expect(us).toBeLessThan(BigInt(after + 1) * 1000n);
    }
  });

  it('never goes back', () => {
    let last = wallClockUs();
    for (let i = 0; i < 20_000; i++) {
      const now = wallClockUs();
      expect(now >= last).toBe(true);
      last = now;
    }
  });
});
