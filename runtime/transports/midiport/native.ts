/**
 * Loads RtMidi (`@julusian/midi`) on first use and turns "this machine has no MIDI system" into one
 * TransportError('unavailable') that says why, instead of a native error and ALSA's own lines on stderr.
 */
import { existsSync } from 'node:fs';
import { TransportError } from '../link.ts';

export type RtMidi = typeof import('@julusian/midi');
export type RtMidiInput = InstanceType<RtMidi['Input']>;
export type RtMidiOutput = InstanceType<RtMidi['Output']>;

/** The device of the ALSA sequencer, which RtMidi on Linux opens for every input and output. */
export const ALSA_SEQUENCER_DEVICE = '/dev/snd/seq';

let loading: Promise<RtMidi> | undefined;

/**
 * The RtMidi module, imported once. Checks first that Linux has its sequencer device, because RtMidi
 * would otherwise print ALSA's errors on stderr before failing with no reason ("Failed to initialise RtMidi").
 */
export function loadRtMidi(): Promise<RtMidi> {
  if (process.platform === 'linux' && !existsSync(ALSA_SEQUENCER_DEVICE)) {
    return Promise.reject(
      new TransportError('unavailable', `no ALSA sequencer: ${ALSA_SEQUENCER_DEVICE} is missing; load snd-seq (modprobe snd-seq) or run where one exists`),
    );
  }
  loading ??= import('@julusian/midi').catch((err: unknown) => {
    loading = undefined;
    throw new TransportError('unavailable', `the MIDI port module @julusian/midi could not be loaded: ${messageOf(err)}`, { cause: err });
  });
  return loading;
}

/**
 * Runs a call that makes RtMidi open the system's MIDI client (a constructor, the port listing), and
 * reports its failure as TransportError('unavailable'): such a call fails only when the MIDI system
 * can't be used (the native library didn't load, the sequencer refused a client).
 */
export function openingMidiSystem<T>(what: string, call: () => T): T {
  try {
    return call();
  } catch (err) {
    throw new TransportError(
      'unavailable',
      `the MIDI system could not be used (${what}): ${messageOf(err)}; on Linux, check that ${ALSA_SEQUENCER_DEVICE} exists and this user may open it`,
      { cause: err },
    );
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
