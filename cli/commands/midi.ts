import { InvalidArgumentError, Option, type Command } from 'commander';
import type { SetExitCode } from '../exit.ts';
import { addClientOptions, peerUrlHelp, wholeNumber } from '../operator/options.ts';
import type { MidiSendOptions } from '../operator/run-midi-send.ts';

/**
 * `midl midi`: plain MIDI, not bus messages, to whatever a transport reaches — an instrument on a MIDI
 * port, an RTP-MIDI session, a Network MIDI 2.0 endpoint (as the equivalent UMP).
 */
export function registerMidi(program: Command, setExit: SetExitCode): void {
  const midi = program.command('midi').description('plain MIDI 1.0 messages to a port, an RTP-MIDI session or a Network MIDI 2.0 endpoint');
  addClientOptions(
    midi
      .command('send')
      .description('send MIDI 1.0 messages given as hex bytes (90 3C 64, or a whole SysEx F0 … F7); exit 0 once they are on the wire')
      .argument(
        '<hex...>',
        'the bytes, two hex digits each, separated by spaces or in one word (903C64); running status and real-time bytes as MIDI 1.0 allows',
      )
      .requiredOption('--to <url>', peerUrlHelp())
      .addOption(new Option('--group <n>', 'UMP group on transports that carry UMP (udp:, mdns:); MIDI 1.0 transports have none').argParser(group).default(0)),
    'midl midi send',
  ).action(async (hex: string[], opts: MidiSendOptions) => (await import('../operator/run-midi-send.ts')).runMidiSend(hex, opts, setExit));
}

function group(raw: string): number {
  const n = wholeNumber(raw);
  if (n > 15) throw new InvalidArgumentError('a UMP group is 0..15');
  return n;
}
