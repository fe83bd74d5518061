import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TransportError, formatMidiUrl, matchMidiPort, parseMidiUrl, type MidiPortList, type MidiPortSelector } from '../../../runtime/transports/index.ts';

/** What the ALSA guest lists (see tests/alsa): the names these rules were written for. */
const ALSA: MidiPortList = {
  inputs: [
    { index: 0, name: 'Midi Through:Midi Through Port-0 14:0' },
    { index: 1, name: 'Virtual Raw MIDI 0-0:VirMIDI 0-0 16:0' },
    { index: 2, name: 'Virtual Raw MIDI 0-1:VirMIDI 0-1 17:0' },
    { index: 3, name: 'RtMidi Output Client:midl bus 131:0' },
  ],
  outputs: [
    { index: 0, name: 'Midi Through:Midi Through Port-0 14:0' },
    { index: 1, name: 'Virtual Raw MIDI 0-0:VirMIDI 0-0 16:0' },
    { index: 2, name: 'Virtual Raw MIDI 0-1:VirMIDI 0-1 17:0' },
    { index: 3, name: 'RtMidi Input Client:midl bus 130:0' },
  ],
};

function thrown(f: () => unknown): TransportError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(TransportError);
    return err as TransportError;
  }
  throw new Error('expected a TransportError, nothing was thrown');
}

describe('parseMidiUrl', () => {
  it('reads names bare and quoted, and indexes', () => {
    expect(parseMidiUrl('midi:Midi Through Port-0')).toEqual({ kind: 'name', name: 'Midi Through Port-0' });
    expect(parseMidiUrl('midi:"Midi Through Port-0"')).toEqual({ kind: 'name', name: 'Midi Through Port-0' });
    expect(parseMidiUrl('MIDI:"a \\"quoted\\" \\\\ name"')).toEqual({ kind: 'name', name: 'a "quoted" \\ name' });
    expect(parseMidiUrl('midi:"#3"')).toEqual({ kind: 'name', name: '#3' });
    expect(parseMidiUrl('midi:#3')).toEqual({ kind: 'index', index: 3 });
    expect(parseMidiUrl('midi:#0')).toEqual({ kind: 'index', index: 0 });
  });

  it('refuses what is not an address, saying what is wrong', () => {
    const cases: Array<[string, RegExp]> = [
      ['udp://127.0.0.1:5004', /not a midi:NAME/],
      ['midi:', /empty port name/],
      ['midi:""', /empty port name/],
      ['midi:"open', /without its closing quote/],
      ['midi:"a"b', /text after the closing quote/],
      ['midi:"a\\nb"', /backslash escapes only/],
      ['midi:#', /port index is # and a whole number/],
      ['midi:#-1', /port index is # and a whole number/],
      ['midi:#1.5', /port index is # and a whole number/],
      ['midi:#99999', /out of range/],
      ['midi:a\u0007b', /control character/],
      [`midi:${'x'.repeat(600)}`, /at most 512 characters/],
    ];
    for (const [url, why] of cases) {
      const err = thrown(() => parseMidiUrl(url));
      expect(err.code, url).toBe('bad-url');
      expect(err.message, url).toMatch(why);
    }
  });

  it('any string either parses or gives bad-url; formatting a parsed address reads back the same', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.string({ maxLength: 80 }).map((s) => `midi:${s}`),
        ),
        (url) => {
          let selector: MidiPortSelector;
          try {
            selector = parseMidiUrl(url);
          } catch (err) {
            expect(err).toBeInstanceOf(TransportError);
            expect((err as TransportError).code).toBe('bad-url');
            return;
          }
          expect(parseMidiUrl(formatMidiUrl(selector))).toEqual(selector);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('formatMidiUrl quotes every name so that it reads back as itself', () => {
    const printable = fc.string({ minLength: 1, maxLength: 60, unit: fc.constantFrom(...'ab #"\\:-0é'.split('')) });
    fc.assert(
      fc.property(printable, (name) => {
        expect(parseMidiUrl(formatMidiUrl({ kind: 'name', name }))).toEqual({ kind: 'name', name });
      }),
      { numRuns: 500 },
    );
  });
});

describe('matchMidiPort', () => {
  const name = (n: string): MidiPortSelector => ({ kind: 'name', name: n });

  it('finds ALSA\'s "Midi Through:Midi Through Port-0 14:0" by a part of its name, both directions', () => {
    const m = matchMidiPort(name('Midi Through Port-0'), ALSA);
    expect(m.input).toEqual(ALSA.inputs[0]);
    expect(m.output).toEqual(ALSA.outputs[0]);
    expect(matchMidiPort(name('Midi Through:Midi Through Port-0 14:0'), ALSA).input).toEqual(ALSA.inputs[0]);
    expect(matchMidiPort(name('midi through'), ALSA).output).toEqual(ALSA.outputs[0]);
  });

  it("pairs a virtual port's input and output, which RtMidi puts on two clients", () => {
    const m = matchMidiPort(name('midl bus'), ALSA);
    expect(m.input?.name).toBe('RtMidi Output Client:midl bus 131:0');
    expect(m.output?.name).toBe('RtMidi Input Client:midl bus 130:0');
  });

  it('an exact name wins over names that contain it, and does not pair with a longer name of the other side', () => {
    const ports: MidiPortList = {
      inputs: [
        { index: 0, name: 'Synth' },
        { index: 1, name: 'Synth 2' },
      ],
      outputs: [{ index: 0, name: 'Synth 2' }],
    };
    expect(matchMidiPort(name('Synth'), ports)).toEqual({ input: ports.inputs[0], output: undefined });
  });

  it('opens one side of a one-way device', () => {
    const ports: MidiPortList = { inputs: [{ index: 0, name: 'Keyboard:Keys 20:0' }], outputs: [{ index: 0, name: 'Sound module 24:0' }] };
    expect(matchMidiPort(name('Keys'), ports)).toEqual({ input: ports.inputs[0], output: undefined });
    expect(matchMidiPort(name('Sound'), ports)).toEqual({ input: undefined, output: ports.outputs[0] });
  });

  it('an ambiguous or unknown name is an error listing the ports', () => {
    const ambiguous = thrown(() => matchMidiPort(name('VirMIDI'), ALSA));
    expect(ambiguous.code).toBe('unresolved');
    expect(ambiguous.message).toContain('matches 2 inputs');
    expect(ambiguous.message).toContain('"Virtual Raw MIDI 0-1:VirMIDI 0-1 17:0"');
    const unknown = thrown(() => matchMidiPort(name('Launchpad'), ALSA));
    expect(unknown.code).toBe('unresolved');
    expect(unknown.message).toContain('no MIDI port is named like midi:"Launchpad"');
    expect(unknown.message).toContain('#0 "Midi Through:Midi Through Port-0 14:0"');
    expect(thrown(() => matchMidiPort(name('x'), { inputs: [], outputs: [] })).message).toContain('Inputs: none; outputs: none.');
  });

  it('an index picks the same-named input and output, and refuses a pair of different ports', () => {
    expect(matchMidiPort({ kind: 'index', index: 1 }, ALSA)).toEqual({ input: ALSA.inputs[1], output: ALSA.outputs[1] });
    expect(thrown(() => matchMidiPort({ kind: 'index', index: 3 }, ALSA)).message).toMatch(/is input .* but output .*name the port instead/);
    expect(thrown(() => matchMidiPort({ kind: 'index', index: 9 }, ALSA)).message).toMatch(/no MIDI port has index 9/);
  });

  it('lists at most 40 ports of a huge system in an error', () => {
    const many = Array.from({ length: 5000 }, (_, index) => ({ index, name: `Port ${index}` }));
    const err = thrown(() => matchMidiPort(name('Port'), { inputs: many, outputs: [] }));
    expect(err.message).toContain('and 4960 more');
    expect(err.message.length).toBeLessThan(5000);
  });

  it('property: what it picks is on the lists and contains the name; an error is unresolved', () => {
    const portName = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom(...'abAB :-0'.split('')) });
    const list = fc.array(portName, { maxLength: 8 }).map((names) => names.map((n, index) => ({ index, name: n })));
    const selector = fc.oneof(
      portName.map((n): MidiPortSelector => ({ kind: 'name', name: n })),
      fc.nat(9).map((index): MidiPortSelector => ({ kind: 'index', index })),
    );
    fc.assert(
      fc.property(list, list, selector, (inputs, outputs, sel) => {
        let m;
        try {
          m = matchMidiPort(sel, { inputs, outputs });
        } catch (err) {
          expect(err).toBeInstanceOf(TransportError);
          expect((err as TransportError).code).toBe('unresolved');
          return;
        }
        expect(m.input !== undefined || m.output !== undefined).toBe(true);
        if (m.input) expect(inputs).toContainEqual(m.input);
        if (m.output) expect(outputs).toContainEqual(m.output);
        for (const p of [m.input, m.output]) {
          if (p === undefined) continue;
          if (sel.kind === 'name') expect(p.name.toLowerCase()).toContain(sel.name.toLowerCase());
          else expect(p.index).toBe(sel.index);
        }
        // A port's own full name finds it whenever no other port of either side has two of that name.
        const count = (ports: typeof inputs, n: string): number => ports.filter((q) => q.name === n).length;
        for (const p of inputs) {
          if (count(inputs, p.name) === 1 && count(outputs, p.name) <= 1)
            expect(matchMidiPort({ kind: 'name', name: p.name }, { inputs, outputs }).input).toEqual(p);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
