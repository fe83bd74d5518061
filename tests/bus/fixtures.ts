import type { Codec, JsonValue, ValidationIssue } from '../../runtime/codec/codec.ts';
import { defineErrorSet, defineIntent, defineTopic } from '../../runtime/bus/index.ts';

/**
 * Hand-made codecs and descriptors for Bus tests that must not depend on generated code: JSON bytes,
 * a `validate` written per type, and counters that prove encoding and decoding really happen.
 */
export interface CodecStats {
  encoded: number;
  decoded: number;
}

export function jsonCodec<T>(
  typeName: string,
  check: (v: unknown) => ValidationIssue[],
  sample: T,
  stats: CodecStats = { encoded: 0, decoded: 0 },
): Codec<T> & { stats: CodecStats } {
  return {
    typeName,
    stats,
    encode(value: T) {
      stats.encoded++;
      return new TextEncoder().encode(JSON.stringify(value));
    },
    decode(bytes: Uint8Array) {
      stats.decoded++;
      return JSON.parse(new TextDecoder().decode(bytes)) as T;
    },
    toJSON: (v) => JSON.parse(JSON.stringify(v)) as JsonValue,
    fromJSON: (j) => j as T,
    validate(value: unknown) {
      const errors = check(value);
      return errors.length === 0 ? { ok: true } : { ok: false, errors };
    },
    jsonSchema: {},
    example: () => sample,
  };
}

export interface Job {
  readonly pipeline: string;
  readonly blob?: string;
}
export interface Accepted {
  readonly queued: number;
}
export interface Result {
  readonly status: 'ok' | 'failed';
  readonly n: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const JobCodec = jsonCodec<Job>(
  'test.Job',
  (v) => (isObj(v) && typeof v['pipeline'] === 'string' && v['pipeline'].length > 0 ? [] : [{ path: '/pipeline', message: 'must be a non-empty string' }]),
  { pipeline: 'p' },
);
export const AcceptedCodec = jsonCodec<Accepted>(
  'test.Accepted',
  (v) => (isObj(v) && typeof v['queued'] === 'number' ? [] : [{ path: '/queued', message: 'must be a number' }]),
  { queued: 0 },
);
export const ResultCodec = jsonCodec<Result>(
  'test.Result',
  (v) => (isObj(v) && (v['status'] === 'ok' || v['status'] === 'failed') && typeof v['n'] === 'number' ? [] : [{ path: '', message: 'bad result' }]),
  { status: 'ok', n: 0 },
);

export const CAP = { admin: 1n << 8n, dispatch: 1n << 9n, host: 1n << 12n, observe: 1n << 40n } as const;

export const TestError = defineErrorSet({
  name: 'test.TestError',
  codes: { COMPILE_FAILED: 1001, BUSY: 1002 },
  messages: { COMPILE_FAILED: 'WGSL failed to compile' },
});

const common = { package: 'test', version: '1.0.0', qos: 'at_least_once', budget: { latencyUs: 5000 }, lane: 'sysex8', stream: false } as const;

export const dispatch = defineTopic<Job, Accepted>({
  ...common,
  address: 'gpu/job.dispatch',
  id: 1,
  params: [],
  payload: JobCodec,
  reply: AcceptedCodec,
  publish: CAP.dispatch,
  subscribe: CAP.host,
  errors: TestError,
  maxPayload: 64,
  toolName: 'gpu__job_dispatch',
});

export const result = defineTopic<Result, never, 'corr'>({
  ...common,
  address: 'gpu/job.result/{corr}',
  id: 2,
  params: ['corr'],
  payload: ResultCodec,
  reply: undefined,
  publish: CAP.host,
  subscribe: CAP.dispatch | CAP.observe,
  errors: TestError,
  maxPayload: 1024,
  toolName: 'gpu__job_result__corr',
  stream: true,
});

/** Two parameters, open to everyone (no capabilities). */
export const cell = defineTopic<Result, never, 'grid' | 'cell'>({
  ...common,
  address: 'grid/{grid}/cell/{cell}',
  id: 3,
  params: ['grid', 'cell'],
  payload: ResultCodec,
  reply: undefined,
  publish: 0n,
  subscribe: 0n,
  errors: undefined,
  maxPayload: 1024,
  toolName: 'grid__grid__cell__cell',
});

export const plan = defineIntent<Job, Accepted>({
  name: 'planner.execute',
  toolName: 'planner_execute',
  package: 'test',
  version: '1.0.0',
  body: JobCodec,
  reply: AcceptedCodec,
  method: 'POST',
  path: '/planner/execute',
  pathParams: [],
  service: 'planner',
  errors: TestError,
});
