import { NetworkBus, loopbackLinkPair, type NetworkBusOptions, type UmpLink } from '../../runtime/index.ts';
import { topics, intents } from '../../generated/registry.ts';
import { until as poll } from '../helpers/until.ts';
import { mulberry32 } from '../helpers/udp-relay.ts';

/** Every topic and intent of idl/, as a NetworkBus takes them. */
export const registry = { topics: Object.values(topics), intents: Object.values(intents) };

export interface Pair {
  readonly authority: NetworkBus;
  readonly client: NetworkBus;
  /** The client's current link (replaced on reconnect). */
  link(): UmpLink;
  /** While true, every frame in both directions is dropped. */
  blackout: { on: boolean };
  close(): Promise<void>;
}

export interface PairOptions {
  readonly authority?: Partial<NetworkBusOptions>;
  readonly client?: Partial<NetworkBusOptions>;
  /** Probability to drop a frame, per direction (seeded). */
  readonly loss?: number;
  readonly seed?: number;
  /** Give the client a reconnect function (a fresh loopback link to the same authority). */
  readonly reconnect?: boolean;
}

/** An authority and a connected client over in-process links, optionally lossy. */
export async function connectedPair(options: PairOptions = {}): Promise<Pair> {
  const authority = new NetworkBus({ name: 'authority', ...registry, onError: () => {}, ...options.authority });
  const client = new NetworkBus({ name: 'client', ...registry, onError: () => {}, ...options.client });
  const random = mulberry32(options.seed ?? 1);
  const blackout = { on: false };
  const filter = () => !blackout.on && !(options.loss && random() < options.loss);
  let current: UmpLink;
  const open = (): UmpLink => {
    const [a, b] = loopbackLinkPair({ filter, names: ['client', 'authority'] });
    authority.accept(b);
    current = a;
    return a;
  };
  await client.connect(open(), options.reconnect ? { reconnect: async () => open() } : {});
  return {
    authority,
    client,
    link: () => current,
    blackout,
    close: async () => {
      await client.close();
      await authority.close();
    },
  };
}

/** Resolves when `check` holds (polling), or rejects after `ms` (5 s unless given). */
export const until = (check: () => boolean, ms = 5_000, what = 'condition'): Promise<void> => poll(check, ms, what);
