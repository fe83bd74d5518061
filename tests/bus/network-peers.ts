import { NetworkBus, loopbackLinkPair, type NetworkBusOptions, type UmpLink } from '../../runtime/index.ts';
import { DATA_GROUP } from '../../runtime/lanes/frame.ts';
import { topics, intents } from '../../generated/registry.ts';
import type { BusErrorLog } from '../helpers/bus-errors.ts';
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
  /** Frames the lossy link or the blackout dropped so far, by direction and kind (data or control). */
  readonly dropped: Readonly<Record<'toAuthority' | 'toClient', Readonly<Record<'data' | 'control', number>>>>;
  close(): Promise<void>;
}

export interface PairOptions {
  /** Where both buses report errors (as 'authority' and 'client'); the test claims those it expects. */
  readonly errors: BusErrorLog;
  readonly authority?: Partial<Omit<NetworkBusOptions, 'onError'>>;
  readonly client?: Partial<Omit<NetworkBusOptions, 'onError'>>;
  /** Probability to drop a frame, per direction (seeded). */
  readonly loss?: number;
  readonly seed?: number;
  /** Give the client a reconnect function (a fresh loopback link to the same authority). */
  readonly reconnect?: boolean;
}

/** An authority and a connected client over in-process links, optionally lossy. */
export async function connectedPair(options: PairOptions): Promise<Pair> {
  const authority = new NetworkBus({ name: 'authority', ...registry, onError: options.errors.for('authority'), ...options.authority });
  const client = new NetworkBus({ name: 'client', ...registry, onError: options.errors.for('client'), ...options.client });
  const random = mulberry32(options.seed ?? 1);
  const blackout = { on: false };
  const dropped = { toAuthority: { data: 0, control: 0 }, toClient: { data: 0, control: 0 } };
  const filter = (words: Uint32Array, direction: 0 | 1): boolean => {
    const pass = !blackout.on && !(options.loss && random() < options.loss);
    // The bus sends one frame per batch, as SysEx8 packets on the data group or the control group.
    if (!pass) dropped[direction === 0 ? 'toAuthority' : 'toClient'][((words[0]! >>> 24) & 0xf) === DATA_GROUP ? 'data' : 'control']++;
    return pass;
  };
  let current: UmpLink;
  const open = (): UmpLink => {
    const [a, b] = loopbackLinkPair({ filter, names: ['client', 'authority'] });
    authority.accept(b);
    current = a;
    return a;
  };
  const close = async (): Promise<void> => {
    await client.close();
    await authority.close();
  };
  try {
    await client.connect(open(), options.reconnect ? { reconnect: () => Promise.resolve(open()) } : {});
  } catch (err) {
    await close();
    throw err;
  }
  return { authority, client, link: () => current, blackout, dropped, close };
}

/** Resolves when `check` holds (polling), or rejects after `ms` (5 s unless given). */
export const until = (check: () => boolean, ms = 5_000, what = 'condition'): Promise<void> => poll(check, ms, what);
