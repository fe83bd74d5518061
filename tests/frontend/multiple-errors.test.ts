import { describe, expect, it } from 'vitest';
import { compileText, diagnosticProblems, jsonOf } from '../helpers/compile.ts';

/**
 * One file with several independent mistakes: each must be reported once, at its own line:column, and
 * nothing else (no follow-on errors), so the number of errors equals the number of mistakes.
 */
const CORRECT = `/// Render farm: jobs, workers and frames.
package render.farm;
version "0.3.0";

struct Job {
  id: uuid @1;
  frames: u32[] @2 (minItems = 1);
}

struct Worker {
  host: string @1 (format = "hostname");
  current?: Job @2;
}

struct Frame {
  job: uuid @1;
  number: u32 @2;
  seconds: f64 @3;
}

topic farm/job.submit {
  payload: Job;
  qos: at_least_once;
}

topic farm/frame.done {
  payload: Frame;
}

topic farm/worker.status {
  payload: Worker;
}
`;

/** Applies `[from, to]` replacements, each of which must match exactly once. */
function mutate(text: string, edits: readonly (readonly [string, string])[]): string {
  let out = text;
  for (const [from, to] of edits) {
    expect(out.split(from).length - 1, `'${from}' must occur once`).toBe(1);
    out = out.replace(from, to);
  }
  return out;
}

const summary = (text: string) => {
  const result = compileText(text);
  expect(diagnosticProblems(result.diagnostics)).toEqual([]);
  return jsonOf(result.diagnostics).map((d) => `${d.severity} ${d.code} ${d.line}:${d.column}`);
};

describe('several independent mistakes in one file', () => {
  it('the correct file has no diagnostics', () => {
    expect(summary(CORRECT)).toEqual([]);
  });

  it('deleted opening brace, misspelled type, reused field number, duplicate topic: four errors at their places', () => {
    const text = mutate(CORRECT, [
      ['struct Job {', 'struct Job'],
      ['current?: Job @2', 'current?: Jobb @2'],
      ['seconds: f64 @3', 'seconds: f64 @2'],
      ['topic farm/worker.status', 'topic farm/job.submit'],
    ]);
    expect(summary(text)).toEqual([
      'error MIDL1101 5:11', // after `struct Job`: expected '{'
      'error MIDL1203 12:13', // Jobb
      'error MIDL1301 18:17', // @2 again
      'error MIDL1409 30:7', // farm/job.submit again
    ]);
  });

  it('deleted closing brace, misspelled type, reused field number, duplicate topic: four errors at their places', () => {
    const text = mutate(CORRECT, [
      ['  frames: u32[] @2 (minItems = 1);\n}', '  frames: u32[] @2 (minItems = 1);\n'],
      ['current?: Job @2', 'current?: Jobb @2'],
      ['seconds: f64 @3', 'seconds: f64 @2'],
      ['topic farm/worker.status', 'topic farm/job.submit'],
    ]);
    const got = summary(text);
    expect(got).toHaveLength(4);
    // The missing '}' is reported right after Job's last field, where it belongs; the rest keep their lines.
    expect(got[0]).toBe('error MIDL1101 7:35');
    expect(got.slice(1)).toEqual(['error MIDL1203 12:13', 'error MIDL1301 18:17', 'error MIDL1409 30:7']);
  });

  it("a deleted closing brace is reported as a missing '}'", () => {
    const text = mutate(CORRECT, [['  frames: u32[] @2 (minItems = 1);\n}', '  frames: u32[] @2 (minItems = 1);\n']]);
    const [first] = compileText(text).diagnostics;
    expect(first?.message).toContain("'}'");
  });

  it('mistakes in header, types, constraints and topics are all reported, each once', () => {
    const text = mutate(CORRECT, [
      ['version "0.3.0";', 'version "0.3";'],
      ['(minItems = 1)', '(minLength = 1)'],
      ['format = "hostname"', 'format = "host"'],
      ['payload: Frame;', 'payload: Frames;'],
      ['qos: at_least_once;', 'qos: at_least_once;\n  budget { latency: 5 ms; }'],
    ]);
    expect(summary(text)).toEqual([
      'error MIDL1601 3:9',
      'error MIDL1305 7:21',
      'error MIDL1313 11:29',
      'error MIDL1407 24:21', // `latency: 5 ms`: at the value, with the fix `5ms` in the help line
      'error MIDL1203 28:12',
    ]);
  });
});
