/**
 * The network wires the bus and sse suites run the same cases over, as plug-ins: Network MIDI 2.0
 * (UDP) and RTP-MIDI (AppleMIDI, the bus as SysEx7 + Mcoded7). Each listens on 127.0.0.1, connects
 * straight to its listener or through the seeded relay of the integration tests (for RTP-MIDI one on
 * each of the control and data ports), and reports its own counters.
 */
import type { UmpLink } from '../runtime/index.ts';
import { Nm2Endpoint, RtpMidiError, connectNm2, parseRtpMidiUrl, transports } from '../runtime/transports/index.ts';
// Test fixtures, shared on purpose: the bench's relays are the ones the integration tests use.
import { startRelay, type Relay } from '../tests/helpers/udp-relay.ts';
import { startRtpMidiRelay } from '../tests/helpers/rtpmidi-relay.ts';
import type { WireTraffic } from './net.ts';

export type { Relay };

/** What the relay does to each datagram, both ways (see tests/helpers/udp-relay.ts). */
export interface RelaySettings {
  readonly seed: number;
  readonly loss: number;
  readonly duplicate: number;
  readonly reorder: number;
  readonly maxDelayMs: number;
}

export const LOSS_FREE: RelaySettings = { seed: 1, loss: 0, duplicate: 0, reorder: 0, maxDelayMs: 0 };

/** A session through a relay in front of the listener. */
export interface RelayedLink {
  readonly link: UmpLink;
  readonly relay: Relay;
  /** Closes the link, then the relay. */
  close(): Promise<void>;
}

export interface WireListener {
  /** A session straight to the listener (the link's `close` ends it). */
  connect(name: string): Promise<UmpLink>;
  /** A session through a relay in front of the listener. */
  connectThrough(name: string, relay: RelaySettings): Promise<RelayedLink>;
  /** The wire's own counters, cumulative since `listen`, for figures (a case subtracts before from after). */
  counters(): Record<string, number>;
  close(): Promise<void>;
}

export interface Wire {
  /** How case names call it. */
  readonly label: string;
  /**
   * Listens on 127.0.0.1 (a free port); each session a peer opens goes to `accept`. Protocol problems the
   * wire survives and that loss explains are counted (`counters`); any other goes to `errors`.
   */
  listen(name: string, accept: (link: UmpLink) => void, errors: unknown[]): Promise<WireListener>;
}

const CONNECT_TIMEOUT_MS = 15_000;

/** What a relay saw while `f` ran: from its clients is what went to the listener, from its target what came back. */
export async function relayedTraffic(relay: Relay, f: () => Promise<void>): Promise<WireTraffic> {
  const before = relay.stats();
  await f();
  const after = relay.stats();
  return {
    datagramsIn: after.datagramsFromClients - before.datagramsFromClients,
    bytesIn: after.bytesFromClients - before.bytesFromClients,
    datagramsOut: after.datagramsFromTarget - before.datagramsFromTarget,
    bytesOut: after.bytesFromTarget - before.bytesFromTarget,
  };
}

async function through(relay: Relay, connect: () => Promise<UmpLink>): Promise<RelayedLink> {
  let link: UmpLink;
  try {
    link = await connect();
  } catch (err) {
    await relay.close();
    throw err;
  }
  return {
    link,
    relay,
    close: async () => {
      await link.close();
      await relay.close();
    },
  };
}

export const nm2Wire: Wire = {
  label: 'NM2/UDP',
  async listen(name, accept) {
    const endpoint = await Nm2Endpoint.listen({ host: '127.0.0.1', port: 0, name });
    endpoint.onSession(accept);
    const connectTo = (port: number, client: string) => connectNm2(`udp://127.0.0.1:${port}`, { name: client, timeoutMs: CONNECT_TIMEOUT_MS });
    return {
      connect: (client) => connectTo(endpoint.port, client),
      connectThrough: async (client, settings) => {
        const relay = await startRelay({ ...settings, target: { host: '127.0.0.1', port: endpoint.port } });
        return through(relay, () => connectTo(relay.port, client));
      },
      counters: () => {
        const s = endpoint.stats();
        return { nm2RetransmitRequests: s.retransmitsRequested, nm2CommandsSkipped: s.commandsSkipped };
      },
      close: () => endpoint.close(),
    };
  },
};

/**
 * RTP-MIDI repairs nothing: a datagram lost mid-SysEx drops that SysEx ('lost'), and one that comes
 * late or twice is dropped by its sequence number ('unexpected' at the RTP header's sequence field).
 * Both are what loss and reordering do to this wire (the bus retransmits), so they are counted, not
 * failures; the RTP-MIDI transport reports anything else, which fails the case.
 */
function rtpMidiErrors(errors: unknown[]) {
  const counts = { rtpSysexLost: 0, rtpLateOrRepeated: 0 };
  const onError = (err: unknown): void => {
    if (err instanceof RtpMidiError && err.code === 'lost') counts.rtpSysexLost++;
    else if (err instanceof RtpMidiError && err.code === 'unexpected' && err.where.startsWith('RTP header byte 2')) counts.rtpLateOrRepeated++;
    else errors.push(err);
  };
  return { counts, onError };
}

export const rtpMidiWire: Wire = {
  label: 'RTP-MIDI',
  async listen(name, accept, errors) {
    const { counts, onError } = rtpMidiErrors(errors);
    // Through the registry, as `midl peer --listen rtpmidi://…` and `--to rtpmidi://…` do.
    const listener = await transports.listen('rtpmidi://127.0.0.1:0', { name, onError });
    listener.onSession(accept);
    const { port } = parseRtpMidiUrl(listener.url);
    const connectTo = (to: number, client: string) => transports.connect(`rtpmidi://127.0.0.1:${to}`, { name: client, timeoutMs: CONNECT_TIMEOUT_MS, onError });
    return {
      connect: (client) => connectTo(port, client),
      connectThrough: async (client, settings) => {
        const relay = await startRtpMidiRelay({ ...settings, target: { host: '127.0.0.1', port } });
        return through(relay, () => connectTo(relay.port, client));
      },
      counters: () => ({ ...counts }),
      close: () => listener.close(),
    };
  },
};
