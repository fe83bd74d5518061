/**
 * The peer behind `midl mcp`: one bus session, opened when first needed and opened again after it ended
 * (the peer restarted, or was not up yet when the host started the server). A host spawns the server
 * before anyone knows whether the peer runs, so an unreachable peer is a reason each call gives, never
 * a reason to exit.
 */
import type { NetworkBus } from '../../runtime/index.ts';
import type { LoadedSchema } from '../schema-runtime.ts';
import { openClient, type ClientConnection, type ClientOptions } from './client.ts';
import { describeError } from './options.ts';
import type { UrlOption } from './urls.ts';

/** The peer could not be reached: `message` says why (refused, no answer, authentication). */
export class PeerUnreachable extends Error {
  override readonly name = 'PeerUnreachable';
}

export class McpPeer {
  private connection: ClientConnection | undefined;
  private connecting: Promise<ClientConnection> | undefined;
  private closed = false;

  /**
   * @param connectTimeoutMs how long one attempt waits for the peer, so that a call to a dead peer fails
   *   within about that long.
   * @param changed told when a session begins or is found ended (what the session was granted changes).
   */
  constructor(
    private readonly to: UrlOption,
    private readonly schema: LoadedSchema,
    private readonly options: ClientOptions,
    private readonly changed: () => void,
  ) {}

  /** The session's bus, opening a session first when there is none (or it ended); rejects with PeerUnreachable. */
  async bus(): Promise<NetworkBus> {
    if (this.closed) throw new PeerUnreachable('midl mcp is shutting down');
    const live = this.live();
    if (live) return live.bus;
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return (await this.connecting).bus;
  }

  /** The capabilities of the current session, or undefined when there is none. */
  granted(): bigint | undefined {
    return this.live()?.bus.capabilities;
  }

  /** The connection while its session lasts; one found ended is closed and forgotten (and `changed` told). */
  private live(): ClientConnection | undefined {
    const c = this.connection;
    if (!c) return undefined;
    // A client bus keeps its authority among its peers while the session lives, resuming included.
    if (c.bus.stats().peers.length > 0) return c;
    this.connection = undefined;
    c.bus.close().catch((err: unknown) => process.stderr.write(`warning: closing the ended session: ${describeError(err)}\n`));
    this.changed();
    return undefined;
  }

  private async open(): Promise<ClientConnection> {
    let why = 'the peer did not answer';
    const report = (line: string) => {
      why = line;
      process.stderr.write(`warning: ${line}\n`);
    };
    let c: ClientConnection | undefined;
    try {
      c = await openClient(this.to, this.schema, this.options, undefined, report);
    } catch (err) {
      // The flags, read again for each connection, no longer hold (a password file gone): a reason like any other.
      report(describeError(err));
    }
    if (!c) throw new PeerUnreachable(why);
    if (this.closed) {
      await c.bus.close();
      throw new PeerUnreachable('midl mcp is shutting down');
    }
    this.connection = c;
    process.stderr.write(`mcp: session with ${c.url} open\n`);
    this.changed();
    return c;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connecting?.catch(() => undefined);
    const c = this.connection;
    this.connection = undefined;
    await c?.bus.close();
  }
}
