import { checkRange } from './errors.ts';

/** Utility messages (MT 0x0, 32 bit, groupless): `[23:20]` status, time value in the low bits. */
export const UtilityStatus = {
  Noop: 0x0,
  JrClock: 0x1,
  JrTimestamp: 0x2,
  DeltaClockstampTpq: 0x3,
  DeltaClockstamp: 0x4,
} as const;

export interface NoopMessage {
  readonly kind: 'noop';
}
/** JR Clock: sender time, 16 bit, in 1/31250 s (32 µs) ticks. */
export interface JrClockMessage {
  readonly kind: 'jr-clock';
  readonly value: number;
}
/** JR Timestamp: the time of the following message(s), 16 bit, 32 µs ticks. */
export interface JrTimestampMessage {
  readonly kind: 'jr-timestamp';
  readonly value: number;
}
/** Delta Clockstamp Ticks Per Quarter Note (16 bit). */
export interface DeltaClockstampTpqMessage {
  readonly kind: 'delta-clockstamp-tpq';
  readonly value: number;
}
/** Delta Clockstamp (20-bit ticks since the last event). */
export interface DeltaClockstampMessage {
  readonly kind: 'delta-clockstamp';
  readonly value: number;
}
export type UtilityMessage = NoopMessage | JrClockMessage | JrTimestampMessage | DeltaClockstampTpqMessage | DeltaClockstampMessage;

function utility(status: number, value: number): Uint32Array {
  return Uint32Array.of(((status << 20) | value) >>> 0);
}

export function encodeNoop(): Uint32Array {
  return utility(UtilityStatus.Noop, 0);
}
export function encodeJrClock(value: number): Uint32Array {
  return utility(UtilityStatus.JrClock, checkRange('JR Clock value', value, 0, 0xffff));
}
export function encodeJrTimestamp(value: number): Uint32Array {
  return utility(UtilityStatus.JrTimestamp, checkRange('JR Timestamp value', value, 0, 0xffff));
}
export function encodeDeltaClockstampTpq(value: number): Uint32Array {
  return utility(UtilityStatus.DeltaClockstampTpq, checkRange('ticks per quarter note', value, 0, 0xffff));
}
export function encodeDeltaClockstamp(value: number): Uint32Array {
  return utility(UtilityStatus.DeltaClockstamp, checkRange('delta clockstamp ticks', value, 0, 0xfffff));
}

/** Decodes a utility word; reserved statuses give undefined (the caller reports them as unknown). */
export function decodeUtility(word: number): UtilityMessage | undefined {
  switch ((word >>> 20) & 0xf) {
    case UtilityStatus.Noop:
      return { kind: 'noop' };
    case UtilityStatus.JrClock:
      return { kind: 'jr-clock', value: word & 0xffff };
    case UtilityStatus.JrTimestamp:
      return { kind: 'jr-timestamp', value: word & 0xffff };
    case UtilityStatus.DeltaClockstampTpq:
      return { kind: 'delta-clockstamp-tpq', value: word & 0xffff };
    case UtilityStatus.DeltaClockstamp:
      return { kind: 'delta-clockstamp', value: word & 0xfffff };
    default:
      return undefined;
  }
}
