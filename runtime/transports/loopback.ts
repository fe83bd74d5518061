import { TransportError, type LinkDown, type UmpLink } from './link.ts';
import { nextTask } from './next-task.ts';

/**
 * In-process transport: two connected `UmpLink`s. What one side sends arrives at the other side in a
 * later macrotask (as over a socket), in order, as a copy. `filter` sees each batch on its way and
 * may drop it (return false) — how tests inject loss without sockets.
 */
export interface LoopbackLinkOptions {
  /** Called per sent batch with the direction (0: a→b, 1: b→a); false drops the batch. */
  readonly filter?: (words: Uint32Array, direction: 0 | 1) => boolean;
  readonly names?: readonly [string, string];
  /**
   * The users each end's peer proved (`UmpLink.user`): `[user of a's peer, user of b's peer]`. In process
   * nothing is proven, so this is for a host that authenticated the other end by its own means (and tests).
   */
  readonly users?: readonly [string | undefined, string | undefined];
}

class LoopbackLink implements UmpLink {
  peer!: LoopbackLink;
  isOpen = true;
  user: string | undefined;
  private receive: (words: Uint32Array) => void = () => {};
  private down: (d: LinkDown) => void = () => {};

  constructor(
    readonly description: string,
    readonly peerName: string,
    private readonly direction: 0 | 1,
    private readonly filter: LoopbackLinkOptions['filter'],
  ) {}

  send(words: Uint32Array): void {
    if (!this.isOpen) throw new TransportError('closed', `${this.description}: the link is closed`);
    if (this.filter && !this.filter(words, this.direction)) return;
    const copy = words.slice();
    const peer = this.peer;
    nextTask(() => {
      if (peer.isOpen) peer.receive(copy);
    });
  }

  onReceive(handler: (words: Uint32Array) => void): void {
    this.receive = handler;
  }

  onDown(handler: (down: LinkDown) => void): void {
    this.down = handler;
  }

  close(): Promise<void> {
    this.goDown({ reason: 'closed', message: 'closed by this side' });
    // As over a socket, what was sent before the close still arrives: the far side goes down after it.
    const peer = this.peer;
    nextTask(() => peer.goDown({ reason: 'bye', message: 'the peer closed the link' }));
    return Promise.resolve();
  }

  private goDown(d: LinkDown): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    const down = this.down;
    nextTask(() => down(d));
  }
}

/** Two in-process links wired to each other. */
export function loopbackLinkPair(options: LoopbackLinkOptions = {}): [UmpLink, UmpLink] {
  const [na, nb] = options.names ?? ['a', 'b'];
  const a = new LoopbackLink(`loopback:${na}→${nb}`, nb, 0, options.filter);
  const b = new LoopbackLink(`loopback:${nb}→${na}`, na, 1, options.filter);
  [a.user, b.user] = options.users ?? [undefined, undefined];
  a.peer = b;
  b.peer = a;
  return [a, b];
}
