import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { MdnsOptions } from '../../../runtime/transports/dns-sd.ts';
import type { Midi1Port } from '../../../runtime/transports/midi1-port.ts';
import { connectRtpMidi, listenRtpMidi } from '../../../runtime/transports/rtpmidi/connect.ts';
import { discoverRtpMidi } from '../../../runtime/transports/rtpmidi/mdns.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** mDNS on loopback on a private port, so that runs don't hear each other. */
async function loopbackMdns(): Promise<MdnsOptions> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return { interface: '127.0.0.1', port };
}

describe('RTP-MIDI over mDNS (_apple-midi._udp)', () => {
  it('a listener that advertises is discovered by name and control port, and its URL opens a session', async () => {
    const mdns = await loopbackMdns();
    const errors: unknown[] = [];
    const listener = await listenRtpMidi('rtpmidi://127.0.0.1:0', { name: 'midl.session one', advertise: true, mdns, onError: (e) => errors.push(e) });
    cleanups.push(() => listener.close());
    listener.onSession((port: Midi1Port) => port.onMessage(() => {}));
    const found = await discoverRtpMidi({ ...mdns, timeoutMs: 1500 });
    expect(found).toHaveLength(1);
    // '.' can't be in a DNS-SD label as dns-packet splits names: it becomes '-'.
    expect(found[0]).toMatchObject({ name: 'midl-session one', port: Number(/:(\d+)$/.exec(listener.url)![1]), url: listener.url });
    const port = await connectRtpMidi(found[0]!.url, { name: 'finder', onError: (e) => errors.push(e) });
    expect(port.peerName).toBe('midl.session one');
    await port.close();
    await listener.close();
    // After close the goodbye is out: a later browse finds nothing.
    expect(await discoverRtpMidi({ ...mdns, timeoutMs: 800 })).toEqual([]);
    expect(errors).toEqual([]);
  }, 20_000);
});
