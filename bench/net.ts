/**
 * Helpers of the network bench suites (bus, sse, gpu; kept outside bench/suites/, whose every file is a
 * suite): nodes built from the generated registry, deadlines that turn a stall into a loud error, raw
 * dgram round trips (the UDP anchor), the shape of the wire traffic that sizes that anchor, a windowed
 * sender, and a value a case's setup opens and its teardown closes.
 */
import { createSocket, type Socket } from 'node:dgram';
import { NetworkBus, type NetworkBusOptions } from '../runtime/index.ts';
import { topics, intents } from '../generated/index.ts';

/** Every topic and intent of idl/, as a NetworkBus takes them. */
export const registry = { topics: Object.values(topics), intents: Object.values(intents) };

/** A NetworkBus on the whole registry; failures go to `errors` so a case can fail on them instead of printing mid-table. */
export function node(name: string, errors: unknown[], options: Partial<NetworkBusOptions> = {}): NetworkBus {
  return new NetworkBus({ name, ...registry, onError: (e) => void errors.push(e), ...options });
}

/** `p`, or an Error naming `what` (and the state `detail()` describes) after `ms`: a bench must never hang. */
export async function deadline<T>(p: Promise<T>, ms: number, what: string, detail: () => string = () => ''): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const d = detail();
      reject(new Error(`${what}: no completion within ${ms / 1000} s${d ? ` (${d})` : ''}`));
    }, ms);
  });
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Throws the first error a node reported (handler failures, refused or undecodable traffic). */
export function assertNoErrors(where: string, errors: unknown[]): void {
  if (errors.length === 0) return;
  const first = errors[0];
  throw new Error(`${where}: the bus reported ${errors.length} error(s); first: ${first instanceof Error ? first.message : String(first)}`);
}

const bindLocal = (socket: Socket): Promise<void> =>
  new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });

export interface Echo {
  /** One request datagram to the echo server and its reply back. */
  roundTrip(): Promise<void>;
  /** `count` round trips with at most `window` requests out at once (the same pipelining as the bus case). */
  pipelined(count: number, window: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The UDP anchor: a dgram socket on 127.0.0.1 that answers every `requestBytes`-byte datagram with one of
 * `replyBytes` bytes, and a client socket that sends to it. Same process, same sockets API, no protocol:
 * what the kernel and libuv cost per round trip carrying those bytes, on this machine, right now.
 */
export async function startEcho(requestBytes: number, replyBytes: number): Promise<Echo> {
  const server = createSocket('udp4');
  const client = createSocket('udp4');
  const reply = Buffer.alloc(replyBytes, 0xa5);
  server.on('message', (_msg, from) => server.send(reply, from.port, from.address));
  await bindLocal(server);
  await bindLocal(client);
  const port = server.address().port;
  const payload = Buffer.alloc(requestBytes, 0x5a);
  let onReply: () => void = () => {};
  client.on('message', () => onReply());
  const what = `raw dgram round trip of ${requestBytes} B / ${replyBytes} B`;
  return {
    roundTrip: () =>
      deadline(
        new Promise<void>((resolve) => {
          onReply = resolve;
          client.send(payload, port, '127.0.0.1');
        }),
        5_000,
        `${what}: a datagram was lost on 127.0.0.1`,
      ),
    pipelined: (count, window) => {
      let sent = 0;
      let received = 0;
      return deadline(
        new Promise<void>((resolve) => {
          onReply = () => {
            if (++received === count) {
              resolve();
              return;
            }
            if (sent < count) {
              sent++;
              client.send(payload, port, '127.0.0.1');
            }
          };
          for (; sent < Math.min(window, count); sent++) client.send(payload, port, '127.0.0.1');
        }),
        10_000,
        `${what}, ${count} pipelined`,
        () => `${received}/${count} answered; a datagram was lost on 127.0.0.1`,
      );
    },
    close: async () => {
      await Promise.all([server, client].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

/** What went to a listener (in) and came back from it (out) while some work ran: every datagram, every byte. */
export interface WireTraffic {
  readonly datagramsIn: number;
  readonly bytesIn: number;
  readonly datagramsOut: number;
  readonly bytesOut: number;
}

/**
 * Calls `send(i)` for i in [0, count) keeping at most `window` of their promises unsettled (how a
 * streaming sender paces itself on acknowledgements); rejects with the first failure.
 */
export async function windowed(count: number, window: number, send: (i: number) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  // Boxed so that a rejection with `undefined` still counts as a failure.
  let failure: { readonly reason: unknown } | undefined;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const settled = (): void => {
    inFlight--;
    const w = wake;
    wake = undefined;
    w?.();
  };
  for (let i = 0; i < count; i++) {
    while (inFlight >= window && failure === undefined) await new Promise<void>((r) => (wake = r));
    if (failure !== undefined) throw failure.reason;
    if (stop()) throw new Error('stopped');
    inFlight++;
    send(i).then(settled, (e: unknown) => {
      failure ??= { reason: e };
      settled();
    });
  }
  while (inFlight > 0) await new Promise<void>((r) => (wake = r));
  if (failure !== undefined) throw failure.reason;
}

/** A value created by a case's `setup` and disposed by its `teardown`; `get` inside the measured functions. */
export function resource<T>(open: () => Promise<T>, close: (t: T) => Promise<void>) {
  let value: T | undefined;
  return {
    setup: async () => {
      value = await open();
    },
    teardown: async () => {
      const v = value;
      value = undefined;
      if (v !== undefined) await close(v);
    },
    get: (): T => {
      if (value === undefined) throw new Error('bench resource used outside its case');
      return value;
    },
  };
}
