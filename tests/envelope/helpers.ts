import { expect } from 'vitest';
import { EnvelopeError, type EnvelopeErrorCode, type ParseResult } from '../../runtime/envelope/index.ts';

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(h: string): Uint8Array {
  const clean = h.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Runs `fn`, requires it to throw an EnvelopeError with `code`, and returns the error. */
export function expectEnvelopeError(fn: () => unknown, code: EnvelopeErrorCode): EnvelopeError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an EnvelopeError to be thrown').toBeInstanceOf(EnvelopeError);
  const err = caught as EnvelopeError;
  expect(err.code, err.message).toBe(code);
  return err;
}

/** Requires a failed parse with `code` (and, if given, at `path`) and returns the error. */
export function expectRejected<T>(r: ParseResult<T>, code: EnvelopeErrorCode, path?: string): EnvelopeError {
  expect(r.ok, r.ok ? `accepted: ${JSON.stringify(r.value)}` : '').toBe(false);
  const err = (r as { ok: false; error: EnvelopeError }).error;
  expect(err).toBeInstanceOf(EnvelopeError);
  expect(err.code, err.message).toBe(code);
  if (path !== undefined) expect(err.path).toBe(path);
  expect(err.reason.length).toBeGreaterThan(0);
  return err;
}

export function accepted<T>(r: ParseResult<T>): T {
  if (!r.ok) throw new Error(`rejected: ${r.error.message}`);
  return r.value;
}

/** A deterministic shuffle (seeded LCG), so failures reproduce. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
