import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LinkDown } from '../../../runtime/transports/link.ts';
import { Nm2Endpoint, type Nm2EndpointOptions, type Nm2Link } from '../../../runtime/transports/nm2/index.ts';
import { sendFrom } from '../../helpers/spoof.ts';
import { until } from '../../helpers/until.ts';
import { ReceiveWindow } from '../../../runtime/transports/nm2/receive-window.ts';
import { MAX_FEC_COPY_COMMANDS } from '../../../runtime/transports/nm2/send-window.ts';
import { hex } from './raw-peer.ts';

/**
 * Item 10 of issue 10: a Bye (or Session Reset) that is not the peer's. Network MIDI 2.0 authenticates
 * the invitation only; later commands carry nothing but their source address, so a datagram from the
 * session's exact address and port is the peer as far as the spec goes. What an endpoint can do: ignore
 * every other address, and, on the side whose name was forged, notice at once that its session is gone.
 */
vi.mock('node:dgram', async (load) => (await import('../../helpers/spoof.ts')).reuseAddrDgram(await load()));

const BYE = hex('4D494449 F0000100');
const SESSION_RESET = hex('4D494449 82000000');
const SECRET = 'a shared secret';
/** Long enough that no timeout or ping can explain what a test sees within a second. */
const QUIET = { pingIntervalMs: 2_000, timeoutMs: 10_000 } satisfies Partial<Nm2EndpointOptions>;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function endpoint(name: string, options: Partial<Nm2EndpointOptions> = {}): Promise<Nm2Endpoint> {
  const e = await Nm2Endpoint.listen({ name, secret: SECRET, ...QUIET, ...options });
  cleanup.push(() => e.close());
  return e;
}

interface Watched {
  readonly link: Nm2Link;
  readonly received: number[];
  down: LinkDown | undefined;
}

function watch(link: Nm2Link): Watched {
  const w: Watched = { link, received: [], down: undefined };
  link.onReceive((words) => w.received.push(...words));
  link.onDown((down) => (w.down = down));
  return w;
}

/** An authenticated session: `host` accepted it from `client`. */
async function authenticatedPair(): Promise<{ host: Nm2Endpoint; client: Nm2Endpoint; atHost: Watched; atClient: Watched }> {
  const host = await endpoint('host');
  const client = await endpoint('client');
  const accepted = new Promise<Nm2Link>((resolve) => host.onSession(resolve));
  const atClient = watch(await client.connect('127.0.0.1', host.port, { secret: SECRET }));
  const atHost = watch(await accepted);
  expect(atHost.link.remote).toEqual({ host: '127.0.0.1', port: client.port });
  return { host, client, atHost, atClient };
}

/** A MIDI 2.0 Note On (2 words) with `note` in it. */
const noteOn = (note: number) => new Uint32Array([0x40903c00 | note, 0xffff0000]);

async function expectFlowsBothWays(atHost: Watched, atClient: Watched, note: number): Promise<void> {
  atHost.link.send(noteOn(note));
  atClient.link.send(noteOn(note));
  await until(() => atHost.received.includes(0x40903c00 | note) && atClient.received.includes(0x40903c00 | note), 1_000, `note ${note} both ways`);
}

describe('Network MIDI 2.0 under a forged Bye or Session Reset', () => {
  it('a Bye or Session Reset from any other port leaves an authenticated session alone', async () => {
    const { host, client, atHost, atClient } = await authenticatedPair();
    await expectFlowsBothWays(atHost, atClient, 1);
    const stranger = await endpoint('stranger', { secret: undefined });
    for (const target of [host, client]) {
      // From the same host, another port: the endpoint answers a stranger, the session never sees it.
      await sendFrom({ host: '127.0.0.1', port: stranger.port }, { host: '127.0.0.1', port: target.port }, BYE);
      await sendFrom({ host: '127.0.0.1', port: stranger.port }, { host: '127.0.0.1', port: target.port }, SESSION_RESET);
    }
    await expectFlowsBothWays(atHost, atClient, 2);
    expect([atHost.down, atClient.down, atHost.link.isOpen, atClient.link.isOpen]).toEqual([undefined, undefined, true, true]);
    expect([host.stats().sessions, client.stats().sessions]).toEqual([1, 1]);
  });

  it('a Bye forged from the client’s own address ends the host’s session, and the client knows within a round trip', async () => {
    const { host, client, atHost, atClient } = await authenticatedPair();
    await expectFlowsBothWays(atHost, atClient, 1);
    // Idle from here: the idle flushes (3 × 100 ms) are over, no data would make the host answer Bye 0x05.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const sentAt = performance.now();
    await sendFrom({ host: '127.0.0.1', port: client.port }, { host: '127.0.0.1', port: host.port }, BYE);
    // Inherent: nothing tells this Bye from the client's own, authenticated or not.
    await until(() => atHost.down !== undefined, 1_000, 'the host to take the Bye');
    expect(atHost.down?.reason).toBe('bye');
    // The host answered with a Bye Reply to the real client, which never said Bye: its session is over
    // on the far side, so its link goes down now, not after a timeout (10 s here) or never (an idle
    // initiator's pings are answered by the host as a stranger's).
    await until(() => atClient.down !== undefined, 1_000, 'the client to learn that its session is gone');
    expect(performance.now() - sentAt).toBeLessThan(1_000);
    expect(atClient.down?.reason).toBe('bye');
    expect(atClient.down?.message).toMatch(/Bye this side never sent/);
    expect([host.stats().sessions, client.stats().sessions]).toEqual([0, 0]);
  });

  it('a Session Reset forged from the client’s address restarts the host’s numbering; the client follows it instead of dropping what comes next', async () => {
    const { host, client, atHost, atClient } = await authenticatedPair();
    // 300 commands from the host: the client expects seq 300 next, further back than any FEC copy (284) and
    // well within the 4096 behind that it would take for the old code to resync.
    for (let note = 0; note < 300; note++) {
      atHost.link.send(noteOn(note & 0x7f));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => atClient.received.length === 600, 2_000, 'the first 300 notes');
    await sendFrom({ host: '127.0.0.1', port: client.port }, { host: '127.0.0.1', port: host.port }, SESSION_RESET);
    // The host obeys (nothing tells it from the client's own) and numbers from 0 again; before, the client
    // took seqs 0..299 for duplicates and dropped them: the next 300 commands lost without a trace.
    await new Promise((resolve) => setTimeout(resolve, 50)); // the host's Reset Reply reaches the client
    atClient.received.length = 0;
    await expectFlowsBothWays(atHost, atClient, 0x7f);
    expect([atHost.link.isOpen, atClient.link.isOpen]).toEqual([true, true]);
    expect(client.stats().commandsSkipped).toBe(0);
  });
});

describe('the receive window after a Reset Reply nobody asked for', () => {
  const take = (w: ReceiveWindow, seqs: number[]): number[] => {
    const out: Uint32Array[] = [];
    for (const seq of seqs) w.accept(seq, Uint32Array.of(seq), out, () => {});
    return out.map((words) => words[0]!);
  };

  it("follows the peer's restart: its seq 0 and what follows are new data", () => {
    const w = new ReceiveWindow(16);
    const first = Array.from({ length: MAX_FEC_COPY_COMMANDS + 16 }, (_, i) => i);
    expect(take(w, first)).toEqual(first);
    w.mayRestart();
    const last = first.length - 1;
    expect(take(w, [last - 1, last, 0, 1, 2])).toEqual([0, 1, 2]); // old FEC copies still dropped, then the new numbering
  });

  it('within reach of FEC copies a seq 0 stays a copy: no command is handed over twice', () => {
    const w = new ReceiveWindow(16);
    expect(take(w, [0, 1, 2])).toEqual([0, 1, 2]);
    w.mayRestart();
    expect(take(w, [0, 1, 2, 3])).toEqual([3]);
  });

  it('costs nothing when forged: ongoing data goes on, FEC copies are still dropped, the wrap is in order', () => {
    const w = new ReceiveWindow(16);
    expect(take(w, [65530, 65531, 65532])).toEqual([65530, 65531, 65532]);
    w.mayRestart();
    expect(take(w, [65531, 65532, 65533, 65534, 65535, 0, 65535, 0, 1])).toEqual([65533, 65534, 65535, 0, 1]);
  });
});
