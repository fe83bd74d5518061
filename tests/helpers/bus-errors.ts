import { afterEach, expect } from 'vitest';
import { BusError, type BusErrorCode } from '../../runtime/index.ts';

/**
 * What a bus reports through its `onError` option (handler failures, undecodable or refused traffic,
 * malformed frames), collected so that a test sees it instead of losing it. A test that provokes errors
 * claims exactly the ones it expects; any error left unclaimed fails the test when it ends.
 *
 *   const busErrors = collectBusErrors();            // at the top of the file, before any afterEach that closes buses
 *   const bus = new NetworkBus({ …, onError: busErrors.for('authority') });
 *   …
 *   busErrors.claim({ bus: 'authority', type: FrameError }, 3);
 */
export interface ReportedError {
  /** The name the collector was made for (`busErrors.for(name)`). */
  readonly bus: string;
  /** The address (or peer description) the bus reported the error for. */
  readonly address: string;
  readonly error: unknown;
}

/** Which reported errors a claim is about; every given field must match. */
export interface ErrorPattern {
  readonly bus?: string;
  /** A `BusError` with this code. */
  readonly code?: BusErrorCode;
  /** An instance of this class (e.g. `FrameError`, or `Error` for a handler that throws). */
  readonly type?: abstract new (...args: never[]) => unknown;
  readonly address?: string | RegExp;
  readonly message?: string | RegExp;
}

/** An exact number, or a range where chance decides the number (say why at the call). */
export type ErrorCount = number | { readonly min: number; readonly max: number };

export class BusErrorLog {
  private readonly unclaimed: ReportedError[] = [];

  /** The `onError` option for the bus called `bus`. */
  for(bus: string): (error: unknown, address: string) => void {
    return (error, address) => void this.unclaimed.push({ bus, address, error });
  }

  /** How many reported errors, not claimed yet, match `pattern`. */
  count(pattern: ErrorPattern = {}): number {
    return this.unclaimed.filter((r) => matches(r, pattern)).length;
  }

  /** Takes the unclaimed errors that match `pattern`; fails unless their number is `count`. */
  claim(pattern: ErrorPattern, count: ErrorCount): ReportedError[] {
    const taken = this.unclaimed.filter((r) => matches(r, pattern));
    const n = taken.length;
    const ok = typeof count === 'number' ? n === count : n >= count.min && n <= count.max;
    expect(ok, `expected ${describeCount(count)} errors matching ${describePattern(pattern)}, got ${n}:\n${taken.map(describeReport).join('\n')}`).toBe(true);
    for (const r of taken) this.unclaimed.splice(this.unclaimed.indexOf(r), 1);
    return taken;
  }

  /** Fails when an error was reported that no claim accounted for; clears the log either way. */
  expectNoneUnclaimed(): void {
    const left = this.unclaimed.splice(0).map(describeReport);
    expect(left, 'errors reported by a bus that the test did not expect').toEqual([]);
  }
}

/**
 * A log whose unclaimed errors fail each test of the file when it ends. Call it before registering the
 * afterEach that closes the buses: after-hooks run in reverse order, so the check then sees the errors
 * reported while they close.
 */
export function collectBusErrors(): BusErrorLog {
  const log = new BusErrorLog();
  afterEach(() => log.expectNoneUnclaimed());
  return log;
}

function matches(r: ReportedError, p: ErrorPattern): boolean {
  const message = r.error instanceof Error ? r.error.message : String(r.error);
  return (
    (p.bus === undefined || r.bus === p.bus) &&
    (p.code === undefined || (r.error instanceof BusError && r.error.code === p.code)) &&
    (p.type === undefined || r.error instanceof p.type) &&
    (p.address === undefined || (typeof p.address === 'string' ? r.address === p.address : p.address.test(r.address))) &&
    (p.message === undefined || (typeof p.message === 'string' ? message.includes(p.message) : p.message.test(message)))
  );
}

function describeReport(r: ReportedError): string {
  const e = r.error;
  const what = e instanceof BusError ? `BusError(${e.code})` : e instanceof Error ? e.name : typeof e;
  return `${r.bus} @ ${r.address}: ${what}: ${e instanceof Error ? e.message : String(e)}`;
}

function describePattern(p: ErrorPattern): string {
  const type = p.type === undefined ? {} : { type: (p.type as { name?: string }).name };
  return JSON.stringify({ ...p, ...type }, (_k, v: unknown) => (v instanceof RegExp ? String(v) : v));
}

function describeCount(c: ErrorCount): string {
  return typeof c === 'number' ? `exactly ${c}` : `${c.min}..${c.max}`;
}
