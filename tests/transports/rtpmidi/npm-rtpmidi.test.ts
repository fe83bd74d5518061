/**
 * Interop with a third-party AppleMIDI implementation, npm `rtpmidi` 1.0.0, on 127.0.0.1: it invites us
 * and we invite it; a note and a SysEx each way. Its quirks (environment.md): sendMessage needs an
 * explicit time, it drops what it is given before its first clock sync, it picks the socket it answers
 * from by the parity of our port.
 */
import { createRequire } from 'node:module';
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { Midi1Port } from '../../../runtime/transports/midi1-port.ts';
import { connectRtpMidi, listenRtpMidi } from '../../../runtime/transports/rtpmidi/connect.ts';

interface NpmStream {
  latency: number | null;
  isConnected: boolean;
}
interface NpmSession {
  readonly startTime: number;
  now(): number;
  start(): void;
  end(callback: () => void): void;
  connect(rinfo: { address: string; port: number }): void;
  getStreams(): NpmStream[];
  sendMessage(comexTime: number, bytes: number[]): void;
  on(event: 'ready', listener: () => void): void;
  on(event: 'message', listener: (deltaTime: number, message: Buffer) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
}
const rtpmidi = createRequire(import.meta.url)('rtpmidi') as {
  Session: new (port: number, localName: string, bonjourName: string, ssrc?: number, published?: boolean) => NpmSession;
  logger: { level: string };
};
// Its info log prints every session step; warnings and errors still show.
rtpmidi.logger.level = 'warn';

const NOTE = [0x90, 0x3c, 0x64];
const SYSEX = [0xf0, 0x7d, 0x01, 0x02, 0x03, 0x7f, 0xf7];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An even control port with port + 1 free too: npm rtpmidi binds both on 0.0.0.0. */
async function freeEvenPair(): Promise<number> {
  for (;;) {
    const port = 20000 + 2 * Math.floor(Math.random() * 10000);
    const sockets = [createSocket('udp4'), createSocket('udp4')];
    const ok = await Promise.all(
      sockets.map(
        (s, i) =>
          new Promise<boolean>((resolve) => {
            s.once('error', () => resolve(false));
            s.bind(port + i, '0.0.0.0', () => resolve(true));
          }),
      ),
    );
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => (ok.every(Boolean) ? s.close(() => resolve()) : (s.close(), resolve())))));
    if (ok.every(Boolean)) return port;
  }
}

async function startNpm(name: string): Promise<{ session: NpmSession; port: number; got: number[][]; errors: Error[] }> {
  const port = await freeEvenPair();
  const session = new rtpmidi.Session(port, name, name, undefined, false);
  const got: number[][] = [];
  const errors: Error[] = [];
  session.on('message', (_delta, message) => got.push([...message]));
  session.on('error', (err) => errors.push(err));
  await new Promise<void>((resolve) => {
    session.on('ready', resolve);
    session.start();
  });
  cleanups.push(() => new Promise((resolve) => session.end(resolve)));
  return { session, port, got, errors };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function exchange(npm: Awaited<ReturnType<typeof startNpm>>, port: Midi1Port): Promise<void> {
  const ours: number[][] = [];
  port.onMessage((m) => ours.push([...m]));
  // It drops what it sends or is given before its own first clock sync.
  await until(() => npm.session.getStreams().some((s) => s.isConnected && s.latency !== null), 10_000, 'npm rtpmidi to finish its first clock sync');
  npm.session.sendMessage(npm.session.startTime + npm.session.now(), NOTE);
  npm.session.sendMessage(npm.session.startTime + npm.session.now(), SYSEX);
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
