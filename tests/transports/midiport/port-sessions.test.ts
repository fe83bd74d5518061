import { afterEach, describe, expect, it, vi } from 'vitest';
import { NetworkBus } from '../../../runtime/index.ts';
import { HELLO_DEADLINE_MS } from '../../../runtime/bus/sessions.ts';
import { TransportError, type LinkDown } from '../../../runtime/transports/link.ts';
import { midi1Link } from '../../../runtime/transports/midi1-link.ts';
import type { Midi1Port } from '../../../runtime/transports/midi1-port.ts';
import { PortSessions } from '../../../runtime/transports/midiport/port-sessions.ts';
import { topics } from '../../../generated/registry.ts';
import { collectBusErrors } from '../../helpers/bus-errors.ts';
import { midi1PortPair } from '../../helpers/midi1-port-pair.ts';
import { until } from '../../helpers/until.ts';
import { registry } from '../../bus/network-peers.ts';

/**
 * The midi: listener's sessions on one port (port-sessions.ts), over an in-memory MIDI 1.0 cable: the
 * far end (`keyboard`) plays or runs a bus client; the near end is the listener's port.
 */
const busErrors = collectBusErrors();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const close of closers.splice(0).reverse()) await close();
});

function cable(): { keyboard: Midi1Port; sessions: PortSessions; started: Midi1Port[]; got: number[][][] } {
  const pair = midi1PortPair({}, ['keyboard', 'listener']);
  const sessions = new PortSessions(pair.ports[1]);
  closers.push(() => sessions.close());
  const started: Midi1Port[] = [];
  const got: number[][][] = [];
  sessions.onSession((session) => {
    const mine: number[][] = [];
    got.push(mine);
    started.push(session);
    session.onMessage((m) => void mine.push([...m]));
  });
  return { keyboard: pair.ports[0], sessions, started, got };
}

/** A cable whose every session the authority accepts, as the midi: listener hands them to the bus. */
function cableTo(authority: NetworkBus): { keyboard: Midi1Port; started: Midi1Port[] } {
  const { keyboard, sessions, started } = cable();
  sessions.onSession((session) => {
    started.push(session);
    authority.accept(midi1Link(session));
  });
  return { keyboard, started };
}

describe('PortSessions', () => {
  it('starts a session with the first message from the port, not before', async () => {
    const { keyboard, started, got } = cable();
    await new Promise((r) => setTimeout(r, 20));
    expect(started).toEqual([]);
    keyboard.send(Uint8Array.of(0x90, 0x3c, 0x64));
    keyboard.send(Uint8Array.of(0x80, 0x3c, 0x00));
    await until(() => got[0]?.length === 2, 2_000, 'two notes');
    expect(started).toHaveLength(1);
    expect(got).toEqual([
      [
        [0x90, 0x3c, 0x64],
        [0x80, 0x3c, 0x00],
      ],
    ]);
  });

  it('a session closed by its owner leaves the port open, and the next message starts the next session', async () => {
    const { keyboard, started, got } = cable();
    const back: number[][] = [];
    keyboard.onMessage((m) => void back.push([...m]));
    keyboard.send(Uint8Array.of(0x90, 0x3c, 0x64));
    await until(() => started.length === 1, 2_000, 'the first session');
    const first = started[0]!;
    const downs: LinkDown[] = [];
    first.onDown((d) => void downs.push(d));
    await first.close();
    expect(first.isOpen).toBe(false);
    expect(downs.map((d) => d.reason)).toEqual(['closed']);
    expect(() => first.send(Uint8Array.of(0x90, 0x3c, 0x64))).toThrow(TransportError);

    keyboard.send(Uint8Array.of(0x91, 0x40, 0x7f));
    await until(() => started.length === 2 && got[1]!.length === 1, 2_000, 'the second session');
    expect(got).toEqual([[[0x90, 0x3c, 0x64]], [[0x91, 0x40, 0x7f]]]);
    started[1]!.send(Uint8Array.of(0xb0, 0x07, 0x64));
    await until(() => back.length === 1, 2_000, 'what the second session sent');
    expect(back).toEqual([[0xb0, 0x07, 0x64]]);
  });

  it('the port going down ends the session in progress with its reason', async () => {
    const { keyboard, started } = cable();
    keyboard.send(Uint8Array.of(0xf8));
    await until(() => started.length === 1, 2_000, 'the session');
    const downs: LinkDown[] = [];
    started[0]!.onDown((d) => void downs.push(d));
    await keyboard.close();
    await until(() => downs.length === 1, 2_000, 'the session to end');
    expect(downs[0]!.reason).toBe('bye');
    expect(started[0]!.isOpen).toBe(false);
  });

  it('a keyboard that never says HELLO keeps its session past the deadline: a note a minute later reaches onForeignUmp', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const foreign: number[][] = [];
    const authority = new NetworkBus({ name: 'authority', ...registry, onError: busErrors.for('authority'), onForeignUmp: (w) => void foreign.push([...w]) });
    closers.push(() => authority.close());
    const { keyboard, started } = cableTo(authority);
    keyboard.send(Uint8Array.of(0x90, 0x3c, 0x64));
    await vi.waitUntil(() => foreign.length === 1);
    const downs: LinkDown[] = [];
    started[0]!.onDown((d) => void downs.push(d));
    vi.advanceTimersByTime(HELLO_DEADLINE_MS + 60_000);
    expect(downs).toEqual([]);
    keyboard.send(Uint8Array.of(0x90, 0x3e, 0x64));
    await vi.waitUntil(() => foreign.length === 2);
    expect(foreign).toEqual([[0x20903c64], [0x20903e64]]);
    expect(started).toHaveLength(1);
  });

  it('after the bus dropped a session that never said HELLO, the next message starts another', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    // No onForeignUmp: nobody listens for the keyboard, so the bus gives its session up at the deadline.
    const authority = new NetworkBus({ name: 'authority', ...registry, onError: busErrors.for('authority') });
    closers.push(() => authority.close());
    const { keyboard, started } = cableTo(authority);
    keyboard.send(Uint8Array.of(0x90, 0x3c, 0x64));
    await vi.waitUntil(() => started.length === 1);
    const downs: LinkDown[] = [];
    started[0]!.onDown((d) => void downs.push(d));
    vi.advanceTimersByTime(HELLO_DEADLINE_MS + 1);
    expect(downs.map((d) => d.reason)).toEqual(['closed']);
    expect(started[0]!.isOpen).toBe(false);
    keyboard.send(Uint8Array.of(0x90, 0x3e, 0x64));
    await vi.waitUntil(() => started.length === 2);
    expect(started[1]!.isOpen).toBe(true);
  });

  it('a bus client session runs over a session of the port', async () => {
    const authority = new NetworkBus({ name: 'authority', ...registry, onError: busErrors.for('authority') });
    const client = new NetworkBus({ name: 'client', ...registry, onError: busErrors.for('client') });
    closers.push(
      () => authority.close(),
      () => client.close(),
    );
    const { keyboard, sessions } = cable();
    sessions.onSession((session) => authority.accept(midi1Link(session)));
    await client.connect(midi1Link(keyboard));
    const dispatch = topics['gpu/job.dispatch'];
    const accepted = dispatch.reply!.example();
    await authority.serve(dispatch, () => accepted).ready;
    expect(await client.request(dispatch, dispatch.payload.example(), { timeoutMs: 5_000 })).toEqual(accepted);
  });
});
