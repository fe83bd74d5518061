// Public surface of the RTP-MIDI (AppleMIDI) transport: connect and listen, URLs, the endpoint, and the codecs.
export { connectRtpMidi, listenRtpMidi, type ConnectRtpMidiOptions, type ListenRtpMidiOptions, type RtpMidiListener } from './connect.ts';
export { parseRtpMidiUrl, formatRtpMidiUrl, type ParseRtpMidiUrlOptions } from './url.ts';
export { RtpMidiEndpoint, type RtpMidiEndpointOptions } from './endpoint.ts';
export { type RtpMidiSession, type RtpMidiSessionState } from './session.ts';
export { DEFAULT_RTPMIDI_TUNING, DEFAULT_RTPMIDI_MTU, type RtpMidiTuning } from './tuning.ts';
export { RtpMidiError, type RtpMidiErrorCode } from './errors.ts';
export { decodeControl, encodeControl, isControlPacket, APPLEMIDI_VERSION, type ControlPacket } from './control.ts';
export { decodeRtpHeader, encodeRtpHeader, RTP_MIDI_PAYLOAD_TYPE, type RtpHeader } from './rtp-header.ts';
export { decodeMidiPayload, type CommandItem } from './command-section.ts';
export { packetize } from './packetizer.ts';
export { advertiseRtpMidi, discoverRtpMidi, RTPMIDI_SERVICE_TYPE, type RtpMidiAdvertisement, type RtpMidiService } from './mdns.ts';
