import { readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';
import { afterEach, describe, expect, it } from 'vitest';
import { type LinkDown, type UmpLink } from '../../runtime/index.ts';
import {
  NM2_SERVICE_TYPE,
  TransportRegistry,
  advertiseNm2,
  formatUdpUrl,
  mdnsTransport,
  midiTransport,
  rtpmidiTransport,
  parseMdnsUrl,
  transports,
  udpTransport,
  type ConnectOptions,
  type ListenOptions,
  type Resolution,
  type Transport,
  type TransportListener,
} from '../../runtime/transports/index.ts';
import { REPO_ROOT, repoPath } from '../helpers/repo.ts';
import { freeUdpPort } from '../helpers/udp-port.ts';
import { until } from '../helpers/until.ts';
import { loopTransport } from '../helpers/loop-transport.ts';

/**
 * The transport registry (runtime/transports/registry.ts): registration rules, scheme lookup, URL
 * checks per scheme without the network, and the built-in udp: and mdns: transports over real UDP and
 * mDNS on 127.0.0.1 (each mDNS test on a private port, its own discovery domain).
 */

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** What the thrown error is, for assertions on code and message together. */
function thrown(f: () => unknown): { name: string; code?: string; message: string } {
  try {
    f();
  } catch (err) {
    const e = err as { name: string; code?: string; message: string };
    return e.code === undefined ? { name: e.name, message: e.message } : { name: e.name, code: e.code, message: e.message };
  }
  throw new Error('nothing was thrown');
}

describe('TransportRegistry', () => {
  it('dispatches check, connect and listen by scheme (in any case), passing the options through unchanged', async () => {
    const loop = loopTransport();
    const registry = new TransportRegistry([udpTransport]);
    registry.register(loop);
    expect(registry.list().map((t) => t.scheme)).toEqual(['udp', 'loop']);
    expect(registry.transportOf('LOOP:x')).toBe(loop);
    expect(registry.check('loop:demo', 'listen')).toBe(loop);

    const listenOptions: ListenOptions = { name: 'server', secret: 's3' };
    const listener = await registry.listen('loop:demo', listenOptions);
    const accepted: UmpLink[] = [];
    listener.onSession((link) => accepted.push(link));
    const resolved: Resolution[] = [];
    const connectOptions: ConnectOptions = {
      name: 'client',
      secret: 's3',
      timeoutMs: 100,
      discovery: { timeoutMs: 5, interface: '127.0.0.1', port: 5354 },
      onResolved: (r) => resolved.push(r),
    };
    const link = await registry.connect('loop:DEMO', connectOptions);
    expect(loop.listened).toEqual([listenOptions]);
    expect(loop.connected).toEqual([connectOptions]);
    expect(accepted).toHaveLength(1);
    const received: number[][] = [];
    accepted[0]!.onReceive((words) => received.push([...words]));
    link.send(new Uint32Array([0x20903c40]));
    await until(() => received.length === 1, 1000, 'the packet');
    expect(received).toEqual([[0x20903c40]]);
    await listener.close();
    await expect(registry.connect('loop:demo', connectOptions)).rejects.toMatchObject({ code: 'refused' });
    expect(resolved).toEqual([]);
  });

  it('refuses a second transport for a scheme, whatever the registration order, and keeps the first', () => {
    const registry = new TransportRegistry([udpTransport, mdnsTransport]);
    expect(thrown(() => registry.register({ ...loopTransport(), scheme: 'udp', syntax: 'udp:X', example: 'udp:x', check: () => {} }))).toEqual({
      name: 'TransportError',
      code: 'scheme-taken',
      message: `the scheme udp: is registered already, for ${udpTransport.description}`,
    });
    expect(registry.transportOf('udp://127.0.0.1:5673')).toBe(udpTransport);
    // The registry every URL of the CLI goes through refuses it too.
    expect(thrown(() => transports.register(mdnsTransport)).code).toBe('scheme-taken');
    expect(transports.list()).toEqual([udpTransport, mdnsTransport, rtpmidiTransport, midiTransport]);
  });

  it('refuses a malformed registration as a bug of the transport, saying what is wrong, and registers nothing', () => {
    const registry = new TransportRegistry();
    const bad: Array<[Partial<Transport>, RegExp]> = [
      [{ scheme: 'LOOP' }, /scheme is a lower-case letter.*got "LOOP"/],
      [{ scheme: 'loop:' }, /without the colon; got "loop:"/],
      [{ scheme: '1loop' }, /got "1loop"/],
      [{ scheme: '' }, /got ""/],
      [{ syntax: 'NAME' }, /the syntax of the loop: transport must start with "loop:"; got "NAME"/],
      [{ example: 'udp://127.0.0.1:1' }, /the example of the loop: transport must start with "loop:"/],
      [{ description: 'two\nlines' }, /the description of the loop: transport must be one non-empty line/],
      [{ description: ' ' }, /must be one non-empty line/],
      [{ example: 'loop:no-digits-1' }, /the example "loop:no-digits-1" of the loop: transport is refused by its own check: not a loop:NAME address/],
    ];
    for (const [change, message] of bad) {
      const e = thrown(() => registry.register({ ...loopTransport(), ...change }));
      expect(e.name, JSON.stringify(change)).toBe('TypeError');
      expect(e.message).toMatch(message);
    }
    expect(registry.list()).toEqual([]);
  });

  it('an unknown scheme, or none, is a typed error listing the registered schemes', () => {
    const registry = new TransportRegistry([udpTransport, mdnsTransport, loopTransport()]);
    expect(thrown(() => registry.check('http://x', 'connect'))).toEqual({
      name: 'TransportError',
      code: 'unknown-scheme',
      message:
        'not a udp://HOST:PORT address, nor mdns:NAME[#PIID], nor loop:NAME: "http://x" (no transport is registered for the scheme http:; the registered schemes are udp:, mdns:, loop:)',
    });
    for (const url of ['127.0.0.1:5673', '', ':5673', ' udp://127.0.0.1:5673']) {
      expect(
        thrown(() => registry.check(url, 'connect')),
        url,
      ).toMatchObject({
        code: 'unknown-scheme',
        message: expect.stringContaining(`${JSON.stringify(url)} (it has no scheme; the registered schemes are udp:, mdns:, loop:)`) as unknown,
      });
    }
    expect(thrown(() => new TransportRegistry().check('udp://127.0.0.1:5673', 'connect'))).toMatchObject({
      code: 'unknown-scheme',
      message: 'no transport is registered, so nothing can be reached at "udp://127.0.0.1:5673"',
    });
    expect(thrown(() => registry.check(42 as unknown as string, 'connect'))).toMatchObject({ code: 'bad-url', message: 'a URL is a string; got number' });
  });

  it('listening on a scheme that only connects is a bad URL naming the schemes that listen', async () => {
    const registry = new TransportRegistry([udpTransport, mdnsTransport, loopTransport()]);
    expect(thrown(() => registry.check('mdns:twin', 'listen'))).toEqual({
      name: 'TransportError',
      code: 'bad-url',
      message: 'cannot listen on "mdns:twin": the mdns: transport only connects; listen on udp://HOST:PORT or loop:NAME',
    });
    await expect(registry.listen('mdns:twin', { name: 'x' })).rejects.toMatchObject({ code: 'bad-url' });
    expect(thrown(() => new TransportRegistry([mdnsTransport]).check('mdns:twin', 'listen')).message).toMatch(/only connects; no registered scheme listens$/);
  });
});

describe('built-in schemes: URLs checked without the network', () => {
  it('are udp:, mdns:, rtpmidi: then midi:, with a syntax, a one-line description and an example each; mdns: only connects', () => {
    expect(transports.list().map((t) => [t.scheme, t.syntax, t.example, t.listen === undefined])).toEqual([
      ['udp', 'udp://HOST:PORT', 'udp://127.0.0.1:5673', false],
      ['mdns', 'mdns:NAME[#PIID]', 'mdns:studio#SN-0042', true],
      ['rtpmidi', 'rtpmidi://HOST:PORT', 'rtpmidi://127.0.0.1:5004', false],
      ['midi', 'midi:NAME', 'midi:"Midi Through Port-0"', false],
    ]);
  });

  it('accept good URLs for the roles they fit', () => {
    const good: Array<[string, 'connect' | 'listen', Transport]> = [
      ['udp://127.0.0.1:5673', 'connect', udpTransport],
      ['udp://[::1]:5673/', 'connect', udpTransport],
      ['udp://host.local:5004', 'connect', udpTransport],
      ['UDP://127.0.0.1:5673', 'connect', udpTransport],
      ['udp://0.0.0.0:0', 'listen', udpTransport],
      ['udp://[::]:0', 'listen', udpTransport],
      ['mdns:twin', 'connect', mdnsTransport],
      ['MDNS:twin', 'connect', mdnsTransport],
      ['mdns:A#B#SN-1', 'connect', mdnsTransport],
      ['mdns:twin#', 'connect', mdnsTransport],
    ];
    for (const [url, role, transport] of good) expect(transports.check(url, role), url).toBe(transport);
    expect(parseMdnsUrl('mdns:A#B#SN-1')).toEqual({ name: 'A#B', productInstanceId: 'SN-1' });
    expect(parseMdnsUrl('mdns:twin#')).toEqual({ name: 'twin', productInstanceId: '' });
    expect(parseMdnsUrl('mdns:midl peer')).toEqual({ name: 'midl peer' });
  });

  it('refuse bad URLs with a typed error naming what is wrong', () => {
    const bad: Array<[string, 'connect' | 'listen', string, string]> = [
      ['udp://127.0.0.1', 'connect', 'bad-url', 'not a udp://HOST:PORT address: "udp://127.0.0.1"'],
      ['udp://127.0.0.1:', 'listen', 'bad-url', 'not a udp://HOST:PORT address: "udp://127.0.0.1:"'],
      ['udp://::1:5673', 'connect', 'bad-url', 'not a udp://HOST:PORT address: "udp://::1:5673"'],
      ['udp://user@host:5673', 'connect', 'bad-url', 'not a udp://HOST:PORT address: "udp://user@host:5673"'],
      ['udp://host:5673/path', 'connect', 'bad-url', 'not a udp://HOST:PORT address: "udp://host:5673/path"'],
      ['udp:/127.0.0.1:5673', 'connect', 'bad-url', 'not a udp://HOST:PORT address: "udp:/127.0.0.1:5673"'],
      ['udp://127.0.0.1:70000', 'listen', 'bad-url', 'port 70000 is out of range (1..65535) in "udp://127.0.0.1:70000"'],
      [
        'udp://127.0.0.1:0',
        'connect',
        'bad-url',
        'port 0 means "any free port", which only a listener can ask for; give the peer\'s port in "udp://127.0.0.1:0"',
      ],
      ['mdns:', 'connect', 'bad-url', 'mdns: needs an endpoint name (mdns:NAME or mdns:NAME#PIID)'],
      ['mdns:#SN-1', 'connect', 'bad-url', 'mdns: needs an endpoint name (mdns:NAME or mdns:NAME#PIID)'],
      [
        'mdns:twin',
        'listen',
        'bad-url',
        'cannot listen on "mdns:twin": the mdns: transport only connects; listen on udp://HOST:PORT or rtpmidi://HOST:PORT or midi:NAME',
      ],
      [
        'tcp://127.0.0.1:5673',
        'connect',
        'unknown-scheme',
        'not a udp://HOST:PORT address, nor mdns:NAME[#PIID], nor rtpmidi://HOST:PORT, nor midi:NAME: "tcp://127.0.0.1:5673" (no transport is registered for the scheme tcp:; the registered schemes are udp:, mdns:, rtpmidi:, midi:)',
      ],
    ];
    for (const [url, role, code, message] of bad)
      expect(
        thrown(() => transports.check(url, role)),
        url,
      ).toEqual({ name: 'TransportError', code, message });
    expect(thrown(() => parseMdnsUrl('udp://127.0.0.1:5673'))).toMatchObject({
      code: 'bad-url',
      message: 'not an mdns:NAME[#PIID] address: "udp://127.0.0.1:5673"',
    });
  });

  it('formats bound addresses as udp:// URLs, IPv6 in brackets', () => {
    expect(formatUdpUrl('127.0.0.1', 5673)).toBe('udp://127.0.0.1:5673');
    expect(formatUdpUrl('::1', 5673)).toBe('udp://[::1]:5673');
  });
});

describe('built-in schemes over real UDP and mDNS on 127.0.0.1', { timeout: 20_000 }, () => {
  /** Protocol-level problems reported by every endpoint of a test: none are expected. */
  let errors: unknown[] = [];
  afterEach(() => {
    expect(errors).toEqual([]);
    errors = [];
  });
  const onError = (err: unknown): void => void errors.push(err);

  async function listen(url: string, options: Partial<ListenOptions> = {}): Promise<TransportListener> {
    const listener = await transports.listen(url, { name: 'registry server', onError, ...options });
    cleanups.push(() => listener.close());
    return listener;
  }

  async function connect(url: string, options: Partial<ConnectOptions> = {}): Promise<UmpLink> {
    const link = await transports.connect(url, { name: 'registry client', timeoutMs: 5000, onError, ...options });
    cleanups.push(() => link.close());
    return link;
  }

  it('listening on port 0 reports the port really bound, in its URL and its endpoint', async () => {
    const listener = await listen('udp://127.0.0.1:0');
    const m = /^udp:\/\/127\.0\.0\.1:(\d+)$/.exec(listener.url);
    expect(m).not.toBeNull();
    const port = Number(m![1]);
    expect(port).toBeGreaterThan(0);
    expect(listener.nm2Endpoint).toEqual({ host: '127.0.0.1', port, productInstanceId: expect.stringMatching(/^midl-\d+-[0-9a-f]{8}$/) as unknown });
    // The port is really taken: a second listener on it is refused.
    await expect(transports.listen(listener.url, { name: 'second' })).rejects.toMatchObject({
      name: 'TransportError',
      code: 'refused',
      message: expect.stringContaining(`NM2: cannot bind udp://127.0.0.1:${port}: bind EADDRINUSE`) as unknown,
    });
  });

  it('connect and listen round trip: a session per peer, packets both ways, Bye on close', async () => {
    const listener = await listen('udp://127.0.0.1:0', { secret: 'registry secret' });
    const sessions: UmpLink[] = [];
    listener.onSession((link) => sessions.push(link));
    const client = await connect(listener.url, { secret: 'registry secret' });
    await until(() => sessions.length === 1, 5000, 'the session on the listener');
    const server = sessions[0]!;
    expect([client.peerName, server.peerName]).toEqual(['registry server', 'registry client']);

    const atServer: number[] = [];
    const atClient: number[] = [];
    server.onReceive((words) => atServer.push(...words));
    client.onReceive((words) => atClient.push(...words));
    const downs: LinkDown[] = [];
    server.onDown((down) => downs.push(down));
    client.send(new Uint32Array([0x20903c40, 0x40903c00, 0x7f000000]));
    server.send(new Uint32Array([0x20803c00]));
    await until(() => atServer.length === 3 && atClient.length === 1, 5000, 'packets both ways');
    expect(atServer).toEqual([0x20903c40, 0x40903c00, 0x7f000000]);
    expect(atClient).toEqual([0x20803c00]);

    await client.close();
    await until(() => downs.length === 1, 5000, 'the Bye at the listener');
    expect(downs[0]!.reason).toBe('bye');
  });

  it('connect failures are typed: a wrong secret, and nobody answering in time', async () => {
    const listener = await listen('udp://127.0.0.1:0', { secret: 'right' });
    await expect(connect(listener.url, { secret: 'wrong' })).rejects.toMatchObject({ name: 'TransportError', code: 'auth-failed' });
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => silent.close(() => r())));
    await expect(connect(`udp://127.0.0.1:${silent.address().port}`, { timeoutMs: 300 })).rejects.toMatchObject({ name: 'TransportError', code: 'timeout' });
  });

  it('mdns:NAME resolves to the udp:// URL of the advertised listener, says so, and connects there', async () => {
    const mdnsPort = await freeUdpPort();
    const listener = await listen('udp://127.0.0.1:0', { name: 'registry peer' });
    const endpoint = listener.nm2Endpoint!;
    const ad = await advertiseNm2(
      { name: 'registry peer', port: endpoint.port, productInstanceId: endpoint.productInstanceId, host: endpoint.host },
      { interface: '127.0.0.1', port: mdnsPort },
    );
    cleanups.push(() => ad.stop());
    const sessions: UmpLink[] = [];
    listener.onSession((link) => sessions.push(link));
    const resolved: Resolution[] = [];
    const discovery = { interface: '127.0.0.1', port: mdnsPort, timeoutMs: 1000 };
    const link = await connect(`mdns:registry peer#${endpoint.productInstanceId}`, { discovery, onResolved: (r) => resolved.push(r) });
    expect(resolved).toEqual([{ url: listener.url, note: `ProductInstanceId ${JSON.stringify(endpoint.productInstanceId)}` }]);
    expect(link.peerName).toBe('registry peer');
    await until(() => sessions.length === 1, 5000, 'the session on the listener');

    await expect(connect('mdns:nobody', { discovery, onResolved: (r) => resolved.push(r) })).rejects.toMatchObject({
      name: 'TransportError',
      code: 'unresolved',
      message: `no endpoint named "nobody" answered within 1000 ms (mDNS on 127.0.0.1 port ${mdnsPort}); these answered:\n  mdns:registry peer#${endpoint.productInstanceId}  ${listener.url}`,
    });
    expect(resolved).toHaveLength(1);
    expect(NM2_SERVICE_TYPE).toBe('_midi2._udp');
  });

  it('an mDNS lookup that cannot run is unresolved, with the discovery error as its cause', async () => {
    const failure = transports.connect('mdns:anyone', { name: 'x', discovery: { interface: 'eth0', timeoutMs: 10 } });
    await expect(failure).rejects.toMatchObject({ name: 'TransportError', code: 'unresolved', message: 'mDNS interface must be an IPv4 address, got "eth0"' });
    await expect(failure).rejects.toHaveProperty('cause.name', 'MdnsError');
  });
});

describe('where the registry lives', () => {
  /** Every module runtime/index.ts loads, following relative imports and re-exports. */
  function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
    const files = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string): void => {
      if (files.has(file)) return;
      files.add(file);
      for (const { fileName } of ts.preProcessFile(readFileSync(repoPath(file), 'utf8'), true, true).importedFiles) {
        if (fileName.startsWith('.')) visit(relative(REPO_ROOT, normalize(join(dirname(repoPath(file)), fileName))));
        else packages.add(fileName);
      }
    };
    visit(entry);
    return { files, packages };
  }

  it('on the node-side entry point: runtime/index.ts reaches neither node:dgram nor mDNS', () => {
    const core = importGraph('runtime/index.ts');
    expect(core.files.has('runtime/transports/link.ts')).toBe(true);
    expect([...core.packages].filter((p) => ['node:dgram', 'dgram', 'multicast-dns'].includes(p))).toEqual([]);
    expect([...core.files].filter((f) => f.startsWith('runtime/transports/nm2/') || f === 'runtime/transports/registry.ts')).toEqual([]);
    const node = importGraph('runtime/transports/index.ts');
    expect(node.files.has('runtime/transports/registry.ts')).toBe(true);
    expect(node.packages.has('node:dgram')).toBe(true);
  });
});
