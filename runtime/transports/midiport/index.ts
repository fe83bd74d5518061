// Public surface of the hardware and virtual MIDI port transport (midi:NAME through RtMidi, Node only):
// listing, opening and creating ports, the midi: address and its port-name matcher.
export { listMidiPorts, openMidiPort, openVirtualMidiPort } from './open.ts';
export { MIDI_PORT_MAX_MESSAGE_BYTES, type MidiPort, type MidiPortOptions, type MidiPortStats } from './port.ts';
export { parseMidiUrl, formatMidiUrl, type MidiPortSelector } from './url.ts';
export { matchMidiPort, type MidiPortInfo, type MidiPortList, type MidiPortMatch } from './match.ts';
export { MidiMessageError, checkMidi1Message } from './message.ts';
export { ALSA_SEQUENCER_DEVICE } from './native.ts';
