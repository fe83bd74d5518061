/**
 * How the GPU engine refuses a request: a `RemoteError` named after a `GpuError` member, so a bus
 * responder can answer it as the topic's error unchanged (name, code, message and detail travel).
 */
import { RemoteError, type JsonValue } from '../../runtime/index.ts';
import { GpuError } from '../../generated/index.ts';

export type GpuErrorName = keyof typeof GpuError;

export interface GpuRefusalOptions {
  readonly detail?: JsonValue;
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

export function gpuRefusal(name: GpuErrorName, message: string, options: GpuRefusalOptions = {}): RemoteError {
  return new RemoteError(name, message, options);
}

/** True when `error` is a refusal of the engine with the given name. */
export function isGpuRefusal(error: unknown, name?: GpuErrorName): error is RemoteError {
  return error instanceof RemoteError && (name === undefined || error.errorName === name) && error.errorName in GpuError;
}

/** Dawn's messages end in a "- While calling …" trail of call sites: the first paragraph is the reason. */
export function dawnReason(message: string): string {
  const trail = message.indexOf('\n - While');
  return (trail === -1 ? message : message.slice(0, trail)).trim();
}
