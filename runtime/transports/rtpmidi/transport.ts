/**
 * The `rtpmidi:` transport of the registry: AppleMIDI sessions (RTP-MIDI, RFC 6295) whose MIDI 1.0
 * messages carry the bus as SysEx7 + Mcoded7 through `midi1Link`.
 */
import { midi1Link } from '../midi1-link.ts';
import type { UmpLink } from '../link.ts';
import type { ConnectOptions, ListenOptions, Transport, TransportListener } from '../registry.ts';
import { MDNS_PORT, announcementFor } from '../dns-sd.ts';
import { connectRtpMidi, listenRtpMidi } from './connect.ts';
import { RTPMIDI_SERVICE_TYPE, advertiseRtpMidi } from './mdns.ts';
import { parseRtpMidiUrl } from './url.ts';

export const rtpmidiTransport: Transport = {
  scheme: 'rtpmidi',
  syntax: 'rtpmidi://HOST:PORT',
  description: 'RTP-MIDI (AppleMIDI) sessions: PORT is the control port, data on PORT+1; a listener takes an even port, 0 any free pair',
  example: 'rtpmidi://127.0.0.1:5004',
  check(url, role) {
    parseRtpMidiUrl(url, { listen: role === 'listen' });
  },
  async connect(url: string, o: ConnectOptions): Promise<UmpLink> {
    const port = await connectRtpMidi(url, {
      name: o.name,
      ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
      ...(o.onError === undefined ? {} : { onError: o.onError }),
    });
    return midi1Link(port);
  },
  async listen(url: string, o: ListenOptions): Promise<TransportListener> {
    const listener = await listenRtpMidi(url, { name: o.name, ...(o.onError === undefined ? {} : { onError: o.onError }) });
    const bound = parseRtpMidiUrl(listener.url, { listen: true });
    return {
      url: listener.url,
      onSession: (handler) => listener.onSession((port) => handler(midi1Link(port))),
      async advertise(name, options) {
        const { mdns, host } = announcementFor(bound.host, options);
        const ad = await advertiseRtpMidi({ name, port: bound.port, ...(host === undefined ? {} : { host }) }, mdns);
        return { serviceType: RTPMIDI_SERVICE_TYPE, note: '', interface: mdns.interface, mdnsPort: mdns.port ?? MDNS_PORT, stop: () => ad.stop() };
      },
      close: () => listener.close(),
    };
  },
};
