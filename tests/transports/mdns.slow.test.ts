import { createSocket } from 'node:dgram';
import makeMdns from 'multicast-dns';
import { afterEach, describe, expect, it } from 'vitest';
import { MdnsError, NM2_SERVICE_TYPE, advertiseNm2, discoverNm2, type MdnsOptions, type Nm2Service } from '../../runtime/transports/nm2/mdns.ts';
import { CLI_TEST_TIMEOUT_MS, runMidl } from '../helpers/cli.ts';
import { freeUdpPort } from '../helpers/udp-port.ts';

// Everything runs on loopback (the only network here): the mDNS group is joined on 127.0.0.1. Each
// test gets its own mDNS port, a private discovery domain, so that goodbyes or late answers of one
// test can't reach the next and a system responder on 5353 (if any) is never involved.

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function loopback(): Promise<MdnsOptions> {
  return { interface: '127.0.0.1', port: await freeUdpPort() };
}

async function advertise(...args: Parameters<typeof advertiseNm2>): Promise<{ stop(): Promise<void> }> {
  const ad = await advertiseNm2(...args);
  cleanups.push(() => ad.stop());
  return ad;
}

const byName = (services: readonly Nm2Service[]): Nm2Service[] =>
  [...services].sort((a, b) => a.endpointName.localeCompare(b.endpointName) || a.productInstanceId.localeCompare(b.productInstanceId));

describe('Network MIDI 2.0 mDNS discovery on loopback', { timeout: 10_000 }, () => {
  it('finds an advertised endpoint with its TXT name and PIID, port and url', async () => {
    const options = await loopback();
    await advertise({ name: 'midl Synth 1', port: 5673, productInstanceId: 'SN-0042' }, options);
    const seen: Nm2Service[] = [];
    const started = Date.now();
    const services = await discoverNm2({ ...options, timeoutMs: 1000, onService: (s) => seen.push(s) });
    expect(services).toEqual([
      {
        instanceName: 'midl Synth 1',
        host: expect.stringMatching(/\.local$/) as unknown,
        addresses: ['127.0.0.1'],
        port: 5673,
        endpointName: 'midl Synth 1',
        productInstanceId: 'SN-0042',
        url: 'udp://127.0.0.1:5673',
      },
    ]);
    expect(seen).toHaveLength(1);
    // Discovery ends at its timeout (1 s); the bound leaves room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('keeps the exact endpoint name in TXT when the DNS-SD instance label has to differ', async () => {
    const options = await loopback();
    await advertise({ name: 'Studio.A — Ünïcode', port: 5004, productInstanceId: '' }, options);
    const [service] = await discoverNm2({ ...options, timeoutMs: 1000 });
    expect(service?.instanceName).toBe('Studio-A — Ünïcode');
    expect(service?.endpointName).toBe('Studio.A — Ünïcode');
    expect(service?.productInstanceId).toBe('');
  });

  it('advertises the address given as host, and an IPv6 one in brackets', async () => {
    const options = await loopback();
    await advertise({ name: 'v6', port: 6000, productInstanceId: 'p6', host: '::1' }, options);
    const [service] = await discoverNm2({ ...options, timeoutMs: 1000 });
    expect(service?.addresses).toEqual(['::1']);
    expect(service?.url).toBe('udp://[::1]:6000');
  });

  it('finds two endpoints, and one endpoint announced by two responders only once', async () => {
    const options = await loopback();
    await advertise({ name: 'alpha', port: 5001, productInstanceId: 'a1' }, options);
    await advertise({ name: 'beta', port: 5002, productInstanceId: 'b1' }, options);
    // The same endpoint (name + PIID) from a second responder, as when a device is seen on two
    // interfaces (microsoft/MIDI#750): one entry, both addresses.
    await advertise({ name: 'beta', port: 5002, productInstanceId: 'b1', host: '127.0.0.2' }, options);
    const seen: string[] = [];
    const services = byName(await discoverNm2({ ...options, timeoutMs: 1500, onService: (s) => seen.push(s.endpointName) }));
    expect(services.map((s) => [s.endpointName, s.productInstanceId, s.port])).toEqual([
      ['alpha', 'a1', 5001],
      ['beta', 'b1', 5002],
    ]);
    expect([...(services[1]?.addresses ?? [])].sort()).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(seen.sort()).toEqual(['alpha', 'beta']);
  });

  it('an endpoint with the same name but another PIID is another endpoint', async () => {
    const options = await loopback();
    await advertise({ name: 'twin', port: 5001, productInstanceId: 'left' }, options);
    await advertise({ name: 'twin', port: 5002, productInstanceId: 'right' }, options);
    const services = byName(await discoverNm2({ ...options, timeoutMs: 1000 }));
    expect(services.map((s) => `${s.productInstanceId}@${s.port}`)).toEqual(['left@5001', 'right@5002']);
  });

  it('after stop() a later discovery does not find the endpoint', async () => {
    const options = await loopback();
    const ad = await advertise({ name: 'short-lived', port: 5001, productInstanceId: 'x' }, options);
    await advertise({ name: 'stays', port: 5002, productInstanceId: 'y' }, options);
    expect(byName(await discoverNm2({ ...options, timeoutMs: 1000 })).map((s) => s.endpointName)).toEqual(['short-lived', 'stays']);
    await ad.stop();
    await ad.stop(); // idempotent
    expect((await discoverNm2({ ...options, timeoutMs: 1000 })).map((s) => s.endpointName)).toEqual(['stays']);
  });

  it('a goodbye heard during discovery drops the endpoint from the result', async () => {
    const options = await loopback();
    const ad = await advertise({ name: 'leaving', port: 5001, productInstanceId: 'x' }, options);
    let stopping: Promise<void> | undefined;
    const services = await discoverNm2({
      ...options,
      timeoutMs: 1000,
      onService: () => {
        stopping = ad.stop();
      },
    });
    expect(stopping).toBeDefined();
    await stopping;
    expect(services).toEqual([]);
  });

  it('skips malformed and foreign records on the same service type without failing', async () => {
    const options = await loopback();
    await advertise({ name: 'good', port: 5001, productInstanceId: 'g' }, options);
    // A hand-made responder that answers every _midi2._udp query with broken instances.
    const foreign = makeMdns({ port: options.port, interface: '127.0.0.1', bind: '0.0.0.0' });
    foreign.on('warning', () => {});
    cleanups.push(() => new Promise<void>((resolve) => foreign.destroy(() => resolve())));
    const type = `${NM2_SERVICE_TYPE}.local`;
    const ptr = (label: string) => ({ name: type, type: 'PTR' as const, ttl: 120, data: `${label}.${type}` });
    const srv = (label: string, port: number) => ({ name: `${label}.${type}`, type: 'SRV' as const, ttl: 120, data: { port, target: 'foreign.local' } });
    const txt = (label: string, data: Array<string | Buffer>) => ({ name: `${label}.${type}`, type: 'TXT' as const, ttl: 120, data });
    const a = { name: 'foreign.local', type: 'A' as const, ttl: 120, data: '127.0.0.9' };
    foreign.on('query', (q) => {
      if (!q.questions.some((question) => question.name === type)) return;
      foreign.respond({
        answers: [ptr('bad-utf8'), ptr('no-name'), ptr('port0'), ptr('no-srv'), ptr('no-txt'), ptr('lowercase-keys')],
        additionals: [
          srv('bad-utf8', 5100),
          txt('bad-utf8', [
            Buffer.from([0x55, 0x4d, 0x50, 0x45, 0x6e, 0x64, 0x70, 0x6f, 0x69, 0x6e, 0x74, 0x4e, 0x61, 0x6d, 0x65, 0x3d, 0xff, 0xfe]),
            'ProductInstanceId=z',
          ]),
          srv('no-name', 5101),
          txt('no-name', ['=empty-key', 'noequals', 'ProductInstanceId=q', Buffer.alloc(0)]),
          srv('port0', 0),
          txt('port0', ['UMPEndpointName=port zero', 'ProductInstanceId=0']),
          txt('no-srv', ['UMPEndpointName=no srv']),
          srv('no-txt', 5104),
          srv('lowercase-keys', 5105),
          // Keys are case-insensitive (RFC 6763 §6.4), the first occurrence wins, a missing PIID is ''.
          txt('lowercase-keys', ['umpendpointname=lower', 'UMPEndpointName=ignored']),
          a,
        ],
      });
    });
    // Garbage that isn't DNS at all, straight to the group.
    const raw = createSocket({ type: 'udp4', reuseAddr: true });
    cleanups.push(() => new Promise<void>((resolve) => raw.close(() => resolve())));
    await new Promise<void>((resolve) => raw.bind(0, '127.0.0.1', resolve));
    raw.setMulticastInterface('127.0.0.1');
    const sendGarbage = (): void => raw.send(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0xff]), options.port, '224.0.0.251');
    sendGarbage();
    setTimeout(sendGarbage, 200);

    const services = byName(await discoverNm2({ ...options, timeoutMs: 1200 }));
    expect(services.map((s) => [s.endpointName, s.productInstanceId, s.url])).toEqual([
      ['good', 'g', 'udp://127.0.0.1:5001'],
      ['lower', '', 'udp://127.0.0.9:5105'],
    ]);
  });

  it('rejects bad options with MdnsError', async () => {
    await expect(discoverNm2({ interface: '::1', timeoutMs: 10 })).rejects.toBeInstanceOf(MdnsError);
    await expect(discoverNm2({ port: 70000, timeoutMs: 10 })).rejects.toBeInstanceOf(MdnsError);
    await expect(advertiseNm2({ name: '', port: 1, productInstanceId: '' }, await loopback())).rejects.toBeInstanceOf(MdnsError);
    await expect(advertiseNm2({ name: 'n', port: 0, productInstanceId: '' }, await loopback())).rejects.toBeInstanceOf(MdnsError);
    await expect(advertiseNm2({ name: 'n'.repeat(300), port: 1, productInstanceId: '' }, await loopback())).rejects.toBeInstanceOf(MdnsError);
  });
});

describe('midl discover', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('--json prints one line per endpoint advertised by this process', async () => {
    const options = await loopback();
    await advertise({ name: 'cli one', port: 5673, productInstanceId: 'c1' }, options);
    await advertise({ name: 'cli two', port: 5674, productInstanceId: 'c2' }, options);
    const r = await runMidl(['discover', '--json', '--timeout', '1500', '--interface', '127.0.0.1', '--mdns-port', String(options.port)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Nm2Service);
    expect(lines.map((s) => [s.endpointName, s.productInstanceId, s.url])).toEqual([
      ['cli one', 'c1', 'udp://127.0.0.1:5673'],
      ['cli two', 'c2', 'udp://127.0.0.1:5674'],
    ]);

    const table = await runMidl(['discover', '--timeout', '800', '--interface', '127.0.0.1', '--mdns-port', String(options.port)]);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+PRODUCT INSTANCE ID\s+URL$/);
    expect(table.stdout).toMatch(/cli two\s+c2\s+udp:\/\/127\.0\.0\.1:5674/);
  });

  it('bad option values exit 2, an unusable interface exits 1', async () => {
    const bad = await runMidl(['discover', '--timeout', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--timeout');
    const v6 = await runMidl(['discover', '--interface', '::1', '--timeout', '10']);
    expect(v6.code).toBe(1);
    expect(v6.stderr).toContain('IPv4');
  });
});
