import { Midi1ByteReader, Midi1Error, midi1ToUmp } from '../../runtime/index.ts';
import { ExitCode, UsageError, type SetExitCode } from '../exit.ts';
import { openLink, type ClientOptions } from './client.ts';
import { describeError } from './options.ts';
import { urlOption } from './urls.ts';

export interface MidiSendOptions extends ClientOptions {
  to: string;
  group: number;
}

/** The largest message list taken from the command line: far beyond what anyone types, well within memory. */
const MAX_BYTES = 1 << 20;

/** What `midl midi send` does (commands/midi.ts defines its options). */
export async function runMidiSend(hex: readonly string[], opts: MidiSendOptions, setExit: SetExitCode): Promise<void> {
  const to = urlOption('--to', opts.to, 'connect');
  const messages = midiMessages(hex);
  const opened = await openLink(to, opts);
  if (!opened) return setExit(ExitCode.Failure);
  const { link, url } = opened;
  try {
    for (const message of messages) link.send(midi1ToUmp(message, opts.group));
    // close() puts what is queued on the wire before the transport's goodbye.
    await link.close();
  } catch (err) {
    process.stderr.write(`error: ${url}: ${describeError(err)}\n`);
    await link.close().catch(() => undefined);
    return setExit(ExitCode.Failure);
  }
  const count = messages.length;
  process.stderr.write(`sent ${count} MIDI message${count === 1 ? '' : 's'} to ${url}\n`);
  setExit(ExitCode.Ok);
}

/**
 * The command line's hex bytes as complete MIDI 1.0 messages, read as a MIDI 1.0 stream (running status,
 * real-time bytes anywhere). Anything else is a usage error that says which byte, before any network
 * activity: nothing is sent when one message is wrong.
 */
export function midiMessages(words: readonly string[]): Uint8Array[] {
  const bytes: number[] = [];
  for (const [i, word] of words.entries()) {
    for (const token of word.trim().split(/[\s,]+/)) {
      if (token === '') continue;
      if (!/^(?:[0-9a-fA-F]{2})+$/.test(token))
        throw new UsageError(
          `argument ${i + 1} (${JSON.stringify(token.length > 20 ? `${token.slice(0, 20)}…` : token)}): MIDI bytes are pairs of hex digits, e.g. 90 3C 64`,
        );
      if (bytes.length + token.length / 2 > MAX_BYTES) throw new UsageError(`more than ${MAX_BYTES} bytes of MIDI on the command line`);
      for (let j = 0; j < token.length; j += 2) bytes.push(Number.parseInt(token.slice(j, j + 2), 16));
    }
  }
  if (bytes.length === 0) throw new UsageError('no MIDI bytes given');
  const reader = new Midi1ByteReader({ maxSysExBytes: MAX_BYTES });
  const messages: Uint8Array[] = [];
  for (const result of reader.push(Uint8Array.from(bytes))) {
    if (result instanceof Midi1Error) throw new UsageError(`${result.message}, counting the given bytes from 0; nothing sent`);
    messages.push(result);
  }
  if (reader.incomplete) throw new UsageError(`the bytes end inside a message (a status short of its data bytes, or a SysEx without its F7); nothing sent`);
  return messages;
}
