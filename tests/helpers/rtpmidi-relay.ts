/**
 * The seeded lossy relay (udp-relay.ts) for an RTP-MIDI peer: one relay on each of an even port pair,
 * control P → the target's control port, data P+1 → its data port, so a client connecting to
 * `rtpmidi://127.0.0.1:P` has both its ports relayed with the same loss, duplication and reordering.
 */
import { startRelay, type Relay, type RelayOptions, type RelayStats } from './udp-relay.ts';

export type RtpMidiRelayOptions = Omit<RelayOptions, 'port' | 'drop'>;

/** Both relays as one: `port` is the control port (even), `stats` their sums. */
export type RtpMidiRelay = Relay;

/** Tries this many random even pairs before giving up (another process may hold the ports). */
const ATTEMPTS = 50;

/**
 * Starts the pair. The control port's relay draws from `seed`, the data port's from `seed + 1`, so a run
 * is reproducible and the two directions of each port still draw independently.
 */
export async function startRtpMidiRelay(options: RtpMidiRelayOptions): Promise<RtpMidiRelay> {
  const { target } = options;
  let lastError: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = 20000 + 2 * Math.floor(Math.random() * 10000);
    let control: Relay | undefined;
    try {
      control = await startRelay({ ...options, port });
      const data = await startRelay({ ...options, port: port + 1, seed: options.seed + 1, target: { host: target.host, port: target.port + 1 } });
      return pair(port, control, data);
    } catch (err) {
      lastError = err;
      await control?.close();
    }
  }
  throw new Error(`no free even port pair for an RTP-MIDI relay after ${ATTEMPTS} tries`, { cause: lastError });
}

function pair(port: number, control: Relay, data: Relay): RtpMidiRelay {
  return {
    port,
    blackout(on) {
      control.blackout(on);
      data.blackout(on);
    },
    stats() {
      const a = control.stats();
      const b = data.stats();
      const sum = { ...a };
      for (const key of Object.keys(sum) as (keyof RelayStats)[]) sum[key] = a[key] + b[key];
      return sum;
    },
    errors: () => [...control.errors(), ...data.errors()],
    async close() {
      await control.close();
      await data.close();
    },
  };
}
