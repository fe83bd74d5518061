import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadSchema } from '../../cli/schema-runtime.ts';
import type { TransportListener } from '../../runtime/transports/index.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { CLI_TEST_TIMEOUT_MS, busWarnings, removeTempProjects, runMidl, stackTraceLines, type CliResult } from '../helpers/cli.ts';
import { calcProject, startCalcAuthority, type CalcAuthority } from '../helpers/calc-schema.ts';
import { killAll, startMidl } from '../helpers/midl-process.ts';
import { until } from '../helpers/until.ts';

/**
 * `midl call` against a Bus authority of the test's own on a real UDP socket (`midl peer` serves no
 * requests): one request per spawned process, its reply on stdout and the exit code saying how it went.
 * Usage errors, which need no peer, are in call.test.ts.
 */

const busErrors = collectBusErrors();
let schemaPath = '';
// Undefined until beforeAll made them, so that afterAll can close what exists when beforeAll failed half-way.
let calc: CalcAuthority | undefined;
let listener: TransportListener | undefined;
const authority = (): CalcAuthority => calc!;

beforeAll(async () => {
  schemaPath = calcProject();
  const schema = await loadSchema(schemaPath);
  expect(schema).toBeDefined();
  // A client called "outsider" gets a capability no topic needs: its request is refused before it leaves.
  calc = startCalcAuthority(schema!, busErrors.for('authority'));
  listener = await calc.listen('udp://127.0.0.1:0');
}, CLI_TEST_TIMEOUT_MS);

afterEach(() => killAll());

afterAll(async () => {
  await calc?.close();
  removeTempProjects();
});

const peerUrl = (): string => listener!.url;

const call = (topicAddress: string, json: string, ...more: string[]): Promise<CliResult> =>
  runMidl(['call', '--to', peerUrl(), '--schema', schemaPath, '--topic', topicAddress, '--json', json, ...more]);

/** Every run: no stack trace, no bus warning. */
const clean = (r: CliResult): void => {
  expect(stackTraceLines(r.stderr)).toEqual([]);
  expect(busWarnings(r.stderr)).toEqual([]);
};

describe('midl call', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('prints the typed reply as one JSON line (u64 as a string) and exits 0; the address parameters reach the responder', async () => {
    const r = await call('calc/divide/alu', JSON.stringify({ a: String(2n ** 63n), b: '2' }));
    clean(r);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${JSON.stringify({ q: String(2n ** 62n), unit: 'alu' })}\n`);
    expect(r.code).toBe(0);
    expect(authority().divisions.at(-1)).toEqual({
      value: { a: 2n ** 63n, b: 2n },
      replyTo: expect.stringMatching(/^calc\/divide\/alu\/reply\/\d+$/) as unknown,
    });
  });

  it('an error reply: exit 1, its name, number and message on stderr, nothing on stdout', async () => {
    const r = await call('calc/divide/alu', '{"a":"1","b":"0"}');
    clean(r);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: remote: DIVIDE_BY_ZERO (7): the divisor is zero\n');
    expect(r.code).toBe(1);
  });

  it('an error reply with a detail and a retry hint: both told on the lines after it', async () => {
    const r = await call('calc/divide/alu', '{"a":"7","b":"0"}');
    clean(r);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'error: remote: DIVIDE_BY_ZERO (7): the divisor is zero (7 / 0)\ndetail: {"dividend":"7","field":"b"}\nhelp: the responder says a retry may succeed after 1500 ms\n',
    );
    expect(r.code).toBe(1);
  });

  it('nobody serves the topic: exit 1 no-responder', async () => {
    const r = await call('calc/unserved', '{"a":"1","b":"1"}');
    clean(r);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: no-responder: calc\/unserved: nobody serves this topic\n$/);
    expect(r.code).toBe(1);
  });

  it('no reply within --timeout: exit 1 timeout', async () => {
    const started = Date.now();
    const r = await call('calc/stall', '{"a":"1","b":"1"}', '--timeout', '300');
    clean(r);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: timeout: calc\/stall\/reply\/\d+: no reply within 300 ms\n$/);
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('Ctrl-C while waiting: exit 1, one line saying so, the session closed at once', async () => {
    const before = authority().stalled();
    const linksBefore = authority().links.length;
    const p = startMidl(['call', '--to', peerUrl(), '--schema', schemaPath, '--topic', 'calc/stall', '--json', '{"a":"1","b":"1"}', '--timeout', '60000']);
    await until(() => authority().stalled() > before, 60_000, 'the request to reach the responder');
    const sent = Date.now();
    expect(await p.stop('SIGINT')).toBe(1);
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(p.stdout()).toBe('');
    expect(p.stderr()).toBe('error: interrupted (SIGINT) before a reply came\n');
    // Down well within the link's 5 s silence timeout: the command said Bye.
    expect(authority().links.length).toBe(linksBefore + 1);
    await until(() => !authority().links.at(-1)!.isOpen, 3000, "the authority's link to end");
  });

  it('a refusal: a session without the publish capability exits 1 forbidden, and the request never reaches the responder', async () => {
    const before = authority().divisions.length;
    const r = await call('calc/divide/alu', '{"a":"4","b":"2"}', '--name', 'outsider');
    clean(r);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: forbidden: calc\/divide\/alu: outsider may not publish/);
    expect(r.code).toBe(1);
    expect(authority().divisions.length).toBe(before);
  });
});

describe('midl send to a topic that answers requests', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('publishes (the responder runs, asked for no reply) and says on stderr that midl call makes the request', async () => {
    const before = authority().divisions.length;
    const r = await runMidl(['send', '--to', peerUrl(), '--schema', schemaPath, '--topic', 'calc/divide/alu', '--json', '{"a":"9","b":"3"}']);
    clean(r);
    expect(r.stderr).toContain(
      'note: calc/divide/alu answers requests with a calc.test.Quotient; send publishes without asking for the reply and shows none (midl call --to … --topic calc/divide/alu --json … makes a request and prints the reply)\n',
    );
    expect(r.stderr).toContain('calc/divide/alu → ' + peerUrl() + ': 1/1 delivered');
    expect(r.code).toBe(0);
    expect(authority().divisions.slice(before)).toEqual([{ value: { a: 9n, b: 3n }, replyTo: undefined }]);
  });

  it('says nothing of the kind for a topic without a reply', async () => {
    const r = await runMidl(['send', '--to', peerUrl(), '--schema', schemaPath, '--topic', 'calc/log', '--json', '{"a":"1","b":"1"}']);
    clean(r);
    expect(r.stderr).not.toContain('note:');
    expect(r.code).toBe(0);
  });
});
