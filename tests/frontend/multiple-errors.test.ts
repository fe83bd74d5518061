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
    expect(got[0]).toBe('error MIDL1107 7:35');
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

/** What a newcomer writes first: a block left open, a `#` comment, a quoted keyword value. */
describe('first mistakes: one diagnostic each, at its place, and the rest of the file still checked', () => {
  const full = (text: string) => {
    const result = compileText(text);
    expect(diagnosticProblems(result.diagnostics)).toEqual([]);
    return result.diagnostics;
  };

  it.each([
    [
      'a topic',
      'topic farm/job.submit {\n  payload: Job;\n  qos: at_least_once;\n}',
      'topic farm/job.submit {\n  payload: Job;\n  qos: at_least_once;\n',
      '23:22',
      '21:23',
    ],
    [
      'a struct',
      'struct Worker {\n  host: string @1 (format = "hostname");\n  current?: Job @2;\n}',
      'struct Worker {\n  host: string @1 (format = "hostname");\n  current?: Job @2;\n',
      '12:20',
      '10:15',
    ],
  ])("a missing '}' of %s before the next declaration is one error where the block should close", (_what, from, to, at, opened) => {
    const text = mutate(CORRECT, [
      [from, to],
      ['payload: Worker;', 'payload: Workr;'],
    ]);
    const diags = full(text);
    expect(summary(text)).toEqual([`error MIDL1107 ${at}`, 'error MIDL1203 31:12']);
    const [first] = diags;
    expect(first?.help).toMatch(/^add '}' to close `(topic farm\/job\.submit|struct Worker)`/);
    const note = first?.notes?.[0];
    expect(note?.span && `${note.span.file.position(note.span.start).line}:${note.span.file.position(note.span.start).column}`).toBe(opened);
  });

  it.each([
    ['an enum', 'enum Color {\n  RED = 1;\n  GREEN = 2;\n', '7:13'],
    ['an error set', 'errors FarmError {\n  BUSY = 1 "the farm is busy";\n', '6:31'],
    ['a union', 'union Ref {\n  job: Job @1;\n', '6:15'],
    ['an intent', 'intent farm.cancel {\n  body: Job;\n  http: POST "/cancel";\n  service: farm;\n', '8:17'],
  ])("a missing '}' of %s is reported once, not as members of the block, and the declaration after it is checked", (_what, open, at) => {
    const text = CORRECT.replace('struct Job {', `${open}\nstruct Job {`).replace('payload: Worker;', 'payload: Workr;');
    const lines = summary(text);
    expect(lines[0]).toBe(`error MIDL1107 ${at}`);
    expect(lines.slice(1)).toHaveLength(1);
    expect(lines[1]).toMatch(/^error MIDL1203 /);
    expect(full(text)[0]?.message).toMatch(/^expected '}' to close `(enum Color|errors FarmError|union Ref|intent farm\.cancel)`, found 'struct'$/);
  });

  it("a missing '}' at the end of the file names the block left open", () => {
    const text = CORRECT.replace(/}\n$/, '');
    const diags = full(text);
    expect(summary(text)).toEqual(['error MIDL1107 31:19']);
    expect(diags[0]?.help).toMatch(/^add '}' to close `topic farm\/worker\.status`/);
  });

  it('a keyword used as a member name still continues its block', () => {
    const text = mutate(CORRECT, [
      ['  seconds: f64 @3;\n', '  seconds: f64 @3;\n  topic: string @4;\n  version?: string @5;\n'],
      ['topic farm/frame.done {\n  payload: Frame;\n', 'topic farm/frame.done {\n  payload: Frame;\n  publish { }\n'],
    ]);
    // publish { } is a property block the checker judges; what matters is that no syntax error appears.
    expect(summary(text).filter((l) => / MIDL11/.test(l))).toEqual([]);
  });

  it("each '#' comment line is one diagnostic saying to use //, and the rest of the file is still checked", () => {
    const text = mutate(CORRECT, [
      ['struct Job {\n', '# a job of the farm\nstruct Job {\n  # identity: uuid @9;\n'],
      ['number: u32 @2;', 'number: u32 @2; # the frame number'],
      ['payload: Worker;', 'payload: Workr;'],
    ]);
    const diags = full(text);
    expect(summary(text)).toEqual(['error MIDL1008 5:1', 'error MIDL1008 7:3', 'error MIDL1008 19:19', 'error MIDL1203 33:12']);
    expect(diags[0]?.message).toBe("'#' does not start a comment in midl; use '//'");
    expect(diags[0]?.help).toBe('write `// a job of the farm`');
    expect(diags[1]?.help).toBe('write `// identity: uuid @9;`');
  });

  it.each([
    ['qos: "exactly_once";', 'remove the quotes: `qos: exactly_once;`'],
    ['qos: "exactly-once";', 'remove the quotes and write one of at_most_once, at_least_once, exactly_once'],
    ['lane: "flex";', 'remove the quotes: `lane: flex;`'],
  ])('a quoted keyword value (%s) gets a help to remove the quotes', (line, help) => {
    const text = mutate(CORRECT, [['qos: at_least_once;', line]]);
    const diags = full(text);
    expect(summary(text)).toEqual(['error MIDL1407 23:' + String(line.indexOf('"') + 3)]);
    expect(diags[0]?.help).toBe(help);
  });
});

describe('stray closing braces', () => {
  it("a '}' after each of 3,000 declarations is one error each, not a stack overflow", () => {
    const text = 'package many;\nversion "1.0.0";\n' + Array.from({ length: 3000 }, (_, i) => `struct S${i} { x: u8 @1; }\n}\n`).join('');
    const lines = summary(text);
    expect(lines).toHaveLength(3000);
    expect(lines[0]).toBe('error MIDL1102 4:1');
    expect(new Set(lines.map((l) => l.split(' ')[1]))).toEqual(new Set(['MIDL1102']));
  });
});
