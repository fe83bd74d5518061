import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadSchema } from '../../cli/schema-runtime.ts';
import { ALL_CAPABILITIES, NetworkBus, RemoteError, type AnyTopicDescriptor } from '../../runtime/index.ts';
import { transports, type TransportListener } from '../../runtime/transports/index.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { calcProject } from '../helpers/calc-schema.ts';
import { CLI_TEST_TIMEOUT_MS, busWarnings, removeTempProjects, runMidl, stackTraceLines, tempProject, type CliResult } from '../helpers/cli.ts';
import { killAll, startMidl, type MidlProcess } from '../helpers/midl-process.ts';
import { startNpmRtpMidi, type NpmPeer } from '../helpers/npm-rtpmidi.ts';
import { until } from '../helpers/until.ts';

/**
 * The operator commands over RTP-MIDI: a real `midl peer --listen rtpmidi://127.0.0.1:0` (the bundled
 * idl/ schemas, from the repo's midl.yaml) takes raw MIDI from `midl midi send` and from a third-party
 * AppleMIDI peer (npm rtpmidi), and bus messages from `midl send` and `midl replay`, which `midl tail`
 * sees through it; `midl call` gets its reply from a
 * responder served over an RTP-MIDI listener; `midl midi send` reaches npm rtpmidi's listener.
 */

const NOTE = [0x90, 0x3c, 0x64];
const SYSEX = [0xf0, 0x7e, 0x7f, 0x06, 0x01, 0xf7];
const hex = (bytes: readonly number[]): string => bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');

const busErrors = collectBusErrors();
let peer: (MidlProcess & { url: string }) | undefined;
const npmPeers: NpmPeer[] = [];
/** The peer's --record file. */
let record = '';

beforeAll(async () => {
  record = join(tempProject(), 'record.jsonl');
  const started = startMidl(['peer', '--listen', 'rtpmidi://127.0.0.1:0', '--record', record]);
  const m = await started.waitFor(/listening on (rtpmidi:\/\/127\.0\.0\.1:\d+)/, 60_000);
  peer = Object.assign(started, { url: m[1]! });
}, CLI_TEST_TIMEOUT_MS);

afterEach(async () => {
  for (const npm of npmPeers.splice(0)) await npm.end();
  await killAll([peer]);
});

afterAll(async () => {
  if (peer) {
    expect(await peer.stop()).toBe(0);
    expect(stackTraceLines(peer.stderr())).toEqual([]);
    expect(busWarnings(peer.stderr())).toEqual([]);
  }
  await killAll();
  removeTempProjects();
});

/** Every run: no stack trace, no bus warning. */
const clean = (r: CliResult): void => {
  expect(stackTraceLines(r.stderr)).toEqual([]);
  expect(busWarnings(r.stderr)).toEqual([]);
};

/** The peer's stdout lines from line `from` on, once there are `n` of them. */
async function peerLines(from: number, n: number): Promise<string[]> {
  const lines = await peer!.waitForLines(from + n, 30_000);
  return lines.slice(from);
}

async function npmSession(name: string): Promise<NpmPeer> {
  const npm = await startNpmRtpMidi(name);
  npmPeers.push(npm);
  return npm;
}

describe('midl over RTP-MIDI', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('midl midi send: a note and a SysEx reach midl peer, printed as {"midi":…} lines; exit 0', async () => {
    const from = peer!.lines().length;
    const note = await runMidl(['midi', 'send', '--to', peer!.url, '90', '3C', '64']);
    clean(note);
    expect(note.stderr).toBe(`sent 1 MIDI message to ${peer!.url}\n`);
    expect(note.code).toBe(0);
    const sysex = await runMidl(['midi', 'send', '--to', peer!.url, 'F0 7E 7F 06 01 F7']);
    clean(sysex);
    expect(sysex.code).toBe(0);
    expect(await peerLines(from, 2)).toEqual([JSON.stringify({ midi: '90 3c 64' }), JSON.stringify({ midi: 'f0 7e 7f 06 01 f7' })]);
  });

  it('midl send: a message on a topic of idl/ is printed by the peer and seen by midl tail; midl replay sends the recording again', async () => {
    const tail = startMidl(['tail', '--from', peer!.url, '--count', '1', 'llm/**']);
    await tail.waitFor(/subscribed to llm\/\*\* on/, 30_000);
    const from = peer!.lines().length;
    const value = { corr: 'rtp-1', tool: 'echo', arguments: { text: 'over RTP-MIDI' } };
    const sent = await runMidl(['send', '--to', peer!.url, '--topic', 'llm/tool.invoke', '--json', JSON.stringify(value)]);
    clean(sent);
    expect(sent.stderr).toContain('1/1 delivered');
    expect(sent.code).toBe(0);
    const [line] = await peerLines(from, 1);
    const printed = JSON.parse(line!) as { session: number };
    expect(printed).toMatchObject({ topic: 'llm/tool.invoke', address: 'llm/tool.invoke', qos: 'at_least_once', value });
    expect(await tail.exited).toBe(0);
    expect(JSON.parse(tail.lines()[0]!)).toMatchObject({ address: 'llm/tool.invoke', value });
    expect(stackTraceLines(tail.stderr())).toEqual([]);

    // The peer's --record line of it, replayed over RTP-MIDI: the same message again, in a new session.
    const recorded = readFileSync(record, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => (JSON.parse(l) as { address?: string }).address === 'llm/tool.invoke');
    expect(recorded).toHaveLength(1);
    const replayFile = join(dirname(record), 'tool-invoke.jsonl');
    writeFileSync(replayFile, `${recorded[0]}\n`);
    const again = await runMidl(['replay', replayFile, '--to', peer!.url]);
    clean(again);
    expect(again.stderr).toContain('1/1 delivered');
    expect(again.code).toBe(0);
    const [replayed] = await peerLines(from + 1, 1);
    const second = JSON.parse(replayed!) as { session: number };
    expect(second).toMatchObject({ address: 'llm/tool.invoke', value });
    expect(second.session).not.toBe(printed.session);
  });

  it('midl call: request and reply, and an error reply, with a responder served on an RTP-MIDI listener', async () => {
    const schemaPath = calcProject();
    const loaded = (await loadSchema(schemaPath))!;
    expect(loaded).toBeDefined();
    const topic = (address: string): AnyTopicDescriptor => loaded.topics.find((t) => t.address === address)!;
    const authority = new NetworkBus({
      name: 'calc authority',
      topics: loaded.topics,
      intents: loaded.intents,
      capabilities: ALL_CAPABILITIES,
      onError: busErrors.for('authority'),
    });
    let listener: TransportListener | undefined;
    try {
      authority.serve(topic('calc/divide/{unit}'), (value, delivery) => {
        const d = value as { a: bigint; b: bigint };
        if (d.b === 0n) throw new RemoteError('DIVIDE_BY_ZERO');
        return { q: d.a / d.b, unit: delivery.params['unit']! };
      });
      listener = await transports.listen('rtpmidi://127.0.0.1:0', { name: 'calc authority' });
      listener.onSession((link) => authority.accept(link));
      const call = (json: string): Promise<CliResult> =>
        runMidl(['call', '--to', listener!.url, '--schema', schemaPath, '--topic', 'calc/divide/alu', '--json', json]);

      const ok = await call(JSON.stringify({ a: String(2n ** 63n), b: '2' }));
      clean(ok);
      expect(ok.stderr).toBe('');
      expect(ok.stdout).toBe(`${JSON.stringify({ q: String(2n ** 62n), unit: 'alu' })}\n`);
      expect(ok.code).toBe(0);

      const refused = await call('{"a":"1","b":"0"}');
      clean(refused);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toBe('error: remote: DIVIDE_BY_ZERO (7): the divisor is zero\n');
      expect(refused.code).toBe(1);
    } finally {
      await listener?.close();
      await authority.close();
    }
  });

  it('npm rtpmidi invites midl peer: its notes, CC and SysEx are printed as {"midi":…} lines', async () => {
    const from = peer!.lines().length;
    const npm = await npmSession('npm initiator');
    npm.session.connect({ address: '127.0.0.1', port: Number(/:(\d+)$/.exec(peer!.url)![1]) });
    await peer!.waitFor(/session: rtpmidi:\/\/127\.0\.0\.1:\d+ "npm initiator"/, 10_000);
    // It drops what it sends before its own first clock sync.
    await npm.synced(10_000);
    // A second note on the same channel may go with running status: the peer prints it whole.
    const more = [
      [0x90, 0x3e, 0x64],
      [0xb0, 0x07, 0x40],
    ];
    for (const m of [NOTE, SYSEX, ...more]) npm.send(m);
    expect(await peerLines(from, 4)).toEqual([NOTE, SYSEX, ...more].map((m) => JSON.stringify({ midi: hex(m) })));
    expect(npm.errors).toEqual([]);
  });

  it('midl midi send invites npm rtpmidi: it receives the note and the SysEx', async () => {
    const npm = await npmSession('npm listener');
    const url = `rtpmidi://127.0.0.1:${npm.port}`;
    const sent = await runMidl(['midi', 'send', '--to', url, '90 3C 64', 'F0 7E 7F 06 01 F7']);
    clean(sent);
    expect(sent.stderr).toBe(`sent 2 MIDI messages to ${url}\n`);
    expect(sent.code).toBe(0);
    await until(() => npm.got.length >= 2, 5_000, 'npm rtpmidi to receive the note and the SysEx', 20);
    expect(npm.got).toEqual([NOTE, SYSEX]);
    expect(npm.errors).toEqual([]);
  });
});
