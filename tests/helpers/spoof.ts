/**
 * Sending a datagram from another socket's exact address and port, as a spoofer would, without root.
 *
 * Network MIDI 2.0 maps a datagram to a session by its source address and port only. Off loopback, any
 * host that can forge a source address (a raw socket; most LANs do no ingress filtering) can do so; on
 * Linux loopback root can (IP_HDRINCL). An unprivileged test gets the same datagram on the wire by binding
 * the attacker to the victim's address with SO_REUSEADDR, which Linux allows when every socket on that
 * address set it: the test file mocks `node:dgram` with `reuseAddrDgram` so the endpoints under attack
 * set it. Nothing else about the endpoints changes.
 */
// Only types at the top: the test's mock of `node:dgram` loads this module, which must not load `node:dgram` back.
import type * as dgram from 'node:dgram';

/**
 * A `node:dgram` whose sockets all set SO_REUSEADDR:
 * `vi.mock('node:dgram', async (load) => (await import('../../helpers/spoof.ts')).reuseAddrDgram(await load()))`.
 */
export function reuseAddrDgram(real: typeof dgram): typeof dgram {
  const createSocket = (type: dgram.SocketType | dgram.SocketOptions, listener?: (msg: Buffer, rinfo: dgram.RemoteInfo) => void): dgram.Socket =>
    real.createSocket({ ...(typeof type === 'string' ? { type } : type), reuseAddr: true }, listener);
  return { ...real, createSocket, default: { ...real, createSocket } } as typeof dgram;
}

/**
 * Sends `bytes` to `to` from `from` (an address a victim socket holds with SO_REUSEADDR), then unbinds at
 * once. While the spoofing socket is bound the kernel hands it the datagrams for that address (the last
 * bound socket wins), so it closes as soon as its datagram has left: the answer goes to the victim, as it
 * would to a forged source.
 */
export async function sendFrom(from: { host: string; port: number }, to: { host: string; port: number }, bytes: Uint8Array): Promise<void> {
  const { createSocket } = await import('node:dgram');
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(from.port, from.host, () => resolve());
  });
  await new Promise<void>((resolve, reject) => socket.send(bytes, to.port, to.host, (err) => (err ? reject(err) : resolve())));
  await new Promise<void>((resolve) => socket.close(() => resolve()));
}
