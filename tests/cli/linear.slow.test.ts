import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { MIDL_BIN, removeTempProjects, stackTraceLines, tempProject } from '../helpers/cli.ts';
import { expectProportional, timedAsync } from '../helpers/linear.ts';

/**
 * Issue 10, item 9: the CLI is linear in its input. Each case runs a real `midl` on a 10 MB input and on
 * the same kind of input at 1 MB; the start-up (2-3 s of CPU) is part of both, so the ratio is loose but
 * a quadratic cost still fails it. Before the fixes, `check` of 200,000 errors died with RangeError
 * (`all.push(...diagnostics)`) after hours of "did you mean" (every unknown name against every
 * declaration); `ump unpack` of 130,000 words died the same way (`push(...tokens)`).
 */
afterAll(removeTempProjects);

/** Output kept from each stream: its end, where the summary is. */
const KEEP = 64 * 1024;

interface Run {
  readonly code: number | null;
  readonly stdoutBytes: number;
  readonly stdoutTail: string;
  readonly stderrBytes: number;
  readonly stderrTail: string;
}

/** Runs midl with `input` on stdin; output is counted and its tail kept (it can be far larger than memory wants). */
function midl(args: readonly string[], cwd: string, input = ''): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [MIDL_BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    const streams = { stdout: { bytes: 0, tail: '' }, stderr: { bytes: 0, tail: '' } };
    for (const name of ['stdout', 'stderr'] as const) {
      child[name].setEncoding('utf8');
      child[name].on('data', (chunk: string) => {
        const s = streams[name];
        s.bytes += Buffer.byteLength(chunk);
        s.tail = (s.tail + chunk).slice(-KEEP);
      });
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({
        code,
        stdoutBytes: streams.stdout.bytes,
        stdoutTail: streams.stdout.tail,
        stderrBytes: streams.stderr.bytes,
        stderrTail: streams.stderr.tail,
      });
    });
    child.stdin.on('error', () => undefined); // a child that exits before reading all of stdin is judged by its exit
    child.stdin.end(input);
  });
}

/** Runs both sizes, asserts proportion; returns the big run. */
async function linearRuns(small: () => Promise<Run>, big: () => Promise<Run>, limitMs?: number): Promise<Run> {
  const s = await timedAsync(small);
  const b = await timedAsync(big);
  // The process start-up is in both; at least 3 s of it is taken as noise.
  expectProportional(s.ms, b.ms, 3_000, limitMs);
  expect(stackTraceLines(b.value.stderrTail)).toEqual([]);
  return b.value;
}

describe('the CLI is linear in its input (10 MB of each kind)', () => {
  it('midl check: 200,000 unknown types among 200,000 structs, every one reported', { timeout: 300_000 }, async () => {
    const schema = (n: number): string => {
      const lines = ['package huge.errors;', 'version "1.0.0";'];
      for (let i = 0; i < n; i++) lines.push(`struct Record${i} { value: Missing${i} @1; }`);
      return `${lines.join('\n')}\n`;
    };
    const dir = tempProject({ 'small.midl': schema(20_000), 'big.midl': schema(200_000) });
    const big = await linearRuns(
      () => midl(['check', 'small.midl'], dir),
      () => midl(['check', 'big.midl'], dir),
      // 200,000 diagnostics with code frames are 45 MB of output: more than the usual 10 s here.
      30_000,
    );
    expect(big.code).toBe(1);
    expect(big.stderrTail).toContain("error[MIDL1203]: unknown type 'Missing199999'");
    expect(big.stderrTail).toMatch(/200000 errors, 0 warnings\n$/);
  });

  it('midl check: a package name of 200,000 dotted segments', { timeout: 300_000 }, async () => {
    const schema = (segments: number): string => `package ${Array.from({ length: segments }, (_, i) => `segment${i}`).join('.')};\nversion "1.0.0";\n`;
    const dir = tempProject({ 'small.midl': schema(20_000), 'big.midl': schema(200_000) });
    const big = await linearRuns(
      () => midl(['check', 'small.midl'], dir),
      () => midl(['check', 'big.midl'], dir),
    );
    expect(big.code).toBe(0);
    expect(big.stderrTail).toBe('ok: 1 file checked, no problems\n');
  });

  it('midl ump unpack: 10 MB of words on stdin, one message per word', { timeout: 300_000 }, async () => {
    const words = (n: number): string => '20903C64 '.repeat(n);
    const dir = tempProject();
    const big = await linearRuns(
      () => midl(['ump', 'unpack'], dir, words(110_000)),
      () => midl(['ump', 'unpack'], dir, words(1_100_000)),
    );
    expect(big.code).toBe(0);
    const line = '{"kind":"unknown","mt":2,"words":["20903c64"]}\n';
    expect(big.stdoutBytes).toBe(1_100_000 * line.length);
    expect(big.stdoutTail.endsWith(line)).toBe(true);
    expect(big.stderrBytes).toBe(0);
  });

  /** A topic whose payload has a free-form json field, for the payload lines `send` reads. */
  const JSON_SCHEMA = `package linear.json;
version "1.0.0";
struct Doc { data: json @1; note: string @2; }
topic linear/doc { payload: Doc; qos: at_least_once; }
`;
  /** One payload line of about `size` characters, whose last key repeats the first: a duplicate at the very end. */
  const bigLine = (size: number, last: string): string => {
    const entries: string[] = [];
    let length = 0;
    for (let i = 0; length < size; i++) {
      const e = `"key${i}":[${i},"${'v'.repeat(40)}"]`;
      entries.push(e);
      length += e.length + 1;
    }
    return `{"note":"big","data":{${entries.join(',')},${last}}}\n`;
  };
  const cases: readonly { what: string; last: string; expected: RegExp }[] = [
    {
      what: 'a duplicate key at its end',
      last: '"key0":1',
      expected: /big\.jsonl:1: not JSON: \/data\/key0: key "key0" appears twice in one object \(at offset \d+\)/,
    },
    {
      what: 'a 400-digit number at its end',
      last: `"n":${'9'.repeat(400)}`,
      expected: /big\.jsonl:1: not JSON: \/data\/n: 9{64}… is beyond the range of a 64-bit float/,
    },
    {
      what: 'a __proto__ key in the json field',
      last: '"__proto__":{"admin":true}',
      expected: /big\.jsonl:1: not a linear\.json\.Doc: \/data\/__proto__: key "__proto__" is not accepted in a json value/,
    },
  ];
  for (const c of cases) {
    it(`midl send: a 10 MB payload line with ${c.what} is refused where it is, nothing sent`, { timeout: 300_000 }, async () => {
      const dir = tempProject({ 'doc.midl': JSON_SCHEMA, 'small.jsonl': bigLine(1_000_000, c.last), 'big.jsonl': bigLine(10_000_000, c.last) });
      // Port 9 (discard): nothing listens, and nothing may be sent anyway: payloads are checked first.
      const send = (file: string) => midl(['send', '--to', 'udp://127.0.0.1:9', '--schema', 'doc.midl', '--topic', 'linear/doc', '--file', file], dir);
      const big = await linearRuns(
        () => send('small.jsonl'),
        () => send('big.jsonl'),
      );
      expect(big.code).toBe(1);
      expect(big.stderrTail).toMatch(c.expected);
      expect(big.stderrTail).toContain('nothing sent: 1 invalid payload for linear/doc');
    });
  }
});
