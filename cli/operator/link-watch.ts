/**
 * A link seen by a watcher as well as by its owner (the Bus): `tail` learns that the peer went away,
 * `replay --raw` reads the receiver's answers. A link keeps one receive and one down handler, its
 * owner's; the wrapper calls the watcher's first. Watchers read frames with the runtime's own
 * `BusFrameReader`, never by reassembling packets themselves.
 */
import type { LinkDown, UmpLink } from '../../runtime/index.ts';

export interface LinkWatcher {
  readonly receive?: (words: Uint32Array) => void;
  readonly down?: (down: LinkDown) => void;
}

/** `link` itself, but the handlers its owner sets see `watcher` first. */
export function watchLink(link: UmpLink, watcher: LinkWatcher): UmpLink {
  return {
    // The bus picks its lane by it: without it, a MIDI 1.0 link (rtpmidi:, midi:) would be sent SysEx8.
    ...(link.midi1Only === undefined ? {} : { midi1Only: link.midi1Only }),
    ...(link.maxMessageBytes === undefined ? {} : { maxMessageBytes: link.maxMessageBytes }),
    get description() {
      return link.description;
    },
    get peerName() {
      return link.peerName;
    },
    get isOpen() {
      return link.isOpen;
    },
    send: (words) => link.send(words),
    onReceive: (handler) =>
      link.onReceive((words) => {
        watcher.receive?.(words);
        handler(words);
      }),
    onDown: (handler) =>
      link.onDown((d) => {
        watcher.down?.(d);
        handler(d);
      }),
    close: () => link.close(),
  };
}
