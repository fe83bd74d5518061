/**
 * A bare UDP socket for talking to an Nm2Endpoint with hand-built datagrams (hex words written from
 * the spec's layout, not with our encoder) and waiting for what comes back.
 */
import { createSocket } from 'node:dgram';

export function hex(words: string): Buffer {
  return Buffer.from(words.replace(/\s+/g, ''), 'hex');
}

export function toHex(bytes: Uint8Array): string {
  return (
    Buffer.from(bytes)
      .toString('hex')
      .toUpperCase()
      .match(/.{1,8}/g) ?? []
  ).join(' ');
}

export interface RawPeer {
  readonly port: number;
  send(bytes: Uint8Array, port: number): void;
  /** Resolves with the first datagram (as spaced hex words) matching `match` not yet consumed. */
  next(match?: (hexWords: string) => boolean, timeoutMs?: number): Promise<string>;
  received(): string[];
  close(): Promise<void>;
}

/** A socket bound on `host` (default 127.0.0.1; any 127.x.y.z is a source address of its own on Linux). */
export async function rawPeer(host = '127.0.0.1'): Promise<RawPeer> {
  const socket = createSocket('udp4');
  const inbox: string[] = [];
  const waiters: { match: (h: string) => boolean; resolve: (h: string) => void }[] = [];
  socket.on('message', (msg) => {
    const h = toHex(msg);
    inbox.push(h);
    for (const w of [...waiters]) {
      if (w.match(h)) {
        waiters.splice(waiters.indexOf(w), 1);
        inbox.splice(inbox.indexOf(h), 1);
        w.resolve(h);
        return;
      }
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return {
    port: socket.address().port,
    send: (bytes, port) => socket.send(bytes, port, '127.0.0.1'),
    next(match = () => true, timeoutMs = 1000) {
      const found = inbox.find(match);
      if (found !== undefined) {
        inbox.splice(inbox.indexOf(found), 1);
        return Promise.resolve(found);
      }
      return new Promise((resolve, reject) => {
        const w = { match, resolve: (h: string) => (clearTimeout(t), resolve(h)) };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no matching datagram within ${timeoutMs} ms; got: ${inbox.join(' | ')}`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    received: () => [...inbox],
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
