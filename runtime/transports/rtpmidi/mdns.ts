/**
 * RTP-MIDI discovery: advertise and browse `_apple-midi._udp` sessions (instance name = session name,
 * SRV port = control port, an empty TXT), as macOS, rtpMIDI and rtpmidid publish them, through the
 * shared DNS-SD helper (../dns-sd.ts).
 */
import { isIP } from 'node:net';
import { advertiseService, browseServices, type MdnsOptions, type ServiceProfile } from '../dns-sd.ts';
import { formatRtpMidiUrl } from './url.ts';

export const RTPMIDI_SERVICE_TYPE = '_apple-midi._udp';

export interface RtpMidiAdvertisement {
  /** The session name (the DNS-SD instance name; '.' becomes '-'). */
  readonly name: string;
  /** The control port (data is on port + 1). */
  readonly port: number;
  /** An IP address or host name to advertise; default this machine's (see advertiseService). */
  readonly host?: string;
}

/** One session found by `discoverRtpMidi`. */
export interface RtpMidiService {
  /** The DNS-SD instance name: the session's name. */
  readonly name: string;
  /** SRV target host name. */
  readonly host: string;
  /** A/AAAA addresses of `host` (IPv4 first). */
  readonly addresses: readonly string[];
  /** The control port. */
  readonly port: number;
  /** `rtpmidi://<address>:<port>` with the first usable address. */
  readonly url: string;
}

/** Publishes the session until `stop()` (announced twice, goodbye on stop). */
export function advertiseRtpMidi(ad: RtpMidiAdvertisement, options: MdnsOptions = {}): Promise<{ stop(): Promise<void> }> {
  // DNS-SD wants a TXT record even when there is nothing to say: one empty string (RFC 6763 §6.1).
  return advertiseService(
    { serviceType: RTPMIDI_SERVICE_TYPE, instanceName: ad.name, port: ad.port, txt: [''], ...(ad.host === undefined ? {} : { host: ad.host }) },
    options,
  );
}

/** Browses `_apple-midi._udp` for `timeoutMs` (default 2000): the sessions found, one per instance name and port. */
export function discoverRtpMidi(options: MdnsOptions & { timeoutMs?: number; onService?: (s: RtpMidiService) => void } = {}): Promise<RtpMidiService[]> {
  return browseServices(rtpMidiProfile, options);
}

const rtpMidiProfile: ServiceProfile<RtpMidiService> = {
  serviceType: RTPMIDI_SERVICE_TYPE,
  describe(found, previous) {
    // The data port is control + 1: a control port of 65535 can't be a session.
    if (found.port > 0xfffe) return undefined;
    const address = found.addresses.find((a) => !/^fe80:/i.test(a) && isIP(a) !== 0) ?? found.addresses[0]!;
    return {
      key: `${found.instanceName.toLowerCase()}\u0000${found.port}`,
      service: {
        name: found.instanceName,
        host: found.host,
        addresses: found.addresses,
        port: found.port,
        url: previous?.url ?? formatRtpMidiUrl(address, found.port),
      },
    };
  },
};
