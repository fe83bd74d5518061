/**
 * Listing, opening and creating MIDI ports through RtMidi: the entry points of the midi: transport.
 */
import { TransportError } from '../link.ts';
import { matchMidiPort, type MidiPortInfo, type MidiPortList } from './match.ts';
import { loadRtMidi, messageOf, openingMidiSystem, type RtMidi, type RtMidiInput, type RtMidiOutput } from './native.ts';
import { RtMidiPort, type MidiPort, type MidiPortOptions } from './port.ts';
import { formatMidiUrl, hasControlCharacter, parseMidiUrl } from './url.ts';

/** ALSA keeps a port name in 64 bytes with its terminating zero; a longer one would be cut short. */
const MAX_VIRTUAL_NAME_BYTES = 63;

/** The inputs and outputs the MIDI system offers now, each numbered as `midi:#N` and RtMidi number it. */
export async function listMidiPorts(): Promise<MidiPortList> {
  const rt = await loadRtMidi();
  const [input, output] = createPair(rt);
  try {
    return { inputs: portsOf(input), outputs: portsOf(output) };
  } finally {
    destroy(input, output);
  }
}

/**
 * Opens the input and the output that `url` (`midi:NAME`, `midi:"NAME"`, `midi:#N`) names, as matched by
 * `matchMidiPort`. A device with one side only gives a port with that side only: `send` on an input-only
 * port throws TransportError('unavailable'), an output-only port never delivers a message.
 */
export async function openMidiPort(url: string, options: MidiPortOptions = {}): Promise<MidiPort> {
  const selector = parseMidiUrl(url);
  const rt = await loadRtMidi();
  const [input, output] = createPair(rt);
  try {
    const match = matchMidiPort(selector, { inputs: portsOf(input), outputs: portsOf(output) });
    const description = formatMidiUrl(selector);
    if (match.input !== undefined) openSide(input, match.input, description, options);
    if (match.output !== undefined) openSide(output, match.output, description, options);
    const port = new RtMidiPort(
      description,
      match.input?.name,
      match.output?.name,
      match.input === undefined ? undefined : input,
      match.output === undefined ? undefined : output,
      options,
    );
    if (match.input === undefined) destroy(input);
    if (match.output === undefined) destroy(output);
    return port;
  } catch (err) {
    destroy(input, output);
    throw err;
  }
}

/**
 * Creates a virtual input and output named `name` that other applications connect to. On ALSA they are
 * ports of two clients: others see the input as `RtMidi Input Client:NAME …` among their outputs and
 * the output as `RtMidi Output Client:NAME …` among their inputs, so `midi:NAME` finds both.
 */
export async function openVirtualMidiPort(name: string, options: MidiPortOptions = {}): Promise<MidiPort> {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes === 0 || bytes > MAX_VIRTUAL_NAME_BYTES || hasControlCharacter(name)) {
    throw new TransportError(
      'bad-url',
      `a virtual MIDI port name is 1..${MAX_VIRTUAL_NAME_BYTES} bytes of UTF-8 without control characters, got ${JSON.stringify(name)}`,
    );
  }
  const rt = await loadRtMidi();
  const [input, output] = createPair(rt);
  const description = `virtual ${formatMidiUrl({ kind: 'name', name })}`;
  try {
    applyReceiveOptions(input, options);
    refusing(description, 'create its virtual input', () => input.openVirtualPort(name));
    refusing(description, 'create its virtual output', () => output.openVirtualPort(name));
    return new RtMidiPort(description, name, name, input, output, options);
  } catch (err) {
    destroy(input, output);
    throw err;
  }
}

function createPair(rt: RtMidi): [RtMidiInput, RtMidiOutput] {
  const input = openingMidiSystem('creating an input client', () => new rt.Input());
  try {
    return [input, openingMidiSystem('creating an output client', () => new rt.Output())];
  } catch (err) {
    destroy(input);
    throw err;
  }
}

function portsOf(side: RtMidiInput | RtMidiOutput): MidiPortInfo[] {
  const count = side.getPortCount();
  const ports: MidiPortInfo[] = [];
  for (let index = 0; index < count; index++) ports.push({ index, name: side.getPortName(index) });
  return ports;
}

function openSide(side: RtMidiInput | RtMidiOutput, port: MidiPortInfo, description: string, options: MidiPortOptions): void {
  const isInput = 'ignoreTypes' in side;
  if (isInput) applyReceiveOptions(side, options);
  refusing(description, `open ${isInput ? 'input' : 'output'} #${port.index} ${JSON.stringify(port.name)}`, () => side.openPort(port.index));
}

/** SysEx is what bus frames ride on, so it is always received; RtMidi drops it unless told otherwise. */
function applyReceiveOptions(input: RtMidiInput, options: MidiPortOptions): void {
  input.ignoreTypes(false, options.receiveTiming === false, options.receiveActiveSensing === false);
}

function refusing(description: string, what: string, call: () => void): void {
  try {
    call();
  } catch (err) {
    throw new TransportError('refused', `${description}: the MIDI system did not ${what}: ${messageOf(err)}`, { cause: err });
  }
}

function destroy(...sides: Array<RtMidiInput | RtMidiOutput>): void {
  // Only the port's sequencer client goes away here; a failure leaves nothing to undo.
  for (const side of sides) {
    try {
      side.closePort();
      side.destroy();
    } catch {
      // destroy() on a client RtMidi already released throws "RtMidi not initialised"; it is gone either way.
    }
  }
}
