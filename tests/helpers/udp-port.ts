import { createSocket, type Socket } from 'node:dgram';

/**
 * A UDP port on 127.0.0.1 that was free a moment ago: a private mDNS port for one test (its own
 * discovery domain), so that announcements and goodbyes of one test never reach another.
 */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** A UDP socket bound to an ephemeral port on 127.0.0.1 (an attacker's, in the hostile-peer tests). */
export async function boundSocket(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}
