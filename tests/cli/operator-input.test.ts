import { describe, expect, it } from 'vitest';
import { LineError, parseRecordedLine, parseUmpText } from '../../cli/operator/lines.ts';
import { endpointName, milliseconds, positiveWhole } from '../../cli/operator/options.ts';
import { urlOption } from '../../cli/operator/urls.ts';
import { UsageError } from '../../cli/exit.ts';
import { parseUdpUrl } from '../../runtime/transports/nm2/url.ts';

/**
 * What operators type and what recordings hold, checked without spawning a process: URLs (port 0 only
 * for listening), option values, and `.ump` / recording text reported as `file:line`.
 */

describe('udp:// URLs', () => {
  it('port 0 is accepted only for listening, and refused for a peer with a message that says why', () => {
    expect(parseUdpUrl('udp://127.0.0.1:0', { listen: true })).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseUdpUrl('udp://[::1]:0/', { listen: true })).toEqual({ host: '::1', port: 0 });
    expect(parseUdpUrl('udp://127.0.0.1:5004', { listen: true })).toEqual({ host: '127.0.0.1', port: 5004 });
    expect(() => parseUdpUrl('udp://127.0.0.1:0')).toThrow(
      expect.objectContaining({
        code: 'bad-url',
        message: expect.stringContaining('port 0 means "any free port", which only a listener can ask for') as unknown,
      }),
    );
    expect(() => parseUdpUrl('udp://127.0.0.1:70000', { listen: true })).toThrow(/port 70000 is out of range \(1\.\.65535\)/);
    expect(() => parseUdpUrl('udp://127.0.0.1', { listen: true })).toThrow(/not a udp:\/\/HOST:PORT address/);

    expect(parseUdpUrl('udp://0.0.0.0:0', { listen: true })).toEqual({ host: '0.0.0.0', port: 0 });
    // A port that merely ends in 0 is no special case (the old rewrite matched ":0" at the end).
    expect(parseUdpUrl('udp://127.0.0.1:5000')).toEqual({ host: '127.0.0.1', port: 5000 });
  });

  it("an option's URL is checked by its transport through the registry, and a refusal is a usage error naming the option", () => {
    expect(urlOption('--listen', 'udp://0.0.0.0:0', 'listen')).toEqual({ flag: '--listen', url: 'udp://0.0.0.0:0' });
    expect(urlOption('--listen', 'udp://127.0.0.1:5000', 'listen')).toEqual({ flag: '--listen', url: 'udp://127.0.0.1:5000' });
    expect(urlOption('--to', 'mdns:twin#SN-1', 'connect')).toEqual({ flag: '--to', url: 'mdns:twin#SN-1' });
    expect(() => urlOption('--to', 'udp://127.0.0.1:0', 'connect')).toThrow(UsageError);
    expect(() => urlOption('--from', 'udp://127.0.0.1:0', 'connect')).toThrow(/^--from: port 0 means "any free port"/);
    expect(() => urlOption('--to', 'mdns:', 'connect')).toThrow(/^--to: mdns: needs an endpoint name \(mdns:NAME or mdns:NAME#PIID\)$/);
    expect(() => urlOption('--listen', 'mdns:twin', 'listen')).toThrow(
      /^--listen: cannot listen on "mdns:twin": the mdns: transport only connects; listen on udp:\/\/HOST:PORT or rtpmidi:\/\/HOST:PORT or midi:NAME$/,
    );
    const unknown = () => urlOption('--to', 'http://x', 'connect');
    expect(unknown).toThrow(UsageError);
    expect(unknown).toThrow(
      '--to: not a udp://HOST:PORT address, nor mdns:NAME[#PIID], nor rtpmidi://HOST:PORT, nor midi:NAME: "http://x" (no transport is registered for the scheme http:; the registered schemes are udp:, mdns:, rtpmidi:, midi:)',
    );
  });
});

describe('option values', () => {
  it('--name, --window and durations are checked where they are parsed', () => {
    expect(endpointName('ops peer')).toBe('ops peer');
    expect(endpointName('é'.repeat(49))).toBe('é'.repeat(49)); // 98 bytes
    expect(() => endpointName('é'.repeat(50))).toThrow(/at most 98 bytes of UTF-8 \(this one is 100\)/);
    expect(() => endpointName('a\0b')).toThrow(/NUL/);
    expect(() => endpointName('')).toThrow(/at least 1 character \(it is the peer of the telemetry reports\)/);
    expect(endpointName('x')).toBe('x');
    expect(positiveWhole('3')).toBe(3);
    expect(() => positiveWhole('0')).toThrow(/at least 1/);
    expect(milliseconds('2147483647')).toBe(2 ** 31 - 1);
    expect(() => milliseconds('2147483648')).toThrow(/at most 2147483647 ms/);
  });
});

describe('.ump text and recording lines', () => {
  const at = (line: number) => `f.ump:${line}`;
  const problem = (f: () => unknown): string => {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(LineError);
      return (err as Error).message;
    }
    throw new Error('no error');
  };

  it('reads words across lines and comments, and names the line of a bad word or an incomplete packet', () => {
    expect([...parseUmpText('# a note\n20903C40  # note on\n\n40903C00 7F000000\n', at)]).toEqual([0x20903c40, 0x40903c00, 0x7f000000]);
    expect(problem(() => parseUmpText('20903C40\n2090 3C40\n', at))).toBe('f.ump:2: "2090" is not a word of 8 hex digits');
    const long = 'x'.repeat(5000);
    expect(problem(() => parseUmpText(long, at)).length).toBeLessThan(100);
    expect(problem(() => parseUmpText('20903C40\n\n50000000 00000000\n', at))).toBe(
      'f.ump:3: incomplete packet: 50000000 starts a 4-word packet (message type 5), but only 2 of its words are there',
    );
  });

  it('a recording line that is not one names the line and the field', () => {
    const good = { topic: 't', address: 't', qos: 'at_most_once', value: 1 };
    expect(parseRecordedLine(JSON.stringify(good), 'r:1')).toMatchObject({ ...good, ump: null, corr: '0', session: 0 });
    expect(problem(() => parseRecordedLine('\u0000\u00ff', 'r:2'))).toMatch(/^r:2: not JSON: /);
    expect(problem(() => parseRecordedLine('null', 'r:3'))).toBe('r:3: expected a JSON object');
    expect(problem(() => parseRecordedLine(JSON.stringify({ ...good, qos: 'maybe' }), 'r:4'))).toMatch(/^r:4: "qos" must be one of /);
    expect(problem(() => parseRecordedLine(JSON.stringify({ ...good, ump: [1] }), 'r:5'))).toBe('r:5: "ump" must be a list of packet strings or null');
    const { value: _, ...noValue } = good;
    expect(problem(() => parseRecordedLine(JSON.stringify(noValue), 'r:6'))).toBe('r:6: missing "value"');
  });

  it('a recording line with a duplicate key or a number no float holds is refused where it is (issue 10)', () => {
    const head = '{"topic":"t","address":"t","qos":"at_most_once"';
    expect(problem(() => parseRecordedLine(`${head},"value":{"a":1,"a":2}}`, 'r:7'))).toBe(
      'r:7: not JSON: /value/a: key "a" appears twice in one object (at offset 63)',
    );
    expect(problem(() => parseRecordedLine(`${head},"value":[${'1'.repeat(400)}]}`, 'r:8'))).toMatch(
      /^r:8: not JSON: \/value\/0: 1{64}… is beyond the range of a 64-bit float \(at offset 57\)$/,
    );
    expect(problem(() => parseRecordedLine(`${head},"value":1,"qos":"exactly_once"}`, 'r:9'))).toBe(
      'r:9: not JSON: /qos: key "qos" appears twice in one object (at offset 58)',
    );
  });
});
