/** `rtpmidi://HOST:PORT` addresses of RTP-MIDI sessions: PORT is the control port, data is PORT + 1. */
import { TransportError } from '../link.ts';

export interface ParseRtpMidiUrlOptions {
  /** The address is one to bind: port 0 ("any free even port pair") is accepted then. */
  readonly listen?: boolean;
}

/** Parses `rtpmidi://HOST:PORT` (IPv6 hosts in brackets); TransportError('bad-url') naming what is wrong otherwise. */
export function parseRtpMidiUrl(url: string, options: ParseRtpMidiUrlOptions = {}): { host: string; port: number } {
  const m = /^rtpmidi:\/\/(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]@?#]+):(\d{1,5})\/?$/i.exec(url);
  if (!m) throw new TransportError('bad-url', `not an rtpmidi://HOST:PORT address: ${JSON.stringify(url)}`);
  const port = Number(m[2]);
  // The data port is PORT + 1, so the control port can be at most 65534.
  if (port > 0xfffe) throw new TransportError('bad-url', `control port ${port} is out of range (1..65534; data goes to PORT + 1) in ${JSON.stringify(url)}`);
  if (port === 0 && options.listen !== true) {
    throw new TransportError(
      'bad-url',
      `port 0 means "any free port pair", which only a listener can ask for; give the peer's control port in ${JSON.stringify(url)}`,
    );
  }
  if (options.listen === true && port % 2 === 1) {
    // npm rtpmidi (and AppleMIDI practice) answers from the socket the port's parity names: an odd control port gets no session.
    throw new TransportError(
      'bad-url',
      `control port ${port} is odd; RTP-MIDI listens on an even control port with data on PORT + 1, in ${JSON.stringify(url)}`,
    );
  }
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return { host, port };
}

/** `rtpmidi://HOST:PORT` of a control port, IPv6 hosts in brackets. */
export function formatRtpMidiUrl(host: string, port: number): string {
  return `rtpmidi://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
