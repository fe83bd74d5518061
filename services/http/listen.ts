import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A node:http server listening: the port really bound, the host as a URL writes it, and close. */
export interface ListeningHttp {
  readonly port: number;
  /** `http://HOST:PORT` (an IPv6 host in brackets), without a trailing slash. */
  readonly origin: string;
  /** Stops listening and ends every connection, idle or not. */
  readonly close: () => Promise<void>;
}

/**
 * Binds `server` to `host:port` (port 0: any free port). Rejects when the address cannot be bound, so a
 * caller can report a busy port as a usage error; errors after that go to `onError`.
 */
export async function listenHttp(server: Server, host: string, port: number, onError: (err: Error) => void): Promise<ListeningHttp> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', onError);
  const bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
