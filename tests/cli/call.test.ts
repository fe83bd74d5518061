import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_TEST_TIMEOUT_MS, busWarnings, removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { calcProject } from '../helpers/calc-schema.ts';

/**
 * `midl call`'s usage errors, found before anything goes on the network: `--to` names a UDP socket of
 * the test's own, which must receive nothing. Requests over a real session are in call.slow.test.ts.
 */

let schemaPath = '';
let socket: Socket | undefined;
let to = '';
const received: Buffer[] = [];

beforeAll(async () => {
  schemaPath = calcProject();
  const s = createSocket('udp4');
  socket = s;
  s.on('message', (m) => received.push(m));
  await new Promise<void>((done) => s.bind(0, '127.0.0.1', done));
  to = `udp://127.0.0.1:${s.address().port}`;
});

afterAll(() => {
  socket?.close();
  removeTempProjects();
});

describe('midl call usage', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  // Three processes, each 1-3 s of CPU: the --to, --topic and duration checks are the ones send, tail and replay share (tested there).
  it('a topic without a reply says to use midl send, --json is required: exit 2; an invalid value exits 1; nothing is sent', async () => {
    const call = (...args: string[]) => runMidl(['call', '--schema', schemaPath, ...args]);
    const [log, noJson, invalid] = await Promise.all([
      call('--to', to, '--topic', 'calc/log', '--json', '{"a":"1","b":"1"}'),
      call('--to', to, '--topic', 'calc/divide/alu'),
      call('--to', to, '--topic', 'calc/divide/alu', '--json', '{"a":"x","b":"1"}'),
    ]);
    for (const r of [log, noJson, invalid]) {
      expect(stackTraceLines(r.stderr)).toEqual([]);
      expect(busWarnings(r.stderr)).toEqual([]);
      expect(r.stdout).toBe('');
    }
    expect(log.stderr).toBe(
      'error: calc/log has no reply type: nothing answers a request on it; publish on it with midl send --to … --topic calc/log --json …\n',
    );
    expect(log.code).toBe(2);
    expect(noJson.stderr).toContain("error: required option '--json <value>' not specified");
    expect(noJson.code).toBe(2);
    // As for midl send: the value is checked before the peer is invited, and a bad one exits 1.
    expect(invalid.stderr).toMatch(
      /^error: --json: not a calc\.test\.Division: .*\nnothing sent: 1 invalid payload for calc\/divide\/\{unit\} \(calc\.test\.Division\)\n$/,
    );
    expect(invalid.code).toBe(1);
    expect(received).toEqual([]);
  });
});
