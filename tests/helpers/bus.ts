import { expect } from 'vitest';
import { BusError } from '../../runtime/bus/index.ts';

/** The BusError a promise rejects with (fails the test when it resolves or rejects with anything else). */
export async function rejection(p: Promise<unknown>): Promise<BusError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BusError);
  return err as BusError;
}

/** The BusError `f` throws synchronously. */
export function thrown(f: () => unknown): BusError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(BusError);
    return e as BusError;
  }
  throw new Error('expected a BusError to be thrown');
}

/** Resolves after every delivery queued so far (microtasks) has run. */
export const tick = () => new Promise<void>((r) => setTimeout(r, 0));
