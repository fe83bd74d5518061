import { tempProject } from './cli.ts';

/**
 * The schema of the operator command tests (peer, send, tail, replay): small, so each spawned CLI
 * compiles it quickly, with one topic of each QoS that matters and capabilities to grant or withhold.
 */
export const OPS_SCHEMA = `/// Messages of the operator command tests.
package ops.test;
version "1.0.0";

/// May publish jobs.
capability ops.send = 1;
/// May watch events.
capability ops.watch = 2;

/// A numbered job.
struct Job {
  /// Sequence number.
  n: u32 @1;
  /// Free text.
  note: string @2;
  /// A 64-bit value (a string in JSON).
  big: u64 @3;
}

/// Jobs: running one twice would be wrong.
topic ops/job {
  payload: Job;
  qos: exactly_once;
  publish: ops.send;
}

/// Events of a kind.
topic ops/event/{kind} {
  payload: Job;
  qos: at_least_once;
  subscribe: ops.watch;
}
`;

/** A temp directory holding ops.midl; pass `--schema <dir>/ops.midl` to the commands. */
export function opsProject(files: Readonly<Record<string, string>> = {}): { dir: string; schema: string } {
  const dir = tempProject({ 'ops.midl': OPS_SCHEMA, ...files });
  return { dir, schema: `${dir}/ops.midl` };
}

/** A JSON payload line of ops.Job. */
export const job = (n: number, note = `job ${n}`): string => JSON.stringify({ n, note, big: String(2n ** 63n + BigInt(n)) });
