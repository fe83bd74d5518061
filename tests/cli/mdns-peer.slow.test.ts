import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connectNm2 } from '../../runtime/transports/nm2/index.ts';
import { discoverNm2, type Nm2Service } from '../../runtime/transports/nm2/mdns.ts';
import { CLI_TEST_TIMEOUT_MS, busWarnings, removeTempProjects, runMidl, stackTraceLines } from '../helpers/cli.ts';
import { killAll, startMidl, startPeer, type MidlProcess } from '../helpers/midl-process.ts';
import { job, opsProject } from '../helpers/ops-schema.ts';
import { freeUdpPort } from '../helpers/udp-port.ts';

/**
 * `midl peer --advertise` and `mdns:NAME` addresses of the client commands, as real processes on
 * loopback. Each test has its own mDNS port (a private discovery domain, as in
 * tests/transports/mdns.test.ts), so peers of one test are never found by another. The peers listen
 * on 127.0.0.1 and so advertise on 127.0.0.1 without being told; the browsing side names the
 * interface, since this machine's only multicast-capable interface is loopback.
 */

const { schema } = opsProject();

afterEach(() => killAll());
afterAll(() => removeTempProjects());

type AdvertisedPeer = MidlProcess & { url: string; port: number; piid: string };

/** `midl peer --advertise` on 127.0.0.1, resolved once it says what it advertises. */
async function advertisedPeer(name: string, mdnsPort: number): Promise<AdvertisedPeer> {
  const peer = await startPeer(['--schema', schema, '--name', name, '--advertise', '--mdns-port', String(mdnsPort)]);
  const m = await peer.waitFor(/advertising "([^"]*)" \(ProductInstanceId (\S+)\) as _midi2\._udp on mDNS 127\.0\.0\.1 port (\d+)/, 10_000);
  expect([m[1], m[3]]).toEqual([name, String(mdnsPort)]);
  return Object.assign(peer, { piid: m[2]! });
}

const loopback = (mdnsPort: number): string[] => ['--mdns-interface', '127.0.0.1', '--mdns-port', String(mdnsPort)];

describe('midl peer --advertise and mdns: addresses', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('an advertised peer is found by midl discover and discoverNm2, reached by send --to mdns:NAME, and says goodbye on SIGTERM', async () => {
    const mdnsPort = await freeUdpPort();
    const peer = await advertisedPeer('mdns peer', mdnsPort);
    expect(peer.piid).toMatch(/^midl-\d+-[0-9a-f]{8}$/);

    const [cli, inProcess] = await Promise.all([
      runMidl(['discover', '--json', '--timeout', '1500', '--interface', '127.0.0.1', '--mdns-port', String(mdnsPort)]),
      discoverNm2({ interface: '127.0.0.1', port: mdnsPort, timeoutMs: 1500 }),
    ]);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const listed = cli.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Nm2Service);
    const expected = { endpointName: 'mdns peer', productInstanceId: peer.piid, url: peer.url, port: peer.port, addresses: ['127.0.0.1'] };
    expect(listed).toEqual([expect.objectContaining(expected)]);
    expect(inProcess).toEqual([expect.objectContaining(expected)]);

    // The advertised PIID is the one the endpoint itself announces in its Invitation Reply.
    const link = await connectNm2(inProcess[0]!.url, { name: 'mdns test', timeoutMs: 5000 });
    try {
      expect([link.peerName, link.peerProductInstanceId]).toEqual(['mdns peer', peer.piid]);
    } finally {
      await link.close();
    }

    const sent = await runMidl([
      'send',
      '--to',
      'mdns:mdns peer',
      ...loopback(mdnsPort),
      '--discover-timeout',
      '1500',
      '--topic',
      'ops/job',
      '--json',
      job(3, 'via mdns'),
      '--schema',
      schema,
    ]);
    expect(sent.stderr).toContain(`--to mdns:mdns peer: ${peer.url} (ProductInstanceId "${peer.piid}")`);
    expect(sent.stderr).toContain(`ops/job → ${peer.url}: 1/1 delivered`);
    expect(sent.code).toBe(0);
    const [line] = await peer.waitForLines(1, 10_000);
    expect(JSON.parse(line!)).toMatchObject({ address: 'ops/job', value: JSON.parse(job(3, 'via mdns')) as unknown });

    // SIGTERM while a browser has it: the goodbye takes it out of that browser's result.
    let exited: Promise<number | null> | undefined;
    const during = await discoverNm2({
      interface: '127.0.0.1',
      port: mdnsPort,
      timeoutMs: 3000,
      onService: () => {
        exited ??= peer.stop();
      },
    });
    expect(exited).toBeDefined();
    expect(await exited).toBe(0);
    expect(during).toEqual([]);
    expect(stackTraceLines(sent.stderr + peer.stderr())).toEqual([]);
    expect(busWarnings(sent.stderr + peer.stderr())).toEqual([]);
  });

  it('several endpoints of one name are listed with their PIIDs, NAME#PIID picks one, an unknown name exits 1', async () => {
    const mdnsPort = await freeUdpPort();
    const [left, right] = await Promise.all([advertisedPeer('twin', mdnsPort), advertisedPeer('twin', mdnsPort)]);
    const send = (to: string) =>
      runMidl(['send', '--to', to, ...loopback(mdnsPort), '--discover-timeout', '1500', '--topic', 'ops/job', '--json', job(1), '--schema', schema]);
    const [ambiguous, picked, unknown, noPiid, empty, peerUsage] = await Promise.all([
      send('mdns:twin'),
      send(`mdns:twin#${right.piid}`),
      send('mdns:nobody'),
      send('mdns:twin#no-such-id'),
      send('mdns:'),
      runMidl(['peer', '--listen', 'udp://127.0.0.1:0', '--mdns-port', String(mdnsPort), '--schema', schema]),
    ]);

    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain('error: --to mdns:twin: 2 endpoints are named "twin"; pick one by its ProductInstanceId:');
    const choices = [left, right].sort((a, b) => a.piid.localeCompare(b.piid));
    for (const p of choices) expect(ambiguous.stderr).toContain(`  mdns:twin#${p.piid}  ${p.url}\n`);
    expect(ambiguous.stderr).not.toContain('delivered');

    expect(picked.stderr).toContain(`ops/job → ${right.url}: 1/1 delivered`);
    expect(picked.code).toBe(0);
    await right.waitForLines(1, 10_000);
    expect(left.lines()).toEqual([]);

    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      `error: --to mdns:nobody: no endpoint named "nobody" answered within 1500 ms (mDNS on 127.0.0.1 port ${mdnsPort}); these answered:`,
    );
    expect(unknown.stderr).toContain(`  mdns:twin#${left.piid}  ${left.url}\n`);

    expect(noPiid.code).toBe(1);
    expect(noPiid.stderr).toContain('error: --to mdns:twin#no-such-id: no endpoint named "twin" has ProductInstanceId "no-such-id"; found:');

    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--to: mdns: needs an endpoint name');
    expect(peerUsage.code).toBe(2);
    expect(peerUsage.stderr).toContain('--mdns-interface and --mdns-port only apply with --advertise');
    expect(stackTraceLines([ambiguous, picked, unknown, noPiid, empty, peerUsage].map((r) => r.stderr).join(''))).toEqual([]);
    expect(busWarnings([picked.stderr, left.stderr(), right.stderr()].join(''))).toEqual([]);
  });

  it('an RTP-MIDI peer is advertised as _apple-midi._udp, listed by discover --rtpmidi, and reached at the URL listed', async () => {
    const mdnsPort = await freeUdpPort();
    const peer = startMidl([
      'peer',
      '--listen',
      'rtpmidi://127.0.0.1:0',
      '--schema',
      schema,
      '--name',
      'rtp studio',
      '--advertise',
      '--mdns-port',
      String(mdnsPort),
    ]);
    const url = (await peer.waitFor(/listening on (rtpmidi:\/\/127\.0\.0\.1:\d+)/, 60_000))[1]!;
    await peer.waitFor(new RegExp(`advertising "rtp studio" as _apple-midi\\._udp on mDNS 127\\.0\\.0\\.1 port ${mdnsPort}`), 10_000);
    const found = await runMidl(['discover', '--rtpmidi', '--json', '--timeout', '1500', '--interface', '127.0.0.1', '--mdns-port', String(mdnsPort)]);
    expect(found.stderr).toBe('');
    expect(found.code).toBe(0);
    const listed = found.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { name: string; url: string });
    expect(listed).toEqual([expect.objectContaining({ name: 'rtp studio', url, addresses: ['127.0.0.1'] })]);
    const sent = await runMidl(['send', '--schema', schema, '--to', listed[0]!.url, '--topic', 'ops/job', '--json', job(1)]);
    expect(sent.stderr).toContain(`ops/job → ${url}: 1/1 delivered`);
    expect(sent.code).toBe(0);
    await peer.waitForLines(1, 10_000);
    expect(stackTraceLines(sent.stderr + peer.stderr())).toEqual([]);
    expect(busWarnings(sent.stderr + peer.stderr())).toEqual([]);
  });
});
