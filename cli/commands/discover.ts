import type { Command } from 'commander';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import { MdnsError, discoverNm2, discoverRtpMidi, type Nm2Service, type RtpMidiService } from '../../runtime/transports/index.ts';

interface DiscoverOptions {
  readonly timeout: string;
  readonly json?: boolean;
  readonly interface?: string;
  readonly mdnsPort?: string;
  readonly rtpmidi?: boolean;
}

/** `midl discover`: lists the Network MIDI 2.0 endpoints (`_midi2._udp`), or RTP-MIDI sessions (`_apple-midi._udp`), that answer on mDNS. */
export function registerDiscover(program: Command, setExit: SetExitCode): void {
  program
    .command('discover')
    .description('List Network MIDI 2.0 endpoints (mDNS/DNS-SD _midi2._udp): name, product instance id, url')
    .option('--timeout <MS>', 'how long to listen, in milliseconds', '2000')
    .option('--json', 'one JSON object per endpoint and line')
    .option('--interface <ADDR>', 'IPv4 address of the one interface to use, e.g. 127.0.0.1 (default: all)')
    .option('--mdns-port <N>', 'mDNS UDP port (default 5353; another port makes a private discovery domain)')
    .option('--rtpmidi', 'list RTP-MIDI sessions (_apple-midi._udp: name, url) instead')
    .action(async (o: DiscoverOptions) => {
      const timeoutMs = integer('--timeout', o.timeout, 0, 600_000);
      const port = o.mdnsPort === undefined ? undefined : integer('--mdns-port', o.mdnsPort, 1, 65535);
      let services: Nm2Service[];
      try {
        if (o.rtpmidi) return printRtpMidi(await discoverRtpMidi({ timeoutMs, port, interface: o.interface }), o.json === true, timeoutMs);
        services = await discoverNm2({ timeoutMs, port, interface: o.interface });
      } catch (err) {
        // Bad option values surface here too (e.g. an interface that isn't an IPv4 address).
        if (err instanceof MdnsError) {
          process.stderr.write(`error: ${err.message}\n`);
          setExit(ExitCode.Failure);
          return;
        }
        throw err;
      }
      services.sort((a, b) => a.endpointName.localeCompare(b.endpointName) || a.productInstanceId.localeCompare(b.productInstanceId));
      if (o.json) {
        for (const s of services) process.stdout.write(JSON.stringify(s) + '\n');
        return;
      }
      if (services.length === 0) {
        process.stderr.write(`no _midi2._udp endpoints answered within ${timeoutMs} ms\n`);
        return;
      }
      const width = (pick: (s: Nm2Service) => string, title: string): number => Math.max(title.length, ...services.map((s) => pick(s).length));
      const nameWidth = width((s) => s.endpointName, 'NAME');
      const piidWidth = width((s) => s.productInstanceId, 'PRODUCT INSTANCE ID');
      const row = (a: string, b: string, c: string): string => `${a.padEnd(nameWidth)}  ${b.padEnd(piidWidth)}  ${c}\n`;
      process.stdout.write(row('NAME', 'PRODUCT INSTANCE ID', 'URL'));
      for (const s of services) process.stdout.write(row(s.endpointName, s.productInstanceId, s.url));
    });
}

/** RTP-MIDI sessions: one JSON object per line, or a `NAME  URL` table sorted by name. */
function printRtpMidi(sessions: RtpMidiService[], json: boolean, timeoutMs: number): void {
  sessions.sort((a, b) => a.name.localeCompare(b.name) || a.url.localeCompare(b.url));
  if (json) {
    for (const s of sessions) process.stdout.write(JSON.stringify(s) + '\n');
    return;
  }
  if (sessions.length === 0) {
    process.stderr.write(`no _apple-midi._udp sessions answered within ${timeoutMs} ms\n`);
    return;
  }
  const nameWidth = Math.max(4, ...sessions.map((s) => s.name.length));
  process.stdout.write(`${'NAME'.padEnd(nameWidth)}  URL\n`);
  for (const s of sessions) process.stdout.write(`${s.name.padEnd(nameWidth)}  ${s.url}\n`);
}

function integer(flag: string, raw: string, min: number, max: number): number {
  const value = /^[0-9]+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag}: expected a whole number ${min}..${max}, got "${raw}"`);
  }
  return value;
}
