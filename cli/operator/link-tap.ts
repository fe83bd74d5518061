/**
 * Watching what arrives on a link without taking it from its owner (the Bus): `peer --record` files
 * the words of every message, `replay --raw` reads the receiver's answers. The tap reassembles SysEx8
 * messages per (group, stream id) from the packets it sees and hands each complete message, with the
 * exact packets it came in, to the observer before the link's own receiver gets them.
 */
import { packetWordCount, readUmp, type LinkDown, type UmpLink } from '../../runtime/index.ts';

export type SysEx8Observer = (words: Uint32Array, data: Uint8Array) => void;

/** SysEx8 packet status (word 0 bits 23..20): complete in one packet, start, continue, end; above: Mixed Data Set. */
const COMPLETE = 0;
const START = 1;
const END = 3;

export function tapSysEx8(link: UmpLink, observe: SysEx8Observer): UmpLink {
  // Partial messages of this link by group and stream id: their packets so far.
  const open = new Map<number, number[]>();
  const see = (words: Uint32Array): void => {
    for (let i = 0; i < words.length;) {
      const w0 = words[i]!;
      const size = packetWordCount(w0);
      const status = (w0 >>> 20) & 0xf;
      if (w0 >>> 28 === 0x5 && status <= END) {
        const key = ((w0 >>> 24) & 0xf) * 256 + ((w0 >>> 8) & 0xff);
        const pending = status === COMPLETE || status === START ? [] : open.get(key);
        // A continue or end without its start is dropped, as the Bus's reader drops it.
        if (pending) {
          for (let k = i; k < i + size; k++) pending.push(words[k]!);
          if (status === COMPLETE || status === END) {
            open.delete(key);
            complete(Uint32Array.from(pending));
          } else {
            open.set(key, pending);
          }
        }
      }
      i += size;
    }
  };
  const complete = (words: Uint32Array): void => {
    try {
      for (const e of readUmp(words)) if ('kind' in e && e.kind === 'sysex8') observe(words, e.data);
    } catch {
      // Whatever a peer sends, and however the observer takes it, the words still go to the link's
      // owner, which judges them (a tap that threw here would drop them unjudged, mid-handler).
    }
  };
  return observed(link, { receive: see });
}

/** A link that behaves like `link` and also calls `down` when it goes down (a link keeps one down handler, its owner's). */
export function watchDown(link: UmpLink, down: (d: LinkDown) => void): UmpLink {
  return observed(link, { down });
}

/** `link` itself, but the handlers its owner sets see `hooks` first. */
function observed(link: UmpLink, hooks: { readonly receive?: (words: Uint32Array) => void; readonly down?: (d: LinkDown) => void }): UmpLink {
  return {
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
        hooks.receive?.(words);
        handler(words);
      }),
    onDown: (handler) =>
      link.onDown((d) => {
        hooks.down?.(d);
        handler(d);
      }),
    close: () => link.close(),
  };
}
