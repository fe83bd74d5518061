/** A hand-driven AppleMIDI peer on a real even/odd socket pair, for the cases a well-behaved endpoint never produces. */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { decodeControl, encodeControl, isControlPacket, type ControlPacket } from '../../../runtime/transports/rtpmidi/control.ts';

/** The packet kind of command C (IN, OK and NO share one). */
type PacketOf<C> = ControlPacket extends infer P ? (P extends { command: infer K } ? (C extends K ? P : never) : never) : never;

export interface Received {
  readonly packet: ControlPacket | Uint8Array;
  readonly onData: boolean;
  readonly from: RemoteInfo;
  /** When it arrived (performance.now()). */
  readonly at: number;
}

export class RawPeer {
  readonly received: Received[] = [];
  private constructor(
    readonly control: Socket,
    readonly data: Socket,
    readonly port: number,
  ) {
    const on = (onData: boolean) => (msg: Buffer, from: RemoteInfo) => {
      const bytes = new Uint8Array(msg);
      this.received.push({ packet: isControlPacket(bytes) ? decodeControl(bytes) : bytes, onData, from, at: performance.now() });
    };
    control.on('message', on(false));
    data.on('message', on(true));
  }

  static async open(): Promise<RawPeer> {
    for (;;) {
      const port = 40000 + 2 * Math.floor(Math.random() * 4000);
      const control = createSocket('udp4');
      const data = createSocket('udp4');
      try {
        await bind(control, port);
        await bind(data, port + 1);
        return new RawPeer(control, data, port);
      } catch {
        control.close();
        data.close();
      }
    }
  }

  send(onData: boolean, bytes: Uint8Array, port: number): Promise<void> {
    return new Promise((resolve, reject) => (onData ? this.data : this.control).send(bytes, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }

  sendControl(onData: boolean, packet: ControlPacket, port: number): Promise<void> {
    return this.send(onData, encodeControl(packet), port);
  }

  /** Takes the first control packet `command` received (waiting up to `ms`), with the port it came on and from. */
  async next<C extends ControlPacket['command']>(command: C, ms = 3000): Promise<PacketOf<C> & { onData: boolean; from: RemoteInfo; at: number }> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.received.find((r) => !(r.packet instanceof Uint8Array) && r.packet.command === command);
      if (hit) {
        this.received.splice(this.received.indexOf(hit), 1);
        return { ...(hit.packet as PacketOf<C>), onData: hit.onData, from: hit.from, at: hit.at };
      }
      if (Date.now() > end) throw new Error(`no ${command} within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.control, this.data].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

function bind(socket: Socket, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
}
