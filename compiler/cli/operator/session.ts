/**
 * Network MIDI 2.0 sessions of the operator commands: URLs, and the client side (send, tail, replay)
 * that invites a peer and opens a Bus session on the link.
 */
import { ALL_CAPABILITIES, NetworkBus } from '../../../runtime/index.ts';
import type { UmpLink } from '../../../runtime/transports/link.ts';
import { TransportError } from '../../../runtime/transports/link.ts';
import { connectNm2, parseUdpUrl } from '../../../runtime/transports/nm2/index.ts';
import { UsageError } from '../exit.ts';
import type { LoadedSchema } from '../schema-runtime.ts';
import { describeError } from './options.ts';

export interface ClientOptions {
  readonly name: string;
  readonly secret?: string;
  readonly connectTimeout: number;
}

/** `udp://HOST:PORT` checked, or a usage error naming the option; port 0 ("any free port") only when listening. */
export function udpUrl(flag: string, raw: string, o: { listen?: boolean } = {}): { host: string; port: number } {
  try {
    // parseUdpUrl takes ports 1..65535 (addresses to send to); a listener may ask for port 0.
    const anyPort = o.listen === true && /:0\/?$/.test(raw);
    const parsed = parseUdpUrl(anyPort ? raw.replace(/:0(\/?)$/, ':1$1') : raw);
    return anyPort ? { host: parsed.host, port: 0 } : parsed;
  } catch (err) {
    if (err instanceof TransportError) throw new UsageError(`${flag}: ${err.message}`);
    throw err;
  }
}

export interface ClientSession {
  readonly bus: NetworkBus;
  readonly link: UmpLink;
}

/**
 * Invites the peer at `url` (checked by the caller with `udpUrl`) and opens a Bus session over the link (`wrap` may put a tap between them).
 * A failure is printed on stderr and gives undefined: the caller exits 1.
 */
export async function openClient(url: string, schema: LoadedSchema, o: ClientOptions, wrap: (link: UmpLink) => UmpLink = (l) => l): Promise<ClientSession | undefined> {
  let link: UmpLink | undefined;
  try {
    link = await connectNm2(url, { name: o.name, timeoutMs: o.connectTimeout, ...(o.secret === undefined ? {} : { secret: o.secret }) });
    const bus = new NetworkBus({
      name: o.name,
      topics: schema.topics,
      intents: schema.intents,
      // Ask for everything: the peer's grant decides what this session may do.
      capabilities: ALL_CAPABILITIES,
      onError: (error, address) => process.stderr.write(`warning: ${address}: ${describeError(error)}\n`),
    });
    await bus.connect(wrap(link), { timeoutMs: o.connectTimeout });
    return { bus, link };
  } catch (err) {
    process.stderr.write(`error: cannot open a session with ${url}: ${describeError(err)}\n`);
    await link?.close().catch(() => undefined);
    return undefined;
  }
}

/** `udp://HOST:PORT`, with IPv6 hosts in brackets. */
export function formatUdpUrl(host: string, port: number): string {
  return `udp://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
