import { afterEach, describe, expect, it, vi } from 'vitest';
import { NetworkBus, loopbackLinkPair, midi1ToUmp, packSysEx8 } from '../../runtime/index.ts';
import { HELLO_DEADLINE_MS } from '../../runtime/bus/sessions.ts';
import { topics } from '../../generated/registry.ts';
import { collectBusErrors } from '../helpers/bus-errors.ts';
import { connectedPair, registry, until, type Pair } from './network-peers.ts';

// UMP on a peer's link that is not a bus frame reaches `onForeignUmp` whole, and only such UMP does.
const busErrors = collectBusErrors();
let pair: Pair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

const hex = (words: Uint32Array): string => [...words].map((w) => w.toString(16).padStart(8, '0')).join(' ');

describe('NetworkBus onForeignUmp', () => {
  // keepPackets: the reader hands over the packets it kept instead of packing the message again.
  it.each([false, true])('hands over notes, MIDI 2.0 messages and foreign SysEx, never bus frames (keepPackets %s)', async (keepPackets) => {
    const foreign: string[] = [];
    const from: string[] = [];
    pair = await connectedPair({
      errors: busErrors,
      authority: {
        keepPackets,
        onForeignUmp: (words, link) => {
          foreign.push(hex(words));
          from.push(link);
        },
      },
    });
    const dispatch = topics['gpu/job.dispatch'];
    const got: unknown[] = [];
    await pair.authority.subscribe(dispatch, (v) => void got.push(v)).ready;
    await pair.client.publish(dispatch, dispatch.payload.example());
    await until(() => got.length === 1);
    const sysex7 = midi1ToUmp(Uint8Array.of(0xf0, 0x7e, 0x7f, 0x06, 0x01, 0x02, 0x03, 0x04, 0xf7), 2);
    const sysex8 = packSysEx8(Uint8Array.of(0x00, 0x41, 0x01, 0x02), { group: 1, streamId: 9 });
    const link = pair.link();
    link.send(Uint32Array.of(0x20903c64));
    link.send(Uint32Array.of(0x40903c00, 0xffff0000));
    link.send(sysex7);
    link.send(sysex8);
    await until(() => foreign.length === 4);
    expect(foreign).toEqual(['20903c64', '40903c00 ffff0000', hex(sysex7), hex(sysex8)]);
    expect(new Set(from)).toEqual(new Set([expect.stringContaining('authority') as string]));
  });

  it('what the hook throws goes to onError, and the session goes on', async () => {
    pair = await connectedPair({
      errors: busErrors,
      authority: {
        onForeignUmp: () => {
          throw new Error('hook failed');
        },
      },
    });
    pair.link().send(Uint32Array.of(0x20903c64));
    await until(() => busErrors.count({ bus: 'authority', message: 'hook failed' }) === 1);
    busErrors.claim({ bus: 'authority', message: 'hook failed' }, 1);
    const dispatch = topics['gpu/job.dispatch'];
    const accepted = dispatch.reply!.example();
    await pair.authority.serve(dispatch, () => accepted).ready;
    expect(await pair.client.request(dispatch, dispatch.payload.example(), { timeoutMs: 2_000 })).toEqual(accepted);
  });
});

describe('a link that never says HELLO', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  // A keyboard or a DAW on the authority's listener never opens a bus session: a link that carried MIDI
  // the application listens to stays past the HELLO deadline; a silent one is dropped as before.
  it('is kept past the HELLO deadline once it carried MIDI the application hears, and dropped when silent', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const heard: string[] = [];
    const authority = new NetworkBus({ name: 'authority', ...registry, onError: busErrors.for('authority'), onForeignUmp: (words) => heard.push(hex(words)) });
    try {
      const [keyboard, keyboardSide] = loopbackLinkPair({ names: ['keyboard', 'authority'] });
      const [silent, silentSide] = loopbackLinkPair({ names: ['silent', 'authority'] });
      const downs: string[] = [];
      keyboard.onDown(() => downs.push('keyboard'));
      silent.onDown(() => downs.push('silent'));
      authority.accept(keyboardSide);
      authority.accept(silentSide);
      keyboard.send(Uint32Array.of(0x20903c64));
      await vi.advanceTimersByTimeAsync(HELLO_DEADLINE_MS + 1_000);
      expect(downs).toEqual(['silent']);
      // A minute later the keyboard is still heard.
      await vi.advanceTimersByTimeAsync(60_000);
      keyboard.send(Uint32Array.of(0x20803c00));
      await vi.advanceTimersByTimeAsync(10);
      expect(heard).toEqual(['20903c64', '20803c00']);
      expect(downs).toEqual(['silent']);
    } finally {
      vi.useRealTimers();
      await authority.close();
    }
  });

  it('is dropped at the deadline when nobody listens for foreign MIDI, whatever it carried', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const authority = new NetworkBus({ name: 'authority', ...registry, onError: busErrors.for('authority') });
    try {
      const [keyboard, keyboardSide] = loopbackLinkPair({ names: ['keyboard', 'authority'] });
      let down = false;
      keyboard.onDown(() => (down = true));
      authority.accept(keyboardSide);
      keyboard.send(Uint32Array.of(0x20903c64));
      await vi.advanceTimersByTimeAsync(HELLO_DEADLINE_MS + 1_000);
      expect(down).toBe(true);
    } finally {
      vi.useRealTimers();
      await authority.close();
    }
  });
});
