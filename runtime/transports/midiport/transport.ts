/**
 * The `midi:` transport of the registry: a hardware or virtual MIDI port pair (RtMidi) whose MIDI 1.0
 * messages carry the bus as SysEx7 + Mcoded7 through `midi1Link`. A port has no sessions of its own:
 * listening on one opens it for as long as the listener lives and hands it over one session at a time,
 * each started by the first message after the last ended (port-sessions.ts).
 */
import { midi1Link } from '../midi1-link.ts';
import { TransportError, type UmpLink } from '../link.ts';
import type { ConnectOptions, ListenOptions, Transport, TransportListener } from '../registry.ts';
import type { Midi1Port } from '../midi1-port.ts';
import { openMidiPort, openVirtualMidiPort } from './open.ts';
import { PortSessions } from './port-sessions.ts';
import { formatMidiUrl, parseMidiUrl } from './url.ts';

export const midiTransport: Transport = {
  scheme: 'midi',
  syntax: 'midi:NAME',
  description: 'a hardware or virtual MIDI port pair by its name, a part of it that matches one port, or #INDEX (midl ports lists them)',
  example: 'midi:"Midi Through Port-0"',
  check(url) {
    parseMidiUrl(url);
  },
  async connect(url: string, o: ConnectOptions): Promise<UmpLink> {
    return midi1Link(await openMidiPort(url, { name: o.name, ...(o.onError === undefined ? {} : { onError: o.onError }) }));
  },
  async listen(url: string, o: ListenOptions): Promise<TransportListener> {
    const selector = parseMidiUrl(url);
    const options = { name: o.name, ...(o.onError === undefined ? {} : { onError: o.onError }) };
    let port: Midi1Port;
    if (o.virtual === true) {
      if (selector.kind !== 'name') throw new TransportError('bad-url', `a virtual port is created by name, not by index: ${url}`);
      port = await openVirtualMidiPort(selector.name, options);
    } else port = await openMidiPort(url, options);
    const sessions = new PortSessions(port);
    return {
      url: formatMidiUrl(selector),
      onSession: (handler) => sessions.onSession((session) => handler(midi1Link(session))),
      close: () => sessions.close(),
    };
  },
};
