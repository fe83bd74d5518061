import { TransportError, loopbackLinkPair, type UmpLink } from '../../runtime/index.ts';
import type { ConnectOptions, ListenOptions, Transport, TransportListener } from '../../runtime/transports/index.ts';

/**
 * An in-process transport as a plug-in would register one: `loop:NAME` listens under a name and
 * connecting hands the other end of a loopback pair to that listener. It records the options it got.
 */
export function loopTransport(): Transport & { connected: ConnectOptions[]; listened: ListenOptions[] } {
  const listeners = new Map<string, (link: UmpLink) => void>();
  const nameOf = (url: string): string => {
    const m = /^loop:([a-z]+)$/i.exec(url);
    if (!m) throw new TransportError('bad-url', `not a loop:NAME address: ${JSON.stringify(url)}`);
    return m[1]!.toLowerCase();
  };
  const connected: ConnectOptions[] = [];
  const listened: ListenOptions[] = [];
  return {
    scheme: 'loop',
    syntax: 'loop:NAME',
    description: 'in-process links to a listener of that name',
    example: 'loop:demo',
    connected,
    listened,
    check: (url) => void nameOf(url),
    connect(url, options) {
      connected.push(options);
      const accept = listeners.get(nameOf(url));
      if (accept === undefined) return Promise.reject(new TransportError('refused', `nothing listens on ${url}`));
      const [mine, theirs] = loopbackLinkPair({ names: [options.name, nameOf(url)] });
      accept(theirs);
      return Promise.resolve(mine);
    },
    listen(url, options) {
      listened.push(options);
      const name = nameOf(url);
      if (listeners.has(name)) return Promise.reject(new TransportError('refused', `${url} is taken`));
      let handler: (link: UmpLink) => void = () => {};
      listeners.set(name, (link) => handler(link));
      const listener: TransportListener = {
        url: `loop:${name}`,
        onSession: (h) => (handler = h),
        close: () => Promise.resolve(void listeners.delete(name)),
      };
      return Promise.resolve(listener);
    },
  };
}
