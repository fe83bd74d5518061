import type { Literal } from '../ast/nodes.ts';

export const DURATION_UNITS: Readonly<Record<string, number>> = { us: 1, ms: 1_000, s: 1_000_000 };
export const SIZE_UNITS: Readonly<Record<string, number>> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

type Quantity = Extract<Literal, { kind: 'quantity' }>;

/** Microseconds, or undefined for an unknown unit. */
export function parseDurationUs(q: Quantity): number | undefined {
  const factor = DURATION_UNITS[q.unit];
  return factor === undefined ? undefined : Math.round(q.amount * factor);
}

/** Bytes, or undefined for an unknown unit. */
export function parseSizeBytes(q: Quantity): number | undefined {
  const factor = SIZE_UNITS[q.unit];
  return factor === undefined ? undefined : Math.round(q.amount * factor);
}
