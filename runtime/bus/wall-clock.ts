/**
 * The wall clock in microseconds, as envelope timestamps carry it. Finer than `Date.now()` (latency budgets
 * are in µs) yet anchored to it, because timestamps are compared across processes:
 * `performance.timeOrigin` is fixed once per process and can be milliseconds off the system clock.
 */

/** Wall clock minus monotonic clock, in ms: the largest seen, since each sample can only under-read it. */
/** A smaller shortfall than this is a pause between the two reads, not the clock being set back. */
const STEP_BACK_MS = 100;

let offsetMs = Number.NEGATIVE_INFINITY;

export function wallClockUs(): bigint {
  // Date.now() first: it is floored to the millisecond and read earlier than the monotonic clock, so
  // `sample` is at most the true offset, and equal to it just after the millisecond ticks.
  const wall = Date.now();
  const mono = performance.now();
  const sample = wall - mono;
  // Far below: the system clock was stepped back (NTP steps past 128 ms and slews below that, moving
  // both clocks alike), so follow it. Nearer misses are this thread paused between the two reads.
  if (sample > offsetMs || sample < offsetMs - STEP_BACK_MS) offsetMs = sample;
  return BigInt(Math.round((offsetMs + mono) * 1000));
}
