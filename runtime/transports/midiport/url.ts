/**
 * `midi:` addresses of hardware and virtual MIDI ports: `midi:NAME`, `midi:"NAME"` (quoted, `\"` and `\\`
 * escaped inside) and `midi:#N` (the port at index N, as `midl ports` lists them).
 */
import { TransportError } from '../link.ts';

/** Which port a `midi:` address names: a name (full or a unique part of one) or an index. */
export type MidiPortSelector = { readonly kind: 'name'; readonly name: string } | { readonly kind: 'index'; readonly index: number };

/** Longer than any RtMidi port name (ALSA: 64-byte client and port names plus `:` and `C:P`). */
const MAX_URL_CHARS = 512;
/** RtMidi numbers ports from 0; no system has anywhere near this many. */
const MAX_PORT_INDEX = 65535;

/**
 * Parses a `midi:` address. The scheme is case-insensitive (RFC 3986 §3.1). An unquoted name is taken
 * verbatim, spaces included (a shell has removed its quotes by then); quote a name that starts with `#`
 * or `"`. TransportError('bad-url') names what is wrong.
 */
export function parseMidiUrl(url: string): MidiPortSelector {
  const bad = (why: string): TransportError => new TransportError('bad-url', `${why} in ${JSON.stringify(url.length > 80 ? `${url.slice(0, 80)}…` : url)}`);
  if (url.length > MAX_URL_CHARS) throw bad(`a midi: address is at most ${MAX_URL_CHARS} characters, this one has ${url.length},`);
  if (!/^midi:/i.test(url)) throw bad('not a midi:NAME, midi:"NAME" or midi:#INDEX address');
  const rest = url.slice('midi:'.length);
  if (hasControlCharacter(rest)) throw bad('a control character');
  if (rest.startsWith('#')) {
    if (!/^#[0-9]{1,5}$/.test(rest)) throw bad('a port index is # and a whole number, e.g. midi:#0,');
    const index = Number(rest.slice(1));
    if (index > MAX_PORT_INDEX) throw bad(`port index ${index} is out of range (0..${MAX_PORT_INDEX})`);
    return { kind: 'index', index };
  }
  const name = rest.startsWith('"') ? unquote(rest, bad) : rest;
  if (name.length === 0) throw bad('an empty port name');
  return { kind: 'name', name };
}

function unquote(quoted: string, bad: (why: string) => TransportError): string {
  let name = '';
  for (let i = 1; i < quoted.length; i++) {
    const c = quoted[i]!;
    if (c === '"') {
      if (i !== quoted.length - 1) throw bad(`text after the closing quote (at character ${i + 1} of the name)`);
      return name;
    }
    if (c === '\\') {
      const next = quoted[++i];
      if (next !== '"' && next !== '\\') throw bad(`a backslash escapes only " and \\ inside quotes (at character ${i} of the name)`);
      name += next;
    } else name += c;
  }
  throw bad('a quoted name without its closing quote');
}

/** The address of a port: `midi:"NAME"` (always quoted, so any name reads back as itself) or `midi:#N`. */
export function formatMidiUrl(selector: MidiPortSelector): string {
  if (selector.kind === 'index') return `midi:#${selector.index}`;
  return `midi:"${selector.name.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Whether `text` holds a C0 control character or DEL, which no port name has and a terminal would act on. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
