/**
 * The lines `midl peer` prints for traffic that is not a bus frame (a note from a keyboard, a CC from a
 * DAW, a foreign SysEx): `{"midi":"90 3c 64"}`, the message's MIDI 1.0 bytes (lowercase hex, space
 * separated, running status expanded, a SysEx whole from F0 to F7), or `{"ump":"40903C00 FFFF0000"}`,
 * its UMP words (8 hex digits each, as in a `.ump` file) when it has no MIDI 1.0 form.
 */
import { UmpToMidi1 } from '../../runtime/index.ts';

export type ForeignLine = { readonly midi: string } | { readonly ump: string };

const hexBytes = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
const hexWords = (words: Uint32Array): string => [...words].map((w) => w.toString(16).toUpperCase().padStart(8, '0')).join(' ');

/** The line of one complete UMP message (as the bus's `onForeignUmp` hands it over). */
export function foreignLine(words: Uint32Array): ForeignLine {
  // One complete message: a fresh translator has no state to carry from one to the next.
  const results = new UmpToMidi1().push(words);
  const only = results.length === 1 ? results[0] : undefined;
  return only instanceof Uint8Array ? { midi: hexBytes(only) } : { ump: hexWords(words) };
}
