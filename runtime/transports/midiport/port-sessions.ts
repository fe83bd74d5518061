/**
 * A MIDI port as a series of sessions, for the `midi:` listener. A port is a cable, not a session: a
 * client ends its bus session with a Bye, and the bus ends a link that neither says HELLO nor carries
 * MIDI anyone listens to within seconds; either way it closes the link it was given. Each session
 * therefore gets a port of its own whose close ends only that session; the next message from the cable
 * starts the next one, so a second client, or a note played after the last session ended, still reaches
 * whoever listens. The cable itself closes with the listener.
 */
import { TransportError, type LinkDown } from '../link.ts';
import type { Midi1Port } from '../midi1-port.ts';

export class PortSessions {
  private current: SessionPort | undefined;
  private sessionHandler: ((session: Midi1Port) => void) | undefined;

  constructor(private readonly cable: Midi1Port) {
    cable.onMessage((message) => this.receive(message));
    cable.onDown((down) => this.current?.end(down));
  }

  /** Sets the handler of each session, started by the first message from the cable after the last one ended. */
  onSession(handler: (session: Midi1Port) => void): void {
    this.sessionHandler = handler;
  }

  /** Closes the cable, which ends the session in progress. */
  close(): Promise<void> {
    return this.cable.close();
  }

  private receive(message: Uint8Array): void {
    if (this.current === undefined || !this.current.isOpen) {
      // Nobody to hand a session to yet: dropped, as if it had come before the listener was there.
      if (this.sessionHandler === undefined) return;
      this.current = new SessionPort(this.cable);
      this.sessionHandler(this.current);
    }
    this.current.deliver(message);
  }
}

/** One session on the cable: sends through it while the session lasts; its close leaves the cable open. */
class SessionPort implements Midi1Port {
  private ended = false;
  private messageHandler: ((message: Uint8Array) => void) | undefined;
  private downHandler: ((down: LinkDown) => void) | undefined;

  constructor(private readonly cable: Midi1Port) {}

  get description(): string {
    return this.cable.description;
  }

  get peerName(): string {
    return this.cable.peerName;
  }

  get maxMessageBytes(): number {
    return this.cable.maxMessageBytes;
  }

  get isOpen(): boolean {
    return !this.ended && this.cable.isOpen;
  }

  send(message: Uint8Array): void {
    if (this.ended) throw new TransportError('closed', `${this.description}: the session on this port has ended`);
    this.cable.send(message);
  }

  onMessage(handler: (message: Uint8Array) => void): void {
    this.messageHandler = handler;
  }

  onDown(handler: (down: LinkDown) => void): void {
    this.downHandler = handler;
  }

  deliver(message: Uint8Array): void {
    this.messageHandler?.(message);
  }

  /** Ends the session once, telling its owner why (its own close, or the cable going down). */
  end(down: LinkDown): void {
    if (this.ended) return;
    this.ended = true;
    this.downHandler?.(down);
  }

  close(): Promise<void> {
    this.end({ reason: 'closed', message: 'the session was ended by this side; the port stays open' });
    return Promise.resolve();
  }
}
