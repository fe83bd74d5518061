import { tempProject } from './cli.ts';

/**
 * The schema of the `midl call` tests: topics with a reply and an error set (one served, one served by a
 * responder that never answers, one served by nobody), one without a reply, and a capability that
 * grants none of them.
 */
export const CALC_SCHEMA = `/// Requests of the midl call tests.
package calc.test;
version "1.0.0";

/// May make requests and serve them.
capability calc.use = 1;
/// Grants nothing the topics need.
capability calc.watch = 2;

/// Why a division failed.
errors CalcError {
  DIVIDE_BY_ZERO = 7 "the divisor is zero";
}

/// Two 64-bit numbers.
struct Division {
  /// Dividend.
  a: u64 @1;
  /// Divisor.
  b: u64 @2;
}

/// A result.
struct Quotient {
  /// The quotient (a string in JSON).
  q: u64 @1;
  /// Where it was computed.
  unit: string @2;
}

/// Divides, on a named unit.
topic calc/divide/{unit} {
  payload: Division;
  reply: Quotient;
  qos: at_least_once;
  publish: calc.use;
  subscribe: calc.use;
  errors: CalcError;
}

/// Served by a responder that never answers.
topic calc/stall {
  payload: Division;
  reply: Quotient;
  qos: at_least_once;
  publish: calc.use;
  subscribe: calc.use;
}

/// Served by nobody.
topic calc/unserved {
  payload: Division;
  reply: Quotient;
  qos: at_least_once;
  publish: calc.use;
  subscribe: calc.use;
}

/// A log line: published, never answered.
topic calc/log {
  payload: Division;
  qos: at_least_once;
  publish: calc.use;
  subscribe: calc.use;
}
`;

/** A temp directory holding calc.midl; pass the returned path as `--schema`. */
export function calcProject(): string {
  return `${tempProject({ 'calc.midl': CALC_SCHEMA })}/calc.midl`;
}
