/**
 * The npm package `rtpmidi` 1.0.0, a third-party AppleMIDI implementation, as the interop tests drive
 * it. Its quirks (shared/reference/environment.md): sendMessage needs an explicit time, it drops what
 * it sends or is given before its first clock sync, it binds 0.0.0.0 on port and port + 1, and it picks
 * the socket it answers from by the parity of its peer's port.
 */
import { createSocket } from 'node:dgram';
import { createRequire } from 'node:module';
import { until } from './until.ts';

export interface NpmStream {
  latency: number | null;
  isConnected: boolean;
}
export interface NpmSession {
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

/** A started npm rtpmidi session, what it received and the errors it emitted. */
export interface NpmPeer {
  readonly session: NpmSession;
  /** Its control port (data on port + 1), even. */
  readonly port: number;
  readonly got: number[][];
  readonly errors: Error[];
  /** Resolves once a stream is connected and through its first clock sync (before that it drops MIDI). */
  synced(ms: number): Promise<void>;
  /** Sends `bytes` now (it needs an explicit time). */
  send(bytes: readonly number[]): void;
  /** Ends the session (a BY to every stream) and closes its sockets. */
  end(): Promise<void>;
}

/** An even control port with port + 1 free too, on 0.0.0.0 where npm rtpmidi binds. */
export async function freeEvenPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
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
  throw new Error('no free even UDP port pair on 0.0.0.0 after 50 tries');
}

/** Starts an npm rtpmidi session named `name` on a free even port pair, unpublished (no mDNS). */
export async function startNpmRtpMidi(name: string): Promise<NpmPeer> {
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
  let ended: Promise<void> | undefined;
  return {
    session,
    port,
    got,
    errors,
    synced: (ms) =>
      until(() => session.getStreams().some((s) => s.isConnected && s.latency !== null), ms, `npm rtpmidi "${name}" to finish its first clock sync`, 20),
    send: (bytes) => session.sendMessage(session.startTime + session.now(), [...bytes]),
    end: () => (ended ??= new Promise<void>((resolve) => session.end(resolve))),
  };
}
