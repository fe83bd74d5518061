/**
 * Which listed input and output a `midi:` address names: the port-name matcher, on plain lists so it
 * needs no MIDI system to run.
 */
import { TransportError } from '../link.ts';
import { formatMidiUrl, type MidiPortSelector } from './url.ts';

/** A port as RtMidi lists it: its index in its direction's list and its full name. */
export interface MidiPortInfo {
  readonly index: number;
  readonly name: string;
}

/** The ports a MIDI system offers; RtMidi numbers inputs and outputs separately. */
export interface MidiPortList {
  readonly inputs: readonly MidiPortInfo[];
  readonly outputs: readonly MidiPortInfo[];
}

/** What an address picked: the input, the output, or both (a one-way device has one side only). */
export interface MidiPortMatch {
  readonly input: MidiPortInfo | undefined;
  readonly output: MidiPortInfo | undefined;
}

/** Error messages list at most this many ports, so a system with thousands stays readable. */
const LISTED_PORTS_MAX = 40;

/**
 * Finds the ports `selector` names in `ports`.
 *
 * A name is matched against each direction's list by the first of these rules that matches any port in
 * either list: the full name; a part of a name (so `Midi Through Port-0` finds ALSA's
 * `Midi Through:Midi Through Port-0 14:0`); a part of a name in any letter case. Under that rule each
 * list may match one port or none (a one-way device), never several. The two sides are matched
 * separately because RtMidi's virtual ports on ALSA are an input and an output of two different
 * clients (`RtMidi Input Client:NAME 128:0` and `RtMidi Output Client:NAME 129:0`).
 *
 * An index picks input N and output N, and refuses a pair whose names differ (RtMidi numbers the two
 * directions separately, so they need not be the same device).
 *
 * TransportError('unresolved') when nothing or several match, listing the ports.
 */
export function matchMidiPort(selector: MidiPortSelector, ports: MidiPortList): MidiPortMatch {
  const url = formatMidiUrl(selector);
  if (selector.kind === 'index') return matchIndex(selector.index, ports, url);
  const wanted = selector.name;
  const folded = wanted.toLowerCase();
  const rules: Array<(name: string) => boolean> = [(n) => n === wanted, (n) => n.includes(wanted), (n) => n.toLowerCase().includes(folded)];
  for (const rule of rules) {
    const inputs = ports.inputs.filter((p) => rule(p.name));
    const outputs = ports.outputs.filter((p) => rule(p.name));
    if (inputs.length === 0 && outputs.length === 0) continue;
    for (const [found, direction] of [
      [inputs, 'inputs'],
      [outputs, 'outputs'],
    ] as const) {
      if (found.length > 1) {
        throw new TransportError(
          'unresolved',
          `${url} matches ${found.length} ${direction}: ${quoteList(found.map((p) => `#${p.index} ${JSON.stringify(p.name)}`))}; give more of the name or use midi:#INDEX. ${listing(ports)}`,
        );
      }
    }
    return { input: inputs[0], output: outputs[0] };
  }
  throw new TransportError('unresolved', `no MIDI port is named like ${url}. ${listing(ports)}`);
}

function matchIndex(index: number, ports: MidiPortList, url: string): MidiPortMatch {
  const input = ports.inputs.find((p) => p.index === index);
  const output = ports.outputs.find((p) => p.index === index);
  if (input === undefined && output === undefined) throw new TransportError('unresolved', `no MIDI port has index ${index} (${url}). ${listing(ports)}`);
  if (input !== undefined && output !== undefined && input.name !== output.name) {
    throw new TransportError(
      'unresolved',
      `${url} is input ${JSON.stringify(input.name)} but output ${JSON.stringify(output.name)}; name the port instead. ${listing(ports)}`,
    );
  }
  return { input, output };
}

function quoteList(items: readonly string[]): string {
  const shown = items.slice(0, LISTED_PORTS_MAX);
  return items.length > LISTED_PORTS_MAX ? `${shown.join(', ')} and ${items.length - LISTED_PORTS_MAX} more` : shown.join(', ');
}

/** "Inputs: #0 "…", …; outputs: …" for error messages. */
export function listing(ports: MidiPortList): string {
  const side = (list: readonly MidiPortInfo[]): string => (list.length === 0 ? 'none' : quoteList(list.map((p) => `#${p.index} ${JSON.stringify(p.name)}`)));
  return `Inputs: ${side(ports.inputs)}; outputs: ${side(ports.outputs)}.`;
}
