/**
 * A seeded lossy relay for RTP-MIDI (AppleMIDI) sessions: an even front port pair (control, control + 1)
 * whose datagrams go to the target's control and data ports, and whose replies go back, each direction
 * dropping datagrams by a deterministic PRNG (mulberry32, as helpers/udp-relay.ts). An initiator invites
 * `rtpmidi://127.0.0.1:${relay.port}`; the target sees one upstream socket per client socket.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { mulberry32 } from './udp-relay.ts';

export interface RtpMidiRelayOptions {
  /** The listener's control port (data on port + 1). */
  targetPort: number;
  targetHost?: string;
  seed: number;
  /** Probability (0..1) to drop a datagram, per datagram per direction, on both ports. */
  loss: number;
}

export interface RtpMidiRelay {
  /** The even control port clients invite; data is port + 1. */
  readonly port: number;
  stats(): { forwarded: number; dropped: number };
  /** Socket errors seen (a test asserts there were none, or those it provoked). */
  errors(): readonly Error[];
  close(): Promise<void>;
}

/** Client sockets the relay keeps an upstream socket for, per port. */
const MAX_CLIENTS = 16;
/** Tries at finding a free even pair before giving up. */
const MAX_TRIES = 50;

const bind = (socket: Socket, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => resolve(true));
  });

const closeAll = (sockets: readonly Socket[]): Promise<void> =>
  Promise.all(
    sockets.map(
      (s) =>
        new Promise<void>((resolve) => {
          try {
            s.close(() => resolve());
          } catch {
            // Closing a socket whose bind failed throws ERR_SOCKET_DGRAM_NOT_RUNNING: it holds nothing.
            resolve();
          }
        }),
    ),
  ).then(() => undefined);

/** Binds an even port and the next one on 127.0.0.1 (RTP-MIDI wants control even, data = control + 1). */
async function evenPair(): Promise<[Socket, Socket]> {
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    const port = 30000 + 2 * Math.floor(Math.random() * 10000);
    const pair: [Socket, Socket] = [createSocket('udp4'), createSocket('udp4')];
    if ((await bind(pair[0], port)) && (await bind(pair[1], port + 1))) return pair;
    await closeAll(pair);
  }
  throw new Error(`no free even UDP port pair on 127.0.0.1 after ${MAX_TRIES} tries`);
}

export async function startRtpMidiRelay(options: RtpMidiRelayOptions): Promise<RtpMidiRelay> {
  const random = mulberry32(options.seed);
  const host = options.targetHost ?? '127.0.0.1';
  const counts = { forwarded: 0, dropped: 0 };
  let closed = false;
  const fronts = await evenPair();
  const upstreams: Socket[] = [];
  const errors: Error[] = [];
  const record = (socket: Socket): Socket => socket.on('error', (err) => errors.push(err));
  fronts.forEach(record);
  const pass = (send: () => void): void => {
    if (closed || random() < options.loss) counts.dropped++;
    else {
      counts.forwarded++;
      send();
    }
  };
  const pending: Promise<boolean>[] = [];
  fronts.forEach((front, i) => {
    const byClient = new Map<string, Socket>();
    front.on('message', (msg, client: RemoteInfo) => {
      const key = `${client.address}:${client.port}`;
      let up = byClient.get(key);
      if (!up) {
        if (byClient.size >= MAX_CLIENTS || closed) {
          counts.dropped++;
          return;
        }
        const socket = record(createSocket('udp4'));
        up = socket;
        byClient.set(key, socket);
        upstreams.push(socket);
        socket.on('message', (reply) => pass(() => front.send(reply, client.port, client.address)));
        pending.push(bind(socket, 0));
      }
      const socket = up;
      pass(() => socket.send(msg, options.targetPort + i, host));
    });
  });
  return {
    port: fronts[0].address().port,
    stats: () => ({ ...counts }),
    errors: () => errors,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(pending);
      await closeAll([...fronts, ...upstreams]);
    },
  };
}
