import { UmpError, type UmpEvent, type UmpMessage } from '../../runtime/ump/index.ts';

/** "D10C0107 74657374" → Uint32Array. */
export function words(text: string): Uint32Array {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  return Uint32Array.from(parts.map((p) => parseInt(p, 16)));
}

/** Uint32Array → "D10C0107 74657374" (uppercase, as the CLI prints). */
export function hexWords(w: Uint32Array): string {
  return [...w].map((x) => x.toString(16).toUpperCase().padStart(8, '0')).join(' ');
}

export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

/** Bytes a..b inclusive. */
export function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

export function messagesOf(events: readonly UmpEvent[]): UmpMessage[] {
  return events.filter((e): e is UmpMessage => !(e instanceof UmpError));
}

export function errorsOf(events: readonly UmpEvent[]): UmpError[] {
  return events.filter((e): e is UmpError => e instanceof UmpError);
}

/** A clock the test moves by hand. */
export function manualClock(start = 0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}
