/**
 * A seeded, bounded, lossy UDP relay for tests and benches: clients send to `relay.port`, the relay
 * forwards to `target` from one upstream socket per client (so the target sees distinct peers) and
 * sends the replies back to the right client. Loss, duplication and reordering come from a
 * deterministic PRNG (mulberry32) seeded by `seed`, per datagram and per direction.
 */
import { createSocket, type Socket } from 'node:dgram';

export interface RelayOptions {
  target: { host: string; port: number };
  /** The port clients send to, on 127.0.0.1 (default 0: any free one); a port in use rejects. */
  port?: number;
  seed: number;
  /** Probability (0..1) to drop a datagram, per datagram per direction. */
  loss?: number;
  /** Probability to send a datagram twice. */
  duplicate?: number;
  /** Probability to delay a datagram by up to `maxDelayMs` (so later ones overtake it). */
  reorder?: number;
  maxDelayMs?: number;
  /** Datagrams waiting in delay at most; past it a delayed one is dropped instead. */
  maxQueued?: number;
  /**
   * Drops the datagrams it returns true for, on top of the seeded loss: `index` counts the datagrams of
   * that direction from 0 (to-target: from clients to the target; to-client: the replies), e.g. to lose
   * exactly the first invitation or the first reply of a handshake.
   */
  drop?: (direction: RelayDirection, index: number, datagram: Buffer) => boolean;
}

export type RelayDirection = 'to-target' | 'to-client';

export interface RelayStats {
  forwarded: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  /** What reached the relay, before any loss: what the clients put on the wire, and what the target answered. */
  datagramsFromClients: number;
  bytesFromClients: number;
  datagramsFromTarget: number;
  bytesFromTarget: number;
}

export interface Relay {
  /** Where clients send. */
  readonly port: number;
  /** While on, drop everything both ways. */
  blackout(on: boolean): void;
  stats(): RelayStats;
  /** Socket errors seen (a test asserts there were none, or those it provoked). */
  errors(): readonly Error[];
  close(): Promise<void>;
}

/** mulberry32: a tiny, well-mixed 32-bit PRNG; the same seed gives the same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const bind = (socket: Socket, port = 0): Promise<void> =>
  new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });

/** Most client addresses the relay keeps an upstream socket for. */
const MAX_CLIENTS = 64;

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const random = mulberry32(options.seed);
  const { loss = 0, duplicate = 0, reorder = 0, maxDelayMs = 20, maxQueued = 1024 } = options;
  const socketErrors: Error[] = [];
  const counts: RelayStats = {
    forwarded: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
    datagramsFromClients: 0,
    bytesFromClients: 0,
    datagramsFromTarget: 0,
    bytesFromTarget: 0,
  };
  let dark = false;
  let closed = false;
  let queued = 0;
  const timers = new Set<NodeJS.Timeout>();
  const front = createSocket('udp4');
  const upstreams = new Map<string, Socket>();
  try {
    await bind(front, options.port);
  } catch (err) {
    front.close();
    throw err;
  }

  /** Sends `msg` through the lossy channel: maybe drop, maybe delay, maybe twice. */
  const seen: Record<RelayDirection, number> = { 'to-target': 0, 'to-client': 0 };
  const pass = (direction: RelayDirection, msg: Buffer, send: (m: Buffer) => void): void => {
    // Draw every number for every datagram, so one option's value does not shift the others' sequence.
    const [rLoss, rDup, rReorder, rDelay] = [random(), random(), random(), random()];
    const index = seen[direction]++;
    if (dark || closed || rLoss < loss || options.drop?.(direction, index, msg) === true) {
      counts.dropped++;
      return;
    }
    const copies = rDup < duplicate ? 2 : 1;
    if (copies === 2) counts.duplicated++;
    for (let i = 0; i < copies; i++) {
      if (rReorder < reorder && i === 0) {
        if (queued >= maxQueued) {
          counts.dropped++;
          continue;
        }
        counts.reordered++;
        queued++;
        const t = setTimeout(
          () => {
            timers.delete(t);
            queued--;
            if (dark || closed) {
              counts.dropped++;
              return;
            }
            counts.forwarded++;
            send(msg);
          },
          1 + Math.floor(rDelay * maxDelayMs),
        );
        timers.add(t);
      } else {
        counts.forwarded++;
        send(msg);
      }
    }
  };

  front.on('message', (msg, client) => {
    counts.datagramsFromClients++;
    counts.bytesFromClients += msg.length;
    const key = `${client.address}:${client.port}`;
    let up = upstreams.get(key);
    if (!up) {
      if (upstreams.size >= MAX_CLIENTS || closed) {
        counts.dropped++;
        return;
      }
      const socket = createSocket('udp4');
      up = socket;
      upstreams.set(key, socket);
      socket.on('message', (reply) => {
        counts.datagramsFromTarget++;
        counts.bytesFromTarget += reply.length;
        pass('to-client', reply, (m) => !closed && front.send(m, client.port, client.address));
      });
      socket.on('error', (err) => socketErrors.push(err));
      socket.bind(0, '127.0.0.1');
    }
    const socket = up;
    pass('to-target', msg, (m) => !closed && socket.send(m, options.target.port, options.target.host));
  });
  front.on('error', (err) => socketErrors.push(err));

  return {
    port: front.address().port,
    blackout(on) {
      dark = on;
    },
    stats: () => ({ ...counts }),
    errors: () => [...socketErrors],
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const all = [front, ...upstreams.values()];
      await Promise.all(all.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
