/**
 * Interop with a third-party AppleMIDI implementation, npm `rtpmidi` 1.0.0, on 127.0.0.1: it invites us
 * and we invite it; a note and a SysEx each way. Its quirks (environment.md): sendMessage needs an
 * explicit time, it drops what it is given before its first clock sync, it picks the socket it answers
 * from by the parity of our port.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Midi1Port } from '../../../runtime/transports/midi1-port.ts';
import { connectRtpMidi, listenRtpMidi } from '../../../runtime/transports/rtpmidi/connect.ts';
import { startNpmRtpMidi, type NpmPeer } from '../../helpers/npm-rtpmidi.ts';
import { until as poll } from '../../helpers/until.ts';

const NOTE = [0x90, 0x3c, 0x64];
const SYSEX = [0xf0, 0x7d, 0x01, 0x02, 0x03, 0x7f, 0xf7];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startNpm(name: string): Promise<NpmPeer> {
  const npm = await startNpmRtpMidi(name);
  cleanups.push(() => npm.end());
  return npm;
}

const until = (cond: () => boolean, ms: number, what: string): Promise<void> => poll(cond, ms, what, 20);

async function exchange(npm: NpmPeer, port: Midi1Port): Promise<void> {
  const ours: number[][] = [];
  port.onMessage((m) => ours.push([...m]));
  // It drops what it sends or is given before its own first clock sync.
  await npm.synced(10_000);
  npm.send(NOTE);
  npm.send(SYSEX);
  port.send(Uint8Array.from(NOTE));
  port.send(Uint8Array.from(SYSEX));
  await until(() => ours.length >= 2 && npm.got.length >= 2, 5000, 'the note and the SysEx both ways');
  expect(ours).toEqual([NOTE, SYSEX]);
  expect(npm.got).toEqual([NOTE, SYSEX]);
  expect(npm.errors).toEqual([]);
}

describe('RTP-MIDI with npm rtpmidi 1.0.0', () => {
  it('it invites our listener: a note and a SysEx each way', async () => {
    const errors: unknown[] = [];
    const listener = await listenRtpMidi('rtpmidi://127.0.0.1:0', { name: 'midl listener', onError: (e) => errors.push(e) });
    cleanups.push(() => listener.close());
    const opened = new Promise<Midi1Port>((resolve) => listener.onSession(resolve));
    const npm = await startNpm('npm initiator');
    npm.session.connect({ address: '127.0.0.1', port: Number(/:(\d+)$/.exec(listener.url)![1]) });
    const port = await opened;
    expect(port.peerName).toBe('npm initiator');
    await exchange(npm, port);
    await port.close();
    await until(() => npm.session.getStreams().length === 0, 3000, 'npm rtpmidi to take our BY');
    expect(errors).toEqual([]);
  }, 20_000);

  it('we invite its listener: a note and a SysEx each way', async () => {
    const errors: unknown[] = [];
    const npm = await startNpm('npm listener');
    const port = await connectRtpMidi(`rtpmidi://127.0.0.1:${npm.port}`, { name: 'midl initiator', onError: (e) => errors.push(e), timeoutMs: 10_000 });
    cleanups.push(() => port.close());
    expect(port.peerName).toBe('npm listener');
    await exchange(npm, port);
    await port.close();
    await until(() => npm.session.getStreams().length === 0, 3000, 'npm rtpmidi to take our BY');
    expect(errors).toEqual([]);
  }, 20_000);
});
