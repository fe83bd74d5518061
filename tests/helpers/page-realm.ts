import { createContext, runInContext, type Context } from 'node:vm';

/** Browser-like timers: ids are numbers (no `unref`), backed by Node's timers so they can all be cleared. */
function pageTimers() {
  const live = new Map<number, ReturnType<typeof setTimeout>>();
  let next = 1;
  const start =
    (repeat: boolean) =>
    (fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): number => {
      const id = next++;
      const run = (): void => {
        if (!repeat) live.delete(id);
        fn(...args);
      };
      live.set(id, repeat ? setInterval(run, ms) : setTimeout(run, ms));
      return id;
    };
  const clear = (id?: number): void => {
    const t = id === undefined ? undefined : live.get(id);
    if (t === undefined) return;
    clearTimeout(t);
    live.delete(id!);
  };
  return { setTimeout: start(false), setInterval: start(true), clearTimeout: clear, clearInterval: clear, clearAll: () => [...live.keys()].forEach(clear) };
}

export interface PageRealm {
  /** A fresh JS realm with only what a page has: no Buffer, process, require, setImmediate or global. */
  readonly context: Context;
  /** Clears its timers and closes its message channels. */
  close(): void;
}

/**
 * A page-like realm for bundles built for the browser platform: its globals are a browser's (those the
 * runtime uses), timers return numbers (no `unref`), and TextEncoder returns this realm's Uint8Array
 * (a page has one realm; `instanceof Uint8Array` must hold).
 */
export function pageRealm(): PageRealm {
  const { clearAll, ...timerGlobals } = pageTimers();
  // A page's MessageChannel (the loopback links' macrotasks there); Node's ports are closed afterwards.
  const channels: InstanceType<typeof MessageChannel>[] = [];
  const PageMessageChannel = class extends MessageChannel {
    constructor() {
      super();
      channels.push(this);
    }
  };
  const context = createContext({
    console,
    crypto: globalThis.crypto,
    performance,
    URL,
    atob,
    btoa,
    structuredClone,
    queueMicrotask,
    MessageChannel: PageMessageChannel,
    TextDecoder,
    hostTextEncoder: new TextEncoder(),
    ...timerGlobals,
  });
  runInContext(
    `globalThis.TextEncoder = class TextEncoder {
      get encoding() { return 'utf-8'; }
      encode(s = '') { return new Uint8Array(hostTextEncoder.encode(s)); }
      encodeInto(s, into) { return hostTextEncoder.encodeInto(s, into); }
    };`,
    context,
  );
  return {
    context,
    close: () => {
      clearAll();
      for (const c of channels) c.port1.close();
    },
  };
}
